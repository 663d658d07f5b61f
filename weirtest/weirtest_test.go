package weirtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/weirtest"
)

// writeCase writes a txtar case into a new folder and returns its path.
func writeCase(t *testing.T, txtar string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case.txtar")
	require.NoError(t, os.WriteFile(path, []byte(txtar), 0o644))
	return path
}

// runCase loads and runs the case at path, from its folder.
func runCase(t *testing.T, path string) (*weirtest.Case, *weirtest.Result) {
	t.Helper()
	c, err := weirtest.Load(path, t.TempDir())
	require.NoError(t, err)
	t.Chdir(c.Dir)
	res, err := c.Run(context.Background(), weirtest.Options{})
	require.NoError(t, err)
	return c, res
}

const outcomeConfig = `-- config.json --
{"transforms": [
  {"type": "meta_switch", "settings": {"cases": [
    {"condition": {"type": "number_length_greater_than", "settings": {"object": {"source_key": "errorCode"}, "value": 0}},
     "transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "event.outcome"}, "value": "failure"}}]},
    {"transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "event.outcome"}, "value": "success"}}]}]}},
  {"type": "object_copy", "settings": {"object": {"source_key": "eventName", "target_key": "event.action"}}},
  {"type": "object_delete", "settings": {"object": {"source_key": "eventName"}}}
]}
-- input.ndjson --
{"eventName":"ConsoleLogin"}

{"eventName":"AssumeRole","errorCode":"AccessDenied"}
`

func TestBrokenExpectation(t *testing.T) {
	path := writeCase(t, outcomeConfig+`-- expected.ndjson --
{"event":{"outcome":"success","action":"ConsoleLogin"}}
{"errorCode":"AccessDenied","event":{"outcome":"success","action":"AssumeRole","category":["iam"]}}
`)
	_, res := runCase(t, path)
	require.False(t, res.Passed())
	require.Len(t, res.Diffs, 1, res.Report())
	d := res.Diffs[0]
	assert.Equal(t, 3, d.Line, "the input line the event came from (blank lines count)")
	assert.Equal(t, 2, d.Expected)
	assert.Equal(t, []string{
		`event.category: ["iam"] -> (missing)`,
		`event.outcome: "success" -> "failure"`,
	}, d.Fields)
	assert.Equal(t, `input.ndjson:3 -> expected.ndjson:2 (expected -> got):
    event.category: ["iam"] -> (missing)
    event.outcome: "success" -> "failure"
`, res.Report())
}

func TestMissingAndExtraEvents(t *testing.T) {
	path := writeCase(t, outcomeConfig+`-- expected.ndjson --
{"event":{"outcome":"success","action":"ConsoleLogin"}}
`)
	_, res := runCase(t, path)
	require.Len(t, res.Diffs, 1)
	assert.Contains(t, res.Report(), "input.ndjson:3: unexpected event (not in expected.ndjson)")

	path = writeCase(t, outcomeConfig+`-- expected.ndjson --
{"event":{"outcome":"success","action":"ConsoleLogin"}}
{"errorCode":"AccessDenied","event":{"outcome":"failure","action":"AssumeRole"}}
{"event":{"action":"Extra"}}
`)
	_, res = runCase(t, path)
	require.Len(t, res.Diffs, 1)
	assert.Equal(t, "expected.ndjson:3: missing: no event came out for it\n", res.Report())
}

func TestUnordered(t *testing.T) {
	swapped := outcomeConfig + `-- expected.ndjson --
{"errorCode":"AccessDenied","event":{"outcome":"failure","action":"AssumeRole"}}
{"event":{"action":"ConsoleLogin","outcome":"success"}}
`
	_, res := runCase(t, writeCase(t, swapped))
	assert.False(t, res.Passed(), "order matters by default")

	_, res = runCase(t, writeCase(t, swapped+"-- case.json --\n{\"unordered\": true}\n"))
	assert.True(t, res.Passed(), res.Report())
}

