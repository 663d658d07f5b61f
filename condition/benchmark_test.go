package condition_test

import (
	"context"
	"testing"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// BenchmarkBuiltins measures one inspection of a fresh message (whose
// allocation is included) for every built-in type.
func BenchmarkBuiltins(b *testing.B) {
	for _, s := range samples {
		cfg := parseConfig(b, s.cfg)
		in, err := condition.New(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		data := []byte(s.data)
		b.Run(cfg.Type, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := in.Inspect(ctx, weir.NewMessage(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
