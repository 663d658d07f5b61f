package transform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// formatRun builds cfg with New, sends each input (then a control message
// when flush is set) and returns the data of the outputs that are not
// control messages.
func formatRun(t *testing.T, cfg weir.Config, flush bool, inputs ...[]byte) ([]string, error) {
	t.Helper()
	tf, err := New(context.Background(), cfg)
	require.NoError(t, err)
	var out []string
	msgs := make([]*weir.Message, 0, len(inputs)+1)
	for _, in := range inputs {
		msgs = append(msgs, weir.NewMessage(in))
	}
	if flush {
		msgs = append(msgs, weir.NewControl())
	}
	for _, m := range msgs {
		res, err := tf.Transform(context.Background(), m)
		if err != nil {
			assert.Nil(t, res, "messages returned with an error")
			return out, err
		}
		for _, r := range res {
			if !r.IsControl() {
				out = append(out, string(r.Data()))
			}
		}
	}
	return out, nil
}

// formatB64 decodes a base64 test input.
func formatB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// The inputs of the Substation vectors that are binary.
const (
	formatVecGzipFoo   = "H4sIAAAAAAAA/0rLzwcEAAD//yFlc4wDAAAA"
	formatVecGzipHello = "H4sIAAAAAAAA/6pWykjNyclXslJKz89PSapMVaoFBAAA///WtsSWEwAAAA=="
	formatVecZip       = "UEsDBAoAAAAAADk/+1gAAAAAAAAAAAAAAAAEABwAdG1wL1VUCQAD7gqlZu8KpWZ1eAsAAQT2AQAABBQAAABQSwMECgAAAAAANz/7WMiv5KYDAAAAAwAAAAsAHAB0bXAvYmF6LnR4dFVUCQAD6QqlZuoKpWZ1eAsAAQT2AQAABBQAAABxdXhQSwMECgAAAAAALD/7WKqM/3YDAAAAAwAAAAsAHAB0bXAvZm9vLnR4dFVUCQAD1AqlZtYKpWZ1eAsAAQT2AQAABBQAAABiYXJQSwECHgMKAAAAAAA5P/tYAAAAAAAAAAAAAAAABAAYAAAAAAAAABAA7UEAAAAAdG1wL1VUBQAD7gqlZnV4CwABBPYBAAAEFAAAAFBLAQIeAwoAAAAAADc/+1jIr+SmAwAAAAMAAAALABgAAAAAAAEAAACkgT4AAAB0bXAvYmF6LnR4dFVUBQAD6QqlZnV4CwABBPYBAAAEFAAAAFBLAQIeAwoAAAAAACw/+1iqjP92AwAAAAMAAAALABgAAAAAAAEAAACkgYYAAAB0bXAvZm9vLnR4dFVUBQAD1AqlZnV4CwABBPYBAAAEFAAAAFBLBQYAAAAAAwADAOwAAADOAAAAAAA="
)

