package transform

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// strSimple is a capture pattern simple enough to match without the regexp
// engine: one group around a greedy repetition of a character class, with
// literal text around it and optional anchors, such as
//
//	([^/]*)$                 the last segment of a path or an ARN
//	(?s)^(?:.*/)?([^/]*)$    the same, anchored
//	^([^@]*)@                the local part of an address
//	^arn:aws:iam::(\d+):     a field after a known prefix
//	sessionId=([^&]+)        a value after a marker
//
// Its capture method gives what regexp's FindStringSubmatch gives for the
// group, with the same leftmost-first, greedy semantics (fuzzed against
// regexp). Patterns of other shapes use the engine.
type strSimple struct {
	begin, end bool   // anchored at the start (^) and at the end ($)
	pre, post  string // literal text before and after the group
	min        int    // 0 for C*, 1 for C+
	class      strRunes
	// anyPrefix: ^(?:.*pre)?(C*)$, the group after the last pre (or the
	// whole string when there is none); nl: the '.' does not match "\n",
	// so strings holding one are left to the engine.
	anyPrefix, nl bool
}

// strRunes is a character class: a set of ASCII bytes, and whether every
// rune above ASCII (and invalid UTF-8, which regexp reads as U+FFFD) is in
// it. Classes that hold some non-ASCII runes but not all are not simple.
type strRunes struct {
	ascii [2]uint64
	high  bool
}

func (c *strRunes) has(b byte) bool {
	if b >= utf8.RuneSelf {
		return c.high
	}
	return c.ascii[b>>6]&(1<<(b&63)) != 0
}

// hasRune reports whether the first rune of s (not empty) is in c.
func (c *strRunes) hasRune(s string) bool { return c.has(s[0]) }

// run returns the length of the longest prefix of s in c.
func (c *strRunes) run(s string) int {
	i := 0
	for i < len(s) && c.has(s[i]) {
		i++
	}
	return i
}

// suffix returns where the longest suffix of s in c starts.
func (c *strRunes) suffix(s string) int {
	j := len(s)
	for j > 0 && c.has(s[j-1]) {
		j--
	}
	return j
}

// strRunesOf returns the class r (a CharClass, AnyChar or AnyCharNotNL
// node) stands for, if it is simple.
func strRunesOf(r *syntax.Regexp) (strRunes, bool) {
	var c strRunes
	var ranges []rune
	switch r.Op {
	case syntax.OpAnyChar:
		ranges = []rune{0, utf8.MaxRune}
	case syntax.OpAnyCharNotNL:
		ranges = []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	case syntax.OpCharClass:
		ranges = r.Rune
	default:
		return c, false
	}
	highFrom, highTo := rune(-1), rune(-1) // the one range above ASCII
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for b := lo; b <= hi && b < utf8.RuneSelf; b++ {
			c.ascii[b>>6] |= 1 << (b & 63)
		}
		if hi >= utf8.RuneSelf {
			if highFrom >= 0 {
				return c, false
			}
			highFrom, highTo = max(lo, utf8.RuneSelf), hi
		}
	}
	switch {
	case highFrom < 0:
		c.high = false
	case highFrom == utf8.RuneSelf && highTo == utf8.MaxRune:
		c.high = true
	default:
		return c, false
	}
	return c, true
}

// strLiteralText returns the text of a literal node that regexp matches
// byte for byte.
func strLiteralText(r *syntax.Regexp) (string, bool) {
	if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 {
		return "", false
	}
	for _, c := range r.Rune {
		if c == utf8.RuneError || !utf8.ValidRune(c) {
			return "", false
		}
	}
	return string(r.Rune), true
}

