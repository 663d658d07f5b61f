package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

const usage = `Usage:
  weir run -config FILE [-keep-going] [INPUT ...]
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
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, args[1:], stdin, stdout, stderr)
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

func runCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("weir run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", "", "")
	keepGoing := fs.Bool("keep-going", false, "")
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
	pipeline, err := loadPipeline(ctx, *configPath)
	if err != nil {
		fmt.Fprintf(stderr, "weir: %v\n", err)
		return exitUsage
	}

	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	r := &runner{
		pipeline:  pipeline,
		out:       bufio.NewWriterSize(stdout, 64<<10),
		stderr:    stderr,
		keepGoing: *keepGoing,
	}
	return r.run(ctx, inputs, stdin)
}

// substationKeys are the top-level config keys that Substation's own
// programs read besides "transforms": "concurrency" (workers in its AWS
// Lambda app) and "tests" (for "substation test"). Weir accepts and ignores
// them, so one config serves both; any other key is an error.
var substationKeys = map[string]bool{"concurrency": true, "tests": true}

// loadPipeline reads the Substation runtime config at path and builds its
// transforms into one chain.
func loadPipeline(ctx context.Context, path string) (transform.Transformer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("%s: %s", path, describeJSONError(b, err))
	}
	var unknown []string
	for k := range top {
		if k != "transforms" && !substationKeys[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s: unknown top-level key %q (a pipeline config has \"transforms\")", path, unknown[0])
	}
	raw, ok := top["transforms"]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("%s: no \"transforms\"", path)
	}

	var cfgs []weir.Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a misspelt "settings" must not pass silently
	dec.UseNumber()             // keep numbers in settings exactly as written
	if err := dec.Decode(&cfgs); err != nil {
		return nil, fmt.Errorf("%s: transforms: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	}
	ts, err := transform.NewAll(ctx, cfgs)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "weir: "))
	}
	return transform.Chain(ts...), nil
}

// describeJSONError turns a decoding error of doc into a message that gives
// the line and column of a syntax error.
func describeJSONError(doc []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The error is at byte Offset (1-based).
		before := doc[:min(max(int(se.Offset)-1, 0), len(doc))]
		line := bytes.Count(before, []byte("\n")) + 1
		col := len(before) - bytes.LastIndexByte(before, '\n')
		return fmt.Sprintf("line %d, column %d: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return "the config must be a JSON object"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// runner feeds input lines through the pipeline and writes what comes out.
type runner struct {
	pipeline  transform.Transformer
	out       *bufio.Writer
	stderr    io.Writer
	keepGoing bool
	failed    int // failures reported so far
}

// errStop ends a run early; the failure has already been reported.
var errStop = errors.New("stop")

// run processes the inputs in order, then sends one control message so
// stateful transforms release what they hold, and returns the exit status.
func (r *runner) run(ctx context.Context, inputs []string, stdin io.Reader) int {
	var err error
	for _, name := range inputs {
		if err = r.processInput(ctx, name, stdin); err != nil {
			break
		}
	}
	if err == nil {
		err = r.process(ctx, weir.NewControl())
		if err != nil && !errors.Is(err, errStop) {
			err = r.fail(err, "end of input: %v", err)
		}
	}
	if ferr := r.out.Flush(); ferr != nil && err == nil {
		fmt.Fprintf(r.stderr, "weir: write output: %v\n", ferr)
		return exitFailure
	}
	switch {
	case r.failed == 0 && err == nil:
		return exitOK
	case r.keepGoing && r.failed > 0:
		fmt.Fprintf(r.stderr, "weir: %d %s\n", r.failed, plural(r.failed, "error", "errors"))
	}
	return exitFailure
}

// processInput runs every non-empty line of the input called name through
// the pipeline. It returns errStop when the run must end.
func (r *runner) processInput(ctx context.Context, name string, stdin io.Reader) error {
	src, display := stdin, "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return r.fail(err, "%v", err)
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
			if err := r.process(ctx, weir.NewMessage(line)); err != nil {
				if errors.Is(err, errStop) {
					return err
				}
				if err := r.fail(err, "%s:%d: %v", display, lineNo, err); err != nil {
					return err
				}
			}
		}
		switch {
		case readErr == io.EOF:
			return nil
		case readErr != nil:
			return r.fail(readErr, "%s: read: %v", display, readErr)
		}
	}
}

// process runs msg through the pipeline and writes every data message that
// comes out as one line. It returns the pipeline's error, or errStop (having
// reported it) if the output cannot be written.
func (r *runner) process(ctx context.Context, msg *weir.Message) error {
	out, err := r.pipeline.Transform(ctx, msg)
	if err != nil {
		return err
	}
	for _, m := range out {
		if m.IsControl() {
			continue
		}
		r.out.Write(m.Data())
		if err := r.out.WriteByte('\n'); err != nil { // bufio.Writer errors are sticky
			fmt.Fprintf(r.stderr, "weir: write output: %v\n", err)
			return errStop
		}
	}
	return nil
}

// fail reports a failure and counts it. It returns nil if the run goes on
// (-keep-going, and cause is not errStop) and errStop if it must end.
func (r *runner) fail(cause error, format string, args ...any) error {
	fmt.Fprintf(r.stderr, "weir: "+format+"\n", args...)
	r.failed++
	if r.keepGoing && !errors.Is(cause, errStop) {
		return nil
	}
	return errStop
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
