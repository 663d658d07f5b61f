package weir_test

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir"
)

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true") // see testenv.Main
	// Vectors that carry env.TZ=UTC expect local time to be UTC; time.Local
	// is read once at start-up, so set it here rather than through TZ.
	time.Local = time.UTC
	weir.RegisterDedupeOracle() // before any test reads a path
	goleak.VerifyTestMain(m)
}
