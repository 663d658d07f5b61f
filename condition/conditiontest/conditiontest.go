package conditiontest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/weirhq/weir/condition"
)

// Options says what to send an inspector and what to expect of it. The
// zero value checks an inspector of a deterministic answer with the input
// {} and no key.
type Options struct {
	// Inputs are well-formed data the inspector is meant for, sent by the
	// concurrent, retain and close checks. Empty means the one input {}.
	Inputs [][]byte
	// Key is the path the inspector reads (its object.source_key), where
	// the malformed check also writes its inputs. Empty sends them as the
	// data only.
	Key string
	// Random says the answer legitimately differs from call to call (as
	// utility_random's does): the concurrent and retain checks then look
	// for panics, races and broken rules but do not compare answers.
	Random bool
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

// check is one named check of Run and Test.
type check struct {
	name string
	run  func(ctx context.Context, newInspector func() (condition.Inspector, error), o Options) error
}

// checks returns the checks Run and Test run, in order.
func checks() []check {
	return []check{
		{"control", func(ctx context.Context, newInspector func() (condition.Inspector, error), _ Options) error {
			return withNew(newInspector, func(in condition.Inspector) error { return CheckControl(ctx, in) })
		}},
		{"malformed", func(ctx context.Context, newInspector func() (condition.Inspector, error), o Options) error {
			msgs := MalformedInputs(o.Key)
			if !o.SkipLarge {
				msgs = append(msgs, LargeInputs(o.Key)...)
			}
			return withNew(newInspector, func(in condition.Inspector) error { return CheckMalformed(ctx, in, msgs) })
		}},
		{"concurrent", func(ctx context.Context, newInspector func() (condition.Inspector, error), o Options) error {
			return withNew(newInspector, func(in condition.Inspector) error {
				return CheckConcurrent(ctx, in, o.inputs(), !o.Random)
			})
		}},
		{"retain", func(ctx context.Context, newInspector func() (condition.Inspector, error), o Options) error {
			return withNew(newInspector, func(in condition.Inspector) error {
				return CheckRetain(ctx, in, o.inputs(), !o.Random)
			})
		}},
		{"close", func(ctx context.Context, newInspector func() (condition.Inspector, error), o Options) error {
			return CheckClose(ctx, newInspector, o.inputs())
		}},
	}
}

// unknownSkips returns an error naming the keys of skip that are not
// checks.
func unknownSkips(skip map[string]string) error {
	var errs []error
	for name := range skip {
		if !slices.ContainsFunc(checks(), func(c check) bool { return c.name == name }) {
			errs = append(errs, fmt.Errorf("conditiontest: Options.Skip names %q, which is not a check", name))
		}
	}
	return errors.Join(errs...)
}

// Run checks the inspectors newInspector builds against the Inspector
// contract (see the package documentation), one subtest per check: each
// builds an inspector of its own with newInspector, closes it when done if
// it implements io.Closer, and reports what breaks the contract with
// t.Errorf naming the check, so one Run reports every broken rule. An
// error from newInspector fails the check.
//
// newInspector is called on a subtest's goroutine, never concurrently: it
// may use t for what does not stop a test (t.TempDir, t.Cleanup,
// t.Context), but reports a failure as its error, as t.Fatal, t.Skip and
// require may only be called on t's own goroutine. Set up what may skip
// the test before calling Run. Each call should return a new inspector,
// as each check closes what it built; an inspector that is not an
// io.Closer may be returned by every call.
func Run(t *testing.T, newInspector func() (condition.Inspector, error), opts Options) {
	t.Helper()
	if err := unknownSkips(opts.Skip); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks() {
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := opts.Skip[c.name]; ok {
				t.Skip(reason)
			}
			if err := c.run(t.Context(), newInspector, opts); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		})
	}
}

// Test is [Run] for callers without a *testing.T, as fstest.TestFS is: it
// runs every check that opts does not skip and returns what breaks the
// contract as one error, each violation prefixed with its check's name,
// or nil.
func Test(ctx context.Context, newInspector func() (condition.Inspector, error), opts Options) error {
	if err := unknownSkips(opts.Skip); err != nil {
		return err
	}
	var errs []error
	for _, c := range checks() {
		if _, ok := opts.Skip[c.name]; ok {
			continue
		}
		if err := c.run(ctx, newInspector, opts); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}
