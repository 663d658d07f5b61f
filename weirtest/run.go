package weirtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/weirhq/weir"
	weirdns "github.com/weirhq/weir/enrich/dns"
	"github.com/weirhq/weir/enrich/dns/dnstest"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
	"github.com/weirhq/weir/transform/dnstransform"
	"github.com/weirhq/weir/transform/jsonnetconfig"
)

// Output is one event the pipeline returned.
type Output struct {
	// Line is the line of input.ndjson the event came from, or 0 for the
	// events the final flush released.
	Line int
	// Data is the event.
	Data []byte
}

// Failure is an input line the pipeline failed on.
type Failure struct {
	Line int // its line in input.ndjson; 0 for the final flush
	Err  error
}

// Result is what a run of a case returned and how it compares with the
// case's expected.ndjson.
type Result struct {
	// Outputs are the events the pipeline returned, in order.
	Outputs []Output
	// Failures are the inputs the pipeline failed on.
	Failures []Failure
	// Diffs are the differences from expected.ndjson; none when the case
	// passes.
	Diffs []Diff
}

// Passed reports whether the run matched expected.ndjson and no input
// failed.
func (r *Result) Passed() bool { return len(r.Diffs) == 0 && len(r.Failures) == 0 }

// Diff is one difference between an expected event and what came out.
type Diff struct {
	// Line is the input.ndjson line the event came from (0: the final
	// flush, -1: no event came out for this expected one).
	Line int
	// Expected is the line of expected.ndjson (0: no expected event for
	// this output).
	Expected int
	// Fields are the differences, field by field, as
	// `event.outcome: "success" -> "failure"` (expected -> got); for
	// lines that are not both JSON, one entry holding both lines.
	Fields []string
}

// String writes d as the report shows it.
func (d Diff) String() string {
	var b strings.Builder
	switch {
	case d.Line < 0:
		fmt.Fprintf(&b, "%s:%d: missing: no event came out for it", ExpectedFile, d.Expected)
	case d.Expected == 0:
		fmt.Fprintf(&b, "%s: unexpected event (not in %s)", from(d.Line), ExpectedFile)
	default:
		fmt.Fprintf(&b, "%s -> %s:%d (expected -> got):", from(d.Line), ExpectedFile, d.Expected)
	}
	for _, f := range d.Fields {
		b.WriteString("\n    ")
		b.WriteString(f)
	}
	return b.String()
}

func from(line int) string {
	if line == 0 {
		return "end of input (flush)"
	}
	return fmt.Sprintf("%s:%d", InputFile, line)
}

// Report writes the failures and differences of r, one block each.
func (r *Result) Report() string {
	var b strings.Builder
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "%s: pipeline failed: %v\n", from(f.Line), f.Err)
	}
	for _, d := range r.Diffs {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Options change how cases run.
type Options struct {
	// Jsonnet evaluates Jsonnet configs.
	Jsonnet jsonnetconfig.Options
	// Env, if set, returns the Env pipelines are built with, before the
	// case's pins are applied; nil means all.Env (every Substation type).
	Env func() *transform.Env
}

// Run runs the case's input through its pipeline and compares what came
// out with expected.ndjson. The error is for a case that cannot run: a
// bad config or settings. Relative paths in the config are relative to
// the working directory: run the case from its Dir.
func (c *Case) Run(ctx context.Context, opts Options) (*Result, error) {
	b, err := c.ReadConfig(opts.Jsonnet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ConfigPath, err)
	}
	env := all.Env()
	if opts.Env != nil {
		env = opts.Env()
	}
	closePins, err := c.pin(env)
	if err != nil {
		return nil, err
	}
	defer closePins()
	p, err := transform.Parse(ctx, env, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", c.ConfigPath, strings.TrimPrefix(err.Error(), "weir: "))
	}
	defer p.Close()

	res := &Result{}
	run := func(line int, msg *weir.Message) {
		out, err := transform.Apply(ctx, p.Transforms(), msg)
		if err != nil {
			res.Failures = append(res.Failures, Failure{line, err})
			return
		}
		for _, m := range out {
			if !m.IsControl() {
				res.Outputs = append(res.Outputs, Output{line, m.Data()})
			}
		}
	}
	for i, line := range splitLines(c.Input) {
		if len(bytes.TrimSpace(line)) > 0 {
			run(i+1, weir.NewMessage(line))
		}
	}
	run(0, weir.NewControl())
	res.Diffs = compare(c.Expected, res.Outputs, c.Settings.Unordered)
	return res, nil
}

