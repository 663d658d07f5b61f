// Command spin measures the parallelism the machine offers at the moment:
// it does a fixed amount of pure CPU work (no memory traffic, no
// synchronization) split evenly over GOMAXPROCS goroutines. bench/run.sh
// times it with GOMAXPROCS=1 and 2 beside weir run -workers 1 and 2: on a
// shared machine whose other load takes a core, even this perfectly
// parallel program gets no speedup, and neither can weir run.
//
// Usage: spin [-n ITERATIONS]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
)

func main() {
	n := flag.Int("n", 800_000_000, "iterations in all")
	flag.Parse()
	procs := runtime.GOMAXPROCS(0)
	var (
		wg  sync.WaitGroup
		sum = make([]uint64, procs)
	)
	for g := range procs {
		wg.Go(func() {
			x := uint64(g + 1)
			for range *n / procs {
				x = x*6364136223846793005 + 1442695040888963407
			}
			sum[g] = x
		})
	}
	wg.Wait()
	var total uint64
	for _, x := range sum {
		total ^= x
	}
	if total == 42 { // keeps the loops from being optimized away
		fmt.Fprintln(os.Stderr, "spin: unlucky")
	}
}
