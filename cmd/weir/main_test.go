package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
)

func TestMain(m *testing.M) {
	if os.Getenv("WEIR_TEST_RUN_MAIN") == "1" {
		// The test binary stands in for the weir command (TestRunInterruptProcess).
		os.Args = append([]string{"weir"}, strings.Fields(os.Getenv("WEIR_TEST_ARGS"))...)
		main()
		return
	}
	testenv.Main(m, true)
}

// result is what one run of the program did.
type result struct {
	code           int
	stdout, stderr string
}

// weirRun runs the program in-process with the given standard input.
func weirRun(env *transform.Env, stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), env, args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// writeFile writes content to name in a new temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// lines splits NDJSON output into its lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// testRegistry returns the built-ins plus two types for testing the CLI
// alone:
//   - test_fail fails on every event that contains "bad";
//   - test_hold holds every event until a control message, then releases
//     them all, oldest first, followed by the control message. It holds
//     copies: a transformer must not keep the messages it is given, which
//     weir run reuses.
func testRegistry(t *testing.T) *transform.Registry {
	t.Helper()
	reg := transform.Builtins()
	require.NoError(t, reg.Register("test_fail", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if bytes.Contains(msg.Data(), []byte("bad")) {
				return nil, &transform.Error{Type: "test_fail", Err: fmt.Errorf("event is bad: %w", weir.ErrInvalidData)}
			}
			return []*weir.Message{msg}, nil
		}), nil
	}))
	require.NoError(t, reg.Register("test_hold", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		var (
			mu   sync.Mutex
			held []*weir.Message
		)
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			mu.Lock()
			defer mu.Unlock()
			if !msg.IsControl() {
				held = append(held, weir.NewMessage(bytes.Clone(msg.Data())).SetMetadata(bytes.Clone(msg.Metadata())))
				return nil, nil
			}
			out := append(held, msg)
			held = nil
			return out, nil
		}), nil
	}))
	return reg
}

func testEnv(t *testing.T) *transform.Env {
	return &transform.Env{Transforms: testRegistry(t)}
}

const (
	passThrough = `{"transforms": []}`
	failOnBad   = `{"transforms": [{"type": "test_fail"}]}`
)

func TestRunSample(t *testing.T) {
	t.Parallel()
	input, err := os.ReadFile("../../testdata/sample/cloudtrail.ndjson")
	require.NoError(t, err)
	in := lines(string(input))

	res := weirRun(nil, "", "run", "-config", "../../testdata/sample/pipeline.json",
		"../../testdata/sample/cloudtrail.ndjson")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Empty(t, res.stderr)

	type event struct {
		Timestamp string `json:"@timestamp"`
		Event     struct {
			Action, Provider, Outcome, Kind string
		}
		Cloud struct{ Provider, Region string }
		User  struct{ Name string }
		Error struct{ Code string }
	}
	// The pipeline drops the two DescribeInstanceInformation records.
	out := lines(res.stdout)
	require.Len(t, out, len(in)-2)
	var events []event
	for _, line := range out {
		var e event
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		assert.NotContains(t, line, `"eventName"`, "raw CloudTrail fields must not be left")
		assert.Equal(t, "aws", e.Cloud.Provider)
		assert.Equal(t, "event", e.Event.Kind)
		assert.NotEmpty(t, e.Timestamp)
		assert.NotEqual(t, "DescribeInstanceInformation", e.Event.Action)
		events = append(events, e)
	}

	byAction := func(action string) event {
		t.Helper()
		for _, e := range events {
			if e.Event.Action == action {
				return e
			}
		}
		require.Failf(t, "no event", "action %s", action)
		return event{}
	}

	login := byAction("ConsoleLogin")
	assert.Equal(t, "2024-08-02T08:53:24Z", login.Timestamp)
	assert.Equal(t, "signin.amazonaws.com", login.Event.Provider)
	assert.Equal(t, "success", login.Event.Outcome, "lower-cased from responseElements.ConsoleLogin")
	assert.Equal(t, "stratus-red-team-nmfalu-jfzdtsvchl", login.User.Name)
	assert.Equal(t, "eu-west-2r", login.Cloud.Region)

	denied := byAction("GetPasswordData") // an assumed role without the permission
	assert.Equal(t, "failure", denied.Event.Outcome)
	assert.Equal(t, "Client.UnauthorizedOperation", denied.Error.Code)
	assert.Equal(t, "aws-go-sdk-1722375070115152000", denied.User.Name, "the session name from the role ARN")
}

