package transform

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir"
)

// ---------------------------------------------------------------------------
// The Metrics hook

// Metric is one measurement reported by a metric transform
// (utility_metric_count, utility_metric_bytes, utility_metric_freshness,
// meta_metric_duration).
type Metric struct {
	// Name is the configured name ("metric.name"), e.g. "MessagesReceived".
	Name string
	// Value is the measurement.
	Value float64
	// Unit is the unit of Value: "Count", "Bytes" or "Nanoseconds" for the
	// built-ins (CloudWatch's unit names, except Nanoseconds, which
	// CloudWatch lacks).
	Unit string
	// Attributes are the configured "metric.attributes", plus those the
	// transform adds (utility_metric_freshness adds FreshnessType). They
	// describe the metric, like dimensions or labels. The map is shared:
	// do not modify it.
	Attributes map[string]string
	// Time is when the measurement was taken.
	Time time.Time
}

// Metrics receives the metrics that metric transforms report. It is the
// hook to connect Weir to a metrics system (Prometheus, OpenTelemetry,
// StatsD, …); Weir itself depends on none.
//
// Metric transforms accumulate between control messages and call Record
// when a control message passes, on the goroutine handling it. Record may be
// called concurrently by several transforms; it should return quickly and
// must not retain m.Attributes beyond the call without copying it. It
// returns no error: reporting a metric never fails a pipeline, so an
// implementation deals with its own failures.
type Metrics interface {
	Record(ctx context.Context, m Metric)
}

// MetricsFunc adapts an ordinary function to the Metrics interface.
type MetricsFunc func(ctx context.Context, m Metric)

// Record calls f(ctx, m).
func (f MetricsFunc) Record(ctx context.Context, m Metric) { f(ctx, m) }

// withEnvMetrics wraps the constructor of a metric transform whose config
// has a Metrics field: the Env's Metrics, if any, overrides the config's.
func withEnvMetrics[C any, T Transformer](fn func(cfg C) (T, error)) func(context.Context, *Env, C) (T, error) {
	return func(_ context.Context, env *Env, c C) (T, error) {
		if m := env.metrics(); m != nil {
			if s, ok := any(&c).(interface{ setMetrics(Metrics) }); ok {
				s.setMetrics(m)
			}
		}
		return fn(c)
	}
}

// MetricSettings is the "metric" setting of the metric transforms.
type MetricSettings struct {
	// Name names the metric. Required.
	Name string `json:"name"`
	// Attributes describe the metric (CloudWatch dimensions, Prometheus
	// labels).
	Attributes map[string]string `json:"attributes,omitempty"`
	// Destination says where metrics go when no Metrics is given (in Go, or
	// by [WithMetrics]): type "aws_cloudwatch_embedded_metrics" writes
	// them to standard output with a [CloudWatchEMF]; no type drops them.
	Destination weir.Config `json:"destination"`
}

// metricSink returns the Metrics a metric transform reports to: m if set,
// else the one s's destination describes. It validates s.
func metricSink(typ string, m Metrics, s MetricSettings) (Metrics, error) {
	if s.Name == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "metric.name", Err: weir.ErrMissingSetting}
	}
	if m != nil {
		return m, nil
	}
	switch s.Destination.Type {
	case "":
		return MetricsFunc(func(context.Context, Metric) {}), nil
	case "aws_cloudwatch_embedded_metrics":
		var none struct{}
		if err := s.Destination.Decode(&none); err != nil {
			return nil, &weir.ConfigError{Type: typ, Field: "metric.destination.settings", Err: err}
		}
		return &CloudWatchEMF{}, nil
	}
	return nil, &weir.ConfigError{Type: typ, Field: "metric.destination.type",
		Err: fmt.Errorf("%w %q", weir.ErrUnknownType, s.Destination.Type)}
}

// metricReporter is what every metric transform shares.
type metricReporter struct {
	name    string
	attrs   map[string]string
	metrics Metrics
	now     func() time.Time
}

