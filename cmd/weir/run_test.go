package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// statsLine returns the -stats line of stderr, decoded.
func statsLine(t *testing.T, stderr string) runStats {
	t.Helper()
	ls := lines(stderr)
	var st runStats
	require.NoError(t, json.Unmarshal([]byte(ls[len(ls)-1]), &st), stderr)
	return st
}

func TestRunNotJSON(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "seen"}, "value": true}}]}`)
	input := writeFile(t, "input.ndjson", "{\"n\":1}\nthis is not json\n{\"n\":3}\n")

	res := weirRun(nil, "", "run", "-config", config, input)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1,\"seen\":true}\n", res.stdout, "the bad line is not made into an event, and stops the run")
	assert.Contains(t, res.stderr, "weir: "+input+":2: not JSON: invalid character 'h' in literal true")
	assert.Contains(t, res.stderr, "use -input records for a JSON document")

	res = weirRun(nil, "", "run", "-config", config, "-keep-going", input)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1,\"seen\":true}\n{\"n\":3,\"seen\":true}\n", res.stdout)

	errorsPath := filepath.Join(t.TempDir(), "errors.ndjson")
	res = weirRun(nil, "", "run", input, "-config", config, "-errors", errorsPath)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1,\"seen\":true}\n{\"n\":3,\"seen\":true}\n", res.stdout, "-errors goes on")
	assert.Contains(t, res.stderr, "weir: 1 failed event written to "+errorsPath+"\n")
	b, err := os.ReadFile(errorsPath)
	require.NoError(t, err)
	assert.JSONEq(t, `{"input":"`+input+`","line":2,"error":"not JSON: invalid character 'h' in literal true (expecting 'r')","data":"this is not json"}`, string(b))
	st, err := os.Stat(errorsPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

// TestRunErrorsKeepsTheOriginal checks that -errors writes a failed event as
// it was read, not as the transforms before the failure left it.
func TestRunErrorsKeepsTheOriginal(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "object_insert", "settings": {"object": {"target_key": "touched"}, "value": true}},
		{"type": "test_fail"}]}`)
	errorsPath := filepath.Join(t.TempDir(), "errors.ndjson")
	res := weirRun(testEnv(t), "{\"n\":1}\n{\"bad\":2}\n", "run", "-config", config, "-errors", errorsPath, "-workers", "3")
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1,\"touched\":true}\n", res.stdout)
	b, err := os.ReadFile(errorsPath)
	require.NoError(t, err)
	assert.JSONEq(t, `{"input":"<stdin>","line":2,"error":"transform test_fail: event is bad: weir: invalid data","data":"{\"bad\":2}"}`, string(b))
}

