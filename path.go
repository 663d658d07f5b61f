package weir

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

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
// above ASCII (or an escaped '"' or '\\', which a member name written into
// JSON escapes); esc reports escapes: a backslash before one of the bytes
// that have a meaning in paths ("\\@timestamp", "a\\.b") makes it part of
// the name, as in gjson and sjson.
func splitPlain(path string) (part, rest string, last, ok, digits, high, esc bool) {
	var seen byte
	i := 0
	for ; i < len(path); i++ {
		c := pathClass[path[i]]
		if c&(pcDot|pcAt|pcBad) != 0 {
			if path[i] == '\\' && i+1 < len(path) && pathEscapable(path[i+1]) {
				i++
				esc = true
				seen |= pcPlain
				if path[i] == '"' || path[i] == '\\' {
					seen |= pcHigh
				}
				continue
			}
			if c&pcBad != 0 {
				return "", "", false, false, false, false, false
			}
			if c&pcAt != 0 {
				// "@timestamp" is a member name; "@this", "@reverse" …
				// are gjson modifiers.
				if i > 0 || isModifier(path) {
					return "", "", false, false, false, false, false
				}
				seen |= pcPlain
				continue
			}
			break // the separator
		}
		seen |= c
	}
	if i == 0 || i == len(path)-1 {
		return "", "", false, false, false, false, false // an empty part
	}
	part = path[:i]
	digits = seen == pcDigit || part == "-1"
	high = seen&pcHigh != 0
	if i == len(path) {
		return part, "", true, true, digits, high, esc
	}
	return part, path[i+1:], false, true, digits, high, esc
}

// pathEscapable reports whether c may follow a backslash in a plain path:
// printable ASCII that has a meaning in gjson paths (the separator, '@',
// wildcards, queries, the backslash itself …).
func pathEscapable(c byte) bool {
	return c > ' ' && c < 0x7f && pathClass[c]&(pcDot|pcAt|pcBad) != 0
}

// unescapePart appends the member name the part text t stands for (t
// without the backslashes of its escapes) to dst.
func unescapePart(dst []byte, t string) []byte {
	for i := 0; i < len(t); i++ {
		if t[i] == '\\' && i+1 < len(t) {
			i++
		}
		dst = append(dst, t[i])
	}
	return dst
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
	for part := range strings.SplitSeq(path, ".") {
		if n, err := strconv.ParseUint(part, 10, 64); err == nil && n > maxArrayIndex ||
			errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%q cannot be written: array index %s is over %d", path, part, maxArrayIndex)
		}
	}
	return nil
}

// maxArrayIndex bounds the array index a write may name: sjson fills an
// array with nulls up to the index written, so "a.4000000000" would take
// gigabytes (and a number member name that large is refused too).
const maxArrayIndex = 1 << 20

