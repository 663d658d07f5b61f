package stream_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
)

// messages returns n new messages of size bytes each.
func messages(n, size int) []*weir.Message {
	msgs := make([]*weir.Message, n)
	for i := range msgs {
		msgs[i] = weir.NewMessage(make([]byte, size))
	}
	return msgs
}

// TestSendBatchBackpressure checks that SendBatch stops at the in-flight
// limits, as Send does, and says how many it sent: a batch does not bring
// more into the stream than messages sent one by one would.
func TestSendBatchBackpressure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      stream.Config
		size     int
		accepted int
	}{
		{"messages", stream.Config{MaxInFlight: 10}, 10, 10},
		{"messages, a batch of 16 fits", stream.Config{MaxInFlight: 256}, 10, 256},
		{"bytes", stream.Config{MaxInFlightBytes: 1000}, 100, 10},
		{"one message above the byte limit", stream.Config{MaxInFlightBytes: 100}, 500, 1},
		{"splits do not pass the limit", stream.Config{MaxInFlight: 5, Stages: []stream.Stage{{Transformer: split(7), Workers: 2}}}, 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			unblock := make(chan struct{})
			cfg := tt.cfg
			cfg.Stages = append(cfg.Stages, stream.Stage{Transformer: pass, Workers: 2})
			s, err := stream.New(context.Background(), blockSink(unblock), cfg)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			n, err := s.SendBatch(ctx, messages(tt.accepted+100, tt.size))
			cancel()
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, tt.accepted, n)
			st := s.Stats()
			assert.Equal(t, tt.accepted, st.InFlight)
			assert.Equal(t, int64(tt.accepted*tt.size), st.InFlightBytes)
			assert.EqualValues(t, tt.accepted, st.Sent)

			close(unblock)
			n, err = s.SendBatch(context.Background(), messages(100, tt.size))
			require.NoError(t, err)
			assert.Equal(t, 100, n)
			require.NoError(t, s.Close(context.Background()))
			st = s.Stats()
			assert.Zero(t, st.InFlight)
			assert.EqualValues(t, tt.accepted+100, st.Sent)
		})
	}
}

// TestSendBatchErrors checks what SendBatch returns when it cannot send
// everything: the number sent and Send's error for the first one not sent.
func TestSendBatchErrors(t *testing.T) {
	t.Parallel()
	for _, inline := range []bool{false, true} {
		t.Run("inline="+strconv.FormatBool(inline), func(t *testing.T) {
			t.Parallel()
			var got []string // "ctl" for a control message
			s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
				if msg.IsControl() {
					got = append(got, "ctl")
				} else {
					got = append(got, msg.String())
				}
				return nil
			}, stream.Config{Stages: []stream.Stage{{Transformer: pass, Workers: 1}}, Inline: inline})
			require.NoError(t, err)

			n, err := s.SendBatch(context.Background(), []*weir.Message{weir.NewMessage([]byte("a")), nil, weir.NewMessage([]byte("b"))})
			assert.Error(t, err, "a nil message")
			assert.Equal(t, 1, n)

			n, err = s.SendBatch(context.Background(), nil)
			assert.NoError(t, err)
			assert.Zero(t, n)

			ctx, cancel := context.WithCancelCause(context.Background())
			cause := errors.New("request canceled")
			cancel(cause)
			// The send lock is free and there is room: a done context does
			// not stop a send that need not wait (as with Send).
			n, err = s.SendBatch(ctx, []*weir.Message{weir.NewMessage([]byte("c"))})
			assert.NoError(t, err)
			assert.Equal(t, 1, n)

			n, err = s.SendBatch(context.Background(), []*weir.Message{weir.NewMessage([]byte("d")), weir.NewControl(), weir.NewMessage([]byte("e"))})
			require.NoError(t, err)
			assert.Equal(t, 3, n)

			require.NoError(t, s.Close(context.Background()))
			assert.Equal(t, []string{"a", "c", "d", "ctl", "e", "ctl"}, got, "the control message is a flush at its place")
			n, err = s.SendBatch(context.Background(), []*weir.Message{weir.NewMessage([]byte("f"))})
			assert.ErrorIs(t, err, stream.ErrClosed)
			assert.Zero(t, n)
		})
	}
}

