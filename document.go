package weir

import (
	"errors"
	"slices"
	"unsafe"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// document holds one JSON (or arbitrary) byte payload of a Message together
// with a lazily built index of it.
//
// The index is a table of nodes over the bytes. Expanding an object costs
// one pass over its text and records where every member's name and value
// are, so any number of later reads of that object cost a short search each
// instead of a rescan of the payload. Writes to plain paths change the table
// only (new bytes go to an append-only arena) and mark the objects on the
// way as modified; the payload is rebuilt in one pass the next time it is
// asked for, and the index is then dropped.
//
// Nodes hold offsets, not pointers, so the table is one pointer-free
// allocation the garbage collector does not scan. Bytes are never modified
// once stored or handed out: Values and Data results stay valid.
type document struct {
	raw   []byte // the payload; stale while dirty
	arena []byte // names and values written since the last rebuild; append-only
	nodes []node // the index; nodes[0] is the root object

	// The last plain path read or written, as bytes (storing a string
	// stores a pointer, which costs a write barrier while the collector
	// marks; paths longer than memoMax are not remembered). memoNode is
	// the node it led to (-1: missing), valid (memoOK) until the next
	// write: a pipeline often reads a field twice in a row (a condition
	// tests it, then a transform copies it), or reads what it just wrote.
	memoPath [memoMax]byte
	memoLen  uint8
	memoNode int32
	// parNode is the object that memoPath[:parLen] (the path up to the
	// dot before its last part) leads to, valid (parOK) until a write
	// elsewhere or a deletion: paths read or written in a row often share
	// all but their last part ("ecs.event.action", "ecs.event.id"), and
	// their object is then not looked up again. parW says the objects on
	// the way are marked modified (a write left the memo), so that a write
	// may use it too.
	parNode int32
	parLen  uint32
	// basis is the size of the event a metadata document is built from
	// (the length of its message's data), by which its arena is sized.
	basis uint32

	indexed bool // nodes[0] is valid
	dirty   bool // the index holds changes not yet in raw
	valid   bool // raw was checked to be JSON (or empty) before a write
	memoOK  bool
	parOK   bool
	parW    bool
}

// memoMax is the longest path the document remembers (see memoPath).
const memoMax = 48

// setMemo remembers path, and reports whether it could (see memoPath).
func (d *document) setMemo(path string) bool {
	if len(path) > memoMax {
		d.memoOK, d.parOK = false, false
		return false
	}
	d.memoLen = uint8(copy(d.memoPath[:], path))
	return true
}

// memoIs reports whether the remembered path is path.
func (d *document) memoIs(path string) bool {
	return int(d.memoLen) == len(path) && string(d.memoPath[:d.memoLen]) == path
}

// setBasis sets the event size by which a metadata document's arena is
// sized (see arenaCap).
func (d *document) setBasis(n int) { d.basis = uint32(min(n, 1<<30)) }

// node is one JSON value in the index: an object member (or the root).
type node struct {
	ks, kl      uint32 // member name as written between its quotes
	vs, vl      uint32 // value text; stale when modified
	first, last int32  // members of an expanded object, -1 if none
	next        int32  // next member of the parent, -1 if last
	flags       uint8
	k0          byte // first byte of the name, to skip most mismatches cheaply
	// ascii: the value is a string checked (see parseObject's check) to
	// hold printable ASCII only and no escapes, so that a copy of it is
	// written as it stands (see appendValueOf).
	ascii bool
}

const (
	keyInArena uint8 = 1 << iota // ks indexes the arena, else raw
	valInArena                   // vs indexes the arena, else raw
	keyEscaped                   // the name holds escapes
	plainStr                     // the value is a string without escapes
	expanded                     // first..last hold every member
	modified                     // rebuild the text from the members
	loose                        // white space between tokens: leave writes to sjson
	escKeys                      // some member names hold escapes
)

// set replaces the payload and drops the index.
func (d *document) set(b []byte) {
	d.raw = b
	d.valid = false
	d.reset()
}

// errNotJSON is the cause of the error of a write into a payload that is
// not valid JSON: writing into it would make broken output.
var errNotJSON = errors.New("the payload is not valid JSON; it cannot be written into")

// checkJSON fails if the payload, about to be written into, is neither
// valid JSON nor empty. It checks the text once, before the first write:
// what a write leaves is valid.
//
// If index is set and the payload is an object not indexed yet, the check
// and the index are one pass over the text (see checkIndex), with room for
// an arena if write is set too: a caller sets index when it reads or
// writes through the index next.
func (d *document) checkJSON(index, write bool) error {
	if d.valid || d.dirty {
		return nil
	}
	return d.check(index, write)
}

// check is checkJSON for a payload not checked yet.
func (d *document) check(index, write bool) error {
	b := d.raw
	switch i := vjSpace(b, 0); {
	case i == len(b):
	case index && b[i] == '{' && !d.indexed:
		if !d.checkIndex(i, write) {
			return errNotJSON
		}
	case !validJSON(b): // validJSON answers as gjson.ValidBytes does, faster.
		return errNotJSON
	}
	d.valid = true
	return nil
}

// checkIndex indexes the payload, an object starting at raw[i], as
// index and expand(0) would, checking on the way that it is valid JSON as
// validJSON would: the values the index skips (arrays, scalars, objects
// nested deeper than maxEagerDepth) are checked too, and only white space
// may follow the object. It returns false, and leaves no index, if the
// payload is not valid JSON.
func (d *document) checkIndex(i int, write bool) bool {
	b := d.raw
	if d.nodes == nil {
		d.alloc(len(b)/40+8, arenaIf(write))
	}
	d.nodes = append(d.nodes[:0], node{})
	end, first, last, compact, escs := d.parseObject(b, i, 0, 0, 0, true)
	if end < 0 || vjSpace(b, end) != len(b) {
		d.nodes = d.nodes[:0]
		return false
	}
	flags := expanded
	if escs {
		flags |= escKeys
	}
	if !compact || i > 0 || end < len(b) {
		flags |= loose
	}
	d.nodes[0] = node{vs: uint32(i), vl: uint32(end - i), first: first, last: last, next: -1, flags: flags}
	d.indexed = true
	return true
}

// reuse replaces the payload with b and drops the index, keeping the
// memory of the index and the arena for the new payload: everything read
// from the document before becomes invalid.
func (d *document) reuse(b []byte) {
	d.memoOK, d.parOK = false, false
	d.raw = b
	d.valid = false
	d.nodes = d.nodes[:0]
	d.indexed = false
	d.dirty = false
	d.arena = d.arena[:0]
}

// reset drops the index. The arena is not reused: Values may still point
// into it.
func (d *document) reset() {
	d.memoOK, d.parOK = false, false
	d.nodes = d.nodes[:0]
	d.indexed = false
	d.dirty = false
	d.arena = nil
}

// key returns member n's name as written between its quotes.
//
// key and val make their slices without bounds checks (a dozen
// instructions each, on every member read or written out): nodes are
// built within their buffers, and dropped with them (see set and reuse).
func (d *document) key(n *node) []byte {
	b := unsafe.Pointer(unsafe.SliceData(d.raw))
	if n.flags&keyInArena != 0 {
		b = unsafe.Pointer(unsafe.SliceData(d.arena))
	}
	return unsafe.Slice((*byte)(unsafe.Add(b, n.ks)), n.kl)
}

// val returns node n's value text, with no room to append to it.
func (d *document) val(n *node) []byte {
	b := unsafe.Pointer(unsafe.SliceData(d.raw))
	if n.flags&valInArena != 0 {
		b = unsafe.Pointer(unsafe.SliceData(d.arena))
	}
	return unsafe.Slice((*byte)(unsafe.Add(b, n.vs)), n.vl)
}

// bytes returns the payload, rebuilding it from the index if it was changed.
func (d *document) bytes() []byte {
	if !d.dirty {
		return d.raw
	}
	root := &d.nodes[0]
	var pre, post []byte
	if root.flags&valInArena == 0 && int(root.vs+root.vl) <= len(d.raw) {
		pre, post = d.raw[:root.vs], d.raw[root.vs+root.vl:]
	}
	buf := make([]byte, 0, len(pre)+len(post)+d.size(0))
	buf = append(buf, pre...)
	buf = d.appendTo(buf, 0)
	buf = append(buf, post...)
	d.raw = buf
	d.reset()
	return buf
}

// index makes sure nodes[0] is the root object. An empty payload is indexed
// as an empty object when create is set. It returns false if the payload is
// not an object.
func (d *document) index(create bool) bool {
	// Small enough to be inlined: most calls find the index built.
	return d.indexed || d.indexRoot(create)
}

// indexRoot is index for a document not indexed yet.
func (d *document) indexRoot(create bool) bool {
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
			return false
		}
		d.raw = nil
		if d.nodes == nil {
			d.alloc(metaNodes, 0)
		}
		d.nodes = append(d.nodes[:0], node{first: -1, last: -1, next: -1, flags: expanded | valInArena})
	case b[i] != '{' || b[j-1] != '}':
		return false
	default:
		n := node{vs: uint32(i), vl: uint32(j - i), first: -1, last: -1, next: -1}
		if i > 0 || j < len(b) {
			n.flags |= loose
		}
		if d.nodes == nil {
			d.alloc(len(b)/40+8, arenaIf(create))
		}
		d.nodes = append(d.nodes[:0], n)
	}
	d.indexed = true
	return true
}

