package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// TestRunUndelivered: a send whose destination refuses a batch made weir
// run lose the batch's events (emitted, never delivered, not reported) and
// report the event that completed the batch as failed although the next
// batch delivered it. Now each event the send did not deliver is written
// to -errors (marked undelivered) and counted in -stats, so read =
// delivered + dropped + reported, each event once.
func TestRunUndelivered(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	delivered := map[int64]int{}
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		posts++
		events := gjson.ParseBytes(b).Array()
		if events[0].Get("n").Int() == 10 || len(events) < 10 {
			// The second batch, and the last (the end-of-input flush).
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		for _, e := range events {
			delivered[e.Get("n").Int()]++
		}
	}))
	defer srv.Close()
	config := writeFile(t, "pipeline.json", fmt.Sprintf(`{"transforms": [
		{"type": "meta_switch", "settings": {"cases": [{
			"condition": {"type": "string_equal_to", "settings": {"object": {"source_key": "kind"}, "value": "noise"}},
			"transforms": [{"type": "utility_drop"}]}]}},
		{"type": "send_http_post", "settings": {"url": %q, "batch": {"count": 10},
			"auxiliary_transforms": [{"type": "aggregate_to_array", "settings": {"batch": {"count": 10}}}]}}
	]}`, srv.URL))
	var in strings.Builder
	const n = 50
	noise := 0
	for i := range n {
		if i%7 == 3 {
			fmt.Fprintf(&in, "{\"n\":%d,\"kind\":\"noise\"}\n", 1000+i)
			noise++
			continue
		}
		fmt.Fprintf(&in, "{\"n\":%d}\n", i-noise)
	}
	errorsPath := filepath.Join(t.TempDir(), "errors.ndjson")
	res := weirRun(nil, in.String(), "run", "-config", config, "-errors", errorsPath, "-stats", "-workers", "1")
	assert.Equal(t, exitFailure, res.code)
	st := statsLine(t, res.stderr)

	f, err := os.Open(errorsPath)
	require.NoError(t, err)
	defer f.Close()
	reported := map[int64]int{}
	undelivered := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec errorRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		reported[gjson.Get(rec.Data, "n").Int()]++
		if rec.Undelivered {
			undelivered++
			assert.Empty(t, rec.Input)
			assert.Zero(t, rec.Line)
		}
	}
	// 43 events, n 0..42, in batches 0-9, 10-19 (refused: 20, which
	// completed it, fails with it), 21-30, 31-40, 41-42 (refused).
	events := n - noise
	for i := range int64(events) {
		assert.Equal(t, 1, delivered[i]+reported[i], "event %d: delivered %d times, reported %d times", i, delivered[i], reported[i])
	}
	assert.Equal(t, events, len(delivered)+len(reported))
	assert.Len(t, reported, 13, "the second batch, the event that completed it, and the last")
	assert.Equal(t, uint64(n), st.Read)
	assert.Equal(t, uint64(noise), st.Dropped)
	assert.Equal(t, uint64(undelivered), st.Undelivered)
	assert.Equal(t, uint64(len(delivered)), st.Emitted-st.Undelivered)
	assert.Equal(t, uint64(len(reported)), st.Failed+st.Undelivered)
	assert.Equal(t, st.Read, st.Emitted+st.Dropped+st.Failed)
	assert.Contains(t, res.stderr, fmt.Sprintf("weir: %d failed events written to %s (%d of them not delivered by a send)", len(reported), errorsPath, undelivered))
}
