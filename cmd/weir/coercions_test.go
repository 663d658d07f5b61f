package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

const coercingConfig = `{"transforms": [
	{"type": "time_to_unix", "settings": {"id": "t", "object": {"source_key": "ts", "target_key": "s"}}},
	{"type": "object_to_integer", "settings": {"object": {"source_key": "n", "target_key": "n"}}}
]}`

const coercingInput = "{\"ts\":\"soon\",\"n\":\"x\"}\n{\"ts\":1700000000000000000,\"n\":\"5\"}\n"

func TestRunCoercesAndCounts(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", coercingConfig)

	// By default, values are coerced as Substation coerces them; -stats
	// counts them per transform.
	res := weirRun(newEnv(), coercingInput, "run", "-config", config, "-stats")
	assert.Equal(t, exitOK, res.code, res.stderr)
	assert.Equal(t, "{\"ts\":\"soon\",\"n\":0,\"s\":0}\n{\"ts\":1700000000000000000,\"n\":5,\"s\":1700000000}\n", res.stdout)
	st := statsLine(t, res.stderr)
	assert.Equal(t, coercionStats{Total: 2, ByTransform: []coercionCount{
		{Type: "time_to_unix", ID: "t", Count: 1}, {Type: "object_to_integer", Count: 1},
	}}, st.Coercions)

	// Without -stats nothing is printed.
	res = weirRun(newEnv(), coercingInput, "run", "-config", config)
	assert.Equal(t, exitOK, res.code)
	assert.Empty(t, res.stderr)
}

func TestRunStrict(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", coercingConfig)

	// -strict fails the event; -keep-going routes it and goes on.
	res := weirRun(newEnv(), coercingInput, "run", "-config", config, "-strict", "-keep-going", "-stats")
	assert.Equal(t, exitFailure, res.code)
	assert.Equal(t, "{\"ts\":1700000000000000000,\"n\":5,\"s\":1700000000}\n", res.stdout)
	assert.Contains(t, res.stderr, "weir: <stdin>:1: transform time_to_unix (t): field \"ts\": cannot convert \"soon\" to integer timestamp without coercion: weir: invalid data\n")
	st := statsLine(t, res.stderr)
	assert.Equal(t, uint64(1), st.Failed)
	assert.Equal(t, int64(0), st.Coercions.Total)

	// Without -keep-going the first failure stops the run.
	res = weirRun(newEnv(), coercingInput, "run", "-config", config, "-strict")
	assert.Equal(t, exitFailure, res.code)
	assert.Empty(t, res.stdout)
	assert.Contains(t, res.stderr, "without coercion")
}

func TestTestStrict(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "time_to_unix", "settings": {"object": {"source_key": "ts", "target_key": "s"}}}
	], "tests": [{"name": "coerced",
		"transforms": [{"type": "test_message", "settings": {"value": {"ts": "soon"}}}],
		"condition": {"type": "number_equal_to", "settings": {"object": {"source_key": "s"}, "value": 0}}}]}`)

	// By default the time that is not a number is coerced to 0, as in
	// Substation, and the test passes.
	res := weirRun(newEnv(), "", "test", config)
	assert.Equal(t, exitOK, res.code, res.stdout+res.stderr)

	// -strict makes the coercion an error: the test cannot pass (the
	// pipeline fails on its message, which weir test reports with exit 2).
	res = weirRun(newEnv(), "", "test", "-strict", config)
	assert.Equal(t, exitUsage, res.code, res.stdout+res.stderr)
	assert.Contains(t, res.stdout+res.stderr, "without coercion")
}
