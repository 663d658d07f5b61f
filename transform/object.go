package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/weirhq/weir"
)

// This file holds the object_* family: transforms that copy, delete, insert
// and convert the values of fields. object_jq lives in object_jq.go.

func objectBuiltins() map[string]Factory {
	return map[string]Factory{
		"object_copy":                decodedNoCtx(NewObjectCopy),
		"object_delete":              decodedNoCtx(NewObjectDelete),
		"object_insert":              decodedNoCtx(NewObjectInsert),
		"object_to_boolean":          coercing(NewObjectToBoolean),
		"object_to_float":            coercing(NewObjectToFloat),
		"object_to_integer":          coercing(NewObjectToInteger),
		"object_to_string":           coercing(NewObjectToString),
		"object_to_unsigned_integer": coercing(NewObjectToUnsignedInteger),
	}
}

// objPass returns msg as the only result.
func objPass(msg *weir.Message) []*weir.Message { return msg.AsSlice() }

// ObjectCopyConfig configures [NewObjectCopy] (type "object_copy").
type ObjectCopyConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field copied and Object.TargetKey where it is
	// written. With only SourceKey the field's value replaces the data; with
	// only TargetKey the data is moved into that field.
	Object ObjectSettings `json:"object"`
}

// ObjectCopy copies a field to another field, a field to the whole data, or
// the whole data into a field. Create it with [NewObjectCopy].
type ObjectCopy struct {
	id       string
	src, dst weir.Path
	mode     copyMode
}

// copyMode is the way an [ObjectCopy] works, chosen by its keys. It is
// kept apart from the paths because a method of weir.Path called on a field
// (src.String()) copies the whole Path.
type copyMode uint8

const (
	copyNone      copyMode = iota // neither key: nothing
	copyField                     // both keys: field to field
	copyToData                    // only the source: the field becomes the data
	copyIntoField                 // only the target: the data moves into the field
)

// NewObjectCopy returns an object_copy transformer. It works in one of three
// ways, chosen by which of Object.SourceKey and Object.TargetKey are set:
//
//   - both: the source value is written at the target, keeping its JSON type
//     (a string that holds a JSON object or array is written as that JSON);
//   - only SourceKey: the data becomes the source value's text (a string
//     unescaped, anything else as its JSON);
//   - only TargetKey: the data is moved into that field of a new, otherwise
//     empty JSON object (binary data is written as a base64 string); a target
//     in the metadata ("meta x") leaves the data empty. Empty data passes
//     unchanged.
//
// A missing source value passes the message unchanged, as does a config with
// neither key.
func NewObjectCopy(cfg ObjectCopyConfig) (*ObjectCopy, error) {
	t := &ObjectCopy{id: cfg.ID, src: weir.ParsePath(cfg.Object.SourceKey), dst: weir.ParsePath(cfg.Object.TargetKey)}
	switch src, dst := cfg.Object.SourceKey, cfg.Object.TargetKey; {
	case src != "" && dst != "":
		t.mode = copyField
	case src != "":
		t.mode = copyToData
	case dst != "":
		t.mode = copyIntoField
	}
	return t, nil
}

// Transform implements [Transformer].
func (t *ObjectCopy) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return objPass(msg), nil
	}
	switch t.mode {
	case copyField, copyToData:
		v := t.src.Get(msg)
		if !v.Exists() {
			return objPass(msg), nil
		}
		return t.withValue(msg, v)
	case copyIntoField:
		data := msg.Data()
		if len(data) == 0 {
			return objPass(msg), nil
		}
		msg.SetData(nil)
		if err := t.dst.Set(msg, data); err != nil {
			return nil, &Error{Type: "object_copy", ID: t.id, Err: err}
		}
		return objPass(msg), nil
	}
	return objPass(msg), nil // copyNone
}

// reads implements fieldReader.
func (t *ObjectCopy) reads(key string) bool {
	return (t.mode == copyField || t.mode == copyToData) && t.src.String() == key
}

