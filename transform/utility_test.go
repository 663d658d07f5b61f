package transform_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func TestUtilityDrop(t *testing.T) {
	t.Parallel()
	for _, cfg := range []string{`{"type": "utility_drop"}`, `{"type": "utility_drop", "settings": {"id": "x"}}`} {
		tf, err := transform.New(context.Background(), parseConfig(t, cfg))
		require.NoError(t, err)
		got, ctrls := feed(t, tf, true, `{"a":1}`, `not json`, ``)
		assert.Empty(t, got)
		assert.Equal(t, 1, ctrls)
	}
	_, err := transform.New(context.Background(), parseConfig(t, `{"type": "utility_drop", "settings": {"message": "x"}}`))
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

func TestUtilityErr(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tf, err := transform.New(ctx, parseConfig(t, `{"type": "utility_err", "settings": {"message": "transform produced no output", "id": "check"}}`))
	require.NoError(t, err)

	out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	assert.Nil(t, out)
	require.ErrorIs(t, err, transform.ErrRaised)
	assert.NotErrorIs(t, err, weir.ErrInvalidData)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "utility_err", te.Type)
	assert.Equal(t, "check", te.ID)
	assert.Equal(t, "transform produced no output", te.Err.Error())
	assert.Equal(t, "transform utility_err (check): transform produced no output", err.Error())

	ctrl := weir.NewControl()
	out, err = tf.Transform(ctx, ctrl)
	require.NoError(t, err)
	assert.Equal(t, []*weir.Message{ctrl}, out)
}

// fakeClock is a settable time source.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// controlTrace runs msgs through tf and returns a trace of the output: the
// data of data messages, "|" for control messages.
func controlTrace(t *testing.T, tf transform.Transformer, steps ...func() *weir.Message) string {
	t.Helper()
	var sb strings.Builder
	for _, step := range steps {
		out, err := tf.Transform(context.Background(), step())
		require.NoError(t, err)
		for _, m := range out {
			if m.IsControl() {
				sb.WriteString("|")
			} else {
				sb.Write(m.Data())
			}
		}
	}
	return sb.String()
}

func TestUtilityControl(t *testing.T) {
	t.Parallel()
	data := func(s string) func() *weir.Message {
		return func() *weir.Message { return weir.NewMessage([]byte(s)) }
	}
	ctrl := func() *weir.Message { return weir.NewControl() }

	tests := []struct {
		name  string
		batch transform.BatchSettings
		steps func(c *fakeClock) []func() *weir.Message
		want  string
	}{
		{
			name:  "count",
			batch: transform.BatchSettings{Count: 2},
			steps: func(*fakeClock) []func() *weir.Message {
				return []func() *weir.Message{data("a"), data("b"), data("c"), data("d"), data("e")}
			},
			want: "ab|cd|e",
		},
		{
			name:  "size",
			batch: transform.BatchSettings{Size: 4},
			steps: func(*fakeClock) []func() *weir.Message {
				return []func() *weir.Message{data("aa"), data("bb"), data("c"), data("dd"), data("eeee")}
			},
			want: "aabb|cdd|eeee",
		},
		{
			name:  "control starts a new batch",
			batch: transform.BatchSettings{Count: 2},
			steps: func(*fakeClock) []func() *weir.Message {
				return []func() *weir.Message{data("a"), ctrl, data("b"), data("c"), data("d")}
			},
			want: "a|bc|d",
		},
		{
			name:  "control first",
			batch: transform.BatchSettings{Count: 2},
			steps: func(*fakeClock) []func() *weir.Message {
				return []func() *weir.Message{ctrl, data("a"), data("b"), data("c")}
			},
			want: "|ab|c",
		},
		{
			name:  "duration is the gap between messages",
			batch: transform.BatchSettings{Duration: "1m"},
			steps: func(c *fakeClock) []func() *weir.Message {
				wait := func(d time.Duration, s string) func() *weir.Message {
					return func() *weir.Message { c.Add(d); return weir.NewMessage([]byte(s)) }
				}
				return []func() *weir.Message{
					wait(0, "a"), wait(50*time.Second, "b"), wait(50*time.Second, "c"),
					wait(61*time.Second, "d"), wait(time.Minute, "e"),
				}
			},
			want: "abc|de",
		},
		{
			name:  "count of one means the default",
			batch: transform.BatchSettings{Count: 1},
			steps: func(*fakeClock) []func() *weir.Message {
				return []func() *weir.Message{data("a"), data("b"), data("c")}
			},
			want: "abc",
		},
		{
			name:  "defaults",
			batch: transform.BatchSettings{},
			steps: func(c *fakeClock) []func() *weir.Message {
				steps := make([]func() *weir.Message, 1001)
				for i := range steps {
					steps[i] = func() *weir.Message { c.Add(59 * time.Second); return weir.NewMessage([]byte("x")) }
				}
				return steps
			},
			want: strings.Repeat("x", 1000) + "|x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			tf, err := transform.NewUtilityControl(transform.UtilityControlConfig{Batch: tt.batch, Now: c.Now})
			require.NoError(t, err)
			assert.Equal(t, tt.want, controlTrace(t, tf, tt.steps(c)...))
		})
	}
}

