package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// pass returns every message unchanged.
var pass = transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return []*weir.Message{msg}, nil
})

// jitter returns a transformer that passes messages on after a pseudo-random
// pause of up to max, so that workers finish out of order.
func jitter(maxPause time.Duration) transform.Transformer {
	return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if !msg.IsControl() {
			if d := time.Duration(hash(string(msg.Data()), 1)) % maxPause; d > maxPause/2 {
				time.Sleep(d)
			}
		}
		return []*weir.Message{msg}, nil
	})
}

// hash mixes s and salt into a pseudo-random number.
func hash(s string, salt uint64) uint64 {
	h := uint64(14695981039346656037) ^ salt*0x9e3779b97f4a7c15
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// recorder is a sink that keeps the data messages it gets and counts the
// control messages. The stream calls it from one goroutine; read it after
// Flush, Sync or Close returned.
type recorder struct {
	data     []string
	controls int
}

func (r *recorder) sink(_ context.Context, msg *weir.Message) error {
	if msg.IsControl() {
		r.controls++
		return nil
	}
	r.data = append(r.data, string(msg.Data()))
	return nil
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

func sendAll(t *testing.T, s *stream.Stream, data []string) {
	t.Helper()
	for _, d := range data {
		require.NoError(t, s.Send(context.Background(), weir.NewMessage([]byte(d))))
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	one := []stream.Stage{{Transformer: pass}}
	key := func(*weir.Message) string { return "" }
	sink := (&recorder{}).sink
	tests := []struct {
		name string
		sink stream.Sink
		cfg  stream.Config
		want string
	}{
		{"nil sink", nil, stream.Config{Stages: one}, "nil sink"},
		{"no stages", sink, stream.Config{}, "no stages"},
		{"nil transformer", sink, stream.Config{Stages: []stream.Stage{{Name: "x"}}}, `stage 0 ("x"): nil Transformer`},
		{"negative workers", sink, stream.Config{Stages: []stream.Stage{{Transformer: pass, Workers: -1}}}, "negative Workers"},
		{"per-key without key", sink, stream.Config{Stages: one, Order: stream.PerKey}, "needs a Key"},
		{"key without per-key", sink, stream.Config{Stages: one, Key: key}, "a Key needs order per-key"},
		{"unknown order", sink, stream.Config{Stages: one, Order: 9}, "unknown Order(9)"},
		{"negative in-flight", sink, stream.Config{Stages: one, MaxInFlight: -1}, "negative MaxInFlight"},
		{"negative bytes", sink, stream.Config{Stages: one, MaxInFlightBytes: -1}, "negative MaxInFlightBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := stream.New(context.Background(), tt.sink, tt.cfg)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestOrder checks each order mode with workers that finish out of order.
func TestOrder(t *testing.T) {
	t.Parallel()
	const n = 500
	key := func(msg *weir.Message) string { return strconv.Itoa(int(hash(string(msg.Data()), 7) % 5)) }
	for _, order := range []stream.Order{stream.Ordered, stream.Unordered, stream.PerKey} {
		for _, workers := range []int{1, 8} {
			t.Run(fmt.Sprintf("%v/workers=%d", order, workers), func(t *testing.T) {
				t.Parallel()
				cfg := stream.Config{
					Order:  order,
					Stages: []stream.Stage{{Transformer: jitter(300 * time.Microsecond), Workers: workers}, {Transformer: pass, Workers: 3}},
				}
				if order == stream.PerKey {
					cfg.Key = key
				}
				var rec recorder
				s, err := stream.New(context.Background(), rec.sink, cfg)
				require.NoError(t, err)
				in := numbered(n)
				sendAll(t, s, in)
				require.NoError(t, s.Close(context.Background()))

				assert.ElementsMatch(t, in, rec.data)
				switch order {
				case stream.Ordered:
					assert.Equal(t, in, rec.data)
				case stream.PerKey:
					byKey := func(data []string) map[string][]string {
						m := map[string][]string{}
						for _, d := range data {
							k := key(weir.NewMessage([]byte(d)))
							m[k] = append(m[k], d)
						}
						return m
					}
					assert.Equal(t, byKey(in), byKey(rec.data), "each key's messages keep their order")
				}
				if workers > 1 && order != stream.Ordered {
					assert.NotEqual(t, in, rec.data, "with jitter, some message overtakes another")
				}
			})
		}
	}
}

// TestPerKeyOvertakes checks that a slow message holds back only the
// messages with its key.
func TestPerKeyOvertakes(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if string(msg.Data()) == "a1" {
			<-release
		}
		return []*weir.Message{msg}, nil
	})
	got := make(chan string, 10)
	s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			got <- string(msg.Data())
		}
		return nil
	}, stream.Config{
		Stages: []stream.Stage{{Transformer: slow, Workers: 4}},
		Order:  stream.PerKey,
		Key:    func(msg *weir.Message) string { return string(msg.Data()[:1]) },
	})
	require.NoError(t, err)
	sendAll(t, s, []string{"a1", "b1", "a2", "b2"})
	assert.Equal(t, "b1", <-got)
	assert.Equal(t, "b2", <-got)
	close(release)
	assert.Equal(t, "a1", <-got)
	assert.Equal(t, "a2", <-got)
	require.NoError(t, s.Close(context.Background()))
}

// split returns n copies of each data message, numbered "<data>.<i>".
func split(n int) transform.Transformer {
	return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{msg}, nil
		}
		out := make([]*weir.Message, n)
		for i := range out {
			out[i] = weir.NewMessage(fmt.Appendf(nil, "%s.%d", msg.Data(), i))
		}
		return out, nil
	})
}