// TestRunStatsAddUp checks that every line read is counted once: emitted,
// dropped or failed.
func TestRunStatsAddUp(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "meta_switch", "settings": {"cases": [{
			"condition": {"type": "string_equal_to", "settings": {"object": {"source_key": "kind"}, "value": "noise"}},
			"transforms": [{"type": "utility_drop"}]}]}},
		{"type": "test_fail"},
		{"type": "aggregate_from_array", "settings": {"object": {"source_key": "split"}}}
	]}`)
	input := strings.Join([]string{
		`{"kind":"noise"}`, `{"kind":"event"}`, `not json`, `{"bad":1}`, `{"kind":"event"}`, "", `{"kind":"noise"}`,
		`{"split":[1,2,3]}`, `{"kind":"event"}`, `[`,
	}, "\n")
	for _, workers := range []string{"1", "4"} {
		res := weirRun(testEnv(t), input, "run", "-config", config, "-keep-going", "-stats", "-workers", workers)
		assert.Equal(t, exitFailure, res.code)
		st := statsLine(t, res.stderr)
		assert.Equal(t, uint64(9), st.Read, "non-blank lines")
		assert.Equal(t, uint64(4), st.Emitted)
		assert.Equal(t, uint64(2), st.Dropped)
		assert.Equal(t, uint64(3), st.Failed)
		assert.Zero(t, st.Unprocessed)
		assert.Equal(t, st.Read, st.Emitted+st.Dropped+st.Failed)
		assert.Equal(t, uint64(6), st.EventsOut, "the split event became three")
		assert.Equal(t, len(lines(res.stdout)), int(st.EventsOut))
		assert.Equal(t, "stdout", st.Output)
		assert.Equal(t, int64(len(input)), st.Bytes)
	}

	// Stopped at the first failure, the rest is unprocessed.
	res := weirRun(testEnv(t), input, "run", "-config", config, "-stats", "-workers", "1")
	assert.Equal(t, exitFailure, res.code)
	st := statsLine(t, res.stderr)
	assert.Equal(t, st.Read, st.Emitted+st.Dropped+st.Failed+st.Unprocessed)
	assert.Equal(t, uint64(1), st.Emitted)
	assert.Equal(t, uint64(1), st.Failed)
}

func TestRunWorkersRule(t *testing.T) {
	t.Parallel()
	stateless := writeFile(t, "stateless.json", passThrough)
	res := weirRun(nil, "{}\n", "run", "-config", stateless, "-stats")
	require.Equal(t, exitOK, res.code, res.stderr)
	st := statsLine(t, res.stderr)
	assert.Equal(t, runtime.GOMAXPROCS(0), st.Workers)
	assert.Equal(t, "no transform keeps state: one a CPU", st.WorkersRule)

	stateful := writeFile(t, "stateful.json", `{"transforms": [{"type": "meta_switch", "settings": {"cases": [
		{"transforms": [{"type": "aggregate_to_array", "settings": {"batch": {"count": 10}}}]}]}}]}`)
	res = weirRun(nil, "{}\n", "run", "-config", stateful, "-stats")
	require.Equal(t, exitOK, res.code, res.stderr)
	st = statsLine(t, res.stderr)
	assert.Equal(t, 1, st.Workers)
	assert.Equal(t, "aggregate_to_array at transforms[0].settings.cases[0].transforms[0] keeps state across events", st.WorkersRule)

	res = weirRun(nil, "{}\n", "run", "-config", stateful, "-stats", "-workers", "3")
	st = statsLine(t, res.stderr)
	assert.Equal(t, 3, st.Workers)
	assert.Equal(t, "-workers", st.WorkersRule)
}

func TestRunRecords(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	cloudtrail := writeFile(t, "cloudtrail.json", `{
  "Records": [
    {
      "eventName": "ConsoleLogin",
      "n": 1
    },
    {"eventName": "AssumeRole"}
  ]
}
`)
	res := weirRun(nil, "", "run", "-config", config, "-input", "records", cloudtrail)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"eventName\":\"ConsoleLogin\",\"n\":1}\n{\"eventName\":\"AssumeRole\"}\n", res.stdout)

	// As NDJSON, the pretty-printed file is refused with a hint.
	res = weirRun(nil, "", "run", "-config", config, cloudtrail)
	assert.Equal(t, exitFailure, res.code)
	assert.Empty(t, res.stdout)
	assert.Contains(t, res.stderr, cloudtrail+":1: not JSON")
	assert.Contains(t, res.stderr, "1 line was not JSON")
	assert.Contains(t, res.stderr, "-input records")

	// A top-level list, then a second document; failures name the record.
	res = weirRun(testEnv(t), `[{"a":1},{"bad":2}] {"Records": [{"a":3}], "other": 1}`,
		"run", "-config", writeFile(t, "fail.json", failOnBad), "-input", "records", "-keep-going")
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"a\":1}\n{\"a\":3}\n", res.stdout)
	assert.Contains(t, res.stderr, "weir: <stdin>: record 2: transform test_fail")

	for name, tc := range map[string]struct{ input, want string }{
		"no Records": {`{"Events": []}`, `this object has none`},
		"scalar":     {`17`, `not 17`},
		"syntax":     {`[{"a":1},]`, `invalid character ']'`},
		"not a list": {`{"Records": {}}`, `"Records" is not a list`},
	} {
		res = weirRun(nil, tc.input, "run", "-config", config, "-input", "records")
		assert.Equal(t, exitFailure, res.code, name)
		assert.Contains(t, res.stderr, tc.want, name)
	}
}

func TestRunCompressed(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	const input = "{\"n\":1}\n{\"n\":2}\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(input))
	require.NoError(t, zw.Close())
	enc, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	zst := enc.EncodeAll([]byte(input), nil)
	require.NoError(t, enc.Close())

	for name, data := range map[string][]byte{"gzip": gz.Bytes(), "zstd": zst} {
		path := writeFile(t, "input."+name, string(data))
		res := weirRun(nil, "", "run", "-config", config, path)
		require.Equal(t, exitOK, res.code, res.stderr)
		assert.Equal(t, input, res.stdout, name)
		res = weirRun(nil, string(data), "run", "-config", config)
		assert.Equal(t, input, res.stdout, name+" on stdin")
	}
	res := weirRun(nil, "\x1f\x8bnot really gzip", "run", "-config", config)
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.stderr, "weir: <stdin>: gzip:")
}

func TestRunMaxLine(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	long := `{"pad":"` + strings.Repeat("x", 200<<10) + `"}`
	input := "{\"n\":1}\n" + long + "\n{\"n\":3}\n"
	errorsPath := filepath.Join(t.TempDir(), "errors.ndjson")
	res := weirRun(nil, input, "run", "-config", config, "-max-line", "64KiB", "-errors", errorsPath)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1}\n{\"n\":3}\n", res.stdout)
	b, err := os.ReadFile(errorsPath)
	require.NoError(t, err)
	var rec errorRecord
	require.NoError(t, json.Unmarshal(b, &rec))
	assert.Equal(t, 2, rec.Line)
	assert.Equal(t, "line longer than -max-line (64KiB)", rec.Error)
	assert.True(t, rec.Truncated)
	assert.Len(t, rec.Data, keepOfLongLine)

	// Exactly the limit is fine.
	res = weirRun(nil, "{\"a\":1}\n", "run", "-config", config, "-max-line", "7")
	assert.Equal(t, exitOK, res.code, res.stderr)
}

func TestRunText(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "string_to_upper"}]}`)
	res := weirRun(nil, "hello world\nnot json either\n", "run", "-config", config, "-input", "text")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "HELLO WORLD\nNOT JSON EITHER\n", res.stdout)
}

