package weir

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// metaPrefix marks a path that addresses a message's metadata, as in
// Substation: "meta foo" is the path "foo" in the metadata.
const metaPrefix = "meta "

// Message is one event moving through a pipeline: its data (usually a JSON
// object, but any bytes), its metadata (JSON by convention) and whether it is
// a control message.
//
// Fields are read with [Message.Get] and written with [Message.Set],
// [Message.SetRaw] and [Message.Delete] using GJSON/SJSON paths; a path that
// starts with "meta " addresses the metadata. Reads and writes of plain dotted
// paths ("a.b.c") are served from an index built once per message, so reading
// many fields costs one scan of the event and building an object field by
// field does not copy it per field; other paths (wildcards, array queries,
// modifiers) are handed to gjson/sjson.
//
// A Message is not safe for concurrent use; [Message.Clone] one to fan out.
// A Message takes ownership of the byte slices given to it: callers must not
// modify them afterwards. Slices returned by Data and Metadata must not be
// modified either.
type Message struct {
	data document
	meta document
	ctrl bool
	self [1]*Message // backs AsSlice
}

// NewMessage returns a data message holding data, which it takes ownership
// of.
func NewMessage(data []byte) *Message {
	m := &Message{}
	m.data.raw = data
	m.meta.setBasis(len(data))
	return m
}

// Reset makes m a data message holding data, as NewMessage(data) would,
// reusing the memory m holds: a loop that handles one message at a time
// and is done with each before the next can process a stream of events
// without allocating per event. After Reset, every slice and [Value]
// obtained from m before (its Data and Metadata included) is invalid, as are
// messages that share m's memory: those produced from m by [Message.Clone],
// and messages whose data was set with [Message.SetDataValue] to a Value of
// m. It returns m.
func (m *Message) Reset(data []byte) *Message {
	m.ctrl = false
	m.data.reuse(data)
	m.meta.reuse(nil)
	m.meta.setBasis(len(data))
	return m
}

// NewControl returns a control message. Control messages carry no data;
// they tell stateful transforms to flush what they hold, and every
// transform passes them on.
func NewControl() *Message {
	return &Message{ctrl: true}
}

// IsControl reports whether m is a control message.
func (m *Message) IsControl() bool { return m.ctrl }

// Data returns the message data. It returns nil for a control message.
func (m *Message) Data() []byte {
	if m.ctrl {
		return nil
	}
	return m.data.bytes()
}

// SetData replaces the message data, taking ownership of data, and returns
// m. It does nothing on a control message.
func (m *Message) SetData(data []byte) *Message {
	if !m.ctrl {
		m.data.set(data)
	}
	return m
}

// Metadata returns the message metadata. It returns nil for a control
// message.
func (m *Message) Metadata() []byte {
	if m.ctrl {
		return nil
	}
	return m.meta.bytes()
}

// SetMetadata replaces the message metadata, taking ownership of meta, and
// returns m. It does nothing on a control message.
func (m *Message) SetMetadata(meta []byte) *Message {
	if !m.ctrl {
		m.meta.set(meta)
	}
	return m
}

// AsSlice returns a one-element slice holding m without allocating: the
// slice shares an array inside m. It is the cheap way for a transform to
// return its input:
//
//	return msg.AsSlice(), nil
//
// Appending to the slice copies it, as its capacity is one.
func (m *Message) AsSlice() []*Message {
	if m.self[0] != m {
		// Stored once: a pointer store costs a write barrier while the
		// collector marks, and pipelines call this for every transform.
		m.self[0] = m
	}
	return m.self[:]
}

// String returns the message data as a string.
func (m *Message) String() string { return string(m.Data()) }

// Clone returns an independent copy of m. It is cheap: the copy shares the
// (immutable) bytes of m.
func (m *Message) Clone() *Message {
	c := &Message{ctrl: m.ctrl}
	if !m.ctrl {
		c.data.raw = m.data.bytes()
		c.meta.raw = m.meta.bytes()
		c.meta.setBasis(len(c.data.raw))
	}
	return c
}

// doc returns the document p addresses.
func (m *Message) doc(p *Path) *document {
	if p.meta {
		return &m.meta
	}
	return &m.data
}

// maxStackParts is how many parts a path given as a string may have before
// parsing it allocates.
const maxStackParts = 8

// trimSpace is strings.TrimSpace with a fast exit for the usual path that
// has no surrounding space.
func trimSpace(s string) string {
	if len(s) > 0 && s[0] > ' ' && s[len(s)-1] > ' ' {
		return s
	}
	return strings.TrimSpace(s)
}

