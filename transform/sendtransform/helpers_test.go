package sendtransform_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
)

// testEnv is an Env whose registry has the built-ins and this package's
// types.
func testEnv() *transform.Env {
	r := transform.Builtins()
	if err := sendtransform.Register(r); err != nil {
		panic(err)
	}
	return &transform.Env{Transforms: r}
}

// setAWSEnv gives clients built from settings static test credentials and
// a region.
func setAWSEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
}

// randName returns a unique resource name with prefix.
func randName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// events returns n distinct JSON events of about size bytes.
func events(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		head := fmt.Sprintf(`{"i":%d,"pad":"`, i)
		pad := max(0, size-len(head)-2)
		out[i] = append(append([]byte(head), bytes.Repeat([]byte{'a' + byte(i%26)}, pad)...), '"', '}')
	}
	return out
}

// sendAll sends msgs through tf and then a control message, and returns
// every error (each Transform call's).
func sendAll(ctx context.Context, t testing.TB, tf transform.Transformer, data [][]byte) []error {
	t.Helper()
	var errs []error
	for _, d := range data {
		msg := weir.NewMessage(d)
		out, err := tf.Transform(ctx, msg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		require.Len(t, out, 1)
		require.Same(t, msg, out[0], "a send passes each message on")
	}
	ctl := weir.NewControl()
	out, err := tf.Transform(ctx, ctl)
	if err != nil {
		errs = append(errs, err)
	} else {
		require.Equal(t, []*weir.Message{ctl}, out)
	}
	return errs
}

// undelivered returns the data of the messages errs report as not
// delivered (transform.Undelivered): to count against what arrived.
func undelivered(t testing.TB, errs []error) [][]byte {
	t.Helper()
	var out [][]byte
	for _, e := range errs {
		data, partial := transform.Undelivered(e)
		require.False(t, partial)
		out = append(out, data...)
	}
	return out
}

// failedItems returns the items every SendError in errs names.
func failedItems(errs []error) []transform.FailedItem {
	var out []transform.FailedItem
	var walk func(error)
	walk = func(err error) {
		var se *transform.SendError
		if errors.As(err, &se) && err == error(se) {
			out = append(out, se.Failed...)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	for _, e := range errs {
		walk(e)
	}
	return out
}

// noSleep skips the backoff's waits.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// faults is an http.RoundTripper that injects failures in front of a real
// server: whole-call throttling answers, dropped responses (the request
// reached the server, the answer is lost), and a stop after which every
// call fails as if the server were gone. A partial hook may rewrite a
// request and its answer (partial failures).
type faults struct {
	next http.RoundTripper

	mu       sync.Mutex
	calls    int
	throttle func(call int) bool // answer 400 ThrottlingException without forwarding
	lose     func(call int) bool // forward, then fail as if the connection broke
	stopAt   int                 // from this call on, fail without forwarding (0: never)
	// partial may change the request body before it is forwarded, and
	// returns a function that rewrites the answer's body.
	partial func(call int, body []byte) ([]byte, func([]byte) []byte)
	// counters
	throttled, lost, stopped int
}

// errStopped is the transport error of a stopped server.
var errStopped = errors.New("injected: connection refused (server stopped)")

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	stop := f.stopAt > 0 && n >= f.stopAt
	thr := !stop && f.throttle != nil && f.throttle(n)
	lose := !stop && !thr && f.lose != nil && f.lose(n)
	switch {
	case stop:
		f.stopped++
	case thr:
		f.throttled++
	case lose:
		f.lost++
	}
	f.mu.Unlock()
	if stop {
		return nil, errStopped
	}
	if thr {
		body := `{"__type":"ThrottlingException","message":"injected"}`
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Errortype": {"ThrottlingException"}},
			Body:   io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body)), Request: req}, nil
	}
	var rewrite func([]byte) []byte
	if f.partial != nil && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		body, rewrite = f.partial(n, body)
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Del("Content-Length")
	}
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if lose {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return nil, errors.New("injected: connection reset after the request was sent")
	}
	if rewrite != nil {
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		b = rewrite(b)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		resp.Header.Del("X-Amz-Crc32")
	}
	return resp, nil
}

// faultEvents is how many events the fault tests send: 100,000, as the
// no-loss requirement states it, or 5,000 with -short.
func faultEvents(t testing.TB) int {
	if testing.Short() {
		return 5000
	}
	return 100_000
}
