package weir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckJSONIsRemembered: after CheckJSON passes, the first write does
// not check the data again (document.valid), and replacing the data
// forgets the answer.
func TestCheckJSONIsRemembered(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(`{"a":1}`))
	require.NoError(t, m.CheckJSON())
	assert.True(t, m.data.valid)
	m.Reset([]byte(`{"a":2}`))
	assert.False(t, m.data.valid)
	require.NoError(t, m.CheckJSON())
	m.SetData([]byte(`{"a":3}`))
	assert.False(t, m.data.valid)
	m = NewMessage([]byte(`{"a":`))
	require.Error(t, m.CheckJSON())
	assert.False(t, m.data.valid)
}
