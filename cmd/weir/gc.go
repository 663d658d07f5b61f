package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Garbage collection for weir run. An event's memory is garbage once it
// is written, and the heap weir run keeps is small (the pipeline, a few
// events per worker), so with Go's default (GOGC=100) the collector runs
// every few megabytes of events, each time scanning the program's
// globals and stacks: about a tenth of the CPU on the idiomatic W1 config
// (bench/README.md, issue 15). tuneGC lets the heap grow to five times
// what is live instead (GOGC=400) as long as that is small, and goes back
// to the default once the live heap passes smallHeap, so that a pipeline
// holding much (a large enrichment table, long batches) does not take
// five times its memory. GOGC set in the environment is left alone.

// smallHeap is the live heap up to which tuneGC keeps GOGC=400.
const smallHeap = 64 << 20

// tuneGC applies the above to this process.
func tuneGC() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(400)
	watchHeap()
}

// gcSentinel is garbage from the start: its cleanup runs after the next
// collection.
type gcSentinel struct {
	_ *int // holds a pointer: not combined with other tiny objects
	_ [16]byte
}

// watchHeap checks the live heap after the next collection, and again
// after each one until it passes smallHeap.
func watchHeap() {
	runtime.AddCleanup(new(gcSentinel), func(struct{}) {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > smallHeap {
			debug.SetGCPercent(100)
			return
		}
		watchHeap()
	}, struct{}{})
}
