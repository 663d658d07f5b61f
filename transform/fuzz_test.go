package transform_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// Fuzz targets: no input — data or configuration — may make a transform
// panic, hang or return a nil message. `make fuzz FUZZTIME=30s` runs every
// target of the module for that long; the seed corpora are in
// testdata/fuzz.

// fuzzUnsafe lists what a fuzzed configuration must not name: types that
// reach the network or the disk, sleep, or read the environment.
var fuzzUnsafe = []string{"enrich_", "send_", "kv_store", "file", "delay", "secret", "aws", "dns", "http", "lambda"}

func fuzzSafeConfig(b []byte) bool {
	s := strings.ToLower(string(b))
	for _, u := range fuzzUnsafe {
		if strings.Contains(s, u) {
			return false
		}
	}
	return len(b) < 4096
}

// fuzzCheck fails on a result no transform may give.
func fuzzCheck(t *testing.T, out []*weir.Message, err error) {
	t.Helper()
	if err != nil {
		if err.Error() == "" {
			t.Fatal("an error with no text")
		}
		return
	}
	for i, m := range out {
		if m == nil {
			t.Fatalf("result %d is nil", i)
		}
	}
}

// fuzzRun runs tf on data, at the whole data, and then a control message.
func fuzzRun(t *testing.T, tf transform.Transformer, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := tf.Transform(ctx, weir.NewMessage(bytes.Clone(data)).SetMetadata([]byte(`{"m":1}`)))
	fuzzCheck(t, out, err)
	out, err = tf.Transform(ctx, weir.NewControl())
	fuzzCheck(t, out, err)
}

// fuzzTransforms fuzzes the data given to each of configs (JSON), with
// seeds for the data.
func fuzzTransforms(f *testing.F, configs []string, seeds ...[]byte) {
	tfs := make([]transform.Transformer, len(configs))
	for i, c := range configs {
		var cfg weir.Config
		if err := json.Unmarshal([]byte(c), &cfg); err != nil {
			f.Fatalf("%s: %v", c, err)
		}
		tf, err := transform.New(context.Background(), cfg)
		if err != nil {
			f.Fatalf("%s: %v", c, err)
		}
		tfs[i] = tf
	}
	for i := range configs {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fuzzRun(t, tfs[int(which)%len(tfs)], data)
	})
}

func FuzzConfigNew(f *testing.F) {
	f.Add([]byte(`{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}`), []byte(`{"a":1}`))
	f.Add([]byte(`{"type":"meta_switch","settings":{"cases":[{"condition":{"type":"string_contains","settings":{"object":{"source_key":"a"},"value":"x"}},"transforms":[{"type":"object_delete","settings":{"object":{"source_key":"a"}}}]}]}}`), []byte(`{"a":"xy"}`))
	f.Add([]byte(`{"type":"aggregate_to_array","settings":{"batch":{"count":2}}}`), []byte(`{"a":1}`))
	f.Add([]byte(`{"type":"time_from_string","settings":{"format":"2006-01-02","object":{"source_key":"t","target_key":"t"}}}`), []byte(`{"t":"2024-01-02"}`))
	f.Fuzz(func(t *testing.T, config, data []byte) {
		if !fuzzSafeConfig(config) {
			t.Skip()
		}
		var cfg weir.Config
		if json.Unmarshal(config, &cfg) != nil {
			return
		}
		tf, err := transform.New(context.Background(), cfg)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a config error with no text")
			}
			return
		}
		fuzzRun(t, tf, data)
		if c, ok := tf.(io.Closer); ok {
			_ = c.Close()
		}
	})
}

