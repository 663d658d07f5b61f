// Package dnstransform holds the DNS lookup transforms of Substation
// configs (enrich_dns_ip_lookup, enrich_dns_domain_lookup and
// enrich_dns_txt_lookup, also accepted as enrich_dns_text_lookup, the name
// Substation's Go factory uses). It lives apart from package transform so
// that programs that do not look names up do not link the DNS library;
// package transform/all registers them with every other type.
package dnstransform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich/dns"
	"github.com/weirhq/weir/transform"
)

// The DNS types of the enrich family look up the text at object.source_key
// (or the whole data) with a [dns.Resolver] and write what they find to
// object.target_key as an array of strings (or, on the whole data, the
// first of them as the data):
//
//   - enrich_dns_ip_lookup: the names of an IP address (PTR), fully
//     qualified with a trailing dot ("host.example.com.");
//   - enrich_dns_domain_lookup: the IPv4 then IPv6 addresses of a domain
//     (A and AAAA);
//   - enrich_dns_txt_lookup: the TXT records of a domain.
//
// Unlike Substation's (which use the system resolver, uncached), answers
// are cached for their DNS TTL and concurrent lookups of one name share a
// query. As in Substation, a lookup that fails — the name does not exist,
// the server fails or times out — fails the message; the error matches
// dns.ErrNotFound, dns.ErrServerFailure or dns.ErrTimeout, and a
// malformed IP address or name matches weir.ErrInvalidData too.

// EnrichDNSRequestSettings are the request settings of the DNS transforms.
type EnrichDNSRequestSettings struct {
	// Timeout is a Go duration bounding each lookup, retries included;
	// empty means "1s", as in Substation.
	Timeout string `json:"timeout,omitempty"`
}

