package stream_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// TestInlineDeliversBeforeSendReturns: an inline stream transforms a
// message and hands the results to the sinks within Send, and a Flush's
// control message within Flush; the counters agree with a threaded
// stream's. TestInvariantUnderFaults covers order, splits, drops, errors
// and flushes under concurrent senders.
func TestInlineDeliversBeforeSendReturns(t *testing.T) {
	t.Parallel()
	var (
		rec      recorder
		reported []string
	)
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{
			{Transformer: split(2), Name: "split"},
			{Transformer: failOn(func(d string) bool { return strings.HasPrefix(d, "b") }), Workers: 1, Name: "check"},
		},
		ErrorSink: func(_ context.Context, e *stream.Error) error {
			reported = append(reported, e.Msg.String())
			return nil
		},
		Inline: true,
	})
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), weir.NewMessage([]byte("a"))))
	assert.Equal(t, []string{"a.0", "a.1"}, rec.data, "delivered before Send returned")
	require.NoError(t, s.Send(context.Background(), weir.NewMessage([]byte("b"))))
	assert.Equal(t, []string{"b.0", "b.1"}, reported, "reported before Send returned")
	require.NoError(t, s.Flush(context.Background()))
	assert.Equal(t, 1, rec.controls, "the control message reached the sink within Flush")
	require.NoError(t, s.Sync(context.Background()))
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, 2, rec.controls)

	st := s.Stats()
	assert.Equal(t, uint64(2), st.Sent)
	assert.Equal(t, uint64(2), st.Delivered)
	assert.Equal(t, uint64(2), st.Reported)
	assert.Zero(t, st.InFlight)
	assert.Zero(t, st.InFlightBytes)
	require.Len(t, st.Stages, 2)
	assert.Equal(t, stream.StageStats{Name: "split", Workers: 1, In: 2, Out: 4, Flushes: 2,
		Wait: stream.Timing{Count: 2}, Process: st.Stages[0].Process}, st.Stages[0])
	assert.Equal(t, uint64(4), st.Stages[1].In)
	assert.Equal(t, uint64(2), st.Stages[1].Errored)
	assert.Equal(t, uint64(4), st.Stages[1].Process.Count)
	assert.ErrorIs(t, s.Send(context.Background(), weir.NewMessage([]byte("c"))), stream.ErrClosed)
}

func TestInlineValidates(t *testing.T) {
	t.Parallel()
	_, err := stream.New(context.Background(), (&recorder{}).sink, stream.Config{
		Stages: []stream.Stage{{Transformer: pass, Workers: 2, Name: "x"}}, Inline: true,
	})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
	assert.ErrorContains(t, err, `stage 0 ("x"): an inline stream runs one message at a time, not 2 Workers`)
}

// TestInlineStopPolicy: the first failure stops an inline stream; the Send
// that met it has accepted its message, the next one fails, and Close
// returns the failure.
func TestInlineStopPolicy(t *testing.T) {
	t.Parallel()
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{{Transformer: failOn(func(d string) bool { return d == "3" }), Name: "check"}},
		Inline: true,
	})
	require.NoError(t, err)
	sendAll(t, s, numbered(4))
	err = s.Send(context.Background(), weir.NewMessage([]byte("4")))
	assert.ErrorIs(t, err, stream.ErrStopped)
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	assert.ErrorIs(t, s.Flush(context.Background()), stream.ErrStopped)
	var se *stream.Error
	require.ErrorAs(t, s.Close(context.Background()), &se)
	assert.Equal(t, uint64(3), se.Seq)
	assert.Equal(t, numbered(3), rec.data)
}

// TestInlineSinkErrorStops: a sink's error stops an inline stream, and a
// flush that did not reach the sink fails.
func TestInlineSinkErrorStops(t *testing.T) {
	t.Parallel()
	full := errors.New("disk full")
	s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
		if msg.IsControl() {
			return nil
		}
		return full
	}, stream.Config{Stages: []stream.Stage{{Transformer: pass}}, Inline: true})
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), weir.NewMessage([]byte("a"))))
	assert.ErrorIs(t, s.Flush(context.Background()), full)
	assert.ErrorIs(t, s.Close(context.Background()), full)
}