// withValue implements fieldReader: it copies v, the source value.
func (t *ObjectCopy) withValue(msg *weir.Message, v weir.Value) ([]*weir.Message, error) {
	if t.mode == copyToData {
		msg.SetDataValue(v)
		return objPass(msg), nil
	}
	if err := t.dst.SetValue(msg, v); err != nil {
		return nil, &Error{Type: "object_copy", ID: t.id, Err: err}
	}
	return objPass(msg), nil
}

// ObjectDeleteConfig configures [NewObjectDelete] (type "object_delete").
type ObjectDeleteConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field deleted. Required.
	Object ObjectSettings `json:"object"`
}

// ObjectDelete removes a field. Create it with [NewObjectDelete].
type ObjectDelete struct {
	id  string
	src weir.Path
}

// NewObjectDelete returns an object_delete transformer, which removes the
// field at Object.SourceKey. Deleting a missing field is not an error.
func NewObjectDelete(cfg ObjectDeleteConfig) (*ObjectDelete, error) {
	if cfg.Object.SourceKey == "" {
		return nil, &weir.ConfigError{Type: "object_delete", Field: "object.source_key", Err: weir.ErrMissingSetting}
	}
	return &ObjectDelete{id: cfg.ID, src: weir.ParsePath(cfg.Object.SourceKey)}, nil
}

// Transform implements [Transformer].
func (t *ObjectDelete) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return objPass(msg), nil
	}
	if err := t.src.Delete(msg); err != nil {
		return nil, &Error{Type: "object_delete", ID: t.id, Err: err}
	}
	return objPass(msg), nil
}

// ObjectInsertConfig configures [NewObjectInsert] (type "object_insert").
type ObjectInsertConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.TargetKey is the field written. Required.
	Object ObjectSettings `json:"object"`
	// Value is the value written, encoded as [weir.Message.Set] encodes it:
	// a string holding a JSON object or array is inserted as that JSON.
	// Required; to insert null, use json.RawMessage("null").
	Value any `json:"value"`
}

// ObjectInsert writes a fixed value into a field. Create it with
// [NewObjectInsert].
type ObjectInsert struct {
	id  string
	dst weir.Path
	raw []byte // the value's JSON text; never modified
}

// NewObjectInsert returns an object_insert transformer, which writes
// Value at Object.TargetKey, replacing what was there. The value is encoded
// once, here.
//
// Numbers decoded from a JSON config are written as Substation writes them:
// fractions and exponents as Go formats a float64 (1.0 becomes 1), integers
// exactly.
func NewObjectInsert(cfg ObjectInsertConfig) (*ObjectInsert, error) {
	if cfg.Object.TargetKey == "" {
		return nil, &weir.ConfigError{Type: "object_insert", Field: "object.target_key", Err: weir.ErrMissingSetting}
	}
	if cfg.Value == nil {
		return nil, &weir.ConfigError{Type: "object_insert", Field: "value", Err: weir.ErrMissingSetting}
	}
	// Encode through a scratch message so the bytes are exactly what Set
	// writes.
	scratch := weir.NewMessage(nil)
	if err := scratch.Set("v", objNormalizeNumbers(cfg.Value)); err != nil {
		return nil, &weir.ConfigError{Type: "object_insert", Field: "value", Err: err}
	}
	raw := []byte(scratch.Get("v").Raw())
	return &ObjectInsert{id: cfg.ID, dst: weir.ParsePath(cfg.Object.TargetKey), raw: raw[:len(raw):len(raw)]}, nil
}

// Transform implements [Transformer].
func (t *ObjectInsert) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return objPass(msg), nil
	}
	// Messages never modify the bytes given to them, so every message can
	// share t.raw.
	if err := t.dst.SetRaw(msg, t.raw); err != nil {
		return nil, &Error{Type: "object_insert", ID: t.id, Err: err}
	}
	return objPass(msg), nil
}