// Get returns the value at path; the Value is missing if the path does not
// exist or the payload is not JSON. A path that starts with "meta " reads the
// metadata.
func (m *Message) Get(path string) Value {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.get(&p, parts)
}

func (m *Message) get(p *Path, parts []pathPart) Value {
	if m.ctrl {
		return Value{}
	}
	return m.doc(p).get(p, parts)
}

// Set writes v at path, creating objects on the way, and returns a
// *[PathError] if the path cannot be written. A path that starts with "meta "
// writes the metadata.
//
// A payload that is neither valid JSON nor empty is not written into: every
// write (Set and its variants, SetRaw, Delete) fails with a *PathError
// matching [ErrInvalidData] and leaves it as it was, where Substation would
// make broken JSON of it. Reads stay lenient. The payload is checked once,
// before its first write (about 1 µs for a 700-byte event).
//
// Values are encoded as Substation encodes them, so outputs match it byte for
// byte: a [Value] is written as its JSON text (a string Value that holds a
// JSON object or array as that JSON); a string or []byte that holds a
// JSON object or array is written as that JSON; other strings and valid UTF-8
// []byte as JSON strings; other []byte as base64 strings; json.RawMessage as
// is; numbers, booleans and nil as JSON; anything else with encoding/json.
func (m *Message) Set(path string, v any) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.set(&p, parts, v)
}

func (m *Message) set(p *Path, parts []pathPart, v any) error {
	if m.ctrl {
		return ErrControl
	}
	d := m.doc(p)
	start := d.arenaStart(0)
	arena, err := appendValue(d.arena, v)
	if err != nil {
		return &PathError{Op: "set", Path: p.text, Err: err}
	}
	d.setArena(arena)
	return d.setTail(p, parts, start)
}

// SetValue is Set for a Value (the usual way to copy a field), without the
// allocation of passing it as an interface.
func (m *Message) SetValue(path string, v Value) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.setValue(&p, parts, v)
}

func (m *Message) setValue(p *Path, parts []pathPart, v Value) error {
	if m.ctrl {
		return ErrControl
	}
	d := m.doc(p)
	start := d.arenaStart(0)
	d.setArena(appendValueOf(d.arena, v))
	return d.setTail(p, parts, start)
}

// SetText is Set for a string without the allocation of passing it as an
// interface: it writes exactly what Set(path, s) writes (a string holding a
// JSON object or array as that JSON, any other as a JSON string).
func (m *Message) SetText(path, s string) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.setText(&p, parts, s)
}

func (m *Message) setText(p *Path, parts []pathPart, s string) error {
	if m.ctrl {
		return ErrControl
	}
	d := m.doc(p)
	start := d.arenaStart(len(s))
	d.setArena(appendText(d.arena, s))
	return d.setTail(p, parts, start)
}

// SetInt is Set for an int64 without the allocation of passing it as an
// interface.
func (m *Message) SetInt(path string, n int64) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.setInt(&p, parts, n)
}

func (m *Message) setInt(p *Path, parts []pathPart, n int64) error {
	if m.ctrl {
		return ErrControl
	}
	d := m.doc(p)
	start := d.arenaStart(0)
	d.setArena(appendInt(d.arena, n))
	return d.setTail(p, parts, start)
}

// SetString writes s at path as a JSON string, escaped as Set escapes
// strings. Unlike Set, it never writes a string that holds JSON as that
// JSON: the field is always a string.
func (m *Message) SetString(path, s string) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.setString(&p, parts, s)
}

func (m *Message) setString(p *Path, parts []pathPart, s string) error {
	if m.ctrl {
		return ErrControl
	}
	d := m.doc(p)
	start := d.arenaStart(len(s))
	d.setArena(appendString(d.arena, s))
	return d.setTail(p, parts, start)
}

// SetDataValue replaces the data with v as [Value.Bytes] gives it (a
// string unquoted, anything else as its JSON text), sharing v's memory
// instead of copying it: a Message never modifies bytes it holds. It
// returns m, and does nothing on a control message.
func (m *Message) SetDataValue(v Value) *Message {
	if m.ctrl {
		return m
	}
	s := v.String() // shares the message's text unless it holds escapes
	m.data.set(unsafe.Slice(unsafe.StringData(s), len(s)))
	return m
}

// SetRaw writes the JSON text raw at path unchanged. The caller promises raw
// is valid JSON and gives up ownership of it.
func (m *Message) SetRaw(path string, raw []byte) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.setRaw(&p, parts, raw)
}

