package weir

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"
)

// validJSONCases are inputs on the edges of the grammar; validJSON must
// answer as gjson.ValidBytes does for each, and for each prefix of each.
var validJSONCases = []string{
	``, ` `, `{}`, `[]`, ` {} `, "\t[\r\n]\n", `{`, `}`, `[`, `]`, `{]`, `[}`, `[[]]`, `[[]`, `{"a":{}}`, `{"a":[]}`,
	`{"a":1}`, `{"a":1,}`, `{"a" : 1 , "b" : [ 1 , 2 ] }`, `{"a":1 "b":2}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1]`,
	`[1,]`, `[,1]`, `[1,,2]`, `[1 2]`, `[1,2]]`, `"abc"`, `"abc`, `"a\"b"`, `"a\\"`, `"a\/b"`, `"\b\f\n\r\t"`,
	`"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\u12"`, `"\x"`, "\"a\tb\"", "\"a\x01b\"", "\"a\x7fb\"", "\"caf\xc3\xa9\"",
	"\"\xff\xfe\"", `"0123456789abcdef0123456789"`, `"0123456789abcdef\"0123456789"`, `"01234567\\89abcdef"`,
	`0`, `-0`, `-`, `01`, `-01`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e10`, `1.5x`, `12a`,
	`true`, `tru`, `truex`, `false`, `fals`, `null`, `nul`, `nulll`, `[true,false,null]`, `[truefalse]`,
	`{"a":"b"}x`, `{} {}`, `[1] `, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200), strings.Repeat(`[`, 100) + strings.Repeat(`]`, 99),
}

func TestValidJSONAgreesWithGJSON(t *testing.T) {
	t.Parallel()
	check := func(b []byte) {
		t.Helper()
		assert.Equal(t, gjson.ValidBytes(b), validJSON(b), "%q", b)
	}
	for _, c := range validJSONCases {
		for n := 0; n <= len(c); n++ {
			check([]byte(c[:n]))
		}
	}
	// Real events, and each with one byte changed to each special byte.
	data, err := os.ReadFile("testdata/w1/cloudtrail.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(data, []byte("\n"))[:50] {
		check(line)
		for j := i % 7; j < len(line); j += 13 {
			for _, c := range []byte{'"', '\\', '\x01', '{', ']', ',', ':', ' ', 'e', '-', 0xc3} {
				mut := bytes.Clone(line)
				mut[j] = c
				check(mut)
			}
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range validJSONCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), gjson.ValidBytes(b); got != want {
			t.Fatalf("validJSON(%q) = %v, gjson.ValidBytes: %v", b, got, want)
		}
		checkFused(t, b) // the same answer with the index built on the way
	})
}

// BenchmarkValidJSON compares validJSON with gjson.ValidBytes on W1's
// CloudTrail events.
func BenchmarkValidJSON(b *testing.B) {
	data, err := os.ReadFile("testdata/w1/cloudtrail.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	for _, bc := range []struct {
		name  string
		valid func([]byte) bool
	}{{"weir", validJSON}, {"gjson", gjson.ValidBytes}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data) / len(lines)))
			i := 0
			for b.Loop() {
				if !bc.valid(lines[i]) {
					b.Fatal("invalid")
				}
				if i++; i == len(lines) {
					i = 0
				}
			}
		})
	}
}