// objNormalizeNumbers replaces the json.Numbers in a decoded setting the way
// Substation's decoding (into float64) would render them: integers keep
// their digits, other numbers become float64.
func objNormalizeNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if objIsInt(string(v)) {
			return v
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = objNormalizeNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = objNormalizeNumbers(e)
		}
		return out
	}
	return v
}

// objIsInt reports whether s is an optionally signed run of digits.
func objIsInt(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ObjectToBooleanConfig configures [NewObjectToBoolean] (type
// "object_to_boolean").
type ObjectToBooleanConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field converted and Object.TargetKey where
	// the result is written: both or neither (then the transform does
	// nothing, as in Substation).
	Object ObjectSettings `json:"object"`
}

// ObjectToBoolean converts a field to a JSON boolean. Create it with
// [NewObjectToBoolean].
type ObjectToBoolean struct{ objectConvert }

// NewObjectToBoolean returns an object_to_boolean transformer. Booleans stay
// as they are; numbers are true unless zero; strings accepted by
// strconv.ParseBool in any case ("true", "FALSE", "t", "0", …) convert. Any
// other value (another string, null, an object, an array) becomes false, as
// in Substation: a coercion (see [Coercions]; with [Env.Strict], a
// *weir.CoercionError).
func NewObjectToBoolean(cfg ObjectToBooleanConfig) (*ObjectToBoolean, error) {
	c, err := newObjectConvert("object_to_boolean", cfg.ID, cfg.Object, "boolean", objToBoolean, subBoolean)
	if err != nil {
		return nil, err
	}
	return &ObjectToBoolean{c}, nil
}

// ObjectToFloatConfig configures [NewObjectToFloat] (type
// "object_to_float").
type ObjectToFloatConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field converted and Object.TargetKey where
	// the result is written: both or neither (then the transform does
	// nothing, as in Substation).
	Object ObjectSettings `json:"object"`
	// Type is ignored. It is accepted because configs written for
	// Substation (its own tests among them) carry it and Substation ignores
	// it.
	Type string `json:"type,omitempty"`
}

// ObjectToFloat converts a field to a JSON number with a fraction where it
// has one. Create it with [NewObjectToFloat].
type ObjectToFloat struct{ objectConvert }

// NewObjectToFloat returns an object_to_float transformer. Numbers are
// written as Go formats a float64 without an exponent (1.10 becomes 1.1);
// booleans become 1 or 0; strings that strconv.ParseFloat accepts convert.
// Any other value (another string, null, an object, an array) becomes 0,
// as in Substation, and NaN or infinity null (Substation writes words that
// are not JSON): a coercion (see [Coercions]; with [Env.Strict], a
// *weir.CoercionError).
func NewObjectToFloat(cfg ObjectToFloatConfig) (*ObjectToFloat, error) {
	c, err := newObjectConvert("object_to_float", cfg.ID, cfg.Object, "float", objToFloat, subFloat)
	if err != nil {
		return nil, err
	}
	return &ObjectToFloat{c}, nil
}

// ObjectToIntegerConfig configures [NewObjectToInteger] (type
// "object_to_integer").
type ObjectToIntegerConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field converted and Object.TargetKey where
	// the result is written: both or neither (then the transform does
	// nothing, as in Substation).
	Object ObjectSettings `json:"object"`
}

// ObjectToInteger converts a field to a JSON integer. Create it with
// [NewObjectToInteger].
type ObjectToInteger struct{ objectConvert }

// NewObjectToInteger returns an object_to_integer transformer. It converts
// as Substation does, with gjson's Int: integers exactly, other numbers
// truncated toward zero, booleans as 1 or 0, strings of digits ("-1") as
// their number. Anything else is a coercion (see [Coercions]; with
// [Env.Strict], a *weir.CoercionError): a string that is not all digits
// ("2.5", "12abc"), null, an object or an array becomes 0, a longer string
// of digits wraps around, and a number beyond the int64 range becomes what
// Go's float64 conversion gives.
func NewObjectToInteger(cfg ObjectToIntegerConfig) (*ObjectToInteger, error) {
	c, err := newObjectConvert("object_to_integer", cfg.ID, cfg.Object, "integer", objToInteger, subInteger)
	if err != nil {
		return nil, err
	}
	return &ObjectToInteger{c}, nil
}

