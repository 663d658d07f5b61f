package enrich

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/internal/backoff"
)

// Defaults of [HTTPConfig].
const (
	defaultHTTPTimeout      = 10 * time.Second
	defaultHTTPRetries      = 3
	defaultHTTPBaseDelay    = 100 * time.Millisecond
	defaultHTTPMaxDelay     = 5 * time.Second
	defaultHTTPMaxBody      = 10 << 20 // bytes
	defaultHTTPCacheTTL     = 5 * time.Minute
	httpDrainOnRetryMaxSize = 64 << 10
)

// errResponseTooLarge is the cause of the error of an [HTTP] request whose
// response body is larger than HTTPConfig.MaxResponseSize. Raise the limit
// or ask the server for less.
var errResponseTooLarge = fmt.Errorf("enrich: HTTP response too large: %w", weir.ErrTooLarge)

// ErrHostNotAllowed is matched by the error of an [HTTP] request, or of a
// redirect, to a host that HTTPConfig.AllowedHosts does not list. Add the
// host to the list, or fix the URL.
var ErrHostNotAllowed = errors.New("enrich: HTTP host not allowed")

// StatusError is the error of an [HTTP] request answered with a status other
// than 2xx (after any retries). Body holds up to the first 1 KiB of the
// response body, for diagnosis.
type StatusError struct {
	Method, URL string
	StatusCode  int
	Body        []byte
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("enrich: HTTP %s %s: status %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Retryable reports whether the status is one [HTTP] retries: 429 or 5xx.
func (e *StatusError) Retryable() bool { return retryableStatus(e.StatusCode) }

// Header is an HTTP header sent with every request of an [HTTP].
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// HTTPConfig configures [NewHTTP]. The zero value is usable: a 10 s timeout
// per attempt, 3 retries with backoff, no rate limit, no cache and a 10 MiB
// response limit.
type HTTPConfig struct {
	// Client sends the requests; nil means a client of the HTTP's own, whose
	// idle connections [HTTP.Close] closes.
	Client *http.Client
	// Timeout bounds each attempt; 0 means 10 s, negative means none (the
	// context and Client still apply).
	Timeout time.Duration
	// Headers are sent with every request. Their values pass through
	// Interpolate on each request, so they may refer to secrets.
	Headers []Header
	// Interpolate, if set, is applied to every header value before each
	// request: the hook that resolves secret references such as
	// "${SECRET:id}" (so rotated secrets are seen). Its error fails the
	// request. It is not applied to URLs, which may hold event data: the
	// caller resolves references in a URL template before filling it.
	Interpolate func(string) (string, error)
	// Redact, if set, is applied to the text of every error the HTTP
	// builds, URLs and response snippets included: the hook that removes
	// the resolved secrets a URL or header was filled with (see
	// transform.Secrets.Redact). Independently of it, the password of a
	// URL's user part never appears in an error.
	Redact func(string) string
	// MaxRetries is how many times a request is retried after a network
	// error or a 429 or 5xx status; 0 means 3, negative means never.
	MaxRetries int
	// BaseDelay and MaxDelay bound the backoff: retry n waits a random
	// time in [0, min(MaxDelay, BaseDelay·2ⁿ)) ("full jitter"). 0 means
	// 100 ms and 5 s.
	BaseDelay, MaxDelay time.Duration
	// RateLimit is the most requests per second (attempts, retries
	// included) this HTTP sends; 0 means no limit. Burst is how many may
	// go at once (0 means 1).
	RateLimit float64
	Burst     int
	// Cache, if set, keeps 2xx response bodies for CacheTTL (0 means 5
	// min), keyed by method, URL (after interpolation) and a hash of the
	// request body; headers are not part of the key.
	Cache    cache.Cache
	CacheTTL time.Duration
	// MaxResponseSize is the largest response body accepted, in bytes; 0
	// means 10 MiB. A larger one fails with an error matching weir.ErrTooLarge.
	MaxResponseSize int64
	// AllowedHosts, if not empty, lists the hosts requests may go to, and
	// redirects too: a name ("api.example.com", matching any port) or a
	// name and port ("127.0.0.1:8080"), compared without regard to case. A
	// request to another host fails with an error matching
	// ErrHostNotAllowed, before anything is sent.
	AllowedHosts []string
	// Sleep waits d or until ctx is done; nil means a timer. Tests set it
	// to observe or skip the backoff.
	Sleep func(ctx context.Context, d time.Duration) error
}

// HTTP sends GET and POST requests for enrichment, with retries, a rate
// limit and an optional cache. It is safe for concurrent use.
type HTTP struct {
	client      *http.Client
	ownClient   bool
	timeout     time.Duration
	headers     []Header
	interpolate func(string) (string, error)
	redact      func(string) string
	backoff     backoff.Policy
	limiter     *rate.Limiter
	cache       cache.Cache
	cacheTTL    time.Duration
	maxBody     int64
	allowed     map[string]bool // lower-cased hosts and host:ports; nil: any
	headerKeys  []string        // canonical keys of Headers
}

// NewHTTP returns an HTTP configured by cfg.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	switch {
	case cfg.RateLimit < 0:
		return nil, fmt.Errorf("enrich: HTTP rate limit %v is negative", cfg.RateLimit)
	case cfg.Burst < 0:
		return nil, fmt.Errorf("enrich: HTTP burst %d is negative", cfg.Burst)
	case cfg.BaseDelay < 0 || cfg.MaxDelay < 0:
		return nil, errors.New("enrich: HTTP backoff delays must not be negative")
	case cfg.MaxResponseSize < 0:
		return nil, fmt.Errorf("enrich: HTTP max response size %d is negative", cfg.MaxResponseSize)
	case cfg.CacheTTL < 0:
		return nil, fmt.Errorf("enrich: HTTP cache TTL %s is negative", cfg.CacheTTL)
	}
	for _, h := range cfg.Headers {
		if h.Key == "" {
			return nil, errors.New("enrich: HTTP header with an empty key")
		}
	}
	h := &HTTP{
		client:      cfg.Client,
		timeout:     cfg.Timeout,
		headers:     append([]Header(nil), cfg.Headers...),
		interpolate: cfg.Interpolate,
		redact:      cfg.Redact,
		backoff:     backoff.Policy{Retries: max(cfg.MaxRetries, 0), Base: cfg.BaseDelay, Max: cfg.MaxDelay, Sleep: cfg.Sleep},
		cache:       cfg.Cache,
		cacheTTL:    cfg.CacheTTL,
		maxBody:     cfg.MaxResponseSize,
	}
	if h.client == nil {
		h.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		h.ownClient = true
	}
	for _, host := range cfg.AllowedHosts {
		if host == "" {
			return nil, errors.New("enrich: HTTP allowed host is empty")
		}
		if h.allowed == nil {
			h.allowed = make(map[string]bool)
		}
		h.allowed[strings.ToLower(host)] = true
	}
	for _, x := range h.headers {
		h.headerKeys = append(h.headerKeys, http.CanonicalHeaderKey(x.Key))
	}
	// A copy of the client, whose redirect policy keeps credentials on
	// their origin and requests on the allowed hosts; the caller's client
	// is not changed.
	c := *h.client
	c.CheckRedirect = h.checkRedirect(h.client.CheckRedirect)
	h.client = &c
	if h.timeout == 0 {
		h.timeout = defaultHTTPTimeout
	}
	if cfg.MaxRetries == 0 {
		h.backoff.Retries = defaultHTTPRetries
	}
	if h.backoff.Base == 0 {
		h.backoff.Base = defaultHTTPBaseDelay
	}
	if h.backoff.Max == 0 {
		h.backoff.Max = defaultHTTPMaxDelay
	}
	if cfg.RateLimit > 0 {
		burst := max(cfg.Burst, 1)
		h.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), burst)
	}
	if h.cacheTTL == 0 {
		h.cacheTTL = defaultHTTPCacheTTL
	}
	if h.maxBody == 0 {
		h.maxBody = defaultHTTPMaxBody
	}
	return h, nil
}

