package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunRecyclesWithoutMixingEvents runs a few thousand events of every
// kind — good, dropped, failing in the pipeline, not JSON, blank, too
// long — with one worker (inline), several, and unordered, and checks
// every output line and every -errors record against what each input
// line must give, and that the -stats counts add up: weir run reuses each
// event's message once it is written, so an event released too early
// would show up as another's data.
func TestRunRecyclesWithoutMixingEvents(t *testing.T) {
	t.Parallel()
	config := writeFile(t, "pipeline.json", `{"transforms": [
		{"type": "meta_switch", "settings": {"cases": [{
			"condition": {"type": "string_equal_to", "settings": {"object": {"source_key": "kind"}, "value": "drop"}},
			"transforms": [{"type": "utility_drop"}]}]}},
		{"type": "object_copy", "settings": {"object": {"source_key": "n", "target_key": "copy.of.n"}}},
		{"type": "object_insert", "settings": {"object": {"target_key": "meta seen"}, "value": true}},
		{"type": "object_copy", "settings": {"object": {"source_key": "meta seen", "target_key": "seen"}}},
		{"type": "test_fail"}]}`)
	const n = 1500
	var (
		in          strings.Builder
		wantOut     []string
		want        = map[int]string{} // the output of each event that has one, by n
		wantErrors  []string           // line: error
		read        uint64
		dropped     uint64
		failedLines uint64
	)
	long := `{"kind":"long","pad":"` + strings.Repeat("x", 2000) + `"}`
	for i := 1; i <= n; i++ {
		pad := strings.Repeat("p", i%97) // events of many sizes
		switch {
		case i%11 == 0:
			fmt.Fprintf(&in, "{\"n\":%d,\"kind\":\"drop\",\"pad\":%q}\n", i, pad)
			read++
			dropped++
		case i%13 == 0:
			fmt.Fprintf(&in, "{\"n\":%d,\"kind\":\"bad\"}\n", i)
			wantErrors = append(wantErrors, fmt.Sprintf("%d: transform test_fail: event is bad: weir: invalid data", i))
			read++
			failedLines++
		case i%17 == 0:
			fmt.Fprintf(&in, "{\"n\":%d,\"kind\":\n", i)
			wantErrors = append(wantErrors, fmt.Sprintf("%d: not JSON: unexpected end of JSON input", i))
			read++
			failedLines++
		case i%19 == 0:
			in.WriteString("  \n")
		case i%23 == 0:
			in.WriteString(long + "\n")
			wantErrors = append(wantErrors, fmt.Sprintf("%d: line longer than -max-line (1KiB)", i))
			read++
			failedLines++
		default:
			fmt.Fprintf(&in, "{\"n\":%d,\"pad\":%q}\n", i, pad)
			wantOut = append(wantOut, fmt.Sprintf(`{"n":%d,"pad":%q,"copy":{"of":{"n":%d}},"seen":true}`, i, pad, i))
			want[i] = wantOut[len(wantOut)-1]
			read++
		}
	}
	input := writeFile(t, "input.ndjson", in.String())

	for _, args := range [][]string{
		{"-workers", "1"},
		{"-workers", "2"},
		{"-workers", "7"},
		{"-workers", "3", "-ordered=false"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			errorsPath := filepath.Join(t.TempDir(), "errors.ndjson")
			res := weirRun(testEnv(t), "", append([]string{"run", "-config", config, "-stats", "-max-line", "1KiB", "-errors", errorsPath, input}, args...)...)
			assert.Equal(t, exitFailure, res.code, res.stderr)

			// By the event's n, in the order written.
			out := lines(res.stdout)
			require.Len(t, out, len(wantOut))
			var order []int
			for _, line := range out {
				var e struct{ N int }
				require.NoError(t, json.Unmarshal([]byte(line), &e), line)
				require.Contains(t, want, e.N, line)
				assert.JSONEq(t, want[e.N], line)
				order = append(order, e.N)
			}
			if args[len(args)-1] != "-ordered=false" {
				assert.IsIncreasing(t, order, "in input order")
			}

			f, err := os.Open(errorsPath)
			require.NoError(t, err)
			defer f.Close()
			var gotErrors []string
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var rec errorRecord
				require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
				assert.Equal(t, input, rec.Input)
				gotErrors = append(gotErrors, fmt.Sprintf("%d: %s", rec.Line, rec.Error))
				switch {
				case rec.Truncated:
					assert.Equal(t, long[:keepOfLongLine], rec.Data, "the start of the long line, as read")
				case strings.Contains(rec.Error, "test_fail"):
					assert.Equal(t, fmt.Sprintf("{\"n\":%d,\"kind\":\"bad\"}", rec.Line), rec.Data, "the event as read")
				default:
					assert.Equal(t, fmt.Sprintf("{\"n\":%d,\"kind\":", rec.Line), rec.Data, "the line as read")
				}
			}
			require.NoError(t, sc.Err())
			if args[len(args)-1] == "-ordered=false" {
				assert.ElementsMatch(t, wantErrors, gotErrors)
			} else {
				assert.Equal(t, wantErrors, gotErrors)
			}

			st := statsLine(t, strings.TrimSuffix(res.stderr, "\n"))
			assert.Equal(t, read, st.Read)
			assert.Equal(t, uint64(len(wantOut)), st.Emitted)
			assert.Equal(t, dropped, st.Dropped)
			assert.Equal(t, failedLines, st.Failed)
			assert.Zero(t, st.Unprocessed)
			assert.Equal(t, st.Read, st.Emitted+st.Dropped+st.Failed, "count in = count out + dropped + failed")
			assert.Equal(t, uint64(len(wantOut)), st.EventsOut)
		})
	}
}
