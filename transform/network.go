package transform

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// The network_* types read domain names and IP addresses. Each reads the
// value at object.source_key and writes the result to object.target_key;
// when both keys are empty it reads the whole message data as the name or
// address and replaces the data with the result. A message whose source
// value is missing passes unchanged.
//
// The network_domain_* types split a domain name with the Public Suffix
// List (golang.org/x/net/publicsuffix), as Substation does. Names are
// matched as given: the list is lower case, so an upper-case name finds
// only single-label suffixes ("EXAMPLE.CO.UK" is under "UK").

func networkBuiltins() map[string]Factory {
	return map[string]Factory{
		"network_domain_registered_domain": coercing(NewNetworkDomainRegisteredDomain),
		"network_domain_subdomain":         coercing(NewNetworkDomainSubdomain),
		"network_domain_top_level_domain":  coercing(NewNetworkDomainTopLevelDomain),
		"network_ip_in_cidr":               decodedNoCtx(NewNetworkIPInCIDR),
	}
}

// netDomain is the body of the network_domain_* types: parse maps a name
// to the result, or fails with an error matching weir.ErrInvalidData.
type netDomain struct {
	coercer
	typ, id string
	io      strIO
	// parse maps a name to the result; odd reports a result that does
	// not stand for the name (a coercion).
	parse func(name string) (r string, odd bool, err error)
}

func newNetDomain(typ, id string, o ObjectSettings, parse func(string) (string, bool, error)) (netDomain, error) {
	io, err := newStrIO(typ, o)
	return netDomain{coercer: newCoercer(typ, id), typ: typ, id: id, io: io, parse: parse}, err
}

// Transform implements [Transformer].
func (t *netDomain) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		t.control(ctx)
		return strOne(msg)
	}
	var name string
	if t.io.whole() {
		name = string(msg.Data())
	} else {
		v := t.io.src.Get(msg)
		if !v.Exists() {
			return strOne(msg)
		}
		name = v.String()
	}
	r, odd, err := t.parse(name)
	if err != nil {
		return nil, &Error{Type: t.typ, ID: t.id, Err: err}
	}
	if _, err := netip.ParseAddr(name); err == nil || odd {
		// An IP address is not a domain name; Substation splits it at its
		// dots like one ("10.0.1.6" has the "top-level domain" "6").
		if err := t.coerce(msg, t.io.src.String(), name, "domain name"); err != nil {
			return nil, err
		}
	}
	if t.io.whole() {
		msg.SetData([]byte(r))
		return strOne(msg)
	}
	return strSet(msg, &t.io.dst, r, t.typ, t.id)
}

// netSuffix is publicsuffix.PublicSuffix as Substation's version of it
// reads an IP address: as a name under no listed suffix, whose suffix is
// its last label.
func netSuffix(name string) string {
	if _, err := netip.ParseAddr(name); err == nil {
		return name[1+strings.LastIndexByte(name, '.'):]
	}
	s, _ := publicsuffix.PublicSuffix(name)
	return s
}

// netRegistered returns the registered domain of name: its public suffix
// and one more label (publicsuffix.EffectiveTLDPlusOne, with netSuffix).
func netRegistered(name string) (string, bool, error) {
	d, err := netETLD1(name)
	return d, false, err
}

func netETLD1(name string) (string, error) {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return "", fmt.Errorf("domain %q has an empty label: %w", name, weir.ErrInvalidData)
	}
	suffix := netSuffix(name)
	if len(name) <= len(suffix) {
		return "", fmt.Errorf("domain %q is a public suffix: %w", name, weir.ErrInvalidData)
	}
	i := len(name) - len(suffix) - 1
	if name[i] != '.' {
		return "", fmt.Errorf("domain %q has the invalid public suffix %q: %w", name, suffix, weir.ErrInvalidData)
	}
	return name[1+strings.LastIndexByte(name[:i], '.'):], nil
}

// netSubdomain returns what is left of name once the first occurrence of
// its registered domain, with the dot before it, is taken out, as
// Substation does: "b.com.b.com" then has no subdomain, and
// "x.b.comy.b.com" has "xy.b.com" (odd: the labels in front of the
// registered domain are "x.b.comy").
func netSubdomain(name string) (string, bool, error) {
	d, err := netETLD1(name)
	if err != nil {
		return "", false, err
	}
	sub := strings.Replace(name, "."+d, "", 1)
	if sub == d {
		return "", false, fmt.Errorf("domain %q has no subdomain: %w", name, weir.ErrInvalidData)
	}
	return sub, sub != name[:max(0, len(name)-len(d)-1)], nil
}

// netTopLevel returns the public suffix of name. It never fails.
func netTopLevel(name string) (string, bool, error) {
	return netSuffix(name), false, nil
}

// NetworkDomainRegisteredDomainConfig configures
// [NetworkDomainRegisteredDomain].
type NetworkDomainRegisteredDomainConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NetworkDomainRegisteredDomain replaces a domain name with its registered
// domain, the public suffix and the label before it (type
// "network_domain_registered_domain"): "c.b.com" becomes "b.com",
// "a.b.co.uk" becomes "b.co.uk". A name that is a public suffix itself, or
// has an empty label ("", "a..com", ".com"), is an error matching
// weir.ErrInvalidData, as in Substation. An IP address is split at its dots
// like a name under no listed suffix ("10.0.1.6" gives "1.6"), as
// Substation does: a coercion (see [Coercions]; with [Env.Strict], a
// *weir.CoercionError).
type NetworkDomainRegisteredDomain struct{ netDomain }

