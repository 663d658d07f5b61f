package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// runStats is the summary of a run, the -stats line. Every event read is
// emitted, dropped or failed — or unprocessed, when the run stopped at a
// failure without -keep-going — so Read = Emitted + Dropped + Failed +
// Unprocessed.
type runStats struct {
	// Read counts the events read: non-blank lines, or records.
	Read uint64 `json:"read"`
	// Emitted counts the events the pipeline returned one or more events
	// for.
	Emitted uint64 `json:"emitted"`
	// Dropped counts the events the pipeline returned nothing for: dropped
	// by a rule, or held by an aggregation that released them, combined,
	// at the flush.
	Dropped uint64 `json:"dropped"`
	// Failed counts the events that failed: not JSON, too long, or a
	// transform error.
	Failed uint64 `json:"failed"`
	// Unprocessed counts the events read but never run, because the run
	// stopped at a failure.
	Unprocessed uint64 `json:"unprocessed"`
	// Undelivered counts the events the pipeline returned (counted in
	// Emitted and EventsOut) that a send in it then reported not delivered
	// (a failed batch); with -errors each is written there, marked
	// "undelivered". So, with a send at the end of the pipeline, every
	// event read is delivered (Emitted − Undelivered), dropped (Dropped),
	// reported (Failed + Undelivered: the lines of the -errors file) or
	// Unprocessed; bench/cmd/conserve checks it event by event.
	Undelivered uint64 `json:"undelivered"`
	// EventsOut counts the events the pipeline returned and weir run
	// handed on, those its final flush released included.
	EventsOut uint64 `json:"events_out"`
	// Output says who wrote the events: "stdout" (weir run) or
	// "send_stdout" (the config).
	Output string `json:"output"`
	// Bytes counts the bytes read from the inputs, as stored (compressed).
	Bytes           int64   `json:"bytes"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	MBPerSecond     float64 `json:"mb_per_second"`
	Workers         int     `json:"workers"`
	// WorkersRule says why the run had that many workers.
	WorkersRule string `json:"workers_rule"`
	Interrupted bool   `json:"interrupted,omitempty"`
	// Coercions counts the values the pipeline's transforms coerced as
	// Substation does (a time that is not a number written as 0, …): in
	// all, and per transform that coerced any. -strict makes each one a
	// failed event instead.
	Coercions coercionStats `json:"coercions"`
}

// coercionStats is the coercions part of the -stats line.
type coercionStats struct {
	Total       int64           `json:"total"`
	ByTransform []coercionCount `json:"by_transform,omitempty"`
}

// coercionCount is one transform's coercions.
type coercionCount struct {
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
	Count int64  `json:"count"`
}

// coercionsOf summarizes a pipeline's coercion counts.
func coercionsOf(c *transform.Coercions) coercionStats {
	s := coercionStats{Total: c.Total()}
	for _, k := range c.Counts() {
		if k.Count > 0 {
			s.ByTransform = append(s.ByTransform, coercionCount{Type: k.Type, ID: k.ID, Count: k.Count})
		}
	}
	return s
}

// summary computes the run's statistics from the stream's.
func (r *runner) summary(st stream.Stats, took time.Duration) runStats {
	s := runStats{
		Read:        r.sent,
		Emitted:     r.emitted.Load(),
		Dropped:     r.dropped.Load(),
		Failed:      r.failedEvents.Load(),
		Undelivered: r.undelivered.Load(),
		EventsOut:   st.Delivered,
		Output:      "stdout",
		Bytes:       r.bytesRead.Load(),
		Seconds:     took.Seconds(),
		Workers:     r.workers,
		WorkersRule: r.workersRule,
		Interrupted: r.interrupted,
	}
	if !r.writeEvents {
		s.Output = "send_stdout"
	}
	if r.lastDelivered.Load() == r.sent && s.Emitted > 0 {
		s.Emitted-- // the events the end-of-input flush released
	}
	if done := s.Emitted + s.Dropped + s.Failed; r.sent > done {
		s.Unprocessed = r.sent - done
	}
	if secs := took.Seconds(); secs > 0 {
		s.EventsPerSecond = float64(s.Read) / secs
		s.MBPerSecond = float64(s.Bytes) / 1e6 / secs
	}
	return s
}

// human is the summary as one line for a person.
func (s runStats) human() string {
	var b strings.Builder
	fmt.Fprintf(&b, "weir: %d read: %d emitted, %d dropped, %d failed", s.Read, s.Emitted, s.Dropped, s.Failed)
	if s.Unprocessed > 0 {
		fmt.Fprintf(&b, ", %d unprocessed", s.Unprocessed)
	}
	if s.Undelivered > 0 {
		fmt.Fprintf(&b, ", %d emitted but not delivered by a send", s.Undelivered)
	}
	fmt.Fprintf(&b, "; %d %s out", s.EventsOut, plural(int(s.EventsOut), "event", "events"))
	if s.Output == "send_stdout" {
		b.WriteString(" (written by send_stdout)")
	}
	fmt.Fprintf(&b, "; %s, %.0f events/s, %.1f MB/s; %d %s (%s)",
		time.Duration(s.Seconds*float64(time.Second)).Round(time.Millisecond),
		s.EventsPerSecond, s.MBPerSecond, s.Workers, plural(s.Workers, "worker", "workers"), s.WorkersRule)
	return b.String()
}

// showProgress shows a progress bar on stderr, when it is a terminal,
// until the returned function is called: bytes read of the inputs' size
// when known, and the events in, out and failed.
func (r *runner) showProgress(s *stream.Stream, start time.Time) (stop func()) {
	if !r.progress {
		return func() {}
	}
	bar := progressbar.NewOptions64(r.totalBytes,
		progressbar.OptionSetWriter(r.stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0), // no goroutine of its own: update renders
		progressbar.OptionSetPredictTime(r.totalBytes > 0),
	)
	done, exited := make(chan struct{}), make(chan struct{})
	update := func() {
		st := s.Stats()
		stage := st.Stages[0]
		r.mu.Lock()
		if !r.done {
			_ = bar.Set64(r.bytesRead.Load())
			bar.Describe(fmt.Sprintf("%d in, %d out, %d dropped, %d failed", stage.In, stage.Out, stage.Dropped, stage.Errored))
		}
		r.mu.Unlock()
	}
	go func() {
		defer close(exited)
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				update()
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		r.mu.Lock()
		_ = bar.Clear()
		r.mu.Unlock()
	}
}
