package transform_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func TestUtilityDelay(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	d, err := transform.NewUtilityDelay(transform.UtilityDelayConfig{Duration: "250ms", Sleep: recordSleep(&mu, &waits)})
	require.NoError(t, err)
	got, ctrls := feed(t, d, true, `{"a":1}`, `b`)
	assert.Equal(t, []string{`{"a":1}`, `b`}, got)
	assert.Equal(t, 1, ctrls)
	assert.Equal(t, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}, waits, "control messages are not delayed")

	// A real, short delay from JSON.
	tf, err := transform.New(context.Background(), parseConfig(t, `{"type":"utility_delay","settings":{"duration":"20ms","id":"d"}}`))
	require.NoError(t, err)
	start := time.Now()
	got, _ = feed(t, tf, false, `{}`)
	assert.Equal(t, []string{`{}`}, got)
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	zero, err := transform.NewUtilityDelay(transform.UtilityDelayConfig{Duration: "0s"})
	require.NoError(t, err)
	got, _ = feed(t, zero, true, `{}`)
	assert.Equal(t, []string{`{}`}, got)

	for cfg, field := range map[string]string{
		`{}`:                      "duration",
		`{"duration":"soon"}`:     "duration",
		`{"duration":"-1s"}`:      "duration",
		`{"duration":"1s","x":1}`: "x",
	} {
		_, err := transform.New(context.Background(), parseConfig(t, `{"type":"utility_delay","settings":`+cfg+`}`))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, cfg)
		assert.Equal(t, field, ce.Field, cfg)
	}
}

// TestUtilityDelayCancel is not parallel: it checks for leaked goroutines.
func TestUtilityDelayCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d, err := transform.NewUtilityDelay(transform.UtilityDelayConfig{Duration: "1h", ID: "slow"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := d.Transform(ctx, weir.NewMessage([]byte(`{}`)))
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Nil(t, out)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "utility_delay", te.Type)
	assert.Equal(t, "slow", te.ID)
}

func TestTestMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string // JSON
		want  string
	}{
		{"object, keys sorted", `{"b":1,"a":"x"}`, `{"a":"x","b":1}`},
		{"nested", `{"a":{"z":[1,2.0,1e3],"y":null}}`, `{"a":{"y":null,"z":[1,2,1000]}}`},
		{"big integer", `{"timestamp":1724299266000000000}`, `{"timestamp":1724299266000000000}`},
		{"array", `[1,"a"]`, `[1,"a"]`},
		{"string", `"hello world"`, `hello world`},
		{"number", `1.50`, `1.5`},
		{"bool", `true`, `true`},
		{"null", `null`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := transform.New(context.Background(), weir.Config{Type: "test_message", Settings: map[string]any{
				"id": "t", "value": json.RawMessage(tt.value),
			}})
			require.NoError(t, err)
			got, ctrls := feed(t, tf, true, `{"in":1}`)
			assert.Equal(t, []string{`{"in":1}`, tt.want}, got)
			assert.Equal(t, 1, ctrls)
			// Each control message brings a new message.
			got, _ = feed(t, tf, true)
			assert.Equal(t, []string{tt.want}, got)
		})
	}

	tm, err := transform.NewTestMessage(transform.TestMessageConfig{Value: map[string]any{"a": "b"}})
	require.NoError(t, err)
	ctrl := weir.NewControl()
	out, err := tm.Transform(context.Background(), ctrl)
	require.NoError(t, err)
	require.Len(t, out, 2)
	assert.Equal(t, `{"a":"b"}`, string(out[0].Data()))
	assert.Same(t, ctrl, out[1], "the control message comes last")
	// The emitted messages are independent.
	require.NoError(t, out[0].Set("c", 1))
	out2, _ := tm.Transform(context.Background(), weir.NewControl())
	assert.Equal(t, `{"a":"b"}`, string(out2[0].Data()))

	_, err = transform.NewTestMessage(transform.TestMessageConfig{Value: make(chan int)})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
	_, err = transform.New(context.Background(), parseConfig(t, `{"type":"test_message","settings":{"values":1}}`))
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

func BenchmarkUtilityDelay(b *testing.B) {
	d, err := transform.NewUtilityDelay(transform.UtilityDelayConfig{Duration: "0s"})
	require.NoError(b, err)
	benchTransform(b, d, []byte(`{"a":1}`))
}

func BenchmarkTestMessage(b *testing.B) {
	tm, err := transform.NewTestMessage(transform.TestMessageConfig{Value: map[string]any{"a": "b"}})
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Transform(ctx, weir.NewControl()); err != nil {
			b.Fatal(err)
		}
	}
}
