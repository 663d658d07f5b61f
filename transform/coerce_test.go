package transform_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
)

// coercingPipeline has a coercing transform at the top level and one nested
// in a meta_switch.
const coercingPipeline = `{"transforms": [
	{"type": "time_to_unix", "settings": {"id": "secs", "object": {"source_key": "ts", "target_key": "ts"}}},
	{"type": "meta_switch", "settings": {"cases": [{"transforms": [
		{"type": "object_to_integer", "settings": {"object": {"source_key": "port", "target_key": "port"}}}
	]}]}}
]}`

func TestPipelineCoercions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := transform.Parse(ctx, all.Env(), []byte(coercingPipeline))
	require.NoError(t, err)
	defer p.Close()
	for _, in := range []string{
		`{"ts":1700000000000000000,"port":"443"}`, // nothing to coerce
		`{"ts":"yesterday","port":"https"}`,       // both
		`{"ts":null}`,                             // the time only
	} {
		_, err := p.Transform(ctx, weir.NewMessage([]byte(in)))
		require.NoError(t, err)
	}
	assert.Equal(t, []transform.CoercionCount{
		{Type: "time_to_unix", ID: "secs", Count: 2},
		{Type: "object_to_integer", Count: 1},
	}, p.Coercions().Counts())
	assert.Equal(t, int64(3), p.Coercions().Total())

	// An Env's own counter is shared by the pipelines built from it.
	env := all.Env()
	env.Coercions = &transform.Coercions{}
	p2, err := transform.Parse(ctx, env, []byte(coercingPipeline))
	require.NoError(t, err)
	defer p2.Close()
	assert.Same(t, env.Coercions, p2.Coercions())
}

func TestCoercionMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var (
		mu  sync.Mutex
		got []transform.Metric
	)
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	env := all.Env()
	env.Now = func() time.Time { return at }
	env.Metrics = transform.MetricsFunc(func(_ context.Context, m transform.Metric) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m)
	})
	p, err := transform.Parse(ctx, env, []byte(coercingPipeline))
	require.NoError(t, err)
	defer p.Close()
	for _, in := range []string{`{"ts":"a","port":"b"}`, `{"ts":"c"}`} {
		_, err := p.Transform(ctx, weir.NewMessage([]byte(in)))
		require.NoError(t, err)
	}
	_, err = p.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	assert.ElementsMatch(t, []transform.Metric{
		{Name: transform.CoercionsMetric, Value: 2, Unit: "Count", Attributes: map[string]string{"type": "time_to_unix", "id": "secs"}, Time: at},
		{Name: transform.CoercionsMetric, Value: 1, Unit: "Count", Attributes: map[string]string{"type": "object_to_integer"}, Time: at},
	}, got)

	// The counts start again after a control message; a transform that
	// coerced nothing reports nothing.
	got = nil
	_, err = p.Transform(ctx, weir.NewMessage([]byte(`{"ts":"d","port":80}`)))
	require.NoError(t, err)
	_, err = p.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	assert.Equal(t, []transform.Metric{
		{Name: transform.CoercionsMetric, Value: 1, Unit: "Count", Attributes: map[string]string{"type": "time_to_unix", "id": "secs"}, Time: at},
	}, got)
	assert.Equal(t, int64(4), p.Coercions().Total(), "the totals keep growing")
}

func TestCoercionMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := all.Env()
	env.CoercionMetadata = "weir.coercion"
	p, err := transform.Parse(ctx, env, []byte(coercingPipeline))
	require.NoError(t, err)
	defer p.Close()
	plain, err := transform.Parse(ctx, all.Env(), []byte(coercingPipeline))
	require.NoError(t, err)
	defer plain.Close()

	in := `{"ts":"yesterday","port":"https"}`
	out, err := p.Transform(ctx, weir.NewMessage([]byte(in)))
	require.NoError(t, err)
	want, err := plain.Transform(ctx, weir.NewMessage([]byte(in)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, string(want[0].Data()), string(out[0].Data()), "the data is the same bytes")
	assert.Equal(t, `{"ts":0,"port":0}`, string(out[0].Data()))
	// The last coercion wins.
	assert.JSONEq(t, `{"weir":{"coercion":{"type":"object_to_integer","field":"port","value":"\"https\"","target":"integer"}}}`, string(out[0].Metadata()))
	assert.Empty(t, want[0].Metadata())

	// A message without a coercion carries no record.
	out, err = p.Transform(ctx, weir.NewMessage([]byte(`{"ts":5,"port":1}`)))
	require.NoError(t, err)
	assert.Empty(t, out[0].Metadata())
}

