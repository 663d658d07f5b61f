package transformtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/transformtest"
)

// The checks are tested against transformers that break one rule each: a
// check that passes them would pass anything.

var pass = transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
	return m.AsSlice(), nil
})

// fixed returns a constructor that returns tf.
func fixed(tf transform.Transformer) func() (transform.Transformer, error) {
	return func() (transform.Transformer, error) { return tf, nil }
}

// batcher holds the data of data messages and releases it, one message
// each, before the control message that flushes it. With keep it holds the
// messages themselves instead, which breaks the retain rule.
type batcher struct {
	mu   sync.Mutex
	data [][]byte
	msgs []*weir.Message
	keep bool
}

func newBatcher(keep bool) func() (transform.Transformer, error) {
	return func() (transform.Transformer, error) { return &batcher{keep: keep}, nil }
}

func (b *batcher) Transform(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !m.IsControl() {
		if b.keep {
			b.msgs = append(b.msgs, m)
		} else {
			b.data = append(b.data, m.Data()) // a Message never modifies the bytes it holds
		}
		return nil, nil
	}
	var out []*weir.Message
	for _, d := range b.data {
		out = append(out, weir.NewMessage(d))
	}
	out = append(append(out, b.msgs...), m)
	b.data, b.msgs = nil, nil
	return out, nil
}

func TestRunPasses(t *testing.T) {
	t.Parallel()
	transformtest.Run(t, fixed(pass), transformtest.Options{})
	transformtest.Run(t, newBatcher(false), transformtest.Options{
		Inputs:   [][]byte{[]byte(`{"a":1}`), []byte(`{"a":2}`)},
		Behavior: transformtest.Stateful,
	})
	transformtest.Run(t, func() (transform.Transformer, error) {
		return transform.NewObjectCopy(transform.ObjectCopyConfig{
			Object: transform.ObjectSettings{SourceKey: "a", TargetKey: "b.c"},
		})
	}, transformtest.Options{
		Inputs: [][]byte{[]byte(`{"a":1}`), []byte(`{"a":{"x":[1,2]}}`), []byte(`{}`)},
		Key:    "a",
	})
}

func TestInputs(t *testing.T) {
	t.Parallel()
	assert.Len(t, transformtest.MalformedInputs(""), 17)
	assert.Len(t, transformtest.MalformedInputs("a"), 17*2)
	assert.Len(t, transformtest.LargeInputs(""), 1)
	assert.Len(t, transformtest.LargeInputs("a"), 2)
}

func TestCheckResult(t *testing.T) {
	t.Parallel()
	m := weir.NewMessage([]byte(`{}`))
	assert.NoError(t, transformtest.CheckResult(nil, nil), "dropped")
	assert.NoError(t, transformtest.CheckResult(nil, weir.ErrInvalidData))
	assert.NoError(t, transformtest.CheckResult(nil, fmt.Errorf("wrapped: %w", &transform.Error{Type: "x", Err: errors.New("no")})))
	assert.NoError(t, transformtest.CheckResult([]*weir.Message{m, weir.NewMessage(nil)}, nil))

	assert.ErrorContains(t, transformtest.CheckResult(nil, errors.New("boom")), "neither matches weir.ErrInvalidData nor is a *transform.Error")
	assert.ErrorContains(t, transformtest.CheckResult([]*weir.Message{}, weir.ErrInvalidData), "returned 0 messages with the error")
	assert.ErrorContains(t, transformtest.CheckResult(m.AsSlice(), weir.ErrInvalidData), "returned 1 messages with the error")
	assert.ErrorContains(t, transformtest.CheckResult([]*weir.Message{m, nil}, nil), "nil message")
	assert.ErrorContains(t, transformtest.CheckResult([]*weir.Message{m, m}, nil), "same message twice")
}

