package jqtransform_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/jqtransform"
)

// TestObjectJQResultBound: data that makes a filter yield without bound
// (range(.n) with n = 10^12) fails with a *transform.LimitError instead of
// filling memory; at the bound the results come out.
func TestObjectJQResultBound(t *testing.T) {
	t.Parallel()
	tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `range(.n)`})
	require.NoError(t, err)
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":1000000000000}`)))
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	var le *transform.LimitError
	assert.ErrorAs(t, err, &le)
	assert.Equal(t, "max_count", le.Setting)
	tf, err = jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: `range(.n)`, MaxCount: 3})
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":3}`)))
	require.NoError(t, err)
	assert.Equal(t, `[0,1,2]`, string(out[0].Data()))
	_, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"n":4}`)))
	assert.ErrorIs(t, err, weir.ErrTooLarge)
}
