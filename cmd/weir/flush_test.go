package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRunFlushInterval: with input still open and idle, the flush timer
// releases what the pipeline holds and writes it out.
func TestRunFlushInterval(t *testing.T) {
	cfg := writeFile(t, "hold.json", `{"transforms": [{"type": "test_hold"}]}`)
	stdin, feed := io.Pipe()
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(context.Background(), testEnv(t), []string{"run", "-config", cfg, "-flush-interval", "5ms"}, stdin, &stdout, &stderr)
	}()
	_, err := feed.Write([]byte("{\"a\":1}\n"))
	assert.NoError(t, err)
	assert.Eventually(t, func() bool { return strings.Contains(stdout.String(), `{"a":1}`) }, 10*time.Second, time.Millisecond,
		"the held event is written while the input is still open")
	_ = feed.Close()
	assert.Equal(t, exitOK, <-done, stderr.String())
	assert.Equal(t, "{\"a\":1}\n", stdout.String())
}

func TestRunFlushIntervalUsage(t *testing.T) {
	r := weirRun(testEnv(t), "", "run", "-config", writeFile(t, "p.json", passThrough), "-flush-interval", "-1s")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "-flush-interval")
}