// TestFormatConformance holds the Substation v2 conformance vectors of the
// format_* types (shared/conformance/substation-v2/transform/format_*.json);
// outputs must match byte for byte, in order unless the vector says
// "unordered" (our order is the archive's or file's order).
func TestFormatConformance(t *testing.T) {
	t.Parallel()
	s := func(v ...string) [][]byte {
		out := make([][]byte, len(v))
		for i, x := range v {
			out[i] = []byte(x)
		}
		return out
	}
	tests := []struct {
		name, config string
		in           [][]byte
		want         []string
	}{
		{"from_base64/data", `{"type":"format_from_base64","settings":{}}`, s(`Yg==`), []string{`b`}},
		{"from_base64/object", `{"type":"format_from_base64","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			s(`{"a":"Yg=="}`), []string{`{"a":"b"}`}},
		{"from_base64/json", `{"type":"format_from_base64","settings":{}}`, s(`eyJoZWxsbyI6IndvcmxkIn0=`), []string{`{"hello":"world"}`}},
		{"to_base64/data", `{"type":"format_to_base64","settings":{}}`, s(`b`), []string{`Yg==`}},
		{"to_base64/object", `{"type":"format_to_base64","settings":{"object":{"source_key":"a","target_key":"a"}}}`,
			s(`{"a":"b"}`), []string{`{"a":"Yg=="}`}},
		{"from_gzip/data", `{"type":"format_from_gzip","settings":{}}`, [][]byte{formatB64(t, formatVecGzipFoo)}, []string{`foo`}},
		{"from_gzip/json", `{"type":"format_from_gzip","settings":{}}`, [][]byte{formatB64(t, formatVecGzipHello)},
			[]string{`{"hello":"goodbye"}`}},
		{"from_zip/data", `{"type":"format_from_zip","settings":{}}`, [][]byte{formatB64(t, formatVecZip)}, []string{`qux`, `bar`}},
		{"from_pretty_print/from", `{"type":"format_from_pretty_print","settings":{}}`, s("{\n\t\t\t\t\"foo\":\"bar\"\n\t\t\t\t}"),
			[]string{`{"foo":"bar"}`}},
		{"from_pretty_print/from#01", `{"type":"format_from_pretty_print","settings":{}}`,
			s(`{`, `"foo":"bar",`, `"baz": {`, "\t\"qux\": \"corge\"", `}`, `}`),
			[]string{`{"foo":"bar","baz":{"qux":"corge"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := formatRun(t, strCfg(t, tt.config), true, tt.in...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}

	t.Run("to_gzip/data", func(t *testing.T) {
		t.Parallel()
		out, err := formatRun(t, strCfg(t, `{"type":"format_to_gzip","settings":{}}`), true, []byte(`foo`))
		require.NoError(t, err)
		require.Len(t, out, 1)
		zr, err := gzip.NewReader(strings.NewReader(out[0]))
		require.NoError(t, err)
		d, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Equal(t, `foo`, string(d))
	})
}

func TestFormatBase64(t *testing.T) {
	t.Parallel()
	obj := `"object":{"source_key":"a","target_key":"b"}`
	tests := []struct {
		name, config, in, want string
	}{
		{"from/line breaks", `{"type":"format_from_base64"}`, "eyJh\r\nIjox\nfQ==", `{"a":1}`},
		{"from/empty", `{"type":"format_from_base64"}`, ``, ``},
		{"from/object json", `{"type":"format_from_base64","settings":{` + obj + `}}`,
			`{"a":"eyJjIjpbMSwyXX0="}`, `{"a":"eyJjIjpbMSwyXX0=","b":{"c":[1,2]}}`},
		{"from/missing", `{"type":"format_from_base64","settings":{` + obj + `}}`, `{"c":1}`, `{"c":1}`},
		{"to/number value", `{"type":"format_to_base64","settings":{` + obj + `}}`, `{"a":12}`, `{"a":12,"b":"MTI="}`},
		{"to/object value", `{"type":"format_to_base64","settings":{` + obj + `}}`, `{"a":{"x":1}}`, `{"a":{"x":1},"b":"eyJ4IjoxfQ=="}`},
		{"to/binary", `{"type":"format_to_base64"}`, "\xff\x00", `/wA=`},
		{"to/missing", `{"type":"format_to_base64","settings":{` + obj + `}}`, `{"c":1}`, `{"c":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := formatRun(t, strCfg(t, tt.config), false, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, []string{tt.want}, out)
		})
	}

	for name, tt := range map[string]struct{ config, in string }{
		"not base64":       {`{"type":"format_from_base64"}`, `not base64!`},
		"binary at a key":  {`{"type":"format_from_base64","settings":{` + obj + `}}`, `{"a":"/wA="}`},
		"bad value at key": {`{"type":"format_from_base64","settings":{` + obj + `}}`, `{"a":"%%%"}`},
		// Substation reads standard, padded base64 only.
		"unpadded":          {`{"type":"format_from_base64"}`, `Yg`},
		"url alphabet":      {`{"type":"format_from_base64"}`, `-_8=`},
		"unpadded at a key": {`{"type":"format_from_base64","settings":{` + obj + `}}`, `{"a":"NEW"}`},
	} {
		t.Run("invalid/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := formatRun(t, strCfg(t, tt.config), false, []byte(tt.in))
			require.ErrorIs(t, err, weir.ErrInvalidData)
			var te *Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "format_from_base64", te.Type)
		})
	}
}

func TestFormatPrettyPrint(t *testing.T) {
	t.Parallel()
	s := func(v ...string) [][]byte {
		out := make([][]byte, len(v))
		for i, x := range v {
			out[i] = []byte(x)
		}
		return out
	}
	cfg := `{"type":"format_from_pretty_print"}`
	tests := []struct {
		name string
		in   [][]byte
		want []string
	}{
		{"brackets in strings", s(`{`, `  "a": "{[}",`, `  "b": "\"}\\"`, `}`), []string{`{"a":"{[}","b":"\"}\\"}`}},
		{"several in one message", s("{\"a\":1}\n{\"b\":2}\n"), []string{`{"a":1}`, `{"b":2}`}},
		{"close and open", s(`{"a":`, `1}{"b":`, `2}`), []string{`{"a":1}`, `{"b":2}`}},
		{"array", s(`[`, `  {"a": 1},`, `  2`, `]`), []string{`[{"a":1},2]`}},
		{"white space between", s(" \n", `{`, `}`, "\r\n\t"), []string{`{}`}},
		{"partial at the end is held", s(`{"a":1}`, `{"b":`), []string{`{"a":1}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := formatRun(t, strCfg(t, cfg), true, tt.in...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}

	t.Run("metadata of the closing message", func(t *testing.T) {
		t.Parallel()
		tf, err := NewFormatFromPrettyPrint(FormatFromPrettyPrintConfig{})
		require.NoError(t, err)
		ctx := context.Background()
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"a":`)).SetMetadata([]byte(`{"n":1}`)))
		require.NoError(t, err)
		assert.Empty(t, out)
		out, err = tf.Transform(ctx, weir.NewMessage([]byte(`1}{"b":2}`)).SetMetadata([]byte(`{"n":2}`)))
		require.NoError(t, err)
		require.Len(t, out, 2)
		for i, want := range []string{`{"a":1}`, `{"b":2}`} {
			assert.Equal(t, want, string(out[i].Data()))
			assert.Equal(t, `{"n":2}`, string(out[i].Metadata()))
		}
	})

	t.Run("errors reset the buffer", func(t *testing.T) {
		t.Parallel()
		tf, err := NewFormatFromPrettyPrint(FormatFromPrettyPrintConfig{MaxSize: 16})
		require.NoError(t, err)
		ctx := context.Background()
		send := func(s string) ([]*weir.Message, error) { return tf.Transform(ctx, weir.NewMessage([]byte(s))) }

		_, err = send(`oops`)
		require.ErrorIs(t, err, weir.ErrInvalidData)

		_, err = send(`{"a":1,}`)
		require.ErrorIs(t, err, weir.ErrInvalidData)
		assert.NotErrorIs(t, err, weir.ErrTooLarge)

		_, err = send(`{"a":"` + strings.Repeat("x", 20))
		require.ErrorIs(t, err, weir.ErrTooLarge)
		require.ErrorIs(t, err, weir.ErrInvalidData)

		_, err = send(`{"a":[` + strings.Repeat("1,", 10))
		require.ErrorIs(t, err, weir.ErrTooLarge)

		out, err := send(`{"ok":true}`)
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Equal(t, `{"ok":true}`, string(out[0].Data()))
	})

	t.Run("control does not release a partial value", func(t *testing.T) {
		t.Parallel()
		out, err := formatRun(t, strCfg(t, cfg), true, []byte(`{"a":`))
		require.NoError(t, err)
		assert.Empty(t, out)
	})

	t.Run("config", func(t *testing.T) {
		t.Parallel()
		_, err := NewFormatFromPrettyPrint(FormatFromPrettyPrintConfig{MaxSize: -1})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "max_size", ce.Field)
	})
}

func TestFormatCompressRoundTrip(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte(`{"event":"login","user":"alice","ok":true}`+"\n"), 50_000) // 2 MB
	inputs := map[string][]byte{"empty": {}, "small": []byte(`{"a":1}`), "binary": {0, 0xff, 1, 0xfe}, "big": big}
	for _, codec := range []string{"gzip", "zstd", "snappy"} {
		for name, in := range inputs {
			t.Run(codec+"/"+name, func(t *testing.T) {
				t.Parallel()
				enc, err := New(context.Background(), strCfg(t, `{"type":"format_to_`+codec+`"}`))
				require.NoError(t, err)
				dec, err := New(context.Background(), strCfg(t, `{"type":"format_from_`+codec+`"}`))
				require.NoError(t, err)
				msg := weir.NewMessage(bytes.Clone(in)).SetMetadata([]byte(`{"m":1}`))
				out, err := Chain(enc, dec).Transform(context.Background(), msg)
				require.NoError(t, err)
				require.Len(t, out, 1)
				assert.True(t, bytes.Equal(in, out[0].Data()), "round trip changed the data")
				assert.Equal(t, `{"m":1}`, string(out[0].Metadata()))
			})
		}
	}
}

func TestFormatDecompressInvalid(t *testing.T) {
	t.Parallel()
	gz := formatB64(t, formatVecGzipHello)
	inputs := map[string][]byte{
		"empty": {}, "text": []byte(`{"a":1}`), "truncated gzip": gz[:len(gz)-6], "gzip garbage after": append(bytes.Clone(gz), "junk!"...),
		"corrupt gzip":              append(append(bytes.Clone(gz[:12]), 0xff, 0xff, 0xff), gz[15:]...),
		"snappy stream header only": []byte(formatSnappyMagic + "\x01\x05\x00\x00abcde"),
	}
	for _, typ := range []string{"format_from_gzip", "format_from_zstd", "format_from_snappy", "format_from_zip"} {
		for name, in := range inputs {
			t.Run(typ+"/"+name, func(t *testing.T) {
				t.Parallel()
				tf, err := New(context.Background(), weir.Config{Type: typ})
				require.NoError(t, err)
				out, err := tf.Transform(context.Background(), weir.NewMessage(bytes.Clone(in)))
				if typ == "format_from_zstd" && len(in) == 0 {
					// Nothing to decode: no frames, no data.
					require.NoError(t, err)
					assert.Empty(t, out[0].Data())
					return
				}
				assert.Nil(t, out)
				require.ErrorIs(t, err, weir.ErrInvalidData)
				assert.NotErrorIs(t, err, weir.ErrTooLarge)
				var te *Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, typ, te.Type)
			})
		}
	}
}

// TestFormatMaxSizeBoundary shows max_size is inclusive: data of exactly
// max_size bytes decodes, one more byte fails.
func TestFormatMaxSizeBoundary(t *testing.T) {
	t.Parallel()
	const limit = 1000
	for _, codec := range []string{"gzip", "zstd", "snappy"} {
		for _, n := range []int{limit, limit + 1} {
			t.Run(fmt.Sprintf("%s/%d", codec, n), func(t *testing.T) {
				t.Parallel()
				enc, err := New(context.Background(), strCfg(t, `{"type":"format_to_`+codec+`"}`))
				require.NoError(t, err)
				dec, err := New(context.Background(), strCfg(t, fmt.Sprintf(`{"type":"format_from_%s","settings":{"max_size":%d}}`, codec, limit)))
				require.NoError(t, err)
				out, err := Chain(enc, dec).Transform(context.Background(), weir.NewMessage(bytes.Repeat([]byte("a"), n)))
				if n <= limit {
					require.NoError(t, err)
					assert.Len(t, out[0].Data(), n)
					return
				}
				require.ErrorIs(t, err, weir.ErrTooLarge)
				require.ErrorIs(t, err, weir.ErrInvalidData)
			})
		}
	}

	t.Run("negative", func(t *testing.T) {
		t.Parallel()
		for _, typ := range []string{"format_from_gzip", "format_from_zstd", "format_from_snappy", "format_from_zip"} {
			_, err := New(context.Background(), strCfg(t, `{"type":"`+typ+`","settings":{"max_size":-5}}`))
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce, typ)
			assert.Equal(t, "max_size", ce.Field, typ)
		}
	})
}

// TestFormatControl shows every format type passes control messages on
// (format_from_pretty_print without releasing anything).
func TestFormatControl(t *testing.T) {
	t.Parallel()
	for _, typ := range Builtins().Types() {
		if !strings.HasPrefix(typ, "format_") {
			continue
		}
		cfg := weir.Config{Type: typ}
		if typ == "format_from_csv" {
			cfg.Settings = map[string]any{"header_line": true}
		}
		tf, err := New(context.Background(), cfg)
		require.NoError(t, err, typ)
		ctrl := weir.NewControl()
		out, err := tf.Transform(context.Background(), ctrl)
		require.NoError(t, err, typ)
		assert.Equal(t, []*weir.Message{ctrl}, out, typ)
	}
}

// TestFormatConcurrent shares one transformer of each pooled codec between
// goroutines; run with -race.
func TestFormatConcurrent(t *testing.T) {
	t.Parallel()
	for _, codec := range []string{"gzip", "zstd", "snappy"} {
		t.Run(codec, func(t *testing.T) {
			t.Parallel()
			enc, err := New(context.Background(), strCfg(t, `{"type":"format_to_`+codec+`"}`))
			require.NoError(t, err)
			dec, err := New(context.Background(), strCfg(t, `{"type":"format_from_`+codec+`"}`))
			require.NoError(t, err)
			tf := Chain(enc, dec)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 50 {
						want := fmt.Sprintf(`{"g":%d,"i":%d,"pad":%q}`, g, i, strings.Repeat("x", i*100))
						out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(want)))
						if !assert.NoError(t, err) {
							return
						}
						assert.Equal(t, want, string(out[0].Data()))
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestFormatCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, in string
		want             []string
	}{
		{"headers", `{"type":"format_from_csv","settings":{"headers":["ts","user","action"]}}`,
			"2024-01-01,alice,login\n2024-01-02,bob,\"log,out\"\n",
			[]string{`{"ts":"2024-01-01","user":"alice","action":"login"}`, `{"ts":"2024-01-02","user":"bob","action":"log,out"}`}},
		{"header line", `{"type":"format_from_csv","settings":{"header_line":true}}`,
			"user,n\r\nalice,1\r\n\r\nbob,2", []string{`{"user":"alice","n":"1"}`, `{"user":"bob","n":"2"}`}},
		{"tab separated", `{"type":"format_from_csv","settings":{"headers":["a","b"],"separator":"\t"}}`,
			"x y\t\"q\"\"uote\"", []string{`{"a":"x y","b":"q\"uote"}`}},
		{"fewer fields", `{"type":"format_from_csv","settings":{"headers":["a","b","c"]}}`, "1,2", []string{`{"a":"1","b":"2"}`}},
		{"quoted line break", `{"type":"format_from_csv","settings":{"headers":["a","b"]}}`, "1,\"two\nlines\"",
			[]string{`{"a":"1","b":"two\nlines"}`}},
		{"lazy quotes", `{"type":"format_from_csv","settings":{"headers":["a","b"]}}`, `it's "fine",2`,
			[]string{`{"a":"it's \"fine\"","b":"2"}`}},
		{"header line only", `{"type":"format_from_csv","settings":{"header_line":true}}`, "a,b\n", nil},
		{"empty", `{"type":"format_from_csv","settings":{"headers":["a"]}}`, "", nil},
		{"object", `{"type":"format_from_csv","settings":{"headers":["src","dst"],"object":{"source_key":"m","target_key":"m"}}}`,
			`{"m":"10.0.0.1,10.0.0.2"}`, []string{`{"m":{"src":"10.0.0.1","dst":"10.0.0.2"}}`}},
		{"object header line", `{"type":"format_from_csv","settings":{"header_line":true,"object":{"source_key":"m","target_key":"o"}}}`,
			`{"m":"a;b\n1;2"}`, []string{`{"m":"a;b\n1;2","o":{"a;b":"1;2"}}`}},
		{"object no record", `{"type":"format_from_csv","settings":{"headers":["a"],"object":{"source_key":"m","target_key":"o"}}}`,
			`{"m":""}`, []string{`{"m":""}`}},
		{"object missing", `{"type":"format_from_csv","settings":{"headers":["a"],"object":{"source_key":"m","target_key":"o"}}}`,
			`{"x":1}`, []string{`{"x":1}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := formatRun(t, strCfg(t, tt.config), false, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
			for _, o := range out {
				assert.True(t, json.Valid([]byte(o)), o)
			}
		})
	}

	t.Run("metadata on every record", func(t *testing.T) {
		t.Parallel()
		tf, err := NewFormatFromCSV(FormatFromCSVConfig{Headers: []string{"a"}})
		require.NoError(t, err)
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte("1\n2\n3")).SetMetadata([]byte(`{"f":"x.csv"}`)))
		require.NoError(t, err)
		require.Len(t, out, 3)
		for _, m := range out {
			assert.Equal(t, `{"f":"x.csv"}`, string(m.Metadata()))
		}
	})

	for name, tt := range map[string]struct{ config, in string }{
		"more fields":       {`{"type":"format_from_csv","settings":{"headers":["a"]}}`, "1,2"},
		"duplicate header":  {`{"type":"format_from_csv","settings":{"header_line":true}}`, "a,a\n1,2"},
		"several at a key":  {`{"type":"format_from_csv","settings":{"headers":["a"],"object":{"source_key":"m","target_key":"m"}}}`, `{"m":"1\n2"}`},
		"bad record at key": {`{"type":"format_from_csv","settings":{"headers":["a"],"object":{"source_key":"m","target_key":"m"}}}`, `{"m":"1,2"}`},
	} {
		t.Run("invalid/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := formatRun(t, strCfg(t, tt.config), false, []byte(tt.in))
			require.ErrorIs(t, err, weir.ErrInvalidData)
			var te *Error
			require.ErrorAs(t, err, &te)
		})
	}

	for name, tt := range map[string]struct{ config, field string }{
		"no headers":       {`{"type":"format_from_csv"}`, "headers"},
		"both":             {`{"type":"format_from_csv","settings":{"headers":["a"],"header_line":true}}`, "header_line"},
		"duplicate header": {`{"type":"format_from_csv","settings":{"headers":["a","a"]}}`, "headers"},
		"long separator":   {`{"type":"format_from_csv","settings":{"headers":["a"],"separator":"||"}}`, "separator"},
		"quote separator":  {`{"type":"format_from_csv","settings":{"headers":["a"],"separator":"\""}}`, "separator"},
		"target only":      {`{"type":"format_from_csv","settings":{"headers":["a"],"object":{"target_key":"a"}}}`, "object.source_key"},
	} {
		t.Run("config/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), strCfg(t, tt.config))
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

func TestFormatKV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, settings, in, want string
	}{
		{"default", `{}`, `action=allow src=10.0.0.1  dst=10.0.0.2`, `{"action":"allow","src":"10.0.0.1","dst":"10.0.0.2"}`},
		{"double quotes", `{}`, `msg="user logged in" n=1`, `{"msg":"user logged in","n":"1"}`},
		{"single quotes", `{}`, `msg='a b' x=y`, `{"msg":"a b","x":"y"}`},
		{"escaped quote", `{}`, `msg="say \"hi\"" n=1`, `{"msg":"say \"hi\"","n":"1"}`},
		{"windows path", `{}`, `path="C:\Windows\temp" n=1`, `{"path":"C:\\Windows\\temp","n":"1"}`},
		{"apostrophe inside", `{}`, `user=o'brien n=1`, `{"user":"o'brien","n":"1"}`},
		{"quoted key", `{}`, `"my key"=v`, `{"my key":"v"}`},
		{"value with kv separator", `{}`, `url=/a?b=c&d=e n=1`, `{"url":"/a?b=c&d=e","n":"1"}`},
		{"bare key", `{}`, `flag a=1`, `{"flag":"","a":"1"}`},
		{"empty value", `{}`, `a= b=1`, `{"a":"","b":"1"}`},
		{"empty quoted", `{}`, `a="" b=1`, `{"a":"","b":"1"}`},
		{"repeated key", `{}`, `a=1 b=2 a=3`, `{"a":"3","b":"2"}`},
		{"empty", `{}`, ``, `{}`},
		{"unicode", `{}`, `user=Zoë msg="naïve"`, `{"user":"Zoë","msg":"naïve"}`},
		{"comma separated", `{"separator":","}`, `a=1, b = 2 ,c="x,y"`, `{"a":"1","b":"2","c":"x,y"}`},
		{"custom separators", `{"separator":"|","kv_separator":":"}`, `host:web-1|port:443|path:/x:y`, `{"host":"web-1","port":"443","path":"/x:y"}`},
		{"multi-byte separators", `{"separator":"; ","kv_separator":" => "}`, `a => 1; b => two words`, `{"a":"1","b":"two words"}`},
		{"trailing quoted text", `{}`, `a="x"y b=1`, `{"a":"xy","b":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := formatRun(t, weir.Config{Type: "format_from_kv", Settings: formatSettings(t, tt.settings)}, false, []byte(tt.in))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, out[0])
			assert.True(t, json.Valid([]byte(out[0])))
		})
	}

	t.Run("many pairs", func(t *testing.T) {
		t.Parallel()
		var in strings.Builder
		for i := range 100 {
			fmt.Fprintf(&in, "k%d=%d ", i%40, i)
		}
		out, err := formatRun(t, strCfg(t, `{"type":"format_from_kv"}`), false, []byte(in.String()))
		require.NoError(t, err)
		var m map[string]string
		require.NoError(t, json.Unmarshal([]byte(out[0]), &m))
		assert.Len(t, m, 40)
		assert.Equal(t, "99", m["k19"])
		assert.True(t, strings.HasPrefix(out[0], `{"k0":"80","k1":"81",`), out[0])
	})

	t.Run("object", func(t *testing.T) {
		t.Parallel()
		out, err := formatRun(t, strCfg(t, `{"type":"format_from_kv","settings":{"object":{"source_key":"msg","target_key":"kv"}}}`),
			false, []byte(`{"msg":"a=1 b=\"x y\""}`), []byte(`{"other":1}`))
		require.NoError(t, err)
		assert.Equal(t, []string{`{"msg":"a=1 b=\"x y\"","kv":{"a":"1","b":"x y"}}`, `{"other":1}`}, out)
	})

	for name, in := range map[string]string{"unterminated": `a="open b=1`, "unterminated escaped": `a="x\"`} {
		t.Run("invalid/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := formatRun(t, strCfg(t, `{"type":"format_from_kv"}`), false, []byte(in))
			require.ErrorIs(t, err, weir.ErrInvalidData)
		})
	}

	for name, tt := range map[string]struct{ settings, field string }{
		"same separators":  {`{"separator":"=","kv_separator":"="}`, "kv_separator"},
		"overlap":          {`{"separator":" ","kv_separator":" = "}`, "kv_separator"},
		"quote separator":  {`{"separator":"\""}`, "separator"},
		"quote kv":         {`{"kv_separator":"'"}`, "kv_separator"},
		"source_key alone": {`{"object":{"source_key":"a"}}`, "object.target_key"},
	} {
		t.Run("config/"+name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), weir.Config{Type: "format_from_kv", Settings: formatSettings(t, tt.settings)})
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

// formatSettings decodes a settings object.
func formatSettings(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &m))
	return m
}

func BenchmarkFormatFromBase64(b *testing.B) {
	enc := []byte(base64.StdEncoding.EncodeToString(formatBenchPayload))
	b.Run("data", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromBase64(FormatFromBase64Config{})), enc)
	})
	b.Run("object", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromBase64(FormatFromBase64Config{Object: ObjectSettings{SourceKey: "b64", TargetKey: "text"}})),
			[]byte(`{"b64":"eyJ1c2VyIjoiYWxpY2UiLCJhY3Rpb24iOiJsb2dpbiJ9"}`))
	})
}

