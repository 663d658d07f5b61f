package stream

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// Errors returned by a Stream's methods.
var (
	// ErrClosed is returned by Send, Flush and Sync after Close was called.
	// Nothing more can be sent: create a new Stream.
	ErrClosed = errors.New("stream: closed")

	// ErrStopped is matched by the error Send, Flush and Sync return once the
	// stream has stopped early: an error under the stop policy, a failing
	// sink or error sink, or the cancellation of the context given to New.
	// The error also wraps the cause; Close returns the cause alone.
	ErrStopped = errors.New("stream: stopped")
)

// DefaultMaxInFlightBytes is the byte limit of a Config whose
// MaxInFlightBytes is zero.
const DefaultMaxInFlightBytes = 64 << 20

// Sink receives what comes out of the last stage. The stream calls it from
// one goroutine at a time, never concurrently, and in input order unless
// Config.Order says otherwise, so a sink needs no locking of its own. All
// the messages a stage returned for one input arrive together and in the
// order the stage returned them.
//
// The sink also receives each control message, after the messages that its
// flush released: a sink that buffers writes through then, others ignore it
// (msg.IsControl()). The sink owns msg. ctx is canceled when the stream
// stops. A non-nil error stops the stream (under either error policy: a
// sink that cannot write is not a property of one message) and is returned
// by Close. The sink must not call the stream's Send, Flush, Sync or Close:
// the stream waits on the sink.
type Sink func(ctx context.Context, msg *weir.Message) error

// ErrorSink receives the messages that failed when Config.ErrorSink is set
// (the route policy). It is called from the same goroutine as the Sink, at
// the failed message's place in the output order. A non-nil error stops the
// stream and is returned by Close.
type ErrorSink func(ctx context.Context, err *Error) error

// Error describes a message that a stage failed to transform. Under the
// stop policy Close returns it; under the route policy it goes to the
// ErrorSink.
type Error struct {
	// Stage is the name of the stage that failed.
	Stage string
	// Seq is the position of the input the failed message came from: the
	// number of messages given to Send before it. For the control message of
	// a Flush or Close it is the number of messages sent before the call.
	Seq uint64
	// Msg is the message the stage failed on, as the transformer left it (it
	// may be partly changed). It is a control message when a flush failed.
	Msg *weir.Message
	// Err is the transformer's error.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("stream: stage %q: message %d: %v", e.Stage, e.Seq, e.Err)
}

// Unwrap returns the transformer's error.
func (e *Error) Unwrap() error { return e.Err }

// Order says in which order messages leave each stage, and so reach the
// next stage and the sink. Workers always run messages concurrently; the
// order only governs when results are handed on.
type Order uint8

const (
	// Ordered hands results on in input order: a slow message holds back
	// the ones after it. It is the default.
	Ordered Order = iota
	// Unordered hands each result on as soon as it is ready.
	Unordered
	// PerKey keeps the input order among messages with the same key
	// (Config.Key) and lets the others overtake a slow one.
	PerKey
)

// String returns the name of the order.
func (o Order) String() string {
	switch o {
	case Ordered:
		return "ordered"
	case Unordered:
		return "unordered"
	case PerKey:
		return "per-key"
	}
	return fmt.Sprintf("Order(%d)", uint8(o))
}

// Stage is one step of a stream: a transformer run by a pool of workers.
type Stage struct {
	// Transformer is called by every worker of the stage, concurrently (see
	// transform.Transformer). Required.
	Transformer transform.Transformer
	// Workers is the number of goroutines calling Transformer; 0 means
	// runtime.GOMAXPROCS(0), the right count for CPU-bound work. A stage that
	// waits on the network (lookups, HTTP enrichment) wants many more: its
	// throughput is at most Workers / latency.
	Workers int
	// Name names the stage in errors, Stats and events; "" means "stage<i>"
	// with i its index in Config.Stages.
	Name string
}

