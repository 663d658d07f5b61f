package stream_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// slowT counts its calls and, for each data message, waits for pause or
// for its context to end, whichever is first. It counts the calls that
// ended by their context.
type slowT struct {
	pause           time.Duration
	calls, canceled atomic.Int64
	started         chan struct{} // closed by the first call
	startedOnce     atomic.Bool
}

func newSlowT(pause time.Duration) *slowT {
	return &slowT{pause: pause, started: make(chan struct{})}
}

func (t *slowT) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return []*weir.Message{msg}, nil
	}
	t.calls.Add(1)
	if t.startedOnce.CompareAndSwap(false, true) {
		close(t.started)
	}
	timer := time.NewTimer(t.pause)
	defer timer.Stop()
	select {
	case <-timer.C:
		return []*weir.Message{msg}, nil
	case <-ctx.Done():
		t.canceled.Add(1)
		return nil, context.Cause(ctx)
	}
}

// closeWithin runs close and fails the test if it has not returned within
// a generous deadline: the old stream took minutes on these cases.
func closeWithin(t *testing.T, close func() error) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- close() }()
	select {
	case err := <-done:
		return err, time.Since(start)
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return within 30s")
		return nil, 0
	}
}

// TestCancelAbandonsQueued: with 500 messages queued before one worker
// whose transformer would take a minute (so that which calls have started
// when the test cancels does not depend on how fast the machine is: only
// the first), canceling New's context abandons the
// queue: no call starts after the cancel beyond one per worker (the call a
// worker may have begun as the cancel happened), the call in progress sees
// its context canceled, and Stats().InFlight counts what was abandoned.
// (Before, every queued message still went through the transformer: Close
// returned after 5 s.)
func TestCancelAbandonsQueued(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"cancel", "close-expired"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			slow := newSlowT(time.Minute)
			var rec recorder
			s, err := stream.New(ctx, rec.sink, stream.Config{
				Stages:      []stream.Stage{{Transformer: slow, Workers: 1}},
				MaxInFlight: 1000,
			})
			require.NoError(t, err)
			sendAll(t, s, numbered(500))
			<-slow.started

			var closeErr error
			before := slow.calls.Load()
			if how == "cancel" {
				cancel()
				closeErr, _ = closeWithin(t, func() error { return s.Close(context.Background()) })
			} else {
				expired, stop := context.WithCancel(context.Background())
				stop()
				closeErr, _ = closeWithin(t, func() error { return s.Close(expired) })
			}
			assert.ErrorIs(t, closeErr, context.Canceled)
			after := slow.calls.Load()
			assert.LessOrEqual(t, after, before+1, "calls started after the stop")
			st := s.Stats()
			assert.EqualValues(t, 500, st.Sent)
			assert.EqualValues(t, 500, int(st.Delivered)+st.InFlight, "delivered + abandoned = sent")
			assert.EqualValues(t, st.Delivered, len(rec.data))
			assert.GreaterOrEqual(t, st.InFlight, 500-int(after), "the queue is abandoned")
		})
	}
}

// TestCancelManyStages: 3 stages of 8 workers whose transformer takes 2 s.
// After a cancel, the calls in progress end at once through their context
// and nothing queued is started: Close returns within one transformer call.
// (Before, it took over four minutes.)
func TestCancelManyStages(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stages []stream.Stage
	var slows []*slowT
	for range 3 {
		slow := newSlowT(2 * time.Second)
		slows = append(slows, slow)
		stages = append(stages, stream.Stage{Transformer: slow, Workers: 8})
	}
	s, err := stream.New(ctx, blockSink(nil), stream.Config{Stages: stages, MaxInFlight: 1000})
	require.NoError(t, err)
	sendAll(t, s, numbered(500))
	<-slows[0].started
	before := slows[0].calls.Load()
	cancel()
	err, took := closeWithin(t, func() error { return s.Close(context.Background()) })
	assert.ErrorIs(t, err, context.Canceled)
	t.Logf("Close returned %v after the cancel", took)
	assert.LessOrEqual(t, slows[0].calls.Load(), before+8, "calls started after the cancel")
	assert.Equal(t, slows[0].calls.Load(), slows[0].canceled.Load(),
		"every call in progress saw its context canceled instead of running 2 s")
	assert.EqualValues(t, 500, s.Stats().InFlight, "all 500 abandoned")
}

// boom panics on the message "bad".
var boom = transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if string(msg.Data()) == "bad" {
		panic("boom")
	}
	return []*weir.Message{msg}, nil
})

func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	t.Run("route", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		var reported []*stream.Error
		s, err := stream.New(context.Background(), rec.sink, stream.Config{
			Stages:        []stream.Stage{{Transformer: boom, Workers: 2, Name: "boomer"}},
			RecoverPanics: true,
			ErrorSink: func(_ context.Context, e *stream.Error) error {
				reported = append(reported, e)
				return nil
			},
		})
		require.NoError(t, err)
		sendAll(t, s, []string{"a", "bad", "b"})
		require.NoError(t, s.Close(context.Background()))
		assert.Equal(t, []string{"a", "b"}, rec.data)
		require.Len(t, reported, 1)
		assert.Equal(t, "boomer", reported[0].Stage)
		assert.EqualValues(t, 1, reported[0].Seq)
		var pe *stream.PanicError
		require.ErrorAs(t, reported[0], &pe)
		assert.Equal(t, "boom", pe.Value)
		assert.Contains(t, string(pe.Stack), "cancel_test.go", "the stack of the panic")
		assert.Contains(t, reported[0].Error(), "panic: boom")
	})
	t.Run("stop", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		s, err := stream.New(context.Background(), rec.sink, stream.Config{
			Stages:        []stream.Stage{{Transformer: boom, Workers: 1}},
			RecoverPanics: true,
		})
		require.NoError(t, err)
		sendAll(t, s, []string{"a", "bad"})
		err = s.Close(context.Background())
		var pe *stream.PanicError
		require.ErrorAs(t, err, &pe)
		var se *stream.Error
		require.ErrorAs(t, err, &se)
		assert.EqualValues(t, 1, se.Seq)
		assert.Equal(t, []string{"a"}, rec.data)
	})
	t.Run("error value", func(t *testing.T) {
		t.Parallel()
		sentinel := errors.New("sentinel")
		s, err := stream.New(context.Background(), blockSink(nil), stream.Config{
			Stages: []stream.Stage{{Transformer: transform.Func(func(context.Context, *weir.Message) ([]*weir.Message, error) {
				panic(sentinel)
			})}},
			RecoverPanics: true,
		})
		require.NoError(t, err)
		sendAll(t, s, []string{"x"})
		assert.ErrorIs(t, s.Close(context.Background()), sentinel)
	})
}

// TestPanicCrashesByDefault: without RecoverPanics a panic is not
// recovered (the library default). It runs itself in a child process, which
// must die with the panic.
func TestPanicCrashesByDefault(t *testing.T) {
	if os.Getenv("WEIR_STREAM_PANIC_CHILD") == "1" {
		s, err := stream.New(context.Background(), blockSink(nil), stream.Config{
			Stages: []stream.Stage{{Transformer: boom}},
		})
		if err != nil {
			os.Exit(3)
		}
		_ = s.Send(context.Background(), weir.NewMessage([]byte("bad")))
		_ = s.Close(context.Background())
		os.Exit(0) // not reached: the panic kills the process
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicCrashesByDefault$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WEIR_STREAM_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child must fail; output:\n%s", out)
	assert.Equal(t, 2, exit.ExitCode(), "a Go panic exits 2")
	assert.Contains(t, string(out), "panic: boom")
}
