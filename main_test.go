package weir_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Vectors that carry env.TZ=UTC expect local time to be UTC; time.Local
	// is read once at start-up, so set it here rather than through TZ.
	time.Local = time.UTC
	goleak.VerifyTestMain(m)
}
