// Package stream runs messages through stages of transformers on pools of
// workers, in order, with bounded memory.
//
// # Which do I use?
//
// To transform one message in the goroutine at hand (an HTTP handler, a
// test), call a transform.Transformer (or transform.Chain) directly. To keep
// a process busy over many messages — a Lambda function's batch, a
// Kinesis or Kafka consumer, a file of logs — use a [Stream]: each [Stage]
// has its own pool of workers (about GOMAXPROCS for CPU-bound work, hundreds
// for a stage that waits on DNS, HTTP or a database), a full stream makes
// [Stream.Send] wait instead of buffering, and results reach one [Sink] in
// input order.
//
// With one worker and nothing to overlap, [Config.Inline] runs the stages
// in the goroutine that calls Send instead: no hand-off between goroutines,
// and each message is still in the CPU's caches when it reaches the sink
// (weir run does so with one worker). [Config.Release] hands each message
// back once everything that came from it has left the stream, so that the
// sender reuses it ([weir.Message.Reset]) instead of making one per event.
// A sender whose records come in batches (a Kinesis or SQS receive, the
// lines at hand in a read buffer) gives them to [Stream.SendBatch]: a worker
// takes up to 16 at once, so the hand-offs between goroutines are paid per
// batch (weir run does so with several workers).
//
// # Order
//
// Workers always run messages concurrently; [Config.Order] decides when
// results are handed on, to the next stage and to the sink:
//
//   - [Ordered] (the default): in input order. The messages one input
//     became stay together, in the order its transformer returned them.
//   - [Unordered]: as soon as each is ready.
//   - [PerKey]: in input order among messages with the same key
//     ([Config.Key], e.g. a user or a host); other keys overtake a slow one.
//
// A transformer that keeps state across messages (an aggregation) sees
// messages in the stream's order only if its stage has one worker; with
// more, it sees them as workers pick them up.
//
// # Backpressure and memory
//
// At most [Config.MaxInFlight] input messages, of at most
// [Config.MaxInFlightBytes] bytes in all, are inside the stream; Send blocks
// beyond that, until a message leaves or Send's context ends. Each stage
// also holds at most MaxInFlight messages, so inputs that a transformer
// splits into many messages are held back too: with a sink that stalls,
// memory stays flat.
//
// # Control messages: Flush, Sync, Close
//
// [Stream.Flush] (or a Send of a control message) sends a control message
// through the stream as a barrier: each stage waits until every earlier
// message has left it, calls its transformer with the control message
// exactly once, hands on what that released followed by the control
// message, and only then starts on later messages. Stateful transformers
// therefore flush once, in order. Flush returns when the control message
// has reached the sink. [Stream.Sync] waits the same way without flushing.
// [Stream.Close] flushes, waits for everything to reach the sink and stops
// every goroutine; canceling the context given to [New] stops them too.
//
// # Errors
//
// Under the default stop policy, the first failed message (the first in
// output order, when ordered) stops the stream: everything before it has
// been delivered, the transformers' context is canceled, and Close returns
// an [*Error] naming the stage and the input's position ([Error.Seq]). With
// a [Config.ErrorSink] (the route policy) failed messages go there, from the
// sink's goroutine and at their place in the output order, and the stream
// goes on. Either way every message Send accepted is delivered, dropped by
// a transformer (counted in [StageStats]), or reported — unless the stream
// stops first, which Close reports.
//
// By default panics are not recovered, as in golang.org/x/sync/errgroup: a
// panicking transformer crashes the program with its own stack, rather than
// leaving a stream that may deadlock or a bug that hides. With
// [Config.RecoverPanics] (which weir run sets) a panic becomes a
// [*PanicError] with its stack, stopped or routed by the error policy like
// any failure, so one bad record does not take down a whole batch
// (TestRecoverPanics).
//
// # Cancellation
//
// Canceling the context given to [New], or calling [Stream.Close] with a
// context that ends before the stream has drained, stops the stream at
// once: calls in progress see their context canceled, each worker finishes
// at most the call it is in, and every queued message is abandoned — not
// transformed, not delivered, not reported; [Stats] InFlight counts them
// (TestCancelAbandonsQueued).
//
// # Observing
//
// [Stream.Stats] returns counters per stage (in, out, dropped, errored,
// flushes; time spent waiting for a worker and in the transformer) and the
// messages in flight. [Config.Hook] is called at every step of every
// message, for tracing; it costs nothing when nil.
//
// # Cost
//
// Inline, a stream costs under a thousand instructions per message over
// calling the transformer directly (weir run on W1: 871 of 137,000 per
// event, counted by callgrind; bench/README.md).
//
// With several workers and SendBatch, the stream's own instructions per
// message are about the inline run's (weir run on W1 with 2 workers:
// 134,793 per event against 135,027 inline; 137,528 with a Send per
// event), and a worker that has run 50 µs without waiting yields its thread
// so that the goroutines feeding and draining the stage keep up: weir run
// -workers 2 spends 0–4% more CPU than the inline run instead of 5–7%, and
// runs 1.92 times as fast on two free cores over 100,000 W1 events (1.84
// over 60,000, where start-up weighs more) instead of 1.77–1.78
// (bench/README.md).
//
// A stream costs less than 1 µs per message over calling the transformer
// directly: about 0.35–0.45 µs in order, 0.4–0.6 µs unordered and 0.6–0.9
// µs per key, with two small allocations (BenchmarkOverhead, a transformer
// that does nothing, one stage, on two cores); each further stage adds about
// 0.3 µs. So a stream pays off once a message costs a few microseconds: the
// CloudTrail-to-ECS workload W1 (about 30 µs a message) runs 1.9–2.0 times
// as fast with 2 workers as with 1 on two cores (BenchmarkW1), and a stage
// of 256 workers whose transformer waits 2 ms reaches 99.8% of Little's
// bound, workers / latency, at the latency the waits really take
// (BenchmarkIOBound; Go's timers make a 2 ms sleep last about 2.75 ms on a
// machine whose cores are idle, so that is 72% of 128,000 messages a
// second).
package stream