// ObjectToStringConfig configures [NewObjectToString] (type
// "object_to_string").
type ObjectToStringConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field converted and Object.TargetKey where
	// the result is written: both or neither (then the transform does
	// nothing, as in Substation).
	Object ObjectSettings `json:"object"`
}

// ObjectToString converts a field to a JSON string. Create it with
// [NewObjectToString].
type ObjectToString struct{ objectConvert }

// NewObjectToString returns an object_to_string transformer. Strings stay
// as they are, integers keep their digits, other numbers are formatted as a
// float64 without an exponent, booleans become "true" or "false", objects
// their JSON text, null the empty string. As in Substation, an array (or a
// string holding one) is kept as an array, and a string in double quotes
// around JSON loses them: coercions (see [Coercions]; with [Env.Strict], a
// *weir.CoercionError).
func NewObjectToString(cfg ObjectToStringConfig) (*ObjectToString, error) {
	c, err := newObjectConvert("object_to_string", cfg.ID, cfg.Object, "string", objToString, subString)
	if err != nil {
		return nil, err
	}
	return &ObjectToString{c}, nil
}

// Transform implements [Transformer]. A string is written straight into
// the message, without an interim copy.
func (t *ObjectToString) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	c := &t.objectConvert
	if msg.IsControl() || !c.keyed {
		return c.transform(ctx, msg)
	}
	v := c.src.Get(msg)
	if !v.Exists() {
		return objPass(msg), nil
	}
	s := v.String()
	if subStringOdd(s) {
		return c.transform(ctx, msg) // Substation's array or unquoted string
	}
	if err := c.dst.SetString(msg, s); err != nil {
		return nil, &Error{Type: "object_to_string", ID: c.id, Err: err}
	}
	return objPass(msg), nil
}

// subStringOdd reports whether Substation writes the text s of a value
// as something other than the string s: an array, or s without the double
// quotes around it.
func subStringOdd(s string) bool {
	if strings.HasPrefix(s, "[") && json.Valid([]byte(s)) {
		return true
	}
	if s != "" && (s[0] == '"' || s[len(s)-1] == '"') {
		t := strings.Trim(s, `"`)
		return json.Valid([]byte(t))
	}
	return false
}

// ObjectToUnsignedIntegerConfig configures [NewObjectToUnsignedInteger]
// (type "object_to_unsigned_integer").
type ObjectToUnsignedIntegerConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Object.SourceKey is the field converted and Object.TargetKey where
	// the result is written: both or neither (then the transform does
	// nothing, as in Substation).
	Object ObjectSettings `json:"object"`
}

// ObjectToUnsignedInteger converts a field to a non-negative JSON integer.
// Create it with [NewObjectToUnsignedInteger].
type ObjectToUnsignedInteger struct{ objectConvert }

// NewObjectToUnsignedInteger returns an object_to_unsigned_integer
// transformer. It converts like [NewObjectToInteger], with gjson's Uint: a
// string such as "-1" becomes 0, and a negative number goes through Go's
// float64 conversion (-5 becomes 18446744073709551611 on amd64), a
// coercion.
func NewObjectToUnsignedInteger(cfg ObjectToUnsignedIntegerConfig) (*ObjectToUnsignedInteger, error) {
	c, err := newObjectConvert("object_to_unsigned_integer", cfg.ID, cfg.Object, "unsigned integer", objToUnsigned, subUnsigned)
	if err != nil {
		return nil, err
	}
	return &ObjectToUnsignedInteger{c}, nil
}