// Config configures a Stream. Only Stages is required; the zero value of
// every other field is a sensible default.
type Config struct {
	// Stages run in sequence: what stage i returns is sent to stage i+1, and
	// what the last returns goes to the sink. At least one is required.
	Stages []Stage

	// Order is the output order: Ordered (the default), Unordered or PerKey.
	Order Order
	// Key returns the ordering key of an input message; required with
	// PerKey, and not allowed otherwise. It is called once per Send, before
	// the message enters the stream, and every message that comes from the
	// input keeps its key.
	Key func(msg *weir.Message) string

	// MaxInFlight bounds the input messages inside the stream: a Send beyond
	// it blocks until one is delivered, dropped or reported. It also bounds
	// the messages waiting in or for each stage. 0 means the larger of 1024
	// and twice the largest stage's Workers.
	MaxInFlight int
	// MaxInFlightBytes bounds the summed size (data and metadata, as sent) of
	// the input messages inside the stream; a single message larger than the
	// limit is let in alone. 0 means DefaultMaxInFlightBytes.
	MaxInFlightBytes int64

	// ErrorSink selects the error policy. When nil (the stop policy), the
	// first error stops the stream: in-flight messages are abandoned, the
	// transformers' context is canceled, and Close returns the *Error. When
	// set (the route policy), each failed message goes to ErrorSink and the
	// stream goes on.
	ErrorSink ErrorSink

	// RecoverPanics turns a transformer's panic into a *PanicError carrying
	// the panic's value and stack, handled by the error policy like any
	// other failure: under the stop policy it stops the stream, under the
	// route policy the message goes to the ErrorSink and the stream goes on.
	//
	// It is off by default, as in golang.org/x/sync/errgroup: a panic is a
	// bug, and a transformer that panicked halfway may have left its own
	// state (a lock, a half-built batch) broken for every later message,
	// which a program embedding the library is best placed to judge. A
	// process that runs untrusted log data through pipelines it did not
	// write (weir run, a Lambda handler) should turn it on, so that one bad
	// record becomes one reported error instead of a crashed batch.
	RecoverPanics bool

	// Hook, when set, is called for every step of every message (see
	// Event), for tracing. It is called from many goroutines at once and
	// must be fast and safe for concurrent use.
	Hook Hook

	// Release, when set, is called with each message given to Send once the
	// stream is done with it and with every message that came from it: all
	// were delivered (the sink returned), dropped or reported (the error
	// sink returned). The caller may then reuse the message and its memory
	// (weir.Message.Reset) for a later Send, so that a stream runs without
	// a new message per event. It is not called for a message the stream
	// abandoned (see New) or failed on under the stop policy.
	//
	// Setting Release changes the sinks' contract: they must be done with
	// each message when they return, and keep neither it nor its data,
	// metadata or Values (copies are fine). Release is called from the
	// goroutines that hand results on (one per stage), so with several
	// stages it must be safe for concurrent use; it must be fast and must
	// not call the stream's methods.
	Release func(msg *weir.Message)

	// Inline runs the stream in the goroutines that call Send, Flush, Sync
	// and Close instead of on workers: Send transforms the message through
	// every stage and hands the results to the sinks before it returns.
	// There is no hand-off between goroutines and a message is still in the
	// CPU's caches when it reaches the sink, so it is the cheapest way to
	// run a stream on one core, or a pipeline that must see one message at
	// a time. Each stage then has one worker (Stage.Workers must be 0 or 1),
	// the order is the input order whatever Order says, and MaxInFlight
	// and MaxInFlightBytes do not apply. Send and Flush return only once
	// their message is through; their context bounds only the wait for
	// another caller to finish. Close with a context that ends stops the
	// stream as usual: the call in progress sees its context canceled.
	Inline bool
}

// A Stream runs messages through stages of transformers, each stage with its
// own pool of workers, and hands what comes out to a sink.
//
// Send blocks while the stream is full (the in-flight limits of Config), so
// a fast producer is held back instead of buffering without bound. Results
// reach the sink in input order by default (see Order). Flush is a barrier
// that flushes every stage exactly once; Close flushes, drains and stops
// every goroutine. Send, SendBatch, Flush, Sync, Stats and Close are safe
// for concurrent use; messages sent concurrently are ordered as their calls
// take the stream's send lock.
type Stream struct {
	stages []*stage
	sink   Sink
	onErr  ErrorSink
	hook   Hook
	key    func(*weir.Message) string
	order  Order
	epoch  time.Time

	recoverPanics bool
	releaseFn     func(*weir.Message) // Config.Release
	inline        bool                // Config.Inline
	// runCtx is the context of the transformer and sink calls of an
	// inline stream, made from the context given to New: inline calls run
	// in the callers' goroutines, which have no other way to it.
	runCtx   context.Context
	inlineTk ticket // the ticket of the message an inline stream runs

	sendLock *sema       // a lock that waiting can give up on; guards seq
	seq      uint64      // messages given to Send so far
	closed   atomic.Bool // Close has sent its final flush

	budget budget

	cancel  context.CancelCauseFunc // cancels the transformers' context
	stop    chan struct{}           // closed once err is set
	stopped atomic.Bool             // set just before stop is closed
	errMu   sync.Mutex
	err     error // why the stream stopped; errDone after a clean Close

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	sent, delivered, reported uint64Counter
}

