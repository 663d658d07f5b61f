package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/bench"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/internal/ctgen"
	"github.com/weirhq/weir/transform"
)

// The W1 corpora and their reference outputs (w1_reference.py); see
// testdata/w1/README.md.
var w1Corpora = []struct{ name, input, reference string }{
	{"generated", "../testdata/w1/cloudtrail.ndjson", "../testdata/w1/reference.ndjson"},
	{"edge", "../testdata/w1/edge.ndjson", "../testdata/w1/edge-reference.ndjson"},
}

// engine is one implementation of W1: a function from a record to its
// output.
type engine struct {
	name string
	run  func(line []byte) ([]byte, error)
}

// w1Engines builds the three implementations. A pipeline that cannot be
// built fails the test, naming the type that is missing if that is why.
func w1Engines(tb testing.TB) []engine {
	tb.Helper()
	ctx := context.Background()
	fromConfig, err := bench.NewW1FromConfig(ctx)
	requireBuilt(tb, "config", err)
	typed, err := bench.NewW1Typed()
	requireBuilt(tb, "typed", err)
	idiomatic, err := bench.NewW1Idiomatic(ctx)
	requireBuilt(tb, "idiomatic", err)
	return []engine{
		{"config", pipelineRun(ctx, fromConfig)},
		{"typed", pipelineRun(ctx, typed)},
		{"idiomatic", pipelineRun(ctx, idiomatic)},
		{"floor", func(line []byte) ([]byte, error) { return bench.W1Floor(nil, line), nil }},
	}
}

func requireBuilt(tb testing.TB, name string, err error) {
	tb.Helper()
	if errors.Is(err, weir.ErrUnknownType) {
		tb.Fatalf("W1 %s pipeline: it uses a type that is not registered yet: %v", name, err)
	}
	require.NoError(tb, err, "W1 %s pipeline", name)
}

// pipelineRun returns a function that runs one record through t, which must
// return exactly one message.
func pipelineRun(ctx context.Context, t transform.Transformer) func([]byte) ([]byte, error) {
	return func(line []byte) ([]byte, error) {
		out, err := t.Transform(ctx, weir.NewMessage(line))
		if err != nil {
			return nil, err
		}
		if len(out) != 1 {
			return nil, fmt.Errorf("pipeline returned %d messages, want 1", len(out))
		}
		return out[0].Data(), nil
	}
}

// readLines returns the non-empty lines of an NDJSON file.
func readLines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	require.NoError(tb, err)
	var out [][]byte
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	return out
}

func TestW1MatchesReference(t *testing.T) {
	t.Parallel()
	engines := w1Engines(t)
	for _, c := range w1Corpora {
		in := readLines(t, c.input)
		want := readLines(t, c.reference)
		require.Len(t, want, len(in), "%s: one reference line per record", c.name)
		for _, e := range engines {
			t.Run(c.name+"/"+e.name, func(t *testing.T) {
				t.Parallel()
				for i, line := range in {
					got, err := e.run(bytes.Clone(line))
					require.NoError(t, err, "record %d: %s", i+1, line)
					assert.JSONEq(t, string(want[i]), string(got), "record %d: %s", i+1, line)
				}
			})
		}
	}
}

func TestW1ConfigInSync(t *testing.T) {
	t.Parallel()
	canonical, err := os.ReadFile("../testdata/w1/pipeline.json")
	require.NoError(t, err)
	assert.Equal(t, string(canonical), string(bench.W1ConfigJSON()),
		"bench/testdata/w1-pipeline.json must be a copy of testdata/w1/pipeline.json: cp testdata/w1/pipeline.json bench/testdata/w1-pipeline.json")
	idiomatic, err := os.ReadFile("../testdata/w1/idiomatic.json")
	require.NoError(t, err)
	assert.Equal(t, string(idiomatic), string(bench.W1IdiomaticJSON()),
		"bench/testdata/w1-idiomatic.json must be a copy of testdata/w1/idiomatic.json")
}

// TestW1ConfigUsesOnlyBuiltins names every type of the W1 config that the
// core registries (transform.Builtins, condition.Builtins: what
// NewW1FromConfig builds with) do not hold: the reason it would fail.
func TestW1ConfigUsesOnlyBuiltins(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, name := range transform.Builtins().Types() {
		known[name] = true
	}
	for _, name := range condition.Builtins().Types() {
		known[name] = true
	}
	var doc any
	require.NoError(t, json.Unmarshal(bench.W1ConfigJSON(), &doc))
	var missing []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if typ, ok := v["type"].(string); ok && !known[typ] && !slices.Contains(missing, typ) {
				missing = append(missing, typ)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	assert.Empty(t, missing, "the W1 config uses types that are not registered yet")
}

func TestW1FloorMalformed(t *testing.T) {
	t.Parallel()
	line := readLines(t, "../testdata/w1/cloudtrail.ndjson")[0]
	dst := []byte("prefix")
	for _, in := range []string{"", " ", "{", "}", "[]", "null", `"s"`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `{a:1}`, `{"a":"b}`, `{"a":[1,2}`, `{} x`} {
		assert.Equal(t, "prefix", string(bench.W1Floor(dst, []byte(in))), "input %q", in)
	}
	// Every truncation of a record is rejected without a panic.
	for n := range len(line) - 1 {
		assert.Equal(t, "prefix", string(bench.W1Floor(dst, line[:n])), "first %d bytes", n)
	}
}

func FuzzW1Floor(f *testing.F) {
	for _, path := range []string{"../testdata/w1/edge.ndjson"} {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		out := bench.W1Floor(nil, line)
		if len(out) > 0 && json.Valid(line) {
			assert.True(t, json.Valid(out), "output is not JSON: %s", out)
		}
	})
}