func TestNumbersKeepTheirDigits(t *testing.T) {
	c := `-- config.json --
{"transforms": []}
-- input.ndjson --
{"n": 12345678901234567890, "f": 1.0}
-- expected.ndjson --
{"f": 1, "n": 12345678901234567891}
`
	_, res := runCase(t, writeCase(t, c))
	require.Len(t, res.Diffs, 1)
	assert.Equal(t, []string{"f: 1 -> 1.0", "n: 12345678901234567891 -> 12345678901234567890"}, res.Diffs[0].Fields)
}

func TestUpdate(t *testing.T) {
	path := writeCase(t, outcomeConfig)
	c, res := runCase(t, path)
	assert.Nil(t, c.Expected)
	require.NoError(t, c.Update(res))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), outcomeConfig), "the other files are kept")
	assert.Contains(t, string(b), "-- expected.ndjson --\n"+
		`{"event":{"outcome":"success","action":"ConsoleLogin"}}`+"\n"+
		`{"errorCode":"AccessDenied","event":{"outcome":"failure","action":"AssumeRole"}}`+"\n")
	_, res = runCase(t, path)
	assert.True(t, res.Passed(), res.Report())
}

func TestUnpinnedHTTPFails(t *testing.T) {
	c := `-- config.json --
{"transforms": [{"type": "enrich_http_get", "settings": {"object": {"source_key": "ip", "target_key": "intel"}, "url": "http://192.0.2.1/${DATA}"}}]}
-- input.ndjson --
{"ip": "x"}
-- expected.ndjson --
{"ip": "x"}
`
	_, res := runCase(t, writeCase(t, c))
	require.Len(t, res.Failures, 1)
	assert.Contains(t, res.Failures[0].Err.Error(), "no pinned HTTP response for GET http://192.0.2.1/x")
}

func TestConfigElsewhere(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pipeline.jsonnet"),
		[]byte(`{transforms: [{type: "object_insert", settings: {object: {target_key: "k"}, value: std.extVar("v")}}]}`), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "cases", "one"), 0o755))
	for name, content := range map[string]string{
		"case.json":       `{"config": "../../pipeline.jsonnet"}`,
		"input.ndjson":    "{}\n",
		"expected.ndjson": `{"k":"x"}` + "\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cases", "one", name), []byte(content), 0o644))
	}
	c, err := weirtest.Load(filepath.Join(dir, "cases", "one"), "")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "pipeline.jsonnet"), c.ConfigPath)
	_, err = c.Run(context.Background(), weirtest.Options{})
	require.ErrorContains(t, err, "Undefined external variable: v")
	opts := weirtest.Options{}
	opts.Jsonnet.ExtStr = map[string]string{"v": "x"}
	res, err := c.Run(context.Background(), opts)
	require.NoError(t, err)
	assert.True(t, res.Passed(), res.Report())
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct{ txtar, want string }{
		"no input":        {"-- config.json --\n{}\n", "no input.ndjson"},
		"no config":       {"-- input.ndjson --\n{}\n", "no config: add config.json"},
		"unknown setting": {"-- input.ndjson --\n{}\n-- case.json --\n{\"nw\": \"x\"}\n", `unknown field "nw"`},
		"path outside":    {"-- ../x --\n{}\n", "not a relative path inside the case"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := weirtest.Load(writeCase(t, tc.txtar), t.TempDir())
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// A case run by hand, as weir test does: load, run, report.
func ExampleCase_Run() {
	dir, _ := os.MkdirTemp("", "case")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"transforms": [
		{"type": "object_insert", "settings": {"object": {"target_key": "event.outcome"}, "value": "failure"}}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "input.ndjson"), []byte(`{"eventName":"ConsoleLogin"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "expected.ndjson"), []byte(`{"eventName":"ConsoleLogin","event":{"outcome":"success"}}`+"\n"), 0o644)

	c, err := weirtest.Load(dir, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Run(context.Background(), weirtest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("passed:", res.Passed())
	fmt.Print(res.Report())
	// Output:
	// passed: false
	// input.ndjson:1 -> expected.ndjson:1 (expected -> got):
	//     event.outcome: "success" -> "failure"
}
