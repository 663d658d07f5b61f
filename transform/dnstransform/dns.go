package dnstransform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/enrich"
)

// The DNS types of the enrich family look up the text at object.source_key
// (or the whole data) with an [enrich.DNS] and write what they find to
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
// enrich.ErrNotFound, enrich.ErrServerFailure or enrich.ErrTimeout, and a
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
	// DNS is the resolver to use (to share one cache between transforms,
	// or to ask given servers). Nil means a new enrich.DNS asking the
	// servers of /etc/resolv.conf, with its own memory cache, two attempts
	// of half of Request.Timeout each, closed by the transform's Close.
	DNS *enrich.DNS `json:"-"`
}

// EnrichDNS is a DNS lookup transform; see [NewEnrichDNSIPLookup],
// [NewEnrichDNSDomainLookup] and [NewEnrichDNSTXTLookup]. It is safe for
// concurrent use; Close it when done if it made its own resolver.
type EnrichDNS struct {
	typ, id string
	io      strIO
	timeout time.Duration
	lookup  func(context.Context, string) ([]string, error)
	owned   *enrich.DNS // made from settings, closed by Close
}

// NewEnrichDNSIPLookup returns the enrich_dns_ip_lookup transform.
func NewEnrichDNSIPLookup(cfg EnrichDNSConfig) (*EnrichDNS, error) {
	return newEnrichDNS("enrich_dns_ip_lookup", cfg, (*enrich.DNS).LookupAddr)
}

// NewEnrichDNSDomainLookup returns the enrich_dns_domain_lookup transform.
func NewEnrichDNSDomainLookup(cfg EnrichDNSConfig) (*EnrichDNS, error) {
	return newEnrichDNS("enrich_dns_domain_lookup", cfg, (*enrich.DNS).LookupHost)
}

// NewEnrichDNSTXTLookup returns the enrich_dns_txt_lookup transform.
func NewEnrichDNSTXTLookup(cfg EnrichDNSConfig) (*EnrichDNS, error) {
	return newEnrichDNS("enrich_dns_txt_lookup", cfg, (*enrich.DNS).LookupTXT)
}

func newEnrichDNS(typ string, cfg EnrichDNSConfig, lookup func(*enrich.DNS, context.Context, string) ([]string, error)) (*EnrichDNS, error) {
	io, err := newStrIO(typ, cfg.Object)
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
	d, owned := cfg.DNS, (*enrich.DNS)(nil)
	if d == nil {
		d, err = enrich.NewDNS(enrich.DNSConfig{Timeout: timeout / enrich.DefaultDNSAttempts, Attempts: enrich.DefaultDNSAttempts})
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
		if errors.Is(err, enrich.ErrInvalidName) {
			err = fmt.Errorf("%w: %w", weir.ErrInvalidData, err)
		}
		return nil, &transform.Error{Type: t.typ, ID: t.id, Err: err}
	}
	if t.io.whole() {
		msg.SetData([]byte(recs[0])) // a successful lookup has at least one record
		return msg.AsSlice(), nil
	}
	return strSet(msg, t.io.dst, recs, t.typ, t.id)
}

// Close implements io.Closer: it closes the resolver the transform made
// from its settings, not one given in EnrichDNSConfig.DNS.
func (t *EnrichDNS) Close() error {
	if t.owned == nil {
		return nil
	}
	return t.owned.Close()
}