// TestSplitStaysTogether checks that the messages one input became leave
// together and in order, through stages that split again.
func TestSplitStaysTogether(t *testing.T) {
	t.Parallel()
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{
			{Transformer: split(3), Workers: 4},
			{Transformer: jitter(200 * time.Microsecond), Workers: 8},
			{Transformer: split(2), Workers: 2},
		},
		MaxInFlight: 4, // smaller than what one input becomes
	})
	require.NoError(t, err)
	sendAll(t, s, numbered(50))
	require.NoError(t, s.Close(context.Background()))

	var want []string
	for i := range 50 {
		for j := range 3 {
			for k := range 2 {
				want = append(want, fmt.Sprintf("%d.%d.%d", i, j, k))
			}
		}
	}
	assert.Equal(t, want, rec.data)
}

// holder keeps every data message until a control message, then returns
// them in arrival order followed by the control message, like an
// aggregation. It counts the control messages it sees.
type holder struct {
	mu       sync.Mutex
	held     []*weir.Message
	controls atomic.Int32
}

func (h *holder) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !msg.IsControl() {
		h.held = append(h.held, msg)
		return nil, nil
	}
	h.controls.Add(1)
	out := append(h.held, msg)
	h.held = nil
	return out, nil
}

// TestFlushIsABarrier checks that each Flush passes one control message
// through each stage, after every message sent before it and before every
// message sent after it, whatever the order mode.
func TestFlushIsABarrier(t *testing.T) {
	t.Parallel()
	for _, order := range []stream.Order{stream.Ordered, stream.Unordered, stream.PerKey} {
		t.Run(order.String(), func(t *testing.T) {
			t.Parallel()
			first, second := &holder{}, &holder{}
			cfg := stream.Config{
				Order: order,
				Stages: []stream.Stage{
					{Transformer: jitter(200 * time.Microsecond), Workers: 8},
					// A stateful stage sees messages in the stream's order
					// when it has one worker.
					{Transformer: first, Workers: 1, Name: "first"},
					{Transformer: jitter(100 * time.Microsecond), Workers: 8},
					{Transformer: second, Workers: 1, Name: "second"},
				},
			}
			if order == stream.PerKey {
				cfg.Key = func(msg *weir.Message) string { return string(msg.Data()[len(msg.Data())-1:]) }
			}
			var rec recorder
			s, err := stream.New(context.Background(), rec.sink, cfg)
			require.NoError(t, err)

			const batches, size = 5, 40
			for b := range batches {
				batch := make([]string, size)
				for i := range batch {
					batch[i] = fmt.Sprintf("%d-%d", b, i)
				}
				sendAll(t, s, batch)
				require.NoError(t, s.Flush(context.Background()))
				// Flush returned: the sink has the whole batch, and nothing
				// else.
				got := rec.data[b*size:]
				assert.ElementsMatch(t, batch, got, "batch %d", b)
				assert.Equal(t, b+1, rec.controls)
				if order == stream.Ordered {
					assert.Equal(t, batch, got, "an ordered stream flushes in input order")
				}
			}
			require.NoError(t, s.Close(context.Background()))
			assert.Equal(t, int32(batches+1), first.controls.Load(), "one control message per Flush, and one for Close")
			assert.Equal(t, int32(batches+1), second.controls.Load())
			assert.Equal(t, batches+1, rec.controls)
			assert.Len(t, rec.data, batches*size)

			st := s.Stats()
			assert.Equal(t, uint64(batches+1), st.Stages[1].Flushes)
			assert.Equal(t, uint64(batches*size), st.Stages[1].Dropped, "a holder drops what it holds")
		})
	}
}