func newMetricReporter(typ string, m Metrics, s MetricSettings, now func() time.Time) (metricReporter, error) {
	sink, err := metricSink(typ, m, s)
	if err != nil {
		return metricReporter{}, err
	}
	if now == nil {
		now = time.Now
	}
	attrs := make(map[string]string, len(s.Attributes))
	for k, v := range s.Attributes {
		attrs[k] = v
	}
	return metricReporter{name: s.Name, attrs: attrs, metrics: sink, now: now}, nil
}

func (r *metricReporter) report(ctx context.Context, v float64, unit string, attrs map[string]string) {
	r.metrics.Record(ctx, Metric{Name: r.name, Value: v, Unit: unit, Attributes: attrs, Time: r.now()})
}

// ---------------------------------------------------------------------------
// CloudWatch Embedded Metric Format

// defaultEMFNamespace is the namespace Substation writes its metrics to.
const defaultEMFNamespace = "Substation"

// CloudWatchEMF is a [Metrics] that writes each metric as one line of
// CloudWatch Embedded Metric Format (EMF) JSON; in AWS Lambda, lines written
// to standard output become CloudWatch metrics. It is the
// "aws_cloudwatch_embedded_metrics" destination.
//
// The metric {Name: "MessagesReceived", Value: 13, Unit: "Count",
// Attributes: {"AppName": "example"}} taken at 2024-08-22T04:01:06Z is
// written as
//
//	{"_aws":{"Timestamp":1724299266000,"CloudWatchMetrics":[{"Namespace":"Substation","Dimensions":[["AppName"]],"Metrics":[{"Name":"MessagesReceived","Unit":"Count"}]}]},"AppName":"example","MessagesReceived":13}
//
// followed by a newline: the attributes are the dimensions, in sorted order
// (a metric without attributes has one empty dimension set, [[]]), and they
// and the value are top-level members. Unit is omitted when it is not a
// CloudWatch unit (Nanoseconds). An attribute named "_aws" or like the
// metric is left out; a metric whose value is NaN or infinite is not
// written. Write errors are dropped.
//
// The zero value writes to os.Stdout in the namespace "Substation". A
// CloudWatchEMF is safe for concurrent use: each line is written with one
// Write call, under a lock.
type CloudWatchEMF struct {
	// W receives the lines; nil means os.Stdout.
	W io.Writer
	// Namespace is the CloudWatch namespace; "" means "Substation", where
	// Substation writes its metrics.
	Namespace string

	mu sync.Mutex
}

// Record implements [Metrics].
func (e *CloudWatchEMF) Record(_ context.Context, m Metric) {
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		return
	}
	line := e.appendLine(make([]byte, 0, 256), m)
	w := e.W
	if w == nil {
		w = os.Stdout
	}
	e.mu.Lock()
	_, _ = w.Write(line)
	e.mu.Unlock()
}

