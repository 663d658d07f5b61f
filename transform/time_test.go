package transform

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// TestTimeConformance holds the Substation v2 conformance vectors of the
// time_* types (shared/conformance/substation-v2/transform/time_*.json) and
// the example pipeline transform__time__str_conversion; outputs must match
// byte for byte. The vectors of time_to_string without a location assume
// TZ=UTC, so those use the location "UTC" here: the tests must not change
// time.Local under other parallel tests.
func TestTimeConformance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, in, want string
	}{
		{"from_string/data", `{"type":"time_from_string","settings":{"format":"2006-01-02T15:04:05.000Z"}}`,
			`2021-12-19T01:31:30.000Z`, `1639877490000000000`},
		{"from_string/data_with_location", `{"type":"time_from_string","settings":{"format":"2006-01-02T15:04:05.000Z","location":"America/New_York"}}`,
			`2021-12-19T01:31:30.000Z`, `1639895490000000000`},
		{"from_string/object", `{"type":"time_from_string","settings":{"format":"2006-01-02T15:04:05.000Z","object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":"2021-12-19T01:31:30.000Z"}`, `{"a":1639877490000000000}`},
		{"from_unix/data", `{"type":"time_from_unix","settings":{}}`, `1639895490`, `1639895490000000000`},
		{"from_unix/object", `{"type":"time_from_unix","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":1639877490}`, `{"a":1639877490000000000}`},
		{"from_unix_milli/data", `{"type":"time_from_unix_milli","settings":{}}`, `1639895490000`, `1639895490000000000`},
		{"from_unix_milli/object", `{"type":"time_from_unix_milli","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":1639877490000}`, `{"a":1639877490000000000}`},
		{"to_string/data", `{"type":"time_to_string","settings":{"format":"2006-01-02T15:04:05.000Z","location":"UTC"}}`,
			`1639877490000000000`, `2021-12-19T01:31:30.000Z`},
		{"to_string/data_with_location", `{"type":"time_to_string","settings":{"format":"2006-01-02T15:04:05.000Z","location":"America/New_York"}}`,
			`1639895490000000000`, `2021-12-19T01:31:30.000Z`},
		{"to_string/object", `{"type":"time_to_string","settings":{"format":"2006-01-02T15:04:05.000Z","location":"UTC","object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":1639877490000000000}`, `{"a":"2021-12-19T01:31:30.000Z"}`},
		{"to_string/micro", `{"type":"time_to_string","settings":{"format":"2006-01-02T15:04:05.000000Z","location":"UTC"}}`,
			`1639877490000000000`, `2021-12-19T01:31:30.000000Z`},
		{"to_unix/data", `{"type":"time_to_unix","settings":{}}`, `1639895490000000000`, `1639895490`},
		{"to_unix/object", `{"type":"time_to_unix","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":1639877490000000000}`, `{"a":1639877490}`},
		{"to_unix_milli/data", `{"type":"time_to_unix_milli","settings":{}}`, `1639895490000000000`, `1639895490000`},
		{"to_unix_milli/object", `{"type":"time_to_unix_milli","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			`{"a":1639877490000000000}`, `{"a":1639877490000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := strRun(t, strCfg(t, tt.config), tt.in, "")
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
		})
	}

	t.Run("example/str_conversion", func(t *testing.T) {
		t.Parallel()
		from, err := NewTimeFromString(TimeFromStringConfig{Format: "2006-01-02T15:04:05.000Z", Location: "UTC",
			Object: ObjectSettings{SourceKey: "time", TargetKey: "time"}})
		require.NoError(t, err)
		to, err := NewTimeToString(TimeToStringConfig{Format: "2006-01-02T15:04:05", Location: "UTC",
			Object: ObjectSettings{SourceKey: "time", TargetKey: "time"}})
		require.NoError(t, err)
		out, err := Chain(from, to).Transform(context.Background(), weir.NewMessage([]byte(`{"time":"2024-01-01T01:02:03.123Z"}`)))
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Equal(t, `{"time":"2024-01-01T01:02:03"}`, string(out[0].Data()))
	})
}

// TestTimeLocal shows that time_to_string without a location writes local
// time, as Substation does.
func TestTimeLocal(t *testing.T) {
	t.Parallel()
	tf, err := NewTimeToString(TimeToStringConfig{Format: time.RFC3339})
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`1639877490000000000`)))
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1639877490, 0).Format(time.RFC3339), string(out[0].Data()))
}

