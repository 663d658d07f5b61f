package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	neturl "net/url"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
)

// httpDataRef is replaced in a URL template by the event data, as in
// Substation.
const httpDataRef = "${DATA}"

// HTTPHeaders is the "headers" setting of enrich_http_get and
// enrich_http_post. In JSON it is either Substation v2's object of name →
// value or a list of {"key": …, "value": …} (the older form, which can
// repeat a name). Values may refer to secrets as ${SECRET:<id>}.
type HTTPHeaders []enrich.Header

// UnmarshalJSON accepts an object (its members sorted by name) or a list.
func (h *HTTPHeaders) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '{':
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		out := make(HTTPHeaders, 0, len(m))
		for k, v := range m {
			out = append(out, enrich.Header{Key: k, Value: v})
		}
		slices.SortFunc(out, func(a, b enrich.Header) int { return strings.Compare(a.Key, b.Key) })
		*h = out
		return nil
	case bytes.Equal(b, []byte("null")):
		*h = nil
		return nil
	}
	var l []enrich.Header
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New(`headers must be an object of name → value or a list of {"key", "value"}`)
	}
	*h = l
	return nil
}

// HTTPRequestSettings is the "request" setting of the HTTP enrichments.
type HTTPRequestSettings struct {
	// Timeout is a Go duration bounding each attempt; empty means 10s.
	Timeout string `json:"timeout,omitempty"`
}