func TestUtilityControlTooLarge(t *testing.T) {
	t.Parallel()
	tf, err := transform.NewUtilityControl(transform.UtilityControlConfig{ID: "ctl", Batch: transform.BatchSettings{Size: 4, Count: 3}})
	require.NoError(t, err)
	ctx := context.Background()
	assert.Equal(t, "ab", controlTrace(t, tf,
		func() *weir.Message { return weir.NewMessage([]byte("a")) },
		func() *weir.Message { return weir.NewMessage([]byte("b")) }))

	out, err := tf.Transform(ctx, weir.NewMessage([]byte("12345")))
	assert.Nil(t, out)
	require.ErrorIs(t, err, weir.ErrInvalidData)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "utility_control", te.Type)
	assert.Equal(t, "ctl", te.ID)

	// The failed message did not disturb the batch.
	assert.Equal(t, "c|d", controlTrace(t, tf,
		func() *weir.Message { return weir.NewMessage([]byte("c")) },
		func() *weir.Message { return weir.NewMessage([]byte("d")) }))
}

func TestUtilityControlConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tf, err := transform.New(ctx, parseConfig(t, `{"type": "utility_control", "settings": {"id": "x", "batch": {"count": 2, "size": 1000000, "duration": "1m"}}}`))
	require.NoError(t, err)
	got, ctrls := feed(t, tf, true, `{"a":1}`, `{"a":2}`, `{"a":3}`)
	assert.Equal(t, []string{`{"a":1}`, `{"a":2}`, `{"a":3}`}, got)
	assert.Equal(t, 2, ctrls)

	tests := []struct {
		name  string
		cfg   string
		field string
	}{
		{"bad duration", `{"type": "utility_control", "settings": {"batch": {"duration": "soon"}}}`, "batch.duration"},
		{"zero duration", `{"type": "utility_control", "settings": {"batch": {"duration": "0s"}}}`, "batch.duration"},
		{"negative duration", `{"type": "utility_control", "settings": {"batch": {"duration": "-1m"}}}`, "batch.duration"},
		{"count not a number", `{"type": "utility_control", "settings": {"batch": {"count": "2"}}}`, "batch.count"},
		{"unknown batch setting", `{"type": "utility_control", "settings": {"batch": {"interval": "1m"}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := transform.New(ctx, parseConfig(t, tt.cfg))
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "utility_control", ce.Type)
			if tt.field != "" {
				assert.Equal(t, tt.field, ce.Field)
			}
		})
	}
}

func TestUtilityControlConcurrent(t *testing.T) {
	t.Parallel()
	const workers, per, count = 8, 250, 7
	tf, err := transform.NewUtilityControl(transform.UtilityControlConfig{Batch: transform.BatchSettings{Count: count}})
	require.NoError(t, err)

	var wg sync.WaitGroup
	var mu sync.Mutex
	data, ctrls := 0, 0
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for i := range per {
				msg := weir.NewMessage(fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i))
				if i%50 == 49 {
					msg = weir.NewControl()
				}
				out, err := tf.Transform(ctx, msg)
				assert.NoError(t, err)
				mu.Lock()
				for _, m := range out {
					if m.IsControl() {
						ctrls++
					} else {
						data++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sent := workers * per / 50 // control messages sent in
	assert.Equal(t, workers*per-sent, data)
	// Every data message belongs to one batch of at most count messages, and
	// batches are separated by control messages (sent in or emitted).
	batches := ctrls + 1
	assert.GreaterOrEqual(t, batches*count, data, "a control at least every %d messages", count)
	assert.Greater(t, ctrls, sent)
}

func TestUtilityPassControlUnchanged(t *testing.T) {
	t.Parallel()
	drop, _ := transform.NewUtilityDrop(transform.UtilityDropConfig{})
	raise, _ := transform.NewUtilityErr(transform.UtilityErrConfig{Message: "x"})
	ctl, err := transform.NewUtilityControl(transform.UtilityControlConfig{})
	require.NoError(t, err)
	for _, tf := range []transform.Transformer{drop, raise, ctl} {
		ctrl := weir.NewControl()
		out, err := tf.Transform(context.Background(), ctrl)
		require.NoError(t, err)
		assert.Equal(t, []*weir.Message{ctrl}, out)
	}
}

func BenchmarkUtilityDrop(b *testing.B) {
	ctx := context.Background()
	drop, err := transform.NewUtilityDrop(transform.UtilityDropConfig{})
	require.NoError(b, err)
	msg := weir.NewMessage([]byte(`{"a":"b"}`))
	// baseline: a Func that drops.
	baseline := transform.Func(func(context.Context, *weir.Message) ([]*weir.Message, error) { return nil, nil })
	for _, bc := range []struct {
		name string
		tf   transform.Transformer
	}{{"baseline", baseline}, {"utility_drop", drop}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.tf.Transform(ctx, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUtilityControl(b *testing.B) {
	ctx := context.Background()
	tf, err := transform.NewUtilityControl(transform.UtilityControlConfig{Batch: transform.BatchSettings{Count: 100}})
	require.NoError(b, err)
	msg := weir.NewMessage([]byte(`{"a":"b"}`))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tf.Transform(ctx, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func ExampleNewUtilityControl() {
	ctl, _ := transform.NewUtilityControl(transform.UtilityControlConfig{
		Batch: transform.BatchSettings{Count: 2},
	})
	ctx := context.Background()
	for _, data := range []string{"a", "b", "c", "d", "e"} {
		out, _ := ctl.Transform(ctx, weir.NewMessage([]byte(data)))
		for _, m := range out {
			if m.IsControl() {
				fmt.Println("-- control --")
			} else {
				fmt.Println(m)
			}
		}
	}
	// Output:
	// a
	// b
	// -- control --
	// c
	// d
	// -- control --
	// e
}

func ExampleNewUtilityErr() {
	raise, _ := transform.NewUtilityErr(transform.UtilityErrConfig{Message: "unexpected event", ID: "guard"})
	_, err := raise.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	fmt.Println(err)
	fmt.Println(errors.Is(err, transform.ErrRaised))
	// Output:
	// transform utility_err (guard): unexpected event
	// true
}

func ExampleNewUtilityDrop() {
	drop, _ := transform.NewUtilityDrop(transform.UtilityDropConfig{})
	out, _ := drop.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	fmt.Println(len(out))
	out, _ = drop.Transform(context.Background(), weir.NewControl())
	fmt.Println(len(out), out[0].IsControl())
	// Output:
	// 0
	// 1 true
}
