package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// jitterEnv returns testEnv's registry plus test_jitter, which
// passes events on after a pause that differs from event to event, so that
// workers finish out of order.
func jitterEnv(t *testing.T) *transform.Env {
	t.Helper()
	reg := testRegistry(t)
	require.NoError(t, reg.Register("test_jitter", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if !msg.IsControl() {
				time.Sleep(time.Duration(len(msg.Data())*7919%13) * 50 * time.Microsecond)
			}
			return []*weir.Message{msg}, nil
		}), nil
	}))
	return &transform.Env{Transforms: reg}
}

// events returns n one-line events of different lengths.
func events(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", i%17))
	}
	return out
}

func TestRunWorkersSample(t *testing.T) {
	t.Parallel()
	args := []string{"run", "-config", "../../testdata/sample/pipeline.json", "../../testdata/sample/cloudtrail.ndjson"}
	one := weirRun(nil, "", args...)
	require.Equal(t, exitOK, one.code, one.stderr)
	for _, flags := range [][]string{{"-workers", "4"}, {"-workers", "4", "-ordered=true"}} {
		res := weirRun(nil, "", append(args[:1:1], append(flags, args[1:]...)...)...)
		require.Equal(t, exitOK, res.code, res.stderr)
		assert.Equal(t, one.stdout, res.stdout, "%v: the same output, in the same order", flags)
		assert.Empty(t, res.stderr)
	}
}

func TestRunWorkersOrdered(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_jitter"}]}`)
	in := events(300)
	input := strings.Join(in, "\n") + "\n"

	res := weirRun(jitterEnv(t), input, "run", "-config", config, "-workers", "8")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, in, lines(res.stdout), "input order")

	res = weirRun(jitterEnv(t), input, "run", "-config", config, "-workers", "8", "-ordered=false")
	require.Equal(t, exitOK, res.code, res.stderr)
	out := lines(res.stdout)
	assert.ElementsMatch(t, in, out, "every event, once")
	assert.NotEqual(t, in, out, "with -ordered=false, fast events overtake slow ones")
}

func TestRunWorkersBadLine(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_jitter"}, {"type": "test_fail"}]}`)
	in := events(200)
	in[120] = `{"bad":true}`
	// Blank lines shift the line numbers: the bad event is on line 125.
	input := writeFile(t, "input.ndjson", "\n\n"+strings.Join(in[:100], "\n")+"\n\n\r\n"+strings.Join(in[100:], "\n")+"\n")

	res := weirRun(jitterEnv(t), "", "run", "-config", config, "-workers", "8", input)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, in[:120], lines(res.stdout), "output before the failure is written; nothing after it")
	assert.Equal(t, "weir: "+input+":125: transform test_fail: event is bad: weir: invalid data\n", res.stderr)
}

func TestRunWorkersKeepGoing(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_jitter"}, {"type": "test_fail"}]}`)
	first := events(60)
	first[10], first[50] = `{"bad":1}`, `{"bad":2}`
	second := events(40)
	second[0] = `{"bad":3}`
	file1 := writeFile(t, "1.ndjson", strings.Join(first, "\n")+"\n")
	file2 := writeFile(t, "2.ndjson", strings.Join(second, "\n")+"\n")
	missing := file1 + ".missing"

	res := weirRun(jitterEnv(t), "", "run", "-config", config, "-workers", "8", "-keep-going", file1, missing, file2)
	assert.Equal(t, exitFailure, res.code)
	want := slices.Concat(first[:10], first[11:50], first[51:], second[1:])
	assert.Equal(t, want, lines(res.stdout))
	errLines := lines(res.stderr)
	require.Len(t, errLines, 5, res.stderr)
	assert.Equal(t, "weir: "+file1+":11: transform test_fail: event is bad: weir: invalid data", errLines[0])
	assert.Equal(t, "weir: "+file1+":51: transform test_fail: event is bad: weir: invalid data", errLines[1])
	assert.True(t, strings.HasPrefix(errLines[2], "weir: open "+missing+": "), "in input order: %s", errLines[2])
	assert.Equal(t, "weir: "+file2+":1: transform test_fail: event is bad: weir: invalid data", errLines[3])
	assert.Equal(t, "weir: 4 errors", errLines[4])
}

// TestRunWorkersHold checks that the end-of-input flush reaches a holding
// transform once, after every event, with several workers.
func TestRunWorkersHold(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_jitter"}, {"type": "test_hold"}]}`)
	in := events(100)
	res := weirRun(jitterEnv(t), strings.Join(in, "\n"), "run", "-config", config, "-workers", "4")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.ElementsMatch(t, in, lines(res.stdout))
}

func TestRunWorkersUsage(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	for _, arg := range []string{"0", "-3"} {
		res := weirRun(nil, "{}\n", "run", "-config", config, "-workers", arg)
		assert.Equal(t, exitUsage, res.code)
		assert.Equal(t, "weir: run: -workers must be at least 1, not "+arg+"\n", res.stderr)
	}
	res := weirRun(nil, "{}\n", "run", "-config", config, "-workers", "many")
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stderr, `invalid value "many" for flag -workers`)

	res = weirRun(nil, "", "help", "run")
	assert.Contains(t, res.stdout, "-workers N")
	assert.Contains(t, res.stdout, "-ordered")
}

func TestRunWorkersWriteError(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	input := strings.Repeat(`{"padding":"`+strings.Repeat("x", 1000)+`"}`+"\n", 500)
	var stderr strings.Builder
	code := run(context.Background(), nil, []string{"run", "-config", config, "-workers", "4", "-keep-going"},
		strings.NewReader(input), errWriter{}, &stderr)
	assert.Equal(t, exitFailure, code)
	assert.Equal(t, "weir: write output: disk full\n", stderr.String(), "reported once")
}

func TestRunWorkersCanceled(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_jitter"}]}`)
	env := jitterEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	go func() {
		fmt.Fprintln(w, `{"a":1}`)
		time.Sleep(200 * time.Millisecond) // the first event is written
		cancel()
		fmt.Fprintln(w, `{"a":2}`)
		w.Close()
	}()
	var stdout, stderr strings.Builder
	code := run(ctx, env, []string{"run", "-config", config, "-workers", "2"}, r, &stdout, &stderr)
	assert.Equal(t, exitFailure, code)
	assert.Equal(t, "{\"a\":1}\n", stdout.String())
	assert.Equal(t, "weir: <stdin>:2: context canceled\n", stderr.String())
}

// lockedBuilder is a strings.Builder safe for concurrent use.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunWorkersSlowInput checks that with several workers, which get the
// lines read in batches, a line is not held back waiting for more input:
// each event is written while the next line has not been written yet.
func TestRunWorkersSlowInput(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	var stdout, stderr lockedBuilder
	code := make(chan int, 1)
	go func() {
		code <- run(context.Background(), nil, []string{"run", "-config", config, "-workers", "2", "-flush-interval", "0"}, r, &stdout, &stderr)
	}()
	var want strings.Builder
	for i := range 3 {
		// Two lines in one write: both are read at once, as a batch.
		fmt.Fprintf(w, "{\"a\":%d}\n{\"b\":%d}\n", i, i)
		fmt.Fprintf(&want, "{\"a\":%d}\n{\"b\":%d}\n", i, i)
		assert.Eventually(t, func() bool { return stdout.String() == want.String() }, 10*time.Second, 5*time.Millisecond,
			"the events of write %d are written before the next", i)
	}
	w.Close()
	assert.Equal(t, exitOK, <-code, stderr.String())
	assert.Equal(t, want.String(), stdout.String())
}