// expand records the members of object node x, and of the objects nested
// in it, in one pass over its text. It returns false if the node is not a
// well-formed object; such a node is left to gjson and sjson.
func (d *document) expand(x int32) bool {
	// Small enough to be inlined: most calls find x expanded.
	return d.nodes[x].flags&expanded != 0 || d.expandText(x)
}

// expandText is expand for a node not expanded yet.
func (d *document) expandText(x int32) bool {
	n := d.nodes[x]
	b := d.val(&n)
	if len(b) < 2 || b[0] != '{' {
		return false
	}
	start := len(d.nodes)
	end, first, last, compact, escs := d.parseObject(b, 0, n.vs, n.flags&valInArena, 0, false)
	if end != len(b) {
		d.nodes = d.nodes[:start]
		return false
	}
	p := &d.nodes[x]
	p.first, p.last = first, last
	p.flags |= expanded
	if escs {
		p.flags |= escKeys
	}
	if !compact {
		p.flags |= loose
	}
	return true
}

// maxEagerDepth bounds how deep parseObject indexes nested objects in one
// go; deeper ones are skipped and indexed when first read.
const maxEagerDepth = 8

// parseObject indexes the object starting at b[i] (a '{'), appending a node
// for each member; members whose values are objects are indexed too (up to
// maxEagerDepth), so that their text is scanned once. base is b's offset in
// its buffer and inArena says which buffer. It returns the index just past
// the object (-1 if it is malformed), the first and last member, whether
// the object is compact (no white space between tokens) and whether a
// member name holds escapes.
//
// With check set it also fails (-1) where validJSON would: on strings
// with control characters or bad escapes, on malformed numbers and
// literals, and on anything malformed in the values it does not index
// (arrays, objects deeper than maxEagerDepth), which it checks with
// vjValue. Without it, only the structure the index needs is checked.
func (d *document) parseObject(b []byte, i int, base uint32, inArena uint8, depth int, check bool) (end int, first, last int32, compact, escs bool) {
	first, last = -1, -1
	compact = i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '}')
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, -1, -1, compact, false
	}
	flags := inArena | inArena>>1 // names and values live where the object does
	for {
		if i >= len(b) || b[i] != '"' {
			return -1, -1, -1, false, false
		}
		ks := i + 1
		var ke int
		var esc bool
		if check {
			var ok bool
			if ke, esc, ok = vjString(b, ks); !ok {
				ke = -1
			}
		} else {
			ke, esc = scanString(b, i)
		}
		if ke < 0 {
			return -1, -1, -1, false, false
		}
		// Compact JSON has no white space; look for it only when needed.
		i = ke
		if i < len(b) && b[i] != ':' {
			i = skipWS(b, i)
			compact = false
		}
		if i >= len(b) || b[i] != ':' {
			return -1, -1, -1, false, false
		}
		j := i + 1
		if j < len(b) && isWS(b[j]) {
			j = skipWS(b, j)
			compact = false
		}
		var k0 byte
		if ke-1 > ks {
			k0 = b[ks]
		}
		nf := flags
		if esc {
			nf |= keyEscaped
			escs = true
		}
		f, l := int32(-1), int32(-1)
		var ve int
		ascii := false
		switch {
		case j >= len(b):
			return -1, -1, -1, false, false
		case b[j] == '"':
			var vesc bool
			if check {
				var high, ok bool
				if ve, vesc, high, ok = vjStringHigh(b, j+1); !ok {
					ve = -1
				}
				ascii = !vesc && !high
			} else {
				ve, vesc = scanString(b, j)
			}
			if !vesc {
				nf |= plainStr
			}
		case b[j] == '{' && depth < maxEagerDepth:
			// Members of a nested object go in the table before it.
			var c, e bool
			ve, f, l, c, e = d.parseObject(b, j, base, inArena, depth+1, check)
			nf |= expanded
			if e {
				nf |= escKeys
			}
			if !c {
				nf |= loose
			}
		case check:
			var ok bool
			if ve, ok = vjValue(b, j); !ok {
				ve = -1
			}
		default:
			ve = scanValue(b, j)
		}
		if ve < 0 {
			return -1, -1, -1, false, false
		}
		// The node is written in place: append would build it apart
		// and copy it.
		nodes := d.nodes
		k := len(nodes)
		if k == cap(nodes) {
			nodes = slices.Grow(nodes, 1)
		}
		nodes = nodes[:k+1]
		n := &nodes[k]
		n.ks, n.kl, n.k0 = base+uint32(ks), uint32(ke-1-ks), k0
		n.vs, n.vl = base+uint32(j), uint32(ve-j)
		n.first, n.last, n.next, n.flags = f, l, -1, nf
		n.ascii = ascii
		if last >= 0 {
			nodes[last].next = int32(k)
		} else {
			first = int32(k)
		}
		last = int32(k)
		d.nodes = nodes
		i = ve
		if i < len(b) && isWS(b[i]) {
			i = skipWS(b, i)
			compact = false
		}
		if i >= len(b) {
			return -1, -1, -1, false, false
		}
		if b[i] == '}' {
			return i + 1, first, last, compact, escs
		}
		if b[i] != ',' {
			return -1, -1, -1, false, false
		}
		i++
		if i < len(b) && isWS(b[i]) {
			i = skipWS(b, i)
			compact = false
		}
	}
}

