package conditiontest_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/condition/conditiontest"
)

// The checks are tested against inspectors that break one rule each: a
// check that passes them would pass anything.

var yes = condition.Func(func(context.Context, *weir.Message) (bool, error) { return true, nil })

// fixed returns a constructor that returns in.
func fixed(in condition.Inspector) func() (condition.Inspector, error) {
	return func() (condition.Inspector, error) { return in, nil }
}

func TestRunPasses(t *testing.T) {
	t.Parallel()
	conditiontest.Run(t, fixed(yes), conditiontest.Options{})
	contains, err := condition.NewStringContains(condition.StringContainsConfig{
		Object: condition.ObjectSettings{SourceKey: "a"}, Value: "x",
	})
	require.NoError(t, err)
	conditiontest.Run(t, fixed(contains), conditiontest.Options{
		Inputs: [][]byte{[]byte(`{"a":"xyz"}`), []byte(`{"a":"abc"}`)},
		Key:    "a",
	})
}

func TestMalformedInputs(t *testing.T) {
	t.Parallel()
	assert.Len(t, conditiontest.MalformedInputs(""), 17)
	// At a key, the one payload Set writes as an object reads back as one;
	// the others are strings, and the JSON values are themselves.
	withKey := conditiontest.MalformedInputs("a.b")
	assert.Len(t, withKey, 17*2)
	assert.JSONEq(t, `{"a":{"b":"not json"}}`, string(withKey[17+1].Data()))
	assert.Equal(t, `1e400`, withKey[17+8+3].Get("a.b").Raw())
	// Each call returns new messages.
	assert.NotSame(t, conditiontest.MalformedInputs("")[0], conditiontest.MalformedInputs("")[0])

	large := conditiontest.LargeInputs("k")
	require.Len(t, large, 2)
	assert.Len(t, large[1].Get("k").String(), 1<<20)
}

func TestCheckControl(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, conditiontest.CheckControl(ctx, yes))

	panics := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		if !json.Valid(m.Data()) {
			panic("not json")
		}
		return true, nil
	})
	assert.ErrorContains(t, conditiontest.CheckControl(ctx, panics), "panic: not json")

	writes := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		m.SetData([]byte(`{}`))
		return false, nil
	})
	assert.NoError(t, conditiontest.CheckControl(ctx, writes), "SetData does nothing to a control message")
	assert.ErrorContains(t, conditiontest.CheckMalformed(ctx, writes, conditiontest.MalformedInputs("")), "modified the message")
}

func TestCheckMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, conditiontest.CheckMalformed(ctx, yes, conditiontest.MalformedInputs("a")))

	panics := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		if !json.Valid(m.Data()) {
			panic("not json")
		}
		return true, nil
	})
	assert.ErrorContains(t, conditiontest.CheckMalformed(ctx, panics, conditiontest.MalformedInputs("")), "panic: not json")

	badErr := condition.Func(func(context.Context, *weir.Message) (bool, error) { return false, errors.New("boom") })
	assert.ErrorContains(t, conditiontest.CheckMalformed(ctx, badErr, conditiontest.MalformedInputs("")), "neither matches weir.ErrInvalidData")
	pathErr := condition.Func(func(context.Context, *weir.Message) (bool, error) {
		return false, &weir.PathError{Op: "set", Path: "a", Err: errors.New("no")}
	})
	assert.NoError(t, conditiontest.CheckMalformed(ctx, pathErr, conditiontest.MalformedInputs("")))
	trueErr := condition.Func(func(context.Context, *weir.Message) (bool, error) { return true, weir.ErrInvalidData })
	assert.ErrorContains(t, conditiontest.CheckMalformed(ctx, trueErr, conditiontest.MalformedInputs("")), "answered true")

	meta := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		_ = m.Set("meta seen", true)
		return false, nil
	})
	assert.ErrorContains(t, conditiontest.CheckMalformed(ctx, meta, conditiontest.MalformedInputs("")), "modified the message")
}

func TestCheckConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, conditiontest.CheckConcurrent(ctx, yes, [][]byte{[]byte(`{"a":1}`), []byte(`x`)}, true))

	var n atomic.Int64
	flips := condition.Func(func(context.Context, *weir.Message) (bool, error) { return n.Add(1)%2 == 0, nil })
	assert.ErrorContains(t, conditiontest.CheckConcurrent(ctx, flips, [][]byte{[]byte(`{}`)}, true), "differs")
	assert.NoError(t, conditiontest.CheckConcurrent(ctx, flips, [][]byte{[]byte(`{}`)}, false))

	// Answers per input: the second input's answer is compared with the
	// second input's sequential one.
	byInput := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		return m.Get("a").Bool(), nil
	})
	assert.NoError(t, conditiontest.CheckConcurrent(ctx, byInput, [][]byte{[]byte(`{"a":true}`), []byte(`{"a":false}`)}, true))
}

