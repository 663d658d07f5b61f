package transform_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
)

// flaky is a transformer that fails its first `fails` data messages with
// err, marking each message it sees with the attempt number first.
type flaky struct {
	fails int64
	err   error
	calls atomic.Int64
	ctrls atomic.Int64
}

func (f *flaky) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		f.ctrls.Add(1)
		return []*weir.Message{msg}, nil
	}
	n := f.calls.Add(1)
	if err := msg.Set(fmt.Sprintf("attempt%d", n), n); err != nil {
		return nil, err
	}
	if n <= f.fails {
		return nil, f.err
	}
	return []*weir.Message{msg}, nil
}

// recordSleep returns a Sleep func that records the waits and returns at
// once.
func recordSleep(mu *sync.Mutex, waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
}

// noJitter waits the longest allowed, so waits are predictable.
func noJitter(ceil time.Duration) time.Duration { return ceil }

var errTimeout = errors.New("upstream timeout")

func TestMetaRetry(t *testing.T) {
	t.Parallel()
	// attemptAtLeast accepts output of the nth attempt or later.
	attemptAtLeast := func(n int) condition.Func {
		return func(_ context.Context, msg *weir.Message) (bool, error) {
			return msg.Get(fmt.Sprintf("attempt%d", n)).Exists(), nil
		}
	}
	tests := []struct {
		name      string
		fails     int64
		err       error
		cond      condition.Inspector
		patterns  []string
		retry     weir.RetrySettings
		wantOut   string
		wantErr   error // matched with errors.Is
		wantCalls int64
		wantWaits []time.Duration
	}{
		{name: "first attempt", wantOut: `{"attempt1":1}`, wantCalls: 1},
		{
			name: "retried errors", fails: 2, err: errTimeout, patterns: []string{"timeout"},
			retry:   weir.RetrySettings{Count: 3, Delay: "100ms"},
			wantOut: `{"attempt3":3}`, wantCalls: 3, wantWaits: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
		},
		{
			name: "pattern matches a wrapped error", fails: 1, err: fmt.Errorf("call: %w", errTimeout), patterns: []string{"^upstream timeout$"},
			wantOut: `{"attempt2":2}`, wantCalls: 2, wantWaits: []time.Duration{time.Second},
		},
		{
			name: "other errors are returned at once", fails: 5, err: errTimeout, patterns: []string{"refused"},
			wantErr: errTimeout, wantCalls: 1,
		},
		{
			name: "no patterns retry no error", fails: 5, err: errTimeout,
			wantErr: errTimeout, wantCalls: 1,
		},
		{
			name: "condition", cond: attemptAtLeast(3), retry: weir.RetrySettings{Count: 5, Delay: "1s", MaxDelay: "1500ms"},
			wantOut: `{"attempt3":3}`, wantCalls: 3, wantWaits: []time.Duration{time.Second, 1500 * time.Millisecond},
		},
		{
			name: "limit", fails: 100, err: errTimeout, patterns: []string{".*"},
			retry:   weir.RetrySettings{Count: 2, Delay: "0s"},
			wantErr: transform.ErrRetryLimit, wantCalls: 3, wantWaits: []time.Duration{0, 0},
		},
		{
			name: "limit keeps the last error", fails: 100, err: errTimeout, patterns: []string{".*"},
			retry:   weir.RetrySettings{Count: 1},
			wantErr: errTimeout, wantCalls: 2, wantWaits: []time.Duration{time.Second},
		},
		{
			name: "limit by condition", cond: attemptAtLeast(10), retry: weir.RetrySettings{Count: 1, Delay: "1ms"},
			wantErr: transform.ErrRetryLimit, wantCalls: 2, wantWaits: []time.Duration{time.Millisecond},
		},
		{
			name: "count 0 retries until success", fails: 40, err: errTimeout, patterns: []string{"timeout"},
			retry:   weir.RetrySettings{Delay: "0s"},
			wantOut: `{"attempt41":41}`, wantCalls: 41,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &flaky{fails: tt.fails, err: tt.err}
			var mu sync.Mutex
			var waits []time.Duration
			r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
				Transforms: []transform.Transformer{f}, Condition: tt.cond, ErrorMessages: tt.patterns,
				Retry: tt.retry, ID: "r", Sleep: recordSleep(&mu, &waits), Jitter: noJitter,
			})
			require.NoError(t, err)
			in := weir.NewMessage([]byte(`{}`))
			out, err := r.Transform(context.Background(), in)
			assert.Equal(t, tt.wantCalls, f.calls.Load(), "attempts")
			assert.Equal(t, `{}`, string(in.Data()), "the input is not changed")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, out)
				var te *transform.Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "meta_retry", te.Type)
				assert.Equal(t, "r", te.ID)
			} else {
				require.NoError(t, err)
				require.Len(t, out, 1)
				assert.JSONEq(t, tt.wantOut, string(out[0].Data()))
			}
			if tt.wantWaits != nil {
				assert.Equal(t, tt.wantWaits, waits)
			}
		})
	}
}