// NewNetworkDomainRegisteredDomain returns a NetworkDomainRegisteredDomain
// for cfg. Object.SourceKey and Object.TargetKey are both set or both
// empty.
func NewNetworkDomainRegisteredDomain(cfg NetworkDomainRegisteredDomainConfig) (*NetworkDomainRegisteredDomain, error) {
	d, err := newNetDomain("network_domain_registered_domain", cfg.ID, cfg.Object, netRegistered)
	if err != nil {
		return nil, err
	}
	return &NetworkDomainRegisteredDomain{d}, nil
}

// NetworkDomainSubdomainConfig configures [NetworkDomainSubdomain].
type NetworkDomainSubdomainConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NetworkDomainSubdomain replaces a domain name with the labels in front of
// its registered domain (type "network_domain_subdomain"): "c.b.com"
// becomes "c", "x.y.b.co.uk" becomes "x.y". A name without a subdomain
// ("b.com"), and any name NetworkDomainRegisteredDomain rejects, is an
// error matching weir.ErrInvalidData. As in Substation, the first
// occurrence of the registered domain is taken out ("x.b.comy.b.com"
// gives "xy.b.com", and "b.com.b.com" has no subdomain), and an IP address
// is split at its dots ("10.0.1.6" gives "10.0"): coercions (see
// [Coercions]; with [Env.Strict], a *weir.CoercionError).
type NetworkDomainSubdomain struct{ netDomain }

// NewNetworkDomainSubdomain returns a NetworkDomainSubdomain for cfg.
// Object.SourceKey and Object.TargetKey are both set or both empty.
func NewNetworkDomainSubdomain(cfg NetworkDomainSubdomainConfig) (*NetworkDomainSubdomain, error) {
	d, err := newNetDomain("network_domain_subdomain", cfg.ID, cfg.Object, netSubdomain)
	if err != nil {
		return nil, err
	}
	return &NetworkDomainSubdomain{d}, nil
}

// NetworkDomainTopLevelDomainConfig configures
// [NetworkDomainTopLevelDomain].
type NetworkDomainTopLevelDomainConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NetworkDomainTopLevelDomain replaces a domain name with its public
// suffix (type "network_domain_top_level_domain"): "b.com" becomes "com",
// "b.co.uk" becomes "co.uk". A name under no listed suffix gets its last
// label, and so does an IP address (a coercion). It never fails.
type NetworkDomainTopLevelDomain struct{ netDomain }

// NewNetworkDomainTopLevelDomain returns a NetworkDomainTopLevelDomain for
// cfg. Object.SourceKey and Object.TargetKey are both set or both empty.
func NewNetworkDomainTopLevelDomain(cfg NetworkDomainTopLevelDomainConfig) (*NetworkDomainTopLevelDomain, error) {
	d, err := newNetDomain("network_domain_top_level_domain", cfg.ID, cfg.Object, netTopLevel)
	if err != nil {
		return nil, err
	}
	return &NetworkDomainTopLevelDomain{d}, nil
}

// NetworkIPInCIDRConfig configures [NetworkIPInCIDR].
type NetworkIPInCIDRConfig struct {
	// CIDRs are the ranges, in CIDR notation ("10.0.0.0/8",
	// "2001:db8::/32"). At least one is required.
	CIDRs []string `json:"cidrs"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NetworkIPInCIDR writes whether an IP address is inside any of a list of
// ranges (type "network_ip_in_cidr"): true or false at the target, or as
// the whole data. Addresses are read as the network_ip_in_cidr condition
// reads them ([condition.NetworkIPInCIDR]): IPv4, IPv6, or IPv4-mapped IPv6
// (which matches IPv4 ranges); anything else, such as a number or an
// address with a zone, is false.
type NetworkIPInCIDR struct {
	id     string
	io     strIO
	ranges *condition.NetworkIPInCIDR
}

// NewNetworkIPInCIDR returns a NetworkIPInCIDR for cfg. The ranges are
// parsed here; one that does not parse is a *weir.ConfigError naming it
// ("cidrs.1").
func NewNetworkIPInCIDR(cfg NetworkIPInCIDRConfig) (*NetworkIPInCIDR, error) {
	const typ = "network_ip_in_cidr"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	ranges, err := condition.NewNetworkIPInCIDR(condition.NetworkIPInCIDRConfig{CIDRs: cfg.CIDRs})
	if err != nil {
		return nil, err
	}
	return &NetworkIPInCIDR{id: cfg.ID, io: io, ranges: ranges}, nil
}

// Transform implements [Transformer].
func (t *NetworkIPInCIDR) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	if t.io.whole() {
		in := t.ranges.Contains(string(msg.Data()))
		if in {
			msg.SetData([]byte("true"))
		} else {
			msg.SetData([]byte("false"))
		}
		return strOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	return strSet(msg, &t.io.dst, t.ranges.Contains(v.String()), "network_ip_in_cidr", t.id)
}
