package stream_test

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
)

// BenchmarkPerKeyKeys measures how the cost of PerKey order grows with the
// number of distinct keys: a transformer that does nothing on GOMAXPROCS
// workers, messages cycling through 1 to 100,000 keys. One op is one
// message; bench/README.md tabulates ns/op and B/op.
func BenchmarkPerKeyKeys(b *testing.B) {
	for _, keys := range []int{1, 10, 100, 1000, 100000} {
		msgs := make([]*weir.Message, keys)
		for i := range msgs {
			msgs[i] = weir.NewMessage([]byte(fmt.Sprintf("user-%06d", i)))
		}
		key := func(m *weir.Message) string {
			d := m.Data() // never modified: a key that shares it is safe
			return unsafe.String(unsafe.SliceData(d), len(d))
		}
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			b.ReportAllocs()
			cfg := stream.Config{Order: stream.PerKey, Key: key,
				Stages: []stream.Stage{{Transformer: pass, Workers: runtime.GOMAXPROCS(0)}}}
			runStream(b, checkSink(b), cfg, func(i int) *weir.Message { return msgs[i%keys] })
		})
	}
}
