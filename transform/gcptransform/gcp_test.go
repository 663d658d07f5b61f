package gcptransform_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/gcptransform"
	"github.com/weirhq/weir/transform/transformtest"
)

func TestMain(m *testing.M) { testenv.Main(m, false) }

// fakeGCS starts fake-gcs-server's fakestorage on 127.0.0.1 with a
// bucket.
func fakeGCS(t *testing.T, bucket string) *fakestorage.Server {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	return srv
}

// readAll returns the objects of bucket by name, read through the
// server's own API.
func readAll(t *testing.T, srv *fakestorage.Server, bucket string) map[string]fakestorage.Object {
	t.Helper()
	attrs, _, err := srv.ListObjects(bucket, "", "", false)
	require.NoError(t, err)
	out := map[string]fakestorage.Object{}
	for _, a := range attrs {
		o, err := srv.GetObject(bucket, a.Name)
		require.NoError(t, err)
		out[a.Name] = o
	}
	return out
}

// send runs data through a send of cfg and a control message, and returns
// the control message's error.
func send(t *testing.T, cfg gcptransform.SendGCPStorageConfig, data ...string) error {
	t.Helper()
	ctx := context.Background()
	tf, err := gcptransform.NewSendGCPStorage(ctx, cfg)
	require.NoError(t, err)
	defer tf.Close()
	for _, d := range data {
		msg := weir.NewMessage([]byte(d))
		out, err := tf.Transform(ctx, msg)
		require.NoError(t, err)
		assert.Equal(t, []*weir.Message{msg}, out)
	}
	_, err = tf.Transform(ctx, weir.NewControl())
	return err
}

func TestSendGCPStorage(t *testing.T) {
	srv := fakeGCS(t, "weir")
	aux, err := transform.NewAggregateToString(transform.AggregateToStringConfig{Separator: "\n"})
	require.NoError(t, err)
	err = send(t, gcptransform.SendGCPStorageConfig{
		GCP: gcptransform.GCPSettings{Resource: "weir"}, FilePath: transform.FilePath{Prefix: "logs", UUID: true, Suffix: ".jsonl"},
		UseBatchKeyAsPrefix: true, Object: transform.ObjectSettings{BatchKey: "tenant"}, Batch: transform.BatchSettings{Count: 2},
		AuxTransforms: []transform.Transformer{aux}, HTTPClient: srv.HTTPClient(), Endpoint: srv.URL(),
	}, `{"tenant":"a","n":1}`, `{"tenant":"b","n":2}`, `{"tenant":"a","n":3}`, `{"n":4}`)
	require.NoError(t, err)
	got := map[string]string{}
	for k, o := range readAll(t, srv, "weir") {
		prefix, _, _ := strings.Cut(k, "/")
		assert.True(t, strings.HasSuffix(k, ".jsonl"), k)
		// The type Google's Go client sniffs by default, as it did.
		assert.Equal(t, "text/plain; charset=utf-8", o.ContentType, k)
		got[prefix] = string(o.Content)
	}
	assert.Equal(t, map[string]string{
		"a":    `{"tenant":"a","n":1}` + "\n" + `{"tenant":"a","n":3}`,
		"b":    `{"tenant":"b","n":2}`,
		"logs": `{"n":4}`,
	}, got)
}

// TestSendGCPStorageNames checks that object names with spaces, slashes,
// non-ASCII letters and URL metacharacters arrive as they were.
func TestSendGCPStorageNames(t *testing.T) {
	srv := fakeGCS(t, "weir")
	keys := []string{"a b/c d", "ünï/cödé/日本語", "plus+percent%25&amp=x?q#frag", "semi;colon,comma'quote\"~!@$()*"}
	var data []string
	for _, k := range keys {
		b, err := json.Marshal(map[string]string{"k": k})
		require.NoError(t, err)
		data = append(data, string(b))
	}
	err := send(t, gcptransform.SendGCPStorageConfig{
		GCP: gcptransform.GCPSettings{Resource: "weir"}, FilePath: transform.FilePath{Suffix: ".jsonl"},
		UseBatchKeyAsPrefix: true, Object: transform.ObjectSettings{BatchKey: "k"},
		HTTPClient: srv.HTTPClient(), Endpoint: srv.URL(),
	}, data...)
	require.NoError(t, err)
	objs := readAll(t, srv, "weir")
	want := map[string]string{}
	for i, k := range keys {
		want[k+".jsonl"] = data[i]
	}
	got := map[string]string{}
	for k, o := range objs {
		got[k] = string(o.Content)
	}
	assert.Equal(t, want, got)
}

