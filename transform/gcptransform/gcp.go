// Package gcptransform holds the transform of Substation configs that
// writes to Google Cloud: send_gcp_storage. It lives apart from package
// transform so that programs without it do not link its OAuth 2.0 client
// (golang.org/x/oauth2/google); package transform/all registers it.
//
// The send talks to Cloud Storage's JSON API with net/http, not through
// cloud.google.com/go/storage, whose gRPC, protobuf and OpenTelemetry
// dependencies would cost every program that links transform/all about
// 1.7 MB of live heap and a quarter of weir run's start-up instructions
// (see bench/README.md).
package gcptransform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/internal/backoff"
	"github.com/weirhq/weir/transform"
)

// Register adds the types of this package to r.
func Register(r *transform.Registry) error {
	return r.Register("send_gcp_storage", transform.TypedEnv(buildSendGCPStorage))
}

// DefaultEndpoint is the Cloud Storage endpoint send_gcp_storage uploads
// to when neither SendGCPStorageConfig.Endpoint nor STORAGE_EMULATOR_HOST
// names another.
const DefaultEndpoint = "https://storage.googleapis.com"

// Scope is the OAuth 2.0 scope the send asks of the Application Default
// Credentials: read and write access to Cloud Storage.
const Scope = "https://www.googleapis.com/auth/devstorage.read_write"

// Retry defaults of send_gcp_storage, used when SendGCPStorageConfig.Retry
// is nil: the same as the send_aws_* transforms'.
const (
	DefaultRetries    = 8
	DefaultRetryDelay = 100 * time.Millisecond
	DefaultRetryMax   = 5 * time.Second
)

// GCPSettings is the "gcp" setting of send_gcp_storage.
type GCPSettings struct {
	// Resource is the bucket's name. Required.
	Resource string `json:"resource"`
}

// SendGCPStorageConfig configures [SendGCPStorage], the send_gcp_storage
// transform.
//
//	{"type": "send_gcp_storage", "settings": {
//	    "gcp": {"resource": "my-bucket"},
//	    "file_path": {"prefix": "logs", "time_format": "2006/01/02", "uuid": true, "suffix": ".jsonl"},
//	    "use_batch_key_as_prefix": false,
//	    "auxiliary_transforms": [{"type": "aggregate_to_string", "settings": {"separator": "\n"}}],
//	    "retry": {"count": 3, "delay": "200ms", "max_delay": "5s"}}}
//
// "retry" is read as the send_aws_* transforms' "retry" is (nil: the
// defaults below). HTTPClient and Endpoint are for Go callers only; a JSON
// config gets their defaults.
type SendGCPStorageConfig struct {
	// GCP.Resource is the bucket. Required.
	GCP GCPSettings
	// FilePath names each object; the zero value means a random UUID.
	FilePath transform.FilePath
	// UseBatchKeyAsPrefix replaces FilePath.Prefix with the batch key when
	// it is not empty.
	UseBatchKeyAsPrefix bool
	// Object, Batch, AuxTransforms and ID are as in
	// transform.BatchSenderConfig; the send owns the auxiliary transforms.
	Object        transform.ObjectSettings
	Batch         transform.BatchSettings
	AuxTransforms []transform.Transformer
	ID            string
	// HTTPClient sends the uploads and must authorize them itself (for
	// example a client of golang.org/x/oauth2). The send does not close
	// it. Nil means a client of the send's own, which Close closes:
	// without authorization when the environment variable
	// STORAGE_EMULATOR_HOST is set, as Google's client libraries do for
	// emulators, and otherwise authorized with the Application Default
	// Credentials (golang.org/x/oauth2/google, [Scope]); NewSendGCPStorage
	// fails when there are none. Tokens are fetched on the first upload
	// and refreshed as they expire.
	HTTPClient *http.Client
	// Endpoint is the base URL of the JSON API, without a path (uploads go
	// to Endpoint + "/upload/storage/v1/b/BUCKET/o"). Empty means
	// STORAGE_EMULATOR_HOST when it is set ("host:port", read as
	// http://host:port, or a URL), and otherwise [DefaultEndpoint].
	Endpoint string
	// Retry bounds the retries of an upload answered with 408, 429 or a
	// 5xx status, or that failed in transit (Google's retry strategy for
	// Cloud Storage); nil means DefaultRetries retries, waiting from
	// DefaultRetryDelay up to DefaultRetryMax. Retry.Count 0 means no
	// limit, as in weir.RetrySettings. The context's end stops the waits.
	Retry *weir.RetrySettings
	// Now is the clock of batch.duration and of FilePath.TimeFormat; nil
	// means time.Now.
	Now func() time.Time
}

