package stream_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: a stream stops all of its own
// on Close or when its context is canceled.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
