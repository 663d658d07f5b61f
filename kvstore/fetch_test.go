package kvstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/kvstore"
)

// TestFetchSettings: the size limit and the timeout of a remote file are
// settings of every file-backed kv store (issue 14 finding 6: neither
// could be set in the config).
func TestFetchSettings(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/big.txt", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("line\n", 100)))
	})
	mux.HandleFunc("/hang.txt", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	for _, typ := range []string{"text_file", "json_file", "csv_file", "mmdb"} {
		settings := func(file string, extra map[string]any) map[string]any {
			s := map[string]any{"file": srv.URL + file}
			if typ == "csv_file" {
				s["column"] = "a"
			}
			for k, v := range extra {
				s[k] = v
			}
			return s
		}
		_, err := kvstore.New(ctx, nil, weir.Config{Type: typ, Settings: settings("/big.txt", map[string]any{"max_size": 100})})
		assert.ErrorIs(t, err, weir.ErrTooLarge, typ)
		assert.ErrorContains(t, err, "max_size", typ)

		_, err = kvstore.New(ctx, nil, weir.Config{Type: typ, Settings: settings("/hang.txt", map[string]any{"timeout": "50ms"})})
		assert.ErrorIs(t, err, context.DeadlineExceeded, typ)

		for _, bad := range []map[string]any{{"max_size": -1}, {"timeout": "soon"}, {"timeout": "-1s"}} {
			_, err = kvstore.New(ctx, nil, weir.Config{Type: typ, Settings: settings("/big.txt", bad)})
			assert.ErrorIs(t, err, weir.ErrInvalidConfig, "%s %v", typ, bad)
		}
	}
	// Within the limit the file loads.
	st, err := kvstore.New(ctx, nil, weir.Config{Type: "text_file", Settings: map[string]any{"file": srv.URL + "/big.txt", "max_size": 500}})
	require.NoError(t, err)
	v, ok, err := st.Get(ctx, "line")
	require.NoError(t, err)
	assert.True(t, ok)
	_ = v
}
