package weirtest_test

import (
	"testing"

	"github.com/weirhq/weir/weirtest"
)

// TestGolden runs the cases of testdata/golden: the sample pipeline, and a
// pipeline whose clock, DNS, HTTP and kv store are pinned by its case.
func TestGolden(t *testing.T) {
	weirtest.RunGolden(t, "testdata/golden")
}