// appendLine appends m's EMF line, newline included, to buf.
func (e *CloudWatchEMF) appendLine(buf []byte, m Metric) []byte {
	ts := m.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	ns := e.Namespace
	if ns == "" {
		ns = defaultEMFNamespace
	}
	keys := make([]string, 0, len(m.Attributes))
	for k := range m.Attributes {
		if k != "_aws" && k != m.Name {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	buf = append(buf, `{"_aws":{"Timestamp":`...)
	buf = strconv.AppendInt(buf, ts.UnixMilli(), 10)
	buf = append(buf, `,"CloudWatchMetrics":[{"Namespace":`...)
	buf = weir.AppendJSONString(buf, ns)
	buf = append(buf, `,"Dimensions":[[`...)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = weir.AppendJSONString(buf, k)
	}
	buf = append(buf, `]],"Metrics":[{"Name":`...)
	buf = weir.AppendJSONString(buf, m.Name)
	if cloudWatchUnit(m.Unit) {
		buf = append(buf, `,"Unit":`...)
		buf = weir.AppendJSONString(buf, m.Unit)
	}
	buf = append(buf, `}]}]}`...)
	for _, k := range keys {
		buf = append(buf, ',')
		buf = weir.AppendJSONString(buf, k)
		buf = append(buf, ':')
		buf = weir.AppendJSONString(buf, m.Attributes[k])
	}
	buf = append(buf, ',')
	buf = weir.AppendJSONString(buf, m.Name)
	buf = append(buf, ':')
	buf = strconv.AppendFloat(buf, m.Value, 'f', -1, 64)
	return append(buf, "}\n"...)
}

// cloudWatchUnit reports whether u is a unit CloudWatch knows.
func cloudWatchUnit(u string) bool {
	switch u {
	case "Seconds", "Microseconds", "Milliseconds",
		"Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
		"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
		"Percent", "Count",
		"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
		"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
		"Count/Second", "None":
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// utility_metric_count and utility_metric_bytes

// UtilityMetricCountConfig configures [UtilityMetricCount], the
// utility_metric_count transform.
//
//	{"type": "utility_metric_count", "settings": {"metric": {
//	    "name": "MessagesReceived", "attributes": {"AppName": "example"},
//	    "destination": {"type": "aws_cloudwatch_embedded_metrics"}}}}
type UtilityMetricCountConfig struct {
	// Metric names the metric and says where it goes.
	Metric MetricSettings `json:"metric"`
	// ID names this transform.
	ID string `json:"id,omitempty"`
	// Metrics receives the metric; nil means Metric.Destination.
	Metrics Metrics `json:"-"`
	// Now returns the time metrics are stamped with; nil means time.Now.
	Now func() time.Time `json:"-"`
}

func (c *UtilityMetricCountConfig) setMetrics(m Metrics) { c.Metrics = m }

// UtilityMetricCount counts data messages and, at each control message,
// reports the count since the previous one (unit "Count") and starts
// again. Messages pass unchanged. It is the utility_metric_count transform.
// It is safe for concurrent use; no message is counted twice or lost
// between reports.
type UtilityMetricCount struct {
	r metricReporter
	n atomic.Uint64
}

// NewUtilityMetricCount returns a UtilityMetricCount.
func NewUtilityMetricCount(cfg UtilityMetricCountConfig) (*UtilityMetricCount, error) {
	r, err := newMetricReporter("utility_metric_count", cfg.Metrics, cfg.Metric, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &UtilityMetricCount{r: r}, nil
}

// Transform implements [Transformer].
func (u *UtilityMetricCount) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		u.r.report(ctx, float64(u.n.Swap(0)), "Count", u.r.attrs)
	} else {
		u.n.Add(1)
	}
	return msg.AsSlice(), nil
}

// UtilityMetricBytesConfig configures [UtilityMetricBytes], the
// utility_metric_bytes transform. Its settings are those of
// utility_metric_count.
type UtilityMetricBytesConfig struct {
	// Metric names the metric and says where it goes.
	Metric MetricSettings `json:"metric"`
	// ID names this transform.
	ID string `json:"id,omitempty"`
	// Metrics receives the metric; nil means Metric.Destination.
	Metrics Metrics `json:"-"`
	// Now returns the time metrics are stamped with; nil means time.Now.
	Now func() time.Time `json:"-"`
}

func (c *UtilityMetricBytesConfig) setMetrics(m Metrics) { c.Metrics = m }

// UtilityMetricBytes adds up the size of the data of data messages and, at
// each control message, reports the bytes seen since the previous one
// (unit "Bytes") and starts again. Messages pass unchanged. It is the
// utility_metric_bytes transform. It is safe for concurrent use.
type UtilityMetricBytes struct {
	r metricReporter
	n atomic.Uint64
}

// NewUtilityMetricBytes returns a UtilityMetricBytes.
func NewUtilityMetricBytes(cfg UtilityMetricBytesConfig) (*UtilityMetricBytes, error) {
	r, err := newMetricReporter("utility_metric_bytes", cfg.Metrics, cfg.Metric, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &UtilityMetricBytes{r: r}, nil
}

// Transform implements [Transformer].
func (u *UtilityMetricBytes) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		u.r.report(ctx, float64(u.n.Swap(0)), "Bytes", u.r.attrs)
	} else {
		u.n.Add(uint64(len(msg.Data())))
	}
	return msg.AsSlice(), nil
}

// ---------------------------------------------------------------------------
// utility_metric_freshness

// UtilityMetricFreshnessConfig configures [UtilityMetricFreshness], the
// utility_metric_freshness transform.
//
//	{"type": "utility_metric_freshness", "settings": {
//	    "threshold": "5s", "object": {"source_key": "timestamp"},
//	    "metric": {"name": "MessageFreshness", "destination": {…}}}}
type UtilityMetricFreshnessConfig struct {
	// Threshold is a Go duration ("5s"): a message is fresh when its
	// timestamp is less than this old. Required.
	Threshold string `json:"threshold"`
	// Object.SourceKey is the field holding the message's timestamp, in
	// nanoseconds since the Unix epoch. Required.
	Object ObjectSettings `json:"object"`
	// Metric names the metric and says where it goes.
	Metric MetricSettings `json:"metric"`
	// ID names this transform.
	ID string `json:"id,omitempty"`
	// Metrics receives the metric; nil means Metric.Destination.
	Metrics Metrics `json:"-"`
	// Now returns the current time, against which timestamps are measured
	// and with which metrics are stamped; nil means time.Now.
	Now func() time.Time `json:"-"`
}

func (c *UtilityMetricFreshnessConfig) setMetrics(m Metrics) { c.Metrics = m }

// UtilityMetricFreshness measures how late messages arrive: it reads each
// data message's timestamp (nanoseconds since the Unix epoch, as time_now
// and time_from_string write it) and counts
// the message as fresh when it is younger than the threshold, else as
// stale. At each control message it reports two metrics, the fresh and the
// stale count since the previous one (unit "Count"), with the attribute
// FreshnessType "Success" and "Failure" respectively, and starts again.
// Messages pass unchanged; one without a timestamp (a missing field, or
// one that reads as 0) is not counted. It is the utility_metric_freshness
// transform. It is safe for concurrent use.
type UtilityMetricFreshness struct {
	r                      metricReporter
	src                    string
	threshold              time.Duration
	freshAttrs, staleAttrs map[string]string
	fresh, stale           atomic.Uint64
}

// NewUtilityMetricFreshness returns a UtilityMetricFreshness.
func NewUtilityMetricFreshness(cfg UtilityMetricFreshnessConfig) (*UtilityMetricFreshness, error) {
	const typ = "utility_metric_freshness"
	if cfg.Threshold == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "threshold", Err: weir.ErrMissingSetting}
	}
	threshold, err := time.ParseDuration(cfg.Threshold)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "threshold", Err: err}
	}
	if cfg.Object.SourceKey == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "object.source_key", Err: weir.ErrMissingSetting}
	}
	r, err := newMetricReporter(typ, cfg.Metrics, cfg.Metric, cfg.Now)
	if err != nil {
		return nil, err
	}
	with := func(v string) map[string]string {
		m := make(map[string]string, len(r.attrs)+1)
		for k, x := range r.attrs {
			m[k] = x
		}
		m["FreshnessType"] = v
		return m
	}
	return &UtilityMetricFreshness{
		r:          r,
		src:        cfg.Object.SourceKey,
		threshold:  threshold,
		freshAttrs: with("Success"),
		staleAttrs: with("Failure"),
	}, nil
}