func TestCheckControl(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := [][]byte{[]byte(`{}`)}
	require.NoError(t, transformtest.CheckControl(ctx, pass, inputs))
	require.NoError(t, transformtest.CheckControl(ctx, &batcher{}, inputs))
	emits := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{weir.NewControl(), m}, nil // as utility_control does
	})
	require.NoError(t, transformtest.CheckControl(ctx, emits, inputs))

	for _, tc := range []struct {
		name string
		fn   func(m *weir.Message) ([]*weir.Message, error)
		want string
	}{
		{"drops", func(*weir.Message) ([]*weir.Message, error) { return nil, nil }, "not among the 0 results"},
		{"replaces", func(m *weir.Message) ([]*weir.Message, error) {
			return weir.NewControl().AsSlice(), nil
		}, "another control message in place of the one it was given"},
		{"not last", func(m *weir.Message) ([]*weir.Message, error) {
			return []*weir.Message{m, weir.NewMessage([]byte(`{}`))}, nil
		}, "returned 1 messages after it"},
		{"twice", func(m *weir.Message) ([]*weir.Message, error) {
			return []*weir.Message{m, m}, nil
		}, "same message twice"},
		{"errs", func(m *weir.Message) ([]*weir.Message, error) {
			if m.IsControl() {
				return nil, &transform.Error{Type: "x", Err: errors.New("no flush")}
			}
			return m.AsSlice(), nil
		}, "a control message must pass"},
		{"panics", func(m *weir.Message) ([]*weir.Message, error) {
			if m.IsControl() {
				panic("control")
			}
			return m.AsSlice(), nil
		}, "panic: control"},
		{"breaks an input", func(m *weir.Message) ([]*weir.Message, error) {
			if !m.IsControl() {
				return m.AsSlice(), errors.New("boom")
			}
			return m.AsSlice(), nil
		}, `input "{}": error "boom"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tf := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) { return tc.fn(m) })
			err := transformtest.CheckControl(ctx, tf, inputs)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestCheckMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, transformtest.CheckMalformed(ctx, pass, transformtest.MalformedInputs("a")))

	panics := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if !m.IsControl() && !json.Valid(m.Data()) {
			panic("not json")
		}
		return m.AsSlice(), nil
	})
	assert.ErrorContains(t, transformtest.CheckMalformed(ctx, panics, transformtest.MalformedInputs("")), "panic: not json")

	badErr := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if m.IsControl() {
			return m.AsSlice(), nil
		}
		return nil, errors.New("boom")
	})
	assert.ErrorContains(t, transformtest.CheckMalformed(ctx, badErr, transformtest.MalformedInputs("")), "neither matches weir.ErrInvalidData")

	// A batcher that cannot flush what the malformed inputs left.
	var held atomic.Bool
	flushFails := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if !m.IsControl() {
			held.Store(held.Load() || !json.Valid(m.Data()))
			return nil, nil
		}
		if held.Load() {
			return nil, &transform.Error{Type: "x", Err: weir.ErrInvalidData}
		}
		return m.AsSlice(), nil
	})
	assert.ErrorContains(t, transformtest.CheckMalformed(ctx, flushFails, transformtest.MalformedInputs("")),
		"control message after the malformed inputs: error")
}

// inFlight writes how many calls are running at once: 1 when called in
// sequence, more when called concurrently.
func inFlight() transform.Transformer {
	var n atomic.Int64
	return transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if m.IsControl() {
			return m.AsSlice(), nil
		}
		k := n.Add(1)
		defer n.Add(-1)
		time.Sleep(time.Millisecond)
		_ = m.SetInt("in_flight", k)
		return m.AsSlice(), nil
	})
}

func TestCheckConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := [][]byte{[]byte(`{"a":1}`), []byte(`{"a":2}`)}
	require.NoError(t, transformtest.CheckConcurrent(ctx, fixed(pass), inputs, transformtest.Stateless))
	require.NoError(t, transformtest.CheckConcurrent(ctx, newBatcher(false), inputs, transformtest.Stateful))

	var n atomic.Int64
	counts := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		m.SetData(fmt.Appendf(nil, "%d", n.Add(1)))
		return m.AsSlice(), nil
	})
	assert.ErrorContains(t, transformtest.CheckConcurrent(ctx, fixed(counts), inputs, transformtest.Stateless), "where the sequential one returned")
	assert.NoError(t, transformtest.CheckConcurrent(ctx, fixed(counts), inputs, transformtest.Sequential))
	assert.NoError(t, transformtest.CheckConcurrent(ctx, fixed(counts), inputs, transformtest.Random))

	newInFlight := func() (transform.Transformer, error) { return inFlight(), nil }
	assert.ErrorContains(t, transformtest.CheckConcurrent(ctx, newInFlight, inputs, transformtest.Stateless), "a concurrent call returned")
	assert.ErrorContains(t, transformtest.CheckConcurrent(ctx, newInFlight, inputs, transformtest.Stateful), "only concurrently")

	broken := func() (transform.Transformer, error) { return nil, errors.New("no config") }
	assert.ErrorContains(t, transformtest.CheckConcurrent(ctx, broken, inputs, transformtest.Stateless), "building the transformer: no config")
}

// lastSeen returns, with each message, the one before it, which it
// retains: a caller that reuses messages finds its output changed.
type lastSeen struct {
	mu   sync.Mutex
	last *weir.Message
}

func (l *lastSeen) Transform(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
	if m.IsControl() {
		return m.AsSlice(), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := m.Clone()
	if l.last != nil {
		_ = out.SetValue("previous", l.last.Get("a"))
	}
	l.last = m
	return out.AsSlice(), nil
}

// valueKeeper writes a field, keeps the Value it reads back, drops the
// message and releases the Values on a control message: the Values point
// into the memory of messages the caller may reuse.
type valueKeeper struct {
	mu   sync.Mutex
	vals []weir.Value
}

func (k *valueKeeper) Transform(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if m.IsControl() {
		out := make([]*weir.Message, 0, len(k.vals)+1)
		for _, v := range k.vals {
			out = append(out, weir.NewMessage(nil).SetDataValue(v))
		}
		k.vals = nil
		return append(out, m), nil
	}
	_ = m.SetString("kept", "value "+m.Get("a").String())
	k.vals = append(k.vals, m.Get("kept"))
	return nil, nil
}

func TestCheckRetain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := [][]byte{[]byte(`{"a":1}`), []byte(`{"a":2}`)}
	require.NoError(t, transformtest.CheckRetain(ctx, fixed(pass), inputs, transformtest.Stateless))
	require.NoError(t, transformtest.CheckRetain(ctx, newBatcher(false), inputs, transformtest.Stateful))

	// Holding the message it was given, it returns the one message the
	// caller reused as many times as it held it.
	assert.ErrorContains(t, transformtest.CheckRetain(ctx, newBatcher(true), inputs, transformtest.Stateful),
		"reused messages: control message after the inputs: returned the same message twice")
	newKeeper := func() (transform.Transformer, error) { return &valueKeeper{}, nil }
	assert.ErrorContains(t, transformtest.CheckRetain(ctx, newKeeper, inputs, transformtest.Stateful),
		"the control message after the inputs: with messages reused after each call")
	newLastSeen := func() (transform.Transformer, error) { return &lastSeen{}, nil }
	assert.ErrorContains(t, transformtest.CheckRetain(ctx, newLastSeen, inputs, transformtest.Stateless),
		`input "{\"a\":2}": with messages reused after each call`)
	assert.NoError(t, transformtest.CheckRetain(ctx, newLastSeen, inputs, transformtest.Random))
}

// closer is a transformer with a Close of the given behaviour.
type closer struct {
	transform.Func
	close func() error
}

func (c *closer) Close() error { return c.close() }

func TestCheckClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := [][]byte{[]byte(`{}`)}
	require.NoError(t, transformtest.CheckClose(ctx, fixed(pass), inputs), "not a Closer: nothing to check")

	newCloser := func(close func(n int) error) func() (transform.Transformer, error) {
		return func() (transform.Transformer, error) {
			n := 0
			return &closer{pass, func() error { n++; return close(n) }}, nil
		}
	}
	assert.NoError(t, transformtest.CheckClose(ctx, newCloser(func(int) error { return nil }), inputs))
	assert.NoError(t, transformtest.CheckClose(ctx, newCloser(func(int) error { return errors.New("same") }), inputs))
	assert.NoError(t, transformtest.CheckClose(ctx, newCloser(func(n int) error {
		if n == 1 {
			return errors.New("first only")
		}
		return nil
	}), inputs))
	assert.ErrorContains(t, transformtest.CheckClose(ctx, newCloser(func(n int) error {
		if n > 1 {
			panic("closed twice")
		}
		return nil
	}), inputs), "second Close: panic: closed twice")
	assert.ErrorContains(t, transformtest.CheckClose(ctx, newCloser(func(n int) error {
		if n > 1 {
			return errors.New("already closed")
		}
		return nil
	}), inputs), `second Close returned "already closed"`)

	// A Close that assumes the client it makes on first use exists.
	lazy := func() (transform.Transformer, error) {
		var client *struct{ open bool }
		return &closer{
			func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
				if client == nil {
					client = &struct{ open bool }{true}
				}
				return m.AsSlice(), nil
			},
			func() error { client.open = false; return nil },
		}, nil
	}
	assert.ErrorContains(t, transformtest.CheckClose(ctx, lazy, inputs), "a fresh transformer: first Close: panic")
}

func TestTest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, transformtest.Test(ctx, fixed(pass), transformtest.Options{}))

	// One transformer that breaks two rules: both are reported, each named.
	var n atomic.Int64
	bad := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) {
		if m.IsControl() {
			return m.AsSlice(), nil
		}
		if len(m.Data()) == 0 {
			return nil, errors.New("empty")
		}
		_ = m.SetInt("n", n.Add(1))
		return m.AsSlice(), nil
	})
	err := transformtest.Test(ctx, fixed(bad), transformtest.Options{SkipLarge: true})
	assert.ErrorContains(t, err, "malformed: input \"\": error \"empty\"")
	assert.ErrorContains(t, err, "concurrent: ")
	assert.ErrorContains(t, err, "retain: ")
	assert.NotContains(t, err.Error(), "control:")
	assert.NotContains(t, err.Error(), "close:")

	err = transformtest.Test(ctx, fixed(bad), transformtest.Options{
		SkipLarge: true, Behavior: transformtest.Random, Skip: map[string]string{"malformed": "known"},
	})
	assert.NoError(t, err)

	assert.ErrorContains(t, transformtest.Test(ctx, fixed(pass), transformtest.Options{Skip: map[string]string{"concurency": ""}}),
		`Options.Skip names "concurency", which is not a check`)
}

func TestBehaviorString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Stateful", transformtest.Stateful.String())
	assert.Equal(t, "Behavior(9)", transformtest.Behavior(9).String())
}

func TestCheckUnknownSetting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := &transform.Registry{}
	require.NoError(t, reg.Register("lax", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) { return pass, nil }))
	assert.ErrorContains(t, transformtest.CheckUnknownSetting(ctx, &transform.Env{Transforms: reg}, weir.Config{Type: "lax"}), "was accepted")
	assert.NoError(t, transformtest.CheckUnknownSetting(ctx, nil, weir.Config{Type: "utility_drop"}))
	assert.NoError(t, transformtest.CheckUnknownSetting(ctx, nil, weir.Config{Type: "hash_md5"}, "algorithm"))
	assert.ErrorContains(t, transformtest.CheckUnknownSetting(ctx, nil, weir.Config{Type: "hash_sha1"}, "algorithm"),
		`documented to ignore the setting "algorithm"`)
}