func (m *Message) setRaw(p *Path, parts []pathPart, raw []byte) error {
	if m.ctrl {
		return ErrControl
	}
	return m.doc(p).setRaw(p, parts, raw)
}

// Delete removes the value at path. Deleting a missing path is not an error.
func (m *Message) Delete(path string) error {
	var buf [maxStackParts]pathPart
	p, parts := parsePath(path, buf[:0])
	return m.delete(&p, parts)
}

func (m *Message) delete(p *Path, parts []pathPart) error {
	if m.ctrl {
		return ErrControl
	}
	return m.doc(p).del(p, parts)
}

// appendValue appends the JSON text Set writes for v to dst.
func appendValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendText(dst, v), nil
	case Value:
		return appendValueOf(dst, v), nil
	case json.RawMessage:
		return append(dst, v...), nil
	case []byte:
		if isJSONContainer(v) {
			return append(dst, v...), nil
		}
		if !utf8.Valid(v) {
			return appendString(dst, base64.StdEncoding.EncodeToString(v)), nil
		}
		return appendString(dst, b2s(v)), nil
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case float32:
		return strconv.AppendFloat(dst, float64(v), 'f', -1, 64), nil
	case float64:
		return strconv.AppendFloat(dst, v, 'f', -1, 64), nil
	default:
		b, err := json.Marshal(v)
		return append(dst, b...), err
	}
}

// appendValueOf appends the JSON text Set writes for a Value.
func appendValueOf(dst []byte, v Value) []byte {
	switch {
	case v.raw == "":
		return append(dst, "null"...)
	case gjson.Type(v.kind) == gjson.String:
		// A string holding a JSON object or array is written as that JSON;
		// any other string is written anew, as sjson writes a Go string
		// (so "ATT&CK\n" becomes "ATT\u0026CK\n", as in Substation).
		var s string
		if v.esc {
			s = v.String()
		} else {
			s = v.raw[1 : len(v.raw)-1] // v.String(), without a call
		}
		if isJSONContainer(unsafe.Slice(unsafe.StringData(s), len(s))) {
			return append(dst, s...)
		}
		if v.ascii || !v.esc && !ctlOrHigh(s) {
			// Its text holds no '"' or '\\' (no escapes), and nothing else
			// sjson escapes: written as it stands.
			return append(dst, v.raw...)
		}
		return appendString(dst, s)
	case gjson.Type(v.kind) == gjson.Number:
		return appendNumber(dst, v.raw)
	}
	return append(dst, v.raw...)
}

// appendInt appends n in decimal, as strconv.AppendInt(dst, n, 10) does,
// with fewer instructions for the long numbers a pipeline writes (Unix
// times in milliseconds or nanoseconds): the digits are written backwards
// into a word-aligned buffer, two at a time, and copied once.
func appendInt(dst []byte, n int64) []byte {
	var a [24]byte
	i := len(a)
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	for u >= 100 {
		q := u / 100
		r := u - q*100
		i -= 2
		a[i], a[i+1] = digitPairs[r*2], digitPairs[r*2+1]
		u = q
	}
	if u >= 10 {
		i -= 2
		a[i], a[i+1] = digitPairs[u*2], digitPairs[u*2+1]
	} else {
		i--
		a[i] = byte('0' + u)
	}
	if n < 0 {
		i--
		a[i] = '-'
	}
	return append(dst, a[i:]...)
}