func TestSendGCPStorageMissingBucket(t *testing.T) {
	srv := fakeGCS(t, "weir")
	ctx := context.Background()
	_, err := gcptransform.NewSendGCPStorage(ctx, gcptransform.SendGCPStorageConfig{HTTPClient: srv.HTTPClient(), Endpoint: srv.URL()})
	assert.ErrorIs(t, err, weir.ErrMissingSetting)
	err = send(t, gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "nope"}, HTTPClient: srv.HTTPClient(), Endpoint: srv.URL()},
		`{"a":1}`)
	require.Error(t, err)
	assert.Equal(t, 1, transform.FailedCount(err), "the batch's message is reported")
	var se *transform.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "404", se.Failed[0].Code)
	assert.Equal(t, 1, se.Attempts, "a 404 is not retried")
}

func TestSendGCPStorageContract(t *testing.T) {
	srv := fakeGCS(t, "weir")
	transformtest.Run(t, func() (transform.Transformer, error) {
		return gcptransform.NewSendGCPStorage(context.Background(), gcptransform.SendGCPStorageConfig{
			GCP: gcptransform.GCPSettings{Resource: "weir"}, Batch: transform.BatchSettings{Count: 50},
			HTTPClient: srv.HTTPClient(), Endpoint: srv.URL()})
	}, transformtest.Options{Inputs: [][]byte{[]byte(`{"a":1}`)}, SkipLarge: true})
}

// TestSendGCPStorageEmulatorHost checks that STORAGE_EMULATOR_HOST, as
// "host:port", is the endpoint of a send without a client or endpoint,
// and that it needs no credentials.
func TestSendGCPStorageEmulatorHost(t *testing.T) {
	srv := fakeGCS(t, "weir")
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	t.Setenv("STORAGE_EMULATOR_HOST", u.Host)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/credentials.json")
	require.NoError(t, send(t, gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "weir"}}, `{"a":1}`))
	objs := readAll(t, srv, "weir")
	require.Len(t, objs, 1)
	for _, o := range objs {
		assert.Equal(t, `{"a":1}`, string(o.Content))
	}
}

// TestSendGCPStorageNoCredentials checks that, as storage.NewClient did,
// construction fails when there are no Application Default Credentials.
func TestSendGCPStorageNoCredentials(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/credentials.json")
	_, err := gcptransform.NewSendGCPStorage(context.Background(), gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "weir"}})
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "send_gcp_storage", ce.Type)
}

// upload is a request the fake server of the tests below received.
type upload struct {
	method, path, uploadType, name, contentType, auth, body string
}

// fakeAPI starts a server that answers the n-th upload (from 0) with
// answer(n), and returns its URL and the uploads it received.
func fakeAPI(t *testing.T, answer func(n int, w http.ResponseWriter)) (string, func() []upload) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []upload
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		n := len(got)
		got = append(got, upload{r.Method, r.URL.Path, r.URL.Query().Get("uploadType"), r.URL.Query().Get("name"),
			r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)})
		mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []upload {
		mu.Lock()
		defer mu.Unlock()
		return append([]upload(nil), got...)
	}
}

// apiError answers as the JSON API does when it fails.
func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, `{"error":{"code":`+strconv.Itoa(code)+`,"message":"`+msg+`","errors":[{"message":"`+msg+`","domain":"global","reason":"forbidden"}]}}`)
}

func TestSendGCPStorageRetries503(t *testing.T) {
	endpoint, uploads := fakeAPI(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			apiError(w, http.StatusServiceUnavailable, "Backend Error")
			return
		}
		_, _ = io.WriteString(w, `{"name":"x"}`)
	})
	err := send(t, gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "my bucket"}, FilePath: transform.FilePath{Prefix: "logs", Suffix: ".jsonl"},
		HTTPClient: http.DefaultClient, Endpoint: endpoint, Retry: &weir.RetrySettings{Count: 3, Delay: "0s"}}, `{"a":1}`, `{"b":2}`)
	require.NoError(t, err)
	want := upload{http.MethodPost, "/upload/storage/v1/b/my bucket/o", "media", "logs.jsonl", "text/plain; charset=utf-8", "", `{"a":1}{"b":2}`}
	assert.Equal(t, []upload{want, want}, uploads(), "the same upload, sent again")
}

