package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// BenchmarkHandle measures the handler, with the example's pipeline, on a
// batch of 500 W1 CloudTrail
// records (one op is one record): the pipeline run on a stream plus the
// handler's own work (metadata, answers, base64, the size accounting),
// beside the pipeline called directly on the same records.
func BenchmarkHandle(b *testing.B) {
	raw, err := os.ReadFile("../../testdata/w1/cloudtrail.ndjson")
	require.NoError(b, err)
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	var recs [][]byte
	for len(recs) < 500 {
		recs = append(recs, lines[len(recs)%len(lines)])
	}
	ev := event(recs)
	p := loadPipeline(b)
	b.Run("handler", func(b *testing.B) {
		h := NewHandler(p, Options{})
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(recs) {
			if _, err := h.Handle(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pipeline", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := p.Transform(context.Background(), weir.NewMessage(bytes.Clone(recs[i%len(recs)]))); err != nil {
				b.Fatal(err)
			}
		}
	})
}