func TestSendControlFlushes(t *testing.T) {
	t.Parallel()
	h := &holder{}
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{Stages: []stream.Stage{{Transformer: h, Workers: 2}}})
	require.NoError(t, err)
	sendAll(t, s, []string{"a", "b"})
	require.NoError(t, s.Send(context.Background(), weir.NewControl()))
	// Two workers may hand "a" and "b" to the holder in either order (a
	// stateful stage keeps input order only with one worker); what matters
	// here is that both were released before Send returned.
	assert.ElementsMatch(t, []string{"a", "b"}, rec.data, "Send of a control message waits like Flush")
	assert.Equal(t, 1, rec.controls)
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, int32(2), h.controls.Load())
}

// TestControlFromTransformer checks that a control message a transformer
// returns with a data message (utility_control) flushes the stages after
// it.
func TestControlFromTransformer(t *testing.T) {
	t.Parallel()
	every3 := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if !msg.IsControl() && strings.HasSuffix(string(msg.Data()), "2") {
			return []*weir.Message{msg, weir.NewControl()}, nil
		}
		return []*weir.Message{msg}, nil
	})
	h := &holder{}
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{{Transformer: every3, Workers: 4}, {Transformer: h, Workers: 1}},
	})
	require.NoError(t, err)
	sendAll(t, s, numbered(5))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, []string{"0", "1", "2"}, rec.data, "released by the control message after 2")
	assert.Equal(t, 1, rec.controls)
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, numbered(5), rec.data)
	assert.Equal(t, int32(2), h.controls.Load())
}

func TestSyncDoesNotFlush(t *testing.T) {
	t.Parallel()
	var controls atomic.Int32
	countControls := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			controls.Add(1)
		}
		return []*weir.Message{msg}, nil
	})
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{{Transformer: jitter(100 * time.Microsecond), Workers: 8}, {Transformer: countControls}},
	})
	require.NoError(t, err)
	sendAll(t, s, numbered(100))
	require.NoError(t, s.Sync(context.Background()))
	assert.Equal(t, numbered(100), rec.data, "Sync returns once all is delivered")
	assert.Zero(t, rec.controls)
	assert.Zero(t, controls.Load())
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, int32(1), controls.Load())
}

// failOn fails on the data messages for which bad is true.
func failOn(bad func(string) bool) transform.Transformer {
	return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if !msg.IsControl() && bad(string(msg.Data())) {
			return nil, fmt.Errorf("bad %s: %w", msg.Data(), weir.ErrInvalidData)
		}
		return []*weir.Message{msg}, nil
	})
}

func TestStopPolicy(t *testing.T) {
	t.Parallel()
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{
			{Transformer: jitter(100 * time.Microsecond), Workers: 8},
			{Transformer: failOn(func(d string) bool { return d == "30" || d == "60" }), Workers: 8, Name: "check"},
		},
		MaxInFlight: 16,
	})
	require.NoError(t, err)
	var sendErr error
	for _, d := range numbered(1000) {
		if sendErr = s.Send(context.Background(), weir.NewMessage([]byte(d))); sendErr != nil {
			break
		}
	}
	require.Error(t, sendErr, "the stream stops before taking all of the input")
	assert.ErrorIs(t, sendErr, stream.ErrStopped)
	assert.ErrorIs(t, sendErr, weir.ErrInvalidData, "the cause is wrapped")

	err = s.Close(context.Background())
	var se *stream.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "check", se.Stage)
	assert.Equal(t, uint64(30), se.Seq)
	assert.Equal(t, "30", se.Msg.String())
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	assert.Equal(t, `stream: stage "check": message 30: bad 30: weir: invalid data`, err.Error())
	assert.Equal(t, numbered(30), rec.data, "everything before the failure is delivered, nothing after it")

	assert.Equal(t, err, s.Close(context.Background()), "Close again returns the same")
	assert.ErrorIs(t, s.Send(context.Background(), weir.NewMessage([]byte("x"))), stream.ErrClosed)
	assert.ErrorIs(t, s.Flush(context.Background()), stream.ErrClosed)
}

