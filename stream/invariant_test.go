package stream_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
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
)

// The invariant: every message sent is delivered, dropped by a transformer
// (and counted) or reported to the error sink — never lost, never
// duplicated — and the sinks see it all in the stream's order.
//
// faulty stages inject the faults, deciding per message (pseudo-randomly,
// from its id) to pass it on, drop it, fail it, or split it into several
// messages, after a random pause; each logs what it decided. After Close,
// the test replays the logs from every sent message to what the sinks must
// have seen — in order, for an ordered stream — and compares.

// fate is what a faulty stage did with a message.
type fate struct {
	kind     string // "pass", "drop", "fail" or "split"
	children []string
}

type faulty struct {
	name     string
	salt     uint64
	mu       sync.Mutex
	log      map[string]fate // by message id (its data)
	twice    []string        // ids seen more than once
	controls atomic.Int32
}

func newFaulty(name string, salt uint64) *faulty {
	return &faulty{name: name, salt: salt, log: map[string]fate{}}
}

var errInjected = errors.New("injected fault")

func (f *faulty) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		f.controls.Add(1)
		return []*weir.Message{msg}, nil
	}
	id := string(msg.Data())
	h := hash(id, f.salt)
	switch {
	case h%61 == 0:
		time.Sleep(time.Duration(h>>40%500) * time.Microsecond)
	case h%3 == 0:
		runtime.Gosched()
	}
	var (
		fa  fate
		out []*weir.Message
		err error
	)
	switch h >> 8 % 10 {
	case 0:
		fa.kind = "drop"
	case 1:
		fa.kind = "fail"
		err = fmt.Errorf("%s: %w", id, errInjected)
	case 2, 3:
		fa.kind = "split"
		for i := range 2 + int(h>>16%3) {
			child := id + "." + strconv.Itoa(i)
			fa.children = append(fa.children, child)
			out = append(out, weir.NewMessage([]byte(child)))
		}
	default:
		fa.kind = "pass"
		out = []*weir.Message{msg}
	}
	f.mu.Lock()
	if _, ok := f.log[id]; ok {
		f.twice = append(f.twice, id)
	}
	f.log[id] = fa
	f.mu.Unlock()
	return out, err
}

// expected replays the stages' logs: the events the sinks must have seen,
// in the stream's order for the inputs in sent (in Send order), and the
// count of drops per stage. With untilFail, it stops at the first failure.
func expected(t *testing.T, stages []*faulty, sent []string, untilFail bool) (events []string, drops []uint64) {
	t.Helper()
	drops = make([]uint64, len(stages))
	failed := false
	var walk func(stage int, id string)
	walk = func(stage int, id string) {
		if failed && untilFail {
			return
		}
		if stage == len(stages) {
			events = append(events, "ok "+id)
			return
		}
		fa, ok := stages[stage].log[id]
		if !assert.True(t, ok, "message %s never reached stage %d", id, stage) {
			return
		}
		switch fa.kind {
		case "drop":
			drops[stage]++
		case "fail":
			events = append(events, "fail "+stages[stage].name+" "+id)
			failed = true
		case "pass":
			walk(stage+1, id)
		case "split":
			for _, c := range fa.children {
				walk(stage+1, c)
			}
		}
	}
	for _, id := range sent {
		walk(0, id)
	}
	return events, drops
}

// root returns the id of the input an event's message came from.
func root(event string) string {
	id := event[strings.LastIndexByte(event, ' ')+1:]
	r, _, _ := strings.Cut(id, ".")
	return r
}

