// Package builtins_test benchmarks every registered built-in type, one
// sub-benchmark per type (BenchmarkBuiltins). It lives apart from package
// bench so that the W1 benchmarks' test binary links only Weir's core, as a
// Go service that uses no send does: transform/all links the AWS SDK, whose
// service schemas hold 2.7 MB of heap that every garbage collection marks
// (see bench/README.md).
package builtins_test

import (
	"testing"

	"github.com/weirhq/weir/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m, false)
}
