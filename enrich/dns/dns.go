// Package dns looks names and addresses up in DNS for enrichment: PTR, A,
// AAAA and TXT records, with its own client (github.com/miekg/dns), a TTL
// cache, negative caching and one query per name however many callers ask
// at once. It lives apart from package enrich so that programs that do not
// enrich with DNS do not link the DNS library.
package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"

	"github.com/weirhq/weir/cache"
)

// The errors of [Resolver] lookups. A failed lookup returns a [*Error] whose
// Err is one of these, so callers test with errors.Is.
var (
	// ErrNotFound means the name does not exist (NXDOMAIN) or has no
	// records of the type asked for. It is cached (see Config.NegativeTTL).
	ErrNotFound = errors.New("enrich: DNS name not found")
	// ErrTimeout means no server answered within Config.Timeout, on any
	// attempt. Retry later; it is not cached.
	ErrTimeout = errors.New("enrich: DNS timeout")
	// ErrServerFailure means every attempt got SERVFAIL, REFUSED or another
	// error response code. It is not cached.
	ErrServerFailure = errors.New("enrich: DNS server failure")
	// ErrInvalidName means the name (or IP address, for a reverse lookup)
	// is malformed: a problem of the data, no query was sent.
	ErrInvalidName = errors.New("enrich: invalid DNS name")
	// ErrClosed means the DNS was closed (see [DNS.Close]); make lookups
	// with a DNS that is still open.
	ErrClosed = errors.New("enrich: DNS closed")
)

// Error describes a failed DNS lookup. It matches (errors.Is) its Err,
// one of [ErrNotFound], [ErrTimeout], [ErrServerFailure], [ErrInvalidName],
// [ErrClosed], or the context's error.
type Error struct {
	Name   string // the name asked about, as given
	Type   string // "PTR", "A", "AAAA", "TXT"
	Server string // the last server asked, if any
	Rcode  string // the last response code, if any ("SERVFAIL")
	Err    error
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("enrich: DNS %s %s", e.Type, e.Name)
	if e.Server != "" {
		s += " @" + e.Server
	}
	if e.Rcode != "" {
		s += ": " + e.Rcode
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Defaults of [Config].
const (
	DefaultTimeout     = time.Second
	DefaultAttempts    = 2
	DefaultMaxTTL      = time.Hour
	DefaultNegativeTTL = time.Minute
)

// Config configures [New]. The zero value asks the servers of
// /etc/resolv.conf, caches in a new [cache.Memory] and uses the Default*
// constants.
type Config struct {
	// Servers are the servers to ask, "host" or "host:port" (port 53 by
	// default), tried in turn on each attempt. Empty means the nameservers
	// of ResolvConf.
	Servers []string
	// ResolvConf is the resolv.conf file read when Servers is empty;
	// empty means /etc/resolv.conf.
	ResolvConf string
	// Timeout bounds each attempt (one query to one server); zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Attempts is how many queries a lookup sends at most, moving to the
	// next server after a timeout or a failure response; zero means
	// DefaultAttempts.
	Attempts int
	// Cache holds answers, each for the smallest TTL of its records
	// (capped at MaxTTL). Nil means a new cache.NewMemory with default
	// settings. The keys are "<type>:<name>"; give DNS a cache (or a key
	// space) of its own.
	Cache cache.Cache
	// MaxTTL caps how long an answer is cached; zero means
	// DefaultMaxTTL.
	MaxTTL time.Duration
	// NegativeTTL is how long a "not found" answer is cached when the
	// response carries no SOA record to say (RFC 2308: the smaller of the
	// SOA's TTL and its MINIMUM field, capped at MaxTTL); zero means
	// DefaultNegativeTTL, less than zero that such answers are not
	// cached.
	NegativeTTL time.Duration
}

// Resolver looks up PTR, A/AAAA and TXT records with its own DNS client (not the
// system resolver), caching each answer for its DNS TTL. However many
// callers look up the same name and type at the same time, one query is in
// flight for it; each caller waits only as long as its own context allows.
//
// Queries go over UDP, on a few long-lived sockets per server (opened at
// the first query to it) that carry many queries at once, told apart by
// random message IDs; an answer counts only if its ID and question match a
// query in flight. A truncated answer is asked again over TCP.
//
// A Resolver is safe for concurrent use. Each open socket has a reader
// goroutine: [DNS.Close] closes the sockets and stops the readers.
type Resolver struct {
	servers  []string
	udp      []*udpPool // one per server
	tcp      *dns.Client
	timeout  time.Duration
	attempts int
	cache    cache.Cache
	maxTTL   time.Duration
	negTTL   time.Duration
	group    singleflight.Group
}

// New returns a Resolver for cfg. It fails if no server is configured and
// the resolv.conf file cannot be read or lists none.
func New(cfg Config) (*Resolver, error) {
	servers := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		if s == "" {
			return nil, errors.New("enrich: NewDNS: empty server")
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			s = net.JoinHostPort(strings.Trim(s, "[]"), "53")
		}
		servers = append(servers, s)
	}
	if len(servers) == 0 {
		path := cfg.ResolvConf
		if path == "" {
			path = "/etc/resolv.conf"
		}
		cc, err := dns.ClientConfigFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("enrich: NewDNS: %w", err)
		}
		for _, s := range cc.Servers {
			servers = append(servers, net.JoinHostPort(s, cc.Port))
		}
		if len(servers) == 0 {
			return nil, fmt.Errorf("enrich: NewDNS: %s lists no nameserver", path)
		}
	}
	d := &Resolver{
		servers:  servers,
		udp:      make([]*udpPool, len(servers)),
		attempts: cfg.Attempts,
		cache:    cfg.Cache,
		maxTTL:   cfg.MaxTTL,
		negTTL:   cfg.NegativeTTL,
	}
	d.timeout = cfg.Timeout
	if d.timeout <= 0 {
		d.timeout = DefaultTimeout
	}
	for i, s := range servers {
		d.udp[i] = &udpPool{addr: s}
	}
	if d.attempts <= 0 {
		d.attempts = DefaultAttempts
	}
	if d.cache == nil {
		d.cache = cache.NewMemory(cache.MemoryConfig{})
	}
	if d.maxTTL <= 0 {
		d.maxTTL = DefaultMaxTTL
	}
	if d.negTTL == 0 {
		d.negTTL = DefaultNegativeTTL
	}
	d.tcp = &dns.Client{Net: "tcp", Timeout: d.timeout}
	return d, nil
}