// errDone is the cause recorded when Close ends the stream normally.
var errDone = errors.New("stream: done")

// New starts a stream that hands its output to sink. ctx bounds the stream's
// life: every transformer and the sinks get a context derived from it, and
// canceling it stops the stream promptly (Close then returns the cause):
// the calls in progress see their context canceled, and every message still
// queued is abandoned — no transformer is called with it again and it
// reaches neither sink. Stats().InFlight then counts the inputs abandoned.
// Call Close when done, or cancel ctx, so that the stream's goroutines exit.
//
// New fails, with an error matching weir.ErrInvalidConfig, on a nil sink, no
// stages, a stage without a Transformer, negative limits, or a Key that does
// not go with Order.
func New(ctx context.Context, sink Sink, cfg Config) (*Stream, error) {
	if err := cfg.validate(sink); err != nil {
		return nil, err
	}
	window := cfg.MaxInFlight
	if window == 0 {
		window = 1024
		for _, st := range cfg.Stages {
			window = max(window, 2*workers(st))
		}
	}
	maxBytes := cfg.MaxInFlightBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxInFlightBytes
	}

	s := &Stream{
		sink:  sink,
		onErr: cfg.ErrorSink,
		hook:  cfg.Hook,
		key:   cfg.Key,
		order: cfg.Order,
		epoch: time.Now(),

		recoverPanics: cfg.RecoverPanics,
		releaseFn:     cfg.Release,
		inline:        cfg.Inline,
		sendLock:      newSema(1),
		stop:          make(chan struct{}),
	}
	s.budget.init(int64(window), maxBytes)
	runCtx, cancel := context.WithCancelCause(ctx)
	s.cancel = cancel

	s.stages = make([]*stage, len(cfg.Stages))
	for i, sc := range cfg.Stages {
		name := sc.Name
		if name == "" {
			name = fmt.Sprintf("stage%d", i)
		}
		n := workers(sc)
		if s.inline {
			n = 1
		}
		s.stages[i] = newStage(s, name, sc.Transformer, n, window)
	}
	for i, st := range s.stages {
		if i+1 < len(s.stages) {
			st.next = s.stages[i+1]
		}
		if s.inline {
			s.runCtx = runCtx
		} else {
			st.start(runCtx)
		}
	}

	// Record why the stream stopped when ctx is canceled from outside.
	s.wg.Go(func() {
		select {
		case <-runCtx.Done():
			s.fail(context.Cause(runCtx))
		case <-s.stop:
		}
	})
	return s, nil
}

func workers(st Stage) int {
	if st.Workers == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return st.Workers
}

func (cfg *Config) validate(sink Sink) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("stream: "+format+": %w", append(args, weir.ErrInvalidConfig)...)
	}
	if sink == nil {
		return bad("nil sink")
	}
	if len(cfg.Stages) == 0 {
		return bad("no stages")
	}
	for i, st := range cfg.Stages {
		if st.Transformer == nil {
			return bad("stage %d (%q): nil Transformer", i, st.Name)
		}
		if st.Workers < 0 {
			return bad("stage %d (%q): negative Workers %d", i, st.Name, st.Workers)
		}
		if cfg.Inline && st.Workers > 1 {
			return bad("stage %d (%q): an inline stream runs one message at a time, not %d Workers", i, st.Name, st.Workers)
		}
	}
	switch {
	case cfg.Order > PerKey:
		return bad("unknown %v", cfg.Order)
	case cfg.Order == PerKey && cfg.Key == nil:
		return bad("order per-key needs a Key")
	case cfg.Order != PerKey && cfg.Key != nil:
		return bad("a Key needs order per-key, not %v", cfg.Order)
	case cfg.MaxInFlight < 0:
		return bad("negative MaxInFlight %d", cfg.MaxInFlight)
	case cfg.MaxInFlightBytes < 0:
		return bad("negative MaxInFlightBytes %d", cfg.MaxInFlightBytes)
	}
	return nil
}

