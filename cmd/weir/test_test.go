package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// exampleVector is what TestTestExamples reads of the example vectors
// (testdata/conformance/substation-v2/examples): a pipeline, the files it
// reads, and the test its example declares.
type exampleVector struct {
	Name   string            `json:"name"`
	Config json.RawMessage   `json:"config"`
	Files  map[string]string `json:"files"`
	Test   json.RawMessage   `json:"test"`
}

// writeExamples rebuilds each example's config with its "tests" section,
// in a folder of its own under dir, and returns how many tests they hold.
// edit, if set, may change a test before it is written.
func writeExamples(t *testing.T, dir string, edit func(name string, test map[string]any)) (tests, configs int) {
	t.Helper()
	paths, err := filepath.Glob("../../testdata/conformance/substation-v2/examples/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		var vs []exampleVector
		require.NoError(t, json.Unmarshal(b, &vs))
		for i, v := range vs {
			folder := filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".json")+strings.Repeat("_", i))
			require.NoError(t, os.MkdirAll(folder, 0o755))
			for name, content := range v.Files {
				require.NoError(t, os.MkdirAll(filepath.Join(folder, filepath.Dir(name)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(folder, name), []byte(content), 0o644))
			}
			var cfg map[string]any
			require.NoError(t, json.Unmarshal(v.Config, &cfg))
			if len(v.Test) > 0 {
				var test map[string]any
				require.NoError(t, json.Unmarshal(v.Test, &test))
				if edit != nil {
					edit(v.Name, test)
				}
				cfg["tests"] = []any{test}
				tests++
			}
			out, err := json.MarshalIndent(cfg, "", "  ")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(folder, "config.json"), out, 0o644))
			configs++
		}
	}
	return tests, configs
}

// weirTest runs weir test as the command does, in each config's folder
// (so it is not parallel). utility_random draws from a seeded source:
// retry_with_backoff retries until utility_random says yes, at most five
// times, and with a random source fails one run in 32.
func weirTest(args ...string) result {
	var stdout, stderr bytes.Buffer
	env := newEnv()
	env.Conditions = seededConditions()
	c := &cli{env: env, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, chdir: true}
	code := c.main(context.Background(), append([]string{"test"}, args...))
	return result{code, stdout.String(), stderr.String()}
}

// TestTestExamples runs the tests of Substation's example pipelines, as
// their configs declare them, with weir test.
func TestTestExamples(t *testing.T) {
	dir := t.TempDir()
	tests, configs := writeExamples(t, dir, nil)
	require.Equal(t, 32, configs)
	require.Equal(t, 31, tests, "every example but the Go one declares a test")

	res := weirTest("-R", dir)
	require.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	assert.Empty(t, res.stderr)
	out := lines(res.stdout)
	require.Len(t, out, configs+1, res.stdout)
	for _, line := range out[:configs] {
		if strings.Contains(line, "go_example__substation") {
			assert.Equal(t, "?\t"+filepath.Join(dir, "go_example__substation", "config.json")+"\t[no tests]", line)
			continue
		}
		assert.True(t, strings.HasPrefix(line, "ok\t"+dir), line)
	}
	assert.True(t, strings.HasPrefix(out[configs], "ok: 31 passed, 0 failed, in 32 files"), out[configs])

	// Without -R, the folder holds no config of its own.
	res = weirTest(dir)
	assert.Equal(t, exitOK, res.code)
	assert.Contains(t, res.stdout, "no tests found")
}