// TestStrictNetworkDomain: an IP address given to network_domain_* is split
// at its dots by default, as Substation does, and is an error in strict
// mode.
func TestStrictNetworkDomain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for typ, want := range map[string]string{
		"network_domain_registered_domain": `{"ip":"10.0.1.6","d":"1.6"}`,
		"network_domain_subdomain":         `{"ip":"10.0.1.6","d":"10.0"}`,
		"network_domain_top_level_domain":  `{"ip":"10.0.1.6","d":"6"}`,
	} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			cfg := weir.Config{Type: typ, Settings: map[string]any{"object": map[string]any{"source_key": "ip", "target_key": "d"}}}
			tf, err := all.Env().New(ctx, cfg)
			require.NoError(t, err)
			out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"ip":"10.0.1.6"}`)))
			require.NoError(t, err)
			assert.Equal(t, want, string(out[0].Data()))

			env := all.Env()
			env.Strict = true
			tf, err = env.New(ctx, cfg)
			require.NoError(t, err)
			_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"ip":"10.0.1.6"}`)))
			var ce *weir.CoercionError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, weir.CoercionError{Transform: typ, Field: "ip", Value: "10.0.1.6", Target: "domain name"}, *ce)
			assert.ErrorIs(t, err, weir.ErrInvalidData)

			// A domain name is no coercion.
			out, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"ip":"a.b.example.com"}`)))
			require.NoError(t, err)
			assert.NotEqual(t, `{"ip":"a.b.example.com"}`, string(out[0].Data()))
		})
	}
}

// TestStrictInStream: on a stream with the route policy, a strict
// pipeline's coercion errors go to the error sink and every other event is
// delivered: events in = events out + events reported. The stream's stats
// count the default pipeline's coercions.
func TestStrictInStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := []string{`{"ts":1,"port":1}`, `{"ts":"x","port":2}`, `{"ts":3,"port":"y"}`, `{"ts":4,"port":4}`}
	run := func(strict bool) (out []string, reported []error, st stream.Stats) {
		env := all.Env()
		env.Strict = strict
		p, err := transform.Parse(ctx, env, []byte(coercingPipeline))
		require.NoError(t, err)
		defer p.Close()
		var mu sync.Mutex
		s, err := stream.New(ctx, func(_ context.Context, m *weir.Message) error {
			if !m.IsControl() {
				mu.Lock()
				out = append(out, string(m.Data()))
				mu.Unlock()
			}
			return nil
		}, stream.Config{
			Stages: []stream.Stage{{Transformer: p, Workers: 2}},
			ErrorSink: func(_ context.Context, e *stream.Error) error {
				mu.Lock()
				reported = append(reported, e)
				mu.Unlock()
				return nil
			},
		})
		require.NoError(t, err)
		for _, in := range inputs {
			require.NoError(t, s.Send(ctx, weir.NewMessage([]byte(in))))
		}
		require.NoError(t, s.Close(ctx))
		return out, reported, s.Stats()
	}

	out, reported, st := run(false)
	assert.Len(t, out, 4)
	assert.Empty(t, reported)
	assert.Equal(t, int64(2), st.Stages[0].Coercions)

	out, reported, st = run(true)
	assert.Equal(t, []string{`{"ts":0,"port":1}`, `{"ts":0,"port":4}`}, out)
	require.Len(t, reported, 2)
	for _, err := range reported {
		var ce *weir.CoercionError
		assert.ErrorAs(t, err, &ce)
	}
	assert.Equal(t, len(inputs), len(out)+len(reported))
	assert.Zero(t, st.Stages[0].Coercions)
}

// A Substation config coerces by default, as Substation does, and counts
// what it coerced; in strict mode the same value is an error.
func ExampleEnv_strict() {
	ctx := context.Background()
	config := []byte(`{"transforms": [
		{"type": "object_to_integer", "settings": {"object": {"source_key": "port", "target_key": "port"}}}
	]}`)
	for _, strict := range []bool{false, true} {
		env := all.Env()
		env.Strict = strict
		p, err := transform.Parse(ctx, env, config)
		if err != nil {
			panic(err)
		}
		out, err := p.Transform(ctx, weir.NewMessage([]byte(`{"port":"https"}`)))
		if err != nil {
			fmt.Println("strict:", err)
		} else {
			fmt.Println("default:", out[0], "coercions:", p.Coercions().Total())
		}
		p.Close()
	}
	// Output:
	// default: {"port":0} coercions: 1
	// strict: transform object_to_integer: field "port": cannot convert "https" to integer without coercion: weir: invalid data
}
