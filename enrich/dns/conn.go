package dns

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// udpConnsPerServer is how many UDP sockets a DNS keeps open to each
// server. Queries are spread over them round robin; each socket carries up
// to 65,536 queries in flight, told apart by message ID, and has one reader
// goroutine. A few sockets spread the readers' work over the cores and give
// answers a few source ports.
const udpConnsPerServer = 4

// udpReadBuffer is the receive buffer asked for each UDP socket.
const udpReadBuffer = 1 << 20

// errAttemptTimeout is an attempt's timeout, turned into ErrTimeout by the
// caller once every attempt failed.
var errAttemptTimeout = errors.New("enrich: DNS attempt timed out")

// udpPool is the UDP sockets to one server, opened at their first use.
type udpPool struct {
	addr  string
	next  atomic.Uint32
	mu    sync.Mutex
	conns [udpConnsPerServer]*udpConn
	close bool
}

// udpConn is a connected UDP socket on which many queries are in flight,
// each waiting under its message ID for the reader goroutine to hand it
// the answer whose ID and question match its own.
type udpConn struct {
	conn    *net.UDPConn
	done    chan struct{} // closed when the reader has returned
	mu      sync.Mutex
	pending map[uint16]*dnsWaiter
}

// dnsWaiter is a query waiting for its answer.
type dnsWaiter struct {
	q  dns.Question
	ch chan *dns.Msg // buffered: the reader never blocks
}

// get returns an open socket, opening (or reopening, if its reader
// stopped on an error) the one whose turn it is.
func (p *udpPool) get() (*udpConn, error) {
	i := p.next.Add(1) % udpConnsPerServer
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.close {
		return nil, ErrClosed
	}
	if c := p.conns[i]; c != nil {
		select {
		case <-c.done:
		default:
			return c, nil
		}
	}
	raddr, err := net.ResolveUDPAddr("udp", p.addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, err
	}
	// Answers to many queries can arrive in a burst: a larger receive
	// buffer keeps the kernel from dropping them (best effort; the system
	// caps it at net.core.rmem_max).
	_ = conn.SetReadBuffer(udpReadBuffer)
	c := &udpConn{conn: conn, done: make(chan struct{}), pending: map[uint16]*dnsWaiter{}}
	go c.read()
	p.conns[i] = c
	return c, nil
}

// closeAll closes the sockets and waits for their readers to return;
// later get calls fail with ErrClosed.
func (p *udpPool) closeAll() error {
	p.mu.Lock()
	p.close = true
	conns := p.conns
	p.mu.Unlock()
	var errs []error
	for _, c := range conns {
		if c == nil {
			continue
		}
		if err := c.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		<-c.done
	}
	return errors.Join(errs...)
}

// exchange sends m (its ID replaced by a random one free on the socket)
// and waits at most timeout for the answer.
func (p *udpPool) exchange(m *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	c, err := p.get()
	if err != nil {
		return nil, err
	}
	w := &dnsWaiter{q: m.Question[0], ch: make(chan *dns.Msg, 1)}
	c.mu.Lock()
	id := uint16(rand.Uint32())
	for c.pending[id] != nil {
		id++
	}
	c.pending[id] = w
	c.mu.Unlock()

	m.Id = id
	b, err := m.Pack()
	if err == nil {
		_, err = c.conn.Write(b)
	}
	if err != nil {
		c.forget(id, w)
		return nil, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-w.ch:
		return r, nil
	case <-t.C:
		c.forget(id, w)
		return nil, errAttemptTimeout
	case <-c.done:
		c.forget(id, w)
		return nil, ErrClosed
	}
}

// forget stops waiting for the answer to query id.
func (c *udpConn) forget(id uint16, w *dnsWaiter) {
	c.mu.Lock()
	if c.pending[id] == w {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// read hands each answer to the query it answers, until the socket is
// closed or fails. Datagrams that answer no query in flight — an unknown
// ID, another question, not a response, malformed — are dropped, so a
// spoofed answer must guess both the ID and the question.
func (c *udpConn) read() {
	defer close(c.done)
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			// A connected UDP socket reports an ICMP "port unreachable"
			// from the server as a read error: the queries then time out.
			if errors.Is(err, syscall.ECONNREFUSED) {
				continue
			}
			return
		}
		if n < 12 {
			continue
		}
		id := binary.BigEndian.Uint16(buf)
		c.mu.Lock()
		w := c.pending[id]
		c.mu.Unlock()
		if w == nil {
			continue
		}
		r := new(dns.Msg)
		if err := r.Unpack(buf[:n]); err != nil || !r.Response || len(r.Question) != 1 || !sameQuestion(r.Question[0], w.q) {
			continue
		}
		c.mu.Lock()
		mine := c.pending[id] == w
		if mine {
			delete(c.pending, id)
		}
		c.mu.Unlock()
		if mine {
			w.ch <- r
		}
	}
}

// sameQuestion reports whether a and b ask the same thing; names compare
// without regard to case, as servers may echo them in another one.
func sameQuestion(a, b dns.Question) bool {
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && strings.EqualFold(a.Name, b.Name)
}