// Close closes the idle connections of the client NewHTTP made; it does
// nothing to a Client given in HTTPConfig. The HTTP stays usable.
func (h *HTTP) Close() error {
	if h.ownClient {
		h.client.CloseIdleConnections()
	}
	return nil
}

// Get fetches url and returns the response body.
func (h *HTTP) Get(ctx context.Context, url string) ([]byte, error) {
	return h.Do(ctx, http.MethodGet, url, nil)
}

// Post sends body to url and returns the response body.
func (h *HTTP) Post(ctx context.Context, url string, body []byte) ([]byte, error) {
	return h.Do(ctx, http.MethodPost, url, body)
}

// Do sends a request and returns the body of its 2xx response. A 429 or
// 5xx status or a network error is retried with backoff; what remains
// after the last retry is the error (a *[StatusError] for a status). A
// body larger than the limit fails with an error matching weir.ErrTooLarge. The
// returned slice belongs to the caller but, with a cache, must not be
// modified (it is shared with the cache).
func (h *HTTP) Do(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	resp, _, err := h.DoAttempts(ctx, method, url, body)
	return resp, err
}

// DoAttempts is [HTTP.Do] that also returns how many requests it made: 0
// for an answer from the cache, 1 without retries.
func (h *HTTP) DoAttempts(ctx context.Context, method, url string, body []byte) ([]byte, int, error) {
	var key string
	if h.cache != nil {
		key = cacheKey(method, url, body)
		if v, ok, err := h.cache.Get(ctx, key); err == nil && ok {
			return v, 0, nil
		}
	}
	hdr := make(http.Header, len(h.headers))
	for _, x := range h.headers {
		v, err := h.interp(x.Value)
		if err != nil {
			return nil, 0, fmt.Errorf("enrich: HTTP header %q: %w", x.Key, err)
		}
		hdr.Add(x.Key, v)
	}
	var (
		resp  []byte
		retry bool
	)
	attempts, err, stopped := h.backoff.Do(ctx, func(error) bool { return retry }, func() error {
		if h.limiter != nil {
			if err := h.limiter.Wait(ctx); err != nil {
				retry = false
				return fmt.Errorf("enrich: HTTP %s %s: rate limit: %w", method, h.showURL(url), ctxErr(ctx, err))
			}
		}
		var err error
		resp, retry, err = h.attempt(ctx, method, url, body, hdr)
		return err
	})
	switch {
	case stopped != nil:
		return nil, attempts, h.redactErr(fmt.Errorf("%w (retry: %w)", err, stopped))
	case err != nil:
		return nil, attempts, h.redactErr(err)
	}
	if h.cache != nil {
		_ = h.cache.Set(ctx, key, resp, h.cacheTTL) // a cache that fails costs a request, not the answer
	}
	return resp, attempts, nil
}

