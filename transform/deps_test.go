package transform_test

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
)

// TestCoreDeps checks that a program importing package transform (the
// local families and the conditions) links none of the heavy modules: the
// AWS SDK, Parquet, jq, DNS and Jsonnet live in subpackages.
func TestCoreDeps(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/weirhq/weir/transform").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		for _, heavy := range []string{
			"github.com/aws/", "github.com/parquet-go/", "github.com/itchyny/gojq", "github.com/miekg/dns",
			"github.com/google/go-jsonnet", // Jsonnet configs: package transform/jsonnetconfig
			"github.com/weirhq/weir/awsenv", "github.com/weirhq/weir/transform/",
		} {
			assert.False(t, strings.HasPrefix(dep, heavy), "package transform links %s", dep)
		}
	}
}

// TestTypesElsewhere checks that every Substation type missing from the
// built-ins is in transform/all, and that asking the built-ins for one says
// where it is.
func TestTypesElsewhere(t *testing.T) {
	t.Parallel()
	core, every := transform.Builtins().Types(), all.Transforms().Types()
	for _, typ := range every {
		if slices.Contains(core, typ) {
			continue
		}
		_, err := transform.New(context.Background(), weir.Config{Type: typ})
		require.ErrorIs(t, err, weir.ErrUnknownType, typ)
		assert.ErrorContains(t, err, "github.com/weirhq/weir/transform/", typ)
		assert.ErrorContains(t, err, "transform/all", typ)
	}
	for _, typ := range core {
		assert.Contains(t, every, typ)
	}
}