// Transform implements [Transformer].
func (u *UtilityMetricFreshness) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		u.r.report(ctx, float64(u.fresh.Swap(0)), "Count", u.freshAttrs)
		u.r.report(ctx, float64(u.stale.Swap(0)), "Count", u.staleAttrs)
		return msg.AsSlice(), nil
	}
	ns := msg.Get(u.src).Int()
	if ns == 0 {
		return msg.AsSlice(), nil
	}
	if u.r.now().Sub(time.Unix(0, ns)) < u.threshold {
		u.fresh.Add(1)
	} else {
		u.stale.Add(1)
	}
	return msg.AsSlice(), nil
}

// ---------------------------------------------------------------------------
// meta_metric_duration

// MetaMetricDurationConfig configures [MetaMetricDuration], the
// meta_metric_duration transform.
//
// In JSON the transforms are configs, built with [New]:
//
//	{"type": "meta_metric_duration", "settings": {
//	    "metric": {"name": "ObjectCopyDuration", "destination": {…}},
//	    "transforms": [{"type": "object_copy", "settings": {…}}]}}
type MetaMetricDurationConfig struct {
	// Transforms run in sequence, like a [Chain]. None at all passes
	// messages unchanged (and measures next to nothing).
	Transforms []Transformer
	// Metric names the metric and says where it goes.
	Metric MetricSettings
	// ID names this transform in errors.
	ID string
	// Metrics receives the metric; nil means Metric.Destination.
	Metrics Metrics
	// Now returns the current time, used to measure and to stamp metrics;
	// nil means time.Now.
	Now func() time.Time
}

