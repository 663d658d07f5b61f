package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

const runUsage = `Usage: weir run -config FILE [flags] [INPUT ...]

Runs the pipeline in FILE over the events read from each INPUT, or from
standard input when there is none or INPUT is "-", and writes every event the
pipeline returns as one line to standard output. After the last input it sends
one control message through the pipeline, so that transforms holding events
(aggregations, batches) release them. Flags may follow the inputs.

Input (gzip and zstd are detected and decompressed):
  -input ndjson    one JSON value a line (the default); a line that is not
                   JSON is a failed event, reported and never transformed
  -input text      one event a line, passed on as raw bytes
  -input records   the elements of a JSON list, or of an object's "Records"
                   list (CloudTrail files as delivered to S3)
  -max-line SIZE   the longest line or record (default 64MiB); a longer one
                   is a failed event

Failures:
  -keep-going      report each failed event and go on; exit 1 at the end
  -errors FILE     write each failed event to FILE as NDJSON, with its input,
                   line and error, and go on (implies -keep-going); an event
                   a send passed on but did not deliver (a failed batch) is
                   written too, as sent, marked "undelivered": true

Running:
  -workers N       run N events through the pipeline at once; the default is
                   one a CPU, or 1 when the pipeline holds state across events
                   (aggregations, batches, kv store writes)
  -ordered         write events in input order (default true); -ordered=false
                   writes each as soon as it is ready
  -flush-interval D
                   send a control message through the pipeline every D
                   (default 1m, Substation's batch duration; 0 never), so that
                   batches held by aggregations and sends go out while the
                   input is idle
  -strict          fail an event where Substation would coerce a value (write
                   0 for a time that is not a number, …) instead of coercing it
  -stats           print a summary to standard error as one JSON line: events
                   read, emitted, dropped and failed (they add up to read),
                   and the emitted events a send did not deliver

When standard error is a terminal, weir run shows progress there and a summary
at the end. When the config writes to standard output itself (send_stdout),
weir run writes only what send_stdout writes, so no event appears twice.
SIGINT or SIGTERM (Ctrl-C) stops reading, flushes the pipeline, writes what
that released and exits with status 130; a second one stops at once.

` + jsonnetUsage + `
Exit status: 0 on success, 1 if an event or an input failed, 2 for a bad
command line or config, 130 after an interrupt.
`

// statefulTypes are the transform types that keep state across events:
// their output depends on the order in which they see events, so weir run
// gives them one worker unless -workers says otherwise.
var statefulTypes = map[string]bool{
	"aggregate_to_array":           true,
	"aggregate_to_string":          true,
	"format_from_pretty_print":     true,
	"send_stdout":                  true,
	"send_file":                    true,
	"send_aws_data_firehose":       true,
	"send_aws_dynamodb_put":        true,
	"send_aws_eventbridge":         true,
	"send_aws_kinesis_data_stream": true,
	"send_aws_lambda":              true,
	"send_aws_s3":                  true,
	"send_aws_sns":                 true,
	"send_aws_sqs":                 true,
	"send_http_post":               true,
	"utility_control":              true,
	"enrich_kv_store_set":          true,
	"enrich_kv_store_item_set":     true,
	"enrich_kv_store_set_add":      true,
	"meta_kv_store_lock":           true,
}

