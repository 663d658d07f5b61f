package weir

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// simplePath reports whether path is a dotted list of plain member names that
// the index can serve: no wildcards, modifiers, escapes, queries or empty
// parts. digits reports whether any part is all digits (an array index in
// gjson/sjson when the value there is an array).
func simplePath(path string) (ok, digits bool) {
	if path == "" {
		return false, false
	}
	partStart := 0
	allDigits := true
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '.' {
			if i == partStart {
				return false, false
			}
			if allDigits || (i-partStart == 2 && path[partStart] == '-' && path[partStart+1] == '1') {
				digits = true
			}
			partStart = i + 1
			allDigits = true
			continue
		}
		c := path[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '@' && i == partStart:
			// "@timestamp" is a member name; "@this", "@reverse" … are
			// gjson modifiers.
			if isModifier(path[i:]) {
				return false, false
			}
			allDigits = false
		case c >= 0x80 || (c < 0x40 && plainLow>>c&1 == 1) || (c >= 0x40 && plainHigh>>(c-0x40)&1 == 1):
			allDigits = false
		default:
			return false, false
		}
	}
	return true, digits
}

// plainLow and plainHigh are bit sets of the ASCII characters (below and
// from 0x40) that have no meaning in a gjson path: letters, '_', '-', ':',
// '/', '$', '+' and ' '.
const (
	plainLow  = 1<<' ' | 1<<'$' | 1<<'+' | 1<<'-' | 1<<'/' | 1<<':'
	plainHigh = (1<<26-1)<<('A'-0x40) | 1<<('_'-0x40) | (1<<26-1)<<('a'-0x40)
)

// nextPart splits the first member name off a simple path.
func nextPart(path string) (part, rest string, last bool) {
	i := strings.IndexByte(path, '.')
	if i < 0 {
		return path, "", true
	}
	return path[:i], path[i+1:], false
}

// writable returns an error for paths sjson cannot write: it leaves the
// payload unchanged for wildcards, queries, pipes and modifiers, and Weir
// reports that rather than losing the write silently.
func writable(path string) error {
	if path == "" {
		return errors.New("empty path")
	}
	partStart := true
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\':
			i++ // escaped character
			partStart = false
			continue
		case c == '*' || c == '?' || c == '|' || c == '#' || (c == '@' && partStart && isModifier(path[i:])):
			return fmt.Errorf("%q cannot be written (wildcard, query or modifier)", path)
		}
		partStart = path[i] == '.'
	}
	return nil
}

// isModifier reports whether the path part at the start of p (which starts
// with '@') names a gjson modifier.
func isModifier(p string) bool {
	name := p[1:]
	if i := strings.IndexAny(name, ".:|"); i >= 0 {
		name = name[:i]
	}
	return gjson.ModifierExists(name, nil)
}

// memberName returns name as it is written between quotes in JSON, as
// sjson writes member names, and whether that differs from name.
func memberName(name string) (string, bool) {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c > 0x7f || c == '"' || c == '\\' {
			q := appendString(nil, name)
			esc := string(q[1 : len(q)-1])
			return esc, esc != name
		}
	}
	return name, false
}
