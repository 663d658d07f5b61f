package weir

import (
	"strconv"

	"github.com/tidwall/gjson"
)

// Value is a read-only view of one field of a [Message], as returned by
// [Message.Get]. The zero Value is a missing field.
//
// A Value may share memory with the message it came from; it stays valid
// after the message is changed, because a Message never rewrites bytes it has
// handed out (until [Message.Reset]).
//
// A Value is three words: the field's JSON text and its kind. Strings are
// unescaped, and numbers parsed, only when asked for.
type Value struct {
	raw   string // JSON text; "" when missing
	kind  uint8  // a gjson.Type
	esc   bool   // a string holding escapes
	ascii bool   // a string known to hold printable ASCII only, no escapes
}

// valueOf returns the Value of a gjson result.
func valueOf(r gjson.Result) Value {
	if !r.Exists() {
		return Value{}
	}
	raw := r.Raw
	if raw == "" {
		// A value gjson computed without text (a modifier's number, …).
		switch r.Type {
		case gjson.Number:
			raw = strconv.FormatFloat(r.Num, 'f', -1, 64)
		case gjson.String:
			raw = string(appendString(nil, r.Str))
		default:
			raw = r.String()
		}
	}
	v := Value{raw: raw, kind: uint8(r.Type)}
	if r.Type == gjson.String && len(r.Str) != len(raw)-2 {
		v.esc = true
	}
	return v
}

// parsedValue returns the Value of the JSON text s as gjson parses it.
func parsedValue(s string) Value { return valueOf(gjson.Parse(s)) }

// textKinds holds, for the first byte of a JSON value's text, 1 + the
// gjson.Type of the value (0: not the start of a value): how a read gives
// the Value of a value in the index, known to be well formed (see
// document.get).
var textKinds = [256]uint8{
	'"': 1 + uint8(gjson.String),
	'{': 1 + uint8(gjson.JSON), '[': 1 + uint8(gjson.JSON),
	't': 1 + uint8(gjson.True), 'f': 1 + uint8(gjson.False), 'n': 1 + uint8(gjson.Null),
	'-': 1 + uint8(gjson.Number), '0': 1 + uint8(gjson.Number), '1': 1 + uint8(gjson.Number),
	'2': 1 + uint8(gjson.Number), '3': 1 + uint8(gjson.Number), '4': 1 + uint8(gjson.Number),
	'5': 1 + uint8(gjson.Number), '6': 1 + uint8(gjson.Number), '7': 1 + uint8(gjson.Number),
	'8': 1 + uint8(gjson.Number), '9': 1 + uint8(gjson.Number),
}

// ValueOf returns a Value for the JSON text raw (a document, object, array,
// string, number, boolean or null). It is how code that is not reading a
// Message builds a Value, e.g. to compare against.
func ValueOf(raw []byte) Value {
	return valueOf(gjson.ParseBytes(raw))
}

// result returns the value as a gjson result. Its Index and Indexes are
// not set.
func (v Value) result() gjson.Result {
	switch {
	case v.raw == "":
		return gjson.Result{}
	case gjson.Type(v.kind) == gjson.String && !v.esc:
		return gjson.Result{Type: gjson.String, Raw: v.raw, Str: v.raw[1 : len(v.raw)-1]}
	case gjson.Type(v.kind) == gjson.String, gjson.Type(v.kind) == gjson.Number:
		return gjson.Parse(v.raw) // unescape, or parse the number
	}
	return gjson.Result{Type: gjson.Type(v.kind), Raw: v.raw}
}

// Exists reports whether the field was present (it may be present and null).
func (v Value) Exists() bool { return v.raw != "" }

// IsNull reports whether the field is present and JSON null.
func (v Value) IsNull() bool { return v.raw != "" && gjson.Type(v.kind) == gjson.Null }

// IsMissing reports whether the field is absent.
func (v Value) IsMissing() bool { return v.raw == "" }

// IsObject reports whether the field is a JSON object.
func (v Value) IsObject() bool { return gjson.Type(v.kind) == gjson.JSON && v.raw[0] == '{' }

// IsArray reports whether the field is a JSON array.
func (v Value) IsArray() bool { return gjson.Type(v.kind) == gjson.JSON && v.raw[0] == '[' }

// IsString reports whether the field is a JSON string.
func (v Value) IsString() bool { return gjson.Type(v.kind) == gjson.String }

// IsNumber reports whether the field is a JSON number.
func (v Value) IsNumber() bool { return gjson.Type(v.kind) == gjson.Number }

// IsBool reports whether the field is a JSON boolean.
func (v Value) IsBool() bool {
	return gjson.Type(v.kind) == gjson.True || gjson.Type(v.kind) == gjson.False
}

// IsEmpty reports whether the field is missing, null, an empty string, an
// empty array or an empty object.
func (v Value) IsEmpty() bool {
	if gjson.Type(v.kind) == gjson.JSON {
		empty := true
		v.result().ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
		return empty
	}
	return v.String() == ""
}

// String returns the field as a string: a JSON string unescaped, any other
// JSON value as its text, "" when missing or null.
func (v Value) String() string {
	switch gjson.Type(v.kind) {
	case gjson.String:
		if !v.esc {
			return v.raw[1 : len(v.raw)-1]
		}
	case gjson.JSON:
		return v.raw
	case gjson.Null:
		return ""
	}
	return v.result().String()
}

// Bytes returns String as a new byte slice.
func (v Value) Bytes() []byte { return []byte(v.String()) }

// Raw returns the field's JSON text exactly as it stands in the message ("" when
// missing).
func (v Value) Raw() string { return v.raw }

// Int returns the field as an int64, with gjson's conversions (numeric
// strings parse, true is 1, floats truncate).
func (v Value) Int() int64 {
	if gjson.Type(v.kind) == gjson.Number {
		if n, ok := digitsInt(v.raw); ok {
			return n
		}
	}
	return v.result().Int()
}

// digitsInt reads an integer written as decimal digits (after an optional
// '-') as gjson's Int reads it, without parsing it as a float first: gjson
// converts a float within ±(2^53-1) exactly, and reads the digits of any
// other, wrapping around past the int64 range; for digits both are this
// loop.
func digitsInt(s string) (int64, bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	var n int64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if s[0] == '-' {
		return -n, true
	}
	return n, true
}

// Uint returns the field as a uint64, with the same conversions as Int.
func (v Value) Uint() uint64 { return v.result().Uint() }

// Float returns the field as a float64, with the same conversions as Int.
func (v Value) Float() float64 { return v.result().Float() }

// Bool returns the field as a bool: true, "true", "1", "t" and non-zero
// numbers are true.
func (v Value) Bool() bool { return v.result().Bool() }

// Any returns the field as a Go value: nil, bool, float64, string,
// []any or map[string]any.
func (v Value) Any() any { return v.result().Value() }

// Array returns the elements of an array; a non-array value is returned as a
// one-element slice and a missing value as an empty one.
func (v Value) Array() []Value {
	rs := v.result().Array()
	out := make([]Value, len(rs))
	for i, r := range rs {
		out[i] = valueOf(r)
	}
	return out
}

// ForEach calls fn for each element of an array (key is the zero Value) or each
// member of an object, in document order, until fn returns false.
func (v Value) ForEach(fn func(key, value Value) bool) {
	if gjson.Type(v.kind) != gjson.JSON {
		return
	}
	v.result().ForEach(func(k, val gjson.Result) bool {
		return fn(valueOf(k), valueOf(val))
	})
}

// Get returns the value at a gjson path relative to v.
func (v Value) Get(path string) Value { return valueOf(getPath(v.raw, path)) }
