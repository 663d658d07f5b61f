package transform

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// timeFixedLayouts are layouts timeFixedOf reads, and some it must refuse.
var timeFixedLayouts = []struct {
	layout string
	fixed  bool
}{
	{time.RFC3339, true}, {"2006-01-02T15:04:05Z", true}, {"2006-01-02 15:04:05", true},
	{"2006-01-02T15:04:05.000Z", true}, {"2006-01-02T15:04:05.000000Z07:00", true}, {"2006/01/02 15:04:05 -0700", true},
	{"2006-01-02T15:04:05Z0700", true}, {"2006-01-02", true}, {"2006-01-02T15:04:05.000000000-07:00", true},
	{time.RFC3339Nano, false}, {time.RFC1123, false}, {"2006-01-02T15:04:05.999Z", false}, {"Jan 2 2006", false},
	{"15:04:05", false}, {"2006-01-02 3:04PM", false}, {"2006-01-02T15:04:05Z07", false}, {"2006-002", false},
	{"2006-01-02 15:04:05.0001", false}, {"01-02-06", false}, {"2006-01-02 15:04:05 MST", false}, {"20060102150405", true},
}

func TestTimeFixedOf(t *testing.T) {
	for _, l := range timeFixedLayouts {
		assert.Equal(t, l.fixed, timeFixedOf(l.layout) != nil, "layout %q", l.layout)
	}
}

// FuzzTimeFixed checks the fixed-layout reader against time.Parse: what it
// reads, time.Parse reads to the same instant.
func FuzzTimeFixed(f *testing.F) {
	values := []string{"2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2024-01-01T00:00:00+05:30", "2024-01-01T00:00:00-24:00",
		"2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "2024-01-01 10:11:12", "2024-01-01T10:11:12.123Z",
		"2024-01-01T10:11:12,123456+01:00", "2024/01/02 03:04:05 +0100", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2024-01-01T1:02:03Z", "2024-01-01T10:11:12.5Z", "20240102030405", "2024-01-01", "2024-01-01T00:00:00+00:61"}
	for i, l := range timeFixedLayouts {
		for j := range 3 {
			f.Add(l.layout, values[(i+j*7)%len(values)])
		}
	}
	f.Fuzz(func(t *testing.T, layout, value string) {
		fixed := timeFixedOf(layout)
		if fixed == nil {
			return
		}
		ns, ok := fixed.parse(value)
		if !ok {
			return
		}
		want, err := time.Parse(layout, value)
		require.NoError(t, err, "layout %q value %q: read as %d", layout, value, ns)
		require.Equal(t, want.UnixNano(), ns, "layout %q value %q", layout, value)
	})
}

func TestTimeFixedReads(t *testing.T) {
	for _, c := range []struct{ layout, value string }{
		{time.RFC3339, "2024-02-29T23:59:59Z"}, {time.RFC3339, "2024-01-01T00:00:00+05:30"},
		{"2006-01-02 15:04:05", "2024-01-01 10:11:12"}, {"2006-01-02T15:04:05.000Z", "2024-01-01T10:11:12.123Z"},
		{"2006/01/02 15:04:05 -0700", "2024/01/02 03:04:05 +0100"},
	} {
		ns, ok := timeFixedOf(c.layout).parse(c.value)
		require.True(t, ok, "layout %q value %q", c.layout, c.value)
		want, err := time.Parse(c.layout, c.value)
		require.NoError(t, err)
		assert.Equal(t, want.UnixNano(), ns, "layout %q value %q", c.layout, c.value)
	}
	for _, v := range []string{"2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T10:11:12.5Z", "2024-01-01T1:02:03Z"} {
		_, ok := timeFixedOf(time.RFC3339).parse(v)
		assert.False(t, ok, "%q is left to time.Parse", v)
	}
}

// BenchmarkTimeFixed compares the fixed-layout reader with time.Parse.
func BenchmarkTimeFixed(b *testing.B) {
	for _, c := range []struct{ name, layout, value string }{
		{"rfc3339", time.RFC3339, "2024-02-29T23:59:59Z"},
		{"space", "2006-01-02 15:04:05", "2024-01-01 10:11:12"},
		{"millis", "2006-01-02T15:04:05.000Z", "2024-01-01T10:11:12.123Z"},
	} {
		fixed := timeFixedOf(c.layout)
		b.Run(c.name+"/fixed", func(b *testing.B) {
			for b.Loop() {
				if _, ok := fixed.parse(c.value); !ok {
					b.Fatal("not read")
				}
			}
		})
		b.Run(c.name+"/time.Parse", func(b *testing.B) {
			for b.Loop() {
				if _, err := time.Parse(c.layout, c.value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// timeDigitsCases are numbers at and past the edges of the int64 range,
// and texts that are not decimal digits.
var timeDigitsCases = []string{"0", "-0", "7", "-7", "1700000000123456789", "9223372036854775807",
	"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "9999999999999999999",
	"10000000000000000000", "-", "", "1e3", "1.5", "01", "+1", " 1", "1 ", "--1", "١", "00000000000000000000"}

// FuzzTimeDigits checks that a number timeDigits reads is read the same
// by strconv.ParseInt and weir.Value.Int (the two reads timeRead makes
// without it).
func FuzzTimeDigits(f *testing.F) {
	for _, s := range timeDigitsCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := timeDigits(s)
		want, err := strconv.ParseInt(s, 10, 64)
		if !ok {
			return // timeRead reads it the long way
		}
		require.NoError(t, err, "timeDigits read %q as %d", s, n)
		assert.Equal(t, want, n, "%q", s)
		v := weir.NewMessage([]byte(`{"n":` + s + `}`)).Get("n")
		if v.IsNumber() {
			assert.Equal(t, v.Int(), n, "%q", s)
		}
	})
}