func TestTimeValues(t *testing.T) {
	t.Parallel()
	obj := `"object":{"source_key":"a","target_key":"b"}`
	tests := []struct {
		name, config, in, want string
	}{
		{"to_unix/negative rounds down", `{"type":"time_to_unix","settings":{}}`, `-1`, `-1`},
		{"to_unix/negative exact", `{"type":"time_to_unix","settings":{}}`, `-2000000000`, `-2`},
		{"to_unix_milli/negative", `{"type":"time_to_unix_milli","settings":{}}`, `-1500001`, `-2`},
		{"to_unix/string digits", `{"type":"time_to_unix","settings":{` + obj + `}}`,
			`{"a":"1639877490123456789"}`, `{"a":"1639877490123456789","b":1639877490}`},
		{"to_unix/float", `{"type":"time_to_unix","settings":{` + obj + `}}`,
			`{"a":1.6e18}`, `{"a":1.6e18,"b":1600000000}`},
		{"from_unix/space around data", `{"type":"time_from_unix","settings":{}}`, " 12\n", `0`}, // a coercion: gjson reads only digits
		{"from_unix/missing key", `{"type":"time_from_unix","settings":{` + obj + `}}`, `{"c":1}`, `{"c":1}`},
		{"from_string/missing key", `{"type":"time_from_string","settings":{"format":"2006",` + obj + `}}`, `{"c":1}`, `{"c":1}`},
		{"to_string/missing key", `{"type":"time_to_string","settings":{"format":"2006",` + obj + `}}`, `{"c":1}`, `{"c":1}`},
		{"from_string/zone in layout", `{"type":"time_from_string","settings":{"format":"2006-01-02T15:04:05Z07:00","location":"Asia/Tokyo"}}`,
			`2021-12-19T01:31:30+01:00`, `1639873890000000000`},
		{"from_string/metadata", `{"type":"time_from_string","settings":{"format":"2006-01-02","object":{"source_key":"meta d","target_key":"meta ns"}}}`,
			`{}`, `{}`},
		{"to_string/zero time", `{"type":"time_to_string","settings":{"format":"2006-01-02","location":"UTC"}}`, `0`, `1970-01-01`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := strRun(t, strCfg(t, tt.config), tt.in, `{"d":"2024-02-03"}`)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
			if tt.name == "from_string/metadata" {
				assert.JSONEq(t, `{"d":"2024-02-03","ns":1706918400000000000}`, string(out[0].Metadata()))
			}
		})
	}
}