func TestRoutePolicy(t *testing.T) {
	t.Parallel()
	var (
		rec    recorder
		events []string // deliveries and failures, in the order the sinks saw them
	)
	s, err := stream.New(context.Background(), func(ctx context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			events = append(events, msg.String())
		}
		return rec.sink(ctx, msg)
	}, stream.Config{
		Stages: []stream.Stage{
			{Transformer: jitter(100 * time.Microsecond), Workers: 8},
			{Transformer: failOn(func(d string) bool { return strings.HasSuffix(d, "3") }), Workers: 8, Name: "check"},
		},
		ErrorSink: func(_ context.Context, e *stream.Error) error {
			events = append(events, fmt.Sprintf("%s failed in %s: %v", e.Msg, e.Stage, e.Err))
			return nil
		},
	})
	require.NoError(t, err)
	sendAll(t, s, numbered(20))
	require.NoError(t, s.Close(context.Background()))

	var want []string
	for _, d := range numbered(20) {
		if strings.HasSuffix(d, "3") {
			want = append(want, fmt.Sprintf("%s failed in check: bad %s: weir: invalid data", d, d))
		} else {
			want = append(want, d)
		}
	}
	assert.Equal(t, want, events, "failures are reported in order, among the deliveries")
	st := s.Stats()
	assert.Equal(t, uint64(20), st.Sent)
	assert.Equal(t, uint64(18), st.Delivered)
	assert.Equal(t, uint64(2), st.Reported)
	assert.Equal(t, uint64(2), st.Stages[1].Errored)
}

func TestFlushErrors(t *testing.T) {
	t.Parallel()
	failFlush := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return nil, errors.New("cannot flush")
		}
		return []*weir.Message{msg}, nil
	})

	t.Run("stop", func(t *testing.T) {
		t.Parallel()
		var rec recorder
		s, err := stream.New(context.Background(), rec.sink, stream.Config{Stages: []stream.Stage{{Transformer: failFlush, Name: "f"}}})
		require.NoError(t, err)
		sendAll(t, s, []string{"a"})
		err = s.Close(context.Background())
		var se *stream.Error
		require.ErrorAs(t, err, &se)
		assert.True(t, se.Msg.IsControl())
		assert.Equal(t, uint64(1), se.Seq, "a flush is numbered after the messages before it")
		assert.Equal(t, []string{"a"}, rec.data)
	})

	t.Run("route", func(t *testing.T) {
		t.Parallel()
		var (
			rec      recorder
			reported []*stream.Error
		)
		h := &holder{}
		s, err := stream.New(context.Background(), rec.sink, stream.Config{
			Stages:    []stream.Stage{{Transformer: failFlush, Name: "f"}, {Transformer: h}},
			ErrorSink: func(_ context.Context, e *stream.Error) error { reported = append(reported, e); return nil },
		})
		require.NoError(t, err)
		sendAll(t, s, []string{"a"})
		require.NoError(t, s.Flush(context.Background()))
		require.Len(t, reported, 1)
		assert.True(t, reported[0].Msg.IsControl())
		assert.Equal(t, int32(1), h.controls.Load(), "the next stage still flushes")
		assert.Equal(t, []string{"a"}, rec.data)
		require.NoError(t, s.Close(context.Background()))
	})
}

func TestSinkErrorStops(t *testing.T) {
	t.Parallel()
	diskFull := errors.New("disk full")
	for _, route := range []bool{false, true} {
		t.Run(fmt.Sprintf("route=%v", route), func(t *testing.T) {
			t.Parallel()
			n := 0
			cfg := stream.Config{Stages: []stream.Stage{{Transformer: pass, Workers: 4}}}
			if route {
				cfg.ErrorSink = func(context.Context, *stream.Error) error { return nil }
			}
			s, err := stream.New(context.Background(), func(context.Context, *weir.Message) error {
				if n++; n == 10 {
					return diskFull
				}
				return nil
			}, cfg)
			require.NoError(t, err)
			for _, d := range numbered(10000) {
				if s.Send(context.Background(), weir.NewMessage([]byte(d))) != nil {
					break
				}
			}
			assert.Equal(t, diskFull, s.Close(context.Background()), "Close returns the sink's error as it is")
		})
	}
}

func TestErrorSinkErrorStops(t *testing.T) {
	t.Parallel()
	dlqDown := errors.New("dead-letter queue unavailable")
	s, err := stream.New(context.Background(), (&recorder{}).sink, stream.Config{
		Stages:    []stream.Stage{{Transformer: failOn(func(string) bool { return true })}},
		ErrorSink: func(context.Context, *stream.Error) error { return dlqDown },
	})
	require.NoError(t, err)
	sendAll(t, s, []string{"a"})
	assert.ErrorIs(t, s.Close(context.Background()), dlqDown)
}