// isModifier reports whether the path part at the start of p (which starts
// with '@') names a gjson modifier, or Substation's @dedupe.
func isModifier(p string) bool {
	name := p[1:]
	if i := strings.IndexAny(name, ".:|"); i >= 0 {
		name = name[:i]
	}
	return name == dedupeName || gjson.ModifierExists(name, nil)
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

// Path is a message path parsed once, for reading and writing many
// messages: transforms parse their paths when they are built and read and
// write with Path's methods ([Path.Get], [Path.SetValue], …), which do what
// the Message methods of the same names do without parsing the path text
// on every call.
//
// A Path that starts with "meta " addresses the metadata. Any GJSON/SJSON
// path is accepted; plain dotted paths ("a.b.c") are resolved through the
// message's index, others by gjson and sjson. The zero Path is the empty
// path. A Path is immutable and safe for concurrent use.
//
// Reads also accept the @dedupe modifier that Substation v2.8.0 adds to
// gjson: "ips.@dedupe" (or "ips|@dedupe") is the array ips without its
// repeated elements, the first of each kept in order; elements are equal
// when their JSON text is ("1" and "1.0", or {"a":1} and {"a": 1}, are
// not), and a value that is not an array is read unchanged. It stands
// wherever gjson takes a modifier — after a projection, "events.#.ip.@dedupe"
// applies it to each element's ip and "events.#.ip|@dedupe" to the array
// of them — except in the condition of a query (#(…)), after a '!'
// literal and in a path that starts with "..", where it is not recognised. Weir evaluates it
// itself rather than registering it in gjson's package-level table, so
// other users of gjson in a program are not affected. As with gjson's own
// modifiers, a path with @dedupe cannot be written.
type Path struct {
	text  string     // as given
	inner string     // the path within its document, trimmed
	names string     // the member names of parts: inner, or inner unescaped
	parts []pathPart // the member names of a plain dotted path, else nil
	meta  bool       // addresses the metadata
	// digits: a part is all digits (an array index where the value is an
	// array), which the index leaves to sjson when writing.
	digits bool
}

// pathPart is one member name of a plain dotted path: Path.names[off:end],
// written Path.inner[src:…] in the path. It holds no pointers, so that a
// stack array of parts stays on the stack (see parsePath).
type pathPart struct {
	off, end uint32
	src      uint32
	high     bool // holds bytes above ASCII (or '"', '\\')
}

// ParsePath parses path for repeated use. It never fails: a path that
// cannot be written reports its error when written, as with the string
// forms.
func ParsePath(path string) Path {
	p, parts := parsePath(path, nil)
	p.parts = parts
	return p
}

// parsePath parses path, appending its parts to buf, and returns them
// apart from the Path (whose parts field it leaves nil). Callers give a stack
// array as buf and pass the parts to the accessors as a separate argument:
// escape analysis does not tell a struct's fields apart, so parts held in a
// Path whose strings escape (into errors, gjson) would move the array to the
// heap.
func parsePath(path string, buf []pathPart) (Path, []pathPart) {
	// Locals, not fields of a Path, for the same reason.
	meta, inner := false, trimSpace(path)
	if strings.HasPrefix(path, metaPrefix) {
		meta, inner = true, trimSpace(path[len(metaPrefix):])
	}
	if inner == "" || inner == "@this" {
		return Path{text: path, inner: inner, meta: meta}, nil
	}
	rest, off, anyDigits, anyEsc := inner, 0, false, false
	first := len(buf)
	for {
		part, next, last, ok, digits, high, esc := splitPlain(rest)
		if !ok {
			return Path{text: path, inner: inner, meta: meta}, nil
		}
		buf = append(buf, pathPart{off: uint32(off), end: uint32(off + len(part)), src: uint32(off), high: high})
		anyDigits = anyDigits || digits
		anyEsc = anyEsc || esc
		if last {
			break
		}
		off += len(part) + 1
		rest = next
	}
	names := inner
	if anyEsc {
		// The names differ from the text: keep them unescaped, apart.
		nb := make([]byte, 0, len(inner))
		for i := first; i < len(buf); i++ {
			x := &buf[i]
			start := len(nb)
			nb = unescapePart(nb, inner[x.off:x.end])
			x.off, x.end = uint32(start), uint32(len(nb))
		}
		names = string(nb)
	}
	return Path{text: path, inner: inner, names: names, meta: meta, digits: anyDigits}, buf
}

// String returns the path as it was given.
func (p Path) String() string { return p.text }

// IsMeta reports whether p addresses the metadata.
func (p Path) IsMeta() bool { return p.meta }

// name returns the member name of part x of p. It is made without bounds
// checks (parsePath keeps off <= end <= len(names)): a read or a write
// takes the name of every part it passes.
func (p *Path) name(x pathPart) string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(p.names)), x.off)), x.end-x.off)
}

// Get is [Message.Get] for p.
func (p Path) Get(m *Message) Value { return m.get(&p, p.parts) }

// Set is [Message.Set] for p.
func (p Path) Set(m *Message, v any) error { return m.set(&p, p.parts, v) }

// SetValue is [Message.SetValue] for p.
func (p Path) SetValue(m *Message, v Value) error { return m.setValue(&p, p.parts, v) }

// SetText is [Message.SetText] for p.
func (p Path) SetText(m *Message, s string) error { return m.setText(&p, p.parts, s) }

// SetInt is [Message.SetInt] for p.
func (p Path) SetInt(m *Message, n int64) error { return m.setInt(&p, p.parts, n) }

// SetString is [Message.SetString] for p.
func (p Path) SetString(m *Message, s string) error { return m.setString(&p, p.parts, s) }

// SetRaw is [Message.SetRaw] for p.
func (p Path) SetRaw(m *Message, raw []byte) error { return m.setRaw(&p, p.parts, raw) }

// Delete is [Message.Delete] for p.
func (p Path) Delete(m *Message) error { return m.delete(&p, p.parts) }