// TestSendBatchStopsAtError checks the stop policy with batches: the
// stream stops at the first failure in output order, a later SendBatch
// fails with ErrStopped, and every message before the failure, from
// whichever batch, is delivered.
func TestSendBatchStopsAtError(t *testing.T) {
	t.Parallel()
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages:      []stream.Stage{{Transformer: failOn(func(d string) bool { return d == "37" }), Workers: 2}},
		MaxInFlight: 256,
	})
	require.NoError(t, err)
	var msgs []*weir.Message
	for _, d := range numbered(100) {
		msgs = append(msgs, weir.NewMessage([]byte(d)))
	}
	_, _ = s.SendBatch(context.Background(), msgs) // may or may not see the stop
	var se *stream.Error
	require.ErrorAs(t, s.Close(context.Background()), &se)
	assert.EqualValues(t, 37, se.Seq)
	assert.Equal(t, numbered(37), rec.data)
	n, err := s.SendBatch(context.Background(), messages(3, 1))
	assert.Zero(t, n)
	assert.Error(t, err)
}

// TestSendBatchCancelAbandonsQueued is TestCancelAbandonsQueued with the
// messages sent in batches: a worker checks for the stop before each
// message of its batch, so no call starts after the cancel beyond the one
// a worker may have begun as it happened.
func TestSendBatchCancelAbandonsQueued(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := newSlowT(time.Minute) // only the first call starts before the cancel
	var rec recorder
	s, err := stream.New(ctx, rec.sink, stream.Config{
		Stages:      []stream.Stage{{Transformer: slow, Workers: 1}},
		MaxInFlight: 1000,
	})
	require.NoError(t, err)
	var msgs []*weir.Message
	for _, d := range numbered(500) {
		msgs = append(msgs, weir.NewMessage([]byte(d)))
	}
	n, err := s.SendBatch(context.Background(), msgs)
	require.NoError(t, err)
	require.Equal(t, 500, n)
	<-slow.started

	before := slow.calls.Load()
	cancel()
	closeErr, _ := closeWithin(t, func() error { return s.Close(context.Background()) })
	assert.ErrorIs(t, closeErr, context.Canceled)
	after := slow.calls.Load()
	assert.LessOrEqual(t, after, before+1, "calls started after the stop")
	st := s.Stats()
	assert.EqualValues(t, 500, st.Sent)
	assert.EqualValues(t, 500, int(st.Delivered)+st.InFlight, "delivered + abandoned = sent")
	assert.GreaterOrEqual(t, st.InFlight, 500-int(after), "the queue is abandoned")
}

// TestSendBatchBlockedByCancel checks that a SendBatch waiting for room
// returns when New's context is canceled, with what it had sent.
func TestSendBatchBlockedByCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := stream.New(ctx, blockSink(nil), stream.Config{
		Stages: []stream.Stage{{Transformer: pass, Workers: 2}}, MaxInFlight: 8,
	})
	require.NoError(t, err)
	type sent struct {
		n   int
		err error
	}
	done := make(chan sent, 1)
	go func() {
		n, err := s.SendBatch(context.Background(), messages(100, 1))
		done <- sent{n, err}
	}()
	// SendBatch blocks once the 8 messages the stream holds are in.
	require.Eventually(t, func() bool { return s.Stats().Sent == 8 }, 10*time.Second, time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	cancel()
	r := <-done
	assert.ErrorIs(t, r.err, stream.ErrStopped)
	assert.ErrorIs(t, r.err, context.Canceled)
	assert.Equal(t, 8, r.n)
	assert.ErrorIs(t, s.Close(context.Background()), context.Canceled)
}
