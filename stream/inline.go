package stream

import "github.com/weirhq/weir"

// An inline stream (Config.Inline) has no workers and no collectors: the
// holder of the send lock runs each item through the stages itself, with
// the collector's hand-on code, and the last stage delivers to the sinks
// before Send returns. The send lock orders everything, as it orders
// submissions to a threaded stream's first stage.

// sendInline runs msg through the stream. The send lock is held.
func (s *Stream) sendInline(msg *weir.Message, key string, size int64) error {
	if err := s.usable(); err != nil {
		return err
	}
	// Never waits: nothing else is in flight. It keeps Stats().InFlight
	// and the release accounting the same as a threaded stream's.
	if err := s.budget.acquire(nil, size, s.stop); err != nil {
		return s.stoppedErr()
	}
	tk := &s.inlineTk
	*tk = ticket{seq: s.seq, key: key, size: size}
	if s.releaseFn != nil {
		tk.msg = msg
	}
	tk.refs.Store(1)
	if s.hook != nil {
		s.hook(Event{Kind: EventSent, Seq: tk.seq, Msg: msg})
	}
	s.seq++
	s.sent.add(1)
	// A failure stops the stream; like a threaded stream's Send, this one
	// has accepted msg, and Close says why the stream stopped.
	_ = s.stages[0].runInline(s.runCtx, item{msg: msg, tk: tk})
	return nil
}

// barrierInline runs a barrier item through the stream and returns the
// send lock. With closing, the stream takes no more messages afterwards.
func (s *Stream) barrierInline(it item, closing bool) error {
	_ = s.stages[0].runInline(s.runCtx, it)
	if closing {
		s.closed.Store(true)
	}
	s.unlock()
	select {
	case <-it.tk.done:
		return nil
	default:
		return s.stoppedErr() // the stream stopped before the barrier reached the sink
	}
}
