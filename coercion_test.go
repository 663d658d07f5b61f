package weir_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// TestSetWritesAsSubstation pins how Set and SetValue write values, as
// Substation's message.SetValue writes them with sjson.
func TestSetWritesAsSubstation(t *testing.T) {
	t.Parallel()
	values := []struct{ in, want string }{
		{`7`, `7`},
		{`-12`, `-12`},
		{`7.0`, `7`},
		{`7e0`, `7`},
		{`-0`, `0`},
		{`1.10`, `1.1`},
		{`1.5e-7`, `0.00000015`},
		{`1e-400`, `0`}, // gjson reads 0
		{`30400402455622563`, `30400402455622563`},
		{`9223372036854775807`, `9223372036854775807`},
		// Whole numbers beyond int64 keep their text (Substation would
		// write -9223372036854775808 or a wrapped value).
		{`1e21`, `1e21`},
		{`18446744073709551615`, `18446744073709551615`},
		{`"plain"`, `"plain"`},
		{`"A&B\n"`, `"A\u0026B\n"`},
		{`"\u00e9"`, `"é"`},
		{`"[1,2]"`, `[1,2]`},
		{`true`, `true`},
		{`null`, `null`},
		{`{"b":1.0}`, `{"b":1.0}`},
	}
	for _, v := range values {
		t.Run(v.in, func(t *testing.T) {
			t.Parallel()
			src := weir.NewMessage([]byte(`{"a":` + v.in + `}`))
			m := weir.NewMessage([]byte(`{}`))
			require.NoError(t, m.SetValue("b", src.Get("a")))
			assert.Equal(t, `{"b":`+v.want+`}`, string(m.Data()))
		})
	}

	strs := []struct{ in, want string }{
		{`x`, `"x"`},
		{`{"a":1}`, `{"a":1}`},
		{`"5"`, `"5"`},         // quotes around JSON are dropped
		{`"true"`, `"true"`},   // …as sjson is handed the text inside them
		{`"abc"`, `"\"abc\""`}, // abc is not JSON: kept
		{`""`, `"\"\""`},
	}
	for _, s := range strs {
		t.Run("string "+s.in, func(t *testing.T) {
			t.Parallel()
			m := weir.NewMessage([]byte(`{}`))
			require.NoError(t, m.Set("b", s.in))
			assert.Equal(t, `{"b":`+s.want+`}`, string(m.Data()))
			m = weir.NewMessage([]byte(`{}`))
			require.NoError(t, m.SetText("b", s.in))
			assert.Equal(t, `{"b":`+s.want+`}`, string(m.Data()))
		})
	}
}

func TestTruncateValue(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "short", weir.TruncateValue("short"))
	long := strings.Repeat("é", 40) // 80 bytes
	got := weir.TruncateValue(long)
	assert.True(t, strings.HasSuffix(got, "…"))
	assert.LessOrEqual(t, len(got), weir.MaxCoercionValue+len("…"))
	assert.Equal(t, strings.Repeat("é", 32)+"…", got, "cut at a rune boundary")
}

// TestSetPathsSjsonSkips pins where Set differs from sjson, which writes
// nothing at a path with an unescaped '@', '#', '*', '?' or '|' (see
// docs/substation-compatibility.md).
func TestSetPathsSjsonSkips(t *testing.T) {
	t.Parallel()
	m := weir.NewMessage([]byte(`{}`))
	require.NoError(t, m.Set("@timestamp", "x"))
	require.NoError(t, m.Set(`\@escaped`, "y"))
	assert.Equal(t, `{"@timestamp":"x","@escaped":"y"}`, string(m.Data()))
	for _, p := range []string{"#", "a*", "a?b", "x|y", "@this"} {
		assert.Error(t, weir.NewMessage([]byte(`{}`)).Set(p, "v"), p)
	}
	m = weir.NewMessage([]byte(`{}`))
	require.NoError(t, m.Set("a@b", "v"))
	assert.Equal(t, `{}`, string(m.Data()), "as sjson: nothing written")
}
