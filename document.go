package weir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// document holds one JSON (or arbitrary) byte payload of a Message together
// with a lazily built index of it.
//
// The index is a tree of nodes over the bytes: expanding an object costs one
// gjson pass over its text and records every member's key and value slice, so
// any number of later reads of that object cost a short search each instead of
// a rescan of the whole payload. Writes to simple paths change the tree only
// and mark the changed objects; the bytes are rebuilt in one pass the next time
// they are asked for. Bytes are never modified in place once they have been
// stored or handed out, so Values and Data results stay valid.
type document struct {
	raw   []byte // the payload; stale while dirty
	arena []byte // encoded values written by Set; appended to, never rewritten
	root  *node  // index of raw, nil until first needed
	dirty bool   // root holds changes not yet in raw
	// pre and post are the white space around the root object in raw, kept so
	// that a rebuilt payload keeps its framing (e.g. a trailing newline).
	pre, post []byte
}

// node is one JSON value in the index. Members of an expanded object are
// held in kids; raw is the value's text when the node is not modified.
type node struct {
	key      string // member name as written between its quotes in JSON
	esc      bool   // key holds escapes: unescape before comparing
	plainStr bool   // raw is a string known to hold no escapes
	raw      []byte // value text; valid when !modified
	kids     []node // members, when expanded
	expanded bool   // kids holds every member of this object
	loose    bool   // raw has white space between tokens: writes go to sjson
	modified bool   // raw is stale: rebuild from kids
}

// b2s returns a string sharing b's memory. Only used on bytes that are never
// modified afterwards.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// isWS reports JSON white space.
func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// set replaces the payload and drops the index.
func (d *document) set(b []byte) {
	d.raw = b
	d.root = nil
	d.dirty = false
	d.pre, d.post = nil, nil
}

// bytes returns the payload, rebuilding it from the index if it was changed.
func (d *document) bytes() []byte {
	if !d.dirty {
		return d.raw
	}
	n := len(d.pre) + len(d.post) + d.root.size()
	buf := make([]byte, 0, n)
	buf = append(buf, d.pre...)
	buf = d.root.appendTo(buf)
	buf = append(buf, d.post...)
	d.raw = buf
	d.dirty = false
	return buf
}

// index returns the root node if the payload is a JSON object (or empty, which
// is indexed as an empty object when create is set), nil otherwise.
func (d *document) index(create bool) *node {
	if d.root != nil {
		return d.root
	}
	b := d.raw
	i, j := 0, len(b)
	for i < j && isWS(b[i]) {
		i++
	}
	for j > i && isWS(b[j-1]) {
		j--
	}
	switch {
	case i == j:
		if !create {
			return nil
		}
		d.root = &node{raw: []byte("{}"), expanded: true}
		d.pre, d.post = nil, nil
		d.raw = nil
		return d.root
	case b[i] != '{' || b[j-1] != '}':
		return nil
	}
	d.pre, d.post = b[:i], b[j:]
	d.root = &node{raw: b[i:j], loose: i > 0 || j < len(b)}
	return d.root
}

// expand builds the member list of an object node in one pass over its
// text. It returns false if the node is not a well-formed object; such a
// node is left to gjson and sjson.
func (n *node) expand() bool {
	if n.expanded {
		return true
	}
	b := n.raw
	if len(b) < 2 || b[0] != '{' {
		return false
	}
	// One allocation sized from the text; CloudTrail-like events average
	// 40-50 bytes a member.
	kids := make([]node, 0, len(b)/48+4)
	compact := true
	i := skipWS(b, 1)
	if i < len(b) && b[i] == '}' {
		if i != 1 || i+1 != len(b) {
			return false
		}
		n.expanded = true
		return true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		ks := i
		ke, esc := scanString(b, i)
		if ke < 0 {
			return false
		}
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		j := skipWS(b, i+1)
		compact = compact && i == ke && j == i+1
		var ve int
		plain := false
		if b[j] == '"' {
			var vesc bool
			ve, vesc = scanString(b, j)
			plain = !vesc
		} else {
			ve = scanValue(b, j)
		}
		if ve < 0 {
			return false
		}
		kids = append(kids, node{key: b2s(b[ks+1 : ke-1]), esc: esc, plainStr: plain, raw: b[j:ve:ve]})
		i = skipWS(b, ve)
		compact = compact && i == ve
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			if i+1 != len(b) {
				return false
			}
			break
		}
		if b[i] != ',' {
			return false
		}
		k := skipWS(b, i+1)
		compact = compact && k == i+1
		i = k
	}
	// Rebuilding a loose object would drop its white space, which sjson
	// keeps; writes into one are left to sjson so outputs stay identical.
	n.loose = n.loose || !compact || b[1] != '"'
	n.kids = kids
	n.expanded = true
	return true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// scanString returns the index just past the JSON string starting at b[i]