// Send puts msg into the stream, which then owns it. It blocks while the
// stream is full, until there is room, ctx is done (it then returns the
// context's cause) or the stream stops (an error matching ErrStopped). A nil
// error means msg will be delivered, dropped by a transformer, or reported
// as failed — or, if the stream stops first, abandoned with Close returning
// why.
//
// Sending a control message is the same as calling Flush: it returns once
// the flush has reached the sink.
func (s *Stream) Send(ctx context.Context, msg *weir.Message) error {
	if msg == nil {
		return errors.New("stream: Send of a nil message")
	}
	if msg.IsControl() {
		return s.barrier(ctx, msg, kindControl, false)
	}
	var key string
	if s.key != nil {
		key = s.key(msg) // a user callback: outside the lock
	}
	size := msgSize(msg)

	if err := s.lock(ctx); err != nil {
		return err
	}
	var err error
	if s.inline {
		err = s.sendInline(msg, key, size)
	} else {
		err = s.send(ctx, msg, key, size)
	}
	s.unlock()
	return err
}

// send puts msg into the first stage. The send lock is held.
func (s *Stream) send(ctx context.Context, msg *weir.Message, key string, size int64) error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.budget.acquire(ctx.Done(), size, s.stop); err != nil {
		return s.waitErr(ctx, err)
	}
	tk := &ticket{seq: s.seq, key: key, size: size}
	if s.releaseFn != nil {
		tk.msg = msg
	}
	tk.refs.Store(1)
	it := item{msg: msg, tk: tk}
	first := s.stages[0]
	if err := first.reserve(ctx.Done(), it); err != nil {
		s.budget.release(size)
		return s.waitErr(ctx, err)
	}
	// Send cannot fail any more; once pushed, msg belongs to the workers.
	if s.hook != nil {
		s.hook(Event{Kind: EventSent, Seq: tk.seq, Msg: msg})
	}
	first.push(it)
	s.seq++
	s.sent.add(1)
	return nil
}

// SendBatch sends the messages of msgs in order, as many calls of Send
// would, and returns how many it sent: all of them and a nil error, or
// fewer and the error that stopped it, which is what Send would have
// returned for the first message not sent. The stream owns the messages
// sent; the caller keeps the others, and msgs itself (the stream keeps
// no reference to the slice).
//
// It is cheaper than a Send per message: the stream hands up to 16
// consecutive data messages to one worker as one task, so the
// hand-offs between goroutines (and their wake-ups) are paid once per
// task, not once per message. Order, the in-flight limits (counted per
// message), Release and the error policy are as for Send. A task is made
// only of messages that fit in the stream without waiting, so a batch
// never waits for room that only its own messages hold. With PerKey order,
// and for stages with so many workers that the window holds few messages
// each, every message is its own task. A control message in msgs is a
// Flush at its place: SendBatch returns only once it has reached the sink.
//
// Messages of concurrent calls are ordered as the calls take the stream's
// send lock, which SendBatch takes once per run of data messages: the
// messages of one call may be interleaved with other calls' at a control
// message or when it has to wait for room.
func (s *Stream) SendBatch(ctx context.Context, msgs []*weir.Message) (int, error) {
	n := 0
	for n < len(msgs) {
		msg := msgs[n]
		if msg == nil || msg.IsControl() || s.key != nil {
			// A flush (or a nil message, which Send rejects), and PerKey
			// messages, whose key is a callback to call outside the lock.
			if err := s.Send(ctx, msg); err != nil {
				return n, err
			}
			n++
			continue
		}
		end := n + 1
		for end < len(msgs) && msgs[end] != nil && !msgs[end].IsControl() {
			end++
		}
		if err := s.lock(ctx); err != nil {
			return n, err
		}
		for n < end {
			var k int
			var err error
			if s.inline {
				m := msgs[n]
				err = s.sendInline(m, "", msgSize(m))
				if err == nil {
					k = 1
				}
			} else {
				k, err = s.sendTask(ctx, msgs[n:end])
			}
			n += k
			if err != nil {
				s.unlock()
				return n, err
			}
		}
		s.unlock()
	}
	return n, nil
}