// attempt sends one request and reports whether its failure is retryable.
func (h *HTTP) attempt(ctx context.Context, method, url string, body []byte, hdr http.Header) ([]byte, bool, error) {
	actx := ctx
	if h.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, url, rd)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			ue.URL = stripPassword(ue.URL) // a parse error quotes the URL whole
		}
		return nil, false, fmt.Errorf("enrich: HTTP %s: %w", method, err)
	}
	req.Header = hdr.Clone()
	if !h.hostAllowed(req.URL) {
		return nil, false, fmt.Errorf("%w: %s %s: host %q", ErrHostNotAllowed, method, h.showURL(url), req.URL.Host)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// Network errors (an attempt's timeout included) are retried
		// unless the caller's context is done.
		return nil, ctx.Err() == nil, fmt.Errorf("enrich: HTTP %s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, httpDrainOnRetryMaxSize)) // reuse the connection
		return nil, retryableStatus(resp.StatusCode), &StatusError{Method: method, URL: h.showURL(url), StatusCode: resp.StatusCode,
			Body: []byte(h.redactText(string(snippet)))}
	}
	if resp.ContentLength > h.maxBody {
		return nil, false, fmt.Errorf("%w: %s %s: %d bytes, the limit is %d", errResponseTooLarge, method, h.showURL(url), resp.ContentLength, h.maxBody)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, h.maxBody+1))
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("enrich: HTTP %s %s: reading the body: %w", method, h.showURL(url), err)
	}
	if int64(len(b)) > h.maxBody {
		return nil, false, fmt.Errorf("%w: %s %s: over %d bytes", errResponseTooLarge, method, h.showURL(url), h.maxBody)
	}
	return b, false, nil
}

