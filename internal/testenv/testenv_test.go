package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weirhq/weir/internal/testenv"
)

// TestEndpoint changes the environment, so it does not run in parallel.
func TestEndpoint(t *testing.T) {
	t.Setenv("WEIR_TESTENV_TEST", "http://127.0.0.1:1")
	assert.Equal(t, "http://127.0.0.1:1", testenv.Endpoint(t, "WEIR_TESTENV_TEST", "nothing"))

	t.Setenv("WEIR_TESTENV_TEST", "")
	t.Setenv(testenv.EnvRequire, "")
	t.Run("skips", func(t *testing.T) {
		defer func() { assert.True(t, t.Skipped()) }()
		testenv.Endpoint(t, "WEIR_TESTENV_TEST", "nothing")
		t.Error("not skipped")
	})
}
