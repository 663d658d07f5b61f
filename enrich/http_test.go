package enrich

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
)

// sleeps records backoff waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// statusServer answers with codes in turn (the last one repeats) and
// counts requests.
func statusServer(t *testing.T, body string, codes ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		code := codes[min(i, len(codes)-1)]
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestHTTPStatusAndRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		codes     []int
		retries   int
		wantErr   int // status of the StatusError, 0 for none
		wantCalls int64
	}{
		{"ok", []int{200}, 0, 0, 1},
		{"503 then ok", []int{503, 503, 200}, 0, 0, 3},
		{"429 then ok", []int{429, 201}, 0, 0, 2},
		{"404 not retried", []int{404}, 0, 404, 1},
		{"400 not retried", []int{400}, 5, 400, 1},
		{"500 exhausts default retries", []int{500}, 0, 500, 4},
		{"500 with 1 retry", []int{500}, 1, 500, 2},
		{"500 never retried", []int{500}, -1, 500, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := statusServer(t, `{"a":1}`, tt.codes...)
			var s sleeps
			h, err := NewHTTP(HTTPConfig{Client: srv.Client(), MaxRetries: tt.retries, Sleep: s.sleep,
				BaseDelay: 10 * time.Millisecond, MaxDelay: 25 * time.Millisecond})
			require.NoError(t, err)
			b, err := h.Get(context.Background(), srv.URL+"/x")
			assert.Equal(t, tt.wantCalls, calls.Load())
			assert.Len(t, s.d, int(tt.wantCalls)-1)
			for i, d := range s.d {
				assert.GreaterOrEqual(t, d, time.Duration(0))
				assert.Less(t, d, min(25*time.Millisecond, 10*time.Millisecond<<i))
			}
			if tt.wantErr == 0 {
				require.NoError(t, err)
				assert.Equal(t, `{"a":1}`, string(b))
				return
			}
			var se *StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.wantErr, se.StatusCode)
			assert.Equal(t, `{"a":1}`, string(se.Body))
			assert.Equal(t, retryableStatus(tt.wantErr), se.Retryable())
		})
	}
}

func TestHTTPNetworkErrorRetried(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close() // no response at all
			}
			return
		}
		_, _ = io.WriteString(w, "pong")
	}))
	defer srv.Close()
	var s sleeps
	h, err := NewHTTP(HTTPConfig{Client: srv.Client(), Sleep: s.sleep})
	require.NoError(t, err)
	b, err := h.Get(context.Background(), srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "pong", string(b))
	assert.Equal(t, int64(3), n.Load())
	assert.Len(t, s.d, 2)
}

func TestHTTPHeadersAndPost(t *testing.T) {
	t.Parallel()
	type seen struct{ method, auth, trace, body string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.Header.Get("Authorization"), r.Header.Get("X-Trace"), string(b)}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	secret := "s3cr3t"
	h, err := NewHTTP(HTTPConfig{
		Client:  srv.Client(),
		Headers: []Header{{Key: "Authorization", Value: "Bearer ${SECRET:tok}"}, {Key: "X-Trace", Value: "1"}},
		Interpolate: func(s string) (string, error) {
			return strings.ReplaceAll(s, "${SECRET:tok}", secret), nil
		},
	})
	require.NoError(t, err)
	_, err = h.Post(context.Background(), srv.URL, []byte(`{"q":1}`))
	require.NoError(t, err)
	assert.Equal(t, seen{"POST", "Bearer s3cr3t", "1", `{"q":1}`}, <-got)

	bad, err := NewHTTP(HTTPConfig{Client: srv.Client(), Headers: []Header{{Key: "A", Value: "${SECRET:x}"}},
		Interpolate: func(string) (string, error) { return "", errors.New("secret not found") }})
	require.NoError(t, err)
	_, err = bad.Get(context.Background(), srv.URL)
	assert.ErrorContains(t, err, "secret not found")
}

