package transform_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/transformtest"
)

// collector is an HTTP endpoint that keeps every body it accepts.
type collector struct {
	mu     sync.Mutex
	bodies []string
	auth   []string
	// fail, if set, answers a request with this status instead.
	fail func(n int64) int
	n    atomic.Int64
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.n.Add(1)
	b, _ := io.ReadAll(r.Body)
	if c.fail != nil {
		if st := c.fail(n); st != 0 {
			w.WriteHeader(st)
			return
		}
	}
	c.mu.Lock()
	c.bodies = append(c.bodies, string(b))
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	c.mu.Unlock()
}

func TestSendHTTPPost(t *testing.T) {
	t.Parallel()
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	env := &transform.Env{Transforms: transform.Builtins(), Secrets: &transform.Secrets{}}
	env.Secrets.Set("tok", "s3cr3t")
	ctx := context.Background()
	tf, err := env.New(ctx, weir.Config{Type: "send_http_post", Settings: map[string]any{
		"url":                  srv.URL + "/in",
		"headers":              map[string]any{"Authorization": "Bearer ${SECRET:tok}"},
		"batch":                map[string]any{"count": 2},
		"auxiliary_transforms": []any{map[string]any{"type": "aggregate_to_array"}},
	}})
	require.NoError(t, err)
	defer tf.(interface{ Close() error }).Close()
	for i := range 5 {
		msg := weir.NewMessage([]byte(fmt.Sprintf(`{"n":%d}`, i)))
		out, err := tf.Transform(ctx, msg)
		require.NoError(t, err)
		assert.Equal(t, []*weir.Message{msg}, out)
	}
	_, err = tf.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	assert.Equal(t, []string{`[{"n":0},{"n":1}]`, `[{"n":2},{"n":3}]`, `[{"n":4}]`}, col.bodies)
	assert.Equal(t, []string{"Bearer s3cr3t", "Bearer s3cr3t", "Bearer s3cr3t"}, col.auth)
}

func TestSendHTTPPostConfig(t *testing.T) {
	t.Parallel()
	_, err := transform.NewSendHTTPPost(nil, transform.SendHTTPPostConfig{})
	assert.ErrorIs(t, err, weir.ErrMissingSetting)
	_, err = transform.NewSendHTTPPost(nil, transform.SendHTTPPostConfig{URL: "http://127.0.0.1:1", Retry: weir.RetrySettings{Delay: "x"}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

// TestSendHTTPPostFaults sends 100,000 events, as JSON arrays of 100
// (aggregate_to_array among the auxiliary transforms), to a server that
// answers some requests with 503 (retried), refuses some for good (400)
// and stops answering from some point on: delivered plus reported events
// (transform.Undelivered) equals sent, and no event is both.
func TestSendHTTPPostFaults(t *testing.T) {
	t.Parallel()
	const n = 100_000
	var stopped atomic.Bool
	col := &collector{fail: func(k int64) int {
		switch {
		case stopped.Load():
			return http.StatusServiceUnavailable
		case k%37 == 0:
			return http.StatusBadRequest // not retried
		case k%7 == 0:
			return http.StatusServiceUnavailable // retried
		}
		return 0
	}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	agg, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{})
	require.NoError(t, err)
	tf, err := transform.NewSendHTTPPost(nil, transform.SendHTTPPostConfig{URL: srv.URL, Batch: transform.BatchSettings{Count: 100},
		AuxTransforms: []transform.Transformer{agg}, Retry: weir.RetrySettings{Count: 3, Delay: "0s"}})
	require.NoError(t, err)
	defer tf.Close()
	ctx := context.Background()
	var reportedIDs []int64
	inItems := 0 // events in the failed items (JSON arrays)
	report := func(err error) {
		// The messages reported undelivered: those of the failed items,
		// and each message that started the batch after a failed one.
		lost, partial := transform.Undelivered(err)
		assert.False(t, partial, "every item of a batch is one array")
		for _, d := range lost {
			reportedIDs = append(reportedIDs, gjson.GetBytes(d, "i").Int())
		}
		for _, f := range failed(err) {
			inItems += len(gjson.ParseBytes(f.Data).Array())
		}
	}
	for i := range n {
		if i == n*9/10 {
			stopped.Store(true)
		}
		_, err := tf.Transform(ctx, weir.NewMessage([]byte(fmt.Sprintf(`{"i":%d}`, i))))
		report(err)
	}
	_, err = tf.Transform(ctx, weir.NewControl())
	report(err)
	seen := map[int64]bool{}
	delivered := 0
	for _, b := range col.bodies {
		for _, e := range gjson.Parse(b).Array() {
			seen[e.Get("i").Int()] = true
			delivered++
		}
	}
	for _, id := range reportedIDs {
		assert.False(t, seen[id], "event %d reported and delivered", id)
	}
	t.Logf("sent %d: delivered %d + reported %d (%d requests)", n, delivered, len(reportedIDs), col.n.Load())
	assert.Equal(t, n, delivered+len(reportedIDs), "delivered + reported = sent")
	assert.Equal(t, delivered, len(seen), "no duplicates")
	assert.Greater(t, len(reportedIDs), n/10)
	assert.LessOrEqual(t, inItems, len(reportedIDs))
}

// failed returns the items the SendErrors in err name.
func failed(err error) []transform.FailedItem {
	if err == nil {
		return nil
	}
	if se, ok := err.(*transform.SendError); ok {
		return se.Failed
	}
	var out []transform.FailedItem
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, failed(e)...)
		}
	case interface{ Unwrap() error }:
		out = append(out, failed(u.Unwrap())...)
	}
	return out
}

