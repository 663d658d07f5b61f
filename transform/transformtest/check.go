package transformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/contract"
	"github.com/weirhq/weir/transform"
)

// goroutines and calls size the concurrent check: each goroutine makes at
// least calls calls.
const goroutines, calls = 8, 50

// CheckResult checks the result of one call against the rules every call
// keeps: with an error the messages are nil, and the error matches
// weir.ErrInvalidData or is a *transform.Error; no message is nil and
// none is returned twice.
func CheckResult(out []*weir.Message, err error) error {
	var te *transform.Error
	switch {
	case err != nil && !errors.Is(err, weir.ErrInvalidData) && !errors.As(err, &te):
		return fmt.Errorf("error %q (%T) neither matches weir.ErrInvalidData nor is a *transform.Error", err, err)
	case err != nil && out != nil:
		return fmt.Errorf("returned %d messages with the error %v; want nil", len(out), err)
	}
	for i, m := range out {
		if m == nil {
			return fmt.Errorf("returned a nil message (result %d of %d)", i, len(out))
		}
		if j := slices.Index(out[:i], m); j >= 0 {
			return fmt.Errorf("returned the same message twice (results %d and %d of %d)", j, i, len(out))
		}
	}
	return nil
}

// call runs tf.Transform and turns a panic into an error that says so.
func call(ctx context.Context, tf transform.Transformer, msg *weir.Message) (out []*weir.Message, err, panicked error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	out, err = tf.Transform(ctx, msg)
	return out, err, nil
}

// transformData sends a data message and checks the call: no panic,
// CheckResult. A violation is returned as bad.
func transformData(ctx context.Context, tf transform.Transformer, msg *weir.Message) (out []*weir.Message, err, bad error) {
	out, err, bad = call(ctx, tf, msg)
	if bad != nil {
		return nil, nil, bad
	}
	return out, err, CheckResult(out, err)
}

// transformControl sends a new control message and checks that it comes
// back as the contract says. A violation is returned as bad.
func transformControl(ctx context.Context, tf transform.Transformer) (out []*weir.Message, bad error) {
	c := weir.NewControl()
	out, err, bad := call(ctx, tf, c)
	switch {
	case bad != nil:
		return nil, bad
	case err != nil:
		return nil, fmt.Errorf("error %w; a control message must pass", err)
	}
	if bad := CheckResult(out, nil); bad != nil {
		return nil, bad
	}
	i := slices.Index(out, c)
	switch {
	case i < 0 && len(out) > 0 && out[len(out)-1].IsControl():
		return nil, fmt.Errorf("returned another control message in place of the one it was given (%d results)", len(out))
	case i < 0:
		return nil, fmt.Errorf("not among the %d results", len(out))
	case i != len(out)-1:
		return nil, fmt.Errorf("returned %d messages after it; it must come last, after what it releases", len(out)-1-i)
	case !c.IsControl() || c.Data() != nil || c.Metadata() != nil:
		return nil, errors.New("the message returned is no longer a control message")
	}
	return out, nil
}

// snapshot renders each message of a call's result, and its error, for
// comparison.
func snapshot(out []*weir.Message, err error) []string {
	lines := make([]string, 0, len(out)+1)
	for _, m := range out {
		if m.IsControl() {
			lines = append(lines, "control message")
			continue
		}
		lines = append(lines, fmt.Sprintf("data %q, metadata %q", m.Data(), m.Metadata()))
	}
	if err != nil {
		lines = append(lines, "error: "+err.Error())
	}
	return lines
}

// withNew builds a transformer, runs check on it and closes it.
func withNew(newTransformer newFunc, check func(transform.Transformer) error) error {
	tf, err := newTransformer()
	if err != nil {
		return fmt.Errorf("building the transformer: %w", err)
	}
	defer closeQuietly(tf)
	return check(tf)
}

// closeQuietly closes tf if it is an io.Closer; the close check is where
// Close is judged.
func closeQuietly(tf transform.Transformer) {
	if c, ok := tf.(io.Closer); ok {
		_, _ = contract.CloseOnce(c)
	}
}

// CheckControl sends a control message to tf (which should be fresh),
// then each input, then two control messages in a row. Every data call
// keeps the rules of [CheckResult]; every control message comes back as
// the contract says: without an error, the same message, still a control
// message, once, last.
func CheckControl(ctx context.Context, tf transform.Transformer, inputs [][]byte) error {
	var errs []error
	control := func(when string) {
		if _, bad := transformControl(ctx, tf); bad != nil {
			errs = append(errs, fmt.Errorf("control message %s: %w", when, bad))
		}
	}
	control("to a fresh transformer")
	for _, in := range inputs {
		if _, _, bad := transformData(ctx, tf, weir.NewMessage(bytes.Clone(in))); bad != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", contract.Show(in), bad))
		}
	}
	control("after the inputs")
	control("right after another")
	return errors.Join(errs...)
}

