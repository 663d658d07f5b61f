package conditiontest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/internal/contract"
)

// goroutines and calls size the concurrent check: each goroutine makes at
// least calls calls.
const goroutines, calls = 8, 50

// CheckResult checks one answer against the rules every call keeps: an
// error matches weir.ErrInvalidData (or is a *weir.PathError, which does),
// and the answer is false when the error is not nil.
func CheckResult(ok bool, err error) error {
	var pe *weir.PathError
	switch {
	case err != nil && !errors.Is(err, weir.ErrInvalidData) && !errors.As(err, &pe):
		return fmt.Errorf("error %q (%T) neither matches weir.ErrInvalidData nor is a *weir.PathError", err, err)
	case err != nil && ok:
		return fmt.Errorf("answered true with the error %v", err)
	}
	return nil
}

// state is what Inspect must leave as it was.
type state struct {
	control    bool
	data, meta []byte
}

func stateOf(msg *weir.Message) state {
	return state{msg.IsControl(), bytes.Clone(msg.Data()), bytes.Clone(msg.Metadata())}
}

// inspect calls in.Inspect and checks the call: no panic, msg unchanged,
// CheckResult. A violation is returned as bad.
func inspect(ctx context.Context, in condition.Inspector, msg *weir.Message) (ok bool, err, bad error) {
	before := stateOf(msg)
	ok, err, bad = call(ctx, in, msg)
	if bad != nil {
		return ok, err, bad
	}
	if after := stateOf(msg); after.control != before.control || !bytes.Equal(after.data, before.data) || !bytes.Equal(after.meta, before.meta) {
		return ok, err, fmt.Errorf("modified the message: data %s, metadata %s became data %s, metadata %s",
			contract.Show(before.data), contract.Show(before.meta), contract.Show(after.data), contract.Show(after.meta))
	}
	return ok, err, CheckResult(ok, err)
}

// call runs in.Inspect and turns a panic into an error that says so.
func call(ctx context.Context, in condition.Inspector, msg *weir.Message) (ok bool, err, panicked error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	ok, err = in.Inspect(ctx, msg)
	return ok, err, nil
}

// answer renders a call's result for comparison.
func answer(ok bool, err error) string {
	if err != nil {
		return fmt.Sprintf("%t, error %v", ok, err)
	}
	return fmt.Sprint(ok)
}

// withNew builds an inspector, runs check on it and closes it.
func withNew(newInspector func() (condition.Inspector, error), check func(condition.Inspector) error) error {
	in, err := newInspector()
	if err != nil {
		return fmt.Errorf("building the inspector: %w", err)
	}
	defer closeQuietly(in)
	return check(in)
}

// closeQuietly closes in if it is an io.Closer; the close check is where
// Close is judged.
func closeQuietly(in condition.Inspector) {
	if c, ok := in.(io.Closer); ok {
		_, _ = contract.CloseOnce(c)
	}
}

// CheckControl inspects a control message, twice: each call keeps the
// rules of every call (no panic, the message unchanged, CheckResult).
// Most inspectors answer false; any answer is allowed.
func CheckControl(ctx context.Context, in condition.Inspector) error {
	var errs []error
	for range 2 {
		if _, _, bad := inspect(ctx, in, weir.NewControl()); bad != nil {
			errs = append(errs, fmt.Errorf("control message: %w", bad))
			break
		}
	}
	return errors.Join(errs...)
}

// CheckMalformed inspects each message (see [MalformedInputs]) and
// returns every call that breaks the rules.
func CheckMalformed(ctx context.Context, in condition.Inspector, msgs []*weir.Message) error {
	var errs []error
	for _, msg := range msgs {
		data := contract.Show(msg.Data())
		if _, _, bad := inspect(ctx, in, msg); bad != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", data, bad))
		}
	}
	return errors.Join(errs...)
}

