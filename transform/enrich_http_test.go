package transform_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/transform"
)

// httpAPI is a test API: /json/<x> answers pretty JSON about x, /text/<x>
// plain text, /status/<code> that status, /echo the request body and the
// Authorization header; it counts requests.
func httpAPI(t testing.TB) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /json/{x}", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.WriteString(w, "{\n  \"ip\": \""+r.PathValue("x")+"\",\n  \"score\": 7\n}\n")
	})
	mux.HandleFunc("GET /text/{x}", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.WriteString(w, "hello "+r.PathValue("x"))
	})
	mux.HandleFunc("GET /scalar", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.WriteString(w, " 42 ")
	})
	mux.HandleFunc("GET /status/{code}", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		code := 500
		_ = json.Unmarshal([]byte(r.PathValue("code")), &code)
		w.WriteHeader(code)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		b, _ := io.ReadAll(r.Body)
		out, _ := json.Marshal(map[string]string{"method": r.Method, "body": string(b), "auth": r.Header.Get("Authorization")})
		_, _ = w.Write(out)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestEnrichHTTPGet(t *testing.T) {
	t.Parallel()
	srv, _ := httpAPI(t)
	tests := []struct {
		name     string
		settings map[string]any
		in, want string
	}{
		{"json to target", map[string]any{"object": map[string]any{"source_key": "ip", "target_key": "intel"}, "url": srv.URL + "/json/${DATA}"},
			`{"ip":"10.0.0.1"}`, `{"ip":"10.0.0.1","intel":{"ip":"10.0.0.1","score":7}}`},
		{"text to target", map[string]any{"object": map[string]any{"source_key": "name", "target_key": "greeting"}, "url": srv.URL + "/text/${DATA}"},
			`{"name":"bob"}`, `{"name":"bob","greeting":"hello bob"}`},
		{"json scalar is a string", map[string]any{"object": map[string]any{"target_key": "n"}, "url": srv.URL + "/scalar"},
			`{}`, `{"n":"42"}`},
		{"missing source passes", map[string]any{"object": map[string]any{"source_key": "ip", "target_key": "intel"}, "url": srv.URL + "/json/${DATA}"},
			`{"other":1}`, `{"other":1}`},
		{"whole data replaced", map[string]any{"url": srv.URL + "/json/${DATA}"},
			`1.2.3.4`, `{"ip":"1.2.3.4","score":7}`},
		{"no template ignores source", map[string]any{"object": map[string]any{"source_key": "ip", "target_key": "t"}, "url": srv.URL + "/text/fixed"},
			`{}`, `{"t":"hello fixed"}`},
		{"headers as list with secret", map[string]any{"object": map[string]any{"target_key": "r"}, "url": srv.URL + "/echo",
			"headers": []any{map[string]any{"key": "Authorization", "value": "Bearer ${SECRET:tok}"}}},
			`{}`, `{"r":{"auth":"Bearer t0k3n","body":"","method":"GET"}}`},
		{"headers as map with secret", map[string]any{"object": map[string]any{"target_key": "r"}, "url": srv.URL + "/echo",
			"headers": map[string]any{"Authorization": "Basic ${SECRET:tok}"}},
			`{}`, `{"r":{"auth":"Basic t0k3n","body":"","method":"GET"}}`},
		{"secret in url", map[string]any{"object": map[string]any{"target_key": "t"}, "url": srv.URL + "/text/${SECRET:tok}"},
			`{}`, `{"t":"hello t0k3n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secrets := &transform.Secrets{}
			secrets.Set("tok", "t0k3n")
			ctx := context.Background()
			tf, err := (&transform.Env{Secrets: secrets}).New(ctx, weir.Config{Type: "enrich_http_get", Settings: tt.settings})
			require.NoError(t, err)
			out, err := tf.Transform(ctx, weir.NewMessage([]byte(tt.in)))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))

			ctl := weir.NewControl()
			out, err = tf.Transform(ctx, ctl)
			require.NoError(t, err)
			assert.Equal(t, []*weir.Message{ctl}, out)
		})
	}
}

func TestEnrichHTTPPost(t *testing.T) {
	t.Parallel()
	srv, n := httpAPI(t)
	ctx := context.Background()
	tf, err := transform.New(ctx, weir.Config{Type: "enrich_http_post", Settings: map[string]any{
		"object": map[string]any{"body_key": "event", "target_key": "r"}, "url": srv.URL + "/echo"}})
	require.NoError(t, err)
	out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"event":{"a":1}}`)))
	require.NoError(t, err)
	assert.Equal(t, `{"event":{"a":1},"r":{"auth":"","body":"{\"a\":1}","method":"POST"}}`, string(out[0].Data()))

	// A missing body passes unchanged with no request; no target key drops
	// the response.
	before := n.Load()
	out, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"x":1}`)))
	require.NoError(t, err)
	assert.Equal(t, `{"x":1}`, string(out[0].Data()))
	assert.Equal(t, before, n.Load())

	tf, err = transform.New(ctx, weir.Config{Type: "enrich_http_post", Settings: map[string]any{
		"object": map[string]any{"body_key": "event"}, "url": srv.URL + "/echo"}})
	require.NoError(t, err)
	out, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"event":"s"}`)))
	require.NoError(t, err)
	assert.Equal(t, `{"event":"s"}`, string(out[0].Data()))
	assert.Equal(t, before+1, n.Load())
}

