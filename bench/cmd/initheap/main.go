// Command initheap prints what a program linking transform/all holds on
// its heap once package initialization is done: it runs a full garbage
// collection and prints runtime.MemStats.HeapAlloc (live bytes) and
// HeapObjects. Every collection of a program that links transform/all
// marks at least this much, so it is a floor on the collector's work per
// cycle; compare it across changes to the dependencies.
package main

import (
	"fmt"
	"runtime"

	_ "github.com/weirhq/weir/transform/all"
)

func main() {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("HeapAlloc %d bytes, HeapObjects %d\n", m.HeapAlloc, m.HeapObjects)
}
