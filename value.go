package weir

import (
	"github.com/tidwall/gjson"
)

// Value is a read-only view of one field of a [Message], as returned by
// [Message.Get]. The zero Value is a missing field.
//
// A Value may share memory with the message it came from; it stays valid
// after the message is changed, because a Message never rewrites bytes it has
// handed out.
type Value struct {
	r gjson.Result
}

// ValueOf returns a Value for the JSON text raw (a document, object, array,
// string, number, boolean or null). It is how code that is not reading a
// Message builds a Value, e.g. to compare against.
func ValueOf(raw []byte) Value {
	return Value{r: gjson.ParseBytes(raw)}
}

// Result returns the underlying gjson result, for callers that need gjson's
// full API (paths relative to this value, modifiers).
func (v Value) Result() gjson.Result { return v.r }

// Exists reports whether the field was present (it may be present and null).
func (v Value) Exists() bool { return v.r.Exists() }

// IsNull reports whether the field is present and JSON null.
func (v Value) IsNull() bool { return v.r.Exists() && v.r.Type == gjson.Null }

// IsMissing reports whether the field is absent.
func (v Value) IsMissing() bool { return !v.r.Exists() }

// IsObject reports whether the field is a JSON object.
func (v Value) IsObject() bool { return v.r.IsObject() }

// IsArray reports whether the field is a JSON array.
func (v Value) IsArray() bool { return v.r.IsArray() }

// IsString reports whether the field is a JSON string.
func (v Value) IsString() bool { return v.r.Type == gjson.String }

// IsNumber reports whether the field is a JSON number.
func (v Value) IsNumber() bool { return v.r.Type == gjson.Number }

// IsBool reports whether the field is a JSON boolean.
func (v Value) IsBool() bool { return v.r.IsBool() }

// IsEmpty reports whether the field is missing, null, an empty string, an
// empty array or an empty object.
func (v Value) IsEmpty() bool {
	switch {
	case v.r.IsArray():
		empty := true
		v.r.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
		return empty
	case v.r.IsObject():
		empty := true
		v.r.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
		return empty
	}
	return v.r.String() == ""
}

// String returns the field as a string: a JSON string unescaped, any other
// JSON value as its text, "" when missing or null.
func (v Value) String() string { return v.r.String() }

// Bytes returns String as a new byte slice.
func (v Value) Bytes() []byte { return []byte(v.r.String()) }

// Raw returns the field's JSON text exactly as it stands in the message ("" when
// missing).
func (v Value) Raw() string { return v.r.Raw }

// Int returns the field as an int64, with gjson's conversions (numeric
// strings parse, true is 1, floats truncate).
func (v Value) Int() int64 { return v.r.Int() }

// Uint returns the field as a uint64, with the same conversions as Int.
func (v Value) Uint() uint64 { return v.r.Uint() }

// Float returns the field as a float64, with the same conversions as Int.
func (v Value) Float() float64 { return v.r.Float() }

// Bool returns the field as a bool: true, "true", "1", "t" and non-zero
// numbers are true.
func (v Value) Bool() bool { return v.r.Bool() }

// Any returns the field as a Go value: nil, bool, float64, string,
// []any or map[string]any.
func (v Value) Any() any { return v.r.Value() }

// Array returns the elements of an array; a non-array value is returned as a
// one-element slice and a missing value as an empty one.
func (v Value) Array() []Value {
	rs := v.r.Array()
	out := make([]Value, len(rs))
	for i, r := range rs {
		out[i] = Value{r: r}
	}
	return out
}

// ForEach calls fn for each element of an array (key is the zero Value) or each
// member of an object, in document order, until fn returns false.
func (v Value) ForEach(fn func(key, value Value) bool) {
	if !v.r.IsArray() && !v.r.IsObject() {
		return
	}
	v.r.ForEach(func(k, val gjson.Result) bool {
		return fn(Value{r: k}, Value{r: val})
	})
}

// Get returns the value at a gjson path relative to v.
func (v Value) Get(path string) Value { return Value{r: v.r.Get(path)} }
