package condition

import (
	"context"
	"net/netip"

	"github.com/weirhq/weir"
)

func networkBuiltins() map[string]Factory {
	return map[string]Factory{
		"network_ip_global_unicast":       decodedNoCtx(NewNetworkIPGlobalUnicast),
		"network_ip_in_cidr":              decodedNoCtx(NewNetworkIPInCIDR),
		"network_ip_link_local_multicast": decodedNoCtx(NewNetworkIPLinkLocalMulticast),
		"network_ip_link_local_unicast":   decodedNoCtx(NewNetworkIPLinkLocalUnicast),
		"network_ip_loopback":             decodedNoCtx(NewNetworkIPLoopback),
		"network_ip_multicast":            decodedNoCtx(NewNetworkIPMulticast),
		"network_ip_private":              decodedNoCtx(NewNetworkIPPrivate),
		"network_ip_unicast":              decodedNoCtx(NewNetworkIPUnicast),
		"network_ip_unspecified":          decodedNoCtx(NewNetworkIPUnspecified),
		"network_ip_valid":                decodedNoCtx(NewNetworkIPValid),
	}
}

// NetworkIPConfig is the configuration shared by the network_ip_* inspectors.
type NetworkIPConfig struct {
	// Object.SourceKey is the field holding the address; when empty the
	// whole message data is the address.
	Object ObjectSettings `json:"object"`
}

// networkIP is what every network_ip_* inspector does: parse an address and
// test it.
type networkIP struct {
	key   weir.Path
	keyed bool // key is set; kept apart: key.String() copies the Path
	test  func(a netip.Addr) bool
}

func newNetworkIP(typ string, cfg NetworkIPConfig, test func(netip.Addr) bool) (networkIP, error) {
	if err := rejectTargetKey(typ, cfg.Object); err != nil {
		return networkIP{}, err
	}
	return networkIP{key: weir.ParsePath(cfg.Object.SourceKey), keyed: cfg.Object.SourceKey != "", test: test}, nil
}

func (n *networkIP) inspect(msg *weir.Message) bool {
	if msg.IsControl() {
		return false
	}
	var s string
	if !n.keyed {
		s = string(msg.Data())
	} else {
		s = n.key.Get(msg).String()
	}
	return n.test(parseIP(s))
}