// interp applies the interpolation hook.
func (h *HTTP) interp(s string) (string, error) {
	if h.interpolate == nil {
		return s, nil
	}
	return h.interpolate(s)
}

// hostAllowed reports whether AllowedHosts lets a request go to u.
func (h *HTTP) hostAllowed(u *neturl.URL) bool {
	if h.allowed == nil {
		return true
	}
	host := strings.ToLower(u.Host)
	return h.allowed[host] || h.allowed[strings.ToLower(u.Hostname())]
}

// checkRedirect wraps a client's redirect policy (nil: Go's default, at
// most 10 redirects): a redirect must go to an allowed host, and one that
// leaves the origin (scheme, host and port) of the first request is
// followed without the configured headers, Authorization, Cookie and
// Proxy-Authorization — Go's own policy keeps them on another port of the
// same host, and always keeps headers such as X-Api-Key.
func (h *HTTP) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !h.hostAllowed(req.URL) {
			return fmt.Errorf("%w: redirect to host %q", ErrHostNotAllowed, req.URL.Host)
		}
		if origin(req.URL) != origin(via[0].URL) {
			for _, k := range h.headerKeys {
				req.Header.Del(k)
			}
			req.Header.Del("Authorization")
			req.Header.Del("Proxy-Authorization")
			req.Header.Del("Cookie")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// origin returns a URL's scheme, host and port, the port made explicit.
func origin(u *neturl.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// redactText applies the Redact hook.
func (h *HTTP) redactText(s string) string {
	if h.redact == nil {
		return s
	}
	return h.redact(s)
}

// showURL returns rawURL as an error may show it: without the password of
// its user part (even when it does not parse) and redacted.
func (h *HTTP) showURL(rawURL string) string {
	return h.redactText(stripPassword(rawURL))
}

// stripPassword replaces the password in the user part of a URL with
// "xxxxx", as url.URL.Redacted does, working on the text so that a URL
// that does not parse loses its password too.
func stripPassword(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return raw
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return raw
	}
	return raw[:i+3] + rest[:colon+1] + "xxxxx" + rest[at:]
}

// redactErr returns err, or, if its text holds something Redact removes,
// an error with the redacted text that still matches what err matched
// with errors.Is (but gives no access to err's text).
func (h *HTTP) redactErr(err error) error {
	if h.redact == nil || err == nil {
		return err
	}
	text := err.Error()
	if r := h.redact(text); r != text {
		return &redactedError{text: r, err: err}
	}
	return err
}

// redactedError is an error whose text was redacted.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }

// Is reports whether the original error matches target, so that sentinels
// (weir.ErrTooLarge, context.DeadlineExceeded) still match.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// As finds a *StatusError, whose fields were redacted as it was built.
func (e *redactedError) As(target any) bool {
	if p, ok := target.(**StatusError); ok {
		return errors.As(e.err, p)
	}
	return false
}

// retryableStatus reports whether a status is worth retrying.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// cacheKey names a request in the cache.
func cacheKey(method, url string, body []byte) string {
	if body == nil {
		return method + " " + url
	}
	sum := sha256.Sum256(body)
	return method + " " + url + " " + hex.EncodeToString(sum[:]) + " " + strconv.Itoa(len(body))
}

// ctxErr prefers the context's error to the one a wait returned.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