// child returns the first member of object x named name, or -1.
func (d *document) child(x int32, name string) int32 {
	nodes := d.nodes
	if nodes[x].flags&escKeys != 0 {
		return d.childEscaped(x, name)
	}
	kl := uint32(len(name))
	var c0 byte
	if kl > 0 {
		c0 = name[0]
	}
	// The members are reached without bounds checks (two of the eight
	// instructions spent on each member passed over): first and next hold
	// indexes of the table, or -1.
	base := unsafe.Pointer(unsafe.SliceData(nodes))
	for k := nodes[x].first; k >= 0; {
		n := (*node)(unsafe.Add(base, uintptr(k)*unsafe.Sizeof(node{})))
		if n.kl == kl && n.k0 == c0 && d.keyIs(n, name) {
			return k
		}
		k = n.next
	}
	return -1
}

// keyIs reports whether member n's name, of len(name) bytes, is name
// (key, with the length the caller has compared: fewer instructions).
func (d *document) keyIs(n *node, name string) bool {
	b := unsafe.Pointer(unsafe.SliceData(d.raw))
	if n.flags&keyInArena != 0 {
		b = unsafe.Pointer(unsafe.SliceData(d.arena))
	}
	return unsafe.String((*byte)(unsafe.Add(b, n.ks)), len(name)) == name
}