// blockSink returns a sink that blocks until unblock is closed or the
// stream stops.
func blockSink(unblock <-chan struct{}) stream.Sink {
	return func(ctx context.Context, _ *weir.Message) error {
		select {
		case <-unblock:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sendUntilBlocked sends messages of size bytes until Send blocks for 20ms
// and returns how many it took.
func sendUntilBlocked(t *testing.T, s *stream.Stream, size int) int {
	t.Helper()
	for n := 0; ; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := s.Send(ctx, weir.NewMessage(make([]byte, size)))
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			return n
		}
		require.Less(t, n, 1000, "Send never blocks")
	}
}

// TestBackpressure checks that Send blocks once the in-flight limits are
// reached, with a sink that stalls, and goes on when the sink does.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      stream.Config
		size     int
		accepted int
	}{
		// The sink holds one message; the limit counts it.
		{"messages", stream.Config{MaxInFlight: 10}, 10, 10},
		{"bytes", stream.Config{MaxInFlightBytes: 1000}, 100, 10},
		{"bytes, rounded down", stream.Config{MaxInFlightBytes: 1050}, 100, 10},
		{"one message above the byte limit", stream.Config{MaxInFlightBytes: 100}, 500, 1},
		{"splits do not pass the limit", stream.Config{MaxInFlight: 5, Stages: []stream.Stage{{Transformer: split(7), Workers: 2}}}, 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			unblock := make(chan struct{})
			cfg := tt.cfg
			cfg.Stages = append(cfg.Stages, stream.Stage{Transformer: pass, Workers: 3})
			s, err := stream.New(context.Background(), blockSink(unblock), cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.accepted, sendUntilBlocked(t, s, tt.size))
			st := s.Stats()
			assert.Equal(t, tt.accepted, st.InFlight)
			assert.Equal(t, int64(tt.accepted*tt.size), st.InFlightBytes)

			close(unblock)
			sendAll(t, s, numbered(100))
			require.NoError(t, s.Close(context.Background()))
			assert.Zero(t, s.Stats().InFlight)
		})
	}
}

// TestCancel checks that canceling the stream's context stops every
// goroutine promptly, including transformers and sinks that wait on it and
// callers blocked in Send; TestMain checks that none is left behind.
func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	blockT := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if string(msg.Data()) == "0" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return []*weir.Message{msg}, nil
	})
	s, err := stream.New(ctx, blockSink(nil), stream.Config{
		Stages:      []stream.Stage{{Transformer: blockT, Workers: 4}, {Transformer: pass, Workers: 100}},
		MaxInFlight: 8,
	})
	require.NoError(t, err)

	sendErr := make(chan error, 1)
	go func() {
		var err error
		for _, d := range numbered(100) {
			if err = s.Send(context.Background(), weir.NewMessage([]byte(d))); err != nil {
				break
			}
		}
		sendErr <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Send block
	start := time.Now()
	cancel()
	err = <-sendErr
	assert.ErrorIs(t, err, stream.ErrStopped)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Close(context.Background()), context.Canceled)
	// Generous: a busy machine must not fail this; the old stream took
	// minutes when the queue was long.
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestSendContext(t *testing.T) {
	t.Parallel()
	unblock := make(chan struct{})
	s, err := stream.New(context.Background(), blockSink(unblock), stream.Config{
		Stages: []stream.Stage{{Transformer: pass}}, MaxInFlight: 1,
	})
	require.NoError(t, err)
	sendAll(t, s, []string{"a"})

	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("request canceled")
	cancel(cause)
	assert.Equal(t, cause, s.Send(ctx, weir.NewMessage([]byte("b"))), "Send returns the cause")
	assert.Equal(t, cause, s.Flush(ctx))
	assert.Equal(t, cause, s.Sync(ctx))

	close(unblock)
	require.NoError(t, s.Close(context.Background()))
}

