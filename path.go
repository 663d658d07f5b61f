package weir

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// Classes of path bytes, see pathClass.
const (
	pcPlain = 1 << iota // letters, '_', '-', ':', '/', '$', '+', ' ', non-ASCII
	pcDigit             // '0'-'9'
	pcDot               // the separator
	pcAt                // '@', a modifier at the start of a part
	pcBad               // has a meaning in gjson paths: wildcards, queries, escapes …
	pcHigh              // above ASCII (with pcPlain)
)

// pathClass holds the class of each byte value.
const pathClass = "" +
	"\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10" +
	"\x01\x10\x10\x10\x01\x10\x10\x10\x10\x10\x10\x01\x10\x01\x04\x01\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x01\x10\x10\x10\x10\x10" +
	"\x08\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x10\x10\x10\x10\x01" +
	"\x10\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x10\x10\x10\x10\x10" +
	"\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21" +
	"\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21" +
	"\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21" +
	"\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21\x21"

// splitPlain splits the first part off a path and checks that it is a
// plain member name. digits reports an all-digit part (or "-1"), an array
// index to gjson/sjson when the value there is an array; high reports bytes
// above ASCII.
func splitPlain(path string) (part, rest string, last, ok, digits, high bool) {
	var seen byte
	i := 0
	for ; i < len(path); i++ {
		c := pathClass[path[i]]
		if c&(pcDot|pcAt|pcBad) != 0 {
			if c&pcBad != 0 {
				return "", "", false, false, false, false
			}
			if c&pcAt != 0 {
				// "@timestamp" is a member name; "@this", "@reverse" …
				// are gjson modifiers.
				if i > 0 || isModifier(path) {
					return "", "", false, false, false, false
				}
				seen |= pcPlain
				continue
			}
			break // the separator
		}
		seen |= c
	}
	if i == 0 || i == len(path)-1 {
		return "", "", false, false, false, false // an empty part
	}
	part = path[:i]
	digits = seen == pcDigit || part == "-1"
	high = seen&pcHigh != 0
	if i == len(path) {
		return part, "", true, true, digits, high
	}
	return part, path[i+1:], false, true, digits, high
}

// simplePath reports whether path is a dotted list of plain member names
// that the index can serve: no wildcards, modifiers, escapes, queries or
// empty parts. digits reports whether any part is an array index.
func simplePath(path string) (ok, digits bool) {
	for {
		_, rest, last, pok, pdigits, _ := splitPlain(path)
		if !pok {
			return false, false
		}
		digits = digits || pdigits
		if last {
			return true, digits
		}
		path = rest
	}
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