// childEscaped is child for objects with escaped member names.
func (d *document) childEscaped(x int32, name string) int32 {
	for k := d.nodes[x].first; k >= 0; k = d.nodes[k].next {
		n := &d.nodes[k]
		key := d.key(n)
		if n.flags&keyEscaped != 0 {
			if gjson.Parse(`"`+string(key)+`"`).Str == name {
				return k
			}
		} else if string(key) == name {
			return k
		}
	}
	return -1
}

// size returns an upper bound of node x's text length.
func (d *document) size(x int32) int {
	n := &d.nodes[x]
	if n.flags&modified == 0 {
		return int(n.vl)
	}
	s := 2
	for k := n.first; k >= 0; {
		c := &d.nodes[k]
		s += int(c.kl) + 4
		if c.flags&modified == 0 {
			s += int(c.vl)
		} else {
			s += d.size(k)
		}
		k = c.next
	}
	return s
}

// appendTo appends node x's JSON text to buf.
func (d *document) appendTo(buf []byte, x int32) []byte {
	n := &d.nodes[x]
	if n.flags&modified == 0 {
		return append(buf, d.val(n)...)
	}
	buf = append(buf, '{')
	// Members' values are written here unless they are modified objects:
	// most are, and a call each would cost more than the copy.
	for k := n.first; k >= 0; {
		c := &d.nodes[k] // the table does not change while text is built
		buf = append(buf, '"')
		buf = append(buf, d.key(c)...)
		buf = append(buf, '"', ':')
		if c.flags&modified == 0 {
			buf = append(buf, d.val(c)...)
		} else {
			buf = d.appendTo(buf, k)
		}
		if k = c.next; k >= 0 {
			buf = append(buf, ',')
		}
	}
	return append(buf, '}')
}