func TestEnrichHTTPErrors(t *testing.T) {
	t.Parallel()
	srv, n := httpAPI(t)
	ctx := context.Background()
	tf, err := transform.NewEnrichHTTPGet(ctx, nil, transform.EnrichHTTPGetConfig{
		Object: transform.ObjectSettings{SourceKey: "code", TargetKey: "r"},
		URL:    srv.URL + "/status/${DATA}",
		ID:     "lookup",
		Options: enrich.HTTPConfig{
			MaxRetries: 2,
			Sleep:      func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		},
	})
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"code":503}`)))
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "enrich_http_get", te.Type)
	assert.Equal(t, "lookup", te.ID)
	var se *enrich.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.StatusCode)
	assert.Equal(t, int64(3), n.Load())

	// A secret that is not set fails the message, not construction.
	tf2, err := transform.New(ctx, weir.Config{Type: "enrich_http_get", Settings: map[string]any{
		"url": srv.URL + "/text/x", "headers": map[string]any{"A": "${SECRET:nope}"}}})
	require.NoError(t, err)
	_, err = tf2.Transform(ctx, weir.NewMessage([]byte(`{}`)))
	assert.True(t, errors.Is(err, transform.ErrSecretNotFound), "%v", err)
}

func TestEnrichHTTPCache(t *testing.T) {
	t.Parallel()
	srv, n := httpAPI(t)
	ctx := context.Background()
	tf, err := transform.NewEnrichHTTPGet(ctx, nil, transform.EnrichHTTPGetConfig{
		Object:  transform.ObjectSettings{SourceKey: "ip", TargetKey: "intel"},
		URL:     srv.URL + "/json/${DATA}",
		Options: enrich.HTTPConfig{Cache: cache.NewMemory(cache.MemoryConfig{})},
	})
	require.NoError(t, err)
	for _, ip := range []string{"a", "b", "a", "a", "b"} {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"ip":"`+ip+`"}`)))
		require.NoError(t, err)
		assert.Equal(t, `{"ip":"`+ip+`","intel":{"ip":"`+ip+`","score":7}}`, string(out[0].Data()))
	}
	assert.Equal(t, int64(2), n.Load())
}

func TestEnrichHTTPConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ      string
		settings map[string]any
		field    string
	}{
		{"enrich_http_get", map[string]any{}, "url"},
		{"enrich_http_post", map[string]any{"url": "http://x"}, "object.body_key"},
		{"enrich_http_get", map[string]any{"url": "http://x", "request": map[string]any{"timeout": "soon"}}, "request.timeout"},
		{"enrich_http_get", map[string]any{"url": "http://x", "request": map[string]any{"timeout": "-1s"}}, "request.timeout"},
		{"enrich_http_get", map[string]any{"url": "http://x", "headers": []any{map[string]any{"value": "v"}}}, "headers"},
		{"enrich_http_get", map[string]any{"url": "http://x", "nope": 1}, "nope"},
	}
	for _, tt := range tests {
		_, err := transform.New(context.Background(), weir.Config{Type: tt.typ, Settings: tt.settings})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, "%v", tt.settings)
		assert.Contains(t, ce.Field, tt.field)
	}
	_, err := transform.New(context.Background(), weir.Config{Type: "enrich_http_get", Settings: map[string]any{"url": "http://x", "headers": 3}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

// TestEnrichHTTPNoLeak is not parallel: a transform built from settings
// (with a client of its own) leaves no goroutine behind once closed.
func TestEnrichHTTPNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, _ := httpAPI(t)
	ctx := context.Background()
	tf, err := transform.New(ctx, weir.Config{Type: "enrich_http_get", Settings: map[string]any{
		"object": map[string]any{"source_key": "ip", "target_key": "intel"}, "url": srv.URL + "/json/${DATA}"}})
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"ip":"x"}`)))
	require.NoError(t, err)
	c, ok := tf.(io.Closer)
	require.True(t, ok)
	require.NoError(t, c.Close())
	srv.Close()
}

// BenchmarkEnrichHTTPGet enriches one event per op from a loopback API (no
// cache): the cost of a real round trip through enrich_http_get.
func BenchmarkEnrichHTTPGet(b *testing.B) {
	srv, _ := httpAPI(b)
	tf, err := transform.New(context.Background(), weir.Config{Type: "enrich_http_get", Settings: map[string]any{
		"object": map[string]any{"source_key": "ip", "target_key": "intel"}, "url": srv.URL + "/json/${DATA}",
	}})
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"ip":"10.0.0.1"}`))); err != nil {
			b.Fatal(err)
		}
	}
}