// (a '"'), and whether it holds escapes; -1 if it is not terminated.
func scanString(b []byte, i int) (end int, esc bool) {
	j := i + 1
	for {
		// Eight bytes at a time: find the first '"' or '\\'.
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			if m := hasByte(x, '"') | hasByte(x, '\\'); m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		for j < len(b) && b[j] != '"' && b[j] != '\\' {
			j++
		}
		if j >= len(b) {
			return -1, esc
		}
		if b[j] == '"' {
			return j + 1, esc
		}
		esc = true
		j += 2 // the backslash and the character it escapes
	}
}

// hasByte returns a word whose lowest set bit marks the first byte of x
// equal to c (higher bits may be false positives), or 0 if none is.
func hasByte(x uint64, c byte) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	y := x ^ (lsb * uint64(c))
	return (y - lsb) &^ y & msb
}

// scanValue returns the index just past the JSON value starting at b[i], or
// -1 if there is none. Objects and arrays are matched by depth, without
// checking their contents.
func scanValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		e, _ := scanString(b, i)
		return e
	case c == '{' || c == '[':
		const fold = 0x2020202020202020 // '[' and ']' become '{' and '}'
		depth := 0
		for i < len(b) {
			for i+8 <= len(b) {
				x := binary.LittleEndian.Uint64(b[i:])
				if m := hasByte(x, '"') | hasByte(x|fold, '{') | hasByte(x|fold, '}'); m != 0 {
					i += bits.TrailingZeros64(m) / 8
					break
				}
				i += 8
			}
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"':
				e, _ := scanString(b, i)
				if e < 0 {
					return -1
				}
				i = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		s := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == s {
					return -1
				}
				return i
			}
			i++
		}
		return -1
	}
}

// child returns the index of the first member named key, or -1.
func (n *node) child(key string) int {
	for i := range n.kids {
		k := &n.kids[i]
		if len(k.key) == len(key) && (len(key) == 0 || k.key[0] == key[0]) && k.key == key && !k.esc {
			return i
		}
		if k.esc && gjson.Parse(`"`+k.key+`"`).Str == key {
			return i
		}
	}
	return -1
}

// size returns an upper bound of the node's text length.
func (n *node) size() int {
	if !n.modified {
		return len(n.raw)
	}
	s := 2
	for i := range n.kids {
		k := &n.kids[i]
		s += len(k.key) + 4 + k.size()
	}
	return s
}

// appendTo appends the node's JSON text to buf. A modified node is rebuilt
// from its members and remembers the text, so the next rebuild copies it.
func (n *node) appendTo(buf []byte) []byte {
	if !n.modified {
		return append(buf, n.raw...)
	}
	start := len(buf)
	buf = append(buf, '{')
	for i := range n.kids {
		if i > 0 {
			buf = append(buf, ',')
		}
		k := &n.kids[i]
		buf = append(buf, '"')
		buf = append(buf, k.key...)
		buf = append(buf, '"', ':')
		buf = k.appendTo(buf)
	}
	buf = append(buf, '}')
	n.raw = buf[start:len(buf):len(buf)]
	n.modified = false
	return buf
}

// text returns the node's current JSON text.
func (n *node) text() []byte {
	if !n.modified {
		return n.raw
	}
	return n.appendTo(make([]byte, 0, n.size()))
}

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
	i := bytes.IndexByte(unsafe.Slice(unsafe.StringData(path), len(path)), '.')
	if i < 0 {
		return path, "", true
	}
	return path[:i], path[i+1:], false
}

// get reads path from the document.
func (d *document) get(path string) gjson.Result {
	if n := d.index(false); n != nil && path != "" {
		if r, ok := getNode(n, path); ok {
			return r
		}
	} else if !d.dirty {
		return gjson.Get(b2s(d.raw), path)
	}
	if path == "@this" && !d.dirty {
		return gjson.Parse(b2s(d.raw))
	}
	return gjson.Get(b2s(d.bytes()), path)
}