// text returns node x's current JSON text. The text of a modified object
// is built at the end of the arena: like every arena value, it is never
// changed afterwards.
func (d *document) text(x int32) []byte {
	if n := &d.nodes[x]; n.flags&modified == 0 {
		return d.val(n)
	}
	return d.build(x)
}

// build builds the text of the modified object x at the end of the arena.
func (d *document) build(x int32) []byte {
	var buf []byte
	start := len(d.arena)
	if d.arena != nil {
		// The arena is sized for the text of the objects a pipeline
		// builds (see arenaCap): write it without measuring it first;
		// an arena that runs out grows as any append does.
		buf = d.appendTo(d.arena, x)
	} else {
		size := d.size(x)
		start = d.arenaStart(size)
		buf = d.appendTo(slices.Grow(d.arena, size), x)
	}
	d.setArena(buf)
	return buf[start:len(buf):len(buf)]
}

// get reads p from the document, through the index when p is plain (with
// parts; "@this" has none).
func (d *document) get(p *Path, parts []pathPart) Value {
	if parts == nil || !d.index(false) {
		return d.getText(p)
	}
	var x int32
	if d.memoOK && d.memoIs(p.inner) {
		x = d.memoNode
	} else {
		i, last := 0, len(parts)-1
		if d.parHit(p, parts) {
			x, i = d.parNode, last
		}
		parW := i > 0 && d.parW
		for ; i < len(parts); i++ {
			part := parts[i]
			if !d.expand(x) {
				// Not an object: let gjson resolve the rest (array
				// indexes, or nothing on a scalar).
				return d.getIn(x, p.inner[part.src:])
			}
			if i == last && last > 0 {
				d.parNode, d.parLen, d.parW = x, parts[last].src, parW
			}
			if x = d.child(x, p.name(part)); x < 0 {
				break
			}
		}
		if d.setMemo(p.inner) {
			// The parent memo holds when the walk reached the last part.
			d.parOK = i >= last && last > 0
			d.memoNode, d.memoOK = x, true
		}
	}
	if x < 0 {
		return Value{}
	}
	// Node x's value, without rescanning it (and without a call: every
	// read ends here).
	n := &d.nodes[x]
	var b []byte
	if n.flags&modified == 0 {
		b = d.val(n)
	} else {
		b = d.build(x)
	}
	// A value in the index is well formed: its first byte tells its kind.
	if len(b) == 0 {
		return Value{}
	}
	k := textKinds[b[0]]
	if k == 0 {
		return parsedValue(b2s(b))
	}
	return Value{raw: b2s(b), kind: k - 1, esc: k == 1+uint8(gjson.String) && n.flags&plainStr == 0, ascii: n.ascii}
}

// getIn reads the gjson path rest in node x, which is not an object.
func (d *document) getIn(x int32, rest string) Value {
	return valueOf(gjson.Get(b2s(d.text(x)), rest))
}

// getText reads p from the document's text.
func (d *document) getText(p *Path) Value {
	if p.inner == "@this" {
		return valueOf(gjson.Parse(b2s(d.bytes())))
	}
	return valueOf(getPath(b2s(d.bytes()), p.inner))
}

// parHit reports whether the parent memo holds the object of all parts of
// the plain path p but its last.
func (d *document) parHit(p *Path, parts []pathPart) bool {
	last := len(parts) - 1
	return last > 0 && d.parOK && parts[last].src == d.parLen && p.inner[:d.parLen] == string(d.memoPath[:d.parLen])
}

