package transform_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A call to a flaky service, retried: the first two attempts time out, the
// third succeeds. Sleep is replaced to show the waits (exponential backoff
// from retry.delay; Jitter is replaced to make them predictable).
func ExampleNewMetaRetry() {
	attempts := 0
	lookup := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		attempts++
		if attempts < 3 {
			return nil, errors.New("lookup: i/o timeout")
		}
		return []*weir.Message{msg}, msg.Set("owner", "alice")
	})
	retry, err := transform.NewMetaRetry(transform.MetaRetryConfig{
		Transforms:    []transform.Transformer{lookup},
		ErrorMessages: []string{"timeout"},
		Retry:         weir.RetrySettings{Count: 4, Delay: "500ms"},
		Sleep: func(_ context.Context, d time.Duration) error {
			fmt.Println("wait", d)
			return nil
		},
		Jitter: func(ceil time.Duration) time.Duration { return ceil },
	})
	if err != nil {
		panic(err)
	}
	out, err := retry.Transform(context.Background(), weir.NewMessage([]byte(`{"host":"web-1"}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0], "after", attempts, "attempts")
	// Output:
	// wait 500ms
	// wait 1s
	// {"host":"web-1","owner":"alice"} after 3 attempts
}

// Counting messages: the count is reported at each control message, here to
// a MetricsFunc that prints it.
func ExampleNewUtilityMetricCount() {
	count, err := transform.NewUtilityMetricCount(transform.UtilityMetricCountConfig{
		Metric: transform.MetricSettings{Name: "MessagesReceived", Attributes: map[string]string{"AppName": "example"}},
		Metrics: transform.MetricsFunc(func(_ context.Context, m transform.Metric) {
			fmt.Println(m.Name, m.Value, m.Unit, m.Attributes)
		}),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, data := range []string{`{"a":1}`, `{"a":2}`, `{"a":3}`} {
		if _, err := count.Transform(ctx, weir.NewMessage([]byte(data))); err != nil {
			panic(err)
		}
	}
	if _, err := count.Transform(ctx, weir.NewControl()); err != nil {
		panic(err)
	}
	// Output:
	// MessagesReceived 3 Count map[AppName:example]
}

// The metrics of a Substation config go to the importer's own metrics
// system, whatever destination the config names.
func ExampleEnv_metrics() {
	ctx := context.Background()
	env := &transform.Env{Metrics: transform.MetricsFunc(func(_ context.Context, m transform.Metric) {
		fmt.Printf("%s=%g %s\n", m.Name, m.Value, m.Unit)
	})}
	tf, err := env.New(ctx, weir.Config{Type: "utility_metric_bytes", Settings: map[string]any{
		"metric": map[string]any{
			"name":        "BytesReceived",
			"destination": map[string]any{"type": "aws_cloudwatch_embedded_metrics"},
		},
	}})
	if err != nil {
		panic(err)
	}
	out, err := transform.Apply(ctx, []transform.Transformer{tf},
		weir.NewMessage([]byte(`{"a":"b"}`)), weir.NewMessage([]byte(`{"c":"d"}`)), weir.NewControl())
	if err != nil {
		panic(err)
	}
	fmt.Println(len(out), "messages out")
	// Output:
	// BytesReceived=18 Bytes
	// 3 messages out
}

// The line a metric becomes in CloudWatch Embedded Metric Format, the
// "aws_cloudwatch_embedded_metrics" destination.
func ExampleCloudWatchEMF() {
	emf := &transform.CloudWatchEMF{W: os.Stdout}
	emf.Record(context.Background(), transform.Metric{
		Name:       "MessagesReceived",
		Value:      13,
		Unit:       "Count",
		Attributes: map[string]string{"AppName": "example"},
		Time:       time.Date(2024, 8, 22, 4, 1, 6, 0, time.UTC),
	})
	// Output:
	// {"_aws":{"Timestamp":1724299266000,"CloudWatchMetrics":[{"Namespace":"Substation","Dimensions":[["AppName"]],"Metrics":[{"Name":"MessagesReceived","Unit":"Count"}]}]},"AppName":"example","MessagesReceived":13}
}

// Freshness: how many events arrive within five seconds of their
// timestamp (nanoseconds since the epoch). The clock is fixed for the
// example.
func ExampleNewUtilityMetricFreshness() {
	now := time.Date(2024, 8, 22, 4, 1, 6, 0, time.UTC)
	fresh, err := transform.NewUtilityMetricFreshness(transform.UtilityMetricFreshnessConfig{
		Threshold: "5s",
		Object:    transform.ObjectSettings{SourceKey: "event.created"},
		Metric:    transform.MetricSettings{Name: "MessageFreshness"},
		Metrics: transform.MetricsFunc(func(_ context.Context, m transform.Metric) {
			fmt.Println(m.Attributes["FreshnessType"], m.Value)
		}),
		Now: func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, age := range []time.Duration{time.Second, 3 * time.Second, time.Minute} {
		msg := weir.NewMessage([]byte(fmt.Sprintf(`{"event":{"created":%d}}`, now.Add(-age).UnixNano())))
		if _, err := fresh.Transform(ctx, msg); err != nil {
			panic(err)
		}
	}
	if _, err := fresh.Transform(ctx, weir.NewControl()); err != nil {
		panic(err)
	}
	// Output:
	// Success 2
	// Failure 1
}

// Timing a step: the total time spent in the nested transforms is reported
// at each control message, in nanoseconds. A fake clock that advances 2ms
// per reading makes the example repeatable.
func ExampleNewMetaMetricDuration() {
	t := time.Date(2024, 8, 22, 4, 1, 6, 0, time.UTC)
	clock := func() time.Time { t = t.Add(2 * time.Millisecond); return t }
	copyHost, err := transform.NewObjectCopy(transform.ObjectCopyConfig{Object: transform.ObjectSettings{SourceKey: "host", TargetKey: "observer.hostname"}})
	if err != nil {
		panic(err)
	}
	timed, err := transform.NewMetaMetricDuration(transform.MetaMetricDurationConfig{
		Transforms: []transform.Transformer{copyHost},
		Metric:     transform.MetricSettings{Name: "ObjectCopyDuration"},
		Metrics: transform.MetricsFunc(func(_ context.Context, m transform.Metric) {
			fmt.Println(m.Name, time.Duration(m.Value))
		}),
		Now: clock,
	})
	if err != nil {
		panic(err)
	}
	out, err := transform.Apply(context.Background(), []transform.Transformer{timed},
		weir.NewMessage([]byte(`{"host":"a"}`)), weir.NewMessage([]byte(`{"host":"b"}`)), weir.NewControl())
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// ObjectCopyDuration 4ms
	// {"host":"a","observer":{"hostname":"a"}}
}

// A secret resolved from a store by utility_secret, then referenced as
// ${SECRET:<id>} in a setting of a later transform, which interpolates it
// when it uses the setting.
func ExampleNewUtilitySecret() {
	store := transform.SecretStoreFunc(func(_ context.Context, name string) (string, error) {
		if name == "prod/intel-api-key" {
			return "k-123", nil
		}
		return "", fmt.Errorf("%q: %w", name, transform.ErrSecretNotFound)
	})
	secrets := &transform.Secrets{}
	_, err := transform.NewUtilitySecret(context.Background(), transform.UtilitySecretConfig{
		SecretID: "INTEL_KEY",
		Name:     "prod/intel-api-key",
		Store:    store,
		Secrets:  secrets,
	})
	if err != nil {
		panic(err)
	}
	url, err := secrets.Interpolate("https://intel.example.com/v1/ip?key=${SECRET:INTEL_KEY}")
	if err != nil {
		panic(err)
	}
	fmt.Println(url)
	// Output:
	// https://intel.example.com/v1/ip?key=k-123
}

// test_message injects a message when the pipeline flushes, as Substation's
// config tests do to give a pipeline input.
func ExampleNewTestMessage() {
	tm, err := transform.NewTestMessage(transform.TestMessageConfig{Value: map[string]any{"user": "alice", "action": "login"}})
	if err != nil {
		panic(err)
	}
	out, err := tm.Transform(context.Background(), weir.NewControl())
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		fmt.Printf("control=%t %s\n", m.IsControl(), m)
	}
	// Output:
	// control=false {"action":"login","user":"alice"}
	// control=true
}

// utility_delay paces a stream, e.g. before calls to a rate-limited
// service; a context that is done ends the wait.
func ExampleNewUtilityDelay() {
	delay, err := transform.NewUtilityDelay(transform.UtilityDelayConfig{Duration: "10ms"})
	if err != nil {
		panic(err)
	}
	start := time.Now()
	out, err := delay.Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0], time.Since(start) >= 10*time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = delay.Transform(ctx, weir.NewMessage([]byte(`{"a":2}`)))
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// {"a":1} true
	// true
}
