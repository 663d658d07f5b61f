package enrich_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
)

// TestSourceReadAllMemory: a remote file larger than MaxSize trips the
// limit having allocated at most about twice MaxSize when its length is
// unknown, and at most MaxSize for a file of known length that fits
// (issue 14 finding 6: the 1 GiB cap cost 4.2 GB). Not parallel: it
// measures the heap.
func TestSourceReadAllMemory(t *testing.T) {
	const limit = 8 << 20
	body := []byte(strings.Repeat("x", 3*limit))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fits" {
			w.Header().Set("Content-Length", strconv.Itoa(limit-100))
			_, _ = w.Write(body[:limit-100])
			return
		}
		// Chunked: no length known in advance.
		w.(http.Flusher).Flush()
		for off := 0; off < len(body); off += 32 << 10 {
			if _, err := w.Write(body[off : off+32<<10]); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	src := enrich.Source{MaxSize: limit}
	ctx := context.Background()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := src.Fetch(ctx, srv.URL+"/chunked")
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	assert.ErrorContains(t, err, "max_size")
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte limit tripped after %d bytes allocated (%.2f×)", limit, n, float64(n)/limit)
	assert.Less(t, n, uint64(2.5*limit))

	runtime.GC()
	runtime.ReadMemStats(&before)
	b, err := src.Fetch(ctx, srv.URL+"/fits")
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Len(t, b, limit-100)
	n = after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte file of known length: %d bytes allocated (%.2f×)", len(b), n, float64(n)/float64(len(b)))
	assert.Less(t, n, uint64(limit*6/5))
}
