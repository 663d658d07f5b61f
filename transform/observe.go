package transform

import (
	"context"
	"errors"
	"time"

	"github.com/weirhq/weir"
)

// The observe family watches and paces a pipeline rather than changing
// events: meta_retry (retry.go), the metric transforms (metrics.go),
// utility_secret (secret.go), utility_delay and test_message.

func observeBuiltins() map[string]Factory {
	return map[string]Factory{
		"meta_retry":               decoded(buildMetaRetry),
		"meta_metric_duration":     decoded(buildMetaMetricDuration),
		"utility_delay":            decodedNoCtx(NewUtilityDelay),
		"utility_metric_bytes":     decoded(withEnvMetrics(NewUtilityMetricBytes)),
		"utility_metric_count":     decoded(withEnvMetrics(NewUtilityMetricCount)),
		"utility_metric_freshness": decoded(withEnvMetrics(NewUtilityMetricFreshness)),
		"utility_secret":           decoded(buildUtilitySecret),
		"test_message":             decodedNoCtx(NewTestMessage),
	}
}

// ---------------------------------------------------------------------------
// utility_delay

// UtilityDelayConfig configures [UtilityDelay], the utility_delay transform.
type UtilityDelayConfig struct {
	// Duration is a Go duration ("100ms", "2s"): how long each data message
	// is held. Required; "0s" holds nothing.
	Duration string `json:"duration"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Sleep waits for d or until ctx is done, returning ctx's error then.
	// Nil means a timer; tests set it to avoid waiting.
	Sleep func(ctx context.Context, d time.Duration) error `json:"-"`
}

// UtilityDelay holds every data message for a fixed time before passing it
// on, e.g. to stay under a rate limit of the service a later transform
// calls. It is the utility_delay transform. Control messages pass at once.
//
// The wait ends early when the context is done: the message is then not
// passed on and the error wraps the context's error. A UtilityDelay is safe
// for concurrent use; each call waits on its own.
type UtilityDelay struct {
	id    string
	d     time.Duration
	sleep func(context.Context, time.Duration) error
}

// NewUtilityDelay returns a UtilityDelay holding messages for cfg.Duration.
func NewUtilityDelay(cfg UtilityDelayConfig) (*UtilityDelay, error) {
	if cfg.Duration == "" {
		return nil, &weir.ConfigError{Type: "utility_delay", Field: "duration", Err: weir.ErrMissingSetting}
	}
	d, err := time.ParseDuration(cfg.Duration)
	if err != nil {
		return nil, &weir.ConfigError{Type: "utility_delay", Field: "duration", Err: err}
	}
	if d < 0 {
		return nil, &weir.ConfigError{Type: "utility_delay", Field: "duration", Err: errors.New("negative")}
	}
	sleep := cfg.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	return &UtilityDelay{id: cfg.ID, d: d, sleep: sleep}, nil
}

// Transform implements [Transformer].
func (u *UtilityDelay) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	if err := u.sleep(ctx, u.d); err != nil {
		return nil, &Error{Type: "utility_delay", ID: u.id, Err: err}
	}
	return msg.AsSlice(), nil
}

// ---------------------------------------------------------------------------
// test_message

// TestMessageConfig configures [TestMessage], the test_message transform.
type TestMessageConfig struct {
	// Value is the data of the message emitted, encoded as
	// [weir.Message.Set] encodes it: an object or array as JSON (objects
	// from a JSON config with sorted keys, numbers as Substation renders
	// them), a string as its text, nil as empty data.
	Value any `json:"value"`
	// ID names this transform.
	ID string `json:"id,omitempty"`
}

// TestMessage injects a message into a pipeline: every control message is
// preceded by a new data message holding the configured value. Data
// messages pass unchanged. It is the test_message transform, which
// Substation's config tests put first so that a pipeline has input to work
// on; a pipeline run flushes once at its end, so the message appears once.
//
// A TestMessage is safe for concurrent use.
type TestMessage struct {
	data []byte // never modified; shared by the messages emitted
}

// NewTestMessage returns a TestMessage emitting cfg.Value. The value is
// encoded once, here.
func NewTestMessage(cfg TestMessageConfig) (*TestMessage, error) {
	scratch := weir.NewMessage(nil)
	if err := scratch.Set("v", objNormalizeNumbers(cfg.Value)); err != nil {
		return nil, &weir.ConfigError{Type: "test_message", Field: "value", Err: err}
	}
	data := scratch.Get("v").Bytes()
	return &TestMessage{data: data[:len(data):len(data)]}, nil
}

// Transform implements [Transformer]. For a control message it returns the
// test message, then the control message.
func (t *TestMessage) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		// Messages never modify the bytes given to them, so every test
		// message can share t.data.
		return []*weir.Message{weir.NewMessage(t.data), msg}, nil
	}
	return msg.AsSlice(), nil
}
