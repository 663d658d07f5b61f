package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/tidwall/gjson"
)

// bucket returns a number in [0, 10000) fixed by s: which fault a name or
// an event ID gets, the same in every run.
func bucket(s string) int {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int(h.Sum64() % 10000)
}

// counters counts what a fault-injecting server did, by kind.
type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counters) add(kind string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[kind]++
	c.mu.Unlock()
}

func (c *counters) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// seenOnce reports, for a key, whether it was seen before, and marks it.
type seenOnce struct{ m sync.Map }

func (s *seenOnce) first(key string) bool {
	_, loaded := s.m.LoadOrStore(key, struct{}{})
	return !loaded
}

// ---------------------------------------------------------------------------
// DNS: a miekg/dns server on 127.0.0.1 answering every reverse (PTR)
// lookup, with faults fixed by the name asked about.

// DNS faults, by bucket of the name: per 10,000 names.
const (
	dnsTimeout   = 10 // never answered: the lookup times out
	dnsServfail  = 20 // SERVFAIL on every attempt
	dnsNXDomain  = 20 // NXDOMAIN (Substation fails the event too)
	dnsTransient = 50 // the first query is dropped, the retry answered
	dnsFaulty    = dnsTimeout + dnsServfail + dnsNXDomain + dnsTransient
	dnsTTL       = 3600 // seconds, for answers
)

type dnsServer struct {
	udp    *dns.Server
	addr   string
	seen   seenOnce
	counts counters
}

func startDNS() (*dnsServer, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &dnsServer{addr: pc.LocalAddr().String()}
	started := make(chan struct{})
	s.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve), NotifyStartedFunc: func() { close(started) }}
	errc := make(chan error, 1)
	go func() { errc <- s.udp.ActivateAndServe() }()
	select {
	case <-started:
		return s, nil
	case err := <-errc:
		return nil, fmt.Errorf("dns server: %w", err)
	}
}

func (s *dnsServer) close() error { return s.udp.Shutdown() }

func (s *dnsServer) serve(w dns.ResponseWriter, q *dns.Msg) {
	if len(q.Question) != 1 {
		s.counts.add("malformed")
		return
	}
	name := q.Question[0].Name
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	switch b := bucket(name); {
	case q.Question[0].Qtype != dns.TypePTR:
		s.counts.add("not ptr")
		m.Rcode = dns.RcodeNameError
	case b < dnsTimeout:
		s.counts.add("dropped (timeout)")
		return
	case b < dnsTimeout+dnsServfail:
		s.counts.add("servfail")
		m.Rcode = dns.RcodeServerFailure
	case b < dnsTimeout+dnsServfail+dnsNXDomain:
		s.counts.add("nxdomain")
		m.Rcode = dns.RcodeNameError
	case b < dnsFaulty && s.seen.first(name):
		s.counts.add("dropped once (transient)")
		return
	default:
		s.counts.add("answered")
		m.Answer = append(m.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: dnsTTL},
			Ptr: fmt.Sprintf("h%04d.dyn.example.net.", b),
		})
	}
	_ = w.WriteMsg(m)
}

// ---------------------------------------------------------------------------
// HTTP enrichment: GET /v1/event/{id}, with faults fixed by the event ID.

// HTTP faults, by bucket of the event ID: per 10,000 events.
const (
	httpHang          = 5   // every attempt hangs: the client times out
	httpUnavailable   = 20  // 503 on every attempt (retried, then fails)
	httpNotFound      = 20  // 404 (not retried)
	httpThrottledOnce = 100 // 429 on the first attempt, then 200
	httpErrorOnce     = 100 // 500 on the first attempt, then 200
	httpHangOnce      = 20  // the first attempt hangs, then 200
	httpResetOnce     = 50  // the first attempt's connection is closed unanswered
)

type httpEnrichServer struct {
	srv    *http.Server
	url    string
	seen   seenOnce
	counts counters
}

