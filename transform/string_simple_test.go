package transform

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// strSimplePatterns are capture patterns with the shapes strSimple
// handles, and some it must refuse.
var strSimplePatterns = []struct {
	pattern string
	simple  bool
}{
	{`([^/]*)$`, true}, {`(?s)^(?:.*/)?([^/]*)$`, true}, {`^(?:.*/)?([^/]*)$`, true},
	{`^([^@]*)@`, true}, {`^arn:aws:iam::(\d+):`, true}, {`sessionId=([^&]+)`, true},
	{`(.*)`, true}, {`([a-z]+)`, true}, {`x(.+)`, true}, {`^(.*)$`, true}, {`^v(\d+)\.x$`, true},
	{`([^.]+)$`, true}, {`@([a-z.]*)`, true}, {`(\w*)@`, true}, {`^(é*)ü`, false}, {`^([a-z]*)ü`, true}, {`^([^/]*)ü`, false}, {`([^é]+)`, false},
	{`(?i)^abc(\d+)`, false}, {`(a|b)`, false}, {`(x*?)y`, false}, {`(?m)^(\w+)$`, false},
	{`([a-z]*)a`, false}, {`(\d+)(\d)`, false}, {`(?P<n>\w+)`, true}, {`^(?:.*a)?([^a]*)$`, true},
	{`^(?:.*a)?(a*)$`, false}, {`([^/]*)/$`, false}, {`^([a-z]*)z$`, true}, {`^(.*)\x{FFFD}`, false},
}

func TestStrSimpleOf(t *testing.T) {
	for _, p := range strSimplePatterns {
		_, ok := strSimpleOf(p.pattern)
		assert.Equal(t, p.simple, ok, "pattern %q", p.pattern)
	}
}

// FuzzStrSimple checks the capture of simple patterns against regexp's.
func FuzzStrSimple(f *testing.F) {
	inputs := []string{"", "a", "arn:aws:iam::123456789012:user/alice", "arn:aws:sts::1:assumed-role/r/s", "a/b/", "/",
		"a\nb/c", "bob@example.com", "@@", "x@y@z", "sessionId=abc&x=1", "é/ü\xff", "\xff\xfe/\xc3", "v12.x", "ab12cd",
		"aaa", "zz", "ééü", "\x00/\n", "x", "xx", "TLSv1.2"}
	for i, p := range strSimplePatterns {
		f.Add(p.pattern, inputs[i%len(inputs)])
	}
	for _, s := range inputs {
		f.Add(`([^/]*)$`, s)
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		simple, ok := strSimpleOf(pattern)
		if !ok {
			return
		}
		require.Equal(t, 2, re.NumSubexp()+1, "pattern %q has one group", pattern)
		got, matched, handled := simple.capture(s)
		if !handled {
			return
		}
		m := re.FindStringSubmatch(s)
		require.Equal(t, m != nil, matched, "pattern %q on %q", pattern, s)
		if m != nil {
			require.Equal(t, m[1], got, "pattern %q on %q", pattern, s)
		}
	})
}

func TestStrSimpleAll(t *testing.T) {
	// Every pattern on every seed input, and all short strings over a small
	// alphabet that exercises each shape.
	alphabet := []string{"a", "/", "@", "x", "1", "\n", "é", "\xff", "z", "."}
	var inputs []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 4)
	for _, p := range strSimplePatterns {
		simple, ok := strSimpleOf(p.pattern)
		if !ok {
			continue
		}
		re := regexp.MustCompile(p.pattern)
		for _, s := range inputs {
			got, matched, handled := simple.capture(s)
			if !handled {
				continue
			}
			m := re.FindStringSubmatch(s)
			require.Equal(t, m != nil, matched, "pattern %q on %q", p.pattern, s)
			if m != nil {
				require.Equal(t, m[1], got, "pattern %q on %q", p.pattern, s)
			}
		}
	}
}