func (c *cli) runCommand(ctx context.Context, args []string) int {
	fs := c.newFlags("run", runUsage)
	var cf configFlags
	cf.register(fs)
	configPath := fs.String("config", "", "")
	keepGoing := fs.Bool("keep-going", false, "")
	workers := fs.Int("workers", 0, "")
	ordered := fs.Bool("ordered", true, "")
	input := fs.String("input", inputNDJSON, "")
	maxLine := fs.String("max-line", "64MiB", "")
	stats := fs.Bool("stats", false, "")
	strict := fs.Bool("strict", false, "")
	flushInterval := fs.Duration("flush-interval", time.Minute, "")
	errorsPath := fs.String("errors", "", "")
	inputs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	workersSet := false
	fs.Visit(func(f *flag.Flag) { workersSet = workersSet || f.Name == "workers" })

	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(c.stderr, "weir: run: "+format+" (see weir help run)\n", args...)
		return exitUsage
	}
	if *configPath == "" {
		return usageErr("-config is required")
	}
	if *flushInterval < 0 {
		fmt.Fprintf(c.stderr, "weir: run: -flush-interval must not be negative, not %v\n", *flushInterval)
		return exitUsage
	}
	if workersSet && *workers < 1 {
		fmt.Fprintf(c.stderr, "weir: run: -workers must be at least 1, not %d\n", *workers)
		return exitUsage
	}
	switch *input {
	case inputNDJSON, inputText, inputRecords:
	default:
		return usageErr("-input is ndjson, text or records, not %q", *input)
	}
	maxLineSize, err := parseSize(*maxLine)
	if err != nil || maxLineSize > 1<<40 {
		return usageErr("-max-line %q: %v", *maxLine, err)
	}

	b, err := cf.read(*configPath)
	if err != nil {
		fmt.Fprintf(c.stderr, "weir: %s\n", fileError(*configPath, err))
		return exitUsage
	}
	pcfg, err := transform.ParseConfig(b)
	if err != nil {
		fmt.Fprintf(c.stderr, "weir: %s\n", fileError(*configPath, err))
		return exitUsage
	}
	out := newOutput(c.stdout)
	stderr := &syncWriter{w: c.stderr}
	env := *withStrict(c.env, *strict)
	env.Stdout = out
	if env.Metrics == nil {
		// Metric transforms write CloudWatch EMF lines; on standard
		// output they would be mixed with the events.
		// Coercion counts are in the -stats line instead.
		emf := &transform.CloudWatchEMF{W: stderr}
		env.Metrics = transform.MetricsFunc(func(ctx context.Context, m transform.Metric) {
			if m.Name != transform.CoercionsMetric {
				emf.Record(ctx, m)
			}
		})
	}
	pipeline, err := pcfg.Build(ctx, &env)
	if err != nil {
		fmt.Fprintf(c.stderr, "weir: %s\n", fileError(*configPath, err))
		return exitUsage
	}
	defer pipeline.Close()

	r := &runner{
		pipeline:    pipeline,
		out:         out,
		writeEvents: findType(pcfg.Transforms, map[string]bool{"send_stdout": true}) == "",
		stderr:      stderr,
		keepGoing:   *keepGoing || *errorsPath != "",
		workers:     *workers,
		ordered:     *ordered,
		format:      *input,
		maxLine:     int(maxLineSize),
		interrupt:   c.interrupt,
		flushEvery:  *flushInterval,
		progress:    c.terminal,
		stats:       *stats,
	}
	switch at := findType(pcfg.Transforms, statefulTypes); {
	case workersSet:
		r.workersRule = "-workers"
	case at != "":
		r.workers, r.workersRule = 1, at+" keeps state across events"
	default:
		r.workers, r.workersRule = runtime.GOMAXPROCS(0), "no transform keeps state: one a CPU"
	}
	if *errorsPath != "" {
		f, err := os.OpenFile(*errorsPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintf(c.stderr, "weir: run: -errors: %v\n", err)
			return exitUsage
		}
		r.errorsFile = &errorsWriter{path: *errorsPath, f: f, w: bufio.NewWriter(f)}
	}

	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, name := range inputs {
		if name == "-" {
			r.totalBytes = -1 // unknown
			break
		}
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			r.totalBytes += st.Size()
		}
	}
	return r.run(ctx, inputs, c.stdin)
}

// findType returns the location of the first config in cfgs, nested ones
// included, whose type is in types ("send_stdout at transforms[3]"), or "".
func findType(cfgs []weir.Config, types map[string]bool) string {
	var walk func(v any, loc string) string
	walk = func(v any, loc string) string {
		switch v := v.(type) {
		case map[string]any:
			if typ, ok := v["type"].(string); ok && types[typ] {
				return fmt.Sprintf("%s at %s", typ, loc)
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if at := walk(v[k], loc+"."+k); at != "" {
					return at
				}
			}
		case []any:
			for i, e := range v {
				if at := walk(e, fmt.Sprintf("%s[%d]", loc, i)); at != "" {
					return at
				}
			}
		}
		return ""
	}
	for i, cfg := range cfgs {
		loc := fmt.Sprintf("transforms[%d]", i)
		if types[cfg.Type] {
			return fmt.Sprintf("%s at %s", cfg.Type, loc)
		}
		if at := walk(cfg.Settings, loc+".settings"); at != "" {
			return at
		}
	}
	return ""
}