// objectConvert is the shared body of the object_to_* transformers: read a
// field, convert it, write the result's JSON text.
// Transform implements [Transformer] for the object_to_* types.
func (c *objectConvert) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return c.transform(ctx, msg)
}

type objectConvert struct {
	coercer
	typ, id  string
	src, dst weir.Path
	keyed    bool   // the keys are set (else the transform does nothing)
	kind     string // what conv converts to, for errors
	// conv returns the JSON text of the converted value, or ok == false if
	// v cannot be converted faithfully.
	conv func(v weir.Value) (raw []byte, ok bool)
	// sub is the conversion as Substation makes it (gjson's reading,
	// sjson's writing; see appendSub). Where its text differs from conv's,
	// or conv has none, the conversion is a coercion.
	sub subKind
}

// subKind names a conversion as Substation makes it.
type subKind uint8

const (
	subBoolean subKind = iota
	subFloat
	subInteger
	subUnsigned
	subString
)

// appendSub appends the JSON text Substation writes for v. (A switch, not a
// function value, so that a buffer on the caller's stack stays there.)
func appendSub(dst []byte, k subKind, v weir.Value) []byte {
	switch k {
	case subBoolean:
		return strconv.AppendBool(dst, v.Bool())
	case subFloat:
		return appendSubFloat(dst, v.Float())
	case subInteger:
		return strconv.AppendInt(dst, v.Int(), 10)
	case subUnsigned:
		return strconv.AppendUint(dst, v.Uint(), 10)
	}
	return append(dst, subToString(v)...)
}

func newObjectConvert(typ, id string, obj ObjectSettings, kind string, conv func(weir.Value) ([]byte, bool), sub subKind) (objectConvert, error) {
	switch {
	case obj.SourceKey == "" && obj.TargetKey != "":
		return objectConvert{}, &weir.ConfigError{Type: typ, Field: "object.source_key", Err: fmt.Errorf("%w: needed with object.target_key", weir.ErrMissingSetting)}
	case obj.SourceKey != "" && obj.TargetKey == "":
		return objectConvert{}, &weir.ConfigError{Type: typ, Field: "object.target_key", Err: fmt.Errorf("%w: needed with object.source_key", weir.ErrMissingSetting)}
	}
	return objectConvert{coercer: newCoercer(typ, id), typ: typ, id: id, src: weir.ParsePath(obj.SourceKey), dst: weir.ParsePath(obj.TargetKey), keyed: obj.SourceKey != "", kind: kind, conv: conv, sub: sub}, nil
}

func (c *objectConvert) transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		c.control(ctx)
		return objPass(msg), nil
	}
	if !c.keyed {
		return objPass(msg), nil
	}
	v := c.src.Get(msg)
	if !v.Exists() {
		return objPass(msg), nil
	}
	raw, ok := c.conv(v)
	var buf [32]byte
	if sub := appendSub(buf[:0], c.sub, v); !ok || !bytes.Equal(raw, sub) {
		if err := c.coerce(msg, c.src.String(), v.Raw(), c.kind); err != nil {
			return nil, err
		}
		raw = bytes.Clone(sub)
	}
	if err := c.dst.SetRaw(msg, raw); err != nil {
		return nil, &Error{Type: c.typ, ID: c.id, Err: err}
	}
	return objPass(msg), nil
}

// objDescribe names a value's JSON type for error messages, quoting short
// strings.
func objDescribe(v weir.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case v.IsObject():
		return "an object"
	case v.IsArray():
		return "an array"
	case v.IsString():
		if s := v.String(); len(s) <= 32 {
			return "string " + strconv.Quote(s)
		}
		return "a string"
	}
	return v.Raw()
}

// The conversions below follow gjson's (which Substation uses) wherever the
// value means something, and refuse where gjson would make up a zero.

