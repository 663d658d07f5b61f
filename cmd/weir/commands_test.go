package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/weirhq/weir/transform/all"
)

// subLib is a small library of the shape of Substation's
// substation.libsonnet, written for these tests.
const subLib = `{
  tf: {
    obj: {
      cp(settings={}): { type: 'object_copy', settings: settings },
      insert(settings={}): { type: 'object_insert', settings: settings },
    },
    test: { message(settings={}): { type: 'test_message', settings: settings } },
  },
  cnd: {
    all(i): { type: 'meta_all', settings: { conditions: if std.isArray(i) then i else [i] } },
    str: { eq(settings={}): { type: 'string_equal_to', settings: settings } },
  },
}
`

// subConfig is a config written against subLib, with a test, as
// Substation's examples are.
const subConfig = `local sub = import 'substation.libsonnet';
{
  tests: [{
    name: 'copies_a',
    transforms: [sub.tf.test.message({ value: { a: std.extVar('want') } })],
    condition: sub.cnd.all([sub.cnd.str.eq({ object: { source_key: 'x' }, value: 'yes' })]),
  }],
  transforms: [
    sub.tf.obj.cp({ object: { source_key: 'a', target_key: 'x' } }),
  ],
}
`

// writeJsonnet lays out a library folder and a config folder and returns
// their paths.
func writeJsonnet(t *testing.T) (lib, config string) {
	t.Helper()
	dir := t.TempDir()
	lib = filepath.Join(dir, "lib")
	require.NoError(t, os.MkdirAll(lib, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(lib, "substation.libsonnet"), []byte(subLib), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "configs"), 0o755))
	config = filepath.Join(dir, "configs", "config.jsonnet")
	require.NoError(t, os.WriteFile(config, []byte(subConfig), 0o644))
	return lib, config
}

// TestJsonnetEverywhere runs a Jsonnet config through run, test, vet and
// build.
func TestJsonnetEverywhere(t *testing.T) {
	lib, config := writeJsonnet(t)

	res := weirRun(nil, "{\"a\":\"yes\"}\n", "run", "-config", config, "-J", lib, "--ext-str", "want=yes")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"a\":\"yes\",\"x\":\"yes\"}\n", res.stdout)

	res = weirTest(config, "-J", lib, "--ext-str", "want=yes")
	assert.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	assert.True(t, strings.HasPrefix(res.stdout, "ok\t"+config+"\t"), res.stdout)

	res = weirTest(filepath.Dir(config), "-J", lib, "--ext-str", "want=no")
	assert.Equal(t, exitFailure, res.code, res.stdout+res.stderr)
	assert.Contains(t, res.stdout, "--- FAIL: copies_a\n    message:\t{\"a\":\"no\",\"x\":\"no\"}\n")
	assert.Contains(t, res.stdout, "        x: \"no\" (want string_equal_to \"yes\")\n")

	res = weirRun(nil, "", "vet", config, "-J", lib, "--ext-str", "want=yes")
	assert.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	assert.Equal(t, "weir vet: 1 config, no problems\n", res.stderr)

	// Without the import path, every command says what is missing.
	for _, args := range [][]string{{"run", "-config", config}, {"vet", config}, {"test", config}, {"build", config}} {
		res = weirRun(nil, "", args...)
		assert.NotEqual(t, exitOK, res.code, args)
		assert.Contains(t, res.stdout+res.stderr, `couldn't open import "substation.libsonnet"`, args)
	}

	res = weirRun(nil, "", "build", config, "-J", lib, "--ext-code", "want='yes'")
	require.Equal(t, exitOK, res.code, res.stderr)
	jsonPath := strings.TrimSuffix(config, ".jsonnet") + ".json"
	assert.Equal(t, config+" -> "+jsonPath+"\n", res.stdout)
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var built map[string]any
	require.NoError(t, json.Unmarshal(b, &built))
	assert.Equal(t, []any{map[string]any{"type": "object_copy", "settings": map[string]any{
		"object": map[string]any{"source_key": "a", "target_key": "x"}}}}, built["transforms"])
	// The JSON runs as the Jsonnet did.
	res = weirRun(nil, "{\"a\":\"yes\"}\n", "run", "-config", jsonPath)
	assert.Equal(t, "{\"a\":\"yes\",\"x\":\"yes\"}\n", res.stdout)

	res = weirRun(nil, "", "build", "-o", "-", config, "-J", lib, "--ext-str", "want=yes")
	assert.Equal(t, exitOK, res.code)
	assert.Equal(t, string(b), res.stdout)
}

