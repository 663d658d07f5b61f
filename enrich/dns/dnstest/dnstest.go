// Package dnstest runs a real DNS server on loopback for tests of DNS
// enrichment, as net/http/httptest does for HTTP: a miekg/dns server on a
// random UDP port of 127.0.0.1 (and TCP on the same port), answering from
// records you add, with injectable latency and failures (SERVFAIL, dropped
// queries), counting the queries it sees.
package dnstest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Server is a DNS server on 127.0.0.1. Names it has no record of get
// NXDOMAIN with an SOA record (TTL 60, MINIMUM NegativeTTL seconds); with
// SynthesizePTR, every reverse name gets a PTR record made from its
// address ("10.0.0.1" → "host-10-0-0-1.example.").
//
// Over UDP, an answer larger than the query allows (512 bytes, or its
// EDNS0 buffer size) is truncated (TC bit set), as real servers do, so the
// client asks again over TCP.
//
// Its methods are safe for concurrent use, with the server running.
type Server struct {
	// Addr is the server's "127.0.0.1:port".
	Addr string

	srv     *dns.Server
	tcpSrv  *dns.Server
	tcp     atomic.Int64
	mu      sync.Mutex
	records map[string][]dns.RR // "TYPE fqdn" → records
	queries map[string]int      // "TYPE fqdn" → queries seen
	fail    map[string]int      // lowercased fqdn → rcode to answer
	total   atomic.Int64
	latency atomic.Int64
	drop    atomic.Int64
	synth   atomic.Bool
	negTTL  atomic.Uint32
}

// Start starts a Server on a random port of 127.0.0.1, UDP and TCP.
func Start() (*Server, error) {
	pc, ln, err := listen()
	if err != nil {
		return nil, err
	}
	// Many clients' queries can arrive in a burst: a larger receive
	// buffer (capped by net.core.rmem_max) keeps the kernel from dropping
	// them.
	_ = pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	s := &Server{
		Addr:    pc.LocalAddr().String(),
		records: map[string][]dns.RR{},
		queries: map[string]int{},
		fail:    map[string]int{},
	}
	s.negTTL.Store(30)
	s.srv = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve)}
	if err := activate(s.srv); err != nil {
		return nil, errors.Join(err, pc.Close(), ln.Close())
	}
	s.tcpSrv = &dns.Server{Listener: ln, Handler: dns.HandlerFunc(s.serve)}
	if err := activate(s.tcpSrv); err != nil {
		return nil, errors.Join(err, s.srv.Shutdown(), ln.Close())
	}
	return s, nil
}

// listen opens a UDP socket and a TCP listener on the same random port.
func listen() (net.PacketConn, net.Listener, error) {
	var errs []error
	for range 10 { // the TCP port may be taken: try another
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		errs = append(errs, err, pc.Close())
	}
	return nil, nil, errors.Join(errs...)
}

// activate starts srv and waits until it serves.
func activate(srv *dns.Server) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	go func() { errc <- srv.ActivateAndServe() }()
	select {
	case <-started:
		return nil
	case err := <-errc:
		return err
	}
}

// Close stops the server and waits for its goroutines to end.
func (s *Server) Close() error {
	return errors.Join(s.srv.Shutdown(), s.tcpSrv.Shutdown())
}

// Add adds records in zone-file syntax ("a.example. 300 IN A 192.0.2.1").
func (s *Server) Add(records ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			return err
		}
		if rr == nil {
			return fmt.Errorf("dnstest: no record in %q", r)
		}
		k := key(rr.Header().Rrtype, rr.Header().Name)
		s.records[k] = append(s.records[k], rr)
	}
	return nil
}

// SetLatency makes the server wait d before answering each query.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Drop makes the server ignore the next n queries (the client times out).
func (s *Server) Drop(n int) { s.drop.Store(int64(n)) }

// Fail makes the server answer every query about name with rcode
// (dns.RcodeServerFailure, say); dns.RcodeSuccess stops that.
func (s *Server) Fail(name string, rcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.ToLower(dns.Fqdn(name))
	if rcode == dns.RcodeSuccess {
		delete(s.fail, name)
		return
	}
	s.fail[name] = rcode
}

// SynthesizePTR makes the server answer every reverse lookup.
func (s *Server) SynthesizePTR(on bool) { s.synth.Store(on) }

// SetNegativeTTL sets the MINIMUM of the SOA sent with NXDOMAIN answers.
func (s *Server) SetNegativeTTL(seconds uint32) { s.negTTL.Store(seconds) }

// Queries returns how many queries of type qtype about name the server has
// seen (dropped ones included).
func (s *Server) Queries(qtype uint16, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[key(qtype, name)]
}

// Total returns how many queries the server has seen, over UDP and TCP.
func (s *Server) Total() int64 { return s.total.Load() }

// TCPQueries returns how many of them came over TCP.
func (s *Server) TCPQueries() int64 { return s.tcp.Load() }

func key(qtype uint16, name string) string {
	return dns.TypeToString[qtype] + " " + strings.ToLower(dns.Fqdn(name))
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.total.Add(1)
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	if !udp {
		s.tcp.Add(1)
	}
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	k := key(q.Qtype, q.Name)
	name := strings.ToLower(q.Name)

	s.mu.Lock()
	s.queries[k]++
	rrs := s.records[k]
	rcode, failing := s.fail[name]
	_, hasName := s.records[key(dns.TypeA, name)]
	if !hasName {
		for rk := range s.records {
			if strings.HasSuffix(rk, " "+name) {
				hasName = true
				break
			}
		}
	}
	s.mu.Unlock()

	if d := time.Duration(s.latency.Load()); d > 0 {
		time.Sleep(d)
	}
	for {
		n := s.drop.Load()
		if n <= 0 {
			break
		}
		if s.drop.CompareAndSwap(n, n-1) {
			return // no answer
		}
	}

	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	switch {
	case failing:
		m.Rcode = rcode
	case len(rrs) > 0:
		m.Answer = rrs
	case q.Qtype == dns.TypePTR && s.synth.Load() && strings.HasSuffix(name, ".in-addr.arpa."):
		labels := strings.Split(strings.TrimSuffix(name, ".in-addr.arpa."), ".")
		for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
			labels[i], labels[j] = labels[j], labels[i]
		}
		m.Answer = []dns.RR{&dns.PTR{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 300},
			Ptr: "host-" + strings.Join(labels, "-") + ".example.",
		}}
	default:
		if !hasName {
			m.Rcode = dns.RcodeNameError
		}
		m.Ns = []dns.RR{&dns.SOA{
			Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns:  "ns.example.", Mbox: "hostmaster.example.",
			Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: s.negTTL.Load(),
		}}
	}
	if udp {
		size := dns.MinMsgSize
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}
