package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runOutput is bench/run.sh's table as bench/README.md quotes it
// (2026-11-27).
const runOutput = `W1 CloudTrail->ECS, 100000 events (1095 B/event), 1 core (GOMAXPROCS=1), 2026-11-27 18:49 UTC, go1.26.8, x86_64, load 0.73 1.40 2.68 -> 1.37 1.32 2.17
engine                               best ns/ev     median  cpu-ns/ev allocs/ev     B/ev   (5 passes each)
weir config                                9698      13163      13237      1.0      108
weir typed                                 9444      13217      13311      1.0      108
weir config-new                           17526      20141      20263      9.0    11547
weir floor                                 5407       7424       7476      0.0       11
`

func TestApplyW1(t *testing.T) {
	in, err := parseInputs(defaultInputs)
	require.NoError(t, err)
	require.NoError(t, in.applyW1(strings.NewReader(runOutput), "w1.txt"))
	assert.Equal(t, 9698.0, in.ConfigNs)
	assert.Equal(t, 17526.0, in.ConfigNewNs)
	assert.Equal(t, 1095.0, in.EventBytes)
	assert.Contains(t, in.raw["w1_config_ns_per_event"].Source, "w1.txt")

	err = in.applyW1(strings.NewReader("weir config 100 1 1\n"), "short.txt")
	assert.ErrorContains(t, err, `short.txt: no "weir config-new" figure`)
}

func TestRows(t *testing.T) {
	in, err := parseInputs(defaultInputs)
	require.NoError(t, err)
	rows := in.rows()
	require.Len(t, rows, 3)
	// 10,000 events/s of 1,095 B: 10.95 MB/s, over 1 MiB/s per shard.
	assert.Equal(t, 11, rows[0].Shards)
	assert.Equal(t, 1045, rows[2].Shards)
	assert.InDelta(t, 8.0, rows[2].VCPUConfigNew, 1e-9)
	assert.Equal(t, 8, rows[2].LambdaBusy)
	assert.Equal(t, 10450, rows[2].LambdaCeiling)

	c := in.cost()
	// 10^12 / 1095 events × 8 µs × 1769/1024 GB × $0.0000133334.
	assert.InDelta(t, 0.168, c.ComputeNew, 0.001)
	assert.InDelta(t, 12.79, c.Scenarios[0].PUT, 0.01)
}

func TestParseInputsErrors(t *testing.T) {
	_, err := parseInputs([]byte(`{"w1_config_ns_per_event": {"value": -1}}`))
	assert.ErrorContains(t, err, `"w1_config_ns_per_event": want a positive number`)
	assert.ErrorContains(t, err, `"lambda_memory_mb" is missing`)
}

// TestDocInSync fails when docs/scaling.md's tables are not what the
// committed inputs give. Fix: go run ./bench/cmd/scaling -update docs/scaling.md
func TestDocInSync(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "scaling.md")
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	in, err := parseInputs(defaultInputs)
	require.NoError(t, err)
	var gen bytes.Buffer
	in.render(&gen)
	want, err := update(doc, gen.Bytes())
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, doc), "docs/scaling.md is out of date: run go run ./bench/cmd/scaling -update docs/scaling.md")
}

func TestThousands(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", -1000: "-1,000"} {
		assert.Equal(t, want, thousands(f))
	}
}