// TestInlineRecoverPanics: with RecoverPanics a panic in an inline stage
// is a reported failure, not a crash of the goroutine calling Send.
func TestInlineRecoverPanics(t *testing.T) {
	t.Parallel()
	var rec recorder
	var reported []error
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages:        []stream.Stage{{Transformer: boom, Name: "boomer"}},
		RecoverPanics: true,
		Inline:        true,
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
	var pe *stream.PanicError
	assert.ErrorAs(t, reported[0], &pe)
}

// TestInlineCancel: canceling New's context stops an inline stream: the
// transformer running in a Send sees it, that Send returns, and the
// stream takes nothing more.
func TestInlineCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	entered := make(chan struct{})
	blockT := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.String() == "block" {
			close(entered)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return msg.AsSlice(), nil
	})
	var rec recorder
	s, err := stream.New(ctx, rec.sink, stream.Config{Stages: []stream.Stage{{Transformer: blockT}}, Inline: true})
	require.NoError(t, err)
	sendAll(t, s, []string{"a"})
	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), weir.NewMessage([]byte("block"))) }()
	<-entered
	cancel()
	select {
	case err := <-sent:
		assert.NoError(t, err, "the message was accepted; Close says why the stream stopped")
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not return after the cancellation")
	}
	assert.ErrorIs(t, s.Send(context.Background(), weir.NewMessage([]byte("b"))), context.Canceled)
	assert.ErrorIs(t, s.Close(context.Background()), context.Canceled)
	assert.Equal(t, []string{"a"}, rec.data, "the failed message reached no sink")
}

// TestInlineCloseGivesUp: Close returns when its context ends even if the
// final flush blocks in the sink, and waits for a Send in another
// goroutine to return.
func TestInlineCloseGivesUp(t *testing.T) {
	t.Parallel()
	var inSink atomic.Int32
	s, err := stream.New(context.Background(), func(ctx context.Context, msg *weir.Message) error {
		inSink.Add(1)
		<-ctx.Done() // blocks until the stream stops
		return ctx.Err()
	}, stream.Config{Stages: []stream.Stage{{Transformer: pass}}, Inline: true})
	require.NoError(t, err)
	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), weir.NewMessage([]byte("a"))) }()
	require.Eventually(t, func() bool { return inSink.Load() == 1 }, 10*time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.Close(ctx), context.DeadlineExceeded)
	select {
	case err := <-sent:
		assert.NoError(t, err)
	default:
		t.Fatal("Close returned before the Send in progress")
	}
}

// TestReleaseWithSinkError: under the stop policy a message the sink
// failed on is not released; the ones before it are, once each.
func TestReleaseWithSinkError(t *testing.T) {
	t.Parallel()
	for _, inline := range []bool{false, true} {
		var released []string
		full := errors.New("disk full")
		s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
			if msg.String() == "2" {
				return full
			}
			return nil
		}, stream.Config{
			Stages:  []stream.Stage{{Transformer: pass, Workers: 1}},
			Release: func(msg *weir.Message) { released = append(released, msg.String()) },
			Inline:  inline,
		})
		require.NoError(t, err)
		for _, d := range numbered(3) {
			if s.Send(context.Background(), weir.NewMessage([]byte(d))) != nil {
				break
			}
		}
		assert.ErrorIs(t, s.Close(context.Background()), full)
		assert.Equal(t, []string{"0", "1"}, released, "inline=%v", inline)
	}
}

// TestReleaseAfterEverythingFromIt: a message is released only once every
// message that came from it has left the stream, however the stages split,
// drop or fail them.
func TestReleaseAfterEverythingFromIt(t *testing.T) {
	t.Parallel()
	for _, inline := range []bool{false, true} {
		var events []string
		s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
			if !msg.IsControl() {
				events = append(events, "deliver "+msg.String())
			}
			return nil
		}, stream.Config{
			Stages: []stream.Stage{
				{Transformer: split(3), Workers: 1},
				{Transformer: failOn(func(d string) bool { return strings.HasPrefix(d, "b") }), Workers: 1},
			},
			ErrorSink: func(_ context.Context, e *stream.Error) error {
				events = append(events, "report "+e.Msg.String())
				return nil
			},
			Release: func(msg *weir.Message) { events = append(events, "release "+msg.String()) },
			Inline:  inline,
		})
		require.NoError(t, err)
		sendAll(t, s, []string{"a", "b"})
		require.NoError(t, s.Close(context.Background()))
		assert.Equal(t, []string{
			"deliver a.0", "deliver a.1", "deliver a.2", "release a",
			"report b.0", "report b.1", "report b.2", "release b",
		}, events, "inline=%v", inline)
	}
}