func TestSendHTTPPostContract(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&collector{})
	defer srv.Close()
	transformtest.Run(t, func() (transform.Transformer, error) {
		return transform.NewSendHTTPPost(nil, transform.SendHTTPPostConfig{URL: srv.URL, Batch: transform.BatchSettings{Count: 10}})
	}, transformtest.Options{Inputs: [][]byte{[]byte(`{"a":1}`), []byte(strings.Repeat("x", 100))}, SkipLarge: true})
}

// BenchmarkSendHTTPPost posts events in JSON arrays of 100
// (aggregate_to_array) to an httptest server, one event per op.
func BenchmarkSendHTTPPost(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	agg, err := transform.NewAggregateToArray(transform.AggregateToArrayConfig{})
	require.NoError(b, err)
	tf, err := transform.NewSendHTTPPost(nil, transform.SendHTTPPostConfig{URL: srv.URL, Batch: transform.BatchSettings{Count: 100},
		AuxTransforms: []transform.Transformer{agg}})
	require.NoError(b, err)
	defer tf.Close()
	ctx := context.Background()
	event := []byte(`{"eventName":"GetObject","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.13.0"}`)
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(event)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tf.Transform(ctx, weir.NewControl()); err != nil {
		b.Fatal(err)
	}
}

// TestSendHTTPPostAttempts: the error of a batch that fails after retries
// says how many requests were made for it.
func TestSendHTTPPostAttempts(t *testing.T) {
	t.Parallel()
	col := &collector{fail: func(int64) int { return http.StatusServiceUnavailable }}
	srv := httptest.NewServer(col)
	defer srv.Close()
	ctx := context.Background()
	tf, err := transform.Builtins().New(ctx, weir.Config{Type: "send_http_post", Settings: map[string]any{
		"url":   srv.URL,
		"retry": map[string]any{"count": 3, "delay": "1ms", "max_delay": "1ms"},
	}})
	require.NoError(t, err)
	defer tf.(interface{ Close() error }).Close()
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewControl())
	var se *transform.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 4, se.Attempts, "one request and three retries")
	assert.Equal(t, int64(4), col.n.Load())
	assert.Contains(t, err.Error(), "after 4 attempts")
}