func TestRunStdin(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	const input = "{\"a\":1}\n\n   \r\n{\"a\":2}\r\n{\"a\":3}" // blank lines, CRLF, no final newline
	const want = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"
	for name, args := range map[string][]string{
		"no input files": {"run", "-config", config},
		"dash":           {"run", "-config", config, "-"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := weirRun(nil, input, args...)
			require.Equal(t, exitOK, res.code, res.stderr)
			assert.Equal(t, want, res.stdout)
			assert.Empty(t, res.stderr)
		})
	}
}

func TestRunFilesInOrder(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	first := writeFile(t, "1.ndjson", "{\"n\":1}\n{\"n\":2}\n")
	second := writeFile(t, "2.ndjson", "{\"n\":3}\n")
	res := weirRun(nil, "{\"n\":\"stdin\"}\n", "run", "-config", config, first, "-", second)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"n\":1}\n{\"n\":2}\n{\"n\":\"stdin\"}\n{\"n\":3}\n", res.stdout)
}

func TestRunConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		want   string // in the error message
	}{
		{"unknown transform type", `{"transforms": [{"type": "no_such_type"}]}`, `transforms[0] (no_such_type): unknown type "no_such_type"`},
		{
			"unknown setting",
			`{"transforms": [{"type": "object_copy", "settings": {"object": {"colour": "a", "target_key": "b"}}}]}`,
			`transforms[0] (object_copy): setting "object.colour": unknown setting` + "\n",
		},
		{
			"unknown setting with did-you-mean",
			`{"transforms": [{"type": "object_copy", "settings": {"object": {"sourcekey": "a", "target_key": "b"}}}]}`,
			`transforms[0] (object_copy): setting "object.sourcekey": unknown setting; did you mean "source_key"?`,
		},
		{
			"wrong JSON type",
			`{"transforms": [{"type": "utility_drop"}, {"type": "object_copy", "settings": {"object": "a"}}]}`,
			`transforms[1] (object_copy): setting "object": must be an object, got a string`,
		},
		{
			"number given as a string",
			`{"transforms": [{"type": "utility_control", "settings": {"batch": {"count": "10"}}}]}`,
			`transforms[0] (utility_control): setting "batch.count": must be a whole number, got a string`,
		},
		{
			"nested location in meta_switch",
			`{"transforms": [{"type": "meta_switch", "settings": {"id": "sw", "cases": [
				{"transforms": [{"type": "utility_drop"}]},
				{"transforms": [{"type": "utility_drop"}, {"type": "utility_drop"},
					{"type": "object_copy", "settings": {"object": {"source_key": "a", "target_kee": "b"}}}]}]}}]}`,
			`transforms[0].settings.cases[1].transforms[2] (object_copy): setting "object.target_kee": unknown setting; did you mean "target_key"?`,
		},
		{
			"nested condition in meta_switch",
			`{"transforms": [{"type": "meta_switch", "settings": {"cases": [
				{"condition": {"type": "meta_any", "settings": {"conditions": [{"type": "string_contains", "settings": {"valeu": "x"}}]}},
				 "transforms": [{"type": "utility_drop"}]}]}}]}`,
			`transforms[0].settings.cases[0].condition.settings.conditions[0] (string_contains): setting "valeu": unknown setting; did you mean "value"?`,
		},
		{
			"id shown",
			`{"transforms": [{"type": "utility_drop"}, {"type": "object_copy", "settings": {"id": "copy-user", "object": {"source_key": "a", "target_key": "b", "bogus": 1}}}]}`,
			`transforms[1] (object_copy, id "copy-user"): setting "object.bogus": unknown setting`,
		},
		{
			"nested id shown",
			`{"transforms": [{"type": "meta_for_each", "settings": {"id": "each", "object": {"source_key": "a", "target_key": "b"},
				"transforms": [{"type": "object_copy", "settings": {"id": "inner", "object": []}}]}}]}`,
			`transforms[0].settings.transforms[0] (object_copy, id "inner"): setting "object": must be an object, got a list`,
		},
		{
			// Go map order would pick either zz; the error must not.
			"deterministic path",
			`{"transforms": [{"type": "enrich_http_get", "settings": {"url": "http://x", "request": {"zz": 1}, "object": {"zz": 2}}}]}`,
			`transforms[0] (enrich_http_get): setting "object.zz": unknown setting` + "\n",
		},
		{"missing setting", `{"transforms": [{"type": "meta_for_each", "settings": {"transforms": [{"type": "utility_drop"}]}}]}`, `transforms[0] (meta_for_each): setting "object.source_key": required`},
		{"misspelt settings key", `{"transforms": [{"type": "object_copy", "setings": {}}]}`, `transforms[0]: setting "setings": unknown member (a config has "type" and "settings"); did you mean "settings"?`},
		{"unknown top-level key", `{"transforms": [], "transfroms": []}`, `unknown top-level key "transfroms"`},
		{"two unknown top-level keys", `{"transforms": [], "zeta": 1, "alpha": 2}`, `alpha: unknown top-level key "alpha"` + "\n"},
		{"no transforms", `{"concurrency": 2}`, `needs "transforms"`},
		{"null transforms", `{"transforms": null}`, `needs "transforms"`},
		{"repeated transforms", `{"transforms": [], "transforms": [{"type": "utility_drop"}]}`, `member "transforms" is given twice`},
		{"misspelt top-level key", `{"transform": []}`, `unknown top-level key "transform"; did you mean "transforms"?`},
		{"misspelt type", `{"transforms": [{"type": "object_cpy"}]}`, `transforms[0] (object_cpy): unknown type "object_cpy"; did you mean "object_copy"?`},
		{"syntax error", "{\n  \"transforms\": [,]\n}", "line 2, column 18: invalid character ','"},
		{"not an object", `[]`, `a pipeline config is a JSON object with "transforms", got a list`},
		{"trailing data", `{"transforms": []} {}`, "invalid character '{' after top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			config := writeFile(t, "pipeline.json", tt.config)
			for range 5 { // the same config, the same error
				res := weirRun(testEnv(t), "{}\n", "run", "-config", config)
				assert.Equal(t, exitUsage, res.code)
				assert.Empty(t, res.stdout)
				assert.True(t, strings.HasPrefix(res.stderr, "weir: "+config+": "), res.stderr)
				assert.Contains(t, res.stderr, tt.want)
				assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
				assert.NotContains(t, res.stderr, "transform.", "no Go type names: %q", res.stderr)
			}
		})
	}
}