func TestInvariantUnderFaults(t *testing.T) {
	t.Parallel()
	const (
		inputs  = 1200
		senders = 3
	)
	keyOf := func(id string) string { return strconv.Itoa(int(hash(id, 99) % 4)) }
	type tc struct {
		order       stream.Order
		stages      int
		workers     int
		maxInFlight int
		stop        bool
		inline      bool
		release     bool // recycle messages (Config.Release)
		batch       bool // send with SendBatch, flushes inside batches
	}
	var cases []tc
	for _, order := range []stream.Order{stream.Ordered, stream.Unordered, stream.PerKey} {
		for _, stages := range []int{1, 3} {
			for _, workers := range []int{1, 7} {
				cases = append(cases, tc{order: order, stages: stages, workers: workers, maxInFlight: 8 + 200*(workers/7)})
				cases = append(cases, tc{order: order, stages: stages, workers: workers, maxInFlight: 8 + 200*(workers/7), release: true})
				cases = append(cases, tc{order: order, stages: stages, workers: workers, maxInFlight: 8 + 200*(workers/7), release: true, batch: true})
			}
			// Batches of the most messages a task takes.
			cases = append(cases, tc{order: order, stages: stages, workers: 2, maxInFlight: 256, release: true, batch: true})
			cases = append(cases, tc{order: order, stages: stages, workers: 1, inline: true})
			cases = append(cases, tc{order: order, stages: stages, workers: 1, inline: true, release: true})
			cases = append(cases, tc{order: order, stages: stages, workers: 1, inline: true, release: true, batch: true})
		}
	}
	cases = append(cases,
		tc{order: stream.Ordered, stages: 3, workers: 5, maxInFlight: 16, stop: true},
		tc{order: stream.Ordered, stages: 3, workers: 5, maxInFlight: 16, stop: true, release: true},
		tc{order: stream.Ordered, stages: 3, workers: 1, stop: true, inline: true, release: true},
		tc{order: stream.Ordered, stages: 3, workers: 5, maxInFlight: 16, stop: true, release: true, batch: true},
		tc{order: stream.Ordered, stages: 1, workers: 2, maxInFlight: 256, stop: true, release: true, batch: true},
		tc{order: stream.Ordered, stages: 3, workers: 1, stop: true, inline: true, release: true, batch: true},
	)

	for _, c := range cases {
		name := fmt.Sprintf("%v/stages=%d/workers=%d/inflight=%d/stop=%v/inline=%v/release=%v/batch=%v",
			c.order, c.stages, c.workers, c.maxInFlight, c.stop, c.inline, c.release, c.batch)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			faults := make([]*faulty, c.stages)
			cfg := stream.Config{Order: c.order, MaxInFlight: c.maxInFlight, Inline: c.inline}
			// With release, senders reuse the messages the stream releases,
			// which are poisoned first: a message released while the stream
			// still used it would show up in the events changed or twice.
			var (
				poolMu   sync.Mutex
				pool     []*weir.Message
				released = map[string]int{}
			)
			newMessage := func(id string) *weir.Message {
				poolMu.Lock()
				defer poolMu.Unlock()
				if n := len(pool); n > 0 {
					msg := pool[n-1]
					pool = pool[:n-1]
					return msg.Reset([]byte(id))
				}
				return weir.NewMessage([]byte(id))
			}
			if c.release {
				cfg.Release = func(msg *weir.Message) {
					poolMu.Lock()
					defer poolMu.Unlock()
					released[msg.String()]++
					pool = append(pool, msg.Reset([]byte("poisoned")))
				}
			}
			for i := range faults {
				faults[i] = newFaulty("s"+strconv.Itoa(i), uint64(i)*7919+uint64(len(name)))
				cfg.Stages = append(cfg.Stages, stream.Stage{Transformer: faults[i], Workers: c.workers, Name: faults[i].name})
			}
			if c.order == stream.PerKey {
				cfg.Key = func(msg *weir.Message) string { return keyOf(msg.String()) }
			}

			var (
				events  = []string{} // written by the sinks' goroutine, read after Close
				sentMu  sync.Mutex
				sentIDs = map[uint64]string{}
				flushes atomic.Int32
			)
			cfg.Hook = func(e stream.Event) {
				if e.Kind == stream.EventSent {
					sentMu.Lock()
					sentIDs[e.Seq] = e.Msg.String()
					sentMu.Unlock()
				}
			}
			if !c.stop {
				cfg.ErrorSink = func(_ context.Context, e *stream.Error) error {
					if !assert.ErrorIs(t, e.Err, errInjected) {
						return nil
					}
					events = append(events, "fail "+e.Stage+" "+e.Msg.String())
					return nil
				}
			}
			s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
				if !msg.IsControl() {
					events = append(events, "ok "+msg.String())
				}
				return nil
			}, cfg)
			require.NoError(t, err)

			var wg sync.WaitGroup
			for g := range senders {
				if c.batch {
					wg.Go(func() { sendBatches(t, s, g, senders, inputs, c.stop, newMessage, &flushes) })
					continue
				}
				wg.Go(func() {
					for i := g; i < inputs; i += senders {
						if err := s.Send(context.Background(), newMessage(strconv.Itoa(i))); err != nil {
							assert.True(t, c.stop, "Send: %v", err)
							assert.ErrorIs(t, err, stream.ErrStopped)
							return
						}
						if g == 0 && i%150 == 0 {
							if err := s.Flush(context.Background()); err == nil {
								flushes.Add(1)
							}
						}
					}
				})
			}
			wg.Wait()
			closeErr := s.Close(context.Background())

			sent := make([]string, len(sentIDs))
			for seq, id := range sentIDs {
				require.Less(t, seq, uint64(len(sent)), "sequence numbers are dense")
				sent[seq] = id
			}
			for _, f := range faults {
				assert.Empty(t, f.twice, "%s saw messages twice", f.name)
			}
			st := s.Stats()
			for id, n := range released {
				assert.Equal(t, 1, n, "input %s released %d times", id, n)
			}
			if c.release && !c.stop {
				assert.Len(t, released, inputs, "every input is released once")
			}

			if c.stop {
				// The stream stops at the first failure in output order:
				// what comes before it is delivered, nothing after it.
				want, _ := expected(t, faults, sent, true)
				i := slices.IndexFunc(want, func(e string) bool { return strings.HasPrefix(e, "fail ") })
				require.GreaterOrEqual(t, i, 0)
				assert.Equal(t, want[:i], events)
				var se *stream.Error
				require.ErrorAs(t, closeErr, &se)
				assert.Equal(t, want[i], "fail "+se.Stage+" "+se.Msg.String())
				assert.Equal(t, root(want[i]), sent[se.Seq], "Seq is the input's position")
				return
			}

			require.NoError(t, closeErr)
			require.Len(t, sent, inputs)
			want, drops := expected(t, faults, sent, false)
			switch c.order {
			case stream.Ordered:
				assert.Equal(t, want, events)
			case stream.PerKey:
				byKey := func(events []string) map[string][]string {
					m := map[string][]string{}
					for _, e := range events {
						k := keyOf(root(e))
						m[k] = append(m[k], e)
					}
					return m
				}
				assert.Equal(t, byKey(want), byKey(events))
			default:
				assert.ElementsMatch(t, want, events)
			}

			// The counters agree with the logs.
			assert.Equal(t, uint64(inputs), st.Sent)
			var delivered, reported uint64
			for _, e := range want {
				if strings.HasPrefix(e, "ok ") {
					delivered++
				} else {
					reported++
				}
			}
			assert.Equal(t, delivered, st.Delivered)
			assert.Equal(t, reported, st.Reported)
			assert.Zero(t, st.InFlight)
			assert.Zero(t, st.InFlightBytes)
			for i, f := range faults {
				ss := st.Stages[i]
				assert.Equal(t, uint64(len(f.log)), ss.In, f.name)
				assert.Equal(t, drops[i], ss.Dropped, f.name)
				assert.Equal(t, ss.In, ss.Process.Count, f.name)
				// Each flush reached each stage exactly once.
				assert.Equal(t, flushes.Load()+1, f.controls.Load(), f.name)
				assert.Equal(t, uint64(flushes.Load()+1), ss.Flushes, f.name)
			}
		})
	}
}

// sendBatches sends the inputs g, g+senders, … with SendBatch, in batches of
// pseudo-random lengths (1 to 40), the first sender's with a control
// message in some of them (a flush, counted in flushes once it returned).
func sendBatches(t *testing.T, s *stream.Stream, g, senders, inputs int, stop bool, newMessage func(string) *weir.Message, flushes *atomic.Int32) {
	var batch []*weir.Message
	for i := g; i < inputs; {
		batch = batch[:0]
		n := 1 + int(hash(strconv.Itoa(i), 5)%40)
		flushAt := -1
		for ; i < inputs && len(batch) < n; i += senders {
			if g == 0 && i%150 == 0 && flushAt < 0 {
				flushAt = len(batch)
				batch = append(batch, weir.NewControl())
			}
			batch = append(batch, newMessage(strconv.Itoa(i)))
		}
		k, err := s.SendBatch(context.Background(), batch)
		if err != nil {
			assert.True(t, stop, "SendBatch: %v", err)
			assert.ErrorIs(t, err, stream.ErrStopped)
			assert.Less(t, k, len(batch))
			return
		}
		assert.Equal(t, len(batch), k)
		if flushAt >= 0 {
			flushes.Add(1)
		}
	}
}
