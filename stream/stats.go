package stream

import (
	"sync/atomic"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// Stats is a snapshot of a stream's counters. Counters only grow; take two
// snapshots to get rates.
type Stats struct {
	// Sent counts the data messages Send accepted.
	Sent uint64
	// Delivered counts the data messages given to the sink.
	Delivered uint64
	// Reported counts the failed messages given to the error sink.
	Reported uint64
	// InFlight and InFlightBytes are the input messages inside the stream
	// now and their size, as limited by Config.MaxInFlight and
	// MaxInFlightBytes.
	InFlight      int
	InFlightBytes int64
	// Stages has one entry per stage, in order.
	Stages []StageStats
}

// StageStats counts one stage's work.
type StageStats struct {
	Name    string // Stage.Name, or its default
	Workers int    // the number of workers
	// In counts the data messages the stage's transformer was called with.
	// Each ends up in exactly one of Errored (the transformer failed),
	// Dropped (it returned no data message) or has produced Out's messages.
	In, Out, Dropped, Errored uint64
	// Flushes counts the control messages the transformer was called with.
	Flushes uint64
	// Wait is the time data messages spent queued for a worker, Process the
	// time the transformer took on them.
	Wait, Process Timing
	// Coercions counts the values the stage's transformer coerced (see
	// transform.Coercions): read from a *transform.Pipeline, or from a
	// transformer with a Coercions() int64 method; 0 for any other.
	Coercions int64
}

// Timing sums durations.
type Timing struct {
	Count uint64        // how many were summed
	Total time.Duration // their sum
	Max   time.Duration // the longest
}

// Mean returns Total / Count, or 0.
func (t Timing) Mean() time.Duration {
	if t.Count == 0 {
		return 0
	}
	return t.Total / time.Duration(t.Count)
}

// Stats returns a snapshot of the stream's counters. It is safe to call at
// any time, from any goroutine; the counters are read one by one while the
// stream runs, so a snapshot of a busy stream is only approximately
// consistent.
func (s *Stream) Stats() Stats {
	msgs, bytes := s.budget.inFlight()
	out := Stats{
		Sent:          s.sent.load(),
		Delivered:     s.delivered.load(),
		Reported:      s.reported.load(),
		InFlight:      int(msgs),
		InFlightBytes: bytes,
		Stages:        make([]StageStats, len(s.stages)),
	}
	for i, st := range s.stages {
		ss := StageStats{Name: st.name, Workers: st.workers, Flushes: st.flushes.load()}
		for j := range st.stats {
			ws := &st.stats[j]
			ss.In += ws.in.Load()
			ss.Out += ws.out.Load()
			ss.Dropped += ws.dropped.Load()
			ss.Errored += ws.errored.Load()
			ss.Wait.add(ws.waitSum.Load(), ws.waitMax.Load())
			ss.Process.add(ws.procSum.Load(), ws.procMax.Load())
		}
		ss.Wait.Count, ss.Process.Count = ss.In, ss.In
		ss.Coercions = coercions(st.t)
		out.Stages[i] = ss
	}
	return out
}

func (t *Timing) add(sum, maxNs int64) {
	t.Total += time.Duration(sum)
	t.Max = max(t.Max, time.Duration(maxNs))
}

// workerStats are one worker's counters. Only that worker writes them, so
// they are never contended; the padding keeps workers' counters on separate
// cache lines.
type workerStats struct {
	in, out, dropped, errored atomic.Uint64
	waitSum, waitMax          atomic.Int64
	procSum, procMax          atomic.Int64
	_                         [64]byte
}

// record counts one data message: its wait and processing times in
// nanoseconds and what the transformer returned.
func (ws *workerStats) record(wait, took int64, out []*weir.Message, err error) {
	ws.in.Store(ws.in.Load() + 1)
	ws.waitSum.Store(ws.waitSum.Load() + wait)
	if wait > ws.waitMax.Load() {
		ws.waitMax.Store(wait)
	}
	ws.procSum.Store(ws.procSum.Load() + took)
	if took > ws.procMax.Load() {
		ws.procMax.Store(took)
	}
	if err != nil {
		ws.errored.Store(ws.errored.Load() + 1)
		return
	}
	data := uint64(0)
	for _, m := range out {
		if !m.IsControl() {
			data++
		}
	}
	if data == 0 {
		ws.dropped.Store(ws.dropped.Load() + 1)
	}
	ws.out.Store(ws.out.Load() + data)
}

// uint64Counter is a counter safe for concurrent use.
type uint64Counter struct{ v atomic.Uint64 }

func (c *uint64Counter) add(n uint64) { c.v.Add(n) }
func (c *uint64Counter) load() uint64 { return c.v.Load() }

// EventKind says what happened to a message.
type EventKind uint8

const (
	// EventSent: Send accepted Msg, which is about to enter the first stage.
	// It comes in Seq order.
	EventSent EventKind = iota + 1
	// EventProcessed: Stage's transformer returned for Msg; Out counts what it
	// returned, Err is its error, Wait and Took are the times Msg waited for
	// a worker and spent in the transformer.
	EventProcessed
	// EventDelivered: Msg goes to the sink (the hook is called just before).
	EventDelivered
	// EventFailed: Msg failed in Stage with Err and goes to the error sink,
	// or stops the stream (the hook is called just before).
	EventFailed
)

// Event is one step of one message, for tracing (Config.Hook).
type Event struct {
	Kind  EventKind
	Stage string        // the stage, for EventProcessed and EventFailed
	Seq   uint64        // the input the message came from (see Error.Seq)
	Msg   *weir.Message // read-only, and only during the call
	Out   int           // EventProcessed: the number of messages returned
	Err   error         // EventProcessed, EventFailed: the transformer's error
	Wait  time.Duration // EventProcessed: time queued for a worker
	Took  time.Duration // EventProcessed: time in the transformer
}

// Hook receives events (Config.Hook). It is called from every worker, and
// from Send with the send lock held, so it must be fast and safe for
// concurrent use; it must not modify or keep Msg, nor call the stream's
// methods other than Stats.
type Hook func(Event)

func durationOf(ns int64) time.Duration { return time.Duration(ns) }

// coercions returns the coercion count of t, if it keeps one.
func coercions(t transform.Transformer) int64 {
	switch t := t.(type) {
	case interface{ Coercions() *transform.Coercions }:
		return t.Coercions().Total()
	case interface{ Coercions() int64 }:
		return t.Coercions()
	}
	return 0
}