// output is standard output, buffered, written by the stream's sink and by
// send_stdout transforms. Run flushes it regularly, so that events show up
// while a slow input is read.
type output struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newOutput(w io.Writer) *output { return &output{w: bufio.NewWriterSize(w, 64<<10)} }

// Write implements io.Writer for send_stdout.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

// writeLine writes b and a newline.
func (o *output) writeLine(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.w.Write(b)
	return o.w.WriteByte('\n') // bufio.Writer errors are sticky
}

// Flush writes what is buffered.
func (o *output) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Flush()
}

// syncWriter serializes the writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// errorsWriter writes failed events to the -errors file.
type errorsWriter struct {
	path string
	f    *os.File
	w    *bufio.Writer
	n    int
}

// errorRecord is one line of the -errors file.
type errorRecord struct {
	// Input is empty for an event a send did not deliver (Undelivered):
	// its data is as it was sent, not as it was read.
	Input   string `json:"input,omitempty"`
	Line    int    `json:"line,omitempty"`
	Record  int    `json:"record,omitempty"`
	Error   string `json:"error"`
	Data    string `json:"data,omitempty"`
	DataB64 []byte `json:"data_b64,omitempty"`
	// Truncated says that Data holds only the start of a line longer than
	// -max-line.
	Truncated bool `json:"truncated,omitempty"`
	// Undelivered marks an event that the pipeline passed on but a send
	// then failed to deliver; Partial, that the send delivered some of
	// its batch without saying which (see transform.UndeliveredError).
	Undelivered bool `json:"undelivered,omitempty"`
	Partial     bool `json:"partial,omitempty"`
}

func (e *errorsWriter) write(rec errorRecord, data []byte) error {
	if utf8.Valid(data) {
		rec.Data = string(data)
	} else {
		rec.DataB64 = data
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	e.n++
	e.w.Write(b)
	if err := e.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("write %s: %w", e.path, err)
	}
	return nil
}

func (e *errorsWriter) close() error {
	err := e.w.Flush()
	if cerr := e.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", e.path, err)
	}
	return nil
}

// runner feeds input events through the pipeline, on a stream, and writes
// what comes out.
type runner struct {
	pipeline    transform.Transformer
	out         *output
	writeEvents bool // false when the config's send_stdout writes the output
	stderr      io.Writer
	keepGoing   bool
	workers     int
	workersRule string
	ordered     bool
	format      string
	maxLine     int
	errorsFile  *errorsWriter
	interrupt   <-chan struct{}
	flushEvery  time.Duration // -flush-interval: a control message this often
	progress    bool          // stderr is a terminal: progress and a summary
	stats       bool          // -stats: a JSON summary

	sent uint64 // events sent to the stream
	// pending holds the events read but not yet sent (processInput), and
	// pendingLine their line numbers; kept from one input to the next.
	pending     []*weir.Message
	pendingLine []int
	lines       positions // where each sent event came from
	bytesRead   atomic.Int64
	totalBytes  int64 // the inputs' size, or -1 when unknown
	notJSON     atomic.Int64

	bad        sync.Map     // *weir.Message → error: events that failed before the pipeline
	badPending atomic.Int64 // entries in bad

	// The memory of the events: messages the stream released, for reuse
	// (stream.Config.Release), and where lines are copied to.
	free  messagePool
	store lineStore

	// What became of each event, counted by the stream's hook (see
	// runStats).
	emitted, dropped, failedEvents atomic.Uint64
	// undelivered counts the emitted events that a send then reported
	// not delivered.
	undelivered   atomic.Uint64
	lastDelivered atomic.Uint64 // the Seq of the last event delivered, or noSeq

	origMu    sync.Mutex
	originals map[uint64][]byte // -errors: the data of the events in flight

	mu     sync.Mutex // guards failed, done and writes to stderr
	failed int        // failures reported so far
	// undeliveredWritten counts the -errors records of undelivered events.
	undeliveredWritten int
	done               bool // run returned: nothing more is written to stderr
	interrupted        bool
}