// parseIP parses s as net.ParseIP does: an IPv4 address, an IPv6 address or
// an IPv4-mapped IPv6 address (which is treated as IPv4), with no zone. It
// returns the zero Addr, which fails every test, for anything else.
func parseIP(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

// isUnicast reports whether a is a global or link-local unicast address.
func isUnicast(a netip.Addr) bool { return a.IsGlobalUnicast() || a.IsLinkLocalUnicast() }

// NetworkIPGlobalUnicastConfig is the configuration of
// network_ip_global_unicast.
type NetworkIPGlobalUnicastConfig = NetworkIPConfig

// NetworkIPGlobalUnicast is the network_ip_global_unicast inspector: it is
// true when the message data (or the field at object.source_key) is a global
// unicast address (not unspecified, loopback, multicast, link-local or the
// IPv4 broadcast address; private addresses count). Anything that is not an
// IP address, a missing field and a control message are false.
type NetworkIPGlobalUnicast struct{ networkIP }

// NewNetworkIPGlobalUnicast returns a network_ip_global_unicast inspector.
func NewNetworkIPGlobalUnicast(cfg NetworkIPGlobalUnicastConfig) (*NetworkIPGlobalUnicast, error) {
	n, err := newNetworkIP("network_ip_global_unicast", cfg, netip.Addr.IsGlobalUnicast)
	if err != nil {
		return nil, err
	}
	return &NetworkIPGlobalUnicast{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPGlobalUnicast) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPLinkLocalMulticastConfig is the configuration of
// network_ip_link_local_multicast.
type NetworkIPLinkLocalMulticastConfig = NetworkIPConfig

// NetworkIPLinkLocalMulticast is the network_ip_link_local_multicast
// inspector: it is true when the message data (or the field at
// object.source_key) is a link-local multicast address (224.0.0.0/24,
// ff02::/16). Anything that is not an IP address, a missing field and a
// control message are false.
type NetworkIPLinkLocalMulticast struct{ networkIP }

// NewNetworkIPLinkLocalMulticast returns a network_ip_link_local_multicast
// inspector.
func NewNetworkIPLinkLocalMulticast(cfg NetworkIPLinkLocalMulticastConfig) (*NetworkIPLinkLocalMulticast, error) {
	n, err := newNetworkIP("network_ip_link_local_multicast", cfg, netip.Addr.IsLinkLocalMulticast)
	if err != nil {
		return nil, err
	}
	return &NetworkIPLinkLocalMulticast{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPLinkLocalMulticast) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPLinkLocalUnicastConfig is the configuration of
// network_ip_link_local_unicast.
type NetworkIPLinkLocalUnicastConfig = NetworkIPConfig

// NetworkIPLinkLocalUnicast is the network_ip_link_local_unicast inspector:
// it is true when the message data (or the field at object.source_key) is a
// link-local unicast address (169.254.0.0/16, fe80::/10). Anything that is
// not an IP address, a missing field and a control message are false.
type NetworkIPLinkLocalUnicast struct{ networkIP }

// NewNetworkIPLinkLocalUnicast returns a network_ip_link_local_unicast
// inspector.
func NewNetworkIPLinkLocalUnicast(cfg NetworkIPLinkLocalUnicastConfig) (*NetworkIPLinkLocalUnicast, error) {
	n, err := newNetworkIP("network_ip_link_local_unicast", cfg, netip.Addr.IsLinkLocalUnicast)
	if err != nil {
		return nil, err
	}
	return &NetworkIPLinkLocalUnicast{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPLinkLocalUnicast) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPLoopbackConfig is the configuration of network_ip_loopback.
type NetworkIPLoopbackConfig = NetworkIPConfig

// NetworkIPLoopback is the network_ip_loopback inspector: it is true when
// the message data (or the field at object.source_key) is a loopback address
// (127.0.0.0/8, ::1). Anything that is not an IP address, a missing field
// and a control message are false.
type NetworkIPLoopback struct{ networkIP }

// NewNetworkIPLoopback returns a network_ip_loopback inspector.
func NewNetworkIPLoopback(cfg NetworkIPLoopbackConfig) (*NetworkIPLoopback, error) {
	n, err := newNetworkIP("network_ip_loopback", cfg, netip.Addr.IsLoopback)
	if err != nil {
		return nil, err
	}
	return &NetworkIPLoopback{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPLoopback) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPMulticastConfig is the configuration of network_ip_multicast.
type NetworkIPMulticastConfig = NetworkIPConfig

// NetworkIPMulticast is the network_ip_multicast inspector: it is true when
// the message data (or the field at object.source_key) is a multicast
// address (224.0.0.0/4, ff00::/8). Anything that is not an IP address, a
// missing field and a control message are false.
type NetworkIPMulticast struct{ networkIP }

// NewNetworkIPMulticast returns a network_ip_multicast inspector.
func NewNetworkIPMulticast(cfg NetworkIPMulticastConfig) (*NetworkIPMulticast, error) {
	n, err := newNetworkIP("network_ip_multicast", cfg, netip.Addr.IsMulticast)
	if err != nil {
		return nil, err
	}
	return &NetworkIPMulticast{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPMulticast) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPPrivateConfig is the configuration of network_ip_private.
type NetworkIPPrivateConfig = NetworkIPConfig

// NetworkIPPrivate is the network_ip_private inspector: it is true when the
// message data (or the field at object.source_key) is a private address
// (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7). Anything that is
// not an IP address, a missing field and a control message are false.
type NetworkIPPrivate struct{ networkIP }

// NewNetworkIPPrivate returns a network_ip_private inspector.
func NewNetworkIPPrivate(cfg NetworkIPPrivateConfig) (*NetworkIPPrivate, error) {
	n, err := newNetworkIP("network_ip_private", cfg, netip.Addr.IsPrivate)
	if err != nil {
		return nil, err
	}
	return &NetworkIPPrivate{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPPrivate) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPUnicastConfig is the configuration of network_ip_unicast.
type NetworkIPUnicastConfig = NetworkIPConfig

// NetworkIPUnicast is the network_ip_unicast inspector: it is true when the
// message data (or the field at object.source_key) is a global or link-local
// unicast address. Anything that is not an IP address, a missing field and a
// control message are false.
type NetworkIPUnicast struct{ networkIP }

// NewNetworkIPUnicast returns a network_ip_unicast inspector.
func NewNetworkIPUnicast(cfg NetworkIPUnicastConfig) (*NetworkIPUnicast, error) {
	n, err := newNetworkIP("network_ip_unicast", cfg, isUnicast)
	if err != nil {
		return nil, err
	}
	return &NetworkIPUnicast{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPUnicast) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPUnspecifiedConfig is the configuration of network_ip_unspecified.
type NetworkIPUnspecifiedConfig = NetworkIPConfig

// NetworkIPUnspecified is the network_ip_unspecified inspector: it is true
// when the message data (or the field at object.source_key) is the
// unspecified address (0.0.0.0 or ::). Anything that is not an IP address, a
// missing field and a control message are false.
type NetworkIPUnspecified struct{ networkIP }

// NewNetworkIPUnspecified returns a network_ip_unspecified inspector.
func NewNetworkIPUnspecified(cfg NetworkIPUnspecifiedConfig) (*NetworkIPUnspecified, error) {
	n, err := newNetworkIP("network_ip_unspecified", cfg, netip.Addr.IsUnspecified)
	if err != nil {
		return nil, err
	}
	return &NetworkIPUnspecified{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPUnspecified) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NetworkIPValidConfig is the configuration of network_ip_valid.
type NetworkIPValidConfig = NetworkIPConfig

// NetworkIPValid is the network_ip_valid inspector: it is true when the
// message data (or the field at object.source_key) is any valid IPv4 or IPv6
// address. Anything that is not an IP address, a missing field and a control
// message are false.
type NetworkIPValid struct{ networkIP }

// NewNetworkIPValid returns a network_ip_valid inspector.
func NewNetworkIPValid(cfg NetworkIPValidConfig) (*NetworkIPValid, error) {
	n, err := newNetworkIP("network_ip_valid", cfg, netip.Addr.IsValid)
	if err != nil {
		return nil, err
	}
	return &NetworkIPValid{n}, nil
}

// Inspect implements Inspector.
func (i *NetworkIPValid) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}