func TestMetaRetryLimitError(t *testing.T) {
	t.Parallel()
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms:    []transform.Transformer{failWith(errTimeout)},
		ErrorMessages: []string{"timeout"},
		Retry:         weir.RetrySettings{Count: 2, Delay: "0s"},
	})
	require.NoError(t, err)
	_, err = r.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	require.ErrorIs(t, err, transform.ErrRetryLimit)
	assert.EqualError(t, err, "transform meta_retry: retry limit reached after 3 attempts: upstream timeout")

	// meta_err patterns written for Substation catch it.
	catch, err := transform.NewMetaErr(transform.MetaErrConfig{
		Transforms: []transform.Transformer{r}, ErrorMessages: []string{"^retry limit reached"},
	})
	require.NoError(t, err)
	out, err := catch.Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.JSONEq(t, `{"a":1}`, string(out[0].Data()))
}

func TestMetaRetryControl(t *testing.T) {
	t.Parallel()
	f := &flaky{fails: 100, err: errTimeout}
	hold := &holdBuffer{}
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{hold, f}, ErrorMessages: []string{".*"},
		Condition: condition.Func(func(context.Context, *weir.Message) (bool, error) { return false, nil }),
	})
	require.NoError(t, err)
	ctrl := weir.NewControl()
	out, err := r.Transform(context.Background(), ctrl)
	require.NoError(t, err)
	assert.Equal(t, []*weir.Message{ctrl}, out)
	assert.Equal(t, int64(1), f.ctrls.Load(), "a control message passes once")
	assert.Equal(t, 1, hold.ctrls)

	// A nested error on a control message is returned, not retried.
	r, err = transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms:    []transform.Transformer{transform.Func(func(context.Context, *weir.Message) ([]*weir.Message, error) { return nil, errTimeout })},
		ErrorMessages: []string{".*"},
	})
	require.NoError(t, err)
	_, err = r.Transform(context.Background(), weir.NewControl())
	require.ErrorIs(t, err, errTimeout)
}

func TestMetaRetryConditionError(t *testing.T) {
	t.Parallel()
	errCond := errors.New("condition broke")
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{upperTf},
		Condition:  condition.Func(func(context.Context, *weir.Message) (bool, error) { return false, errCond }),
	})
	require.NoError(t, err)
	_, err = r.Transform(context.Background(), weir.NewMessage([]byte(`a`)))
	require.ErrorIs(t, err, errCond)
}

func TestMetaRetryNoTransforms(t *testing.T) {
	t.Parallel()
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{})
	require.NoError(t, err)
	got, ctrls := feed(t, r, true, `{"a":1}`)
	assert.Equal(t, []string{`{"a":1}`}, got)
	assert.Equal(t, 1, ctrls)
}

