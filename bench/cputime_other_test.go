//go:build !unix

package bench_test

import "time"

// cpuTime reports false: process CPU time is only read on Unix.
func cpuTime() (time.Duration, bool) { return 0, false }
