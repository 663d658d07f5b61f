package weir

import (
	"fmt"
	"unicode/utf8"
)

// CoercionError reports a value that a transform could not convert
// faithfully: where Substation (and Weir by default) would write a made-up
// value — 0 for a timestamp that is not a number, false for a string that
// is not a boolean, a domain's label for an IP address — a transform built
// in strict mode returns this error instead. It matches [ErrInvalidData]:
// the message is bad, not the pipeline, so a stream's error policy routes
// it like any failure.
type CoercionError struct {
	Transform string // the transform type, e.g. "object_to_integer"
	ID        string // the transform's "id" setting, if any
	// Field is the path the value was read from, or "" for the whole
	// message data.
	Field string
	// Value is the value's text (JSON text for a field, the bytes for the
	// data), truncated to [MaxCoercionValue] bytes.
	Value string
	// Target is what the value was to become: "integer", "unsigned
	// integer", "float", "boolean", "string", "timestamp", "domain", ….
	Target string
}

// MaxCoercionValue is how many bytes of a value a [CoercionError] keeps.
const MaxCoercionValue = 64

// TruncateValue returns s cut to at most [MaxCoercionValue] bytes, at a
// rune boundary, with "…" appended when it was cut.
func TruncateValue(s string) string {
	if len(s) <= MaxCoercionValue {
		return s
	}
	n := MaxCoercionValue
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Error implements error.
func (e *CoercionError) Error() string {
	// A field's value is JSON text (a string is quoted already); data is
	// any bytes.
	where, value := "data", fmt.Sprintf("%q", e.Value)
	if e.Field != "" {
		where, value = fmt.Sprintf("field %q", e.Field), e.Value
	}
	name := e.Transform
	if e.ID != "" {
		name = fmt.Sprintf("%s (%s)", e.Transform, e.ID)
	}
	return fmt.Sprintf("transform %s: %s: cannot convert %s to %s without coercion: %v", name, where, value, e.Target, ErrInvalidData)
}

// Is reports whether target is [ErrInvalidData].
func (e *CoercionError) Is(target error) bool { return target == ErrInvalidData }