func TestTimeInvalidData(t *testing.T) {
	t.Parallel()
	obj := `"object":{"source_key":"a","target_key":"a"}`
	tests := []struct {
		name, config, in string
	}{
		{"from_string/no match", `{"type":"time_from_string","settings":{"format":"2006-01-02"}}`, `yesterday`},
		{"from_string/number", `{"type":"time_from_string","settings":{"format":"2006-01-02",` + obj + `}}`, `{"a":12}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tf, err := New(context.Background(), strCfg(t, tt.config))
			require.NoError(t, err)
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(tt.in)))
			assert.Nil(t, out)
			require.ErrorIs(t, err, weir.ErrInvalidData)
			var te *Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, strCfg(t, tt.config).Type, te.Type)
		})
	}
}

// TestTimeCoercions pins what the time_* types that read an integer
// timestamp do with a value that is not one: by default what Substation
// does (gjson's Int: 0 for anything but digits, 1 for true; the time
// package's wrap-around on overflow), counted; in strict mode a
// *weir.CoercionError.
func TestTimeCoercions(t *testing.T) {
	t.Parallel()
	obj := `"object":{"source_key":"a","target_key":"a"}`
	tests := []struct {
		name, config, in, want, field string
	}{
		{"to_string/text", `{"type":"time_to_string","settings":{"format":"2006"}}`, `soon`, `1970`, ""},
		{"to_string/bool", `{"type":"time_to_string","settings":{"format":"2006",` + obj + `}}`, `{"a":true}`, `{"a":"1970"}`, "a"},
		{"to_string/object", `{"type":"time_to_string","settings":{"format":"2006",` + obj + `}}`, `{"a":{}}`, `{"a":"1970"}`, "a"},
		{"to_string/null", `{"type":"time_to_string","settings":{"format":"2006",` + obj + `}}`, `{"a":null}`, `{"a":"1970"}`, "a"},
		{"to_unix/empty", `{"type":"time_to_unix","settings":{}}`, ``, `0`, ""},
		{"to_unix/huge", `{"type":"time_to_unix","settings":{}}`, `18446744073709551616`, `0`, ""},
		{"to_unix/inf", `{"type":"time_to_unix","settings":{}}`, `1e400`, `0`, ""},
		{"to_unix/nan", `{"type":"time_to_unix","settings":{}}`, `NaN`, `0`, ""},
		{"to_unix_milli/ip", `{"type":"time_to_unix_milli","settings":{` + obj + `}}`, `{"a":"10.0.0.1"}`, `{"a":0}`, "a"},
		{"from_unix/overflow", `{"type":"time_from_unix","settings":{}}`, `9223372037`, `-9223372036709551616`, ""},
		{"from_unix/underflow", `{"type":"time_from_unix","settings":{}}`, `-9223372037`, `9223372036709551616`, ""},
		{"from_unix_milli/overflow", `{"type":"time_from_unix_milli","settings":{` + obj + `}}`, `{"a":9223372036855}`, `{"a":-9223372036854551616}`, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := strCfg(t, tt.config)
			tf, err := (&Env{}).New(context.Background(), cfg)
			require.NoError(t, err)
			out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(tt.in)))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
			assert.Equal(t, int64(1), tf.(interface{ Coercions() int64 }).Coercions())

			tf, err = (&Env{Strict: true}).New(context.Background(), cfg)
			require.NoError(t, err)
			out, err = tf.Transform(context.Background(), weir.NewMessage([]byte(tt.in)))
			assert.Nil(t, out)
			require.ErrorIs(t, err, weir.ErrInvalidData)
			var ce *weir.CoercionError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, cfg.Type, ce.Transform)
			assert.Equal(t, tt.field, ce.Field)
			assert.NotEmpty(t, ce.Target)
		})
	}
}

func TestTimeConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, field string
	}{
		{"from_string/no format", `{"type":"time_from_string","settings":{}}`, "format"},
		{"to_string/no format", `{"type":"time_to_string","settings":{"location":"UTC"}}`, "format"},
		{"from_string/bad location", `{"type":"time_from_string","settings":{"format":"2006","location":"Mars/Olympus"}}`, "location"},
		{"to_string/bad location", `{"type":"time_to_string","settings":{"format":"2006","location":"Nowhere"}}`, "location"},
		{"from_unix/target only", `{"type":"time_from_unix","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"to_unix_milli/source only", `{"type":"time_to_unix_milli","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"time_now/unknown", `{"type":"time_now","settings":{"format":"2006"}}`, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), strCfg(t, tt.config))
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, strCfg(t, tt.config).Type, ce.Type)
		})
	}
}

func TestTimeNow(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)
	clock := func() time.Time { return fixed }

	tf, err := NewTimeNow(TimeNowConfig{Object: ObjectSettings{TargetKey: "now"}, Now: clock})
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	assert.Equal(t, `{"a":1,"now":1714979289000000010}`, string(out[0].Data()))

	tf, err = NewTimeNow(TimeNowConfig{Now: clock})
	require.NoError(t, err)
	out, err = tf.Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	assert.Equal(t, `1714979289000000010`, string(out[0].Data()))

	// The default clock is the real one.
	tf, err = NewTimeNow(TimeNowConfig{})
	require.NoError(t, err)
	before := time.Now().UnixNano()
	out, err = tf.Transform(context.Background(), weir.NewMessage(nil))
	require.NoError(t, err)
	ns, err := timeParseInt(string(out[0].Data()))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, ns, before)
	assert.LessOrEqual(t, ns, time.Now().UnixNano())
}

// TestTimeControl shows every time type passes control messages on.
func TestTimeControl(t *testing.T) {
	t.Parallel()
	for _, js := range []string{
		`{"type":"time_from_string","settings":{"format":"2006"}}`,
		`{"type":"time_to_string","settings":{"format":"2006"}}`,
		`{"type":"time_from_unix"}`, `{"type":"time_to_unix"}`,
		`{"type":"time_from_unix_milli"}`, `{"type":"time_to_unix_milli"}`,
		`{"type":"time_now"}`,
	} {
		tf, err := New(context.Background(), strCfg(t, js))
		require.NoError(t, err, js)
		ctrl := weir.NewControl()
		out, err := tf.Transform(context.Background(), ctrl)
		require.NoError(t, err, js)
		assert.Equal(t, []*weir.Message{ctrl}, out, js)
	}
}