func FuzzPipelineParse(f *testing.F) {
	f.Add([]byte(`{"transforms":[{"type":"object_copy","settings":{"object":{"source_key":"a","target_key":"b"}}}]}`))
	f.Add([]byte(`{"transforms":[{"type":"string_to_upper","settings":{"object":{"source_key":"a","target_key":"a"}}},{"type":"utility_drop"}]}`))
	f.Add([]byte(`{"concurrency":2,"transforms":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !fuzzSafeConfig(b) {
			t.Skip()
		}
		p, err := transform.Parse(context.Background(), nil, b)
		if err != nil {
			return
		}
		defer p.Close()
		fuzzRun(t, p, []byte(`{"a":"b","c":[1,2]}`))
	})
}

func FuzzFormatFromCSV(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"format_from_csv","settings":{"headers":["a","b"],"max_count":1000}}`,
		`{"type":"format_from_csv","settings":{"header_line":true,"separator":";","max_count":1000}}`,
		`{"type":"format_from_csv","settings":{"headers":["a"],"object":{"source_key":"c","target_key":"d"}}}`,
	}, []byte("a,b\n1,2\n"), []byte(`"x""y",z`+"\n"), []byte(`{"c":"1,2"}`))
}

func FuzzFormatFromKV(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"format_from_kv","settings":{}}`,
		`{"type":"format_from_kv","settings":{"separator":",","kv_separator":":"}}`,
	}, []byte(`a=1 b="two words" c=`), []byte(`a:1,b:2`))
}

func FuzzFormatFromZip(f *testing.F) {
	fuzzTransforms(f, []string{`{"type":"format_from_zip","settings":{"max_size":1048576}}`},
		[]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
}

func FuzzFormatFromGzip(f *testing.F) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write([]byte(`{"a":1}`))
	_ = zw.Close()
	fuzzTransforms(f, []string{`{"type":"format_from_gzip","settings":{"max_size":1048576}}`}, z.Bytes())
}

func FuzzFormatFromZstd(f *testing.F) {
	enc, _ := zstd.NewWriter(nil)
	seed := enc.EncodeAll([]byte(`{"a":1}`), nil)
	_ = enc.Close()
	fuzzTransforms(f, []string{`{"type":"format_from_zstd","settings":{"max_size":1048576}}`}, seed)
}

func FuzzFormatFromSnappy(f *testing.F) {
	fuzzTransforms(f, []string{`{"type":"format_from_snappy","settings":{"max_size":1048576}}`},
		[]byte("\xff\x06\x00\x00sNaPpY\x01\x0b\x00\x00\xa4\x9b\x83\x8c{\"a\":1}"), []byte("\x07\x18{\"a\":1}"))
}

func FuzzFormatFromBase64(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"format_from_base64","settings":{}}`,
		`{"type":"format_from_base64","settings":{"object":{"source_key":"a","target_key":"b"}}}`,
	}, []byte(base64.StdEncoding.EncodeToString([]byte(`{"a":1}`))), []byte(`{"a":"eyJhIjoxfQ=="}`), []byte("eyJh\nIjox\r\nfQ"))
}

func FuzzFormatFromPrettyPrint(f *testing.F) {
	fuzzTransforms(f, []string{`{"type":"format_from_pretty_print","settings":{"max_size":65536}}`},
		[]byte("{\n  \"a\": 1\n}"), []byte("{\n"), []byte("}"), []byte(`"{"`))
}

func FuzzTime(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"time_from_string","settings":{"format":"2006-01-02T15:04:05Z07:00","object":{"source_key":"t","target_key":"t"}}}`,
		`{"type":"time_from_string","settings":{"format":"Jan _2 15:04:05","location":"America/New_York","object":{"source_key":"t","target_key":"t"}}}`,
		`{"type":"time_to_string","settings":{"format":"2006-01-02","object":{"source_key":"t","target_key":"t"}}}`,
		`{"type":"time_from_unix","settings":{"object":{"source_key":"t","target_key":"t"}}}`,
		`{"type":"time_from_unix_milli","settings":{"object":{"source_key":"t","target_key":"t"}}}`,
		`{"type":"time_to_unix","settings":{"object":{"source_key":"t","target_key":"t"}}}`,
		`{"type":"time_to_unix_milli","settings":{"object":{"source_key":"t","target_key":"t"}}}`,
	}, []byte(`{"t":"2024-03-09T12:00:00Z"}`), []byte(`{"t":1709985600}`), []byte(`{"t":1.7e300}`), []byte(`{"t":"Mar  9 12:00:00"}`))
}

func FuzzNumber(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"number_math_addition","settings":{"object":{"source_key":"n","target_key":"r"}}}`,
		`{"type":"number_math_subtraction","settings":{"object":{"source_key":"n","target_key":"r"}}}`,
		`{"type":"number_math_multiplication","settings":{"object":{"source_key":"n","target_key":"r"}}}`,
		`{"type":"number_math_division","settings":{"object":{"source_key":"n","target_key":"r"}}}`,
		`{"type":"number_maximum","settings":{"value":3,"object":{"source_key":"n","target_key":"r"}}}`,
		`{"type":"number_minimum","settings":{"value":3,"object":{"source_key":"n","target_key":"r"}}}`,
	}, []byte(`{"n":[1,2,3]}`), []byte(`{"n":[1e308,1e308]}`), []byte(`{"n":[1,0]}`), []byte(`{"n":"12"}`), []byte(`{"n":[30400402455622563,1]}`))
}