// lastSeen remembers the last message it saw and answers for it if it
// sees the same pointer again: it retains its input.
type lastSeen struct {
	mu     sync.Mutex
	last   *weir.Message
	answer bool
}

func (l *lastSeen) Inspect(_ context.Context, m *weir.Message) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m == l.last {
		return l.answer, nil
	}
	l.last, l.answer = m, m.Get("a").Bool()
	return l.answer, nil
}

func TestCheckRetain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := [][]byte{[]byte(`{"a":true}`), []byte(`{"a":false}`)}
	require.NoError(t, conditiontest.CheckRetain(ctx, yes, inputs, true))
	assert.ErrorContains(t, conditiontest.CheckRetain(ctx, &lastSeen{}, inputs, true), "in a reused message")
	assert.NoError(t, conditiontest.CheckRetain(ctx, &lastSeen{}, inputs, false))
}

// closer is an inspector with a Close of the given behaviour.
type closer struct {
	condition.Func
	close func() error
}

func (c *closer) Close() error { return c.close() }

func TestCheckClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inputs := [][]byte{[]byte(`{}`)}
	require.NoError(t, conditiontest.CheckClose(ctx, fixed(yes), inputs), "not a Closer: nothing to check")

	newCloser := func(close func(n int) error) func() (condition.Inspector, error) {
		return func() (condition.Inspector, error) {
			n := 0
			return &closer{yes, func() error { n++; return close(n) }}, nil
		}
	}
	assert.NoError(t, conditiontest.CheckClose(ctx, newCloser(func(int) error { return nil }), inputs))
	assert.NoError(t, conditiontest.CheckClose(ctx, newCloser(func(int) error { return errors.New("same") }), inputs))
	assert.NoError(t, conditiontest.CheckClose(ctx, newCloser(func(n int) error {
		if n == 1 {
			return errors.New("first only")
		}
		return nil
	}), inputs))
	assert.ErrorContains(t, conditiontest.CheckClose(ctx, newCloser(func(n int) error {
		if n > 1 {
			panic("closed twice")
		}
		return nil
	}), inputs), "second Close: panic: closed twice")
	assert.ErrorContains(t, conditiontest.CheckClose(ctx, newCloser(func(n int) error {
		if n > 1 {
			return errors.New("already closed")
		}
		return nil
	}), inputs), `second Close returned "already closed"`)

	broken := func() (condition.Inspector, error) { return nil, errors.New("no config") }
	assert.ErrorContains(t, conditiontest.CheckClose(ctx, broken, inputs), "building the inspector: no config")
}

func TestTest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	require.NoError(t, conditiontest.Test(ctx, fixed(yes), conditiontest.Options{}))

	// One inspector that breaks two rules: both are reported, each named.
	var n atomic.Int64
	bad := condition.Func(func(_ context.Context, m *weir.Message) (bool, error) {
		if len(m.Data()) == 0 && !m.IsControl() {
			return false, errors.New("empty")
		}
		return n.Add(1)%2 == 0, nil
	})
	err := conditiontest.Test(ctx, fixed(bad), conditiontest.Options{SkipLarge: true})
	assert.ErrorContains(t, err, "malformed: input \"\": error \"empty\"")
	assert.ErrorContains(t, err, "concurrent: ")
	assert.NotContains(t, err.Error(), "control:")

	err = conditiontest.Test(ctx, fixed(bad), conditiontest.Options{
		SkipLarge: true, Skip: map[string]string{"malformed": "known", "concurrent": "known", "retain": "known"},
	})
	assert.NoError(t, err)

	assert.ErrorContains(t, conditiontest.Test(ctx, fixed(yes), conditiontest.Options{Skip: map[string]string{"concurency": ""}}),
		`Options.Skip names "concurency", which is not a check`)
}

func TestCheckUnknownSetting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := &condition.Registry{}
	require.NoError(t, reg.Register("lax", func(context.Context, *condition.Env, weir.Config) (condition.Inspector, error) { return yes, nil }))
	assert.ErrorContains(t, conditiontest.CheckUnknownSetting(ctx, &condition.Env{Conditions: reg}, weir.Config{Type: "lax"}), "was accepted")
	assert.NoError(t, conditiontest.CheckUnknownSetting(ctx, nil, weir.Config{Type: "number_bitwise_not"}, "object.value"))
	assert.ErrorContains(t, conditiontest.CheckUnknownSetting(ctx, nil, weir.Config{Type: "exists"}, "object.value"),
		`documented to ignore the setting "object.value"`)
	// A setting the config already has is not tried again.
	assert.NoError(t, conditiontest.CheckUnknownSetting(ctx, nil,
		weir.Config{Type: "exists", Settings: map[string]any{"object": map[string]any{"source_key": "a"}}}, "object.source_key"))
}