// digitPairs holds the two decimal digits of 0 to 99.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendNumber appends the JSON number raw as Substation writes a number
// it copies: a whole number as an integer ("7.0" and "7e0" as 7, digits
// beyond float64's precision kept, as gjson reads them), any other as Go
// formats a float64 without an exponent ("1.10" as 1.1). A whole number
// outside the int64 range keeps its text: Substation would write
// -9223372036854775808 for it (see docs/substation-compatibility.md).
func appendNumber(dst []byte, raw string) []byte {
	if plainInt(raw) {
		return append(dst, raw...) // the common case, written as it is
	}
	f, err := strconv.ParseFloat(raw, 64) // as gjson reads it: ErrRange aside
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsInf(f, 0) || math.IsNaN(f) {
		return append(dst, raw...)
	}
	if f != math.Trunc(f) {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	if f < -(1<<63) || f >= 1<<63 {
		return append(dst, raw...)
	}
	return strconv.AppendInt(dst, gjson.Result{Type: gjson.Number, Raw: raw, Num: f}.Int(), 10)
}

// plainInt reports whether raw is an integer of at most 18 digits, which
// gjson reads exactly.
func plainInt(raw string) bool {
	s := strings.TrimPrefix(raw, "-")
	if len(s) == 0 || raw == "-0" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendText appends the JSON text Set writes for the string s, as
// Substation writes a string: a JSON object or array as that JSON; a
// string that begins or ends with double quotes, around JSON, as a string
// without them (`"5"` as "5"); any other as a JSON string.
func appendText(dst []byte, s string) []byte {
	if isJSONContainer(unsafe.Slice(unsafe.StringData(s), len(s))) {
		return append(dst, s...)
	}
	if len(s) > 0 && (s[0] == '"' || s[len(s)-1] == '"') {
		if t := strings.Trim(s, `"`); json.Valid(unsafe.Slice(unsafe.StringData(t), len(t))) {
			s = t
		}
	}
	return appendString(dst, s)
}

// encodeValue returns the JSON text Set writes for v.
func encodeValue(v any) ([]byte, error) { return appendValue(nil, v) }

// isJSONContainer reports whether s is a JSON object or array.
func isJSONContainer(b []byte) bool {
	if len(b) < 2 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	return json.Valid(b)
}

// appendString appends s as a JSON string the way sjson does: plain ASCII
// as is, anything else through encoding/json.
func appendString(buf []byte, s string) []byte {
	if needsEscape(s) {
		return appendEscaped(buf, s)
	}
	buf = slices.Grow(buf, len(s)+2)
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// appendEscaped appends s as a JSON string with the escaping encoding/json's
// Marshal applies (sjson hands such strings to it): '"', '\\' and control
// characters escaped, '<', '>' and '&' as \u003c, \u003e and \u0026, U+2028
// and U+2029 as \u2028 and \u2029, and invalid UTF-8 as \ufffd.
func appendEscaped(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	// JSON text grows by about a tenth when escaped (a quote every ten
	// bytes or so); leave room for an eighth so that one allocation serves.
	buf = slices.Grow(buf, len(s)+len(s)/8+16)
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip the bytes written as they are. (Skipping eight at a time
		// by bit tricks costs more: in JSON text, which is what this
		// usually escapes, a quote comes every ten bytes or so.)
		for i < len(s) && jsonSafe[s[i]] != 0 {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			// Copy the run before c. Runs between quotes are short in JSON
			// text: copy sixteen bytes in two stores when there is room
			// (the bytes past the run are overwritten next), saving a
			// memmove.
			if n := i - start; n <= 16 && start+16 <= len(s) && cap(buf)-len(buf) >= 24 {
				l := len(buf)
				dst, src := buf[l:l+16], unsafe.Slice(unsafe.StringData(s[start:]), 16)
				binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src))
				binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(src[8:]))
				buf = buf[:l+n]
			} else {
				buf = append(buf, s[start:i]...)
			}
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// jsonSafe[c] is 1 for the bytes appendEscaped copies as they are:
// printable ASCII but for '"', '\\', '<', '>' and '&'.
const jsonSafe = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x00\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// needsEscape reports whether s holds a byte that sjson escapes: a control
// character, '"', '\\' or any byte above ASCII. It checks eight bytes at a
// time.
func needsEscape(s string) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := load64(b, i)
		if (x-lsb*' ')&^x&msb|x&msb|hasByte(x, '"')|hasByte(x, '\\') != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < ' ' || c > 0x7f || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// ctlOrHigh reports whether s holds a control character or a byte above
// ASCII: needsEscape for a string known to hold no '"' or '\\'. It checks
// eight bytes at a time.
func ctlOrHigh(s string) bool {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		// A byte below 0x20 borrows into its top bit; one above ASCII has it.
		if x := load64(b, i); (x-lsb*' '|x)&msb != 0 {
			return true
		}
	}
	if i < len(b) && len(b) >= 8 {
		// The last bytes, as the word that ends with them (a byte checked
		// twice is harmless): one step instead of up to seven.
		x := binary.LittleEndian.Uint64(b[len(b)-8:])
		return (x-lsb*' '|x)&msb != 0
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < ' ' || c > 0x7f {
			return true
		}
	}
	return false
}

// AppendJSONString appends s to buf as a JSON string, escaped exactly as
// [Message.Set] escapes strings. Transforms that build JSON by hand use it to
// stay byte-compatible with Set.
func AppendJSONString(buf []byte, s string) []byte { return appendString(buf, s) }