// sendTask puts the first data messages of msgs (at least one) into the
// first stage as one task: the first once there is room for it, and the
// ones after it that fit without waiting, up to the stage's batch size. It
// returns how many it sent. The send lock is held.
func (s *Stream) sendTask(ctx context.Context, msgs []*weir.Message) (int, error) {
	first := s.stages[0]
	if len(msgs) == 1 || first.batch == 1 {
		m := msgs[0]
		if err := s.send(ctx, m, "", msgSize(m)); err != nil {
			return 0, err
		}
		return 1, nil
	}
	if err := s.usable(); err != nil {
		return 0, err
	}
	size := msgSize(msgs[0])
	if err := s.budget.acquire(ctx.Done(), size, s.stop); err != nil {
		return 0, s.waitErr(ctx, err)
	}
	if err := first.reserve(ctx.Done(), item{kind: kindData}); err != nil {
		s.budget.release(size)
		return 0, s.waitErr(ctx, err)
	}
	sizes := [maxBatch]int64{size}
	k := 1
	for limit := min(len(msgs), first.batch); k < limit; k++ {
		size := msgSize(msgs[k])
		if !s.budget.tryAcquire(size) {
			break
		}
		if !first.slots.tryAcquire(1) {
			s.budget.release(size)
			break
		}
		sizes[k] = size
	}
	// Nothing can fail any more; once pushed, the messages belong to the
	// workers.
	batch := make([]entry, k)
	for i := range batch {
		e := &batch[i]
		e.tk = ticket{seq: s.seq + uint64(i), size: sizes[i]}
		if s.releaseFn != nil {
			e.tk.msg = msgs[i]
		}
		e.tk.refs.Store(1)
		e.it = item{msg: msgs[i], tk: &e.tk}
		if s.hook != nil {
			s.hook(Event{Kind: EventSent, Seq: e.tk.seq, Msg: msgs[i]})
		}
	}
	if k == 1 {
		first.push(batch[0].it)
	} else {
		first.pushBatch(batch)
	}
	s.seq += uint64(k)
	s.sent.add(uint64(k))
	return k, nil
}

// Flush sends a control message through the stream and waits until it has
// reached the sink. The control message is a barrier: each stage sees it
// once every message sent before it has left that stage, and no message
// sent after it until its own results have left; so each stage's
// transformer is called with it exactly once, after everything earlier, and
// stateful transformers (aggregations) release what they hold at the right
// place in the output.
//
// If ctx is done first, Flush returns the context's cause; the flush still
// goes on.
func (s *Stream) Flush(ctx context.Context) error {
	return s.barrier(ctx, weir.NewControl(), kindControl, false)
}

// Sync waits until every message sent before the call has been delivered,
// dropped or reported, without flushing any stage. A Lambda-style handler
// uses Flush instead when its pipeline holds messages.
func (s *Stream) Sync(ctx context.Context) error {
	return s.barrier(ctx, nil, kindSync, false)
}

// barrier sends a control (or sync) item and waits until it has reached the
// sink. With closing, the stream takes no more messages afterwards.
func (s *Stream) barrier(ctx context.Context, msg *weir.Message, k kind, closing bool) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	if err := s.usable(); err != nil {
		s.unlock()
		return err
	}
	tk := &ticket{seq: s.seq, size: -1, done: make(chan struct{})}
	if s.inline {
		return s.barrierInline(item{msg: msg, tk: tk, kind: k}, closing)
	}
	if err := s.stages[0].submit(ctx.Done(), item{msg: msg, tk: tk, kind: k}); err != nil {
		s.unlock()
		return s.waitErr(ctx, err)
	}
	if closing {
		s.closed.Store(true)
	}
	s.unlock()

	select {
	case <-tk.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-s.stop:
		return s.stoppedErr()
	}
}

