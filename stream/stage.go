package stream

import (
	"cmp"
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// How a stage works
//
// A stage has a fixed number of slots (its window, Config.MaxInFlight), a
// pool of workers and one collector goroutine. Whoever submits to the
// stage (the holder of the send lock for the first stage, the previous
// stage's collector for the others) takes a slot, numbers the task and puts
// it on the work queue; a worker transforms it and puts the result on the
// done queue; the collector hands results on — in task order, in
// completion order, or per key — and only then gives the slot back. Both
// queues are channels with room for the whole window, so only taking a slot
// ever blocks: that is the backpressure, and it propagates from the sink
// back to Send.
//
// A control (or sync) item is a barrier: it takes every slot of the stage,
// so it waits until everything before it has been handed on, runs alone,
// and nothing after it starts until its own results have been handed on and
// its slots freed.
//
// The last stage's collector is the goroutine that calls the sinks.

// kind is what an item is.
type kind uint8

const (
	kindData    kind = iota // a data message, to transform
	kindControl             // a control message: a barrier each stage transforms
	kindSync                // a barrier no stage transforms (Sync)
	kindError               // a failed message on its way to the error sink
)

// item is what moves between stages.
type item struct {
	msg  *weir.Message
	tk   *ticket
	err  *Error // kindError only
	kind kind
}

// ticket is shared by an input message and every message that comes from
// it.
type ticket struct {
	seq  uint64
	key  string
	size int64 // bytes taken from the budget; -1 for barriers, which take none
	// refs counts the messages from this input still in the stream; the
	// budget is given back when it reaches zero.
	refs atomic.Int32
	done chan struct{} // barriers: closed when the barrier reaches the sink
	// msg is the input message, given to Config.Release once refs reaches
	// zero; nil without Release.
	msg *weir.Message
}

// task is work on its way to a worker: one item, or a batch of data items
// that one worker runs in turn (Stream.SendBatch).
type task struct {
	n      uint64 // the stage's task number, in submission order
	queued int64  // Stream.now() at submission
	it     item   // when batch is nil
	batch  []entry
}

// result is a worker's answer.
type result struct {
	n     uint64
	it    item // the task's item
	out   []*weir.Message
	err   error
	batch []entry // the task's batch, each entry with its out and err
}

// entry is one input message of a batch: its ticket, its item and, once a
// worker has run it, what the transformer returned. A batch's entries are
// one allocation, which its tickets keep alive as long as they are in use.
type entry struct {
	tk  ticket
	it  item
	out []*weir.Message
	err error
}

// maxBatch is the most data items a batch task holds: enough that the
// hand-offs between goroutines cost little per message, few enough that a
// batch's work stays a small part of the window's.
const maxBatch = 16

// errStopped and errInterrupted end a wait: the stream stopped, or the
// caller's context is done.
var (
	errStopped     = errors.New("stream: stopped (internal)")
	errInterrupted = errors.New("stream: interrupted (internal)")
)

type stage struct {
	s       *Stream
	name    string
	t       transform.Transformer
	workers int
	window  int
	next    *stage // nil for the last stage

	slots *sema
	work  chan task
	done  chan result
	n     uint64 // the next task number; the submitter's
	// batch is the most data items one task may hold: maxBatch, or fewer
	// so that the window holds at least four tasks a worker (a stage of
	// hundreds of workers waiting on the network gets one message each).
	batch int

	// PerKey: the submitter writes the key of task n at keys[n%window], then
	// publishes tail = n+1; the collector reads the keys below tail. A key
	// is read before its task is handed on, so at most window tasks have
	// unread keys and none is overwritten early.
	keys []string
	tail atomic.Uint64

	stats   []workerStats // one per worker
	flushes uint64Counter
}

func newStage(s *Stream, name string, t transform.Transformer, workers, window int) *stage {
	st := &stage{
		s:       s,
		name:    name,
		t:       t,
		workers: workers,
		window:  window,
		slots:   newSema(int64(window)),
		work:    make(chan task, window),
		done:    make(chan result, window),
		stats:   make([]workerStats, workers),
		batch:   max(1, min(maxBatch, window/(4*workers))),
	}
	if s.order == PerKey {
		st.keys = make([]string, window)
	}
	return st
}

// start starts the stage's workers and collector.
func (st *stage) start(ctx context.Context) {
	for i := range st.workers {
		st.s.wg.Go(func() { st.work1(ctx, &st.stats[i]) })
	}
	st.s.wg.Go(func() { st.collect(ctx) })
}

// submit hands it to the stage, waiting for a slot (every slot, for a
// barrier). Only one goroutine submits to a stage at a time. It returns
// errInterrupted when interrupt is closed first and errStopped when the
// stream stops first.
func (st *stage) submit(interrupt <-chan struct{}, it item) error {
	if err := st.reserve(interrupt, it); err != nil {
		return err
	}
	st.push(it)
	return nil
}

// reserve takes the slots for it, as submit.
func (st *stage) reserve(interrupt <-chan struct{}, it item) error {
	w := st.weight(it)
	return st.slots.acquire(w, max(w, int64(st.window/8)), interrupt, st.s.stop)
}

// push puts it, whose slots are reserved, on the work queue.
func (st *stage) push(it item) {
	n := st.n
	st.n++
	if st.keys != nil {
		st.keys[n%uint64(st.window)] = it.tk.key
		st.tail.Store(n + 1)
	}
	// Never blocks: the queue has room for every slot.
	st.work <- task{n: n, queued: st.s.now(), it: it}
}

// pushBatch puts a batch of data items, whose slots (one each) are
// reserved, on the work queue as one task. Not with PerKey: a task has one
// key.
func (st *stage) pushBatch(batch []entry) {
	n := st.n
	st.n++
	// Never blocks: the queue has room for every slot.
	st.work <- task{n: n, queued: st.s.now(), batch: batch}
}

// weight returns the slots it takes: one, or all for a barrier.
func (st *stage) weight(it item) int64 {
	if it.kind == kindControl || it.kind == kindSync {
		return int64(st.window)
	}
	return 1
}

// work1 is one worker.
func (st *stage) work1(ctx context.Context, ws *workerStats) {
	var last int64 // when the previous task ended
	var ran int64  // when the worker last started running without a wait or a yield, or 0
	for {
		// Reading the clock costs as much as a channel operation here, so a
		// worker that finds its next task waiting takes the end of the
		// previous one as its start.
		// A stopped stream abandons what is queued: the stop, and the
		// cancellation of New's context (which stops the stream a moment
		// later), are checked before every task, so a worker finishes at
		// most the call it is in.
		if st.s.halted(ctx) {
			return
		}
		var t task
		select {
		case t = <-st.work:
		default:
			select {
			case t = <-st.work:
			case <-st.s.stop:
				return
			}
			last, ran = 0, 0
		}
		var r result
		if t.batch != nil {
			var ok bool
			if r, last, ok = st.runBatch(ctx, ws, t, last); !ok {
				return
			}
		} else {
			r, last = st.run(ctx, ws, t, last)
		}
		// Never blocks: the queue has room for every slot.
		st.done <- r
		if last != 0 {
			if ran == 0 {
				ran = last
			} else if last-ran >= yieldAfter && len(st.work) > 0 {
				// Let the goroutines that feed and drain the stage run
				// (a worker about to wait for a task lets them anyway).
				runtime.Gosched()
				ran = 0
			}
		}
	}
}

// yieldAfter is how long (in nanoseconds) a worker that never has to wait
// for a task runs before it yields its thread (runtime.Gosched). Go does
// not preempt a goroutine for another that is ready until it has run 10
// ms, so with as many busy workers as threads (GOMAXPROCS), the collector
// that a worker's result woke, and the sender that the collector's
// release of room woke, would wait for a worker to find the queue empty:
// the workers would drain the window, then idle while it is refilled. A
// yield every 50 µs lets them in at the cost of a scheduler round trip
// (well under 1% of the time); a worker yields only when a task is waiting
// for it, as one that is about to wait lets the others run anyway.
const yieldAfter = 50_000

// runBatch transforms a batch's items in turn, as run, checking before each
// but the first that the stream goes on (a stopped stream abandons the
// rest). It reports false if it stopped.
func (st *stage) runBatch(ctx context.Context, ws *workerStats, t task, last int64) (result, int64, bool) {
	for i := range t.batch {
		e := &t.batch[i]
		if i > 0 && st.s.halted(ctx) {
			return result{}, 0, false
		}
		var r result
		r, last = st.run(ctx, ws, task{n: t.n, queued: t.queued, it: e.it}, last)
		e.out, e.err = r.out, r.err
	}
	return result{n: t.n, batch: t.batch}, last, true
}

// run transforms one task's item. start is the current time or 0, and end
// the time it finished (or 0 if it did not read the clock).
func (st *stage) run(ctx context.Context, ws *workerStats, t task, start int64) (r result, end int64) {
	r = result{n: t.n, it: t.it}
	switch t.it.kind {
	case kindData:
		if start == 0 {
			start = st.s.now()
		} else {
			// The task was waiting when the previous one ended, or was
			// queued since and taken at once.
			start = max(start, t.queued)
		}
		r.out, r.err = st.call(ctx, t.it.msg)
		end = st.s.now()
		wait := start - t.queued
		ws.record(wait, end-start, r.out, r.err)
		if st.s.hook != nil {
			st.s.hook(Event{Kind: EventProcessed, Stage: st.name, Seq: t.it.tk.seq, Msg: t.it.msg,
				Out: len(r.out), Err: r.err, Wait: durationOf(wait), Took: durationOf(end - start)})
		}
	case kindControl:
		r.out, r.err = st.call(ctx, t.it.msg)
	}
	return r, end
}

// call calls the stage's transformer, turning a panic into a *PanicError
// when the stream recovers panics.
func (st *stage) call(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if !st.s.recoverPanics {
		return st.t.Transform(ctx, msg)
	}
	return st.recoverCall(ctx, msg)
}

func (st *stage) recoverCall(ctx context.Context, msg *weir.Message) (out []*weir.Message, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return st.t.Transform(ctx, msg)
}

// collect hands the results on, in the stream's order, until the stream
// stops.
func (st *stage) collect(ctx context.Context) {
	c := collector{st: st}
	switch st.s.order {
	case Ordered:
		c.ring = make([]result, st.window)
		c.ready = make([]bool, st.window)
	case PerKey:
		c.queues = make(map[string]*fifo)
	}
	for {
		var r result
		select {
		case r = <-st.done:
		default:
			select {
			case r = <-st.done:
			case <-st.s.stop:
				return
			}
		}
		if st.s.halted(ctx) {
			return // abandon what is left
		}
		var err error
		switch st.s.order {
		case Ordered:
			err = c.ordered(ctx, r)
		case Unordered:
			err = c.handOn(ctx, r)
		case PerKey:
			err = c.perKey(ctx, r)
		}
		if err != nil {
			return
		}
	}
}

// collector is the state of a stage's collector goroutine.
type collector struct {
	st *stage

	// Ordered: results by task number modulo the window (the tasks not yet
	// handed on are head and the ones after it, at most window); head is the
	// next task to hand on.
	ring  []result
	ready []bool
	head  uint64

	// PerKey: the tasks not yet handed on, by key, in submission order;
	// tasks below absorbed are in the queues.
	queues   map[string]*fifo
	absorbed uint64
}

// ordered hands results on in task order.
func (c *collector) ordered(ctx context.Context, r result) error {
	w := uint64(c.st.window)
	c.ring[r.n%w], c.ready[r.n%w] = r, true
	for c.ready[c.head%w] {
		i := c.head % w
		r := c.ring[i]
		c.ring[i], c.ready[i] = result{}, false
		c.head++
		if err := c.handOn(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// perKey hands r on, and the results waiting behind it, when no earlier
// task with the same key is still pending.
func (c *collector) perKey(ctx context.Context, r result) error {
	for tail := c.st.tail.Load(); c.absorbed < tail; c.absorbed++ {
		key := c.st.keys[c.absorbed%uint64(c.st.window)]
		q := c.queues[key]
		if q == nil {
			if len(c.queues) >= 2*c.st.window {
				c.sweep()
			}
			q = &fifo{}
			c.queues[key] = q
		}
		q.push(c.absorbed)
	}
	q := c.queues[r.it.tk.key]
	q.set(r)
	for q.len() > 0 && q.e[q.head].ready {
		r := q.pop()
		if err := c.handOn(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// sweep forgets the keys with no pending task, so that the queues stay
// bounded by the window however many keys go by. A key's queue is kept
// while it is empty so that a busy key does not cost a new one per
// message.
func (c *collector) sweep() {
	for k, q := range c.queues {
		if q.len() == 0 {
			delete(c.queues, k)
		}
	}
}

// handOn sends what r produced to the next stage (or the sinks), then frees
// r's slot (every slot, for a barrier).
func (c *collector) handOn(ctx context.Context, r result) error {
	st := c.st
	if r.batch != nil {
		for i := range r.batch {
			e := &r.batch[i]
			if err := c.handOnData(ctx, result{n: r.n, it: e.it, out: e.out, err: e.err}); err != nil {
				return err
			}
			e.out, e.err = nil, nil
		}
		st.slots.release(int64(len(r.batch)))
		return nil
	}
	it := r.it
	var err error
	switch it.kind {
	case kindData:
		err = c.handOnData(ctx, r)
	case kindControl:
		err = c.handOnControl(ctx, r)
	default: // errors and syncs pass through
		err = c.emit(ctx, it)
	}
	if err != nil {
		return err
	}
	if it.kind == kindControl {
		st.flushes.add(1)
	}
	if !st.s.inline {
		st.slots.release(st.weight(it))
	}
	return nil
}

func (c *collector) handOnData(ctx context.Context, r result) error {
	tk := r.it.tk
	if r.err != nil {
		e := &Error{Stage: c.st.name, Seq: tk.seq, Msg: r.it.msg, Err: r.err}
		return c.emit(ctx, item{msg: r.it.msg, tk: tk, err: e, kind: kindError})
	}
	data := 0
	for _, m := range r.out {
		if !m.IsControl() {
			data++
		}
	}
	switch {
	case data == 0:
		c.st.s.release(tk) // dropped
	case data > 1 && tk.size >= 0:
		tk.refs.Add(int32(data - 1)) // before any is handed on
	}
	for _, m := range r.out {
		it := item{msg: m, tk: tk}
		if m.IsControl() {
			// A transformer may start a flush of the stages after it
			// (utility_control).
			it = item{msg: m, tk: &ticket{seq: tk.seq, size: -1}, kind: kindControl}
		}
		if err := c.emit(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// handOnControl hands on the messages a flush released, then the control
// message itself, once.
func (c *collector) handOnControl(ctx context.Context, r result) error {
	tk := r.it.tk
	if r.err != nil {
		e := &Error{Stage: c.st.name, Seq: tk.seq, Msg: r.it.msg, Err: r.err}
		if err := c.emit(ctx, item{msg: r.it.msg, tk: tk, err: e, kind: kindError}); err != nil {
			return err
		}
		if c.st.s.onErr == nil {
			return nil // the stream stops at the error
		}
	}
	ctrl := r.it.msg
	for _, m := range r.out {
		if m.IsControl() {
			ctrl = m
			continue
		}
		if err := c.emit(ctx, item{msg: m, tk: tk}); err != nil {
			return err
		}
	}
	return c.emit(ctx, item{msg: ctrl, tk: tk, kind: kindControl})
}

// emit passes it to the next stage, or to the sinks after the last.
func (c *collector) emit(ctx context.Context, it item) error {
	switch {
	case c.st.next == nil:
		return c.st.s.deliver(ctx, it)
	case c.st.s.inline:
		return c.st.next.runInline(ctx, it)
	}
	return c.st.next.submit(nil, it)
}

// fifo holds one key's pending tasks, in submission (so number) order, with
// their results once they are ready.
type fifo struct {
	e    []pending
	head int
}

type pending struct {
	n     uint64
	r     result
	ready bool
}

func (q *fifo) len() int      { return len(q.e) - q.head }
func (q *fifo) push(n uint64) { q.e = append(q.e, pending{n: n}) }

// set stores the result of a task in the queue.
func (q *fifo) set(r result) {
	live := q.e[q.head:]
	i, _ := slices.BinarySearchFunc(live, r.n, func(p pending, n uint64) int { return cmp.Compare(p.n, n) })
	live[i].r, live[i].ready = r, true
}

// pop removes the first task and returns its result.
func (q *fifo) pop() result {
	r := q.e[q.head].r
	q.e[q.head] = pending{}
	q.head++
	switch {
	case q.head == len(q.e):
		q.e, q.head = q.e[:0], 0
	case q.head >= 64 && q.head >= len(q.e)/2:
		// A key that is never idle: drop the popped half.
		n := copy(q.e, q.e[q.head:])
		clear(q.e[n:])
		q.e, q.head = q.e[:n], 0
	}
	return r
}

// runInline transforms it and hands the results on, in the calling
// goroutine (Config.Inline). It returns errStopped if the stream stopped.
func (st *stage) runInline(ctx context.Context, it item) error {
	if st.s.halted(ctx) {
		return errStopped // if ctx is done, the stream stops a moment later
	}
	c := collector{st: st}
	if it.kind != kindData && it.kind != kindControl {
		return c.handOn(ctx, result{it: it}) // errors and syncs pass through
	}
	var start int64
	if it.kind == kindData {
		start = st.s.now()
	}
	r, _ := st.run(ctx, &st.stats[0], task{queued: start, it: it}, start)
	return c.handOn(ctx, r)
}
