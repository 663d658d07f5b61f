package dns

import (
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzAnswers: no DNS response makes the answer loader panic, and what it
// keeps survives the cache's encoding.
func FuzzAnswers(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	m.Answer = append(m.Answer,
		&dns.CNAME{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: "a.example.com."},
		&dns.A{Hdr: dns.RR_Header{Name: "a.example.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: []byte{192, 0, 2, 1}},
		&dns.TXT{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 30}, Txt: []string{"v=spf1", " -all"}})
	m.Ns = append(m.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: "com.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 900}, Minttl: 300})
	b, err := m.Pack()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	d := &Resolver{maxTTL: time.Hour, negTTL: time.Minute}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := new(dns.Msg)
		if r.Unpack(data) != nil {
			return
		}
		for _, q := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypePTR, dns.TypeTXT} {
			recs, ttl := d.answers(r, q)
			if ttl < 0 || ttl > time.Hour {
				t.Fatalf("ttl %v", ttl)
			}
			got, err := decodeAnswer(encodeAnswer(recs), "n", "t")
			if err != nil || !slices.Equal(got, recs) {
				t.Fatalf("round trip: %q → %q, %v", recs, got, err)
			}
		}
		if ttl := d.negativeTTL(r); ttl < 0 || ttl > time.Hour {
			t.Fatalf("negative ttl %v", ttl)
		}
	})
}

// FuzzDecodeAnswer: no cached value — the cache may be shared and
// corrupt — makes decodeAnswer panic.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(encodeAnswer([]string{"192.0.2.1", "2001:db8::1"}))
	f.Add([]byte{tagNotFound})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		_, _ = decodeAnswer(v, "n", "t")
	})
}
