package stream

import (
	"context"
	"errors"
	"sync"
	"time"
)

// FlushTimerConfig configures [Stream.StartFlushTimer].
type FlushTimerConfig struct {
	// Interval is the time between flushes. Required (positive) unless
	// Wait is set.
	Interval time.Duration
	// Wait blocks until the next flush is due and returns nil, or returns
	// ctx's error when ctx is done. Nil means a time.Ticker of Interval.
	// Tests set it to flush on their own schedule.
	Wait func(ctx context.Context) error
	// OnError receives the error of a flush that failed for another reason
	// than the stream being closed or stopped (for which the timer just
	// ends). Nil ignores them. It is called from the timer's goroutine.
	OnError func(error)
}

// FlushTimer sends a control message through a stream on a timer. Create
// one with [Stream.StartFlushTimer]; Stop it before closing the stream.
type FlushTimer struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartFlushTimer starts a goroutine that calls s.Flush every
// cfg.Interval, so that a batch whose duration has passed goes out even
// when no new message arrives: transforms start no goroutines of their
// own, and a batch is released only by a message or a control message (see
// package transform's batch settings). Each flush is an ordinary control
// message — a barrier every stage sees once — so it costs what a Flush
// costs; an interval of a fraction of the shortest batch duration is
// enough.
//
// The timer ends by itself when the stream is closed or stops. It panics
// if cfg has neither a positive Interval nor Wait.
func (s *Stream) StartFlushTimer(cfg FlushTimerConfig) *FlushTimer {
	wait := cfg.Wait
	if wait == nil {
		if cfg.Interval <= 0 {
			panic("stream: StartFlushTimer without a positive Interval")
		}
		tick := time.NewTicker(cfg.Interval)
		stopTick := tick.Stop
		wait = func(ctx context.Context) error {
			select {
			case <-tick.C:
				return nil
			case <-ctx.Done():
				stopTick()
				return ctx.Err()
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &FlushTimer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for wait(ctx) == nil {
			err := s.Flush(ctx)
			switch {
			case err == nil:
			case errors.Is(err, ErrClosed), errors.Is(err, ErrStopped), ctx.Err() != nil:
				return
			case cfg.OnError != nil:
				cfg.OnError(err)
			}
		}
	}()
	return t
}

// Stop stops the timer and waits until its goroutine has returned (a
// flush under way is no longer waited for; it still completes in the
// stream). It is safe to call more than once.
func (t *FlushTimer) Stop() {
	t.once.Do(t.cancel)
	<-t.done
}