func TestRunAcceptsSubstationRuntimeKeys(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{
		"concurrency": 4,
		"tests": [{"name": "t", "transforms": [], "condition": {"type": "meta_any"}}],
		"transforms": []
	}`)
	res := weirRun(nil, "{\"a\":1}\n", "run", "-config", config)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"a\":1}\n", res.stdout)
}

func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"frobnicate"}, `weir: unknown command "frobnicate"`},
		{"missing -config", []string{"run"}, "weir: run: -config is required"},
		{"unknown flag", []string{"run", "-confg", "x"}, "flag provided but not defined: -confg"},
		{"missing config file", []string{"run", "-config", "does-not-exist.json"}, "weir: open does-not-exist.json: "},
		{"flag without value", []string{"run", "-config"}, "flag needs an argument: -config"},
		{"bad input format", []string{"run", "-config", "x.json", "-input", "xml"}, `-input is ndjson, text or records, not "xml"`},
		{"bad max-line", []string{"run", "-config", "x.json", "-max-line", "lots"}, `-max-line "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := weirRun(nil, "", tt.args...)
			assert.Equal(t, exitUsage, res.code)
			assert.Empty(t, res.stdout)
			assert.Contains(t, res.stderr, tt.want)
		})
	}
}

func TestRunHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"help", "-h", "--help"} {
		res := weirRun(nil, "", arg)
		assert.Equal(t, exitOK, res.code, arg)
		assert.Contains(t, res.stdout, "weir run   -config FILE", arg)
		for _, cmd := range []string{"test", "vet", "list", "build"} {
			assert.Contains(t, res.stdout, "weir "+cmd, arg)
		}
		assert.Empty(t, res.stderr, arg)
	}

	res := weirRun(nil, "", "run", "-h")
	assert.Equal(t, exitOK, res.code)
	assert.Contains(t, res.stderr, "weir run -config FILE")
	res = weirRun(nil, "", "help", "run")
	assert.Equal(t, exitOK, res.code)
	assert.Contains(t, res.stdout, "weir run -config FILE")

	res = weirRun(nil, "", "version")
	assert.Equal(t, exitOK, res.code)
	assert.True(t, strings.HasPrefix(res.stdout, "weir "), res.stdout)
	assert.Contains(t, res.stdout, "go1.")
}

func TestRunBadLine(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", failOnBad)
	input := writeFile(t, "input.ndjson", "{\"n\":1}\n\n{\"bad\":true}\n{\"n\":4}\n")

	res := weirRun(testEnv(t), "", "run", "-config", config, input)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1}\n", res.stdout, "output before the failure is written; nothing after it")
	assert.Equal(t, "weir: "+input+":3: transform test_fail: event is bad: weir: invalid data\n", res.stderr)
}

func TestRunBadLineOnStdin(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", failOnBad)
	res := weirRun(testEnv(t), "{\"bad\":1}\n", "run", "-config", config)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "weir: <stdin>:1: transform test_fail: event is bad: weir: invalid data\n", res.stderr)
}

