package condition

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/weirhq/weir"
)

// NetworkIPInCIDRConfig configures [NetworkIPInCIDR].
type NetworkIPInCIDRConfig struct {
	// Object.SourceKey is the field holding the address; when empty the
	// whole message data is the address.
	Object ObjectSettings `json:"object"`
	// CIDRs are the ranges, in CIDR notation ("10.0.0.0/8",
	// "2001:db8::/32"). At least one is required. Host bits are ignored
	// ("10.1.2.3/8" is 10.0.0.0/8); an IPv4-mapped IPv6 range
	// ("::ffff:10.0.0.0/104") is the IPv4 range it maps.
	CIDRs []string `json:"cidrs"`
}

// NetworkIPInCIDR is the network_ip_in_cidr inspector: it is true when the
// message data (or the field at object.source_key) is an IP address inside
// any of the configured ranges. Addresses are read as the network_ip_*
// inspectors read them: IPv4, IPv6 or IPv4-mapped IPv6 (which matches IPv4
// ranges), without a zone. Anything that is not an IP address, a missing
// field and a control message are false.
//
// Each address is compared with every range of its family, so the cost
// grows with the number of ranges; a few hundred cost microseconds.
type NetworkIPInCIDR struct {
	key    weir.Path
	v4, v6 []netip.Prefix
}

// NewNetworkIPInCIDR returns a network_ip_in_cidr inspector. The ranges are
// parsed here: a range that does not parse is a *weir.ConfigError naming
// it ("cidrs.1"), and an empty list is one naming "cidrs".
func NewNetworkIPInCIDR(cfg NetworkIPInCIDRConfig) (*NetworkIPInCIDR, error) {
	const typ = "network_ip_in_cidr"
	if err := rejectTargetKey(typ, cfg.Object); err != nil {
		return nil, err
	}
	if len(cfg.CIDRs) == 0 {
		return nil, &weir.ConfigError{Type: typ, Field: "cidrs", Err: errors.New("at least one range is required")}
	}
	in := &NetworkIPInCIDR{key: weir.ParsePath(cfg.Object.SourceKey)}
	for n, s := range cfg.CIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, &weir.ConfigError{Type: typ, Field: fmt.Sprintf("cidrs.%d", n), Err: err}
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			in.v4 = append(in.v4, p)
		} else {
			in.v6 = append(in.v6, p)
		}
	}
	return in, nil
}

// Contains reports whether s is an IP address inside one of the ranges.
func (i *NetworkIPInCIDR) Contains(s string) bool {
	a := parseIP(s)
	ranges := i.v6
	switch {
	case !a.IsValid():
		return false
	case a.Is4():
		ranges = i.v4
	}
	for _, p := range ranges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Inspect implements Inspector.
func (i *NetworkIPInCIDR) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	if i.key.String() == "" {
		return i.Contains(string(msg.Data())), nil
	}
	v := i.key.Get(msg)
	return v.Exists() && i.Contains(v.String()), nil
}