// Close closes the Resolver's sockets and waits for their reader goroutines to
// return. Lookups in flight and later fail with [ErrClosed].
func (d *Resolver) Close() error {
	var errs []error
	for _, p := range d.udp {
		errs = append(errs, p.closeAll())
	}
	return errors.Join(errs...)
}

// LookupAddr returns the names of ip (PTR records), fully qualified with a
// trailing dot as in DNS ("host.example.com."), as net.Resolver.LookupAddr
// does.
func (d *Resolver) LookupAddr(ctx context.Context, ip string) ([]string, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, &Error{Name: ip, Type: "PTR", Err: ErrInvalidName}
	}
	rev, err := dns.ReverseAddr(addr.Unmap().String())
	if err != nil {
		return nil, &Error{Name: ip, Type: "PTR", Err: ErrInvalidName}
	}
	return d.lookup(ctx, ip, rev, dns.TypePTR)
}

// LookupHost returns the IPv4 and then the IPv6 addresses of host (A and
// AAAA records, two queries cached apart). An IP address is returned as
// is. It returns [ErrNotFound] only if host has neither.
func (d *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	if addr, err := netip.ParseAddr(host); err == nil {
		return []string{addr.String()}, nil
	}
	v4, err4 := d.LookupType(ctx, host, dns.TypeA)
	if err4 != nil && !errors.Is(err4, ErrNotFound) {
		return nil, err4
	}
	v6, err6 := d.LookupType(ctx, host, dns.TypeAAAA)
	if err6 != nil && !errors.Is(err6, ErrNotFound) {
		return nil, err6
	}
	if err4 != nil && err6 != nil {
		return nil, err4
	}
	return append(v4, v6...), nil
}

// LookupTXT returns the TXT records of name; the strings of one record are
// joined, as net.Resolver.LookupTXT does.
func (d *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return d.LookupType(ctx, name, dns.TypeTXT)
}

// LookupType returns the records of type qtype (dns.TypeA, TypeAAAA,
// TypePTR or TypeTXT) of name, as text: addresses, names or TXT strings.
func (d *Resolver) LookupType(ctx context.Context, name string, qtype uint16) ([]string, error) {
	switch qtype {
	case dns.TypeA, dns.TypeAAAA, dns.TypePTR, dns.TypeTXT:
	default:
		return nil, &Error{Name: name, Type: dns.TypeToString[qtype], Err: fmt.Errorf("enrich: unsupported DNS type %d", qtype)}
	}
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return nil, &Error{Name: name, Type: dns.TypeToString[qtype], Err: ErrInvalidName}
	}
	return d.lookup(ctx, name, dns.Fqdn(name), qtype)
}

// Cached answers: one tag byte, then records as uvarint length + bytes.
const (
	tagAnswer   = 1
	tagNotFound = 0
)