func TestRunKeepGoing(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_fail"}, {"type": "test_hold"}]}`)
	input := writeFile(t, "input.ndjson", "{\"n\":1}\n{\"bad\":2}\n{\"n\":3}\n{\"bad\":4}\n{\"n\":5}\n")
	missing := filepath.Join(t.TempDir(), "missing.ndjson")

	res := weirRun(testEnv(t), "", "run", "-config", config, "-keep-going", "-workers", "1", input, missing)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"n\":1}\n{\"n\":3}\n{\"n\":5}\n", res.stdout, "good events go on, and the end-of-input flush still runs")
	errLines := lines(res.stderr)
	require.Len(t, errLines, 4, res.stderr)
	assert.Equal(t, "weir: "+input+":2: transform test_fail: event is bad: weir: invalid data", errLines[0])
	assert.Equal(t, "weir: "+input+":4: transform test_fail: event is bad: weir: invalid data", errLines[1])
	assert.True(t, strings.HasPrefix(errLines[2], "weir: open "+missing+": "), errLines[2])
	assert.Equal(t, "weir: 3 errors", errLines[3])
}

func TestRunKeepGoingWithoutErrors(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", failOnBad)
	res := weirRun(testEnv(t), "{\"n\":1}\n", "run", "-config", config, "-keep-going")
	assert.Equal(t, exitOK, res.code)
	assert.Equal(t, "{\"n\":1}\n", res.stdout)
	assert.Empty(t, res.stderr)
}

func TestRunControlFlush(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_hold"}]}`)
	res := weirRun(testEnv(t), "{\"n\":1}\n{\"n\":2}\n", "run", "-config", config, "-workers", "1")
	require.Equal(t, exitOK, res.code, res.stderr)
	// Both events come out of the flush after the last line; the control
	// message that carried them is not written (no empty line).
	assert.Equal(t, "{\"n\":1}\n{\"n\":2}\n", res.stdout)
}

func TestRunFlushError(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	require.NoError(t, reg.Register("test_fail_on_flush", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if msg.IsControl() {
				return nil, &transform.Error{Type: "test_fail_on_flush", Err: fmt.Errorf("cannot flush")}
			}
			return []*weir.Message{msg}, nil
		}), nil
	}))
	config := writeFile(t, "pipeline.json", `{"transforms": [{"type": "test_fail_on_flush"}]}`)
	res := weirRun(&transform.Env{Transforms: reg}, "{}\n", "run", "-config", config)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{}\n", res.stdout)
	assert.Equal(t, "weir: end of input: transform test_fail_on_flush: cannot flush\n", res.stderr)
}

func TestRunCanceled(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, nil, []string{"run", "-config", config, "-keep-going"}, strings.NewReader("{}\n"), &stdout, &stderr)
	res := result{code, stdout.String(), stderr.String()}
	assert.Equal(t, exitFailure, res.code)
	assert.Empty(t, res.stdout)
	assert.Contains(t, res.stderr, "weir: <stdin>:1: context canceled\n")
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestRunWriteError(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", passThrough)
	for name, input := range map[string]string{
		"at the final flush": "{}\n",
		"while running":      strings.Repeat(`{"padding":"`+strings.Repeat("x", 1000)+`"}`+"\n", 100),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			code := run(context.Background(), nil, []string{"run", "-config", config}, strings.NewReader(input), errWriter{}, &stderr)
			assert.Equal(t, exitFailure, code)
			assert.Equal(t, "weir: write output: disk full\n", stderr.String(), "reported once")
		})
	}
}

// TestRunSecretHeader runs the config that failed on every event before
// pipelines shared their secrets: utility_secret resolves an environment
// variable, and enrich_http_get sends it in a header. The test sets the
// environment, so it is not parallel.
func TestRunSecretHeader(t *testing.T) {
	t.Setenv("WEIR_TEST_API_TOKEN", "s3cr3t-token")
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		fmt.Fprintf(w, `{"ip":%q,"verdict":"benign"}`, strings.TrimPrefix(r.URL.Path, "/ip/"))
	}))
	defer srv.Close()
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "utility_secret", "settings": {"secret": {"type": "environment_variable",
			"settings": {"id": "k", "name": "WEIR_TEST_API_TOKEN"}}}},
		{"type": "enrich_http_get", "settings": {
			"object": {"source_key": "ip", "target_key": "intel"},
			"url": "`+srv.URL+`/ip/${DATA}",
			"headers": [{"key": "Authorization", "value": "Bearer ${SECRET:k}"}]}}
	]}`)
	res := weirRun(newEnv(), "{\"ip\":\"192.0.2.1\"}\n", "run", "-config", config)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, `{"ip":"192.0.2.1","intel":{"ip":"192.0.2.1","verdict":"benign"}}`+"\n", res.stdout)
	assert.Equal(t, "Bearer s3cr3t-token", auth.Load())
}
