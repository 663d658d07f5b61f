package transform

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/weirhq/weir"
)

func utilityBuiltins() map[string]Factory {
	return map[string]Factory{
		"utility_control": decodedNoCtx(NewUtilityControl),
		"utility_drop":    decodedNoCtx(NewUtilityDrop),
		"utility_err":     decodedNoCtx(NewUtilityErr),
	}
}

// ---------------------------------------------------------------------------
// utility_drop

// UtilityDropConfig configures [UtilityDrop], the utility_drop transform.
// It has no settings besides the id.
type UtilityDropConfig struct {
	// ID names this transform.
	ID string `json:"id,omitempty"`
}

// UtilityDrop drops every data message and passes control messages on. It
// is the utility_drop transform, usually the last transform of a
// [MetaSwitch] case that filters messages out. It is safe for concurrent
// use.
type UtilityDrop struct{}

// NewUtilityDrop returns a UtilityDrop. It never fails.
func NewUtilityDrop(UtilityDropConfig) (*UtilityDrop, error) { return &UtilityDrop{}, nil }

// Transform implements [Transformer]. It returns no messages for a data
// message.
func (*UtilityDrop) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	return nil, nil
}

// ---------------------------------------------------------------------------
// utility_err

// ErrRaised is matched by every error a [UtilityErr] returns: the pipeline's
// configuration raised it on purpose, usually to flag a message that should
// not have reached that point. Route the message aside or stop, as for any
// error about a message.
var ErrRaised = errors.New("transform: error raised by utility_err")

// raisedError is the cause inside the *Error a UtilityErr returns: its text
// is the configured message alone, so that meta_err patterns written for
// Substation ("^my message") match it.
type raisedError string

func (e raisedError) Error() string        { return string(e) }
func (e raisedError) Is(target error) bool { return target == ErrRaised }

// UtilityErrConfig configures [UtilityErr], the utility_err transform.
type UtilityErrConfig struct {
	// Message is the text of the error.
	Message string `json:"message,omitempty"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
}

// UtilityErr fails on every data message with an error whose cause has the
// configured text and matches [ErrRaised], wrapped in an [*Error]; control
// messages pass on. It is the utility_err transform. It is safe for
// concurrent use.
type UtilityErr struct {
	id  string
	msg string
}

// NewUtilityErr returns a UtilityErr. It never fails.
func NewUtilityErr(cfg UtilityErrConfig) (*UtilityErr, error) {
	return &UtilityErr{id: cfg.ID, msg: cfg.Message}, nil
}

// Transform implements [Transformer].
func (u *UtilityErr) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	return nil, &Error{Type: "utility_err", ID: u.id, Err: raisedError(u.msg)}
}

// ---------------------------------------------------------------------------
// utility_control

// UtilityControlConfig configures [UtilityControl], the utility_control
// transform.
type UtilityControlConfig struct {
	// Batch sets when a batch ends.
	Batch BatchSettings `json:"batch"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time `json:"-"`
}

// UtilityControl cuts the stream of data messages into batches and emits a
// control message between batches, so that stateful transforms after it
// (aggregations, batched sends) flush once per batch. It is the
// utility_control transform.
//
// A data message that would take the current batch past Batch.Count
// messages or Batch.Size bytes of data, or that arrives more than
// Batch.Duration after the batch's previous message, starts a new batch: it
// is returned after a new control message. As in Substation, the duration is
// the time since the previous message, not the batch's age, and nothing
// happens between messages: no goroutine or timer is started. A data message
// larger than Batch.Size is an error matching weir.ErrInvalidData. A control
// message passes on and starts a new batch.
//
// A UtilityControl holds one batch, guarded by a mutex: it is safe for
// concurrent use, and concurrent callers share its batches.
type UtilityControl struct {
	id                string
	maxCount, maxSize int
	maxGap            time.Duration
	now               func() time.Time

	mu      sync.Mutex
	started bool      // a data message has been seen
	count   int       // messages in the batch
	size    int       // bytes in the batch
	last    time.Time // when the batch last changed
}

// NewUtilityControl returns a UtilityControl with cfg's batch limits.
func NewUtilityControl(cfg UtilityControlConfig) (*UtilityControl, error) {
	count, size, dur, err := cfg.Batch.limits()
	if err != nil {
		return nil, configErr("utility_control", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &UtilityControl{id: cfg.ID, maxCount: count, maxSize: size, maxGap: dur, now: now}, nil
}

// Transform implements [Transformer]. It returns msg, preceded by a new
// control message when msg starts a new batch.
func (u *UtilityControl) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	now := u.now()
	if msg.IsControl() {
		u.mu.Lock()
		if u.started {
			u.count, u.size, u.last = 0, 0, now
		}
		u.mu.Unlock()
		return msg.AsSlice(), nil
	}

	n := len(msg.Data())
	if n > u.maxSize {
		return nil, &Error{Type: "utility_control", ID: u.id,
			Err: fmt.Errorf("message of %d bytes is larger than batch.size (%d): %w", n, u.maxSize, weir.ErrInvalidData)}
	}

	u.mu.Lock()
	if !u.started {
		u.started, u.last = true, now
	}
	fits := u.count+1 <= u.maxCount && u.size+n <= u.maxSize && now.Sub(u.last) <= u.maxGap
	if fits {
		u.count++
		u.size += n
	} else {
		u.count, u.size = 1, n
	}
	u.last = now
	u.mu.Unlock()

	if fits {
		return msg.AsSlice(), nil
	}
	return []*weir.Message{weir.NewControl(), msg}, nil
}
