package transform_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/transform"
)

// TestNoSecretInErrors: no resolved ${SECRET:...} value — nor a URL's
// password — appears in the error of any transform that takes secret
// references (enrich_http_get and enrich_http_post: URL and headers), for
// every way a request fails: a status (whose server echoes the URL in its
// body), a URL that does not parse, a refused connection, a response too
// large. The promise is in transform.Secrets.Redact's doc.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/err", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "not found: "+r.URL.String()+" auth="+r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	// Port 0, where nothing can listen: the connection is refused. (A port
	// freed by closing a listener may be taken by another process before
	// the dial.)
	const closed = "127.0.0.1:0"

	secrets := map[string]string{
		"plain":  "TOPSECRET123",
		"quoted": `TOP"SE\CRET`,
		"spaced": "TOP SECRET&x=1",
	}
	cases := []struct {
		name, url string
		headers   map[string]any
		maxSize   int64
	}{
		{"status, secret in query", srv.URL + "/err?apikey=${SECRET:plain}", nil, 0},
		{"status, secret in path", srv.URL + "/err/${SECRET:plain}/x", nil, 0},
		{"status, secret as password", "http://user:${SECRET:plain}@" + host + "/err", nil, 0},
		{"status, secret in header", srv.URL + "/err", map[string]any{"Authorization": "Bearer ${SECRET:plain}"}, 0},
		{"url parse error", srv.URL + "/%zz?apikey=${SECRET:plain}", nil, 0},
		{"url parse error, quoted secret", srv.URL + "/%zz?apikey=${SECRET:quoted}", nil, 0},
		{"url parse error, password", "http://user:${SECRET:plain}@" + host + "/%zz", nil, 0},
		{"dial error", "http://" + closed + "/x?apikey=${SECRET:plain}", nil, 0},
		{"dial error, spaced secret", "http://" + closed + "/x?apikey=${SECRET:spaced}", nil, 0},
		{"too large", srv.URL + "/big?apikey=${SECRET:plain}", nil, 10},
	}
	for _, typ := range []string{"enrich_http_get", "enrich_http_post"} {
		for _, tc := range cases {
			t.Run(typ+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				s := &transform.Secrets{}
				for id, v := range secrets {
					s.Set(id, v)
				}
				env := &transform.Env{Secrets: s}
				opts := enrich.HTTPConfig{MaxRetries: -1, MaxResponseSize: tc.maxSize}
				var hdrs transform.HTTPHeaders
				for k, v := range tc.headers {
					hdrs = append(hdrs, enrich.Header{Key: k, Value: v.(string)})
				}
				var (
					tf  transform.Transformer
					err error // the subtests run in parallel: not the outer err
				)
				if typ == "enrich_http_get" {
					tf, err = transform.NewEnrichHTTPGet(ctx, env, transform.EnrichHTTPGetConfig{
						Object: transform.ObjectSettings{TargetKey: "r"}, URL: tc.url, Headers: hdrs, Options: opts})
				} else {
					tf, err = transform.NewEnrichHTTPPost(ctx, env, transform.EnrichHTTPPostConfig{
						Object: transform.EnrichHTTPPostObject{BodyKey: "b", TargetKey: "r"}, URL: tc.url, Headers: hdrs, Options: opts})
				}
				require.NoError(t, err)
				_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"b":"body"}`)))
				require.Error(t, err)
				text := err.Error()
				for id, v := range secrets {
					assert.NotContains(t, text, v, "secret %s", id)
				}
				assert.NotContains(t, text, "TOPSECRET", "no part of the secret")
				assert.NotContains(t, text, "TOP%20SECRET")
				assert.NotContains(t, text, "TOP+SECRET")
				var se *enrich.StatusError
				assert.Equal(t, strings.HasPrefix(tc.name, "status"), errors.As(err, &se), "a *StatusError on a status")
				if se != nil {
					assert.NotContains(t, se.URL, "TOPSECRET")
					assert.NotContains(t, string(se.Body), "TOPSECRET")
				}
				if tc.maxSize > 0 {
					assert.ErrorIs(t, err, weir.ErrTooLarge, "a redacted error still matches its sentinel")
				}
				t.Log(text)
			})
		}
	}
}

func TestSecretsRedact(t *testing.T) {
	t.Parallel()
	var nilSecrets *transform.Secrets
	assert.Equal(t, "abc", nilSecrets.Redact("abc"))
	s := &transform.Secrets{}
	assert.Equal(t, "abc", s.Redact("abc"))
	s.Set("k", "hunter2")
	s.Set("long", "hunter22")
	assert.Equal(t, "x [redacted ${SECRET:k}] y [redacted ${SECRET:long}]", s.Redact("x hunter2 y hunter22"))
	s.Set("k", "rotated")
	assert.Equal(t, "[redacted ${SECRET:k}] [redacted ${SECRET:k}]", s.Redact("hunter2 rotated"),
		"a rotated value is still redacted")
	s.Set("sp", "a b/c")
	assert.Equal(t, "[redacted ${SECRET:sp}] [redacted ${SECRET:sp}] [redacted ${SECRET:sp}]", s.Redact("a b/c a+b%2Fc a%20b%2Fc"))
}
