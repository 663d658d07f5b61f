package jqtransform_test

import (
	"context"
	"testing"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform/jqtransform"
)

// FuzzObjectJQ: no filter and no data make object_jq panic; a filter that
// runs long is stopped by the context.
func FuzzObjectJQ(f *testing.F) {
	f.Add(`.a`, []byte(`{"a":1}`))
	f.Add(`[.[] | . * 2]`, []byte(`[1,2,3]`))
	f.Add(`to_entries | map(select(.value > 1)) | from_entries`, []byte(`{"a":1,"b":2}`))
	f.Add(`.a |= ascii_downcase`, []byte(`{"a":"X"}`))
	f.Fuzz(func(t *testing.T, filter string, data []byte) {
		if len(filter) > 256 || len(data) > 4096 {
			t.Skip()
		}
		tf, err := jqtransform.NewObjectJQ(jqtransform.ObjectJQConfig{Filter: filter})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		out, err := tf.Transform(ctx, weir.NewMessage(data))
		if err == nil && (len(out) != 1 || out[0] == nil) {
			t.Fatalf("%d results", len(out))
		}
	})
}
