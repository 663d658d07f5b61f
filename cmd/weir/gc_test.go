package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// gcPercent returns the current GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTuneGCBacksOff: the watch started by tuneGC keeps GOGC=400 while the
// live heap is small and goes back to 100 once it passes smallHeap.
func TestTuneGCBacksOff(t *testing.T) {
	prev := debug.SetGCPercent(400)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	watchHeap()
	runtime.GC()
	runtime.GC()
	assert.Equal(t, 400, gcPercent(), "a small heap keeps GOGC=400")

	live := make([]byte, smallHeap+(16<<20))
	for i := range live {
		live[i] = byte(i)
	}
	assert.Eventually(t, func() bool {
		runtime.GC()
		return gcPercent() == 100
	}, 10*time.Second, 10*time.Millisecond, "a large live heap brings GOGC back to 100")
	runtime.KeepAlive(live)
}