func TestSendGCPStorage403(t *testing.T) {
	const token = "ya29.secret-token-do-not-print"
	const msg = "weir@example.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object."
	endpoint, uploads := fakeAPI(t, func(_ int, w http.ResponseWriter) { apiError(w, http.StatusForbidden, msg) })
	client := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	err := send(t, gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "weir"},
		HTTPClient: client, Endpoint: endpoint}, `{"a":1}`, `{"b":2}`)
	require.Error(t, err)
	got := uploads()
	require.Len(t, got, 1, "a 403 is not retried")
	assert.Equal(t, "Bearer "+token, got[0].auth)
	var se *transform.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, transform.FailedCount(err), "every message of the batch is reported")
	assert.Equal(t, 1, se.Attempts)
	for _, f := range se.Failed {
		assert.Equal(t, "403", f.Code)
		var st *gcptransform.StatusError
		require.ErrorAs(t, f.Err, &st)
		assert.Equal(t, gcptransform.StatusError{StatusCode: 403, Message: msg}, *st)
	}
	assert.Contains(t, err.Error(), "403")
	assert.Contains(t, err.Error(), msg)
	assert.NotContains(t, err.Error(), token)
	assert.NotContains(t, err.Error(), "Bearer")
}

func TestSendGCPStorageCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	endpoint, uploads := fakeAPI(t, func(_ int, w http.ResponseWriter) {
		cancel()
		apiError(w, http.StatusServiceUnavailable, "Backend Error")
	})
	tf, err := gcptransform.NewSendGCPStorage(ctx, gcptransform.SendGCPStorageConfig{GCP: gcptransform.GCPSettings{Resource: "weir"},
		HTTPClient: http.DefaultClient, Endpoint: endpoint, Retry: &weir.RetrySettings{Delay: "1h"}}) // no limit, long waits
	require.NoError(t, err)
	defer tf.Close()
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewControl())
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, transform.FailedCount(err))
	assert.Len(t, uploads(), 1, "no retry after the cancel")
	assert.False(t, errors.Is(err, weir.ErrInvalidData))
}

// TestDeps checks that the send links no Google Cloud client library: no
// gRPC, protobuf, OpenTelemetry or envoy (xDS), which cost every program
// that links transform/all live heap and start-up time. Only
// golang.org/x/oauth2 and its metadata client are allowed, and protowire
// (with its two internal packages), which package aggregate's KPL
// encoding uses.
func TestDeps(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/weirhq/weir/transform/gcptransform").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "google.golang.org/protobuf/encoding/protowire", "google.golang.org/protobuf/internal/errors",
			"google.golang.org/protobuf/internal/detrand":
			continue
		}
		for _, heavy := range []string{
			"google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/api", "google.golang.org/genproto",
			"go.opentelemetry.io/", "github.com/envoyproxy/", "cloud.google.com/go/storage", "cloud.google.com/go/auth",
			"github.com/googleapis/", "github.com/aws/",
		} {
			assert.False(t, strings.HasPrefix(dep, heavy), "gcptransform links %s", dep)
		}
	}
}

// TestSendGCPStorageJSONRetry checks that a JSON config's "retry" bounds
// the retries: one retry, so two uploads, of a batch the API keeps
// refusing with 503.
func TestSendGCPStorageJSONRetry(t *testing.T) {
	endpoint, uploads := fakeAPI(t, func(_ int, w http.ResponseWriter) {
		apiError(w, http.StatusServiceUnavailable, "Backend Error")
	})
	t.Setenv("STORAGE_EMULATOR_HOST", endpoint)
	r := &transform.Registry{}
	require.NoError(t, gcptransform.Register(r))
	var cfg weir.Config
	require.NoError(t, json.Unmarshal([]byte(`{"type":"send_gcp_storage","settings":{"gcp":{"resource":"weir"},
		"file_path":{"prefix":"logs"},"retry":{"count":1,"delay":"0s"}}}`), &cfg))
	ctx := context.Background()
	tf, err := r.New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tf.(interface{ Close() error }).Close() })
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewControl())
	var se *transform.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Attempts)
	assert.Len(t, uploads(), 2)
	assert.Equal(t, "503", se.Failed[0].Code)
}
