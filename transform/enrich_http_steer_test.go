package transform_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/transform"
)

// seen is a loopback server that records what reached it.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	srv  *httptest.Server
}

func newSeen(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *seen {
	s := &seen{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		if handle != nil {
			handle(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *seen) all() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

func httpGet(t *testing.T, settings map[string]any) (transform.Transformer, error) {
	t.Helper()
	return transform.New(context.Background(), weir.Config{Type: "enrich_http_get", Settings: settings})
}

// TestEnrichHTTPDataCannotSteer: the reproductions of issue 14 finding 4.
// Event data put into a URL template stays in its place — one path
// segment, or one query value — cannot pick the host unless a setting
// allows it, credentials do not follow a redirect to another origin, and
// allowed_hosts keeps requests and redirects on the hosts it lists.
func TestEnrichHTTPDataCannotSteer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("path segment", func(t *testing.T) {
		t.Parallel()
		srv := newSeen(t, nil)
		tf, err := httpGet(t, map[string]any{
			"object": map[string]any{"source_key": "ip", "target_key": "r"},
			"url":    srv.srv.URL + "/ip/${DATA}?format=json",
		})
		require.NoError(t, err)
		for in, want := range map[string]string{
			"../../admin/delete":       "/ip/..%2F..%2Fadmin%2Fdelete?format=json",
			"x?format=xml&admin=true#": "/ip/x%3Fformat=xml&admin=true%23?format=json",
			"..":                       "/ip/%2E%2E?format=json",
			"1.2.3.4":                  "/ip/1.2.3.4?format=json",
		} {
			before := len(srv.all())
			msg := weir.NewMessage(nil)
			require.NoError(t, msg.Set("ip", in))
			_, err := tf.Transform(ctx, msg)
			require.NoError(t, err, in)
			reqs := srv.all()
			require.Len(t, reqs, before+1)
			r := reqs[before]
			assert.Equal(t, want, r.RequestURI, in)
			assert.Equal(t, "format=json", r.URL.RawQuery, "the template's query stays: %s", in)
			assert.True(t, strings.HasPrefix(r.URL.Path, "/ip/"), in)
		}
	})

	t.Run("query value", func(t *testing.T) {
		t.Parallel()
		srv := newSeen(t, nil)
		tf, err := httpGet(t, map[string]any{
			"object": map[string]any{"source_key": "ip", "target_key": "r"},
			"url":    srv.srv.URL + "/q?ip=${DATA}&format=json",
		})
		require.NoError(t, err)
		msg := weir.NewMessage([]byte(`{"ip":"1 2&admin=true#x"}`))
		_, err = tf.Transform(ctx, msg)
		require.NoError(t, err)
		reqs := srv.all()
		require.Len(t, reqs, 1)
		q := reqs[0].URL.Query()
		assert.Equal(t, "1 2&admin=true#x", q.Get("ip"))
		assert.Equal(t, "json", q.Get("format"))
		assert.False(t, q.Has("admin"))
	})

	t.Run("host", func(t *testing.T) {
		t.Parallel()
		srv := newSeen(t, nil)
		for _, url := range []string{"http://${DATA}/x", "${DATA}/x", "http://127.0.0.1:${DATA}/x", "http${DATA}://h/x"} {
			_, err := httpGet(t, map[string]any{"object": map[string]any{"source_key": "h"}, "url": url})
			assert.ErrorIs(t, err, weir.ErrInvalidConfig, url)
			assert.ErrorContains(t, err, "allow_data_in_host", url)
		}
		tf, err := httpGet(t, map[string]any{
			"object": map[string]any{"source_key": "h", "target_key": "r"},
			"url":    "http://${DATA}/x", "allow_data_in_host": true,
		})
		require.NoError(t, err)
		msg := weir.NewMessage(nil)
		require.NoError(t, msg.Set("h", strings.TrimPrefix(srv.srv.URL, "http://")))
		_, err = tf.Transform(ctx, msg)
		require.NoError(t, err)
		assert.Len(t, srv.all(), 1)
	})

	t.Run("redirect", func(t *testing.T) {
		t.Parallel()
		other := newSeen(t, nil)
		var home *seen
		home = newSeen(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/away":
				http.Redirect(w, r, other.srv.URL+"/land", http.StatusFound)
			case "/same":
				http.Redirect(w, r, home.srv.URL+"/land", http.StatusFound)
			default:
				_, _ = w.Write([]byte(`{"ok":true}`))
			}
		})
		settings := func(path string, allowed ...any) map[string]any {
			s := map[string]any{
				"object":  map[string]any{"target_key": "r"},
				"url":     strings.Replace(home.srv.URL, "http://", "http://user:pw@", 1) + path,
				"headers": map[string]any{"Authorization": "Bearer tok", "X-Api-Key": "key"},
			}
			if allowed != nil {
				s["allowed_hosts"] = allowed
			}
			return s
		}
		tf, err := httpGet(t, settings("/away"))
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
		require.NoError(t, err)
		got := other.all()
		require.Len(t, got, 1, "the redirect to another port is followed")
		assert.Empty(t, got[0].Header.Get("Authorization"), "no credentials to another origin")
		assert.Empty(t, got[0].Header.Get("X-Api-Key"))

		tf, err = httpGet(t, settings("/same"))
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
		require.NoError(t, err)
		reqs := home.all()
		last := reqs[len(reqs)-1]
		assert.Equal(t, "/land", last.URL.Path)
		assert.Equal(t, "Bearer tok", last.Header.Get("Authorization"), "same origin keeps them")
		assert.Equal(t, "key", last.Header.Get("X-Api-Key"))

		// allowed_hosts: a redirect off the list is refused before it goes.
		homeHost := strings.TrimPrefix(home.srv.URL, "http://")
		tf, err = httpGet(t, settings("/away", homeHost))
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
		assert.ErrorIs(t, err, enrich.ErrHostNotAllowed)
		assert.Len(t, other.all(), 1, "nothing more reached the other host")
	})

	t.Run("allowed hosts", func(t *testing.T) {
		t.Parallel()
		allowed, denied := newSeen(t, nil), newSeen(t, nil)
		tf, err := httpGet(t, map[string]any{
			"object":             map[string]any{"source_key": "u", "target_key": "r"},
			"url":                "http://${DATA}/x",
			"allow_data_in_host": true,
			"allowed_hosts":      []any{strings.TrimPrefix(allowed.srv.URL, "http://")},
		})
		require.NoError(t, err)
		for _, srv := range []*seen{allowed, denied} {
			msg := weir.NewMessage(nil)
			require.NoError(t, msg.Set("u", strings.TrimPrefix(srv.srv.URL, "http://")))
			_, err = tf.Transform(ctx, msg)
			if srv == denied {
				assert.ErrorIs(t, err, enrich.ErrHostNotAllowed)
			} else {
				assert.NoError(t, err)
			}
		}
		assert.Len(t, allowed.all(), 1)
		assert.Empty(t, denied.all())
		// A name matches any port.
		tf, err = httpGet(t, map[string]any{"url": allowed.srv.URL + "/y", "allowed_hosts": []any{"127.0.0.1"},
			"object": map[string]any{"target_key": "r"}})
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
		assert.NoError(t, err)
	})
}