// CheckMalformed sends each message to tf (see [MalformedInputs]), then a
// control message. Every call keeps the rules of [CheckResult], and the
// control message comes back as the contract says.
func CheckMalformed(ctx context.Context, tf transform.Transformer, msgs []*weir.Message) error {
	var errs []error
	for _, msg := range msgs {
		in := contract.Show(msg.Data())
		if _, _, bad := transformData(ctx, tf, msg); bad != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", in, bad))
		}
	}
	if _, bad := transformControl(ctx, tf); bad != nil {
		errs = append(errs, fmt.Errorf("control message after the malformed inputs: %w", bad))
	}
	return errors.Join(errs...)
}

// CheckConcurrent sends inputs to a transformer from 8 goroutines at once,
// each making at least 50 calls, then a control message; every call keeps
// the rules and, as b allows, the outputs are those of sequential calls:
//
//   - Stateless: each input is sent once first, and every concurrent
//     call's result must equal the sequential one for its input;
//   - Stateful: the first input is sent from the goroutines to one
//     transformer and as many times in sequence to another, and what
//     each returned, with what a control message then flushed, must be
//     the same messages in any order;
//   - Sequential and Random: nothing is compared.
//
// Run it under -race: a data race is the failure it is most likely to
// find.
func CheckConcurrent(ctx context.Context, newTransformer func() (transform.Transformer, error), inputs [][]byte, b Behavior) error {
	if len(inputs) == 0 {
		return nil
	}
	if b == Stateful {
		return concurrentStateful(ctx, newTransformer, inputs[0])
	}
	return withNew(newTransformer, func(tf transform.Transformer) error {
		want := make([]string, len(inputs))
		if b == Stateless {
			for i, in := range inputs {
				out, err, bad := transformData(ctx, tf, weir.NewMessage(bytes.Clone(in)))
				if bad != nil {
					return fmt.Errorf("input %s: sequential call: %w", contract.Show(in), bad)
				}
				want[i] = strings.Join(snapshot(out, err), "\n")
			}
		}
		passes := (calls + len(inputs) - 1) / len(inputs)
		var wg sync.WaitGroup
		errs := make([]error, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				for range passes {
					for i, in := range inputs {
						out, err, bad := transformData(ctx, tf, weir.NewMessage(bytes.Clone(in)))
						if bad != nil {
							errs[g] = fmt.Errorf("input %s: %w", contract.Show(in), bad)
							return
						}
						if got := strings.Join(snapshot(out, err), "\n"); b == Stateless && got != want[i] {
							errs[g] = fmt.Errorf("input %s: a concurrent call returned\n%s\nwhere the sequential one returned\n%s", contract.Show(in), got, want[i])
							return
						}
					}
				}
			})
		}
		wg.Wait()
		if _, bad := transformControl(ctx, tf); bad != nil {
			errs = append(errs, fmt.Errorf("control message after the concurrent calls: %w", bad))
		}
		return errors.Join(errs...)
	})
}

// concurrentStateful is CheckConcurrent for Stateful transformers.
func concurrentStateful(ctx context.Context, newTransformer newFunc, in []byte) error {
	run := func(concurrent bool) (lines []string, bad error) {
		err := withNew(newTransformer, func(tf transform.Transformer) error {
			var mu sync.Mutex
			send := func() error {
				out, err, bad := transformData(ctx, tf, weir.NewMessage(bytes.Clone(in)))
				if bad != nil {
					return fmt.Errorf("input %s: %w", contract.Show(in), bad)
				}
				s := snapshot(out, err)
				mu.Lock()
				lines = append(lines, s...)
				mu.Unlock()
				return nil
			}
			errs := make([]error, goroutines)
			if concurrent {
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() {
						for range calls {
							if errs[g] = send(); errs[g] != nil {
								return
							}
						}
					})
				}
				wg.Wait()
			} else {
				for range goroutines * calls {
					if errs[0] = send(); errs[0] != nil {
						break
					}
				}
			}
			out, bad := transformControl(ctx, tf)
			if bad != nil {
				errs = append(errs, fmt.Errorf("control message after the calls: %w", bad))
			}
			lines = append(lines, snapshot(out, nil)...)
			return errors.Join(errs...)
		})
		return lines, err
	}
	want, bad := run(false)
	if bad != nil {
		return fmt.Errorf("sequential calls: %w", bad)
	}
	got, bad := run(true)
	if bad != nil {
		return bad
	}
	slices.Sort(want)
	slices.Sort(got)
	if slices.Equal(got, want) {
		return nil
	}
	onlySeq, onlyConc := difference(want, got), difference(got, want)
	return fmt.Errorf("input %s sent %d times: concurrent calls returned %d messages and errors, sequential ones %d; %d only sequentially (first: %s), %d only concurrently (first: %s)",
		contract.Show(in), goroutines*calls, len(got), len(want), len(onlySeq), first(onlySeq), len(onlyConc), first(onlyConc))
}

// difference returns the lines of a, sorted, that b, sorted, lacks
// (counting repeats).
func difference(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) {
		switch {
		case j == len(b) || a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			j++
		default:
			i++
			j++
		}
	}
	return out
}