// CheckConcurrent inspects each input once, then sends the inputs to in
// from 8 goroutines at once, each making at least 50 calls. Every call
// keeps the rules and, with compare, answers as the sequential call for
// its input did. Run it under -race.
func CheckConcurrent(ctx context.Context, in condition.Inspector, inputs [][]byte, compare bool) error {
	want := make([]string, len(inputs))
	for i, data := range inputs {
		ok, err, bad := inspect(ctx, in, weir.NewMessage(bytes.Clone(data)))
		if bad != nil {
			return fmt.Errorf("input %s: sequential call: %w", contract.Show(data), bad)
		}
		want[i] = answer(ok, err)
	}
	passes := (calls + len(inputs) - 1) / max(len(inputs), 1)
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for range passes {
				for i, data := range inputs {
					ok, err, bad := inspect(ctx, in, weir.NewMessage(bytes.Clone(data)))
					if bad != nil {
						errs[g] = fmt.Errorf("input %s: %w", contract.Show(data), bad)
						return
					}
					if got := answer(ok, err); compare && got != want[i] {
						errs[g] = fmt.Errorf("input %s: concurrent answer %q differs from the sequential %q", contract.Show(data), got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// CheckRetain checks that in keeps nothing of a message past the call: it
// inspects the inputs (twice over) in new messages, then in one message
// reused for each with weir.Message.Reset and scribbled on after each call,
// as a loop that is done with each event before the next may. Every call
// keeps the rules and, with compare, the answers are the same.
func CheckRetain(ctx context.Context, in condition.Inspector, inputs [][]byte, compare bool) error {
	var fresh, reused []string
	for range 2 {
		for _, data := range inputs {
			ok, err, bad := inspect(ctx, in, weir.NewMessage(bytes.Clone(data)))
			if bad != nil {
				return fmt.Errorf("input %s: %w", contract.Show(data), bad)
			}
			fresh = append(fresh, answer(ok, err))
		}
	}
	msg := weir.NewMessage(nil)
	for range 2 {
		for _, data := range inputs {
			ok, err, bad := inspect(ctx, in, msg.Reset(bytes.Clone(data)))
			if bad != nil {
				return fmt.Errorf("input %s in a reused message: %w", contract.Show(data), bad)
			}
			reused = append(reused, answer(ok, err))
			contract.Scribble(msg)
		}
	}
	if !compare {
		return nil
	}
	for i := range fresh {
		if fresh[i] != reused[i] {
			data := inputs[i%len(inputs)]
			return fmt.Errorf("input %s: answered %q in a reused message, %q in a new one", contract.Show(data), reused[i], fresh[i])
		}
	}
	return nil
}

// CheckClose checks Close, if the inspectors newInspector builds
// implement io.Closer: Close is called twice on a fresh inspector, and
// twice on another after it has inspected the inputs. Neither call may
// panic, and the second must return nil or the error the first returned
// (compared by text). What the first returns is not judged.
func CheckClose(ctx context.Context, newInspector func() (condition.Inspector, error), inputs [][]byte) error {
	in, err := newInspector()
	if err != nil {
		return fmt.Errorf("building the inspector: %w", err)
	}
	c, ok := in.(io.Closer)
	if !ok {
		return nil
	}
	var errs []error
	if err := contract.CloseTwice(c); err != nil {
		errs = append(errs, fmt.Errorf("a fresh inspector: %w", err))
	}
	in, err = newInspector()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("building the inspector: %w", err))...)
	}
	for _, data := range inputs {
		if _, _, bad := inspect(ctx, in, weir.NewMessage(bytes.Clone(data))); bad != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", contract.Show(data), bad))
		}
	}
	if err := contract.CloseTwice(in.(io.Closer)); err != nil {
		errs = append(errs, fmt.Errorf("after the inputs: %w", err))
	}
	return errors.Join(errs...)
}

// CheckUnknownSetting checks a factory in env's registry: cfg with one
// more setting, "no_such_setting", must fail to build with a
// *weir.ConfigError whose Field names it, and cfg with each of ignored
// (dotted paths of settings the type documents to accept and ignore, such
// as "object.value") must build. An ignored setting cfg already has is not
// tried. cfg itself should build.
func CheckUnknownSetting(ctx context.Context, env *condition.Env, cfg weir.Config, ignored ...string) error {
	_, err := env.New(ctx, weir.Config{Type: cfg.Type, Settings: contract.WithSetting(cfg.Settings, "no_such_setting", json.Number("1"))})
	var ce *weir.ConfigError
	switch {
	case err == nil:
		return errors.New(`the unknown setting "no_such_setting" was accepted`)
	case !errors.Is(err, weir.ErrInvalidConfig) || !errors.As(err, &ce):
		return fmt.Errorf("unknown setting: error %q (%T) is not a *weir.ConfigError", err, err)
	case !strings.Contains(ce.Field, "no_such_setting"):
		return fmt.Errorf("unknown setting: error %q does not name it (Field %q)", err, ce.Field)
	}
	for _, path := range ignored {
		if contract.HasSetting(cfg.Settings, path) {
			continue
		}
		if _, err := env.New(ctx, weir.Config{Type: cfg.Type, Settings: contract.WithSetting(cfg.Settings, path, "x")}); err != nil {
			return fmt.Errorf("documented to ignore the setting %q: %w", path, err)
		}
	}
	return nil
}