func (c *MetaMetricDurationConfig) setMetrics(m Metrics) { c.Metrics = m }

// MetaMetricDuration runs transforms and measures the time they take. At
// each control message it reports the total wall time spent on data
// messages since the previous one, in nanoseconds (unit "Nanoseconds", as
// Substation measures), starts again, and then passes the control message
// through the transforms (that pass is not measured). It is the
// meta_metric_duration transform.
//
// Concurrent calls each add their own time, so the total can exceed the
// wall time that passed. A MetaMetricDuration is safe for concurrent use if
// its transforms are.
type MetaMetricDuration struct {
	id    string
	tfs   []Transformer
	r     metricReporter
	total atomic.Int64 // nanoseconds
}

// NewMetaMetricDuration returns a MetaMetricDuration running cfg's
// transforms. It takes ownership of them (see [MetaMetricDuration.Close]).
func NewMetaMetricDuration(cfg MetaMetricDurationConfig) (*MetaMetricDuration, error) {
	if err := checkTransformers("transforms", cfg.Transforms); err != nil {
		return nil, configErr("meta_metric_duration", err)
	}
	r, err := newMetricReporter("meta_metric_duration", cfg.Metrics, cfg.Metric, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &MetaMetricDuration{id: cfg.ID, tfs: append([]Transformer(nil), cfg.Transforms...), r: r}, nil
}

// metaMetricDurationSettings is the JSON shape of meta_metric_duration's
// settings.
type metaMetricDurationSettings struct {
	Transforms []weir.Config  `json:"transforms"`
	Metric     MetricSettings `json:"metric"`
	ID         string         `json:"id,omitempty"`
}

func buildMetaMetricDuration(ctx context.Context, env *Env, s metaMetricDurationSettings) (*MetaMetricDuration, error) {
	ts, err := buildAll(ctx, env, "transforms", s.Transforms)
	if err != nil {
		return nil, err
	}
	d, err := withEnvMetrics(NewMetaMetricDuration)(ctx, env, MetaMetricDurationConfig{Transforms: ts, Metric: s.Metric, ID: s.ID})
	if err != nil {
		_ = closeAll(ts)
		return nil, err
	}
	return d, nil
}

// Transform implements [Transformer].
func (d *MetaMetricDuration) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		d.r.report(ctx, float64(d.total.Swap(0)), "Nanoseconds", d.r.attrs)
	} else {
		start := d.r.now()
		defer func() { d.total.Add(int64(d.r.now().Sub(start))) }()
	}
	out, err := applyOne(ctx, d.tfs, msg)
	if err != nil {
		return nil, &Error{Type: "meta_metric_duration", ID: d.id, Err: err}
	}
	return out, nil
}

// Close closes every transform that implements io.Closer.
func (d *MetaMetricDuration) Close() error { return closeAll(d.tfs) }
