package transform

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
)

// SendHTTPPostConfig configures [SendHTTPPost], the send_http_post
// transform.
//
//	{"type": "send_http_post", "settings": {
//	    "url": "https://collector.example.com/v1/events",
//	    "headers": {"Authorization": "Bearer ${SECRET:collector_token}"},
//	    "batch": {"count": 100},
//	    "auxiliary_transforms": [{"type": "aggregate_to_array"}],
//	    "retry": {"count": 5, "delay": "200ms"}}}
type SendHTTPPostConfig struct {
	// URL is where each item is posted. Required. ${SECRET:<id>}
	// references in it resolve through the Env's secrets.
	URL string `json:"url"`
	// Headers are sent with every request; their values may refer to
	// secrets as ${SECRET:<id>}. Set Content-Type here (none is sent
	// otherwise).
	Headers HTTPHeaders `json:"headers,omitempty"`
	// Retry bounds the retries of a request that failed with a network
	// error, a 429 or a 5xx status (a Weir extension); the zero value
	// retries 3 times from 100 ms. Retry.Count 0 means the default here.
	Retry weir.RetrySettings `json:"retry"`
	// Object, Batch, AuxTransforms and ID are as in [SendStdoutConfig];
	// in JSON, auxiliary_transforms are configs.
	Object        ObjectSettings `json:"object"`
	Batch         BatchSettings  `json:"batch"`
	AuxTransforms []Transformer  `json:"-"`
	ID            string         `json:"id,omitempty"`
	// Options tunes the client (an *http.Client of your own, a rate
	// limit, a timeout); URL, Headers and Retry override its fields of
	// the same meaning.
	Options enrich.HTTPConfig `json:"-"`
}

// SendHTTPPost posts batches of messages to an HTTP endpoint and passes
// every message on unchanged. As in Substation, each item of a batch
// (after the auxiliary transforms: aggregate_to_array makes a batch one
// JSON array, one request) is the body of one POST. A 2xx answer
// acknowledges it; anything else after the retries, or a network error, is
// reported in a [*SendError] naming the item and the status (its Code), and
// the other items are still sent. A control message returns once every
// batch has been answered. It is safe for concurrent use.
type SendHTTPPost struct {
	bs      *BatchSender
	client  *enrich.HTTP
	url     string
	secrets *Secrets
}

// sendHTTPSettings is the JSON shape of send_http_post's settings.
type sendHTTPSettings struct {
	sendSettings
	URL     string             `json:"url"`
	Headers HTTPHeaders        `json:"headers,omitempty"`
	Retry   weir.RetrySettings `json:"retry"`
}

func buildSendHTTPPost(ctx context.Context, env *Env, st sendHTTPSettings) (*SendHTTPPost, error) {
	aux, err := buildAll(ctx, env, "auxiliary_transforms", st.AuxTransforms)
	if err != nil {
		return nil, err
	}
	t, err := NewSendHTTPPost(env, SendHTTPPostConfig{URL: st.URL, Headers: st.Headers, Retry: st.Retry,
		Object: st.Object, Batch: st.Batch, AuxTransforms: aux, ID: st.ID})
	if err != nil {
		_ = closeAll(aux)
	}
	return t, err
}

// NewSendHTTPPost returns a SendHTTPPost. env (which may be nil) gives the
// secrets that ${SECRET:<id>} references name and the default HTTP
// client. It takes ownership of the auxiliary transforms.
func NewSendHTTPPost(env *Env, cfg SendHTTPPostConfig) (*SendHTTPPost, error) {
	const typ = "send_http_post"
	if cfg.URL == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "url", Err: weir.ErrMissingSetting}
	}
	opts := cfg.Options
	if opts.Client == nil && env != nil {
		opts.Client = env.HTTPClient
	}
	if cfg.Headers != nil {
		opts.Headers = cfg.Headers
	}
	t := &SendHTTPPost{url: cfg.URL, secrets: env.secrets()}
	for _, h := range opts.Headers {
		if h.Key == "" {
			return nil, &weir.ConfigError{Type: typ, Field: "headers", Err: errors.New("a header has an empty key")}
		}
	}
	if cfg.Retry != (weir.RetrySettings{}) {
		count, base, ceil, err := cfg.Retry.Policy()
		if err != nil {
			return nil, configErr(typ, err)
		}
		opts.MaxRetries, opts.BaseDelay, opts.MaxDelay = count, base, ceil
		if count == 0 {
			opts.MaxRetries = 0 // the client's default
		}
		if base == 0 {
			opts.BaseDelay = 1 // no wait (the client reads 0 as its default)
		}
	}
	opts.Interpolate = t.secrets.Interpolate
	client, err := enrich.NewHTTP(opts)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Err: err}
	}
	t.client = client
	bs, err := NewBatchSender(BatchSenderConfig{Type: typ, ID: cfg.ID, Object: cfg.Object, Batch: cfg.Batch,
		AuxTransforms: cfg.AuxTransforms, Send: t.send})
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	t.bs = bs
	return t, nil
}

func (t *SendHTTPPost) send(ctx context.Context, _ string, data [][]byte) error {
	url, err := t.secrets.Interpolate(t.url)
	if err != nil {
		return err
	}
	se := &SendError{Service: "http", Total: len(data)}
	for i, d := range data {
		_, n, perr := t.client.DoAttempts(ctx, http.MethodPost, url, d)
		if perr == nil {
			continue
		}
		se.Attempts = max(se.Attempts, n)
		code := ""
		var st *enrich.StatusError
		if errors.As(perr, &st) {
			code = strconv.Itoa(st.StatusCode)
		}
		se.Failed = append(se.Failed, FailedItem{Index: i, Data: d, Code: code, Err: perr})
	}
	if len(se.Failed) > 0 {
		return se
	}
	return nil
}

// Transform implements [Transformer]. It returns msg.
func (t *SendHTTPPost) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.bs.Transform(ctx, msg)
}

// Close closes the auxiliary transforms and the idle connections of the
// client it made. It does not send open batches: send a control message
// first.
func (t *SendHTTPPost) Close() error {
	return errors.Join(t.bs.Close(), t.client.Close())
}