// EnrichHTTPGetConfig configures [EnrichHTTP] as enrich_http_get.
//
//	{"type": "enrich_http_get", "settings": {
//	    "object": {"source_key": "ip", "target_key": "intel"},
//	    "url": "https://intel.example.com/ip/${DATA}",
//	    "headers": {"Authorization": "Bearer ${SECRET:intel_token}"}}}
type EnrichHTTPGetConfig struct {
	// Object.SourceKey is the value put in place of ${DATA} in URL (empty:
	// the whole data); a message without it passes unchanged.
	// Object.TargetKey is where the response body is written (empty: it
	// replaces the data).
	Object ObjectSettings `json:"object"`
	// URL is the endpoint; each ${DATA} in it is replaced by the value
	// read, escaped for its place (see EnrichHTTP), and ${SECRET:<id>}
	// references by secrets. Required.
	URL string `json:"url"`
	// Headers are sent with every request.
	Headers HTTPHeaders `json:"headers,omitempty"`
	// AllowedHosts, if not empty, lists the hosts requests and redirects
	// may go to (a name, or name:port); see enrich.HTTPConfig.AllowedHosts.
	// A Weir setting.
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
	// AllowDataInHost lets ${DATA} stand in the scheme or host of URL (as
	// Substation does), where it is put unescaped: event data then picks
	// the server. Without it such a URL is a configuration error. A Weir
	// setting.
	AllowDataInHost bool `json:"allow_data_in_host,omitempty"`
	// Request.Timeout bounds each attempt.
	Request HTTPRequestSettings `json:"request"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Options tunes the client (retries, rate limit, cache, response size
	// limit, an *http.Client of your own); URL, Headers and
	// Request.Timeout override its fields of the same meaning.
	Options enrich.HTTPConfig `json:"-"`
}

// EnrichHTTPPostObject is the "object" setting of enrich_http_post.
type EnrichHTTPPostObject struct {
	// SourceKey is the value put in place of ${DATA} in the URL (empty:
	// the whole data).
	SourceKey string `json:"source_key,omitempty"`
	// TargetKey is where the response body is written; empty means the
	// response is dropped and the message passes unchanged.
	TargetKey string `json:"target_key,omitempty"`
	// BodyKey is the value sent as the request body (its text: an object
	// as its JSON, a string unquoted). Required; a message without it
	// passes unchanged.
	BodyKey string `json:"body_key"`
}

// EnrichHTTPPostConfig configures [EnrichHTTP] as enrich_http_post.
//
//	{"type": "enrich_http_post", "settings": {
//	    "object": {"body_key": "event", "target_key": "verdict"},
//	    "url": "https://classifier.example.com/v1/classify",
//	    "headers": {"Content-Type": "application/json"}}}
type EnrichHTTPPostConfig struct {
	Object          EnrichHTTPPostObject `json:"object"`
	URL             string               `json:"url"`
	Headers         HTTPHeaders          `json:"headers,omitempty"`
	Request         HTTPRequestSettings  `json:"request"`
	ID              string               `json:"id,omitempty"`
	AllowedHosts    []string             `json:"allowed_hosts,omitempty"`
	AllowDataInHost bool                 `json:"allow_data_in_host,omitempty"`
	// Options is as in [EnrichHTTPGetConfig].
	Options enrich.HTTPConfig `json:"-"`
}

// EnrichHTTP enriches messages with the response of an HTTP API: the
// enrich_http_get and enrich_http_post transforms. A response body that is
// JSON is written compacted, as JSON (an object or array as is, a scalar
// as a string, as Substation does); any other body as a string. A status
// other than 2xx after retries, a network failure or an oversized body is
// the message's error.
//
// It is safe for concurrent use; Close closes idle connections of the
// client it made.
//
// # Differences from Substation
//
// Event data cannot steer a request (TestEnrichHTTPDataCannotSteer):
//
//   - A value put in place of ${DATA} is escaped for its place in the URL:
//     in the path, as one path segment (url.PathEscape, so "/", "?" and "#"
//     are escaped, and a value "." or ".." becomes "%2E" or "%2E%2E"); in
//     the query or fragment, as a query value (url.QueryEscape, so "&",
//     "=" and "#" are escaped). Substation puts it in unescaped.
//   - ${DATA} in the scheme or host (before the path) is a configuration
//     error unless allow_data_in_host is set; with it the value goes in
//     unescaped, as in Substation.
//   - A redirect to another origin (scheme, host or port) is followed
//     without the configured headers, Authorization, Cookie and
//     Proxy-Authorization.
//   - allowed_hosts, if set, lists the hosts requests and redirects may go
//     to; others fail with an error matching enrich.ErrHostNotAllowed.
//   - No resolved secret, nor a URL's password, appears in an error
//     (see [Secrets.Redact]).
type EnrichHTTP struct {
	typ, id       string
	method        string
	src, dst      string
	body          string
	replaceData   bool // write the response over the data when dst is empty
	urlParts      []string
	urlEscapes    []func(string) string // len(urlParts)-1: how each ${DATA} is escaped
	urlHasSecrets bool
	secrets       *Secrets
	client        *enrich.HTTP
}

// NewEnrichHTTPGet returns the enrich_http_get transform. ${SECRET:<id>}
// references resolve in the [Secrets] ctx carries ([WithSecrets]).
func NewEnrichHTTPGet(ctx context.Context, env *Env, cfg EnrichHTTPGetConfig) (*EnrichHTTP, error) {
	opts := cfg.Options
	if cfg.AllowedHosts != nil {
		opts.AllowedHosts = cfg.AllowedHosts
	}
	return newEnrichHTTP(ctx, env, "enrich_http_get", "GET", cfg.ID, cfg.URL, cfg.Object.SourceKey, cfg.Object.TargetKey, "",
		cfg.Headers, cfg.Request, opts, cfg.AllowDataInHost)
}

// NewEnrichHTTPPost returns the enrich_http_post transform; see
// [NewEnrichHTTPGet].
func NewEnrichHTTPPost(ctx context.Context, env *Env, cfg EnrichHTTPPostConfig) (*EnrichHTTP, error) {
	if cfg.Object.BodyKey == "" {
		return nil, &weir.ConfigError{Type: "enrich_http_post", Field: "object.body_key", Err: weir.ErrMissingSetting}
	}
	opts := cfg.Options
	if cfg.AllowedHosts != nil {
		opts.AllowedHosts = cfg.AllowedHosts
	}
	return newEnrichHTTP(ctx, env, "enrich_http_post", "POST", cfg.ID, cfg.URL, cfg.Object.SourceKey, cfg.Object.TargetKey, cfg.Object.BodyKey,
		cfg.Headers, cfg.Request, opts, cfg.AllowDataInHost)
}

func newEnrichHTTP(ctx context.Context, env *Env, typ, method, id, url, src, dst, body string,
	hdrs HTTPHeaders, req HTTPRequestSettings, opts enrich.HTTPConfig, dataInHost bool) (*EnrichHTTP, error) {
	if url == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "url", Err: weir.ErrMissingSetting}
	}
	parts := strings.Split(url, httpDataRef)
	escapes, err := urlEscapes(parts, dataInHost)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, ID: id, Field: "url", Err: err}
	}
	secrets := env.secrets() // without the pipeline's, references fail as not found
	if opts.Client == nil && env != nil {
		opts.Client = env.HTTPClient
	}
	if req.Timeout != "" {
		d, err := time.ParseDuration(req.Timeout)
		if err != nil {
			return nil, &weir.ConfigError{Type: typ, Field: "request.timeout", Err: err}
		}
		if d <= 0 {
			return nil, &weir.ConfigError{Type: typ, Field: "request.timeout", Err: fmt.Errorf("%s is not positive", req.Timeout)}
		}
		opts.Timeout = d
	}
	if hdrs != nil {
		opts.Headers = hdrs
	}
	for _, h := range opts.Headers {
		if h.Key == "" {
			return nil, &weir.ConfigError{Type: typ, Field: "headers", Err: errors.New("a header has an empty key")}
		}
	}
	opts.Interpolate = secrets.Interpolate
	opts.Redact = secrets.Redact
	client, err := enrich.NewHTTP(opts)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Err: err}
	}
	return &EnrichHTTP{
		typ: typ, id: id, method: method,
		src: src, dst: dst, body: body,
		replaceData:   method == "GET",
		urlParts:      parts,
		urlEscapes:    escapes,
		urlHasSecrets: strings.Contains(url, secretRefPrefix),
		secrets:       secrets,
		client:        client,
	}, nil
}

// Close implements io.Closer.
func (t *EnrichHTTP) Close() error { return t.client.Close() }

// Transform implements [Transformer].
func (t *EnrichHTTP) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	url, ok, err := t.url(msg)
	if err != nil {
		return nil, &Error{Type: t.typ, ID: t.id, Err: err}
	}
	if !ok {
		return msg.AsSlice(), nil
	}
	var resp []byte
	if t.method == "POST" {
		b := msg.Get(t.body)
		if !b.Exists() {
			return msg.AsSlice(), nil
		}
		resp, err = t.client.Post(ctx, url, b.Bytes())
	} else {
		resp, err = t.client.Get(ctx, url)
	}
	if err != nil {
		return nil, &Error{Type: t.typ, ID: t.id, Err: err}
	}
	if json.Valid(resp) {
		var buf bytes.Buffer
		buf.Grow(len(resp))
		if json.Compact(&buf, resp) == nil {
			resp = buf.Bytes()
		}
	} else {
		resp = bytes.Clone(resp) // the cache may share it; the message takes ownership
	}
	switch {
	case t.dst != "":
		if err := msg.Set(t.dst, resp); err != nil {
			return nil, &Error{Type: t.typ, ID: t.id, Err: err}
		}
	case t.replaceData:
		msg.SetData(resp)
	}
	return msg.AsSlice(), nil
}

// url fills the URL template for msg; false means the source value is
// missing. Secrets are resolved in the template before the data goes in,
// so event data can never name a secret.
func (t *EnrichHTTP) url(msg *weir.Message) (string, bool, error) {
	parts := t.urlParts
	if t.urlHasSecrets {
		parts = make([]string, len(t.urlParts))
		for i, p := range t.urlParts {
			v, err := t.secrets.Interpolate(p)
			if err != nil {
				return "", false, err
			}
			parts[i] = v
		}
	}
	if len(parts) == 1 {
		return parts[0], true, nil
	}
	var data string
	if t.src != "" {
		v := msg.Get(t.src)
		if !v.Exists() {
			return "", false, nil
		}
		data = v.String()
	} else {
		data = string(msg.Data())
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(t.urlEscapes[i-1](data))
		}
		b.WriteString(p)
	}
	return b.String(), true, nil
}

// urlEscapes returns how to escape the value of each ${DATA} between the
// parts of a URL template: by its place in the URL.
func urlEscapes(parts []string, dataInHost bool) ([]func(string) string, error) {
	var escapes []func(string) string
	prefix := parts[0]
	for i := 1; i < len(parts); i++ {
		switch urlPlace(prefix) {
		case placeHost:
			if !dataInHost {
				return nil, errors.New("${DATA} in the scheme or host lets event data choose the server; " +
					"set allow_data_in_host to allow it")
			}
			escapes = append(escapes, func(s string) string { return s })
		case placePath:
			escapes = append(escapes, escapePathSegment)
		default:
			escapes = append(escapes, neturl.QueryEscape)
		}
		prefix += "x" + parts[i]
	}
	return escapes, nil
}

type place uint8

const (
	placeHost  place = iota // scheme or authority
	placePath               // path
	placeQuery              // query or fragment
)

// urlPlace returns where the end of prefix, the start of a URL, is.
func urlPlace(prefix string) place {
	i := strings.Index(prefix, "://")
	if i < 0 {
		return placeHost // no scheme yet: the value would make it
	}
	rest := prefix[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		return placeHost
	}
	if strings.ContainsAny(rest[end:], "?#") {
		return placeQuery
	}
	return placePath
}

// escapePathSegment escapes s as one path segment, dot segments included.
func escapePathSegment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return neturl.PathEscape(s)
}