// strSimpleOf reports whether pattern (a valid regular expression) is a
// simple capture pattern, and returns it.
func strSimpleOf(pattern string) (*strSimple, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	items := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		items = re.Sub
	}
	var s strSimple
	if len(items) > 0 && items[0].Op == syntax.OpBeginText {
		s.begin, items = true, items[1:]
	}
	if n := len(items); n > 0 && items[n-1].Op == syntax.OpEndText {
		s.end, items = true, items[:n-1]
	}
	if len(items) > 0 && s.begin && s.end && items[0].Op == syntax.OpQuest && items[0].Flags&syntax.NonGreedy == 0 {
		// ^(?:.*L)?(C*)$
		q := items[0].Sub[0]
		if q.Op != syntax.OpConcat || len(q.Sub) != 2 || q.Sub[0].Op != syntax.OpStar || q.Sub[0].Flags&syntax.NonGreedy != 0 {
			return nil, false
		}
		switch q.Sub[0].Sub[0].Op {
		case syntax.OpAnyChar:
		case syntax.OpAnyCharNotNL:
			s.nl = true
		default:
			return nil, false
		}
		lit, ok := strLiteralText(q.Sub[1])
		if !ok {
			return nil, false
		}
		s.anyPrefix, s.pre, items = true, lit, items[1:]
	} else if len(items) > 0 && items[0].Op == syntax.OpLiteral {
		lit, ok := strLiteralText(items[0])
		if !ok {
			return nil, false
		}
		s.pre, items = lit, items[1:]
	}
	if len(items) == 0 || items[0].Op != syntax.OpCapture || items[0].Cap != 1 {
		return nil, false
	}
	rep := items[0].Sub[0]
	items = items[1:]
	switch {
	case rep.Flags&syntax.NonGreedy != 0:
		return nil, false
	case rep.Op == syntax.OpStar:
	case rep.Op == syntax.OpPlus:
		s.min = 1
	default:
		return nil, false
	}
	class, ok := strRunesOf(rep.Sub[0])
	if !ok {
		return nil, false
	}
	s.class = class
	if len(items) > 0 {
		lit, ok := strLiteralText(items[0])
		if !ok {
			return nil, false
		}
		s.post, items = lit, items[1:]
	}
	switch {
	case len(items) > 0:
		return nil, false
	case s.anyPrefix && (s.post != "" || s.pre == "" || s.class.hasRune(lastRune(s.pre))):
		// Only the last L can start the group when L's last rune is not
		// in the class.
		return nil, false
	case s.post != "" && !(s.begin && s.end) && s.class.hasRune(s.post):
		// Without both anchors the group ends where the class does: the
		// text after it must not start with a rune of the class.
		return nil, false
	case s.post != "" && s.end && !s.begin:
		return nil, false
	}
	return &s, true
}

// lastRune returns the last rune of s (not empty) as a string.
func lastRune(s string) string {
	_, n := utf8.DecodeLastRuneInString(s)
	return s[len(s)-n:]
}

// capture returns the group of the leftmost match in str, and whether
// there is a match. ok is false when str must be left to the engine.
func (s *strSimple) capture(str string) (group string, matched, ok bool) {
	c := &s.class
	switch {
	case s.anyPrefix:
		if s.nl && strings.IndexByte(str, '\n') >= 0 {
			return "", false, false
		}
		from := 0
		if i := strings.LastIndex(str, s.pre); i >= 0 {
			from = i + len(s.pre)
		}
		if c.suffix(str[from:]) != 0 || len(str)-from < s.min {
			return "", false, true
		}
		return str[from:], true, true
	case s.begin && s.end:
		if len(str) < len(s.pre)+len(s.post) || !strings.HasPrefix(str, s.pre) || !strings.HasSuffix(str, s.post) {
			return "", false, true
		}
		mid := str[len(s.pre) : len(str)-len(s.post)]
		if c.run(mid) != len(mid) || len(mid) < s.min {
			return "", false, true
		}
		return mid, true, true
	case s.begin:
		if !strings.HasPrefix(str, s.pre) {
			return "", false, true
		}
		rest := str[len(s.pre):]
		k := c.run(rest)
		if k < s.min || !strings.HasPrefix(rest[k:], s.post) {
			return "", false, true
		}
		return rest[:k], true, true
	case s.end: // no post
		j := c.suffix(str)
		from := max(0, j-len(s.pre))
		i := strings.Index(str[from:], s.pre)
		if i < 0 {
			return "", false, true
		}
		g := str[from+i+len(s.pre):]
		if len(g) < s.min {
			return "", false, true
		}
		return g, true, true
	case s.pre != "":
		for at := 0; at <= len(str); {
			i := strings.Index(str[at:], s.pre)
			if i < 0 {
				return "", false, true
			}
			start := at + i + len(s.pre)
			k := c.run(str[start:])
			if k >= s.min && strings.HasPrefix(str[start+k:], s.post) {
				return str[start : start+k], true, true
			}
			at += i + 1
		}
		return "", false, true
	default:
		for x := 0; x <= len(str); {
			k := c.run(str[x:])
			if k >= s.min && strings.HasPrefix(str[x+k:], s.post) {
				return str[x : x+k], true, true
			}
			x += k
			if x == len(str) {
				break
			}
			if k == 0 {
				_, w := utf8.DecodeRuneInString(str[x:])
				x += w
			}
		}
		return "", false, true
	}
}
