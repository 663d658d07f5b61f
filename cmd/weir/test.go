package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/weirtest"
)

const testUsage = `Usage: weir test [-R] [-run REGEXP] [-v] [-update] [-strict] [PATH ...]

Runs the tests of every config and every golden case found in PATH (a file or
a folder; "." when none is given). With -R, folders are searched at any depth;
without it, only the files of each folder and its subfolders that are golden
cases.

Config tests are the "tests" section of a config, as Substation defines it:

  {"transforms": [...],
   "tests": [{"name": "login",
              "transforms": [{"type": "test_message", "settings": {"value": {...}}}],
              "condition": {"type": "string_equal_to", "settings": {...}}}]}

Each test runs on a pipeline built afresh from the config: the test's
transforms run over one control message, what they emit runs through the
pipeline, and the condition must hold for every event that comes out. Files
ending in .json and .jsonnet are read (and .libsonnet files named on the
command line; in folders they are libraries); those without transforms are not
configs and are skipped, as Substation does.

With -strict, a value Substation would coerce (a time that is not a number
written as 0, …) fails the event instead, so a test shows where a config
relies on coercion.

Golden cases are folders holding input.ndjson, expected.ndjson and a config
(config.json or config.jsonnet, or one named by case.json), or .txtar files
holding the same: every input line runs through the pipeline and what comes
out must equal expected.ndjson, compared field by field. case.json can pin the
clock, DNS and HTTP answers (see package weirtest).

Each file gets one line: "ok", "FAIL" or "?" ([no tests], [error]); each failed
test a "--- FAIL: name" block with the event and the condition, or the
differences (expected -> got); a summary ends the output. send_stdout writes
are discarded.

Flags:
  -R              search folders at any depth
  -run REGEXP     run only the tests and cases whose names match REGEXP
  -v              name every test as it passes
  -update         rewrite the expected.ndjson of golden cases from what the
                  pipelines return (review with git diff, then commit)

` + jsonnetUsage + `
Exit status: 0 when every test passed, 1 if one failed, 2 if a config or a case
could not be tested (a bad config, a Jsonnet error) or for a bad command line.
`

// testConfig is one member of a config's "tests" list.
type testConfig struct {
	Name       string            `json:"name"`
	Transforms []json.RawMessage `json:"transforms"`
	Condition  json.RawMessage   `json:"condition"`
}

// tester runs the tests of one weir test command.
type tester struct {
	c         *cli
	cf        configFlags
	match     *regexp.Regexp
	verbose   bool
	update    bool
	recursive bool

	files, errored, tests, failed, passed int
}

func (c *cli) testCommand(ctx context.Context, args []string) int {
	fs := c.newFlags("test", testUsage)
	tt := &tester{c: c}
	tt.cf.register(fs)
	fs.BoolVar(&tt.recursive, "R", false, "")
	runExpr := fs.String("run", "", "")
	fs.BoolVar(&tt.verbose, "v", false, "")
	fs.BoolVar(&tt.update, "update", false, "")
	strict := fs.Bool("strict", false, "")
	paths, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	c.env = withStrict(c.env, *strict)
	if *runExpr != "" {
		re, err := regexp.Compile(*runExpr)
		if err != nil {
			fmt.Fprintf(c.stderr, "weir: test: -run: %v\n", err)
			return exitUsage
		}
		tt.match = re
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	start := time.Now()
	for _, path := range paths {
		files, err := findTestFiles(path, tt.recursive)
		if err != nil {
			fmt.Fprintf(c.stderr, "weir: test: %v\n", err)
			tt.errored++
			continue
		}
		for _, f := range files {
			tt.runFile(ctx, f)
		}
	}
	return tt.summary(time.Since(start))
}

// findTestFiles returns the configs and golden cases at path, in order.
func findTestFiles(path string, recursive bool) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() || weirtest.IsCase(path) {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == path {
				return nil
			}
			if weirtest.IsCase(p) {
				files = append(files, p)
				return filepath.SkipDir
			}
			if !recursive || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".json", ".jsonnet", ".txtar":
			files = append(files, p)
		}
		// .libsonnet files in folders are libraries (substation.libsonnet,
		// whose functions do not evaluate to JSON): only a named one is read.
		return nil
	})
	sort.Strings(files)
	return files, err
}