// TestRunSendStdoutOnce checks that a config that writes to standard output
// itself does not see its events printed twice.
func TestRunSendStdoutOnce(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "object_insert", "settings": {"object": {"target_key": "x"}, "value": 1}},
		{"type": "send_stdout"}]}`)
	res := weirRun(nil, "{\"n\":1}\n{\"n\":2}\n", "run", "-config", config, "-stats")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"n\":1,\"x\":1}\n{\"n\":2,\"x\":1}\n", res.stdout)
	assert.Equal(t, "send_stdout", statsLine(t, res.stderr).Output)
}

func TestRunFlagsAfterInputs(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	input := writeFile(t, "input.ndjson", "{\"n\":1}\n")
	res := weirRun(nil, "", "run", input, "-config", config, "-workers", "2")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"n\":1}\n", res.stdout)

	// After "--", everything is an input.
	res = weirRun(nil, "", "run", "-config", config, "--", "-workers")
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.stderr, "weir: open -workers: ")
}

// TestRunMetricsOnStderr checks that metric transforms do not write into the
// event output.
func TestRunMetricsOnStderr(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "utility_metric_count", "settings": {"metric": {"name": "Count"}}}]}`)
	res := weirRun(nil, "{}\n{}\n", "run", "-config", config)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{}\n{}\n", res.stdout)
	assert.Contains(t, res.stderr, `"Count":2`)
}