// TestTimeConcurrent runs one transformer of each kind from many
// goroutines; run with -race.
func TestTimeConcurrent(t *testing.T) {
	t.Parallel()
	from, err := NewTimeFromString(TimeFromStringConfig{Format: time.RFC3339, Location: "Europe/Paris",
		Object: ObjectSettings{SourceKey: "ts", TargetKey: "ns"}})
	require.NoError(t, err)
	to, err := NewTimeToString(TimeToStringConfig{Format: time.DateOnly, Location: "Europe/Paris",
		Object: ObjectSettings{SourceKey: "ns", TargetKey: "day"}})
	require.NoError(t, err)
	ms, err := NewTimeToUnixMilli(TimeToUnixMilliConfig{Object: ObjectSettings{SourceKey: "ns", TargetKey: "ms"}})
	require.NoError(t, err)
	tf := Chain(from, to, ms)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"ts":"2024-03-31T01:30:00Z"}`)))
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, `{"ts":"2024-03-31T01:30:00Z","ns":1711848600000000000,"day":"2024-03-31","ms":1711848600000}`,
					string(out[0].Data()))
			}
		})
	}
	wg.Wait()
}

var timeBenchEvent = `{"event":{"created":"2024-03-31T01:30:00.123Z","ingested":1711848600123456789},"user":"alice"}`

func timeBench(b *testing.B, tf Transformer, data string) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	ctx := context.Background()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage([]byte(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func timeMust[T any](tf T, err error) T {
	if err != nil {
		panic(err)
	}
	return tf
}

func BenchmarkTimeFromString(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeFromString(TimeFromStringConfig{Format: "2006-01-02T15:04:05.000Z",
			Object: ObjectSettings{SourceKey: "event.created", TargetKey: "event.created"}})), timeBenchEvent)
	})
	b.Run("location", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeFromString(TimeFromStringConfig{Format: "2006-01-02T15:04:05.000Z", Location: "America/New_York",
			Object: ObjectSettings{SourceKey: "event.created", TargetKey: "event.created"}})), timeBenchEvent)
	})
	b.Run("data", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeFromString(TimeFromStringConfig{Format: "2006-01-02T15:04:05.000Z"})), "2024-03-31T01:30:00.123Z")
	})
}

func BenchmarkTimeToString(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeToString(TimeToStringConfig{Format: time.RFC3339Nano, Location: "UTC",
			Object: ObjectSettings{SourceKey: "event.ingested", TargetKey: "event.ingested"}})), timeBenchEvent)
	})
	b.Run("data", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeToString(TimeToStringConfig{Format: time.RFC3339Nano, Location: "UTC"})), "1711848600123456789")
	})
}

func BenchmarkTimeToUnixMilli(b *testing.B) {
	b.Run("object", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeToUnixMilli(TimeToUnixMilliConfig{
			Object: ObjectSettings{SourceKey: "event.ingested", TargetKey: "event.ingested"}})), timeBenchEvent)
	})
	b.Run("data", func(b *testing.B) {
		timeBench(b, timeMust(NewTimeToUnixMilli(TimeToUnixMilliConfig{})), "1711848600123456789")
	})
}

func BenchmarkTimeFromUnix(b *testing.B) {
	timeBench(b, timeMust(NewTimeFromUnix(TimeFromUnixConfig{
		Object: ObjectSettings{SourceKey: "event.ingested", TargetKey: "event.ingested"}})), `{"event":{"ingested":1711848600}}`)
}

func BenchmarkTimeNow(b *testing.B) {
	timeBench(b, timeMust(NewTimeNow(TimeNowConfig{Object: ObjectSettings{TargetKey: "event.now"}})), timeBenchEvent)
}

func BenchmarkTimeToUnix(b *testing.B) {
	timeBench(b, timeMust(NewTimeToUnix(TimeToUnixConfig{
		Object: ObjectSettings{SourceKey: "event.ingested", TargetKey: "event.ingested"}})), timeBenchEvent)
}

func BenchmarkTimeFromUnixMilli(b *testing.B) {
	timeBench(b, timeMust(NewTimeFromUnixMilli(TimeFromUnixMilliConfig{
		Object: ObjectSettings{SourceKey: "event.ingested", TargetKey: "event.ingested"}})), `{"event":{"ingested":1711848600123}}`)
}