func startHTTPEnrich() (*httpEnrichServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &httpEnrichServer{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *httpEnrichServer) close() error { return s.srv.Close() }

func (s *httpEnrichServer) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/v1/event/")
	if !ok || r.Method != http.MethodGet {
		s.counts.add("bad request")
		http.Error(w, "no such endpoint", http.StatusBadRequest)
		return
	}
	hang := func() {
		// Until the client gives up; bounded so that the server always
		// stops.
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}
	b := bucket(id)
	lim := 0
	in := func(n int) bool { lim += n; return b < lim }
	switch {
	case in(httpHang):
		s.counts.add("hang (timeout)")
		hang()
		return
	case in(httpUnavailable):
		s.counts.add("503")
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	case in(httpNotFound):
		s.counts.add("404")
		http.Error(w, "no such event", http.StatusNotFound)
		return
	case in(httpThrottledOnce) && s.seen.first(id):
		s.counts.add("429 once")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	case in(httpErrorOnce) && s.seen.first(id):
		s.counts.add("500 once")
		http.Error(w, "oops", http.StatusInternalServerError)
		return
	case in(httpHangOnce) && s.seen.first(id):
		s.counts.add("hang once")
		hang()
		return
	case in(httpResetOnce) && s.seen.first(id):
		s.counts.add("reset once")
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.counts.add("200")
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"risk":%d,"seen":true}`, b%100)
}

// ---------------------------------------------------------------------------
// DynamoDB: a reverse proxy in front of dynalite that throttles, fails,
// slows down and drops requests.

// dynamoFaults configures the proxy. Rates are per 10,000 requests, drawn
// from a seeded generator; storms throttle every request for StormFor out
// of every StormEvery, the first one StormEvery/2 after the start.
type dynamoFaults struct {
	Throttle, Error500, Unavailable, Slow, Drop int
	SlowBy                                      time.Duration
	StormEvery, StormFor                        time.Duration
	Seed                                        uint64
}

type dynamoProxy struct {
	srv    *http.Server
	tr     *http.Transport
	url    string
	faults dynamoFaults
	start  time.Time
	mu     sync.Mutex
	rnd    *rand.Rand
	counts counters
	reqs   atomic.Int64
}

func startDynamoProxy(target string, f dynamoFaults) (*dynamoProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("dynamodb endpoint %q: %w", target, err)
	}
	if ap, err := netip.ParseAddrPort(u.Host); err != nil || !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("dynamodb endpoint %q: want a loopback address and port", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &dynamoProxy{
		url: "http://" + ln.Addr().String(), faults: f, start: time.Now(),
		rnd: rand.New(rand.NewPCG(f.Seed, 0x5eed)),
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.tr = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	rp.Transport = p.tr
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		p.counts.add("proxy error")
		w.WriteHeader(http.StatusBadGateway)
	}
	p.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.reqs.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if p.inject(w, r) {
			return
		}
		p.counts.add("forwarded")
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

// close stops the proxy once its handlers have returned (a handler still
// forwarding would put its connection to dynalite back in the pool after
// CloseIdleConnections, and leave it open), then closes the pooled ones.
func (p *dynamoProxy) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	if err != nil {
		err = p.srv.Close()
	}
	p.tr.CloseIdleConnections()
	return err
}

// inject answers r with a fault and returns true, or returns false.
func (p *dynamoProxy) inject(w http.ResponseWriter, r *http.Request) bool {
	f := p.faults
	if f.StormEvery > 0 && f.StormFor > 0 {
		since := time.Since(p.start) - f.StormEvery/2
		if since >= 0 && since%f.StormEvery < f.StormFor {
			p.counts.add("throttled (storm)")
			dynamoError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException",
				"The level of configured provisioned throughput for the table was exceeded.")
			return true
		}
	}
	p.mu.Lock()
	n := p.rnd.IntN(10000)
	p.mu.Unlock()
	lim := 0
	in := func(k int) bool { lim += k; return n < lim }
	switch {
	case in(f.Throttle):
		p.counts.add("throttled")
		dynamoError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException",
			"The level of configured provisioned throughput for the table was exceeded.")
	case in(f.Error500):
		p.counts.add("500")
		dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error")
	case in(f.Unavailable):
		p.counts.add("503")
		dynamoError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "Service unavailable")
	case in(f.Drop):
		p.counts.add("connection dropped")
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case in(f.Slow):
		p.counts.add("slowed")
		select {
		case <-time.After(f.SlowBy):
		case <-r.Context().Done():
			return true
		}
		return false
	default:
		return false
	}
	return true
}

// dynamoError answers as DynamoDB does, with the CRC32 of the body that
// the SDK checks.
func dynamoError(w http.ResponseWriter, status int, code, msg string) {
	body := fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, code, msg)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// ---------------------------------------------------------------------------
// The send's destination: counts every event posted to it, by event ID.
// It never fails: what the run counts as delivered is exactly what
// arrived.

type sinkServer struct {
	srv      *http.Server
	url      string
	fail     int             // per 10,000 request bodies: 503 on every attempt
	bodies   int64           // distinct bodies seen
	refuse   map[uint64]bool // by hash of the body: refused or not
	mu       sync.Mutex
	ids      map[string]int
	requests int64
	items    int64
	bad      int64
	refused  int64 // requests answered 503
}

func startSink(expect, fail int) (*sinkServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sinkServer{url: "http://" + ln.Addr().String() + "/ingest", ids: make(map[string]int, expect), fail: fail, refuse: map[uint64]bool{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sinkServer) close() error { return s.srv.Close() }

func (s *sinkServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	arr := gjson.ParseBytes(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	// Which bodies are refused is decided when each is first seen, so
	// that a run refuses fail/10,000 of its batches whatever they hold,
	// and a refused body is refused again when the send retries it.
	h := fnv.New64a()
	h.Write(body)
	key := h.Sum64()
	refuse, seen := s.refuse[key]
	if !seen {
		k := int64(s.fail)
		refuse = (s.bodies+1)*k/10000 > s.bodies*k/10000
		s.bodies++
		s.refuse[key] = refuse
	}
	if refuse {
		s.refused++
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !arr.IsArray() {
		s.bad++
		http.Error(w, "want a JSON array", http.StatusBadRequest)
		return
	}
	arr.ForEach(func(_, ev gjson.Result) bool {
		s.items++
		id := ev.Get("eventID").String()
		if id == "" {
			s.bad++
			return true
		}
		s.ids[id]++
		return true
	})
	w.WriteHeader(http.StatusOK)
}

// snapshot returns a copy of the counts of the event IDs received.
func (s *sinkServer) snapshot() (ids map[string]int, requests, items, bad int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids, s.requests, s.items, s.bad
}