// setRaw writes the JSON text value at p. If value is the tail of the
// arena (as Message.Set leaves it) it is used in place, else copied there.
func (d *document) setRaw(p *Path, parts []pathPart, value []byte) error {
	return d.store(p, parts, value, false)
}

// store is setRaw, told by tail that value is the arena's tail.
func (d *document) store(p *Path, parts []pathPart, value []byte, tail bool) error {
	d.memoOK = false
	// The usual write: a plain path into a payload checked and indexed.
	if (d.valid || d.dirty) && d.indexed && parts != nil && !p.digits {
		vs, vl := uint32(len(d.arena)-len(value)), uint32(len(value))
		if !tail {
			vs, vl = d.toArena(value)
		}
		if d.setParts(p, parts, vs, vl) {
			d.dirty = true
			return nil
		}
		return d.storeText(p, value)
	}
	return d.storeFirst(p, parts, value, tail)
}

// storeFirst is store for a payload not yet checked or indexed, or a path
// that is not plain.
func (d *document) storeFirst(p *Path, parts []pathPart, value []byte, tail bool) error {
	plain := parts != nil && !p.digits
	if err := d.checkJSON(plain, true); err != nil {
		return &PathError{Op: "set", Path: p.text, Err: err}
	}
	if plain && d.index(true) {
		// Neither the check nor the index changes the arena.
		vs, vl := uint32(len(d.arena)-len(value)), uint32(len(value))
		if !tail {
			vs, vl = d.toArena(value)
		}
		if d.setParts(p, parts, vs, vl) {
			d.dirty = true
			return nil
		}
	}
	return d.storeText(p, value)
}

// storeText writes the JSON text value at p with sjson.
func (d *document) storeText(p *Path, value []byte) error {
	if err := writable(p.inner); err != nil {
		return &PathError{Op: "set", Path: p.text, Err: err}
	}
	out, err := sjson.SetRawBytes(d.bytes(), p.inner, value)
	if err != nil {
		return &PathError{Op: "set", Path: p.text, Err: err}
	}
	d.set(out)
	d.valid = true
	return nil
}

// setArena makes b, the arena extended by an append, the arena. While b
// shares the arena's memory it stores only the new length: storing the
// slice would store its pointer, which costs a write barrier whenever the
// collector is marking, on every write of every event.
func (d *document) setArena(b []byte) {
	if cap(b) == cap(d.arena) && unsafe.SliceData(b) == unsafe.SliceData(d.arena) {
		d.arena = d.arena[:len(b)]
		return
	}
	d.arena = b
}

// arenaStart readies the arena for a value of about hint bytes and returns
// where the value will start.
func (d *document) arenaStart(hint int) int {
	if d.arena == nil {
		d.newArena(hint)
	}
	return len(d.arena)
}

// alloc gives the document room for nodes index nodes and, when arenaHint
// is not negative and it has no arena yet, an arena for a first value of
// about arenaHint bytes (see newArena), in one allocation: a document that
// is written to usually needs both.
func (d *document) alloc(nodes, arenaHint int) {
	if arenaHint < 0 || d.arena != nil {
		d.nodes = roundUp(nodes)[:0]
		return
	}
	arena := d.arenaCap(arenaHint)
	mem := roundUp(nodes + (arena+nodeSize-1)/nodeSize)
	d.nodes = mem[:0:nodes]
	tail := mem[nodes:]
	// Nodes hold no pointers, so their memory may serve as bytes.
	d.arena = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(tail))), len(tail)*nodeSize)[:0]
}

// roundUp returns a new slice of at least n nodes, all the allocator gives
// for n: it rounds an allocation up to its next size class (by up to an
// eighth), and the room would otherwise go unused.
func roundUp(n int) []node {
	s := append([]node(nil), make([]node, n)...) // one allocation, see growslice
	return s[:cap(s)]
}

// arenaIf returns the arena hint of alloc: 0 (an arena) when a write is
// coming, else -1 (none).
func arenaIf(write bool) int {
	if write {
		return 0
	}
	return -1
}

// nodeSize is the size of a node in bytes.
const nodeSize = int(unsafe.Sizeof(node{}))