// lookup answers from the cache or, once per key in flight, from a query.
func (d *Resolver) lookup(ctx context.Context, orig, fqdn string, qtype uint16) ([]string, error) {
	typ := dns.TypeToString[qtype]
	key := typ + ":" + strings.ToLower(fqdn)
	if v, ok, err := d.cache.Get(ctx, key); err == nil && ok && len(v) > 0 {
		return decodeAnswer(v, orig, typ)
	}
	ch := d.group.DoChan(key, func() (any, error) {
		qctx := context.WithoutCancel(ctx)
		// Look again: a flight for this key may have filled the cache
		// between the caller's miss and this flight starting.
		if v, ok, err := d.cache.Get(qctx, key); err == nil && ok && len(v) > 0 {
			return v, nil
		}
		recs, ttl, err := d.query(qctx, fqdn, qtype)
		var v []byte
		switch {
		case errors.Is(err, ErrNotFound):
			v = []byte{tagNotFound}
		case err != nil:
			return nil, err
		default:
			v = encodeAnswer(recs)
		}
		if ttl > 0 {
			_ = d.cache.Set(qctx, key, v, ttl) // a failing cache does not fail lookups
		}
		return v, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			var de *Error
			if errors.As(r.Err, &de) {
				c := *de // shared by every waiter: copy before naming the caller's input
				c.Name = orig
				return nil, &c
			}
			return nil, r.Err
		}
		return decodeAnswer(r.Val.([]byte), orig, typ)
	case <-ctx.Done():
		return nil, &Error{Name: orig, Type: typ, Err: context.Cause(ctx)}
	}
}

// query asks the servers, in turn, for at most d.attempts attempts. It
// returns the records and the TTL to cache them for, or ErrNotFound with
// the negative TTL.
func (d *Resolver) query(ctx context.Context, fqdn string, qtype uint16) ([]string, time.Duration, error) {
	typ := dns.TypeToString[qtype]
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.SetEdns0(dns.DefaultMsgSize, false)
	var last *Error
	for i := range d.attempts {
		server := d.servers[i%len(d.servers)]
		r, err := d.udp[i%len(d.servers)].exchange(m, d.timeout)
		if err == nil && r.Truncated {
			r, _, err = d.tcp.ExchangeContext(ctx, m, server)
		}
		if err != nil {
			last = &Error{Name: fqdn, Type: typ, Server: server, Err: ErrTimeout}
			var ne net.Error
			switch {
			case errors.Is(err, ErrClosed):
				last.Err = ErrClosed
				return nil, 0, last
			case errors.Is(err, errAttemptTimeout), errors.As(err, &ne) && ne.Timeout():
			default:
				last.Err = fmt.Errorf("%w: %w", ErrServerFailure, err)
			}
			continue
		}
		switch r.Rcode {
		case dns.RcodeSuccess:
			recs, ttl := d.answers(r, qtype)
			if len(recs) == 0 {
				return nil, d.negativeTTL(r), &Error{Name: fqdn, Type: typ, Server: server, Rcode: "NODATA", Err: ErrNotFound}
			}
			return recs, ttl, nil
		case dns.RcodeNameError:
			return nil, d.negativeTTL(r), &Error{Name: fqdn, Type: typ, Server: server, Rcode: "NXDOMAIN", Err: ErrNotFound}
		default:
			last = &Error{Name: fqdn, Type: typ, Server: server, Rcode: dns.RcodeToString[r.Rcode], Err: ErrServerFailure}
		}
	}
	return nil, 0, last
}

// answers returns the records of type qtype in r and their smallest TTL,
// capped at maxTTL.
func (d *Resolver) answers(r *dns.Msg, qtype uint16) ([]string, time.Duration) {
	var recs []string
	ttl := d.maxTTL
	for _, rr := range r.Answer {
		if rr.Header().Rrtype != qtype {
			continue // CNAMEs on the way
		}
		switch v := rr.(type) {
		case *dns.A:
			recs = append(recs, v.A.String())
		case *dns.AAAA:
			recs = append(recs, v.AAAA.String())
		case *dns.PTR:
			recs = append(recs, v.Ptr)
		case *dns.TXT:
			recs = append(recs, strings.Join(v.Txt, ""))
		default:
			continue
		}
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	return recs, ttl
}

// negativeTTL returns how long to cache the "not found" answer r.
func (d *Resolver) negativeTTL(r *dns.Msg) time.Duration {
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return min(d.maxTTL, time.Duration(min(soa.Hdr.Ttl, soa.Minttl))*time.Second)
		}
	}
	if d.negTTL < 0 {
		return 0
	}
	return min(d.maxTTL, d.negTTL)
}

// encodeAnswer encodes recs for the cache.
func encodeAnswer(recs []string) []byte {
	n := 1
	for _, r := range recs {
		n += binary.MaxVarintLen32 + len(r)
	}
	b := make([]byte, 1, n)
	b[0] = tagAnswer
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

// errCorruptAnswer is the cause of the error for a cached answer that does
// not decode.
var errCorruptAnswer = errors.New("enrich: corrupt cached DNS answer")

// decodeAnswer decodes a cached answer.
func decodeAnswer(v []byte, name, typ string) ([]string, error) {
	if len(v) == 0 { // a shared cache may hold anything (FuzzDecodeAnswer)
		return nil, &Error{Name: name, Type: typ, Err: errCorruptAnswer}
	}
	if v[0] == tagNotFound {
		return nil, &Error{Name: name, Type: typ, Err: ErrNotFound}
	}
	var recs []string
	for b := v[1:]; len(b) > 0; {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, &Error{Name: name, Type: typ, Err: errCorruptAnswer}
		}
		recs = append(recs, string(b[k:k+int(n)]))
		b = b[k+int(n):]
	}
	return recs, nil
}
