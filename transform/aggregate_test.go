package transform_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// aggVectorDir holds the repository's copy of the transform vectors.
const aggVectorDir = "../testdata/conformance/substation-v2/transform"

// aggFeed sends each data through tf, then a control message if flush is
// set, and returns the data of the non-control outputs and the number of
// control messages out.
func aggFeed(t testing.TB, tf transform.Transformer, flush bool, data ...string) (out []string, ctrls int) {
	t.Helper()
	ctx := context.Background()
	for _, d := range data {
		res, err := tf.Transform(ctx, weir.NewMessage([]byte(d)))
		require.NoError(t, err, "input %q", d)
		for _, r := range res {
			require.False(t, r.IsControl(), "a control message out of a data message")
			out = append(out, string(r.Data()))
		}
	}
	if flush {
		res, err := tf.Transform(ctx, weir.NewControl())
		require.NoError(t, err)
		require.NotEmpty(t, res)
		require.True(t, res[len(res)-1].IsControl(), "the control message comes last")
		for _, r := range res {
			if r.IsControl() {
				ctrls++
				continue
			}
			out = append(out, string(r.Data()))
		}
	}
	return out, ctrls
}

// aggNew builds a transform from a JSON config.
func aggNew(t testing.TB, config string) transform.Transformer {
	t.Helper()
	var cfg weir.Config
	dec := json.NewDecoder(strings.NewReader(config))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&cfg))
	tf, err := transform.New(context.Background(), cfg)
	require.NoError(t, err)
	return tf
}

// TestAggregateVectors replays Substation's vectors for the aggregate types.
func TestAggregateVectors(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(aggVectorDir, "aggregate_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	type msg struct {
		Data     string          `json:"data"`
		Metadata json.RawMessage `json:"metadata"`
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var vs []struct {
			Name      string          `json:"name"`
			Config    json.RawMessage `json:"config"`
			Input     []msg           `json:"input"`
			Flush     bool            `json:"flush"`
			Expected  []msg           `json:"expected"`
			Unordered bool            `json:"unordered"`
		}
		require.NoError(t, json.Unmarshal(b, &vs))
		for _, v := range vs {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".json")+"/"+v.Name, func(t *testing.T) {
				t.Parallel()
				tf := aggNew(t, string(v.Config))
				var in []string
				for _, m := range v.Input {
					in = append(in, m.Data)
				}
				got, _ := aggFeed(t, tf, v.Flush, in...)
				want := []string{}
				for _, m := range v.Expected {
					want = append(want, m.Data)
				}
				if got == nil {
					got = []string{}
				}
				// Weir's output order is deterministic even where
				// Substation's is not: compare it exactly.
				assert.Equal(t, want, got)
			})
		}
	}
}

func TestAggregateToArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		in     []string
		want   []string // before the control message
		flush  []string // released by it
	}{
		{
			// As in Substation: the message that does not fit releases it.
			name:   "a full batch is released by the next message",
			config: `{"type":"aggregate_to_array","settings":{"batch":{"count":2}}}`,
			in:     []string{`{"a":1}`, `{"b":2}`, `{"c":3}`},
			want:   []string{`[{"a":1},{"b":2}]`},
			flush:  []string{`[{"c":3}]`},
		},
		{
			name:   "a full batch waits",
			config: `{"type":"aggregate_to_array","settings":{"batch":{"count":2}}}`,
			in:     []string{`{"a":1}`, `{"b":2}`},
			flush:  []string{`[{"a":1},{"b":2}]`},
		},
		{
			name:   "batch keys flush in first-seen order",
			config: `{"type":"aggregate_to_array","settings":{"object":{"batch_key":"k"}}}`,
			in:     []string{`{"k":"y","n":1}`, `{"k":"x","n":2}`, `{"n":3}`, `{"k":"y","n":4}`},
			flush:  []string{`[{"k":"y","n":1},{"k":"y","n":4}]`, `[{"k":"x","n":2}]`, `[{"n":3}]`},
		},
		{
			name:   "metadata target",
			config: `{"type":"aggregate_to_array","settings":{"object":{"target_key":"meta agg"}}}`,
			in:     []string{`1`, `"x"`},
			flush:  []string{``},
		},
		{
			name:   "empty data is left out of the array",
			config: `{"type":"aggregate_to_array"}`,
			in:     []string{`{"a":1}`, ``, `2`},
			flush:  []string{`[{"a":1},2]`},
		},
		{
			name:   "non-JSON data at a target is a string",
			config: `{"type":"aggregate_to_array","settings":{"object":{"target_key":"x"}}}`,
			in:     []string{`not json`},
			flush:  []string{`{"x":"[not json]"}`},
		},
		{
			name:   "nothing held, nothing released",
			config: `{"type":"aggregate_to_array"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf := aggNew(t, tt.config)
			got, _ := aggFeed(t, tf, false, tt.in...)
			assert.Equal(t, tt.want, got, "before the control message")
			got, ctrls := aggFeed(t, tf, true)
			assert.Equal(t, tt.flush, got, "released by the control message")
			assert.Equal(t, 1, ctrls)
			got, _ = aggFeed(t, tf, true)
			assert.Empty(t, got, "a second control message releases nothing")
		})
	}
}

func TestAggregateToArrayMetadataTarget(t *testing.T) {
	t.Parallel()
	tf := aggNew(t, `{"type":"aggregate_to_array","settings":{"object":{"target_key":"meta agg"}}}`)
	_, _ = aggFeed(t, tf, false, `1`, `{"a":"b"}`)
	out, err := tf.Transform(context.Background(), weir.NewControl())
	require.NoError(t, err)
	require.Len(t, out, 2)
	assert.Empty(t, out[0].Data())
	assert.JSONEq(t, `{"agg":[1,{"a":"b"}]}`, string(out[0].Metadata()))
}

func TestAggregateToString(t *testing.T) {
	t.Parallel()
	tf := aggNew(t, `{"type":"aggregate_to_string","settings":{"separator":"\n","batch":{"size":14},"object":{"batch_key":"k"}}}`)
	got, _ := aggFeed(t, tf, false, `{"k":1}`, `{"k":2}`, `{"k":1}`, `{"k":1}`)
	assert.Equal(t, []string{"{\"k\":1}\n{\"k\":1}"}, got, "size 14 is reached exactly")
	got, _ = aggFeed(t, tf, true)
	assert.Equal(t, []string{`{"k":1}`, `{"k":2}`}, got)
}

// TestAggregateDuration checks that batch.duration is the longest gap
// between the messages of a batch, as in Substation.
func TestAggregateDuration(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	wait := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	tf, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{
		Batch: transform.BatchSettings{Duration: "10s"}, Now: clock,
	})
	require.NoError(t, err)
	got, _ := aggFeed(t, tf, false, "1")
	assert.Empty(t, got)
	wait(9 * time.Second)
	got, _ = aggFeed(t, tf, false, "2")
	assert.Empty(t, got)
	wait(9 * time.Second)
	got, _ = aggFeed(t, tf, false, "3")
	assert.Empty(t, got, "18s since the first message, but 9s since the last")
	wait(11 * time.Second)
	got, _ = aggFeed(t, tf, false, "4")
	assert.Equal(t, []string{"[1,2,3]"}, got)
	got, _ = aggFeed(t, tf, true)
	assert.Equal(t, []string{"[4]"}, got)
}

func TestAggregateTooLarge(t *testing.T) {
	t.Parallel()
	for typ, extra := range map[string]string{"aggregate_to_array": ``, "aggregate_to_string": `"separator":",",`} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			tf := aggNew(t, `{"type":"`+typ+`","settings":{`+extra+`"batch":{"size":4,"count":5},"id":"x"}}`)
			_, _ = aggFeed(t, tf, false, "12")
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte("12345")))
			assert.Nil(t, out)
			require.ErrorIs(t, err, weir.ErrInvalidData)
			var te *transform.Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, typ, te.Type)
			assert.Equal(t, "x", te.ID)
			got, _ := aggFeed(t, tf, true)
			assert.Len(t, got, 1, "the held batch survives")
		})
	}
}

func TestAggregateFromArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		in     string
		want   []string
	}{
		{"strings are unquoted", `{}`, `["a",1,{"b":2}]`, []string{`a`, `1`, `{"b":2}`}},
		{"empty array drops", `{}`, `[]`, nil},
		{"not an array passes", `{}`, `{"a":1}`, []string{`{"a":1}`}},
		{"missing source passes", `{"object":{"source_key":"x"}}`, `{"a":1}`, []string{`{"a":1}`}},
		// As in Substation, a value that is not an array is an array of one
		// (a number merges nothing into the rest), null an empty one.
		{"non-array source", `{"object":{"source_key":"x"}}`, `{"x":1,"a":"b"}`, []string{`{"a":"b"}`}},
		{"object source with target", `{"object":{"source_key":"x","target_key":"x"}}`, `{"x":{"k":1},"a":"b"}`, []string{`{"a":"b","x":{"k":1}}`}},
		{"null source drops", `{"object":{"source_key":"x"}}`, `{"x":null}`, nil},
		{"object data with target", `{"object":{"target_key":"x"}}`, `{"a":"b"}`, []string{`{"x":{"a":"b"}}`}},
		{"merge overrides", `{"object":{"source_key":"x"}}`, `{"a":1,"x":[{"a":2,"b":3},"s"]}`, []string{`{"a":2,"b":3}`, `{"a":1}`}},
		// As in Substation, numbers are rewritten as Go writes a float64.
		{"target rewrites numbers", `{"object":{"source_key":"x","target_key":"y.z"}}`, `{"n":1.0,"x":[1.50]}`, []string{`{"n":1,"y":{"z":1.5}}`}},
		{"not JSON passes", `{}`, `not json`, []string{`not json`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf := aggNew(t, `{"type":"aggregate_from_array","settings":`+tt.config+`}`)
			got, _ := aggFeed(t, tf, false, tt.in)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAggregateFromKeepsMetadata(t *testing.T) {
	t.Parallel()
	for _, config := range []string{
		`{"type":"aggregate_from_array","settings":{"object":{"source_key":"x"}}}`,
		`{"type":"aggregate_from_string","settings":{"separator":"|"}}`,
	} {
		tf := aggNew(t, config)
		msg := weir.NewMessage([]byte(`{"x":[1,2]}|b`)).SetMetadata([]byte(`{"m":1}`))
		if strings.Contains(config, "array") {
			msg.SetData([]byte(`{"x":[1,2]}`))
		}
		out, err := tf.Transform(context.Background(), msg)
		require.NoError(t, err)
		require.Len(t, out, 2, config)
		for _, m := range out {
			assert.Equal(t, `{"m":1}`, string(m.Metadata()), config)
		}
	}
}

func TestAggregateFromString(t *testing.T) {
	t.Parallel()
	tf := aggNew(t, `{"type":"aggregate_from_string","settings":{"separator":"\n"}}`)
	got, _ := aggFeed(t, tf, false, "a\n\nb\n", "")
	assert.Equal(t, []string{"a", "", "b", "", ""}, got)
}

func TestAggregateConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ config, field string }{
		{`{"type":"aggregate_to_string"}`, "separator"},
		{`{"type":"aggregate_from_string"}`, "separator"},
		{`{"type":"aggregate_to_array","settings":{"batch":{"duration":"soon"}}}`, "batch.duration"},
		{`{"type":"aggregate_to_string","settings":{"separator":",","batch":{"duration":"-1s"}}}`, "batch.duration"},
		{`{"type":"aggregate_from_array","settings":{"batch":{"duration":"x"}}}`, "batch.duration"},
		{`{"type":"aggregate_to_array","settings":{"object":{"target_key":"a.#"}}}`, "object.target_key"},
		{`{"type":"aggregate_to_array","settings":{"bogus":1}}`, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			t.Parallel()
			var cfg weir.Config
			require.NoError(t, json.Unmarshal([]byte(tt.config), &cfg))
			_, err := transform.New(context.Background(), cfg)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, cfg.Type, ce.Type)
		})
	}
}

// TestAggregateConcurrent adds from many goroutines while others send
// control messages, and checks under -race that every message comes out
// exactly once.
func TestAggregateConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG = 8, 300
	tf := aggNew(t, `{"type":"aggregate_to_string","settings":{"separator":"|","batch":{"count":7},"object":{"batch_key":"k"}}}`)
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	collect := func(out []*weir.Message) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range out {
			if m.IsControl() {
				continue
			}
			parts := strings.Split(string(m.Data()), "|")
			assert.LessOrEqual(t, len(parts), 7)
			for _, p := range parts {
				seen[p]++
			}
		}
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				out, err := tf.Transform(ctx, weir.NewMessage(fmt.Appendf(nil, `{"k":%d,"g":%d,"i":%d}`, i%3, g, i)))
				assert.NoError(t, err)
				collect(out)
				if i%40 == 0 {
					out, err := tf.Transform(ctx, weir.NewControl())
					assert.NoError(t, err)
					collect(out)
				}
			}
		})
	}
	wg.Wait()
	out, err := tf.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	collect(out)
	assert.Len(t, seen, goroutines*perG)
	for m, n := range seen {
		if n != 1 {
			t.Errorf("%s came out %d times", m, n)
		}
	}
}

func TestAggregateNotErrorOnUnknownType(t *testing.T) {
	t.Parallel()
	// The four types are registered.
	types := transform.Builtins().Types()
	for _, typ := range []string{"aggregate_from_array", "aggregate_from_string", "aggregate_to_array", "aggregate_to_string"} {
		assert.Contains(t, types, typ)
	}
	_, err := transform.New(context.Background(), weir.Config{Type: "aggregate_nope"})
	assert.True(t, errors.Is(err, weir.ErrUnknownType))
}

func BenchmarkAggregateToArray(b *testing.B) {
	ctx := context.Background()
	data := []byte(`{"event":"login","user":"alice","src":"10.0.0.1"}`)
	tf, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{Batch: transform.BatchSettings{Count: 100}})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAggregateFromArray(b *testing.B) {
	ctx := context.Background()
	data := []byte(`{"host":"a","events":[{"n":1},{"n":2},{"n":3},{"n":4}]}`)
	tf, err := transform.NewAggregateFromArray(transform.AggregateFromArrayConfig{Object: transform.ObjectSettings{SourceKey: "events"}})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAggregateFromString(b *testing.B) {
	ctx := context.Background()
	data := []byte("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}")
	tf, err := transform.NewAggregateFromString(transform.AggregateFromStringConfig{Separator: "\n"})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
	}
}