// splitLines splits b at "\n", dropping the "\r" of CRLF line ends and
// the empty line after a final newline.
func splitLines(b []byte) [][]byte {
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), bytes.TrimSuffix(sc.Bytes(), []byte("\r"))...))
	}
	return lines
}

// pin applies the case's settings to env.
func (c *Case) pin(env *transform.Env) (closeAll func(), err error) {
	var closers []func()
	closeAll = func() {
		for _, f := range closers {
			f()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	env.Stdout = io.Discard
	if env.Metrics == nil {
		env.Metrics = discardMetrics{}
	}
	s := c.Settings
	if s.Now != "" {
		now, err := time.Parse(time.RFC3339Nano, s.Now)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: now: %w", c.Path, SettingsFile, err)
		}
		env.Now = func() time.Time { return now }
	}
	if len(s.HTTP) > 0 {
		env.HTTPClient = &http.Client{Transport: httpTable(s.HTTP)}
		env.Files.HTTPClient = env.HTTPClient
	} else {
		env.HTTPClient = &http.Client{Transport: httpTable(nil)}
		env.Files.HTTPClient = env.HTTPClient
	}
	{ // DNS: always pinned, so that no case asks real servers.
		srv, err := dnstest.Start()
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { srv.Close() })
		for _, name := range sortedKeys(s.DNS) {
			for _, rec := range dnsRecords(name, s.DNS[name]) {
				if err := srv.Add(rec); err != nil {
					return nil, fmt.Errorf("%s: %s: dns %q: %w", c.Path, SettingsFile, name, err)
				}
			}
		}
		res, err := weirdns.New(weirdns.Config{Servers: []string{srv.Addr}, Attempts: 2, Timeout: 5 * time.Second})
		if err != nil {
			return nil, err
		}
		closers = append([]func(){func() { res.Close() }}, closers...)
		reg := &transform.Registry{}
		base := env.Transforms
		if base == nil {
			base = all.Transforms()
		}
		pinned := map[string]transform.Factory{
			"enrich_dns_ip_lookup": transform.Typed(func(cfg dnstransform.EnrichDNSConfig) (*dnstransform.EnrichDNS, error) {
				cfg.DNS = res
				return dnstransform.NewEnrichDNSIPLookup(cfg)
			}),
			"enrich_dns_domain_lookup": transform.Typed(func(cfg dnstransform.EnrichDNSConfig) (*dnstransform.EnrichDNS, error) {
				cfg.DNS = res
				return dnstransform.NewEnrichDNSDomainLookup(cfg)
			}),
			"enrich_dns_txt_lookup": transform.Typed(func(cfg dnstransform.EnrichDNSConfig) (*dnstransform.EnrichDNS, error) {
				cfg.DNS = res
				return dnstransform.NewEnrichDNSTXTLookup(cfg)
			}),
		}
		pinned["enrich_dns_text_lookup"] = pinned["enrich_dns_txt_lookup"]
		for _, typ := range base.Types() {
			f, _ := base.Lookup(typ)
			if p, ok := pinned[typ]; ok {
				f = p
			}
			if err := reg.Register(typ, f); err != nil {
				return nil, err
			}
		}
		env.Transforms = reg
	}
	return closeAll, nil
}

// discardMetrics drops what metric transforms report.
type discardMetrics struct{}

func (discardMetrics) Record(context.Context, transform.Metric) {}

