package aggregate_test

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// BenchmarkKPLSideBySide puts KPLAggregator beside what its encoders do
// alone for the same records: protowire appends of each Record message and
// one MD5 over the message per aggregated record of ~1 MiB, with no size
// accounting, no partition-key table and no limits (issue 15, item 4:
// aggregation within 1.5x of its encoders).
func BenchmarkKPLSideBySide(b *testing.B) {
	for _, size := range []int{1000, 25000} {
		data := bytes.Repeat([]byte("x"), size)
		pks := []string{"a", "b", "c", "d"}
		b.Run(fmt.Sprintf("record=%dB/aggregator", size), func(b *testing.B) { benchKPLAdd(b, size) })
		b.Run(fmt.Sprintf("record=%dB/encoders", size), func(b *testing.B) {
			// The same 4-key table, written once per aggregated record.
			var msg, out []byte
			flush := func() {
				for _, pk := range pks {
					msg = protowire.AppendTag(msg, 1, protowire.BytesType)
					msg = protowire.AppendString(msg, pk)
				}
				sum := md5.Sum(msg)
				out = append(append(append(out[:0], 0xF3, 0x89, 0x9A, 0xC2), msg...), sum[:]...)
				msg = msg[:0]
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if len(msg)+size+16 > 1<<20-64 {
					flush()
				}
				idx := uint64(i % len(pks))
				msg = protowire.AppendTag(msg, 3, protowire.BytesType)
				msg = protowire.AppendVarint(msg, uint64(1+protowire.SizeVarint(idx)+1+protowire.SizeBytes(len(data))))
				msg = protowire.AppendTag(msg, 1, protowire.VarintType)
				msg = protowire.AppendVarint(msg, idx)
				msg = protowire.AppendTag(msg, 3, protowire.BytesType)
				msg = protowire.AppendBytes(msg, data)
			}
			_ = out
		})
	}
}
