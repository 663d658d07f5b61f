// Package transformtest checks that a [transform.Transformer] keeps the
// contract written on the Transformer interface, in the manner of
// testing/slogtest and testing/fstest: the contract as a test that any
// implementation can run. Weir's built-in transforms are its first users.
//
// A plugin author calls [Run] from a _test.go file with a function that
// builds a fresh transformer, and the inputs it is meant for:
//
//	func TestRedactConformance(t *testing.T) {
//		transformtest.Run(t, func() (transform.Transformer, error) {
//			return NewRedact(RedactConfig{Key: "password"})
//		}, transformtest.Options{
//			Inputs: [][]byte{[]byte(`{"user":"alice","password":"hunter2"}`)},
//			Key:    "password",
//		})
//	}
//
// Run takes a constructor rather than a transformer because the checks
// need fresh ones: a stateful transformer (a batch, a lock) must start
// empty for its outputs to be compared, and the close check closes what it
// is given. Each check builds its own, and closes it if it implements
// io.Closer. Run runs one subtest per check and reports every rule a
// transformer breaks with t.Errorf naming the check. [Test] runs the same
// checks without a *testing.T and returns the violations as one error; the
// Check functions run one check each.
//
// # The contract checked
//
// On every call, whatever the check ([CheckResult]):
//
//   - Transform does not panic;
//   - with an error, the messages returned are nil;
//   - an error matches weir.ErrInvalidData or is a *transform.Error
//     (errors.As), so that callers can tell bad data from a broken
//     pipeline;
//   - no message returned is nil, and none is returned twice.
//
// A control message given to Transform is returned, without an error: the
// same *weir.Message, still a control message, exactly once, and last,
// after whatever the transformer releases because of it. A transformer may
// emit control messages of its own besides.
//
// The checks, by the names Run gives their subtests:
//
//   - "control" ([CheckControl]): a control message passes through a fresh
//     transformer, then the Inputs keep the rules, then two control
//     messages in a row pass through.
//   - "malformed" ([CheckMalformed]): the inputs of [MalformedInputs] (17
//     kinds of malformed or surprising data, sent as the data and written
//     at Options.Key) and, unless Options.SkipLarge, those of
//     [LargeInputs] keep the rules, and a control message then passes
//     through (a stateful transformer flushes what they left).
//   - "concurrent" ([CheckConcurrent]): calls from 8 goroutines at once
//     keep the rules (run with -race to catch data races) and, as
//     Options.Behavior allows, give the outputs that sequential calls give.
//   - "retain" ([CheckRetain]): a transformer keeps no message it was given
//     past the call, nor a Value read from one: after each call the check
//     reuses the input message and the outputs (weir.Message.Reset, then
//     writes), as a caller that is done with them may, and the outputs,
//     flushed with a control message, are those of a run with new
//     messages. Keeping the bytes of Data is allowed: a Message never
//     modifies bytes it was given.
//   - "close" ([CheckClose]): if the transformer implements io.Closer,
//     Close may be called twice, on a fresh transformer and on one that has
//     transformed the Inputs: neither call panics and the second returns
//     nil or the error the first returned (compared by text). What the
//     first returns is not judged: a send may fail to flush.
//
// [CheckUnknownSetting] checks a [transform.Factory] rather than a
// Transformer: a setting the type does not have is a *weir.ConfigError
// naming it. Run does not call it, as it takes no config; a sweep over a
// registry does. Factories made with transform.Typed pass it.
//
// What is not checked: that outputs are right (that is the plugin's own
// tests), and that goroutines a transformer starts stop on Close (use
// go.uber.org/goleak in TestMain).
package transformtest