// runFile runs the tests of one config or golden case and prints its line.
func (tt *tester) runFile(ctx context.Context, path string) {
	if weirtest.IsCase(path) {
		tt.runCase(ctx, path)
		return
	}
	start := time.Now()
	out := tt.c.stdout
	fail := func(err error) {
		fmt.Fprintf(out, "?\t%s\t[error]\n", path)
		fmt.Fprintf(tt.c.stderr, "%s\n", fileError(path, err))
		tt.files++
		tt.errored++
	}
	b, err := tt.cf.read(path)
	if err != nil {
		fail(err)
		return
	}
	// Files without transforms are not configs: skipped, as Substation
	// does (a .json file of data, a library of Jsonnet functions).
	if !json.Valid(b) {
		_, err := transform.ParseConfig(b) // a broken config is not skipped: say where
		fail(err)
		return
	}
	var probe struct {
		Transforms []json.RawMessage `json:"transforms"`
	}
	if json.Unmarshal(b, &probe) != nil || len(probe.Transforms) == 0 {
		return
	}
	cfg, err := transform.ParseConfig(b)
	if err != nil {
		fail(err)
		return
	}
	tt.files++
	if len(cfg.Tests) == 0 {
		fmt.Fprintf(out, "?\t%s\t[no tests]\n", path)
		return
	}
	restore, err := tt.chdir(filepath.Dir(path))
	if err != nil {
		fail(err)
		return
	}
	defer restore()

	var report bytes.Buffer
	ran, failedFile := 0, false
	for i, raw := range cfg.Tests {
		test, err := parseTest(raw)
		if err != nil {
			tt.errored++
			fmt.Fprintf(out, "?\t%s\t[error]\n", path)
			fmt.Fprintf(tt.c.stderr, "%s: tests[%d]: %v\n", path, i, err)
			return
		}
		if tt.match != nil && !tt.match.MatchString(test.name) {
			continue
		}
		ran++
		tt.tests++
		testStart := time.Now()
		fails, err := tt.runTest(ctx, cfg, test)
		if err != nil {
			tt.errored++
			fmt.Fprintf(out, "%s?\t%s\t[error]\n", report.String(), path)
			fmt.Fprintf(tt.c.stderr, "%s: tests[%d] (%q): %s\n", path, i, test.name, strings.TrimPrefix(err.Error(), "weir: "))
			return
		}
		if len(fails) > 0 {
			failedFile = true
			tt.failed++
			for _, f := range fails {
				report.WriteString(f)
			}
			continue
		}
		tt.passed++
		if tt.verbose {
			fmt.Fprintf(&report, "--- PASS: %s (%s)\n", test.name, time.Since(testStart).Round(time.Microsecond))
		}
	}
	out.Write(report.Bytes())
	switch {
	case ran == 0:
		fmt.Fprintf(out, "?\t%s\t[no tests to run]\n", path)
	case failedFile:
		fmt.Fprintf(out, "FAIL\t%s\t%s\n", path, time.Since(start).Round(time.Microsecond))
	default:
		fmt.Fprintf(out, "ok\t%s\t%s\n", path, time.Since(start).Round(time.Microsecond))
	}
}

