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

func TestObjectJQ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter string
		data   string
		want   string
	}{
		{"identity sorts keys", ".", `{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{"one string", ".a", `{"a":"b"}`, `"b"`},
		{"several results become an array", ".[]", `{"a":1,"b":"x","c":null}`, `[1,"x",null]`},
		{"comma", ".a, .b, .a", `{"a":1,"b":2}`, `[1,2,1]`},
		{"array result is not wrapped", "[.a]", `{"a":1}`, `[1]`},
		{"arithmetic", ".a + 1", `{"a":1.5}`, `2.5`},
		{"integers as float64", ".a", `{"a":30400402455622563}`, `30400402455622564`},
		{"HTML characters escaped", ".a", `{"a":"<&>"}`, `"\u003c\u0026\u003e"`},
		{"scalar input", ". * 2", `21`, `42`},
		{"null result", ".missing", `{"a":1}`, `null`},
		{"build object", "{x: .a, y: [.b[] | . * 10]}", `{"a":"s","b":[1,2]}`, `{"x":"s","y":[10,20]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: tt.filter})
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tt.data)).SetMetadata([]byte(`{"m":1}`))
			out, err := tf.Transform(context.Background(), msg)
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Same(t, msg, out[0])
			assert.Equal(t, tt.want, string(out[0].Data()))
			assert.Equal(t, `{"m":1}`, string(out[0].Metadata()), "metadata is kept")
		})
	}
}

func TestObjectJQErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter string
		data   string
	}{
		{"no output", "select(.a == 2)", `{"a":1}`},
		{"empty", "empty", `{"a":1}`},
		{"not JSON", ".", `not json`},
		{"empty data", ".", ``},
		{"runtime error", ".a + 1", `{"a":"x"}`},
		{"error builtin", `error("bad")`, `{}`},
		{"result not encodable", "nan", `{}`},
		{"error after a result", `.a, error("bad")`, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{ID: "jq1", Filter: tt.filter})
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tt.data))
			out, err := tf.Transform(context.Background(), msg)
			assert.Nil(t, out)
			require.Error(t, err)
			assert.ErrorIs(t, err, weir.ErrInvalidData)
			var te *transform.Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "object_jq", te.Type)
			assert.Equal(t, "jq1", te.ID)
			assert.Equal(t, tt.data, string(msg.Data()), "data unchanged on error")
		})
	}
}

func TestObjectJQCanceled(t *testing.T) {
	t.Parallel()
	tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: "repeat(.)"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`1`)))
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, weir.ErrInvalidData)
}

func TestObjectJQBadFilter(t *testing.T) {
	t.Parallel()
	for _, filter := range []string{"", ".a |", "{", "nosuchfunc", "$undefined"} {
		t.Run(filter, func(t *testing.T) {
			t.Parallel()
			tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: filter})
			assert.Nil(t, tf)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "object_jq", ce.Type)
			assert.Equal(t, "filter", ce.Field)
		})
	}
}
