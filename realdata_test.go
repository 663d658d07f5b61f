package weir_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
)

// The real-data replay feeds real public logs through the transform configs
// of Substation's vectors and example pipelines and compares Weir's output
// with what Substation v2.8.0 wrote for the same input
// (testdata/conformance/substation-v2-realdata, see its README for how the
// reference was made and replayed). Each remaining difference is listed in
// realdataDifferences with its count and explained in
// docs/substation-compatibility.md.

const realdataFile = "testdata/conformance/substation-v2-realdata/vectors.ndjson.gz"

type realdataCase struct {
	Input   string   `json:"input"`
	Error   bool     `json:"error"`
	Outputs []string `json:"outputs"`
}

type realdataConfig struct {
	Name       string         `json:"name"`
	Transforms []weir.Config  `json:"transforms"`
	Cases      []realdataCase `json:"cases"`
	Flush      realdataCase   `json:"flush"`
}

// realdataDifferences lists, per config, how many cases (inputs and the
// final flush) may differ from Substation's, each difference explained in
// docs/substation-compatibility.md. The count is exact: a config that
// starts to agree must leave this list too.
var realdataDifferences = map[string]int{
	// A message larger than batch.size: Substation drops the open batch
	// and releases an empty message at the next control message; Weir
	// keeps the batch (ledger: "aggregate_to_*: a message larger than
	// batch.size").
	"aggregate_to_array.json:data max_size":  1,
	"aggregate_to_string.json:data max_size": 1,
	// Input that is not JSON (typos in Substation's own vectors:
	// `{"a":"bC"})`): Substation writes into it and returns broken JSON;
	// Weir fails the write with weir.ErrInvalidData and leaves the data as
	// it was (ledger: "writing into data that is not JSON").
	"object_copy.json:unescape object": 1,
	"string_to_snake.json:object":      1,
}

// realdataMemberOrder lists the configs whose outputs Substation writes
// member by member from a Go map, in random order: the same Substation run
// twice gives different bytes. Their outputs are compared as objects, each
// member's JSON text byte for byte, the order of the members aside (Weir
// writes them in the order of the input).
var realdataMemberOrder = map[string]bool{
	"aggregate_from_array.json:object":              true,
	"aggregate_from_array.json:object with set_key": true,
}

func readRealdata(t testing.TB) []realdataConfig {
	t.Helper()
	f, err := os.Open(filepath.FromSlash(realdataFile))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	var out []realdataConfig
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var c realdataConfig
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		out = append(out, c)
	}
	require.NoError(t, sc.Err())
	return out
}

// realdataResult is what one case gave: an error, or its outputs.
type realdataResult struct {
	err     error
	outputs []string
}

func (r realdataResult) agrees(want realdataCase, anyOrder bool) bool {
	if want.Error || r.err != nil {
		return want.Error == (r.err != nil)
	}
	if len(want.Outputs) != len(r.outputs) {
		return false
	}
	for i := range want.Outputs {
		if want.Outputs[i] != r.outputs[i] && !(anyOrder && sameMembers(want.Outputs[i], r.outputs[i])) {
			return false
		}
	}
	return true
}

// sameMembers reports whether a and b are JSON objects with the same
// members, each member's text the same bytes, in any order.
func sameMembers(a, b string) bool {
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal([]byte(a), &ma) != nil || json.Unmarshal([]byte(b), &mb) != nil || len(ma) != len(mb) {
		return false
	}
	for k, va := range ma {
		if vb, ok := mb[k]; !ok || string(va) != string(vb) {
			return false
		}
	}
	return true
}

// asStored is how the reference stores output bytes: as a JSON string, so
// that each byte that is not part of valid UTF-8 reads back as U+FFFD.
func asStored(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		s.WriteRune(r)
		b = b[n:]
	}
	return s.String()
}

// replayRealdata runs one config as the reference was made: one pipeline,
// each input through it alone, then one control message.
func replayRealdata(ctx context.Context, t testing.TB, env *transform.Env, c realdataConfig) []realdataResult {
	t.Helper()
	p, err := transform.NewPipeline(ctx, env, c.Transforms)
	require.NoError(t, err, c.Name)
	defer p.Close()
	run := func(msg *weir.Message) realdataResult {
		out, err := transform.Apply(ctx, p.Transforms(), msg)
		if err != nil {
			return realdataResult{err: err}
		}
		var r realdataResult
		for _, m := range out {
			if !m.IsControl() {
				r.outputs = append(r.outputs, asStored(m.Data()))
			}
		}
		return r
	}
	res := make([]realdataResult, 0, len(c.Cases)+1)
	for _, cs := range c.Cases {
		res = append(res, run(weir.NewMessage([]byte(cs.Input))))
	}
	return append(res, run(weir.NewControl()))
}

