package stream_test

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
)

// ticks is a FlushTimerConfig.Wait that the test drives.
type ticks chan struct{}

func (c ticks) wait(ctx context.Context) error {
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestFlushTimer(t *testing.T) {
	t.Parallel()
	agg, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{})
	require.NoError(t, err)
	var mu sync.Mutex
	var got []string
	controls := 0
	sink := func(_ context.Context, msg *weir.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if msg.IsControl() {
			controls++
		} else {
			got = append(got, string(msg.Data()))
		}
		return nil
	}
	s, err := stream.New(context.Background(), sink, stream.Config{Stages: []stream.Stage{{Transformer: agg, Workers: 1}}})
	require.NoError(t, err)
	tick := make(ticks)
	timer := s.StartFlushTimer(stream.FlushTimerConfig{Wait: tick.wait})

	ctx := context.Background()
	for _, d := range []string{`{"a":1}`, `{"a":2}`} {
		require.NoError(t, s.Send(ctx, weir.NewMessage([]byte(d))))
	}
	require.NoError(t, s.Sync(ctx))
	mu.Lock()
	assert.Empty(t, got, "the batch is held until a control message")
	mu.Unlock()

	tick <- struct{}{} // the timer flushes without a new message
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1 && controls == 1
	}, 10*time.Second, time.Millisecond)
	mu.Lock()
	assert.Equal(t, []string{`[{"a":1},{"a":2}]`}, got)
	mu.Unlock()

	timer.Stop()
	timer.Stop() // idempotent
	require.NoError(t, s.Close(ctx))
}

func TestFlushTimerEndsWithStream(t *testing.T) {
	t.Parallel()
	s, err := stream.New(context.Background(), func(context.Context, *weir.Message) error { return nil },
		stream.Config{Stages: []stream.Stage{{Transformer: pass}}})
	require.NoError(t, err)
	flushed := make(chan struct{}, 16)
	var errs []error
	timer := s.StartFlushTimer(stream.FlushTimerConfig{
		Wait: func(ctx context.Context) error {
			select {
			case flushed <- struct{}{}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		OnError: func(err error) { errs = append(errs, err) },
	})
	<-flushed
	require.NoError(t, s.Close(context.Background()))
	// The next flush finds the stream closed: the goroutine returns, and
	// Stop does not block.
	timer.Stop()
	assert.Empty(t, errs)
}

func TestFlushTimerInterval(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	controls := 0
	s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
		if msg.IsControl() {
			mu.Lock()
			controls++
			mu.Unlock()
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: pass}}})
	require.NoError(t, err)
	timer := s.StartFlushTimer(stream.FlushTimerConfig{Interval: time.Millisecond})
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return controls >= 3
	}, 10*time.Second, time.Millisecond)
	timer.Stop()
	require.NoError(t, s.Close(context.Background()))
	assert.Panics(t, func() { s.StartFlushTimer(stream.FlushTimerConfig{}) })
}

// A stream whose aggregation releases its batch on the timer, while no
// message arrives. (Here the test drives the timer; in a program, set
// Interval.)
func ExampleStream_StartFlushTimer() {
	agg, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{})
	if err != nil {
		panic(err)
	}
	printed := make(chan struct{}, 1)
	s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			fmt.Printf("%s\n", msg.Data())
			printed <- struct{}{}
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: agg, Workers: 1}}})
	if err != nil {
		panic(err)
	}
	tick := make(ticks)
	timer := s.StartFlushTimer(stream.FlushTimerConfig{Wait: tick.wait})
	ctx := context.Background()
	_ = s.Send(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	_ = s.Send(ctx, weir.NewMessage([]byte(`{"a":2}`)))
	tick <- struct{}{} // the interval passes
	<-printed
	timer.Stop()
	_ = s.Close(ctx)
	// Output:
	// [{"a":1},{"a":2}]
}