func TestVet(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{
  "transforms": [
    {"type": "object_copy", "settings": {"object": {"source_key": "a", "target_kee": "b"}}},
    {"type": "object_cpy"},
    {"type": "meta_switch", "settings": {"id": "sw", "cases": [
      {"transforms": [{"type": "object_insert", "settings": {"id": "ins", "object": {"target_key": "x"}, "valeu": 1}}]}
    ]}}
  ],
  "tests": [{"name": "t", "transforms": [{"type": "test_message", "settings": {"values": 1}}],
             "condition": {"type": "string_equal_to", "settings": {"valeu": "x"}}}]
}
`), 0o644))
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(passThrough), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data.json"), []byte(`{"not": "a config"}`), 0o644))

	res := weirRun(nil, "", "vet", dir)
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, []string{
		bad + `:3:72: transforms[0] (object_copy): setting "object.target_kee": unknown setting; did you mean "target_key"?`,
		bad + `:4:5: transforms[1] (object_cpy): unknown type "object_cpy"; did you mean "object_copy"?`,
		bad + `:6:106: transforms[2].settings.cases[0].transforms[0] (object_insert, id "ins"): setting "valeu": unknown setting; did you mean "value"?`,
		bad + `:9:80: tests[0].transforms[0] (test_message): setting "values": unknown setting; did you mean "value"?`,
		bad + `:10:68: tests[0].condition (string_equal_to): setting "valeu": unknown setting; did you mean "value"?`,
	}, lines(res.stdout))
	assert.Equal(t, "weir vet: 5 problems in 2 files\n", res.stderr, "data.json is not a config")

	res = weirRun(nil, "", "vet", "-json", bad)
	var p problem
	require.NoError(t, json.Unmarshal([]byte(lines(res.stdout)[2]), &p))
	assert.Equal(t, problem{File: bad, Line: 6, Column: 106, Location: "transforms[2].settings.cases[0].transforms[0]",
		Type: "object_insert", ID: "ins", Setting: "valeu",
		Message: `transforms[2].settings.cases[0].transforms[0] (object_insert, id "ins"): setting "valeu": unknown setting; did you mean "value"?`}, p)

	res = weirRun(nil, "", "vet", good)
	assert.Equal(t, exitOK, res.code)
	assert.Empty(t, res.stdout)

	syntax := filepath.Join(dir, "syntax.json")
	require.NoError(t, os.WriteFile(syntax, []byte("{\"transforms\": [\n  {\"type\": \"object_copy\",, }\n]}\n"), 0o644))
	res = weirRun(nil, "", "vet", syntax)
	assert.Equal(t, syntax+":2:26: invalid character ',' looking for beginning of object key string\n", res.stdout)

	res = weirRun(nil, "", "vet")
	assert.Equal(t, exitUsage, res.code)
}

func TestList(t *testing.T) {
	t.Parallel()
	res := weirRun(nil, "", "list")
	require.Equal(t, exitOK, res.code)
	nt := len(all.Transforms().Types())
	assert.Contains(t, res.stdout, fmt.Sprintf("transforms (%d):\n", nt))
	assert.Contains(t, res.stdout, "conditions (37):\n")
	assert.Regexp(t, `(?m)^  object_copy +copy a value to another key`, res.stdout)
	assert.Regexp(t, `(?m)^  string_equal_to +the string equals a value$`, res.stdout)
	assert.NotContains(t, res.stdout, "(no description)", "every type has its line")

	res = weirRun(nil, "", "list", "-json")
	var v map[string][]typeDoc
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &v))
	assert.Len(t, v["transforms"], nt)
	assert.Len(t, v["conditions"], 37)
	assert.Contains(t, v["transforms"], typeDoc{"send_stdout", "write batches of messages to standard output"})

	// Every documented type exists.
	transforms, conditions := (&cli{env: newEnv()}).types()
	names := map[string]bool{}
	for _, d := range append(transforms, conditions...) {
		names[d.Type] = true
	}
	for typ := range transformDocs {
		assert.True(t, names[typ], typ)
	}
	for typ := range conditionDocs {
		assert.True(t, names[typ], typ)
	}
}
