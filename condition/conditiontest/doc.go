// Package conditiontest checks that a [condition.Inspector] keeps the
// contract written on the Inspector interface, in the manner of
// testing/slogtest and testing/fstest: the contract as a test that any
// implementation can run.
//
// A plugin author calls [Run] from a _test.go file with a function that
// builds a fresh inspector, and the inputs it is meant for:
//
//	func TestMyConditionConformance(t *testing.T) {
//		conditiontest.Run(t, func() (condition.Inspector, error) {
//			return mycond.New(mycond.Config{Key: "user.name"})
//		}, conditiontest.Options{
//			Inputs: [][]byte{[]byte(`{"user":{"name":"alice"}}`)},
//			Key:    "user.name",
//		})
//	}
//
// Run runs one subtest per check, each with an inspector of its own, and
// reports every rule an inspector breaks with t.Errorf naming the check.
// [Test] runs the same checks without a *testing.T and returns the
// violations as one error; the Check functions run one check each.
//
// # The contract checked
//
// On every call, whatever the check:
//
//   - Inspect does not panic;
//   - it does not modify the message: data, metadata and whether it is a
//     control message are the same after the call;
//   - an error matches weir.ErrInvalidData (every *weir.PathError does):
//     an inspector fails only when the question cannot be asked of this
//     message;
//   - the answer is false when the error is not nil.
//
// The checks, by the names Run gives their subtests:
//
//   - "control": a control message is inspected like any other message;
//     the rules above hold for it.
//   - "malformed": the inputs of [MalformedInputs] (17 kinds of malformed
//     or surprising data, sent as the data and written at Options.Key) and,
//     unless Options.SkipLarge, those of [LargeInputs] keep the rules.
//   - "concurrent": one inspector answers Options.Inputs from 8
//     goroutines at once as it does sequentially (run with -race to catch
//     data races). With Options.Random the answers are not compared.
//   - "retain": an inspector keeps nothing of a message past the call:
//     answers for Options.Inputs in messages the caller reuses
//     (weir.Message.Reset, then writes) are the answers for fresh
//     messages. With Options.Random they are not compared.
//   - "close": if the inspector implements io.Closer, Close may be called
//     twice, on a fresh inspector and on one that has answered: neither
//     call panics and the second returns nil or the error the first
//     returned (compared by text).
//
// [CheckUnknownSetting] checks a [condition.Factory] rather than an
// Inspector: a setting the type does not have is a *weir.ConfigError
// naming it. Run does not call it, as it takes no config; a sweep over a
// registry does. Factories made with condition.Typed pass it.
//
// What is not checked: that answers are right (that is the plugin's own
// tests).
package conditiontest