// SendGCPStorage writes each batch of messages to a new Google Cloud
// Storage object and passes every message on unchanged. The object holds
// the data of the batch's messages after the auxiliary transforms,
// concatenated (Substation writes only the first item of a batch; Weir
// writes them all, as send_file and send_aws_s3 do). It is safe for
// concurrent use.
//
// Each object is one request to the JSON API, a simple media upload
// (uploadType=media), with the Content-Type that Google's Go client sets
// by default: the type net/http.DetectContentType sniffs from the first
// 512 bytes ("text/plain; charset=utf-8" for JSON lines,
// "application/x-gzip" after format_to_gzip). An object replaces one of
// the same name, as in Substation. An upload that fails with a retryable
// status or in transit is sent again whole, under the same name, so a
// retry cannot duplicate data (in a bucket with object versioning it may
// leave a noncurrent copy). A failed upload is reported in a
// *transform.SendError naming every message of the batch, with the HTTP
// status as the code and the API's error message.
type SendGCPStorage struct {
	bs        *transform.BatchSender
	client    *http.Client
	own       *http.Transport // the transport of a client built here, or nil
	upload    string          // the upload URL up to the object's name
	policy    backoff.Policy
	path      transform.FilePath
	keyPrefix bool
	now       func() time.Time
}

type sendGCPSettings struct {
	ID                  string                   `json:"id,omitempty"`
	Object              transform.ObjectSettings `json:"object"`
	Batch               transform.BatchSettings  `json:"batch"`
	AuxTransforms       []weir.Config            `json:"auxiliary_transforms"`
	GCP                 GCPSettings              `json:"gcp"`
	FilePath            transform.FilePath       `json:"file_path"`
	UseBatchKeyAsPrefix bool                     `json:"use_batch_key_as_prefix,omitempty"`
	Retry               *weir.RetrySettings      `json:"retry,omitempty"`
}

func buildSendGCPStorage(ctx context.Context, env *transform.Env, s sendGCPSettings) (*SendGCPStorage, error) {
	aux, err := transform.BuildAuxTransforms(ctx, env, s.AuxTransforms)
	if err != nil {
		return nil, err
	}
	cfg := SendGCPStorageConfig{GCP: s.GCP, FilePath: s.FilePath, UseBatchKeyAsPrefix: s.UseBatchKeyAsPrefix,
		Object: s.Object, Batch: s.Batch, AuxTransforms: aux, ID: s.ID, Retry: s.Retry}
	if env != nil {
		cfg.Now = env.Now
	}
	t, err := NewSendGCPStorage(ctx, cfg)
	if err != nil {
		for _, a := range aux {
			if c, ok := a.(interface{ Close() error }); ok {
				_ = c.Close()
			}
		}
	}
	return t, err
}

// NewSendGCPStorage returns a SendGCPStorage. It takes ownership of the
// auxiliary transforms. ctx bounds the search for the Application Default
// Credentials, not the uploads.
func NewSendGCPStorage(ctx context.Context, cfg SendGCPStorageConfig) (*SendGCPStorage, error) {
	const typ = "send_gcp_storage"
	if cfg.GCP.Resource == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "gcp.resource", Err: weir.ErrMissingSetting}
	}
	t := &SendGCPStorage{client: cfg.HTTPClient, path: cfg.FilePath, keyPrefix: cfg.UseBatchKeyAsPrefix, now: cfg.Now,
		policy: backoff.Policy{Retries: DefaultRetries, Base: DefaultRetryDelay, Max: DefaultRetryMax}}
	if t.path == (transform.FilePath{}) {
		t.path.UUID = true
	}
	if t.now == nil {
		t.now = time.Now
	}
	if cfg.Retry != nil {
		count, base, ceil, err := cfg.Retry.Policy()
		if err != nil {
			var ce *weir.ConfigError
			if errors.As(err, &ce) {
				ce.Type = typ
			}
			return nil, err
		}
		t.policy.Retries, t.policy.Base, t.policy.Max = count, base, ceil
		if count == 0 {
			t.policy.Retries = -1 // no limit
		}
	}
	emulator := os.Getenv("STORAGE_EMULATOR_HOST")
	endpoint := cfg.Endpoint
	if endpoint == "" && emulator != "" {
		endpoint = emulator
		if !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint
		}
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		if err == nil {
			err = fmt.Errorf("%q is not an http(s) URL with a host", endpoint)
		}
		return nil, &weir.ConfigError{Type: typ, Field: "endpoint", Err: err}
	}
	t.upload = strings.TrimSuffix(endpoint, "/") + "/upload/storage/v1/b/" + url.PathEscape(cfg.GCP.Resource) + "/o?uploadType=media&name="
	if t.client == nil {
		base := http.DefaultTransport.(*http.Transport).Clone()
		t.own = base
		if emulator != "" {
			t.client = &http.Client{Transport: base}
		} else {
			// Token requests go through base too; they must outlive ctx.
			tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, &http.Client{Transport: base})
			creds, err := google.FindDefaultCredentials(tctx, Scope)
			if err != nil {
				base.CloseIdleConnections()
				return nil, &weir.ConfigError{Type: typ, Field: "gcp", Err: err}
			}
			// The token goes in every request the transport sends: follow
			// no redirect, whose host might not be Google's.
			t.client = &http.Client{Transport: &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, creds.TokenSource), Base: base},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{Type: typ, ID: cfg.ID, Object: cfg.Object, Batch: cfg.Batch,
		AuxTransforms: cfg.AuxTransforms, Now: cfg.Now, Send: t.send})
	if err != nil {
		if t.own != nil {
			t.own.CloseIdleConnections()
		}
		return nil, err
	}
	t.bs = bs
	return t, nil
}

