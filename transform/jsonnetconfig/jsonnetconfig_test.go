package jsonnetconfig_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform/jsonnetconfig"
)

// lib is a small library of the shape of Substation's substation.libsonnet
// (written for these tests): constructors by family, and the "obj"
// abbreviation of "object" settings.
const lib = `{
  helpers: {
    abbv(s): std.mergePatch(s, if std.objectHas(s, 'obj') then {
      obj: null,
      object: std.prune({ source_key: std.get(s.obj, 'src'), target_key: std.get(s.obj, 'trg') }),
    } else {}),
  },
  tf: {
    obj: {
      cp(settings={}): { type: 'object_copy', settings: $.helpers.abbv(settings) },
      insert(settings={}): { type: 'object_insert', settings: $.helpers.abbv(settings) },
    },
    test: { message(settings={}): { type: 'test_message', settings: settings } },
  },
  cnd: {
    all(i): { type: 'meta_all', settings: { conditions: if std.isArray(i) then i else [i] } },
    str: { eq(settings={}): { type: 'string_equal_to', settings: $.helpers.abbv(settings) } },
  },
}
`

const config = `local sub = import 'substation.libsonnet';
{
  transforms: [
    sub.tf.obj.cp({ obj: { src: 'a', trg: 'x' } }),
    sub.tf.obj.insert({ obj: { trg: 'env' }, value: std.extVar('env') }),
  ],
}
`

// writeFiles writes files (by path) under a new folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func TestLoadWithLibrary(t *testing.T) {
	dir := writeFiles(t, map[string]string{"lib/substation.libsonnet": lib, "configs/config.jsonnet": config})
	opts := jsonnetconfig.Options{JPaths: []string{filepath.Join(dir, "lib")}, ExtStr: map[string]string{"env": "prod"}}
	p, err := jsonnetconfig.Load(context.Background(), nil, filepath.Join(dir, "configs/config.jsonnet"), opts)
	require.NoError(t, err)
	defer p.Close()
	out, err := p.Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.JSONEq(t, `{"a":1,"x":1,"env":"prod"}`, string(out[0].Data()))
}

func TestImportNextToTheFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"substation.libsonnet": lib, "config.jsonnet": config})
	b, err := jsonnetconfig.ReadFile(filepath.Join(dir, "config.jsonnet"), jsonnetconfig.Options{ExtStr: map[string]string{"env": "dev"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"transforms": [
		{"type": "object_copy", "settings": {"object": {"source_key": "a", "target_key": "x"}}},
		{"type": "object_insert", "settings": {"object": {"target_key": "env"}, "value": "dev"}}]}`, string(b))
}

func TestExtCodeSub(t *testing.T) {
	// Substation's commands hand their library over as std.extVar('sub').
	dir := writeFiles(t, map[string]string{
		"lib/substation.libsonnet": lib,
		"config.jsonnet":           "local sub = std.extVar('sub');\n{transforms: [sub.tf.obj.cp({obj: {src: 'a', trg: 'b'}})]}\n",
	})
	path := filepath.Join(dir, "config.jsonnet")
	_, err := jsonnetconfig.ReadFile(path, jsonnetconfig.Options{})
	require.ErrorIs(t, err, weir.ErrInvalidConfig)
	assert.ErrorContains(t, err, "Undefined external variable: sub")
	assert.ErrorContains(t, err, `--ext-code 'sub=import "substation.libsonnet"'`)

	b, err := jsonnetconfig.ReadFile(path, jsonnetconfig.Options{
		JPaths:  []string{filepath.Join(dir, "lib")},
		ExtCode: map[string]string{"sub": `import "substation.libsonnet"`},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"transforms": [{"type": "object_copy", "settings": {"object": {"source_key": "a", "target_key": "b"}}}]}`, string(b))
}

func TestErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"syntax.jsonnet": "{\n  transforms: [st.format('x')],\n}\n",
		"import.jsonnet": "local sub = import 'missing.libsonnet'; {transforms: [sub.x]}",
		"config.json":    `{"transforms": [{"type": "object_cpy"}]}`,
	})
	_, err := jsonnetconfig.ReadFile(filepath.Join(dir, "syntax.jsonnet"), jsonnetconfig.Options{})
	assert.ErrorContains(t, err, "syntax.jsonnet:2:16-18 Unknown variable: st")
	_, err = jsonnetconfig.ReadFile(filepath.Join(dir, "import.jsonnet"), jsonnetconfig.Options{})
	assert.ErrorContains(t, err, "couldn't open import \"missing.libsonnet\"")
	// JSON is read as it is; the loader reports its faults.
	_, err = jsonnetconfig.Load(context.Background(), nil, filepath.Join(dir, "config.json"), jsonnetconfig.Options{})
	assert.ErrorContains(t, err, `did you mean "object_copy"?`)
}

func TestParseExtVar(t *testing.T) {
	m := map[string]string{}
	require.NoError(t, jsonnetconfig.ParseExtVar(m, "a=b=c"))
	assert.Equal(t, "b=c", m["a"])
	t.Setenv("WEIR_TEST_EXT", "from env")
	require.NoError(t, jsonnetconfig.ParseExtVar(m, "WEIR_TEST_EXT"))
	assert.Equal(t, "from env", m["WEIR_TEST_EXT"])
	assert.Error(t, jsonnetconfig.ParseExtVar(m, "=x"))
	assert.Error(t, jsonnetconfig.ParseExtVar(m, "WEIR_TEST_NOT_SET_ANYWHERE"))
}

func ExampleEvaluateSnippet() {
	b, err := jsonnetconfig.EvaluateSnippet("pipeline.jsonnet", `
local copy(src, trg) = {type: 'object_copy', settings: {object: {source_key: src, target_key: trg}}};
{transforms: [copy('eventName', 'event.action')]}`, jsonnetconfig.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(b))
	// Output:
	// {
	//    "transforms": [
	//       {
	//          "settings": {
	//             "object": {
	//                "source_key": "eventName",
	//                "target_key": "event.action"
	//             }
	//          },
	//          "type": "object_copy"
	//       }
	//    ]
	// }
}