func BenchmarkFormatToBase64(b *testing.B) {
	formatBench(b, formatMust(NewFormatToBase64(FormatToBase64Config{})), formatBenchPayload)
}

func BenchmarkFormatFromPrettyPrint(b *testing.B) {
	pretty := []byte("{\n  \"user\": \"alice\",\n  \"src\": {\n    \"ip\": \"10.0.0.1\",\n    \"port\": 443\n  },\n  \"tags\": [\"a\", \"{b}\"]\n}")
	b.Run("one message", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromPrettyPrint(FormatFromPrettyPrintConfig{})), pretty)
	})
	b.Run("line per message", func(b *testing.B) {
		tf := formatMust(NewFormatFromPrettyPrint(FormatFromPrettyPrintConfig{}))
		lines := bytes.Split(pretty, []byte("\n"))
		b.ReportAllocs()
		b.SetBytes(int64(len(pretty)))
		ctx := context.Background()
		for b.Loop() {
			for _, l := range lines {
				if _, err := tf.Transform(ctx, weir.NewMessage(l)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkFormatFromCSV(b *testing.B) {
	var file bytes.Buffer
	file.WriteString("ts,user,src,action,ok\n")
	for i := range 50 {
		fmt.Fprintf(&file, "2024-03-31T01:30:%02dZ,user%d,10.0.0.%d,\"log,in\",true\n", i, i, i)
	}
	b.Run("file", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromCSV(FormatFromCSVConfig{HeaderLine: true})), file.Bytes())
	})
	b.Run("line", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromCSV(FormatFromCSVConfig{Headers: []string{"ts", "user", "src", "action", "ok"}})),
			[]byte(`2024-03-31T01:30:00Z,alice,10.0.0.1,"log,in",true`))
	})
}

func BenchmarkFormatFromKV(b *testing.B) {
	line := []byte(`date=2024-03-31 time=01:30:00 devname="fw-1" type="traffic" subtype="forward" srcip=10.0.0.1 srcport=51234 dstip=93.184.216.34 dstport=443 action="accept" msg="allowed by policy 7"`)
	b.Run("data", func(b *testing.B) {
		formatBench(b, formatMust(NewFormatFromKV(FormatFromKVConfig{})), line)
	})
	b.Run("object", func(b *testing.B) {
		msg, err := json.Marshal(map[string]string{"message": string(line)})
		require.NoError(b, err)
		formatBench(b, formatMust(NewFormatFromKV(FormatFromKVConfig{Object: ObjectSettings{SourceKey: "message", TargetKey: "fw"}})), msg)
	})
}