// getNode reads path below n. ok is false if the path is not a plain
// dotted path, which only gjson can resolve on the whole payload.
func getNode(n *node, path string) (r gjson.Result, ok bool) {
	for {
		if !n.expand() {
			// Not an object: let gjson resolve the rest (array indexes,
			// or nothing on a scalar).
			if ok, _ := simplePath(path); !ok {
				return gjson.Result{}, false
			}
			return gjson.Get(b2s(n.text()), path), true
		}
		// Split off the first part, checking it is a plain member name.
		end := len(path)
		for i := 0; i < len(path); i++ {
			c := path[i]
			if c == '.' {
				end = i
				break
			}
			if c >= 0x80 || (c < 0x40 && plainLow>>c&1 == 1) || (c >= 0x40 && plainHigh>>(c-0x40)&1 == 1) || (c >= '0' && c <= '9') {
				continue
			}
			if c == '@' && i == 0 && !isModifier(path) {
				continue
			}
			return gjson.Result{}, false
		}
		if end == 0 || end == len(path)-1 {
			return gjson.Result{}, false // empty part
		}
		i := n.child(path[:end])
		if i < 0 {
			if end < len(path) {
				if ok, _ := simplePath(path[end+1:]); !ok {
					return gjson.Result{}, false
				}
			}
			return gjson.Result{}, true
		}
		n = &n.kids[i]
		if end == len(path) {
			return n.result(), true
		}
		path = path[end+1:]
	}
}

// result returns the node's value as a gjson result without rescanning
// plain strings.
func (n *node) result() gjson.Result {
	raw := n.text()
	s := b2s(raw)
	if len(raw) > 0 {
		switch raw[0] {
		case '"':
			if n.plainStr {
				return gjson.Result{Type: gjson.String, Raw: s, Str: s[1 : len(s)-1]}
			}
		case '{', '[':
			return gjson.Result{Type: gjson.JSON, Raw: s}
		case 't':
			return gjson.Result{Type: gjson.True, Raw: s}
		case 'f':
			return gjson.Result{Type: gjson.False, Raw: s}
		case 'n':
			return gjson.Result{Type: gjson.Null, Raw: s}
		}
	}
	return gjson.Parse(s)
}

// setRaw writes the JSON text value at path.
func (d *document) setRaw(path string, value []byte) error {
	if ok, digits := simplePath(path); ok && !digits {
		if n := d.index(true); n != nil && setNode(n, path, value) {
			d.dirty = true
			return nil
		}
	}
	if err := writable(path); err != nil {
		return &PathError{Op: "set", Path: path, Err: err}
	}
	out, err := sjson.SetRawBytes(d.bytes(), path, value)
	if err != nil {
		return &PathError{Op: "set", Path: path, Err: err}
	}
	d.set(out)
	return nil
}

// setNode writes value at path below n, creating objects on the way. It
// returns false, having changed nothing, if a part of the path runs into a
// value that is not an object.
func setNode(n *node, path string, value []byte) bool {
	// First check that the write can be done here, so a fallback leaves the
	// index untouched.
	probe, p := n, path
	for {
		if !probe.expand() || probe.loose {
			return false
		}
		part, rest, last := nextPart(p)
		i := probe.child(part)
		if i < 0 || last {
			break
		}
		probe, p = &probe.kids[i], rest
	}
	for {
		n.modified = true
		part, rest, last := nextPart(path)
		i := n.child(part)
		if i < 0 {
			key, esc := memberName(part)
			n.kids = append(n.kids, node{key: key, esc: esc})
			i = len(n.kids) - 1
			if !last {
				k := &n.kids[i]
				k.expanded, k.modified = true, true
			}
		}
		k := &n.kids[i]
		if last {
			*k = node{key: k.key, esc: k.esc, raw: value}
			return true
		}
		n, path = k, rest
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

// del removes path from the document.
func (d *document) del(path string) error {
	if ok, digits := simplePath(path); ok && !digits {
		if n := d.index(false); n != nil {
			changed, ok := delNode(n, path)
			if changed {
				d.dirty = true
			}
			if ok {
				return nil
			}
		}
	}
	if err := writable(path); err != nil {
		return &PathError{Op: "delete", Path: path, Err: err}
	}
	out, err := sjson.DeleteBytes(d.bytes(), path)
	if err != nil {
		return &PathError{Op: "delete", Path: path, Err: err}
	}
	d.set(out)
	return nil
}

// delNode removes path below n and reports whether anything changed. ok is
// false, and nothing changed, if the deletion must be left to sjson.
func delNode(n *node, path string) (changed, ok bool) {
	var trail []*node
	for {
		if !n.expand() {
			return false, true
		}
		if n.loose {
			return false, false
		}
		part, rest, last := nextPart(path)
		i := n.child(part)
		if i < 0 {
			return false, true
		}
		trail = append(trail, n)
		if last {
			n.kids = append(n.kids[:i:i], n.kids[i+1:]...)
			for _, t := range trail {
				t.modified = true
			}
			return true, true
		}
		n, path = &n.kids[i], rest
	}
}