func (t *SendGCPStorage) send(ctx context.Context, key string, data [][]byte) error {
	prefix := t.path.Prefix
	if t.keyPrefix && key != "" {
		prefix = key
	}
	name := strings.TrimPrefix(path.Clean("/"+t.path.Name(prefix, t.now())), "/")
	var (
		err      error
		code     string
		attempts = 1
	)
	if name == "" {
		err, code = fmt.Errorf("file_path is empty for a batch without a key: %w", weir.ErrInvalidData), "InvalidData"
	} else {
		attempts, code, err = t.put(ctx, name, aggregate.AppendJoin(nil, data, nil))
	}
	if err == nil {
		return nil
	}
	se := &transform.SendError{Service: "gcs", Total: len(data), Attempts: attempts}
	for i, d := range data {
		se.Failed = append(se.Failed, transform.FailedItem{Index: i, Data: d, Code: code, Err: err})
	}
	return se
}

// put uploads body as the object name, retrying as t.policy says. It
// returns the number of requests made and, when the last failed, its code
// (the HTTP status, or "" for a failure in transit) and error.
func (t *SendGCPStorage) put(ctx context.Context, name string, body []byte) (attempts int, code string, err error) {
	target := t.upload + url.QueryEscape(name)
	ctype := http.DetectContentType(body)
	retry := false
	attempts, err, stopped := t.policy.Do(ctx, func(error) bool { return retry }, func() error {
		var err error
		code, retry, err = t.attempt(ctx, target, ctype, body)
		if err != nil {
			err = fmt.Errorf("gcs: uploading %q: %w", name, err)
		}
		return err
	})
	if stopped != nil {
		err = fmt.Errorf("%w (retry: %w)", err, stopped)
	}
	return attempts, code, err
}

// attempt makes one upload request and reports whether its failure is
// worth retrying.
func (t *SendGCPStorage) attempt(ctx context.Context, target, ctype string, body []byte) (code string, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := t.client.Do(req)
	if err != nil {
		// The error names the URL, never the request's headers.
		return "", ctx.Err() == nil && !permanentTokenError(err), err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
		return "", false, nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	s := resp.StatusCode
	return strconv.Itoa(s), s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500,
		&StatusError{StatusCode: s, Message: apiMessage(msg)}
}

// permanentTokenError reports whether err is the token endpoint's refusal
// (a 4xx other than 408 and 429), which trying again will not change.
func permanentTokenError(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	s := re.Response.StatusCode
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

// StatusError is the error of an upload that Cloud Storage answered with
// a status other than 2xx (after any retries).
type StatusError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the API's error message (error.message of the JSON
	// answer), or the start of a body that is not such JSON.
	Message string
}

// Error implements error.
func (e *StatusError) Error() string {
	s := "status " + strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// apiMessage returns the message of a JSON API error body,
// {"error": {"code": 403, "message": "…"}}, or the start of a body that is
// not one, on one line.
func apiMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		msg = e.Error.Message
	} else {
		msg = string(bytes.TrimSpace(body))
	}
	const limit = 512
	if len(msg) > limit {
		msg = strings.ToValidUTF8(msg[:limit], "") + "…"
	}
	return strings.Join(strings.Fields(msg), " ")
}

// Transform implements [transform.Transformer]: it returns msg.
func (t *SendGCPStorage) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.bs.Transform(ctx, msg)
}

// Close closes the auxiliary transforms and the idle connections of a
// client the send built. It does not send open batches: send a control
// message first.
func (t *SendGCPStorage) Close() error {
	err := t.bs.Close()
	if t.own != nil {
		t.own.CloseIdleConnections()
	}
	return err
}