// dnsRecords returns the zone-file records of one entry of a DNS table.
func dnsRecords(name string, values []string) []string {
	var recs []string
	if ip := net.ParseIP(name); ip != nil {
		rev, _ := dns.ReverseAddr(name)
		for _, v := range values {
			recs = append(recs, fmt.Sprintf("%s 60 IN PTR %s", rev, dns.Fqdn(v)))
		}
		return recs
	}
	for _, v := range values {
		switch ip := net.ParseIP(v); {
		case ip == nil:
			recs = append(recs, fmt.Sprintf("%s 60 IN TXT %q", dns.Fqdn(name), v))
		case ip.To4() != nil:
			recs = append(recs, fmt.Sprintf("%s 60 IN A %s", dns.Fqdn(name), v))
		default:
			recs = append(recs, fmt.Sprintf("%s 60 IN AAAA %s", dns.Fqdn(name), v))
		}
	}
	return recs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// httpTable answers requests from a table of pinned responses.
type httpTable map[string]HTTPResponse

// errNotPinned is matched by the error of a request the case did not pin.
var errNotPinned = errors.New("weirtest: no pinned HTTP response")

func (t httpTable) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	url := req.URL.String()
	r, ok := t[req.Method+" "+url]
	if !ok {
		r, ok = t[url]
	}
	if !ok {
		return nil, fmt.Errorf("%w for %s %s (add it to %s's \"http\")", errNotPinned, req.Method, url, SettingsFile)
	}
	body := []byte(r.Body)
	var s string
	if json.Unmarshal(r.Body, &s) == nil {
		body = []byte(s)
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}, nil
}

// compare compares the expected lines with the outputs.
func compare(expected []byte, outputs []Output, unordered bool) []Diff {
	type want struct {
		line int
		data []byte
	}
	var wants []want
	for i, l := range splitLines(expected) {
		if len(bytes.TrimSpace(l)) > 0 {
			wants = append(wants, want{i + 1, l})
		}
	}
	var diffs []Diff
	if unordered {
		// Set aside the exact matches; pair what is left in order.
		used := make([]bool, len(wants))
		var got []Output
	next:
		for _, o := range outputs {
			for j, w := range wants {
				if !used[j] && len(diffFields(w.data, o.Data)) == 0 {
					used[j] = true
					continue next
				}
			}
			got = append(got, o)
		}
		var left []want
		for j, w := range wants {
			if !used[j] {
				left = append(left, w)
			}
		}
		wants, outputs = left, got
	}
	for i := 0; i < max(len(wants), len(outputs)); i++ {
		switch {
		case i >= len(outputs):
			diffs = append(diffs, Diff{Line: -1, Expected: wants[i].line})
		case i >= len(wants):
			diffs = append(diffs, Diff{Line: outputs[i].Line, Fields: []string{"got " + string(outputs[i].Data)}})
		default:
			if f := diffFields(wants[i].data, outputs[i].Data); len(f) > 0 {
				diffs = append(diffs, Diff{Line: outputs[i].Line, Expected: wants[i].line, Fields: f})
			}
		}
	}
	return diffs
}

// diffFields compares two events field by field: `path: want -> got`.
func diffFields(want, got []byte) []string {
	w, werr := decodeJSON(want)
	g, gerr := decodeJSON(got)
	if werr != nil || gerr != nil {
		if bytes.Equal(want, got) {
			return nil
		}
		return []string{fmt.Sprintf("expected %s", want), fmt.Sprintf("got      %s", got)}
	}
	var rep fieldReporter
	cmp.Equal(w, g, cmp.Reporter(&rep))
	return rep.diffs
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// fieldReporter collects go-cmp's differences as `path: want -> got`.
type fieldReporter struct {
	path  cmp.Path
	diffs []string
}

func (r *fieldReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *fieldReporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *fieldReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	want, got := r.path.Last().Values()
	r.diffs = append(r.diffs, fmt.Sprintf("%s: %s -> %s", fieldPath(r.path), show(want), show(got)))
}

// fieldPath writes a go-cmp path through decoded JSON as a dotted path
// ("event.category.0"), or "(the whole event)".
func fieldPath(p cmp.Path) string {
	var parts []string
	for _, step := range p {
		switch s := step.(type) {
		case cmp.MapIndex:
			parts = append(parts, s.Key().String())
		case cmp.SliceIndex:
			i, j := s.SplitKeys()
			if i < 0 {
				i = j
			}
			parts = append(parts, fmt.Sprint(i))
		}
	}
	if len(parts) == 0 {
		return "(the whole event)"
	}
	return strings.Join(parts, ".")
}

// show writes a value of a decoded JSON document as JSON, or "(missing)".
func show(rv reflect.Value) string {
	if !rv.IsValid() {
		return "(missing)"
	}
	b, err := json.Marshal(rv.Interface())
	if err != nil {
		return fmt.Sprint(rv.Interface())
	}
	return string(b)
}
