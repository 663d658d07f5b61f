//go:build unix

package bench_test

import (
	"syscall"
	"time"
)

// cpuTime returns the user and system CPU time the process has used, and
// true. On a shared machine it is steadier than wall time: time spent
// waiting for a core is not counted.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