func TestRunTerminalSummary(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	var stdout, stderr bytes.Buffer
	c := &cli{env: newEnv(), stdin: strings.NewReader("{}\n{}\n"), stdout: &stdout, stderr: &stderr, terminal: true}
	code := c.main(context.Background(), []string{"run", "-config", config})
	require.Equal(t, exitOK, code, stderr.String())
	assert.Contains(t, stderr.String(), "weir: 2 read: 2 emitted, 0 dropped, 0 failed; 2 events out;")
	assert.Contains(t, stderr.String(), "events/s")
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// seenEnv returns testEnv's registry plus test_seen, which tells seen about
// each event it passes on.
func seenEnv(t *testing.T, seen chan<- string) *transform.Env {
	reg := testRegistry(t)
	require.NoError(t, reg.Register("test_seen", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if !msg.IsControl() {
				seen <- string(msg.Data())
			}
			return []*weir.Message{msg}, nil
		}), nil
	}))
	return &transform.Env{Transforms: reg}
}

// TestRunInterrupt interrupts a run that waits for more input: what the
// pipeline holds is flushed and written, and the status is 130.
func TestRunInterrupt(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_seen"}, {"type": "test_hold"}]}`)
	seen := make(chan string, 10)
	pr, pw := io.Pipe()
	defer pw.Close()
	interrupt := make(chan struct{})
	var stdout, stderr bytes.Buffer
	c := &cli{env: seenEnv(t, seen), stdin: pr, stdout: &stdout, stderr: &stderr, interrupt: interrupt}
	done := make(chan int)
	go func() {
		done <- c.main(context.Background(), []string{"run", "-config", config, "-stats", "-workers", "1"})
	}()

	go fmt.Fprint(pw, "{\"n\":1}\n{\"n\":2}\n")
	for range 2 {
		select {
		case <-seen:
		case <-time.After(10 * time.Second):
			t.Fatal("the events were not read")
		}
	}
	close(interrupt) // stdin stays open: the read in progress is abandoned
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after the interrupt")
	}
	assert.Equal(t, exitInterrupted, code)
	assert.Equal(t, "{\"n\":1}\n{\"n\":2}\n", stdout.String(), "the held events were flushed")
	assert.Contains(t, stderr.String(), "weir: interrupted: stopped reading and flushed the pipeline\n")
	st := statsLine(t, strings.TrimSuffix(stderr.String(), "weir: interrupted: stopped reading and flushed the pipeline\n"))
	assert.True(t, st.Interrupted)
	assert.Equal(t, uint64(2), st.Read)
}

// TestRunInterruptProcess sends SIGINT to a real weir process reading a
// pipe: it flushes its aggregation, writes it and exits with status 130.
func TestRunInterruptProcess(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "send_stdout", "settings": {"batch": {"count": 2}}},
		{"type": "aggregate_to_array", "settings": {"batch": {"count": 1000}}},
		{"type": "send_stdout"}]}`)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "WEIR_TEST_RUN_MAIN=1", "WEIR_TEST_ARGS=run -config "+config)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer // written by the command's copying goroutine
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	_, err = fmt.Fprint(stdin, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n")
	require.NoError(t, err)
	out := bufio.NewReader(stdout)
	// The first send_stdout writes the first two events as one batch (a
	// count of 1 means Substation's default, 1000): they show that the
	// events are read.
	for i := 1; i <= 2; i++ {
		line, err := out.ReadString('\n')
		require.NoError(t, err, stderr.String())
		assert.Equal(t, fmt.Sprintf("{\"n\":%d}\n", i), line)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	rest, err := io.ReadAll(out)
	require.NoError(t, err)
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, stderr.String())
	assert.Equal(t, exitInterrupted, exit.ExitCode(), stderr.String())
	assert.Equal(t, "{\"n\":3}\n[{\"n\":1},{\"n\":2},{\"n\":3}]\n", string(rest), "the batch and the aggregation were flushed")
	assert.Contains(t, stderr.String(), "interrupted")
}