// newArena makes the arena, for a first value of about hint bytes. It is
// sized for what a normalization pipeline usually writes into one event
// (the values, then the text of the objects they changed, built once), so
// that an event costs one arena allocation, not a series of growths.
func (d *document) newArena(hint int) {
	if d.nodes == nil {
		// A write comes first: the index comes next; make both at once.
		d.alloc(max(len(d.raw)/40+8, metaNodes), hint)
		return
	}
	d.arena = append([]byte(nil), make([]byte, d.arenaCap(hint))...)[:0] // all of its size class
}

// arenaCap returns the capacity of a new arena for a first value of about
// hint bytes.
//
// A data document's arena holds the values written into it (its text is
// rebuilt apart, see bytes): room for a normalization's writes and a copy
// of the event. A metadata document that a pipeline builds an output event
// in (the Substation idiom: "meta ecs.…" fields, then the object copied to
// the data) also holds the text of that object, built once: measured on W1
// (CloudTrail to ECS, as config and as the idiomatic config, 2,000
// generated events of 0.6 to 1.6 KB) it takes 880 bytes plus 2.6 times
// the size of the event on average (about 3.4 times a 1.1 KB event), and
// at most 290 bytes more: the escaped event (event.original) twice, as a
// value and in the object, and the other fields. 1320 bytes plus 2.5
// times the event covers that up to 1.6 KB events without growing the
// arena, and puts the index and arena of an average W1 event in the
// allocator's 5376-byte size class (the next one up is 6144 bytes).
// Larger events need less than 2.5 times their size (their text is a
// smaller share of their escaping); an arena that runs out grows.
func (d *document) arenaCap(hint int) int {
	if d.basis > 0 {
		return metaArenaSize + len(d.raw) + int(d.basis)*5/2 + hint
	}
	return arenaSize + len(d.raw) + hint
}

// arenaSize is the least capacity of a new arena; metaArenaSize that of a
// metadata document's, which grows with the event (see arenaCap).
const (
	arenaSize     = 4096
	metaArenaSize = 1320
)

// metaNodes is the least number of index nodes of a document that is
// written into: the fields of an output event, with some scratch.
const metaNodes = 40

// setTail writes the arena bytes from start on (a value just appended) at
// p.
func (d *document) setTail(p *Path, parts []pathPart, start int) error {
	return d.store(p, parts, d.arena[start:len(d.arena):len(d.arena)], true)
}

// toArena returns the arena position of value, copying it there unless it
// already is the arena's tail.
func (d *document) toArena(value []byte) (uint32, uint32) {
	if n := len(d.arena); n >= len(value) && len(value) > 0 && &d.arena[n-len(value)] == &value[0] {
		return uint32(n - len(value)), uint32(len(value))
	}
	if d.arena == nil {
		d.newArena(len(value))
	}
	start := len(d.arena)
	d.setArena(append(d.arena, value...))
	return uint32(start), uint32(len(value))
}

// setParts writes the arena bytes vs:vs+vl at the plain path p (with no
// array index), creating objects on the way, and reports whether it could.
// It cannot (and leaves the text unchanged) when it runs into a value that
// is not a compact object: sjson does those. Objects passed on the way are
// marked modified even then, which is harmless: a compact object is rebuilt
// byte for byte.
func (d *document) setParts(p *Path, parts []pathPart, vs, vl uint32) bool {
	var x int32
	i, last := 0, len(parts)-1
	if d.parW && d.parHit(p, parts) {
		// The objects on the way are marked modified already.
		x, i = d.parNode, last
	}
	for ; ; i++ {
		if !d.expand(x) {
			return false
		}
		o := &d.nodes[x]
		if o.flags&loose != 0 {
			return false
		}
		o.flags |= modified
		name := p.name(parts[i])
		k := d.child(x, name)
		if k < 0 {
			for {
				k = d.addMember(x, name, parts[i].high)
				if i == last {
					break
				}
				d.nodes[k].flags |= expanded | modified
				x = k
				i++
				name = p.name(parts[i])
			}
		} else if i < last {
			x = k
			continue
		}
		n := &d.nodes[k]
		n.vs, n.vl = vs, vl
		n.first, n.last = -1, -1
		n.flags = n.flags&(keyInArena|keyEscaped) | valInArena
		n.ascii = false
		// p now leads to k, and all of p but its last part to x.
		if d.setMemo(p.inner) {
			d.memoNode, d.memoOK = k, true
			d.parNode, d.parLen, d.parOK, d.parW = x, parts[last].src, last > 0, true
		}
		return true
	}
}

