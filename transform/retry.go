package transform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/internal/backoff"
)

// ErrRetryLimit is matched by the error a [MetaRetry] returns when its last
// attempt failed: the message could not be transformed within the retry
// count. The error also wraps the last attempt's error. Route the message
// aside, or catch the error with meta_err (its text starts with "retry limit
// reached", as in Substation).
var ErrRetryLimit = errors.New("transform: retry limit reached")

// retryLimitError is the cause inside the *Error a MetaRetry returns after
// its last attempt. Its text starts with Substation's "retry limit reached"
// so that meta_err patterns written for Substation match it.
type retryLimitError struct {
	attempts int
	last     error
}

func (e *retryLimitError) Error() string {
	return fmt.Sprintf("retry limit reached after %d attempts: %v", e.attempts, e.last)
}
func (e *retryLimitError) Is(target error) bool { return target == ErrRetryLimit }
func (e *retryLimitError) Unwrap() error        { return e.last }

// errConditionNotMet is the failure of an attempt whose output the
// condition rejected.
var errConditionNotMet = errors.New("condition not met")

// sleepCtx waits for d or until ctx is done, and returns ctx's error in
// the latter case.
func sleepCtx(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

// errorMatches reports whether a pattern matches the text of err or of an
// error it wraps.
func errorMatches(res []*regexp.Regexp, err error) bool {
	if len(res) == 0 || err == nil {
		return false
	}
	s := err.Error()
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return errorMatches(res, u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, err := range u.Unwrap() {
			if errorMatches(res, err) {
				return true
			}
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// meta_retry

// MetaRetryConfig configures [MetaRetry], the meta_retry transform.
//
// In JSON the transforms and the condition are configs, built with [New] and
// [condition.New]:
//
//	{"type": "meta_retry", "settings": {
//	    "transforms": [{"type": "enrich_http_get", "settings": {…}}],
//	    "condition": {"type": "number_length_greater_than", "settings": {…}},
//	    "error_messages": ["timeout"],
//	    "retry": {"count": 4, "delay": "1s", "max_delay": "10s"}}}
type MetaRetryConfig struct {
	// Transforms run in sequence, like a [Chain], on a copy of the message
	// at each attempt. None at all passes messages unchanged.
	Transforms []Transformer
	// Condition must hold for every data message an attempt returns;
	// otherwise the attempt failed and is retried. Nil accepts any output.
	Condition condition.Inspector
	// ErrorMessages are regular expressions (RE2) matched against the text of
	// an attempt's error and of every error it wraps: an error one matches
	// is retried, any other is returned at once. Empty retries no error,
	// only rejected output.
	ErrorMessages []string
	// Retry sets how often and how long to wait.
	Retry weir.RetrySettings
	// ID names this transform in errors.
	ID string

	// Sleep waits for d or until ctx is done, returning ctx's error then.
	// Nil means a timer; tests set it to avoid waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter picks the wait before a retry, given the longest it may be
	// (min(MaxDelay, Delay·2ⁿ⁻¹)): a duration from 0 to ceil. Nil means
	// uniformly at random in [0, ceil); tests set it to make waits
	// predictable.
	Jitter func(ceil time.Duration) time.Duration
}

// MetaRetry runs transforms until they succeed: an attempt succeeds when it
// returns no error and the condition holds for each data message it
// returns. It is the meta_retry transform, for flaky steps such as calls to
// a remote service, or for results that are sometimes incomplete.
//
// Each attempt works on a copy of the message, so a failed attempt leaves
// nothing behind, and the successful attempt's output is returned. A failed
// attempt is retried, after a wait (see [weir.RetrySettings]), if its output was
// rejected by the condition or its error matches ErrorMessages; any other
// error is returned at once. After the last attempt the error matches
// [ErrRetryLimit] and wraps the last attempt's error. A context that is done
// ends the wait at once with an error wrapping the context's error.
//
// A control message passes through the transforms once, without retries or
// condition.
//
// A MetaRetry is safe for concurrent use if its transforms and condition
// are; concurrent messages retry independently.
type MetaRetry struct {
	id         string
	tfs        []Transformer
	cond       condition.Inspector
	res        []*regexp.Regexp
	count      int
	base, ceil time.Duration
	sleep      func(context.Context, time.Duration) error
	jitter     func(time.Duration) time.Duration
}

// NewMetaRetry returns a MetaRetry running cfg's transforms. It takes
// ownership of them and of the condition (see [MetaRetry.Close]).
func NewMetaRetry(cfg MetaRetryConfig) (*MetaRetry, error) {
	if err := checkTransformers("transforms", cfg.Transforms); err != nil {
		return nil, configErr("meta_retry", err)
	}
	count, base, ceil, err := cfg.Retry.Policy()
	if err != nil {
		return nil, configErr("meta_retry", err)
	}
	r := &MetaRetry{
		id:     cfg.ID,
		tfs:    append([]Transformer(nil), cfg.Transforms...),
		cond:   cfg.Condition,
		res:    make([]*regexp.Regexp, len(cfg.ErrorMessages)),
		count:  count,
		base:   base,
		ceil:   ceil,
		sleep:  cfg.Sleep,
		jitter: cfg.Jitter,
	}
	for i, s := range cfg.ErrorMessages {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, &weir.ConfigError{Type: "meta_retry", Field: fmt.Sprintf("error_messages.%d", i), Err: err}
		}
		r.res[i] = re
	}
	if r.sleep == nil {
		r.sleep = sleepCtx
	}
	if r.jitter == nil {
		r.jitter = backoff.Jitter
	}
	return r, nil
}

// metaRetrySettings is the JSON shape of meta_retry's settings.
type metaRetrySettings struct {
	Transforms    []weir.Config      `json:"transforms"`
	Condition     weir.Config        `json:"condition"`
	ErrorMessages []string           `json:"error_messages"`
	Retry         weir.RetrySettings `json:"retry"`
	ID            string             `json:"id,omitempty"`
}

func buildMetaRetry(ctx context.Context, env *Env, s metaRetrySettings) (*MetaRetry, error) {
	cfg := MetaRetryConfig{ErrorMessages: s.ErrorMessages, Retry: s.Retry, ID: s.ID}
	in, err := buildCondition(ctx, env, "condition", s.Condition)
	if err != nil {
		return nil, err
	}
	ts, err := buildAll(ctx, env, "transforms", s.Transforms)
	if err != nil {
		closeCondition(in)
		return nil, err
	}
	cfg.Condition, cfg.Transforms = in, ts
	r, err := NewMetaRetry(cfg)
	if err != nil {
		closeCondition(in)
		_ = closeAll(ts)
		return nil, err
	}
	return r, nil
}

// Transform implements [Transformer].
func (r *MetaRetry) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		out, err := applyOne(ctx, r.tfs, msg)
		if err != nil {
			return nil, &Error{Type: "meta_retry", ID: r.id, Err: err}
		}
		return out, nil
	}
	var last error
	attempt := 0
	for ; r.count == 0 || attempt <= r.count; attempt++ {
		if attempt > 0 {
			d := r.jitter(backoff.Ceil(r.base, r.ceil, attempt-1))
			if err := r.sleep(ctx, d); err != nil {
				return nil, &Error{Type: "meta_retry", ID: r.id,
					Err: fmt.Errorf("stopped after %d attempts (last: %v): %w", attempt, last, err)}
			}
		}
		out, err := applyOne(ctx, r.tfs, msg.Clone())
		if err != nil {
			if !errorMatches(r.res, err) {
				return nil, &Error{Type: "meta_retry", ID: r.id, Err: err}
			}
			last = err
			continue
		}
		ok, err := r.accepted(ctx, out)
		if err != nil {
			return nil, &Error{Type: "meta_retry", ID: r.id, Err: err}
		}
		if ok {
			return out, nil
		}
		last = errConditionNotMet
	}
	return nil, &Error{Type: "meta_retry", ID: r.id, Err: &retryLimitError{attempts: attempt, last: last}}
}

// accepted reports whether the condition holds for every data message in
// out.
func (r *MetaRetry) accepted(ctx context.Context, out []*weir.Message) (bool, error) {
	if r.cond == nil {
		return true, nil
	}
	for _, m := range out {
		if m.IsControl() {
			continue
		}
		ok, err := r.cond.Inspect(ctx, m)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// Close closes the condition and every transform that implements io.Closer.
func (r *MetaRetry) Close() error {
	var errs []error
	if cl, ok := r.cond.(io.Closer); ok {
		errs = append(errs, cl.Close())
	}
	errs = append(errs, closeAll(r.tfs))
	return errors.Join(errs...)
}