// TestConformanceRealData replays the set and compares every case with
// Substation's output. Run it with -v for the count per config, and with
// WEIR_REALDATA_DIFF=1 for where each differing case differs.
func TestConformanceRealData(t *testing.T) {
	ctx := context.Background()
	configs := readRealdata(t)
	var total, agree int
	var lines, every []string
	for _, c := range configs {
		env := all.Env()
		res := replayRealdata(ctx, t, env, c)
		want := append(append([]realdataCase(nil), c.Cases...), c.Flush)
		n := 0
		for i, r := range res {
			if r.agrees(want[i], realdataMemberOrder[c.Name]) {
				n++
				continue
			}
			if testing.Verbose() && os.Getenv("WEIR_REALDATA_DIFF") != "" {
				t.Logf("%s case %d:\n  input %.300q\n  want  err=%v %d outputs\n  got   err=%v %d outputs\n%s", c.Name, i, inputOf(want, i), want[i].Error, len(want[i].Outputs), r.err, len(r.outputs), firstDiff(want[i].Outputs, r.outputs))
			}
		}
		total += len(res)
		agree += n
		line := fmt.Sprintf("  %-55s %4d of %4d agree", c.Name, n, len(res))
		every = append(every, line)
		if n != len(res) {
			lines = append(lines, line)
		}
		assert.Equal(t, realdataDifferences[c.Name], len(res)-n, "%s: cases that differ from Substation (ledger: docs/substation-compatibility.md)", c.Name)
	}
	t.Logf("real-data replay, per config:\n%s", strings.Join(every, "\n"))
	t.Logf("real-data replay: %d of %d cases agree with Substation (%.2f%%), %d configs; configs that differ:\n%s",
		agree, total, 100*float64(agree)/float64(total), len(configs), strings.Join(lines, "\n"))
}

func inputOf(cs []realdataCase, i int) string {
	if i < len(cs)-1 {
		return cs[i].Input
	}
	return "<control>"
}

// firstDiff shows where two lists of outputs first differ.
func firstDiff(want, got []string) string {
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w == g {
			continue
		}
		j := 0
		for j < len(w) && j < len(g) && w[j] == g[j] {
			j++
		}
		from := max(0, j-80)
		var ma, mb map[string]json.RawMessage
		if json.Unmarshal([]byte(w), &ma) == nil && json.Unmarshal([]byte(g), &mb) == nil {
			var d []string
			for k, v := range ma {
				if string(mb[k]) != string(v) {
					d = append(d, fmt.Sprintf("    member %q: want %.150s got %.150s", k, v, mb[k]))
				}
			}
			for k, v := range mb {
				if _, ok := ma[k]; !ok {
					d = append(d, fmt.Sprintf("    member %q: want none got %.150s", k, v))
				}
			}
			sort.Strings(d)
			if len(d) > 0 {
				return fmt.Sprintf("  output %d members differ:\n%s", i, strings.Join(d, "\n"))
			}
		}
		return fmt.Sprintf("  output %d differs at byte %d:\n    want …%.200q\n    got  …%.200q", i, j, w[from:], g[from:])
	}
	return ""
}

// TestConformanceRealDataStrict replays the set in strict mode beside the
// default: a case the default coerced fails in strict mode with a
// *weir.CoercionError, and every other case gives the same result in both.
// It reports how many cases coerced.
func TestConformanceRealDataStrict(t *testing.T) {
	ctx := context.Background()
	var coerced, total int
	perType := map[string]int64{}
	for _, c := range readRealdata(t) {
		def, err := transform.NewPipeline(ctx, all.Env(), c.Transforms)
		require.NoError(t, err, c.Name)
		senv := all.Env()
		senv.Strict = true
		strict, err := transform.NewPipeline(ctx, senv, c.Transforms)
		require.NoError(t, err, c.Name)

		inputs := make([]*weir.Message, 0, len(c.Cases)+1)
		for _, cs := range c.Cases {
			inputs = append(inputs, weir.NewMessage([]byte(cs.Input)))
		}
		inputs = append(inputs, weir.NewControl())
		for i, in := range inputs {
			before := def.Coercions().Total()
			dout, derr := transform.Apply(ctx, def.Transforms(), in.Clone())
			n := def.Coercions().Total() - before
			sout, serr := transform.Apply(ctx, strict.Transforms(), in)
			total++
			if n > 0 {
				coerced++
				var ce *weir.CoercionError
				if assert.ErrorAs(t, serr, &ce, "%s case %d: coerced by default", c.Name, i) {
					assert.ErrorIs(t, serr, weir.ErrInvalidData)
					assert.LessOrEqual(t, len(ce.Value), weir.MaxCoercionValue+len("…"))
				}
				continue
			}
			if !assert.Equal(t, derr != nil, serr != nil, "%s case %d: %v / %v", c.Name, i, derr, serr) || derr != nil {
				continue
			}
			assert.Equal(t, dataOf(dout), dataOf(sout), "%s case %d", c.Name, i)
		}
		for _, k := range def.Coercions().Counts() {
			perType[k.Type] += k.Count
		}
		require.NoError(t, def.Close())
		require.NoError(t, strict.Close())
	}
	types := sortedKeys(perType)
	var b strings.Builder
	for _, typ := range types {
		fmt.Fprintf(&b, "  %-34s %4d\n", typ, perType[typ])
	}
	t.Logf("strict replay: %d of %d cases coerced by default (errors in strict mode); coercions per type:\n%s", coerced, total, b.String())
}

func dataOf(ms []*weir.Message) []string {
	var out []string
	for _, m := range ms {
		if !m.IsControl() {
			out = append(out, string(m.Data()))
		}
	}
	return out
}
