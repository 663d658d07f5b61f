package transform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// metricLog is a Metrics that keeps what it receives.
type metricLog struct {
	mu      sync.Mutex
	metrics []transform.Metric
}

func (l *metricLog) Record(_ context.Context, m transform.Metric) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.metrics = append(l.metrics, m)
}

func (l *metricLog) all() []transform.Metric {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]transform.Metric(nil), l.metrics...)
}

var metricTime = time.Date(2024, 8, 22, 4, 1, 6, 0, time.UTC)

func fixedNow() time.Time { return metricTime }

func TestCloudWatchEMF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		namespace string
		metric    transform.Metric
		want      string
	}{
		{
			name: "documented line",
			metric: transform.Metric{Name: "MessagesReceived", Value: 13, Unit: "Count",
				Attributes: map[string]string{"AppName": "example"}, Time: metricTime},
			want: `{"_aws":{"Timestamp":1724299266000,"CloudWatchMetrics":[{"Namespace":"Substation","Dimensions":[["AppName"]],"Metrics":[{"Name":"MessagesReceived","Unit":"Count"}]}]},"AppName":"example","MessagesReceived":13}`,
		},
		{
			name:   "no attributes",
			metric: transform.Metric{Name: "BytesReceived", Value: 1536, Unit: "Bytes", Time: metricTime.Add(123 * time.Millisecond)},
			want:   `{"_aws":{"Timestamp":1724299266123,"CloudWatchMetrics":[{"Namespace":"Substation","Dimensions":[[]],"Metrics":[{"Name":"BytesReceived","Unit":"Bytes"}]}]},"BytesReceived":1536}`,
		},
		{
			name: "sorted dimensions, a unit CloudWatch lacks, a namespace", namespace: "Weir",
			metric: transform.Metric{Name: "Duration", Value: 1.5e9, Unit: "Nanoseconds",
				Attributes: map[string]string{"b": "2", "a": "1", "FreshnessType": "Success"}, Time: metricTime},
			want: `{"_aws":{"Timestamp":1724299266000,"CloudWatchMetrics":[{"Namespace":"Weir","Dimensions":[["FreshnessType","a","b"]],"Metrics":[{"Name":"Duration"}]}]},"FreshnessType":"Success","a":"1","b":"2","Duration":1500000000}`,
		},
		{
			name: "escaping, and reserved attribute names left out",
			metric: transform.Metric{Name: `Late "msgs"`, Value: 0.25, Unit: "Percent",
				Attributes: map[string]string{"_aws": "x", `Late "msgs"`: "y", "k\n": "<v>"}, Time: metricTime},
			want: `{"_aws":{"Timestamp":1724299266000,"CloudWatchMetrics":[{"Namespace":"Substation","Dimensions":[["k\n"]],"Metrics":[{"Name":"Late \"msgs\"","Unit":"Percent"}]}]},"k\n":"\u003cv\u003e","Late \"msgs\"":0.25}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			emf := &transform.CloudWatchEMF{W: &buf, Namespace: tt.namespace}
			emf.Record(context.Background(), tt.metric)
			line := buf.String()
			require.True(t, strings.HasSuffix(line, "\n"), "one line")
			line = strings.TrimSuffix(line, "\n")
			// Escaping follows weir.AppendJSONString; compare the JSON
			// when the exact form is not what is tested.
			if tt.name == "escaping, and reserved attribute names left out" {
				assert.JSONEq(t, tt.want, line)
			} else {
				assert.Equal(t, tt.want, line)
			}
			assert.True(t, json.Valid([]byte(line)))
		})
	}

	t.Run("not finite", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		emf := &transform.CloudWatchEMF{W: &buf}
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			emf.Record(context.Background(), transform.Metric{Name: "x", Value: v})
		}
		assert.Empty(t, buf.String())
	})

	t.Run("zero time is now", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		before := time.Now().UnixMilli()
		(&transform.CloudWatchEMF{W: &buf}).Record(context.Background(), transform.Metric{Name: "x", Value: 1})
		var got struct {
			AWS struct{ Timestamp int64 } `json:"_aws"`
		}
		require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
		assert.GreaterOrEqual(t, got.AWS.Timestamp, before)
		assert.LessOrEqual(t, got.AWS.Timestamp, time.Now().UnixMilli())
	})

	t.Run("concurrent lines do not interleave", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		emf := &transform.CloudWatchEMF{W: &buf}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					emf.Record(context.Background(), transform.Metric{Name: "n", Value: float64(g*100 + i), Time: metricTime})
				}
			})
		}
		wg.Wait()
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		assert.Len(t, lines, 400)
		for _, l := range lines {
			assert.True(t, json.Valid([]byte(l)), l)
		}
	})
}

func TestUtilityMetricCountAndBytes(t *testing.T) {
	t.Parallel()
	settings := transform.MetricSettings{Name: "M", Attributes: map[string]string{"AppName": "example"}}
	tests := []struct {
		name  string
		build func(transform.Metrics) (transform.Transformer, error)
		unit  string
		want  float64 // for the inputs below
	}{
		{"count", func(m transform.Metrics) (transform.Transformer, error) {
			return transform.NewUtilityMetricCount(transform.UtilityMetricCountConfig{Metric: settings, Metrics: m, Now: fixedNow})
		}, "Count", 3},
		{"bytes", func(m transform.Metrics) (transform.Transformer, error) {
			return transform.NewUtilityMetricBytes(transform.UtilityMetricBytesConfig{Metric: settings, Metrics: m, Now: fixedNow})
		}, "Bytes", 9 + 3 + 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log := &metricLog{}
			tf, err := tt.build(log)
			require.NoError(t, err)
			got, ctrls := feed(t, tf, true, `{"a":"b"}`, `abc`, ``)
			assert.Equal(t, []string{`{"a":"b"}`, `abc`, ``}, got, "messages pass unchanged")
			assert.Equal(t, 1, ctrls)
			_, _ = feed(t, tf, true) // nothing since: reports 0
			want := transform.Metric{Name: "M", Value: tt.want, Unit: tt.unit, Attributes: map[string]string{"AppName": "example"}, Time: metricTime}
			zero := want
			zero.Value = 0
			assert.Equal(t, []transform.Metric{want, zero}, log.all())
		})
	}

	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		log := &metricLog{}
		tf, err := transform.NewUtilityMetricCount(transform.UtilityMetricCountConfig{Metric: settings, Metrics: log})
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 100 {
					_, _ = tf.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
				}
			})
		}
		wg.Wait()
		_, _ = tf.Transform(context.Background(), weir.NewControl())
		require.Len(t, log.all(), 1)
		assert.Equal(t, float64(800), log.all()[0].Value)
	})
}

// TestMetricTransformsJSON builds the metric transforms from Substation
// configs, with the metrics routed by Env.Metrics.
func TestMetricTransformsJSON(t *testing.T) {
	t.Parallel()
	const metric = `"metric":{"name":"N","attributes":{"AppName":"example"},"destination":{"type":"aws_cloudwatch_embedded_metrics"}}`
	configs := []struct {
		cfg   string
		input string
		names []string
	}{
		{`{"type":"utility_metric_count","settings":{"id":"x",` + metric + `}}`, `{"a":1}`, []string{"N"}},
		{`{"type":"utility_metric_bytes","settings":{` + metric + `}}`, `{"a":1}`, []string{"N"}},
		{`{"type":"utility_metric_freshness","settings":{"threshold":"5s","object":{"source_key":"ts"},` + metric + `}}`, `{"ts":1}`, []string{"N", "N"}},
		{`{"type":"meta_metric_duration","settings":{` + metric + `,"transforms":[{"type":"utility_drop"}]}}`, `{"a":1}`, []string{"N"}},
	}
	for _, c := range configs {
		t.Run(c.cfg, func(t *testing.T) {
			t.Parallel()
			log := &metricLog{}
			ctx := context.Background()
			tf, err := (&transform.Env{Metrics: log}).New(ctx, parseConfig(t, c.cfg))
			require.NoError(t, err)
			_, ctrls := feed(t, tf, true, c.input)
			assert.Equal(t, 1, ctrls)
			var names []string
			for _, m := range log.all() {
				names = append(names, m.Name)
				assert.Equal(t, "example", m.Attributes["AppName"])
			}
			assert.Equal(t, c.names, names)

			// Without Env.Metrics the EMF destination is built (it would
			// write to standard output).
			_, err = transform.New(context.Background(), parseConfig(t, c.cfg))
			require.NoError(t, err)
		})
	}

	bad := []struct{ cfg, field string }{
		{`{"type":"utility_metric_count","settings":{"metric":{"destination":{"type":"aws_cloudwatch_embedded_metrics"}}}}`, "metric.name"},
		{`{"type":"utility_metric_count","settings":{"metric":{"name":"n","destination":{"type":"statsd"}}}}`, "metric.destination.type"},
		{`{"type":"utility_metric_count","settings":{"metric":{"name":"n","destination":{"type":"aws_cloudwatch_embedded_metrics","settings":{"x":1}}}}}`, "metric.destination.settings"},
		{`{"type":"utility_metric_count","settings":{"metric":{"name":"n","dimensions":{}}}}`, "metric.dimensions"},
		{`{"type":"utility_metric_bytes","settings":{"metric":{}}}`, "metric.name"},
		{`{"type":"utility_metric_freshness","settings":{"object":{"source_key":"ts"},"metric":{"name":"n"}}}`, "threshold"},
		{`{"type":"utility_metric_freshness","settings":{"threshold":"soon","object":{"source_key":"ts"},"metric":{"name":"n"}}}`, "threshold"},
		{`{"type":"utility_metric_freshness","settings":{"threshold":"5s","metric":{"name":"n"}}}`, "object.source_key"},
		{`{"type":"meta_metric_duration","settings":{"metric":{"name":"n"},"transforms":[{"type":"nope"}]}}`, "transforms.0"},
		{`{"type":"meta_metric_duration","settings":{"transforms":[]}}`, "metric.name"},
	}
	for _, b := range bad {
		_, err := transform.New(context.Background(), parseConfig(t, b.cfg))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, b.cfg)
		assert.Equal(t, b.field, ce.Field, b.cfg)
	}
}

func TestUtilityMetricFreshness(t *testing.T) {
	t.Parallel()
	log := &metricLog{}
	attrs := map[string]string{"AppName": "example"}
	tf, err := transform.NewUtilityMetricFreshness(transform.UtilityMetricFreshnessConfig{
		Threshold: "5s", Object: transform.ObjectSettings{SourceKey: "ts"},
		Metric: transform.MetricSettings{Name: "MessageFreshness", Attributes: attrs}, Metrics: log, Now: fixedNow,
	})
	require.NoError(t, err)
	now := metricTime.UnixNano()
	inputs := []string{
		fmt.Sprintf(`{"ts":%d}`, now),                              // fresh
		fmt.Sprintf(`{"ts":%d}`, now-int64(4999*time.Millisecond)), // fresh
		fmt.Sprintf(`{"ts":%d}`, now-int64(5*time.Second)),         // stale: not less than the threshold
		fmt.Sprintf(`{"ts":"%d"}`, now-int64(time.Hour)),           // stale, as a string
		fmt.Sprintf(`{"ts":%d}`, now+int64(time.Hour)),             // from the future: fresh
		`{"ts":0}`, `{}`, `not json`, `{"ts":"yesterday"}`, // not counted
	}
	got, ctrls := feed(t, tf, true, inputs...)
	assert.Equal(t, inputs, got)
	assert.Equal(t, 1, ctrls)
	assert.Equal(t, []transform.Metric{
		{Name: "MessageFreshness", Value: 3, Unit: "Count", Attributes: map[string]string{"AppName": "example", "FreshnessType": "Success"}, Time: metricTime},
		{Name: "MessageFreshness", Value: 2, Unit: "Count", Attributes: map[string]string{"AppName": "example", "FreshnessType": "Failure"}, Time: metricTime},
	}, log.all())
	assert.Equal(t, map[string]string{"AppName": "example"}, attrs, "the configured attributes are not changed")

	// The example's vector: a timestamp from 2024 is stale today.
	log2 := &metricLog{}
	tf2, err := (&transform.Env{Metrics: log2}).New(context.Background(), parseConfig(t, `{"type":"utility_metric_freshness","settings":{
		"id":"a024a008-49fd17bc","threshold":"5s","object":{"source_key":"timestamp"},
		"metric":{"name":"MessageFreshness","attributes":{"AppName":"example"},"destination":{"type":"aws_cloudwatch_embedded_metrics"}}}}`))
	require.NoError(t, err)
	got, _ = feed(t, tf2, true, `{"timestamp":1724299266000000000}`)
	assert.Equal(t, []string{`{"timestamp":1724299266000000000}`}, got)
	require.Len(t, log2.all(), 2)
	assert.Equal(t, []float64{0, 1}, []float64{log2.all()[0].Value, log2.all()[1].Value})
}

// clock is a fake clock that advances by step at each reading.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func TestMetaMetricDuration(t *testing.T) {
	t.Parallel()
	log := &metricLog{}
	clk := &clock{t: metricTime, step: 10 * time.Millisecond}
	hold := &holdBuffer{}
	d, err := transform.NewMetaMetricDuration(transform.MetaMetricDurationConfig{
		Transforms: []transform.Transformer{upperTf, hold},
		Metric:     transform.MetricSettings{Name: "D"},
		Metrics:    log, Now: clk.now, ID: "d",
	})
	require.NoError(t, err)
	// Each data message reads the clock twice (10ms apart); the report
	// reads it once.
	got, ctrls := feed(t, d, true, `a`, `b`, `c`)
	assert.Equal(t, []string{`A`, `B`, `C`}, got, "held messages are released by the control message")
	assert.Equal(t, 1, ctrls)
	assert.Equal(t, 1, hold.ctrls)
	_, _ = feed(t, d, true)
	ms := log.all()
	require.Len(t, ms, 2)
	assert.Equal(t, transform.Metric{Name: "D", Value: float64(30 * time.Millisecond), Unit: "Nanoseconds", Attributes: map[string]string{}, Time: metricTime.Add(60 * time.Millisecond)}, ms[0])
	assert.Equal(t, float64(0), ms[1].Value)

	// Errors are wrapped and the time spent still counts.
	e, err := transform.NewMetaMetricDuration(transform.MetaMetricDurationConfig{
		Transforms: []transform.Transformer{failWith(errTimeout)}, Metric: transform.MetricSettings{Name: "E"}, Metrics: log, ID: "e",
	})
	require.NoError(t, err)
	_, err = e.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	require.ErrorIs(t, err, errTimeout)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "meta_metric_duration", te.Type)
	assert.Equal(t, "e", te.ID)

	closed := 0
	c, err := transform.NewMetaMetricDuration(transform.MetaMetricDurationConfig{
		Transforms: []transform.Transformer{closeCounter{Func: upperTf, closed: &closed}}, Metric: transform.MetricSettings{Name: "C"},
	})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.Equal(t, 1, closed)

	_, err = transform.NewMetaMetricDuration(transform.MetaMetricDurationConfig{Transforms: []transform.Transformer{nil}, Metric: transform.MetricSettings{Name: "C"}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

func TestMetricsFunc(t *testing.T) {
	t.Parallel()
	var got transform.Metric
	m := transform.MetricsFunc(func(_ context.Context, m transform.Metric) { got = m })
	m.Record(context.Background(), transform.Metric{Name: "x", Value: 2})
	assert.Equal(t, transform.Metric{Name: "x", Value: 2}, got)
}

func benchTransform(b *testing.B, tf transform.Transformer, data []byte) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkUtilityMetricCount(b *testing.B) {
	tf, err := transform.NewUtilityMetricCount(transform.UtilityMetricCountConfig{Metric: transform.MetricSettings{Name: "n"}})
	require.NoError(b, err)
	benchTransform(b, tf, []byte(`{"a":1}`))
}

func BenchmarkUtilityMetricBytes(b *testing.B) {
	tf, err := transform.NewUtilityMetricBytes(transform.UtilityMetricBytesConfig{Metric: transform.MetricSettings{Name: "n"}})
	require.NoError(b, err)
	benchTransform(b, tf, []byte(`{"a":1}`))
}

func BenchmarkUtilityMetricFreshness(b *testing.B) {
	tf, err := transform.NewUtilityMetricFreshness(transform.UtilityMetricFreshnessConfig{
		Threshold: "5s", Object: transform.ObjectSettings{SourceKey: "event.created"}, Metric: transform.MetricSettings{Name: "n"},
	})
	require.NoError(b, err)
	benchTransform(b, tf, fmt.Appendf(nil, `{"event":{"created":%d,"kind":"event"},"message":"hello"}`, time.Now().UnixNano()))
}

func BenchmarkMetaMetricDuration(b *testing.B) {
	tf, err := transform.NewMetaMetricDuration(transform.MetaMetricDurationConfig{
		Transforms: []transform.Transformer{setFieldTf("a", 1)}, Metric: transform.MetricSettings{Name: "n"},
	})
	require.NoError(b, err)
	benchTransform(b, tf, []byte(`{"event":{"kind":"event"}}`))
}

func BenchmarkCloudWatchEMF(b *testing.B) {
	emf := &transform.CloudWatchEMF{W: io.Discard}
	m := transform.Metric{Name: "MessagesReceived", Value: 13, Unit: "Count", Attributes: map[string]string{"AppName": "example", "Stage": "prod"}, Time: metricTime}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		emf.Record(ctx, m)
	}
}