// errStop ends a run early; the failure has already been reported, or the
// stream has stopped and Close reports why.
var errStop = errors.New("stop")

// writeError is an error writing the output.
type writeError struct{ err error }

func (e writeError) Error() string { return "write output: " + e.err.Error() }

// Transform is the stage's transformer: the pipeline, for the events that
// did not fail while being read.
func (r *runner) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if r.badPending.Load() > 0 {
		if v, ok := r.bad.LoadAndDelete(msg); ok {
			r.badPending.Add(-1)
			return nil, v.(error)
		}
	}
	// A line that is not JSON fails here, on the workers, rather than in
	// the reader; the check is remembered, so the pipeline's first write
	// does not scan the event again.
	if r.format == inputNDJSON && msg.CheckJSON() != nil {
		return nil, &badEvent{notJSON(msg.Data())}
	}
	return r.pipeline.Transform(ctx, msg)
}

// run processes the inputs in order, then closes the stream, which sends
// one control message so stateful transforms release what they hold, and
// returns the exit status.
func (r *runner) run(ctx context.Context, inputs []string, stdin io.Reader) int {
	start := time.Now()
	ctx, abandon := context.WithCancel(ctx)
	defer abandon()
	// sendCtx ends on an interrupt too, so that a Send waiting for room
	// returns.
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	if r.interrupt != nil {
		go func() {
			select {
			case <-r.interrupt:
				stopSending()
			case <-sendCtx.Done():
			}
		}()
	}
	cfg := stream.Config{
		Stages: []stream.Stage{{Transformer: r, Workers: r.workers, Name: "pipeline"}},
		// One bad record is one reported error, not a crashed run.
		RecoverPanics: true,
		// The sinks write each event and are done with it: its message
		// serves again for a later line.
		Release: r.free.put,
		// One worker runs in the reading goroutine: no hand-offs, and an
		// event is still in the caches when it is written.
		Inline: r.workers == 1,
		// Enough events in flight to keep the workers busy while the
		// reader and the writer wait their turn for a core, few enough
		// that recycled messages are still in the CPUs' caches: on W1
		// with 2 workers on 2 free cores, 256 ran in 4.5 µs an event, 64
		// in 4.8–5.5 and the stream's default, 1,024, in 4.7–4.8 with 8%
		// more CPU (bench/README.md, issue 15).
		MaxInFlight: max(256, 16*r.workers),
	}
	if !r.ordered {
		cfg.Order = stream.Unordered
	}
	if r.keepGoing {
		cfg.ErrorSink = r.routeError
	}
	r.lastDelivered.Store(noSeq)
	cfg.Hook = r.count
	if r.errorsFile != nil {
		r.originals = map[uint64][]byte{}
		cfg.Hook = func(e stream.Event) {
			r.count(e)
			r.keepOriginals(e)
		}
	}
	s, err := stream.New(ctx, r.write, cfg)
	if err != nil {
		fmt.Fprintf(r.stderr, "weir: %v\n", err)
		return exitFailure
	}
	stopFlushing := r.flushRegularly()
	stopProgress := r.showProgress(s, start)
	// Batches held by aggregations and sends go out on time even while the
	// input is idle: a control message every -flush-interval.
	var timer *stream.FlushTimer
	if r.flushEvery > 0 {
		timer = s.StartFlushTimer(stream.FlushTimerConfig{Interval: r.flushEvery})
	}

	for _, name := range inputs {
		if err = r.processInput(sendCtx, s, name, stdin); err != nil {
			break
		}
	}
	abandoned := false
	switch {
	case errors.Is(err, errInterrupted):
		r.mu.Lock()
		r.interrupted = true
		r.mu.Unlock()
	case err != nil && r.reported():
		// An input failed, or the run was canceled, after everything
		// before it was written: stop without the end-of-input flush.
		abandon()
		abandoned = true
	}
	if timer != nil {
		timer.Stop()
	}
	stopped := r.closeStream(ctx, s, abandoned)
	stopFlushing()
	stopProgress()

	code := exitOK
	if ferr := r.out.Flush(); ferr != nil && !stopped && !r.reported() {
		r.report("write output: %v", ferr)
		r.failed-- // not an event
		stopped = true
	}
	if r.errorsFile != nil {
		if err := r.errorsFile.close(); err != nil {
			r.report("%v", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	switch {
	case !stopped && r.failed == 0:
	case r.errorsFile != nil && r.errorsFile.n > 0:
		fmt.Fprintf(r.stderr, "weir: %d failed %s written to %s", r.errorsFile.n, plural(r.errorsFile.n, "event", "events"), r.errorsFile.path)
		if n := r.undeliveredWritten; n > 0 {
			fmt.Fprintf(r.stderr, " (%d of them not delivered by a send)", n)
		}
		fmt.Fprintln(r.stderr)
		code = exitFailure
		if n := r.failed - r.errorsFile.n; n > 0 {
			fmt.Fprintf(r.stderr, "weir: %d other %s\n", n, plural(n, "error", "errors"))
		}
	case r.keepGoing && r.failed > 0:
		fmt.Fprintf(r.stderr, "weir: %d %s\n", r.failed, plural(r.failed, "error", "errors"))
		code = exitFailure
	default:
		code = exitFailure
	}
	if n := r.notJSON.Load(); n > 0 {
		fmt.Fprintf(r.stderr, "weir: %d %s not JSON: weir run reads one JSON value a line; "+
			"use -input records for a JSON document such as CloudTrail's {\"Records\": [...]}, "+
			"or -input text for lines of text\n", n, plural(int(n), "line was", "lines were"))
	}
	st := r.summary(s.Stats(), time.Since(start))
	if p, ok := r.pipeline.(*transform.Pipeline); ok {
		st.Coercions = coercionsOf(p.Coercions())
	}
	if r.progress {
		fmt.Fprintln(r.stderr, st.human())
	}
	if r.stats {
		b, _ := json.Marshal(st)
		fmt.Fprintf(r.stderr, "%s\n", b)
	}
	if r.interrupted {
		fmt.Fprintln(r.stderr, "weir: interrupted: stopped reading and flushed the pipeline")
		return exitInterrupted
	}
	return code
}

// flushRegularly flushes the output every 200ms until the returned
// function is called, so that events show up while a slow input is read.
func (r *runner) flushRegularly() (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = r.out.Flush() // a failure is sticky: the next write reports it
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
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
		lost, _ := transform.Undelivered(se.Err)
		r.undelivered.Add(uint64(len(lost)))
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
	if msg.IsControl() || !r.writeEvents {
		return nil
	}
	if err := r.out.writeLine(msg.Data()); err != nil {
		return writeError{err}
	}
	return nil
}

// routeError is the stream's error sink under -keep-going and -errors.
//
// A send that fails to deliver a batch reports the batch's messages in its
// error (transform.UndeliveredError): they were emitted earlier, by the
// Transform calls that added them to the batch. Each is counted as
// undelivered and, under -errors, written there, so that every event read
// is delivered, dropped or reported.
func (r *runner) routeError(_ context.Context, e *stream.Error) error {
	lost, partial := transform.Undelivered(e.Err)
	r.undelivered.Add(uint64(len(lost)))
	if r.errorsFile == nil || e.Msg.IsControl() {
		if r.errorsFile == nil || len(lost) == 0 {
			r.report("%s", r.describe(e))
			return nil
		}
		return r.writeUndelivered(e, lost, partial)
	}
	r.origMu.Lock()
	data, ok := r.originals[e.Seq]
	delete(r.originals, e.Seq)
	r.origMu.Unlock()
	if !ok {
		data = e.Msg.Data()
	}
	name, n, kind := r.lines.lookup(e.Seq)
	rec := errorRecord{Input: name, Error: e.Err.Error()}
	if kind == inputRecords {
		rec.Record = n
	} else {
		rec.Line = n
	}
	var be *badEvent
	rec.Truncated = errors.As(e.Err, &be) && len(data) == keepOfLongLine && errors.Is(be, errTooLong)
	r.mu.Lock()
	r.failed++
	r.mu.Unlock()
	if err := r.errorsFile.write(rec, data); err != nil {
		return err
	}
	return r.writeUndelivered(e, lost, partial)
}

// writeUndelivered writes to the -errors file each message a send did not
// deliver, except e's own, which has its record.
func (r *runner) writeUndelivered(e *stream.Error, lost [][]byte, partial bool) error {
	own := e.Msg.Data()
	for _, d := range lost {
		if len(d) > 0 && len(d) == len(own) && &d[0] == &own[0] {
			r.undelivered.Add(^uint64(0)) // counted as failed
			continue
		}
		rec := errorRecord{Error: e.Err.Error(), Undelivered: true, Partial: partial}
		r.mu.Lock()
		r.failed++
		r.undeliveredWritten++
		r.mu.Unlock()
		if err := r.errorsFile.write(rec, d); err != nil {
			return err
		}
	}
	return nil
}

// sendBatch is the most events the reader hands the stream at once
// (stream.SendBatch) when several workers run them.
const sendBatch = 32

// noSeq is no event's sequence number.
const noSeq = ^uint64(0)

// count is the stream's hook: it counts the events that were emitted
// (delivered one or more events), dropped or failed. The events one input
// became reach the sink together, so an input is emitted when the
// sequence number of the delivered events changes.
func (r *runner) count(e stream.Event) {
	switch e.Kind {
	case stream.EventProcessed:
		if e.Err == nil && e.Out == 0 && !e.Msg.IsControl() {
			r.dropped.Add(1)
		}
	case stream.EventDelivered:
		if r.lastDelivered.Swap(e.Seq) != e.Seq {
			r.emitted.Add(1)
		}
	case stream.EventFailed:
		if !e.Msg.IsControl() {
			r.failedEvents.Add(1)
		}
		var be *badEvent
		if errors.As(e.Err, &be) && !errors.Is(be, errTooLong) && r.format == inputNDJSON {
			r.notJSON.Add(1)
		}
	}
}

// keepOriginals is the stream's hook under -errors: it keeps a copy of
// each event's data until the pipeline is done with it, so that a failed
// event is written as it was read.
func (r *runner) keepOriginals(e stream.Event) {
	switch e.Kind {
	case stream.EventSent:
		if !e.Msg.IsControl() {
			// The line as read: a message never writes into the bytes it
			// was given, and they are never reused (lineStore).
			r.origMu.Lock()
			r.originals[e.Seq] = e.Msg.Data()
			r.origMu.Unlock()
		}
	case stream.EventProcessed:
		if e.Err == nil && !e.Msg.IsControl() {
			r.origMu.Lock()
			delete(r.originals, e.Seq)
			r.origMu.Unlock()
		}
	}
}

// describe says which event failed, and why.
func (r *runner) describe(e *stream.Error) string {
	if e.Msg.IsControl() {
		return fmt.Sprintf("end of input: %v", e.Err)
	}
	return fmt.Sprintf("%s: %v", r.lines.at(e.Seq), e.Err)
}

// processInput sends every event of the input called name to the stream.
// It returns errStop when the run must end, errInterrupted after an
// interrupt.
func (r *runner) processInput(ctx context.Context, s *stream.Stream, name string, stdin io.Reader) error {
	src, display := stdin, "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return r.inputFailed(ctx, s, err, "%v", err)
		}
		defer f.Close()
		src, display = f, name
	} else if r.interrupt != nil {
		src = newInterruptible(stdin, r.interrupt)
	}
	br, _, closeDecoder, err := decompress(bufio.NewReaderSize(countingReader{src, &r.bytesRead}, 64<<10))
	if err != nil {
		return r.inputFailed(ctx, s, err, "%s: %v", display, err)
	}
	defer closeDecoder()

	// With several workers, the lines read go to the stream together
	// (stream.SendBatch), so that a worker takes several per hand-off:
	// those at hand in br's buffer, up to sendBatch, sent before a read
	// that may wait, so that a slow input is not held back. One worker
	// runs inline, in this goroutine, one event at a time: each is still
	// in the caches when it is written.
	batching := r.workers > 1 && r.format != inputRecords
	pending := r.pending[:0]
	lineOf := r.pendingLine[:0]
	sendErr := func(err error, n int) error {
		if r.isInterrupted() {
			return errInterrupted
		}
		if ctx.Err() != nil {
			return r.fail(errStop, "%s:%d: %v", display, n, context.Cause(ctx))
		}
		return errStop // the stream stopped: Close says why
	}
	sendPending := func() error {
		if len(pending) == 0 {
			return nil
		}
		k, err := s.SendBatch(ctx, pending)
		r.sent += uint64(k)
		if err != nil {
			err = sendErr(err, lineOf[k])
		}
		clear(pending)
		pending, lineOf = pending[:0], lineOf[:0]
		return err
	}
	emit := func(data []byte, n int, bad error) error {
		if r.isInterrupted() {
			if err := sendPending(); err != nil {
				return err
			}
			return errInterrupted
		}
		if ctx.Err() != nil {
			return r.fail(errStop, "%s:%d: %v", display, n, context.Cause(ctx))
		}
		msg := r.free.get(r.store.copy(data))
		if bad != nil {
			r.badPending.Add(1)
			r.bad.Store(msg, &badEvent{bad})
		}
		r.lines.add(r.sent+uint64(len(pending)), display, n, r.format)
		if !batching {
			if err := s.Send(ctx, msg); err != nil {
				return sendErr(err, n)
			}
			r.sent++
			return nil
		}
		pending, lineOf = append(pending, msg), append(lineOf, n)
		if len(pending) < sendBatch && br.Buffered() > 0 {
			return nil
		}
		return sendPending()
	}
	if r.format == inputRecords {
		err = readRecords(br, r.maxLine, emit)
	} else {
		err = readLines(br, r.maxLine, emit)
	}
	if !errors.Is(err, errStop) {
		// What was read goes on, as a line at a time would have: at the
		// end of the input, before a read error and after an interrupt.
		if serr := sendPending(); serr != nil && !errors.Is(err, errInterrupted) {
			err = serr
		}
	}
	clear(pending) // events not sent, after a stop
	r.pending, r.pendingLine = pending[:0], lineOf[:0]
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errInterrupted) || r.isInterrupted():
		return errInterrupted
	case errors.Is(err, errStop):
		return err
	case r.format == inputRecords:
		return r.inputFailed(ctx, s, err, "%s: %v", display, err)
	}
	return r.inputFailed(ctx, s, err, "%s: read: %v", display, err)
}