// first returns the first line of lines, abbreviated, or "none".
func first(lines []string) string {
	if len(lines) == 0 {
		return "none"
	}
	if len(lines[0]) > 120 {
		return lines[0][:120] + "…"
	}
	return lines[0]
}

// CheckRetain checks that a transformer keeps no message it was given past
// the call: it sends the inputs (twice over) to one transformer in new
// messages, and to another in one message reused for each with
// weir.Message.Reset, scribbling after each call on that message and on
// every message returned (Reset, then writes into their memory), as a
// caller that is done with them may; both are then flushed with a control
// message. Every call keeps the rules and, unless b is Random, the two
// runs return the same.
func CheckRetain(ctx context.Context, newTransformer func() (transform.Transformer, error), inputs [][]byte, b Behavior) error {
	run := func(reuse bool) (results [][]string, bad error) {
		err := withNew(newTransformer, func(tf transform.Transformer) error {
			msg := weir.NewMessage(nil)
			for range 2 {
				for _, in := range inputs {
					if reuse {
						msg.Reset(bytes.Clone(in))
					} else {
						msg = weir.NewMessage(bytes.Clone(in))
					}
					out, err, bad := transformData(ctx, tf, msg)
					if bad != nil {
						return fmt.Errorf("input %s: %w", contract.Show(in), bad)
					}
					results = append(results, snapshot(out, err))
					if reuse {
						for _, m := range out {
							if m != msg {
								contract.Scribble(m)
							}
						}
						contract.Scribble(msg)
					}
				}
			}
			out, bad := transformControl(ctx, tf)
			if bad != nil {
				return fmt.Errorf("control message after the inputs: %w", bad)
			}
			results = append(results, snapshot(out, nil))
			return nil
		})
		return results, err
	}
	want, bad := run(false)
	if bad != nil {
		return fmt.Errorf("new messages: %w", bad)
	}
	got, bad := run(true)
	if bad != nil {
		return fmt.Errorf("reused messages: %w", bad)
	}
	if b == Random {
		return nil
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			what := "the control message after the inputs"
			if i < len(want)-1 {
				what = "input " + contract.Show(inputs[i%len(inputs)])
			}
			return fmt.Errorf("%s: with messages reused after each call it returned\n%s\nwith new messages\n%s",
				what, strings.Join(got[i], "\n"), strings.Join(want[i], "\n"))
		}
	}
	return nil
}

// CheckClose checks Close, if the transformers newTransformer builds
// implement io.Closer: Close is called twice on a fresh transformer, and
// twice on another after the inputs and a control message. Neither call
// may panic, and the second must return nil or the error the first
// returned (compared by text). What the first returns is not judged.
func CheckClose(ctx context.Context, newTransformer func() (transform.Transformer, error), inputs [][]byte) error {
	tf, err := newTransformer()
	if err != nil {
		return fmt.Errorf("building the transformer: %w", err)
	}
	c, ok := tf.(io.Closer)
	if !ok {
		return nil
	}
	var errs []error
	if err := contract.CloseTwice(c); err != nil {
		errs = append(errs, fmt.Errorf("a fresh transformer: %w", err))
	}
	tf, err = newTransformer()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("building the transformer: %w", err))...)
	}
	for _, in := range inputs {
		if _, _, bad := transformData(ctx, tf, weir.NewMessage(bytes.Clone(in))); bad != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", contract.Show(in), bad))
		}
	}
	if _, bad := transformControl(ctx, tf); bad != nil {
		errs = append(errs, fmt.Errorf("control message after the inputs: %w", bad))
	}
	if c, ok := tf.(io.Closer); !ok {
		errs = append(errs, errors.New("the second transformer built is not an io.Closer, the first was"))
	} else if err := contract.CloseTwice(c); err != nil {
		errs = append(errs, fmt.Errorf("after the inputs: %w", err))
	}
	return errors.Join(errs...)
}

// CheckUnknownSetting checks a factory in env's registry (nil: the
// built-ins): cfg with one more setting, "no_such_setting", must fail to
// build with a *weir.ConfigError whose Field names it, and cfg with each of
// ignored (dotted paths of settings the type documents to accept and
// ignore, such as "algorithm") must build. An ignored setting cfg already
// has is not tried. cfg itself should build. What it builds is closed.
func CheckUnknownSetting(ctx context.Context, env *transform.Env, cfg weir.Config, ignored ...string) error {
	tf, err := env.New(ctx, weir.Config{Type: cfg.Type, Settings: contract.WithSetting(cfg.Settings, "no_such_setting", json.Number("1"))})
	var ce *weir.ConfigError
	switch {
	case err == nil:
		closeQuietly(tf)
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
		tf, err := env.New(ctx, weir.Config{Type: cfg.Type, Settings: contract.WithSetting(cfg.Settings, path, "x")})
		if err != nil {
			return fmt.Errorf("documented to ignore the setting %q: %w", path, err)
		}
		closeQuietly(tf)
	}
	return nil
}