func objToBoolean(v weir.Value) ([]byte, bool) {
	r := gjson.Parse(v.Raw())
	switch r.Type {
	case gjson.True:
		return []byte("true"), true
	case gjson.False:
		return []byte("false"), true
	case gjson.Number:
		return strconv.AppendBool(nil, r.Num != 0), true
	case gjson.String:
		b, err := strconv.ParseBool(strings.ToLower(r.Str))
		if err != nil {
			return nil, false
		}
		return strconv.AppendBool(nil, b), true
	}
	return nil, false
}

// objParseFloat reports whether the string s holds a finite number (as
// strconv.ParseFloat reads it).
func objParseFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func objToFloat(v weir.Value) ([]byte, bool) {
	r := gjson.Parse(v.Raw())
	var f float64
	switch r.Type {
	case gjson.True:
		f = 1
	case gjson.False:
		f = 0
	case gjson.Number:
		f = r.Num
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
	case gjson.String:
		var ok bool
		if f, ok = objParseFloat(r.Str); !ok {
			return nil, false
		}
	default:
		return nil, false
	}
	return strconv.AppendFloat(make([]byte, 0, 24), f, 'f', -1, 64), true
}

func objToInteger(v weir.Value) ([]byte, bool) {
	r := gjson.Parse(v.Raw())
	switch r.Type {
	case gjson.True, gjson.False, gjson.Number:
		return strconv.AppendInt(make([]byte, 0, 20), objInt(r), 10), true
	case gjson.String:
		if _, ok := objParseFloat(r.Str); !ok && !objIsInt(r.Str) {
			return nil, false
		}
		return strconv.AppendInt(make([]byte, 0, 20), objInt(r), 10), true
	}
	return nil, false
}

// objInt converts a boolean, number or numeric string to an int64:
// integers exactly, fractions truncated toward zero, values out of range
// clamped to it.
func objInt(r gjson.Result) int64 {
	switch r.Type {
	case gjson.True:
		return 1
	case gjson.False:
		return 0
	}
	s := r.Raw
	if r.Type == gjson.String {
		s = r.Str
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return n // ParseInt clamps on ErrRange
	}
	f, _ := strconv.ParseFloat(s, 64)
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// objUint is objInt for uint64: negative values become 0.
func objUint(r gjson.Result) uint64 {
	switch r.Type {
	case gjson.True:
		return 1
	case gjson.False:
		return 0
	}
	s := r.Raw
	if r.Type == gjson.String {
		s = r.Str
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return n
	}
	f, _ := strconv.ParseFloat(s, 64)
	switch {
	case f <= 0 || f != f:
		return 0
	case f >= math.MaxUint64:
		return math.MaxUint64
	}
	return uint64(f)
}

func objToUnsigned(v weir.Value) ([]byte, bool) {
	r := gjson.Parse(v.Raw())
	switch r.Type {
	case gjson.True, gjson.False, gjson.Number:
		return strconv.AppendUint(make([]byte, 0, 20), objUint(r), 10), true
	case gjson.String:
		if _, ok := objParseFloat(r.Str); !ok && !objIsInt(r.Str) {
			return nil, false
		}
		return strconv.AppendUint(make([]byte, 0, 20), objUint(r), 10), true
	}
	return nil, false
}

func objToString(v weir.Value) ([]byte, bool) {
	return weir.AppendJSONString(nil, v.String()), true
}

// appendSubFloat appends f as sjson writes a float64, except NaN and the
// infinities, which sjson writes as bare words that are not JSON: null.
func appendSubFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}

// subToString is Substation's string conversion: the value's text
// (gjson's String), where a text that is a JSON array is written as that
// array, and otherwise as a string, without the double quotes that begin
// or end it when what is inside them is JSON.
func subToString(v weir.Value) []byte {
	s := v.String()
	if strings.HasPrefix(s, "[") && json.Valid([]byte(s)) {
		return []byte(s)
	}
	if t := strings.Trim(s, `"`); t != s && json.Valid([]byte(t)) {
		s = t
	}
	return weir.AppendJSONString(nil, s)
}
