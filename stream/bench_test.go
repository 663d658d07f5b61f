package stream_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// Benchmarks: one op is one message, so ns/op is the time per message at
// the stream's throughput (Close is inside the timing, so messages still in
// flight at the end are counted).

// loadW1 builds the W1 pipeline (CloudTrail to ECS: object_copy,
// string_*, hash_sha256, time_* and meta_switch built-ins) from its
// Substation config and reads the generated CloudTrail records.
func loadW1(b *testing.B) (transform.Transformer, [][]byte) {
	b.Helper()
	raw, err := os.ReadFile("../testdata/w1/pipeline.json")
	if err != nil {
		b.Fatal(err)
	}
	var cfg struct {
		Transforms []weir.Config `json:"transforms"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		b.Fatal(err)
	}
	ts, err := transform.NewPipeline(context.Background(), nil, cfg.Transforms)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open("../testdata/bench/cloudtrail-gen.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var recs [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			recs = append(recs, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil || len(recs) == 0 {
		b.Fatalf("corpus: %d records, %v", len(recs), err)
	}
	return ts, recs
}

// checkSink fails the benchmark on an empty output.
func checkSink(b *testing.B) stream.Sink {
	return func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() && len(msg.Data()) == 0 {
			b.Error("empty output")
		}
		return nil
	}
}

// runStream sends b.N messages made by msg through a stream, closes it and
// returns its final counters.
func runStream(b *testing.B, sink stream.Sink, cfg stream.Config, msg func(i int) *weir.Message) stream.Stats {
	b.Helper()
	return runStreamBatch(b, sink, cfg, msg, 0)
}

// runStreamBatch is runStream with the messages sent batch at a time
// (SendBatch), or one at a time (Send) when batch is 0.
func runStreamBatch(b *testing.B, sink stream.Sink, cfg stream.Config, msg func(i int) *weir.Message, batch int) stream.Stats {
	b.Helper()
	ctx := context.Background()
	s, err := stream.New(ctx, sink, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if batch > 0 {
		msgs := make([]*weir.Message, 0, batch)
		for i := 0; i < b.N; {
			msgs = msgs[:0]
			for ; i < b.N && len(msgs) < batch; i++ {
				msgs = append(msgs, msg(i))
			}
			if _, err := s.SendBatch(ctx, msgs); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		for i := range b.N {
			if err := s.Send(ctx, msg(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	return s.Stats()
}

// BenchmarkW1 runs the W1 workload (CPU-bound) directly on one goroutine
// and through a one-stage stream with 1 and 2 workers: workers=2 over
// workers=1 is the stream's scaling on two cores, and workers=1 over direct
// its cost.
func BenchmarkW1(b *testing.B) {
	w1, recs := loadW1(b)
	msg := func(i int) *weir.Message { return weir.NewMessage(recs[i%len(recs)]) }
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for i := range b.N {
			out, err := w1.Transform(ctx, msg(i))
			if err != nil || len(out) != 1 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("stream/workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			runStream(b, checkSink(b), stream.Config{Stages: []stream.Stage{{Transformer: w1, Workers: workers}}}, msg)
		})
	}
	// SendBatch, 32 messages a call (as weir run's reader).
	b.Run("stream/workers=2/batch", func(b *testing.B) {
		b.ReportAllocs()
		runStreamBatch(b, checkSink(b), stream.Config{Stages: []stream.Stage{{Transformer: w1, Workers: 2}}}, msg, 32)
	})
}

// BenchmarkOverhead measures the stream's own cost per message: a
// transformer that does nothing, called directly and through one-stage
// streams in each order mode.
func BenchmarkOverhead(b *testing.B) {
	msg := weir.NewMessage([]byte(`{"a":1}`))
	next := func(int) *weir.Message { return msg }
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			if _, err := pass.Transform(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	key := func(*weir.Message) string { return "k" }
	for _, order := range []stream.Order{stream.Ordered, stream.Unordered, stream.PerKey} {
		for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("stream/%v/workers=%d", order, workers), func(b *testing.B) {
				b.ReportAllocs()
				cfg := stream.Config{Order: order, Stages: []stream.Stage{{Transformer: pass, Workers: workers}}}
				if order == stream.PerKey {
					cfg.Key = key
				}
				runStream(b, checkSink(b), cfg, next)
			})
		}
	}
	b.Run(fmt.Sprintf("stream/ordered/workers=%d/batch", runtime.GOMAXPROCS(0)), func(b *testing.B) {
		b.ReportAllocs()
		cfg := stream.Config{Stages: []stream.Stage{{Transformer: pass, Workers: runtime.GOMAXPROCS(0)}}}
		runStreamBatch(b, checkSink(b), cfg, next, 32)
	})
	b.Run("stream/ordered/stages=3", func(b *testing.B) {
		b.ReportAllocs()
		stage := stream.Stage{Transformer: pass, Workers: 1}
		runStream(b, checkSink(b), stream.Config{Stages: []stream.Stage{stage, stage, stage}}, next)
	})
}

// BenchmarkIOBound runs a stage whose transformer waits 2ms per message,
// like a network lookup, on 256 workers. Little's law bounds its throughput
// at workers / latency = 128,000 msgs/s; bound-% is the share reached.
// sleep-ms is the mean time a time.Sleep(2ms) actually took, and
// sleep-bound-% the share of workers / that time: what the stream reaches
// of what the timers allow. The naive baseline, "pool", is 256 goroutines
// reading a channel, without order, limits or accounting.
func BenchmarkIOBound(b *testing.B) {
	const (
		workers = 256
		latency = 2 * time.Millisecond
	)
	report := func(b *testing.B, slept time.Duration) {
		rate := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "msgs/s")
		b.ReportMetric(100*rate/(workers/latency.Seconds()), "bound-%")
		b.ReportMetric(float64(slept)/float64(time.Millisecond), "sleep-ms")
		b.ReportMetric(100*rate/(workers/slept.Seconds()), "sleep-bound-%")
	}
	b.Run("pool", func(b *testing.B) {
		in := make(chan *weir.Message, 1024)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			slept time.Duration
		)
		for range workers {
			wg.Go(func() {
				var mine time.Duration
				for range in {
					start := time.Now()
					time.Sleep(latency)
					mine += time.Since(start)
				}
				mu.Lock()
				slept += mine
				mu.Unlock()
			})
		}
		msg := weir.NewMessage([]byte(`{"a":1}`))
		for range b.N {
			in <- msg
		}
		close(in)
		wg.Wait()
		b.StopTimer()
		report(b, slept/time.Duration(b.N))
	})
	b.Run("stream", func(b *testing.B) {
		wait := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if !msg.IsControl() {
				time.Sleep(latency)
			}
			return []*weir.Message{msg}, nil
		})
		msg := weir.NewMessage([]byte(`{"a":1}`))
		st := runStream(b, checkSink(b), stream.Config{Stages: []stream.Stage{{Transformer: wait, Workers: workers}}},
			func(int) *weir.Message { return msg })
		report(b, st.Stages[0].Process.Mean())
	})
}

// BenchmarkStallingSink sends 16 KiB messages as fast as it can to a sink
// that stalls for 1ms after every 32 messages, and reports the peak heap
// (sampled every 200µs) above the heap before the run. Backpressure keeps it
// near the in-flight byte limit, whatever the number of messages.
func BenchmarkStallingSink(b *testing.B) {
	const size = 16 << 10
	payload := bytes.Repeat([]byte("x"), size)
	for _, limit := range []int64{1 << 20, 8 << 20} {
		b.Run(fmt.Sprintf("limit=%dMiB", limit>>20), func(b *testing.B) {
			n := 0
			sink := func(_ context.Context, msg *weir.Message) error {
				if n++; n%32 == 0 {
					time.Sleep(time.Millisecond)
				}
				return nil
			}
			cfg := stream.Config{
				Stages:           []stream.Stage{{Transformer: pass}},
				MaxInFlightBytes: limit,
			}
			runtime.GC()
			base := heapBytes()
			peak, stop := watchHeap()
			runStream(b, sink, cfg, func(int) *weir.Message {
				return weir.NewMessage(bytes.Clone(payload))
			})
			stop()
			b.ReportMetric(float64(peak.Load()-base)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(b.N)*size/(1<<20), "sent-MiB")
		})
	}
}

// heapBytes returns the bytes of heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

type peakValue struct {
	mu sync.Mutex
	v  uint64
}

func (p *peakValue) Load() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.v
}

// watchHeap samples heapBytes until stop is called and keeps the largest.
func watchHeap() (peak *peakValue, stop func()) {
	peak = &peakValue{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			h := heapBytes()
			peak.mu.Lock()
			peak.v = max(peak.v, h)
			peak.mu.Unlock()
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	})
	return peak, func() { close(done); wg.Wait() }
}