func FuzzNetwork(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"network_domain_registered_domain","settings":{"object":{"source_key":"d","target_key":"r"}}}`,
		`{"type":"network_domain_subdomain","settings":{"object":{"source_key":"d","target_key":"r"}}}`,
		`{"type":"network_domain_top_level_domain","settings":{"object":{"source_key":"d","target_key":"r"}}}`,
		`{"type":"network_domain_registered_domain","settings":{}}`,
	}, []byte(`{"d":"www.example.co.uk"}`), []byte(`{"d":"..a..b."}`), []byte(`{"d":"xn--bcher-kva.example"}`), []byte(`example.com`))
}

func FuzzArray(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"array_flatten","settings":{"deep":true}}`,
		`{"type":"array_flatten","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		`{"type":"array_dedupe","settings":{}}`,
		`{"type":"array_join","settings":{"separator":",","object":{"source_key":"a","target_key":"a"}}}`,
		`{"type":"array_zip","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
		`{"type":"aggregate_from_array","settings":{"max_count":1000}}`,
		`{"type":"aggregate_from_array","settings":{"object":{"source_key":"a","target_key":"e"},"max_count":1000}}`,
	}, []byte(`[1,[2,[3,{"a":[4]}]],"5",1.0,1]`), []byte(`{"a":[[1,2],[3,4]]}`), []byte(`{"a":["x","y"]}`), []byte(`[{"b":1,"a":2},{"a":2,"b":1}]`))
}

func FuzzStringRegex(f *testing.F) {
	fuzzTransforms(f, []string{
		`{"type":"string_capture","settings":{"pattern":"^(\\w+)@(\\w+)","object":{"source_key":"s","target_key":"r"}}}`,
		`{"type":"string_capture","settings":{"pattern":"(?P<user>\\w+)@(?P<host>\\w+)","count":10,"object":{"source_key":"s","target_key":"r"}}}`,
		`{"type":"string_replace","settings":{"pattern":"a+","replacement":"$0-","object":{"source_key":"s","target_key":"r"}}}`,
		`{"type":"string_split","settings":{"separator":",","object":{"source_key":"s","target_key":"r"}}}`,
		`{"type":"aggregate_from_string","settings":{"separator":"\n","max_count":1000}}`,
	}, []byte(`{"s":"alice@example bob@host"}`), []byte(`{"s":"aaa,b,,c"}`), []byte("a\nb\n"))
}

// FuzzStringRegexPattern fuzzes the pattern of string_capture and
// string_replace as well as the data.
func FuzzStringRegexPattern(f *testing.F) {
	f.Add(`(\w+)@(\w+)`, `{"s":"a@b"}`)
	f.Add(`(?i)x*`, `{"s":"XxX"}`)
	f.Fuzz(func(t *testing.T, pattern, data string) {
		for _, typ := range []string{"string_capture", "string_replace"} {
			tf, err := transform.New(context.Background(), weir.Config{Type: typ, Settings: map[string]any{
				"pattern": pattern, "replacement": "<$1>", "count": 3,
				"object": map[string]any{"source_key": "s", "target_key": "r"},
			}})
			if err != nil {
				continue
			}
			fuzzRun(t, tf, []byte(data))
		}
	})
}
