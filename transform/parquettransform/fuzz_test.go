package parquettransform

import (
	"context"
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/weirhq/weir"
)

// FuzzFormatFromParquet: no file makes format_from_parquet panic or
// return a nil message.
func FuzzFormatFromParquet(f *testing.F) {
	type row struct {
		A string  `parquet:"a"`
		B int64   `parquet:"b"`
		C []int32 `parquet:"c,list"`
	}
	seed := formatParquet(f, []row{{A: "x", B: 1, C: []int32{1, 2}}, {A: "y"}})
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("PAR1PAR1"))
	tf, err := NewFormatFromParquet(FormatFromParquetConfig{MaxSize: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	_ = parquet.Write[row]
	f.Fuzz(func(t *testing.T, data []byte) {
		// The work one message causes is bounded by max_size: a file that
		// makes the transform allocate far more is a finding.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := tf.Transform(context.Background(), weir.NewMessage(data))
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
			t.Fatalf("a %d-byte file allocated %d bytes (max_size 1 MiB)", len(data), n)
		}
		if err != nil {
			return
		}
		for i, m := range out {
			if m == nil {
				t.Fatalf("result %d is nil", i)
			}
		}
	})
}
