package enrich

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHTTPNoPasswordInErrors: the password of a URL's user part is never
// printed, on a status (before, a 404 printed it in full) or on a URL that
// does not parse.
func TestHTTPNoPasswordInErrors(t *testing.T) {
	t.Parallel()
	srv, _ := statusServer(t, "nope", http.StatusNotFound)
	h, err := NewHTTP(HTTPConfig{MaxRetries: -1})
	require.NoError(t, err)
	defer h.Close()
	withPass := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1)
	for _, u := range []string{withPass + "/x", withPass + "/%zz"} {
		_, err = h.Get(context.Background(), u)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
		assert.Contains(t, err.Error(), "user:xxxxx@")
	}
}

func TestStripPassword(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://u:p@h/x":       "http://u:xxxxx@h/x",
		"http://u@h/x":         "http://u@h/x",
		"http://h/x?a=b@c:d":   "http://h/x?a=b@c:d",
		"https://u:p:q@h:80":   "https://u:xxxxx@h:80",
		"no scheme u:p@h":      "no scheme u:p@h",
		"http://u:p@x@h/%zz#f": "http://u:xxxxx@h/%zz#f",
	} {
		assert.Equal(t, want, stripPassword(in), in)
	}
}