func TestHTTPCache(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %s %s", n.Add(1), r.URL.Path, b)
	}))
	defer srv.Close()
	h, err := NewHTTP(HTTPConfig{Client: srv.Client(), Cache: cache.NewMemory(cache.MemoryConfig{})})
	require.NoError(t, err)
	ctx := context.Background()
	for range 3 {
		b, err := h.Get(ctx, srv.URL+"/a")
		require.NoError(t, err)
		assert.Equal(t, "1 /a ", string(b))
	}
	assert.Equal(t, int64(1), n.Load(), "cache hits send no request")
	b, err := h.Post(ctx, srv.URL+"/a", []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, "2 /a x", string(b))
	b, err = h.Post(ctx, srv.URL+"/a", []byte("y"))
	require.NoError(t, err)
	assert.Equal(t, "3 /a y", string(b))
	b, err = h.Post(ctx, srv.URL+"/a", []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, "2 /a x", string(b))
	assert.Equal(t, int64(3), n.Load())

	// Errors are not cached.
	srv404, calls := statusServer(t, "no", 404)
	h, err = NewHTTP(HTTPConfig{Client: srv404.Client(), Cache: cache.NewMemory(cache.MemoryConfig{})})
	require.NoError(t, err)
	for range 2 {
		_, err = h.Get(ctx, srv404.URL)
		require.Error(t, err)
	}
	assert.Equal(t, int64(2), calls.Load())
}

func TestHTTPRateLimit(t *testing.T) {
	t.Parallel()
	srv, calls := statusServer(t, "ok", 200)
	h, err := NewHTTP(HTTPConfig{Client: srv.Client(), RateLimit: 50, Burst: 1})
	require.NoError(t, err)
	start := time.Now()
	for range 6 {
		_, err := h.Get(context.Background(), srv.URL)
		require.NoError(t, err)
	}
	// 6 requests at 50/s with a burst of 1: the last waits ≥ 5 × 20 ms.
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)
	assert.Equal(t, int64(6), calls.Load())

	// A context that ends while waiting for the limiter.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	slow, err := NewHTTP(HTTPConfig{Client: srv.Client(), RateLimit: 0.01, Burst: 1})
	require.NoError(t, err)
	_, err = slow.Get(context.Background(), srv.URL) // takes the burst (no deadline: a busy machine may take its time)
	require.NoError(t, err)
	_, err = slow.Get(ctx, srv.URL)
	assert.Error(t, err)
}

func TestHTTPMaxResponseSize(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 2048)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		_, _ = io.WriteString(w, big)
	}))
	defer srv.Close()
	h, err := NewHTTP(HTTPConfig{Client: srv.Client(), MaxResponseSize: 1024})
	require.NoError(t, err)
	for _, path := range []string{"/length", "/chunked"} {
		_, err = h.Get(context.Background(), srv.URL+path)
		assert.ErrorIs(t, err, weir.ErrTooLarge, path)
	}
	h, err = NewHTTP(HTTPConfig{Client: srv.Client(), MaxResponseSize: 2048})
	require.NoError(t, err)
	b, err := h.Get(context.Background(), srv.URL+"/chunked")
	require.NoError(t, err)
	assert.Len(t, b, 2048)
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	// Attempts are counted as the client sends them, so the count does not
	// depend on whether a request that timed out reached the server.
	var n atomic.Int64
	client := srv.Client()
	client.Transport = countingTransport{n: &n, next: client.Transport}

	var s sleeps
	h, err := NewHTTP(HTTPConfig{Client: client, Timeout: 20 * time.Millisecond, MaxRetries: 1, Sleep: s.sleep})
	require.NoError(t, err)
	_, err = h.Get(context.Background(), srv.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(2), n.Load(), "an attempt that timed out is retried")

	// The caller's context ending is not retried.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	h, err = NewHTTP(HTTPConfig{Client: client, Timeout: -1, Sleep: s.sleep})
	require.NoError(t, err)
	_, err = h.Get(ctx, srv.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(3), n.Load())
}

// countingTransport counts the requests it sends.
type countingTransport struct {
	n    *atomic.Int64
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestNewHTTPRejects(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]HTTPConfig{
		"negative rate":  {RateLimit: -1},
		"negative burst": {Burst: -1},
		"negative delay": {BaseDelay: -1},
		"negative size":  {MaxResponseSize: -1},
		"negative ttl":   {CacheTTL: -1},
		"empty header":   {Headers: []Header{{Value: "x"}}},
	} {
		_, err := NewHTTP(cfg)
		assert.Error(t, err, name)
	}
}

// TestHTTPNoLeak is not parallel: it checks that an HTTP with a client of
// its own leaves no goroutine behind once closed.
func TestHTTPNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, _ := statusServer(t, "ok", 200)
	h, err := NewHTTP(HTTPConfig{})
	require.NoError(t, err)
	_, err = h.Get(context.Background(), srv.URL)
	require.NoError(t, err)
	require.NoError(t, h.Close())
	srv.Close()
}