// TestCloseGivesUp checks that Close returns when its context ends even if
// the sink never does.
func TestCloseGivesUp(t *testing.T) {
	t.Parallel()
	s, err := stream.New(context.Background(), blockSink(nil), stream.Config{Stages: []stream.Stage{{Transformer: pass}}})
	require.NoError(t, err)
	sendAll(t, s, []string{"a", "b"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.Close(ctx), context.DeadlineExceeded)
}

func TestConcurrentSenders(t *testing.T) {
	t.Parallel()
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages:      []stream.Stage{{Transformer: jitter(50 * time.Microsecond), Workers: 8}},
		MaxInFlight: 16,
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				require.NoError(t, s.Send(context.Background(), weir.NewMessage(fmt.Appendf(nil, "%d-%d", g, i))))
				if i%50 == 0 {
					require.NoError(t, s.Flush(context.Background()))
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, s.Close(context.Background()))
	require.Len(t, rec.data, 800)
	next := map[string]int{}
	for _, d := range rec.data {
		g, i, _ := strings.Cut(d, "-")
		assert.Equal(t, strconv.Itoa(next[g]), i, "each sender's messages stay in its order")
		next[g]++
	}
}

func TestStatsAndHook(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		counts = map[stream.EventKind]int{}
		seqs   []uint64
	)
	var rec recorder
	s, err := stream.New(context.Background(), rec.sink, stream.Config{
		Stages: []stream.Stage{
			{Transformer: split(2), Workers: 2, Name: "split"},
			{Transformer: failOn(func(d string) bool { return strings.HasSuffix(d, ".1") }), Workers: 3},
		},
		ErrorSink: func(context.Context, *stream.Error) error { return nil },
		Hook: func(e stream.Event) {
			mu.Lock()
			defer mu.Unlock()
			counts[e.Kind]++
			if e.Kind == stream.EventSent {
				seqs = append(seqs, e.Seq)
			}
		},
	})
	require.NoError(t, err)
	sendAll(t, s, numbered(10))
	require.NoError(t, s.Close(context.Background()))

	st := s.Stats()
	assert.Equal(t, uint64(10), st.Sent)
	assert.Equal(t, uint64(10), st.Delivered)
	assert.Equal(t, uint64(10), st.Reported)
	assert.Zero(t, st.InFlight)
	require.Len(t, st.Stages, 2)
	assert.Equal(t, stream.StageStats{Name: "split", Workers: 2, In: 10, Out: 20, Flushes: 1,
		Wait: st.Stages[0].Wait, Process: st.Stages[0].Process}, st.Stages[0])
	assert.Equal(t, "stage1", st.Stages[1].Name)
	assert.Equal(t, uint64(20), st.Stages[1].In)
	assert.Equal(t, uint64(10), st.Stages[1].Out)
	assert.Equal(t, uint64(10), st.Stages[1].Errored)
	assert.Equal(t, uint64(20), st.Stages[1].Process.Count)
	assert.Positive(t, st.Stages[1].Process.Total)
	assert.GreaterOrEqual(t, st.Stages[1].Process.Total, st.Stages[1].Process.Max)
	assert.Positive(t, st.Stages[1].Process.Mean())

	assert.Equal(t, map[stream.EventKind]int{
		stream.EventSent: 10, stream.EventProcessed: 30, stream.EventDelivered: 10, stream.EventFailed: 10,
	}, counts)
	assert.Equal(t, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, seqs)
}

func TestSendNil(t *testing.T) {
	t.Parallel()
	s, err := stream.New(context.Background(), (&recorder{}).sink, stream.Config{Stages: []stream.Stage{{Transformer: pass}}})
	require.NoError(t, err)
	assert.Error(t, s.Send(context.Background(), nil))
	require.NoError(t, s.Close(context.Background()))
}

// TestPerKeyManyKeys runs many more keys than the window through a per-key
// stream (the collector forgets idle keys) and one busy key (its queue never
// empties).
func TestPerKeyManyKeys(t *testing.T) {
	t.Parallel()
	for name, key := range map[string]func(string) string{
		"many keys": func(d string) string { n, _ := strconv.Atoi(d); return strconv.Itoa(n % 300) },
		"one key":   func(string) string { return "k" },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			s, err := stream.New(context.Background(), rec.sink, stream.Config{
				Stages:      []stream.Stage{{Transformer: jitter(100 * time.Microsecond), Workers: 6}},
				Order:       stream.PerKey,
				Key:         func(msg *weir.Message) string { return key(msg.String()) },
				MaxInFlight: 100,
			})
			require.NoError(t, err)
			in := numbered(2000)
			sendAll(t, s, in)
			require.NoError(t, s.Close(context.Background()))
			require.ElementsMatch(t, in, rec.data)
			last := map[string]int{}
			for _, d := range rec.data {
				n, _ := strconv.Atoi(d)
				k := key(d)
				if prev, ok := last[k]; ok {
					assert.Less(t, prev, n, "key %s out of order", k)
				}
				last[k] = n
			}
		})
	}
}
