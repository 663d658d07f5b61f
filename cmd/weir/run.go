package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
)

const usage = `Usage:
  weir run -config FILE [-keep-going] [-workers N] [-ordered=false]
           [-flush-interval D] [INPUT ...]
  weir version
  weir help

Commands:
  run      Run the pipeline in FILE over newline-delimited JSON read from each
           INPUT, or from standard input when there is none or INPUT is "-".
           Every event the pipeline returns is written as one line to
           standard output. Empty lines are skipped.
  version  Print the version.
  help     Print this help.

Flags of run:
  -config FILE   the pipeline, a Substation v2 config: {"transforms": [...]}
  -keep-going    report a failed event and go on; exit 1 at the end if any failed
  -workers N     run the pipeline on N events at once (default 1); with more
                 than one, transforms that hold events (aggregations) may see
                 them in any order
  -ordered       write events in input order (default true); -ordered=false
                 writes each as soon as it is ready
  -flush-interval D
                 send a control message through the pipeline every D (default
                 1m, Substation's batch duration; 0 never), so that batches
                 held by aggregations and sends go out while input is idle

Exit status: 0 on success, 1 if an event or input failed, 2 for a bad command
line or config.
`

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // an event or an input failed
	exitUsage   = 2 // the command line or the config is wrong
)

// run is the whole program: main only wires it to the process.
func run(ctx context.Context, env *transform.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, env, args[1:], stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "weir", version())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "weir: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// version returns the module version and Go version the binary was built
// with.
func version() string {
	v, goVersion := "(devel)", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		goVersion = " " + info.GoVersion
	}
	return v + goVersion
}

func runCommand(ctx context.Context, env *transform.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("weir run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", "", "")
	keepGoing := fs.Bool("keep-going", false, "")
	workers := fs.Int("workers", 1, "")
	ordered := fs.Bool("ordered", true, "")
	flushInterval := fs.Duration("flush-interval", time.Minute, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "weir: run: -config is required (see weir help)")
		return exitUsage
	}
	if *workers < 1 {
		fmt.Fprintf(stderr, "weir: run: -workers must be at least 1, not %d\n", *workers)
		return exitUsage
	}
	if *flushInterval < 0 {
		fmt.Fprintf(stderr, "weir: run: -flush-interval must not be negative, not %v\n", *flushInterval)
		return exitUsage
	}
	pipeline, err := loadPipeline(ctx, env, *configPath)
	if err != nil {
		fmt.Fprintf(stderr, "weir: %v\n", err)
		return exitUsage
	}
	defer pipeline.Close()

	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	r := &runner{
		pipeline:   pipeline,
		out:        bufio.NewWriterSize(stdout, 64<<10),
		stderr:     stderr,
		keepGoing:  *keepGoing,
		workers:    *workers,
		ordered:    *ordered,
		flushEvery: *flushInterval,
	}
	return r.run(ctx, inputs, stdin)
}

// loadPipeline reads the Substation config at path and builds it with the
// library's loader and env.
func loadPipeline(ctx context.Context, env *transform.Env, path string) (*transform.Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := transform.Parse(ctx, env, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "weir: "))
	}
	return p, nil
}

// newEnv returns the Env the command builds pipelines with.
func newEnv() *transform.Env {
	return all.Env()
}

// runner feeds input lines through the pipeline, on a stream, and writes
// what comes out.
type runner struct {
	pipeline  transform.Transformer
	out       *bufio.Writer // written by the stream's sink goroutine until Close
	stderr    io.Writer
	keepGoing bool
	workers   int
	ordered   bool
	// flushEvery is the interval of the stream's flush timer (0: none).
	flushEvery time.Duration

	sent  uint64    // events sent to the stream
	lines positions // where each sent event came from

	mu     sync.Mutex // guards failed and writes to stderr
	failed int        // failures reported so far
}

// errStop ends a run early; the failure has already been reported, or the
// stream has stopped and Close reports why.
var errStop = errors.New("stop")

// writeError is an error writing the output.
type writeError struct{ err error }

func (e writeError) Error() string { return "write output: " + e.err.Error() }

// run processes the inputs in order, then closes the stream, which sends
// one control message so stateful transforms release what they hold, and
// returns the exit status.
func (r *runner) run(ctx context.Context, inputs []string, stdin io.Reader) int {
	ctx, abandon := context.WithCancel(ctx)
	defer abandon()
	cfg := stream.Config{
		Stages: []stream.Stage{{Transformer: r.pipeline, Workers: r.workers, Name: "pipeline"}},
	}
	if !r.ordered {
		cfg.Order = stream.Unordered
	}
	if r.keepGoing {
		cfg.ErrorSink = func(_ context.Context, e *stream.Error) error {
			r.report("%s", r.describe(e))
			return nil
		}
	}
	s, err := stream.New(ctx, r.write, cfg)
	if err != nil {
		fmt.Fprintf(r.stderr, "weir: %v\n", err)
		return exitFailure
	}

	var timer *stream.FlushTimer
	if r.flushEvery > 0 {
		timer = s.StartFlushTimer(stream.FlushTimerConfig{Interval: r.flushEvery})
	}
	for _, name := range inputs {
		if err = r.processInput(ctx, s, name, stdin); err != nil {
			break
		}
	}
	if timer != nil {
		timer.Stop()
	}
	abandoned := false
	if err != nil && r.reported() {
		// An input failed, or the run was interrupted, after everything
		// before it was written: stop without the end-of-input flush.
		abandon()
		abandoned = true
	}
	stopped := r.closeStream(ctx, s, abandoned)

	if ferr := r.out.Flush(); ferr != nil && !stopped && !r.reported() {
		fmt.Fprintf(r.stderr, "weir: write output: %v\n", ferr)
		return exitFailure
	}
	switch {
	case !r.reported() && !stopped:
		return exitOK
	case r.keepGoing && r.failed > 0:
		fmt.Fprintf(r.stderr, "weir: %d %s\n", r.failed, plural(r.failed, "error", "errors"))
	}
	return exitFailure
}