// Close flushes the stream (as Flush), waits until everything has reached
// the sink, stops every goroutine and returns the error that stopped the
// stream, if any: the first *Error under the stop policy, a sink's or error
// sink's error, or the cause of the cancellation of New's context. If ctx is
// done before the stream has drained, Close stops it at once, as a
// cancellation of New's context does: the transformer calls in progress see
// their context canceled, every queued message is abandoned (Stats().InFlight
// counts the inputs that were), and Close returns the context's cause once
// the calls in progress have returned. Calling Close again returns the same
// result.
func (s *Stream) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		if s.inline {
			// The final flush runs in this goroutine: stop it as a
			// worker's would be if ctx ends first.
			stop := context.AfterFunc(ctx, func() { s.fail(context.Cause(ctx)) })
			defer stop()
		}
		err := s.barrier(ctx, weir.NewControl(), kindControl, true)
		if err != nil && !errors.Is(err, ErrStopped) {
			s.fail(err) // ctx is done: give up on what is in flight
		}
		s.closed.Store(true)
		s.fail(errDone)
		if s.inline {
			// Wait for the inline calls of other goroutines (they hold the
			// send lock), as for a threaded stream's workers.
			_ = s.sendLock.acquire(1, 1, nil, nil)
			s.unlock()
		}
		s.wg.Wait()
		if !errors.Is(s.err, errDone) {
			s.closeErr = s.err
		}
	})
	return s.closeErr
}

// lock takes the send lock unless ctx is done or the stream stops first.
func (s *Stream) lock(ctx context.Context) error {
	if err := s.sendLock.acquire(1, 1, ctx.Done(), s.stop); err != nil {
		return s.waitErr(ctx, err)
	}
	return nil
}

func (s *Stream) unlock() { s.sendLock.release(1) }

// usable returns why nothing can be sent, if so. The send lock is held.
func (s *Stream) usable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.stopped.Load() { // set before stop is closed, and cheaper to check
		return s.stoppedErr()
	}
	return nil
}

// waitErr turns the error of an interrupted wait into what the caller
// returns.
func (s *Stream) waitErr(ctx context.Context, err error) error {
	if errors.Is(err, errInterrupted) {
		return context.Cause(ctx)
	}
	return s.stoppedErr()
}

// stoppedErr returns the error of a call that found the stream stopped.
func (s *Stream) stoppedErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.closed.Load() || errors.Is(s.err, errDone) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrStopped, s.err)
}

// fail stops the stream with err, unless it has stopped already.
func (s *Stream) fail(err error) {
	s.errMu.Lock()
	first := s.err == nil
	if first {
		s.err = err
		s.stopped.Store(true)
		close(s.stop)
	}
	s.errMu.Unlock()
	if first {
		s.cancel(err)
	}
}

// msgSize is what msg counts against Config.MaxInFlightBytes: its data
// and metadata as sent.
func msgSize(msg *weir.Message) int64 {
	return int64(len(msg.Data()) + len(msg.Metadata()))
}

// halted reports whether the stream has stopped or ctx, the transformers'
// context, is done (the stream stops a moment later): workers and
// collectors check it before each message. Two atomic loads; a select on
// the two channels would lock both, which every worker shares.
func (s *Stream) halted(ctx context.Context) bool {
	return s.stopped.Load() || ctx.Err() != nil
}

// now returns the time since the stream started, for durations.
func (s *Stream) now() int64 { return int64(time.Since(s.epoch)) }

// release accounts for one message that came from tk having left the
// stream, and frees tk's budget when it was the last.
func (s *Stream) release(tk *ticket) {
	if tk.size >= 0 && tk.refs.Add(-1) == 0 {
		if tk.msg != nil {
			s.releaseFn(tk.msg)
		}
		s.budget.release(tk.size)
	}
}

// deliver hands it to the sink or the error sink. It runs on the last
// stage's collector goroutine only, and returns errStopped if the stream
// must stop.
func (s *Stream) deliver(ctx context.Context, it item) error {
	switch it.kind {
	case kindData:
		if s.hook != nil {
			s.hook(Event{Kind: EventDelivered, Seq: it.tk.seq, Msg: it.msg})
		}
		if err := s.sink(ctx, it.msg); err != nil {
			s.fail(err)
			return errStopped
		}
		s.delivered.add(1)
		s.release(it.tk)
	case kindControl:
		if err := s.sink(ctx, it.msg); err != nil {
			s.fail(err)
			return errStopped
		}
		if it.tk.done != nil {
			close(it.tk.done)
		}
	case kindSync:
		close(it.tk.done)
	case kindError:
		if s.hook != nil {
			s.hook(Event{Kind: EventFailed, Stage: it.err.Stage, Seq: it.tk.seq, Msg: it.msg, Err: it.err.Err})
		}
		if s.onErr == nil {
			s.fail(it.err)
			return errStopped
		}
		if err := s.onErr(ctx, it.err); err != nil {
			s.fail(err)
			return errStopped
		}
		s.reported.add(1)
		s.release(it.tk)
	}
	return nil
}