// TestMetaRetryCancel is not parallel: it checks for leaked goroutines.
func TestMetaRetryCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := &flaky{fails: 1 << 30, err: errTimeout}
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{f}, ErrorMessages: []string{".*"},
		Retry: weir.RetrySettings{Delay: "1h"}, // real timers, no limit
	})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err = r.Transform(ctx, weir.NewMessage([]byte(`{}`)))
	assert.Less(t, time.Since(start), 10*time.Second, "cancellation ends the wait")
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "upstream timeout", "the last failure is reported")
	var te *transform.Error
	require.ErrorAs(t, err, &te)

	// A context that is already done stops before the first retry.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	f2 := &flaky{fails: 1 << 30, err: errTimeout}
	r2, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{f2}, ErrorMessages: []string{".*"}, Retry: weir.RetrySettings{Delay: "0s"},
	})
	require.NoError(t, err)
	_, err = r2.Transform(done, weir.NewMessage([]byte(`{}`)))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(1), f2.calls.Load())
}

func TestMetaRetryBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		retry weir.RetrySettings
		want  []time.Duration
	}{
		{"defaults", weir.RetrySettings{Count: 7}, []time.Duration{1, 2, 4, 8, 16, 30, 30}},
		{"capped", weir.RetrySettings{Count: 5, Delay: "1s", MaxDelay: "5s"}, []time.Duration{1, 2, 4, 5, 5}},
		{"long delay", weir.RetrySettings{Count: 3, Delay: "40s"}, []time.Duration{40, 40, 40}},
		{"constant", weir.RetrySettings{Count: 3, Delay: "2s", MaxDelay: "2s"}, []time.Duration{2, 2, 2}},
		{"huge cap", weir.RetrySettings{Count: 70, Delay: "1s", MaxDelay: "2562047h"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var waits []time.Duration
			r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
				Transforms: []transform.Transformer{failWith(errTimeout)}, ErrorMessages: []string{".*"},
				Retry: tt.retry, Sleep: recordSleep(&mu, &waits), Jitter: noJitter,
			})
			require.NoError(t, err)
			_, err = r.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
			require.ErrorIs(t, err, transform.ErrRetryLimit)
			if tt.want == nil {
				require.Len(t, waits, tt.retry.Count)
				for i := 1; i < len(waits); i++ {
					assert.GreaterOrEqual(t, waits[i], waits[i-1], "waits never shrink (no overflow)")
					assert.Positive(t, waits[i])
				}
				return
			}
			want := make([]time.Duration, len(tt.want))
			for i, s := range tt.want {
				want[i] = s * time.Second
			}
			assert.Equal(t, want, waits)
		})
	}
}

func TestMetaRetryJitter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{failWith(errTimeout)}, ErrorMessages: []string{".*"},
		Retry: weir.RetrySettings{Count: 200, Delay: "10ms", MaxDelay: "80ms"}, Sleep: recordSleep(&mu, &waits),
	})
	require.NoError(t, err)
	_, err = r.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	require.ErrorIs(t, err, transform.ErrRetryLimit)
	require.Len(t, waits, 200)
	distinct := map[time.Duration]bool{}
	for i, w := range waits {
		ceil := min(10*time.Millisecond<<i, 80*time.Millisecond)
		if i > 10 {
			ceil = 80 * time.Millisecond
		}
		assert.GreaterOrEqual(t, w, time.Duration(0))
		assert.Less(t, w, ceil, "wait %d", i)
		distinct[w] = true
	}
	assert.Greater(t, len(distinct), 100, "waits are random")
}

