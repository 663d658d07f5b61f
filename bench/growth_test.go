package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tidwall/sjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/bench"
	"github.com/weirhq/weir/internal/ctgen"
	"github.com/weirhq/weir/transform"
)

// How the cost of a new Message per event grows: with the size of the event
// (BenchmarkGrowthEventSize) and with the length of the pipeline
// (BenchmarkGrowthPipelineLength). One op is one event; bench/README.md
// tabulates ns/op and B/op. (Growth with the number of PerKey keys is
// stream's BenchmarkPerKeyKeys.)

// growthEvent returns a CloudTrail record of about size bytes: a short one
// for 300, else a generated record whose requestParameters is padded with
// members of about 60 bytes until it reaches size.
func growthEvent(tb testing.TB, size int) []byte {
	tb.Helper()
	if size <= 300 {
		return []byte(`{"eventVersion":"1.08","eventTime":"2024-03-01T12:00:00Z","eventSource":"s3.amazonaws.com",` +
			`"eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","eventID":"0f3c",` +
			`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},"readOnly":true}`)
	}
	rec := ctgen.Generate(1, 42)[0]
	var params strings.Builder
	params.WriteByte('{')
	for i := 0; len(rec)+params.Len() < size; i++ {
		if i > 0 {
			params.WriteByte(',')
		}
		fmt.Fprintf(&params, `"key%05d":"value %05d: /bucket/prefix/object-%05d.json.gz"`, i, i, i)
	}
	params.WriteByte('}')
	out, err := sjson.SetRawBytes(rec, "requestParameters", []byte(params.String()))
	require.NoError(tb, err)
	return out
}

// checkOnce runs one event through t and checks that the output is JSON.
func checkOnce(tb testing.TB, t transform.Transformer, event []byte) {
	tb.Helper()
	out, err := t.Transform(context.Background(), weir.NewMessage(event))
	require.NoError(tb, err)
	require.Len(tb, out, 1)
	require.True(tb, json.Valid(out[0].Data()), "output: %s", out[0].Data())
}

// BenchmarkGrowthEventSize runs W1 (config, a new Message per event) on
// events of 0.3, 1, 10 and 100 KB.
func BenchmarkGrowthEventSize(b *testing.B) {
	ctx := context.Background()
	p, err := bench.NewW1FromConfig(ctx)
	require.NoError(b, err)
	for _, kb := range []float64{0.3, 1, 10, 100} {
		event := growthEvent(b, int(kb*1000))
		checkOnce(b, p, event)
		b.Run(fmt.Sprintf("size=%gKB", kb), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(event)))
			start, ok := cpuTime()
			for b.Loop() {
				if _, err := p.Transform(ctx, weir.NewMessage(event)); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start, ok)
		})
	}
}

// growthFields are fields of every generated record, copied in turn by the
// pipelines of BenchmarkGrowthPipelineLength.
var growthFields = []string{
	"eventTime", "eventName", "eventSource", "awsRegion", "sourceIPAddress", "eventID", "eventType",
	"recipientAccountId", "userIdentity.type", "userIdentity.arn", "userAgent", "readOnly",
}

// BenchmarkGrowthPipelineLength runs pipelines of 5, 25 and 100 transforms
// on the 1 KB event, a new Message per event: object_copy of a field into
// the metadata (n-1 of them, cycling through growthFields), then the
// metadata object copied to the data.
func BenchmarkGrowthPipelineLength(b *testing.B) {
	ctx := context.Background()
	event := growthEvent(b, 1000)
	for _, n := range []int{5, 25, 100} {
		cfgs := make([]weir.Config, 0, n)
		for i := range n - 1 {
			cfgs = append(cfgs, weir.Config{Type: "object_copy", Settings: map[string]any{"object": map[string]any{
				"source_key": growthFields[i%len(growthFields)], "target_key": fmt.Sprintf("meta out.f%03d", i)}}})
		}
		cfgs = append(cfgs, weir.Config{Type: "object_copy", Settings: map[string]any{"object": map[string]any{"source_key": "meta out"}}})
		p, err := transform.NewPipeline(ctx, nil, cfgs)
		require.NoError(b, err)
		checkOnce(b, p, event)
		b.Run(fmt.Sprintf("transforms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			start, ok := cpuTime()
			for b.Loop() {
				if _, err := p.Transform(ctx, weir.NewMessage(event)); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start, ok)
		})
		require.NoError(b, p.Close())
	}
}