// addMember appends a member named name to object x and returns it.
func (d *document) addMember(x int32, name string, high bool) int32 {
	key, esc := name, false
	if high {
		key, esc = memberName(name)
	}
	ks := len(d.arena)
	if cap(d.arena)-ks >= len(key) && d.arena != nil {
		// In place: only the arena's length changes (see setArena).
		copy(d.arena[ks:cap(d.arena)], key)
		d.arena = d.arena[:ks+len(key)]
	} else {
		if d.arena == nil {
			d.newArena(len(name))
			ks = 0
		}
		d.setArena(append(d.arena, key...))
	}
	flags := keyInArena | valInArena
	if esc {
		flags |= keyEscaped
	}
	k := int32(len(d.nodes))
	var k0 byte
	if len(key) > 0 {
		k0 = key[0]
	}
	// The node is written in place: building it apart and copying it in
	// costs more.
	if len(d.nodes) == cap(d.nodes) {
		d.nodes = slices.Grow(d.nodes, 1)
	}
	d.nodes = d.nodes[:k+1]
	// Nodes are reached without bounds checks, as in child: x and its
	// last member are nodes of the table, k was just added.
	base := unsafe.Pointer(unsafe.SliceData(d.nodes))
	n := (*node)(unsafe.Add(base, uintptr(k)*unsafe.Sizeof(node{})))
	n.ks, n.kl, n.vs, n.vl = uint32(ks), uint32(len(key)), 0, 0
	n.first, n.last, n.next = -1, -1, -1
	n.flags, n.k0, n.ascii = flags, k0, false
	p := (*node)(unsafe.Add(base, uintptr(x)*unsafe.Sizeof(node{})))
	if esc {
		p.flags |= escKeys
	}
	if p.first < 0 {
		p.first = k
	} else {
		(*node)(unsafe.Add(base, uintptr(p.last)*unsafe.Sizeof(node{}))).next = k
	}
	p.last = k
	return k
}

// del removes p from the document.
func (d *document) del(p *Path, parts []pathPart) error {
	d.memoOK, d.parOK = false, false
	plain := parts != nil && !p.digits
	if err := d.checkJSON(plain, false); err != nil {
		return &PathError{Op: "delete", Path: p.text, Err: err}
	}
	if plain && d.index(false) {
		if changed, handled := d.delParts(p, parts); handled {
			if changed {
				d.dirty = true
			}
			return nil
		}
	}
	if err := writable(p.inner); err != nil {
		return &PathError{Op: "delete", Path: p.text, Err: err}
	}
	out, err := sjson.DeleteBytes(d.bytes(), p.inner)
	if err != nil {
		return &PathError{Op: "delete", Path: p.text, Err: err}
	}
	d.set(out)
	d.valid = true
	return nil
}

// delParts removes the plain path p (with no array index) below the root
// and reports whether anything changed. handled is false, and nothing
// changed, if the deletion must be left to sjson.
func (d *document) delParts(p *Path, parts []pathPart) (changed, handled bool) {
	var trail [8]int32
	objs := trail[:0]
	var x int32
	for i := range parts {
		if !d.expand(x) {
			return false, true // not an object: nothing to delete
		}
		if d.nodes[x].flags&loose != 0 {
			return false, false
		}
		k := d.child(x, p.name(parts[i]))
		if k < 0 {
			return false, true
		}
		objs = append(objs, x)
		if i < len(parts)-1 {
			x = k
			continue
		}
		// Unlink k from x's members.
		n := &d.nodes[x]
		if n.first == k {
			n.first = d.nodes[k].next
			if n.last == k {
				n.last = -1
			}
		} else {
			prev := n.first
			for d.nodes[prev].next != k {
				prev = d.nodes[prev].next
			}
			d.nodes[prev].next = d.nodes[k].next
			if n.last == k {
				n.last = prev
			}
		}
		for _, o := range objs {
			d.nodes[o].flags |= modified
		}
		return true, true
	}
	return false, true
}
