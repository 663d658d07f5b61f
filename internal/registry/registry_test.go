package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMap(t *testing.T) {
	t.Parallel()
	var m Map[func() int]
	_, ok := m.Lookup("a")
	assert.False(t, ok)
	require.NoError(t, m.Register("thing", "b", func() int { return 2 }, false))
	require.NoError(t, m.Register("thing", "a", func() int { return 1 }, false))
	assert.EqualError(t, m.Register("thing", "a", func() int { return 3 }, false), `thing: type "a" is already registered`)
	assert.Error(t, m.Register("thing", "", func() int { return 3 }, false))
	assert.Error(t, m.Register("thing", "c", nil, true))
	f, ok := m.Lookup("a")
	require.True(t, ok)
	assert.Equal(t, 1, f())
	assert.Equal(t, []string{"a", "b"}, m.Names())
}