// benchCorpusSize is the number of generated records the benchmarks cycle
// through, and the number of records checked before timing.
const benchCorpusSize = 2000

// benchCorpusEnv names an environment variable that, when set, gives the
// NDJSON file of records the W1 benchmarks cycle through instead of the
// generated ones. bench/run.sh sets it so that Weir and the peer harnesses
// run over the same corpus file.
const benchCorpusEnv = "WEIR_W1_CORPUS"

// benchCorpus returns the benchmark records (the first benchCorpusSize of
// `gen_cloudtrail.py N 42`, or the file named by $WEIR_W1_CORPUS) after
// checking that every engine gives the same output for each of the first
// benchCorpusSize, as parsed JSON. The floor is checked against the
// reference output by TestW1MatchesReference (and by bench/run.sh).
func benchCorpus(b *testing.B, engines []engine) [][]byte {
	b.Helper()
	var recs [][]byte
	if path := os.Getenv(benchCorpusEnv); path != "" {
		recs = readLines(b, path)
		require.NotEmpty(b, recs, "%s=%s holds no records", benchCorpusEnv, path)
	} else {
		recs = ctgen.Generate(benchCorpusSize, 42)
	}
	for i, rec := range recs[:min(len(recs), benchCorpusSize)] {
		var first any
		for j, e := range engines {
			out, err := e.run(rec)
			require.NoError(b, err, "%s, record %d", e.name, i)
			var v any
			require.NoError(b, json.Unmarshal(out, &v), "%s, record %d", e.name, i)
			if j == 0 {
				first = v
				continue
			}
			if !reflect.DeepEqual(first, v) {
				b.Fatalf("record %d: %s and %s differ:\n%s", i, engines[0].name, e.name, out)
			}
		}
	}
	return recs
}

func avgLen(recs [][]byte) int64 {
	var n int
	for _, r := range recs {
		n += len(r)
	}
	return int64(n / len(recs))
}

// reportCPU reports the process CPU time per op since start (user and
// system, GC included) as cpu-ns/op, where it can be read.
func reportCPU(b *testing.B, start time.Duration, ok bool) {
	if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkW1 measures one event per op (so ns/op is ns/event and allocs/op
// allocs/event) on one goroutine, cycling through the corpus. cpu-ns/op is
// the process CPU time per event, garbage collection included: on a shared
// machine it is steadier than ns/op.
func BenchmarkW1(b *testing.B) {
	engines := w1Engines(b)
	recs := benchCorpus(b, engines)
	ctx := context.Background()
	fromConfig, err := bench.NewW1FromConfig(ctx)
	require.NoError(b, err)
	typed, err := bench.NewW1Typed()
	require.NoError(b, err)
	idiomatic, err := bench.NewW1Idiomatic(ctx)
	require.NoError(b, err)

	// config and typed reuse one Message (Message.Reset), as a loop that
	// handles one event at a time can, and as the floor reuses its output
	// buffer; config-new and idiomatic-new make a new Message per event, as
	// stream and weir run do.
	for _, p := range []struct {
		name  string
		t     transform.Transformer
		reuse bool
	}{
		{"config", fromConfig, true}, {"typed", typed, true}, {"config-new", fromConfig, false},
		{"idiomatic", idiomatic, true}, {"idiomatic-new", idiomatic, false},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(avgLen(recs))
			i := 0
			msg := weir.NewMessage(nil)
			start, ok := cpuTime()
			for b.Loop() {
				if p.reuse {
					msg.Reset(recs[i])
				} else {
					msg = weir.NewMessage(recs[i])
				}
				out, err := p.t.Transform(ctx, msg)
				if err != nil || len(out) != 1 || len(out[0].Data()) == 0 {
					b.Fatalf("record %d: %v", i, err)
				}
				if i++; i == len(recs) {
					i = 0
				}
			}
			reportCPU(b, start, ok)
		})
	}
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(avgLen(recs))
		buf := make([]byte, 0, 16<<10)
		i := 0
		start, ok := cpuTime()
		for b.Loop() {
			buf = bench.W1Floor(buf[:0], recs[i])
			if len(buf) == 0 {
				b.Fatalf("record %d: no output", i)
			}
			if i++; i == len(recs) {
				i = 0
			}
		}
		reportCPU(b, start, ok)
	})
}

// BenchmarkW1Parallel is BenchmarkW1 on GOMAXPROCS goroutines sharing one
// pipeline, as a stream's workers would.
func BenchmarkW1Parallel(b *testing.B) {
	engines := w1Engines(b)
	recs := benchCorpus(b, engines)
	ctx := context.Background()
	fromConfig, err := bench.NewW1FromConfig(ctx)
	require.NoError(b, err)
	typed, err := bench.NewW1Typed()
	require.NoError(b, err)

	for _, p := range []struct {
		name string
		t    transform.Transformer
	}{{"config", fromConfig}, {"typed", typed}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(avgLen(recs))
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					out, err := p.t.Transform(ctx, weir.NewMessage(recs[i]))
					if err != nil || len(out) != 1 {
						b.Errorf("record %d: %v", i, err)
						return
					}
					if i++; i == len(recs) {
						i = 0
					}
				}
			})
		})
	}
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(avgLen(recs))
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, 0, 16<<10)
			i := 0
			for pb.Next() {
				buf = bench.W1Floor(buf[:0], recs[i])
				if i++; i == len(recs) {
					i = 0
				}
			}
		})
	})
}