// EnrichDNSConfig configures [EnrichDNS], the enrich_dns_ip_lookup,
// enrich_dns_domain_lookup and enrich_dns_txt_lookup transforms.
//
//	{"type": "enrich_dns_ip_lookup", "settings": {
//	    "object": {"source_key": "source.ip", "target_key": "source.domain"},
//	    "request": {"timeout": "500ms"}}}
type EnrichDNSConfig struct {
	// Object.SourceKey is the path of the IP address or domain,
	// Object.TargetKey where the answer is written; both or neither (the
	// whole data).
	Object transform.ObjectSettings `json:"object"`
	// Request.Timeout bounds each lookup.
	Request EnrichDNSRequestSettings `json:"request"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Servers, if not empty, are the DNS servers to ask, "host" or
	// "host:port" (port 53 by default), tried in turn, instead of the
	// nameservers of /etc/resolv.conf. A Weir setting: Substation always
	// asks the system resolver. It is ignored when DNS is set.
	Servers []string `json:"servers,omitempty"`
	// DNS is the resolver to use (to share one cache between transforms,
	// or to ask given servers). Nil means a new dns.Resolver asking
	// Servers, or else the servers of /etc/resolv.conf, with its own memory
	// cache, two attempts of half of Request.Timeout each, closed by the
	// transform's Close.
	DNS *dns.Resolver `json:"-"`
}

// EnrichDNS is a DNS lookup transform; see [NewEnrichDNSIPLookup],
// [NewEnrichDNSDomainLookup] and [NewEnrichDNSTXTLookup]. It is safe for
// concurrent use; Close it when done if it made its own resolver.
type EnrichDNS struct {
	typ, id string
	io      keys
	timeout time.Duration
	lookup  func(context.Context, string) ([]string, error)
	owned   *dns.Resolver // made from settings, closed by Close
}

// NewEnrichDNSIPLookup returns the enrich_dns_ip_lookup transform.
func NewEnrichDNSIPLookup(cfg EnrichDNSConfig) (*EnrichDNS, error) {
	return newEnrichDNS("enrich_dns_ip_lookup", cfg, (*dns.Resolver).LookupAddr)
}

// NewEnrichDNSDomainLookup returns the enrich_dns_domain_lookup transform.
func NewEnrichDNSDomainLookup(cfg EnrichDNSConfig) (*EnrichDNS, error) {
	return newEnrichDNS("enrich_dns_domain_lookup", cfg, (*dns.Resolver).LookupHost)
}

// NewEnrichDNSTXTLookup returns the enrich_dns_txt_lookup transform.
func NewEnrichDNSTXTLookup(cfg EnrichDNSConfig) (*EnrichDNS, error) {
	return newEnrichDNS("enrich_dns_txt_lookup", cfg, (*dns.Resolver).LookupTXT)
}

func newEnrichDNS(typ string, cfg EnrichDNSConfig, lookup func(*dns.Resolver, context.Context, string) ([]string, error)) (*EnrichDNS, error) {
	io, err := newKeys(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	timeout := time.Second
	if cfg.Request.Timeout != "" {
		timeout, err = time.ParseDuration(cfg.Request.Timeout)
		if err == nil && timeout <= 0 {
			err = errors.New("must be positive")
		}
		if err != nil {
			return nil, &weir.ConfigError{Type: typ, Field: "request.timeout", Err: err}
		}
	}
	d, owned := cfg.DNS, (*dns.Resolver)(nil)
	if d == nil {
		for _, s := range cfg.Servers {
			if s == "" {
				return nil, &weir.ConfigError{Type: typ, ID: cfg.ID, Field: "servers", Err: errors.New("a server is empty")}
			}
		}
		d, err = dns.New(dns.Config{Servers: cfg.Servers, Timeout: timeout / dns.DefaultAttempts, Attempts: dns.DefaultAttempts})
		if err != nil {
			return nil, configErr(typ, err)
		}
		owned = d
	}
	return &EnrichDNS{
		typ: typ, id: cfg.ID, io: io, timeout: timeout, owned: owned,
		lookup: func(ctx context.Context, s string) ([]string, error) { return lookup(d, ctx, s) },
	}, nil
}

// Transform implements [transform.Transformer].
func (t *EnrichDNS) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	var in string
	if t.io.whole() {
		in = string(msg.Data())
	} else {
		v := t.io.src.Get(msg)
		if !v.Exists() {
			return msg.AsSlice(), nil
		}
		in = v.String()
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	recs, err := t.lookup(ctx, in)
	if err != nil {
		if errors.Is(err, dns.ErrInvalidName) {
			err = fmt.Errorf("%w: %w", weir.ErrInvalidData, err)
		}
		return nil, &transform.Error{Type: t.typ, ID: t.id, Err: err}
	}
	if t.io.whole() {
		msg.SetData([]byte(recs[0])) // a successful lookup has at least one record
		return msg.AsSlice(), nil
	}
	if err := t.io.dst.Set(msg, recs); err != nil {
		return nil, &transform.Error{Type: t.typ, ID: t.id, Err: err}
	}
	return msg.AsSlice(), nil
}

// Close implements io.Closer: it closes the resolver the transform made
// from its settings, not one given in EnrichDNSConfig.DNS.
func (t *EnrichDNS) Close() error {
	if t.owned == nil {
		return nil
	}
	return t.owned.Close()
}

// Register adds the types of this package to r.
func Register(r *transform.Registry) error {
	txt := transform.Typed(NewEnrichDNSTXTLookup)
	return errors.Join(
		r.Register("enrich_dns_ip_lookup", transform.Typed(NewEnrichDNSIPLookup)),
		r.Register("enrich_dns_domain_lookup", transform.Typed(NewEnrichDNSDomainLookup)),
		r.Register("enrich_dns_txt_lookup", txt),
		r.Register("enrich_dns_text_lookup", txt),
	)
}

// keys are the source and target of a DNS transform: both, or neither (the
// whole data).
type keys struct {
	src, dst weir.Path
}

// newKeys checks that o names both keys or neither.
func newKeys(typ string, o transform.ObjectSettings) (keys, error) {
	switch {
	case o.SourceKey == "" && o.TargetKey != "":
		return keys{}, &weir.ConfigError{Type: typ, Field: "object.source_key",
			Err: fmt.Errorf("%w: needed when object.target_key is set", weir.ErrMissingSetting)}
	case o.SourceKey != "" && o.TargetKey == "":
		return keys{}, &weir.ConfigError{Type: typ, Field: "object.target_key",
			Err: fmt.Errorf("%w: needed when object.source_key is set", weir.ErrMissingSetting)}
	}
	return keys{src: weir.ParsePath(o.SourceKey), dst: weir.ParsePath(o.TargetKey)}, nil
}

// whole reports whether the transform works on the whole data.
func (k keys) whole() bool { return k.src.String() == "" }

// configErr names typ in a constructor's error.
func configErr(typ string, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) {
		if ce.Type == "" {
			ce.Type = typ
		}
		return err
	}
	return &weir.ConfigError{Type: typ, Err: err}
}