// isInterrupted reports whether an interrupt came.
func (r *runner) isInterrupted() bool {
	select {
	case <-r.interrupt:
		return true
	default:
		return false
	}
}

// inputFailed reports an input that failed, once everything sent before it
// has been written, so that errors appear in input order.
func (r *runner) inputFailed(ctx context.Context, s *stream.Stream, cause error, format string, args ...any) error {
	if err := s.Sync(ctx); err != nil {
		if r.isInterrupted() {
			return errInterrupted
		}
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
	if !r.done {
		fmt.Fprintf(r.stderr, "weir: "+format+"\n", args...)
	}
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
// the input and line (or record) each came from. It keeps one entry per
// run of consecutive lines, so it grows with the inputs and the blank
// lines, not with the events.
type positions struct {
	mu   sync.Mutex // guards runs against at, called from the stream
	runs []position
}

type position struct {
	seq    uint64 // the first event of the run
	name   string
	line   int    // its line, or record
	format string // the input format
}

// add records that event seq is at line (or record) n of input name. Only
// one goroutine adds.
func (p *positions) add(seq uint64, name string, n int, format string) {
	if k := len(p.runs); k > 0 {
		last := p.runs[k-1]
		if last.name == name && n-last.line == int(seq-last.seq) {
			return // continues the run
		}
	}
	p.mu.Lock()
	p.runs = append(p.runs, position{seq, name, n, format})
	p.mu.Unlock()
}

// lookup returns the input, line or record number, and input format of
// event seq.
func (p *positions) lookup(seq uint64) (name string, n int, format string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.runs), func(i int) bool { return p.runs[i].seq > seq }) - 1
	if i < 0 {
		return "", int(seq + 1), ""
	}
	r := p.runs[i]
	return r.name, r.line + int(seq-r.seq), r.format
}

// at returns "name:line" (or "name: record n") for event seq.
func (p *positions) at(seq uint64) string {
	name, n, format := p.lookup(seq)
	switch {
	case name == "":
		return fmt.Sprintf("event %d", n)
	case format == inputRecords:
		return fmt.Sprintf("%s: record %d", name, n)
	}
	return fmt.Sprintf("%s:%d", name, n)
}