func TestMetaRetryConcurrent(t *testing.T) {
	t.Parallel()
	// Each message fails at its first attempt, after changing the message,
	// then succeeds: concurrent messages retry independently, and each
	// attempt starts from the original message.
	var seen sync.Map
	onceFail := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{msg}, nil
		}
		_, tried := seen.LoadOrStore(string(msg.Data()), true)
		if !tried {
			_ = msg.Set("tried", true)
			return nil, errTimeout
		}
		return []*weir.Message{msg}, nil
	})
	var calls atomic.Int64
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{onceFail}, ErrorMessages: []string{"timeout"},
		Retry: weir.RetrySettings{Count: 2},
		Sleep: func(context.Context, time.Duration) error { calls.Add(1); return nil },
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				out, err := r.Transform(context.Background(), weir.NewMessage(fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i)))
				if !assert.NoError(t, err) {
					return
				}
				// The failed attempt's change was made on a copy, and lost.
				assert.Equal(t, fmt.Sprintf(`{"g":%d,"i":%d}`, g, i), string(out[0].Data()))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(400), calls.Load())
}

func TestMetaRetryClose(t *testing.T) {
	t.Parallel()
	closed := 0
	cc := closeCounter{Func: upperTf, closed: &closed}
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{Transforms: []transform.Transformer{cc, cc}})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.Equal(t, 2, closed)
}

func TestMetaRetryJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The shape of Substation's retry_with_backoff example, with a
	// deterministic condition.
	tf, err := transform.New(ctx, parseConfig(t, `{"type":"meta_retry","settings":{
		"id":"r",
		"condition":{"type":"meta_all","settings":{"conditions":[
			{"type":"number_length_greater_than","settings":{"measurement":"byte","object":{"source_key":"c"},"value":0}}]}},
		"error_messages":[".*"],
		"retry":{"count":4,"delay":"1ms"},
		"transforms":[{"type":"object_insert","settings":{"object":{"target_key":"c"},"value":true}}]}}`))
	require.NoError(t, err)
	got, ctrls := feed(t, tf, true, `{"a":"b"}`)
	assert.Equal(t, []string{`{"a":"b","c":true}`}, got)
	assert.Equal(t, 1, ctrls)

	bad := []struct{ cfg, field string }{
		{`{"retry":{"delay":"soon"}}`, "retry.delay"},
		{`{"retry":{"delay":"-1s"}}`, "retry.delay"},
		{`{"retry":{"count":-1}}`, "retry.count"},
		{`{"retry":{"delay":"2s","max_delay":"1s"}}`, "retry.max_delay"},
		{`{"retry":{"max_delay":"x"}}`, "retry.max_delay"},
		{`{"retry":{"counts":1}}`, "retry.counts"},
		{`{"error_messages":["("]}`, "error_messages.0"},
		{`{"transforms":[{"type":"no_such_type"}]}`, "transforms.0"},
		{`{"condition":{"type":"no_such_type"}}`, "condition"},
		{`{"no_such_setting":1}`, "no_such_setting"},
	}
	for _, b := range bad {
		_, err := transform.New(ctx, parseConfig(t, `{"type":"meta_retry","settings":`+b.cfg+`}`))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, b.cfg)
		assert.Equal(t, b.field, ce.Field, b.cfg)
		assert.Equal(t, "meta_retry", ce.Type, b.cfg)
	}

	_, err = transform.NewMetaRetry(transform.MetaRetryConfig{Transforms: []transform.Transformer{nil}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

func BenchmarkMetaRetry(b *testing.B) {
	r, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms: []transform.Transformer{setFieldTf("a", 1)}, ErrorMessages: []string{"timeout"},
		Retry: weir.RetrySettings{Count: 3},
	})
	require.NoError(b, err)
	ctx := context.Background()
	data := []byte(`{"event":{"kind":"event"}}`)
	b.Run("first_attempt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Transform(ctx, weir.NewMessage(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The baseline: the nested transform alone.
	b.Run("baseline", func(b *testing.B) {
		tf := setFieldTf("a", 1)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("two_retries", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f := &flaky{fails: 2, err: errTimeout}
			r, _ := transform.NewMetaRetry(transform.MetaRetryConfig{
				Transforms: []transform.Transformer{f}, ErrorMessages: []string{"timeout"},
				Sleep: func(context.Context, time.Duration) error { return nil },
			})
			if _, err := r.Transform(ctx, weir.NewMessage(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
