package transformtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition/conditiontest"
	"github.com/weirhq/weir/transform"
)

// Behavior says how a transformer's outputs may vary, and so what the
// checks that compare outputs compare. The values go from the strictest
// to the loosest: a transformer that nests others behaves as the loosest
// of them.
type Behavior int

const (
	// Stateless is the zero Behavior: each output depends on its input
	// alone, so every concurrent call must give what a sequential call
	// with the same input gave.
	Stateless Behavior = iota
	// Stateful transformers hold messages or counts between calls
	// (batches, counters, locks), so an output depends on the calls before
	// it, but not on which goroutine made them. The concurrent check sends
	// the first input many times from 8 goroutines to one transformer and
	// as many times in sequence to another, flushes both with a control
	// message, and compares everything they returned, in any order.
	Stateful
	// Sequential transformers' outputs depend on the order of their
	// inputs (a value that spans several messages): concurrent calls are
	// checked for races and for the rules, not compared. Sequential runs
	// still are (the retain check).
	Sequential
	// Random transformers' outputs differ from call to call (a UUID, the
	// time, a random condition): no check compares outputs.
	Random
)

// String returns the Behavior's name.
func (b Behavior) String() string {
	switch b {
	case Stateless:
		return "Stateless"
	case Stateful:
		return "Stateful"
	case Sequential:
		return "Sequential"
	case Random:
		return "Random"
	}
	return fmt.Sprintf("Behavior(%d)", int(b))
}

// Options says what to send a transformer and what to expect of it. The
// zero value checks a stateless transformer with the input {} and no key.
type Options struct {
	// Inputs are well-formed data the transformer is meant for, sent by
	// the control, concurrent, retain and close checks. Empty means the one
	// input {}.
	Inputs [][]byte
	// Key is the path the transformer reads (its object.source_key), where
	// the malformed check also writes its inputs. Empty sends them as the
	// data only.
	Key string
	// Behavior says which outputs may be compared; the zero value is
	// Stateless.
	Behavior Behavior
	// SkipLarge leaves out the 1 MiB inputs of LargeInputs, which are slow
	// under -race: a sweep over many configs of one type sends them to one.
	SkipLarge bool
	// Skip maps the name of a check ("control", "malformed", "concurrent",
	// "retain", "close") to the reason it is skipped, such as a known bug
	// not fixed yet. A name that is not a check is an error.
	Skip map[string]string
}

// inputs returns o.Inputs, or the default input.
func (o Options) inputs() [][]byte {
	if len(o.Inputs) == 0 {
		return [][]byte{[]byte(`{}`)}
	}
	return o.Inputs
}

// MalformedInputs returns new messages holding 17 kinds of malformed or
// surprising data, as the whole data and, if key is not empty, at key. They
// are those of conditiontest.MalformedInputs. Every call returns new
// messages, as transformers change them.
func MalformedInputs(key string) []*weir.Message { return conditiontest.MalformedInputs(key) }

// LargeInputs returns new messages holding a 1 MiB string, in the data and,
// if key is not empty, at key, as conditiontest.LargeInputs does.
func LargeInputs(key string) []*weir.Message { return conditiontest.LargeInputs(key) }

// newFunc is the constructor Run, Test and the checks take.
type newFunc = func() (transform.Transformer, error)

// check is one named check of Run and Test.
type check struct {
	name string
	run  func(ctx context.Context, newTransformer newFunc, o Options) error
}

// checks returns the checks Run and Test run, in order.
func checks() []check {
	return []check{
		{"control", func(ctx context.Context, newTransformer newFunc, o Options) error {
			return withNew(newTransformer, func(tf transform.Transformer) error {
				return CheckControl(ctx, tf, o.inputs())
			})
		}},
		{"malformed", func(ctx context.Context, newTransformer newFunc, o Options) error {
			msgs := MalformedInputs(o.Key)
			if !o.SkipLarge {
				msgs = append(msgs, LargeInputs(o.Key)...)
			}
			return withNew(newTransformer, func(tf transform.Transformer) error {
				return CheckMalformed(ctx, tf, msgs)
			})
		}},
		{"concurrent", func(ctx context.Context, newTransformer newFunc, o Options) error {
			return CheckConcurrent(ctx, newTransformer, o.inputs(), o.Behavior)
		}},
		{"retain", func(ctx context.Context, newTransformer newFunc, o Options) error {
			return CheckRetain(ctx, newTransformer, o.inputs(), o.Behavior)
		}},
		{"close", func(ctx context.Context, newTransformer newFunc, o Options) error {
			return CheckClose(ctx, newTransformer, o.inputs())
		}},
	}
}

// unknownSkips returns an error naming the keys of skip that are not
// checks.
func unknownSkips(skip map[string]string) error {
	var errs []error
	for name := range skip {
		if !slices.ContainsFunc(checks(), func(c check) bool { return c.name == name }) {
			errs = append(errs, fmt.Errorf("transformtest: Options.Skip names %q, which is not a check", name))
		}
	}
	return errors.Join(errs...)
}

// Run checks the transformers newTransformer builds against the
// Transformer contract (see the package documentation), one subtest per
// check: each builds what it needs with newTransformer, closes what it
// built if it implements io.Closer, and reports what breaks the contract
// with t.Errorf naming the check, so one Run reports every broken rule. An
// error from newTransformer fails the check.
//
// newTransformer is called on a subtest's goroutine, never concurrently:
// it may use t for what does not stop a test (t.TempDir, t.Cleanup,
// t.Context), but reports a failure as its error, as t.Fatal, t.Skip and
// require may only be called on t's own goroutine. Set up what may skip
// the test before calling Run. Each call should return a new transformer,
// as each check closes what it built; a transformer that is not an
// io.Closer may be returned by every call, with Behavior Sequential or
// Random, as the checks then see each other's state. To check one
// transformer that closes, call the Check functions with it.
func Run(t *testing.T, newTransformer func() (transform.Transformer, error), opts Options) {
	t.Helper()
	if err := unknownSkips(opts.Skip); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks() {
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := opts.Skip[c.name]; ok {
				t.Skip(reason)
			}
			if err := c.run(t.Context(), newTransformer, opts); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		})
	}
}

// Test is [Run] for callers without a *testing.T, as fstest.TestFS is: it
// runs every check that opts does not skip and returns what breaks the
// contract as one error, each violation prefixed with its check's name,
// or nil.
func Test(ctx context.Context, newTransformer func() (transform.Transformer, error), opts Options) error {
	if err := unknownSkips(opts.Skip); err != nil {
		return err
	}
	var errs []error
	for _, c := range checks() {
		if _, ok := opts.Skip[c.name]; ok {
			continue
		}
		if err := c.run(ctx, newTransformer, opts); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}