// chdir moves to dir, when the command may, and returns how to move back.
func (tt *tester) chdir(dir string) (restore func(), err error) {
	if !tt.c.chdir {
		return func() {}, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if err := os.Chdir(dir); err != nil {
		return nil, err
	}
	return func() { _ = os.Chdir(wd) }, nil
}

// test is a parsed member of "tests".
type test struct {
	name       string
	transforms []weir.Config
	condition  weir.Config
	rawCond    json.RawMessage
}

func parseTest(raw json.RawMessage) (test, error) {
	var tc testConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tc); err != nil {
		return test{}, fmt.Errorf("a test is {\"name\", \"transforms\", \"condition\"}: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	t := test{name: tc.Name, rawCond: tc.Condition}
	if tc.Transforms == nil {
		return t, errors.New(`no "transforms": a test's transforms make its events (test_message)`)
	}
	if len(tc.Condition) == 0 {
		return t, errors.New(`no "condition": a test's condition must hold for every event out`)
	}
	for i, r := range tc.Transforms {
		c, err := weir.ParseConfig(r)
		if err != nil {
			return t, fmt.Errorf("transforms[%d]: %w", i, err)
		}
		t.transforms = append(t.transforms, c)
	}
	c, err := weir.ParseConfig(tc.Condition)
	if err != nil {
		return t, fmt.Errorf("condition: %w", err)
	}
	t.condition = c
	return t, nil
}

// runTest runs one test as Substation does, and returns a report of each
// event that failed the condition. The error is for a test that could not
// run.
func (tt *tester) runTest(ctx context.Context, cfg transform.PipelineConfig, t test) ([]string, error) {
	env := *tt.c.env
	env.Stdout = io.Discard
	env.Metrics = discardMetrics{}
	conditions := env.Conditions
	if conditions == nil {
		conditions = condition.Builtins()
	}
	cnd, err := conditions.New(ctx, t.condition)
	if err != nil {
		return nil, withLocation("condition", err)
	}
	// Each gets fresh kv stores and secrets: no state is shared between
	// tests.
	setup, err := transform.NewPipeline(ctx, &env, t.transforms)
	if err != nil {
		return nil, withLocation("test transforms", err)
	}
	defer setup.Close()
	pipeline, err := transform.NewPipeline(ctx, &env, cfg.Transforms)
	if err != nil {
		return nil, err
	}
	defer pipeline.Close()

	msgs, err := transform.Apply(ctx, setup.Transforms(), weir.NewControl())
	if err != nil {
		return nil, withLocation("test transforms", err)
	}
	out, err := transform.Apply(ctx, pipeline.Transforms(), msgs...)
	if err != nil {
		return nil, err
	}
	var fails []string
	for _, msg := range out {
		if msg.IsControl() {
			continue
		}
		ok, err := cnd.Inspect(ctx, msg)
		if err != nil {
			return nil, withLocation("condition", err)
		}
		if !ok {
			var b strings.Builder
			fmt.Fprintf(&b, "--- FAIL: %s\n    message:\t%s\n    condition:\t%s\n", t.name, msg.Data(), compactJSON(t.rawCond))
			for _, line := range tt.explain(ctx, conditions, t.condition, msg) {
				fmt.Fprintf(&b, "        %s\n", line)
			}
			fails = append(fails, b.String())
		}
	}
	return fails, nil
}

// discardMetrics drops every metric.
type discardMetrics struct{}

func (discardMetrics) Record(context.Context, transform.Metric) {}

func withLocation(where string, err error) error {
	return fmt.Errorf("%s: %s", where, strings.TrimPrefix(err.Error(), "weir: "))
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// explain says, field by field, which of the leaf conditions of cfg do not
// hold for msg: `x: "false" (want string_equal_to "true")`.
func (tt *tester) explain(ctx context.Context, reg *condition.Registry, cfg weir.Config, msg *weir.Message) []string {
	switch cfg.Type {
	case "meta_all", "meta_any", "meta_none", "all", "any", "none":
		var lines []string
		list, _ := cfg.Settings["conditions"].([]any)
		for _, item := range list {
			b, err := json.Marshal(item)
			if err != nil {
				continue
			}
			c, err := weir.ParseConfig(b)
			if err != nil {
				continue
			}
			lines = append(lines, tt.explain(ctx, reg, c, msg)...)
		}
		return lines
	}
	insp, err := reg.New(ctx, cfg)
	if err != nil {
		return nil
	}
	ok, err := insp.Inspect(ctx, msg)
	if err != nil || ok {
		return nil
	}
	key := "@this"
	if obj, ok := cfg.Settings["object"].(map[string]any); ok {
		if k, ok := obj["source_key"].(string); ok && k != "" {
			key = k
		}
	}
	got := "(missing)"
	if v := msg.Get(key); v.Exists() {
		got = v.String()
		if b, err := json.Marshal(got); err == nil && !json.Valid([]byte(v.String())) {
			got = string(b)
		}
	}
	want := cfg.Type
	if v, ok := cfg.Settings["value"]; ok {
		b, _ := json.Marshal(v)
		want += " " + string(b)
	} else if v, ok := cfg.Settings["pattern"]; ok {
		b, _ := json.Marshal(v)
		want += " " + string(b)
	}
	return []string{fmt.Sprintf("%s: %s (want %s)", key, got, want)}
}

// runCase runs one golden case and prints its line.
func (tt *tester) runCase(ctx context.Context, path string) {
	start := time.Now()
	out := tt.c.stdout
	tt.files++
	fail := func(err error) {
		tt.errored++
		fmt.Fprintf(out, "?\t%s\t[error]\n", path)
		fmt.Fprintf(tt.c.stderr, "%s\n", strings.TrimPrefix(err.Error(), "weir: "))
	}
	tmp, err := os.MkdirTemp("", "weir-case-")
	if err != nil {
		fail(err)
		return
	}
	defer os.RemoveAll(tmp)
	c, err := weirtest.Load(path, tmp)
	if err != nil {
		fail(err)
		return
	}
	if tt.match != nil && !tt.match.MatchString(c.Name) {
		fmt.Fprintf(out, "?\t%s\t[no tests to run]\n", path)
		return
	}
	restore, err := tt.chdir(c.Dir)
	if err != nil {
		fail(err)
		return
	}
	env := tt.c.env
	res, err := c.Run(ctx, weirtest.Options{Jsonnet: tt.cf.opts, Env: func() *transform.Env {
		e := *env
		return &e
	}})
	restore()
	if err != nil {
		fail(err)
		return
	}
	tt.tests++
	if tt.update {
		if err := c.Update(res); err != nil {
			fail(err)
			return
		}
		res.Diffs = nil
		fmt.Fprintf(out, "updated\t%s\t%d %s\n", filepath.Join(path, weirtest.ExpectedFile), len(res.Outputs), plural(len(res.Outputs), "event", "events"))
	}
	if c.Expected == nil && !tt.update {
		tt.failed++
		fmt.Fprintf(out, "--- FAIL: %s\n    no %s: run weir test -update to write it from what the pipeline returns\nFAIL\t%s\t%s\n",
			c.Name, weirtest.ExpectedFile, path, time.Since(start).Round(time.Microsecond))
		return
	}
	if !res.Passed() {
		tt.failed++
		fmt.Fprintf(out, "--- FAIL: %s\n", c.Name)
		for _, line := range strings.Split(strings.TrimSuffix(res.Report(), "\n"), "\n") {
			fmt.Fprintf(out, "    %s\n", line)
		}
		fmt.Fprintf(out, "FAIL\t%s\t%s\n", path, time.Since(start).Round(time.Microsecond))
		return
	}
	tt.passed++
	if tt.verbose {
		fmt.Fprintf(out, "--- PASS: %s (%s)\n", c.Name, time.Since(start).Round(time.Microsecond))
	}
	fmt.Fprintf(out, "ok\t%s\t%s\n", path, time.Since(start).Round(time.Microsecond))
}

// summary prints the last line and returns the exit status.
func (tt *tester) summary(took time.Duration) int {
	out := tt.c.stdout
	took = took.Round(time.Millisecond)
	switch {
	case tt.errored > 0:
		fmt.Fprintf(out, "FAIL: %d passed, %d failed; %d could not be tested (see above) [%s]\n", tt.passed, tt.failed, tt.errored, took)
		return exitUsage
	case tt.failed > 0:
		fmt.Fprintf(out, "FAIL: %d passed, %d failed [%s]\n", tt.passed, tt.failed, took)
		return exitFailure
	case tt.tests == 0:
		fmt.Fprintf(out, "no tests found [%s]\n", took)
		if !tt.recursive && tt.files == 0 {
			fmt.Fprintln(tt.c.stderr, "weir test: only the named files and folders were searched; -R searches the folders below them too")
		}
		return exitOK
	}
	fmt.Fprintf(out, "ok: %d passed, 0 failed, in %d %s [%s]\n", tt.passed, tt.files, plural(tt.files, "file", "files"), took)
	return exitOK
}