// closeStream closes s and reports why it stopped, if it did. It returns
// whether the run failed in a way not counted in r.failed.
func (r *runner) closeStream(ctx context.Context, s *stream.Stream, abandoned bool) (stopped bool) {
	err := s.Close(ctx)
	var (
		se *stream.Error
		we writeError
	)
	switch {
	case err == nil:
		return false
	case errors.As(err, &se):
		r.report("%s", r.describe(se))
		return false
	case errors.As(err, &we):
		r.mu.Lock()
		defer r.mu.Unlock()
		fmt.Fprintf(r.stderr, "weir: %v\n", we)
		return true
	case abandoned || ctx.Err() != nil && r.reported():
		return false // already reported
	}
	r.report("%v", err)
	return false
}

// write is the stream's sink: it writes every data event as one line.
func (r *runner) write(_ context.Context, msg *weir.Message) error {
	if msg.IsControl() {
		// A flush (of the timer, or the end): write what is buffered.
		if err := r.out.Flush(); err != nil {
			return writeError{err}
		}
		return nil
	}
	r.out.Write(msg.Data())
	if err := r.out.WriteByte('\n'); err != nil { // bufio.Writer errors are sticky
		return writeError{err}
	}
	return nil
}

// describe says which event failed, and why.
func (r *runner) describe(e *stream.Error) string {
	if e.Msg.IsControl() {
		return fmt.Sprintf("end of input: %v", e.Err)
	}
	return fmt.Sprintf("%s: %v", r.lines.at(e.Seq), e.Err)
}

// processInput sends every non-empty line of the input called name to the
// stream. It returns errStop when the run must end.
func (r *runner) processInput(ctx context.Context, s *stream.Stream, name string, stdin io.Reader) error {
	src, display := stdin, "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return r.inputFailed(ctx, s, err, "%v", err)
		}
		defer f.Close()
		src, display = f, name
	}
	br := bufio.NewReaderSize(src, 64<<10)
	for lineNo := 1; ; lineNo++ {
		// ReadBytes returns a new slice each time, so the message can own it.
		line, readErr := br.ReadBytes('\n')
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(bytes.TrimSpace(line)) > 0 {
			if ctx.Err() != nil {
				return r.fail(errStop, "%s:%d: %v", display, lineNo, context.Cause(ctx))
			}
			r.lines.add(r.sent, display, lineNo)
			if err := s.Send(ctx, weir.NewMessage(line)); err != nil {
				if ctx.Err() != nil {
					return r.fail(errStop, "%s:%d: %v", display, lineNo, context.Cause(ctx))
				}
				return errStop // the stream stopped: Close says why
			}
			r.sent++
		}
		switch {
		case readErr == io.EOF:
			return nil
		case readErr != nil:
			return r.inputFailed(ctx, s, readErr, "%s: read: %v", display, readErr)
		}
	}
}

// inputFailed reports an input that failed, once everything sent before it
// has been written, so that errors appear in input order.
func (r *runner) inputFailed(ctx context.Context, s *stream.Stream, cause error, format string, args ...any) error {
	if err := s.Sync(ctx); err != nil {
		if ctx.Err() != nil {
			return r.fail(errStop, "%v", context.Cause(ctx))
		}
		return errStop // the stream stopped first: Close says why
	}
	return r.fail(cause, format, args...)
}

// report writes a failure to stderr and counts it.
func (r *runner) report(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.stderr, "weir: "+format+"\n", args...)
	r.failed++
}

// reported reports whether a failure was reported.
func (r *runner) reported() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed > 0
}

// fail reports a failure and counts it. It returns nil if the run goes on
// (-keep-going, and cause is not errStop) and errStop if it must end.
func (r *runner) fail(cause error, format string, args ...any) error {
	r.report(format, args...)
	if r.keepGoing && !errors.Is(cause, errStop) {
		return nil
	}
	return errStop
}

// positions maps the sequence numbers of the events sent to the stream to
// the input and line each came from. It keeps one entry per run of
// consecutive lines, so it grows with the inputs and the blank lines, not
// with the events.
type positions struct {
	mu   sync.Mutex // guards runs against at, called from the stream
	runs []position
}

type position struct {
	seq  uint64 // the first event of the run
	name string
	line int // its line
}

// add records that event seq is at line of input name. Only one goroutine
// adds.
func (p *positions) add(seq uint64, name string, line int) {
	if n := len(p.runs); n > 0 {
		last := p.runs[n-1]
		if last.name == name && line-last.line == int(seq-last.seq) {
			return // continues the run
		}
	}
	p.mu.Lock()
	p.runs = append(p.runs, position{seq, name, line})
	p.mu.Unlock()
}

// at returns "name:line" for event seq.
func (p *positions) at(seq uint64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.runs), func(i int) bool { return p.runs[i].seq > seq }) - 1
	if i < 0 {
		return fmt.Sprintf("event %d", seq+1)
	}
	r := p.runs[i]
	return fmt.Sprintf("%s:%d", r.name, r.line+int(seq-r.seq))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