// TestTestBrokenExpectation breaks one example's expectation: weir test
// exits 1 and says which field of which event does not hold.
func TestTestBrokenExpectation(t *testing.T) {
	dir := t.TempDir()
	writeExamples(t, dir, func(name string, test map[string]any) {
		if name != "examples/transform/test/config_test:my_passing_test" {
			return
		}
		// The pipeline copies a to x: expect x to be "false" instead.
		cnd := test["condition"].(map[string]any)["settings"].(map[string]any)["conditions"].([]any)[0].(map[string]any)
		cnd["settings"].(map[string]any)["value"] = "false"
	})
	res := weirTest("-R", dir)
	require.Equal(t, exitFailure, res.code, res.stdout+res.stderr)
	config := filepath.Join(dir, "transform__test__config_test", "config.json")
	assert.Contains(t, res.stdout, "--- FAIL: my_passing_test\n"+
		"    message:\t{\"a\":true,\"x\":true}\n"+
		"    condition:\t{\"settings\":{\"conditions\":[{\"settings\":{\"object\":{\"source_key\":\"x\"},\"value\":\"false\"},\"type\":\"string_equal_to\"}]},\"type\":\"meta_all\"}\n"+
		"        x: true (want string_equal_to \"false\")\n"+
		"FAIL\t"+config+"\t")
	assert.Contains(t, res.stdout, "FAIL: 30 passed, 1 failed")

	// -run picks the test by name.
	res = weirTest("-R", "-run", "^my_passing_test$", dir)
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.stdout, "FAIL: 0 passed, 1 failed")
	res = weirTest("-R", "-run", "clamp", dir)
	assert.Equal(t, exitOK, res.code, res.stdout)
	assert.Contains(t, res.stdout, "ok: 1 passed")
}

// TestTestBadConfigs checks that a config that cannot be tested is
// reported, not skipped, and that the status says so.
func TestTestBadConfigs(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"broken.json":   "{\"transforms\": [\n,]}",
		"badtest.json":  `{"transforms": [{"type": "utility_drop"}], "tests": [{"name": "t", "transforms": [], "condition": {"type": "string_eq"}}]}`,
		"notests.json":  `{"transforms": [{"type": "utility_drop"}]}`,
		"data.json":     `{"eventName": "not a config"}`,
		"package.json":  `{"name": "x"}`,
		"lib.libsonnet": `{ f(x): x }`,
		"readme.txt":    "not even JSON",
		"passing.json":  `{"transforms": [{"type": "utility_drop"}], "tests": [{"name": "dropped", "transforms": [{"type": "test_message", "settings": {"value": 1}}], "condition": {"type": "string_equal_to", "settings": {"value": "x"}}}]}`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	res := weirTest(dir)
	assert.Equal(t, exitUsage, res.code, res.stdout)
	out := lines(res.stdout)
	require.Len(t, out, 5, res.stdout)
	assert.Equal(t, "?\t"+filepath.Join(dir, "badtest.json")+"\t[error]", out[0])
	assert.Equal(t, "?\t"+filepath.Join(dir, "broken.json")+"\t[error]", out[1])
	assert.Equal(t, "?\t"+filepath.Join(dir, "notests.json")+"\t[no tests]", out[2])
	assert.True(t, strings.HasPrefix(out[3], "ok\t"+filepath.Join(dir, "passing.json")), "no event came out: the condition held for every one")
	assert.Equal(t, "FAIL: 1 passed, 0 failed; 2 could not be tested (see above)", out[4][:strings.Index(out[4], " [")])
	assert.Contains(t, res.stderr, "broken.json: line 2, column 1: invalid character ','")
	assert.Contains(t, res.stderr, `badtest.json: tests[0] ("t"): condition: string_eq: unknown type "string_eq"`)
}

// seededConditions returns the built-in conditions with utility_random
// drawing from a seeded source.
func seededConditions() *condition.Registry {
	builtins, reg := condition.Builtins(), &condition.Registry{}
	for _, name := range builtins.Types() {
		f, _ := builtins.Lookup(name)
		if name == "utility_random" {
			f = func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) {
				return condition.NewUtilityRandom(condition.UtilityRandomConfig{Source: rand.NewPCG(1, 2)})
			}
		}
		if err := reg.Register(name, f); err != nil {
			panic(err)
		}
	}
	return reg
}
