package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/weirhq/weir"
)

// The array_* types change JSON arrays. Each reads the array at
// object.source_key and writes the result to object.target_key; when both
// keys are empty it works on the whole message data, which must then be a
// JSON array. A message whose source is missing or not an array passes
// unchanged.
//
// array_join and array_zip are Substation's; array_flatten and
// array_dedupe are Weir's own. (Substation flattens with the gjson
// modifier @flatten in a path, as in object_copy's
// {"source_key": "a|@flatten"}; that works in Weir too.)

func arrayBuiltins() map[string]Factory {
	return map[string]Factory{
		"array_join":    decodedNoCtx(NewArrayJoin),
		"array_zip":     decodedNoCtx(NewArrayZip),
		"array_flatten": decodedNoCtx(NewArrayFlatten),
		"array_dedupe":  decodedNoCtx(NewArrayDedupe),
	}
}

// arrJSONContainer reports whether d is a JSON object or array, the test
// Substation applies before it reads the whole data as JSON.
func arrJSONContainer(d []byte) bool {
	return len(d) >= 2 && (d[0] == '{' || d[0] == '[') && json.Valid(d)
}

// arrSource returns the array a transform reads: the whole data when io
// says so and the data is a JSON array, else the value at the source key.
// ok is false when there is no array; the message then passes unchanged.
func arrSource(msg *weir.Message, io *strIO) (arr weir.Value, ok bool) {
	if io.whole() {
		d := msg.Data()
		if len(d) == 0 || d[0] != '[' || !arrJSONContainer(d) {
			return weir.Value{}, false
		}
		return weir.ValueOf(d), true
	}
	v := io.src.Get(msg)
	return v, v.IsArray()
}

// arrWriteRaw writes the JSON text raw as the result: the whole data, or
// the value at the target.
func arrWriteRaw(msg *weir.Message, io *strIO, raw []byte, typ, id string) ([]*weir.Message, error) {
	if io.whole() {
		msg.SetData(raw)
		return strOne(msg)
	}
	if err := io.dst.SetRaw(msg, raw); err != nil {
		return nil, &Error{Type: typ, ID: id, Err: err}
	}
	return strOne(msg)
}

// ArrayJoinConfig configures [ArrayJoin].
type ArrayJoinConfig struct {
	// Separator goes between the elements. Empty joins them with nothing
	// between.
	Separator string `json:"separator,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// ArrayJoin joins the elements of an array into one string (type
// "array_join"): ["b","c","d"] joined with "." is "b.c.d". A string
// element is used as its unescaped text, null as "", any other element as
// its JSON text (a number as gjson writes it, 1.50 as 1.5).
//
// On the whole data the string replaces the data. At a target it is
// written as [weir.Message.Set] writes a string, so a result that is a
// JSON object or array is written as that JSON.
type ArrayJoin struct {
	id  string
	io  strIO
	sep string
}

// NewArrayJoin returns an ArrayJoin for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewArrayJoin(cfg ArrayJoinConfig) (*ArrayJoin, error) {
	io, err := newStrIO("array_join", cfg.Object)
	if err != nil {
		return nil, err
	}
	return &ArrayJoin{id: cfg.ID, io: io, sep: cfg.Separator}, nil
}

// Transform implements [Transformer].
func (t *ArrayJoin) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	arr, ok := arrSource(msg, &t.io)
	if !ok {
		return strOne(msg)
	}
	if t.io.whole() {
		buf := make([]byte, 0, len(arr.Raw()))
		first := true
		arr.ForEach(func(_, v weir.Value) bool {
			if !first {
				buf = append(buf, t.sep...)
			}
			first = false
			buf = append(buf, v.String()...)
			return true
		})
		msg.SetData(buf)
		return strOne(msg)
	}
	var sb strings.Builder
	sb.Grow(len(arr.Raw()))
	first := true
	arr.ForEach(func(_, v weir.Value) bool {
		if !first {
			sb.WriteString(t.sep)
		}
		first = false
		sb.WriteString(v.String())
		return true
	})
	return strSet(msg, &t.io.dst, sb.String(), "array_join", t.id)
}

// ArrayZipConfig configures [ArrayZip].
type ArrayZipConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// ArrayZip turns an array of arrays inside out (type "array_zip"): element
// i of the result holds element i of each input array, so
// [["b","c"],[1,2]] becomes [["b",1],["c",2]]. Shorter arrays leave their
// places out, an element that is not an array counts as a one-element
// array and null as an empty one.
//
// Elements are re-encoded as Substation does (through encoding/json):
// numbers as float64, object keys sorted, <, > and & escaped. An empty
// result is null at a target and empty data on the whole data. An
// element that cannot be re-encoded (a number too large for a float64) is
// an error matching weir.ErrInvalidData.
type ArrayZip struct {
	id string
	io strIO
}

// NewArrayZip returns an ArrayZip for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewArrayZip(cfg ArrayZipConfig) (*ArrayZip, error) {
	io, err := newStrIO("array_zip", cfg.Object)
	if err != nil {
		return nil, err
	}
	return &ArrayZip{id: cfg.ID, io: io}, nil
}

// Transform implements [Transformer].
func (t *ArrayZip) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	arr, ok := arrSource(msg, &t.io)
	if !ok {
		return strOne(msg)
	}
	var zipped [][]any
	arr.ForEach(func(_, col weir.Value) bool {
		for i, v := range col.Array() {
			if i == len(zipped) {
				zipped = append(zipped, nil)
			}
			zipped[i] = append(zipped[i], v.Any())
		}
		return true
	})
	if len(zipped) == 0 {
		if t.io.whole() {
			msg.SetData([]byte{})
			return strOne(msg)
		}
		return arrWriteRaw(msg, &t.io, []byte("null"), "array_zip", t.id)
	}
	raw, err := json.Marshal(zipped)
	if err != nil {
		return nil, &Error{Type: "array_zip", ID: t.id, Err: fmt.Errorf("%w: %w", weir.ErrInvalidData, err)}
	}
	return arrWriteRaw(msg, &t.io, raw, "array_zip", t.id)
}

// ArrayFlattenConfig configures [ArrayFlatten].
type ArrayFlattenConfig struct {
	// Deep flattens arrays nested at any depth; by default only the arrays
	// that are elements of the source array are flattened.
	Deep bool `json:"deep,omitempty"`
	// MaxDepth bounds the nesting of the array, with Deep; 0 means
	// DefaultMaxDepth (see LimitError). A Weir setting.
	MaxDepth int `json:"max_depth,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// ArrayFlatten replaces the arrays inside an array with their elements
// (type "array_flatten"): [1,[2,[3]]] becomes [1,2,[3]], or [1,2,3] with
// Deep. Elements are kept as their JSON text, unchanged. The result is the
// same JSON as the gjson modifier @flatten (@flatten:{"deep":true}) gives.
type ArrayFlatten struct {
	id       string
	io       strIO
	depth    int // levels of nesting to flatten; -1 for all
	maxDepth int
}

// NewArrayFlatten returns an ArrayFlatten for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewArrayFlatten(cfg ArrayFlattenConfig) (*ArrayFlatten, error) {
	io, err := newStrIO("array_flatten", cfg.Object)
	if err != nil {
		return nil, err
	}
	depth := 1
	if cfg.Deep {
		depth = -1
	}
	maxDepth, err := newMaxDepth("array_flatten", cfg.MaxDepth)
	if err != nil {
		return nil, err
	}
	return &ArrayFlatten{id: cfg.ID, io: io, depth: depth, maxDepth: maxDepth}, nil
}

// Transform implements [Transformer].
func (t *ArrayFlatten) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	arr, ok := arrSource(msg, &t.io)
	if !ok {
		return strOne(msg)
	}
	if t.depth < 0 {
		if err := checkDepth("array_flatten", arr.Raw(), t.maxDepth); err != nil {
			return nil, &Error{Type: "array_flatten", ID: t.id, Err: err}
		}
	}
	buf := make([]byte, 0, len(arr.Raw()))
	buf = append(buf, '[')
	buf = arrAppendFlat(buf, arr, t.depth)
	buf = append(buf, ']')
	return arrWriteRaw(msg, &t.io, buf, "array_flatten", t.id)
}

// arrAppendFlat appends the elements of arr to buf, separated by commas,
// replacing arrays among them with their elements depth levels down
// (without limit when depth is negative).
func arrAppendFlat(buf []byte, arr weir.Value, depth int) []byte {
	arr.ForEach(func(_, v weir.Value) bool {
		if depth != 0 && v.IsArray() {
			buf = arrAppendFlat(buf, v, depth-1)
			return true
		}
		if buf[len(buf)-1] != '[' {
			buf = append(buf, ',')
		}
		buf = append(buf, v.Raw()...)
		return true
	})
	return buf
}

// ArrayDedupeConfig configures [ArrayDedupe].
type ArrayDedupeConfig struct {
	// MaxDepth bounds the nesting of the array; 0 means DefaultMaxDepth
	// (see LimitError). A Weir setting.
	MaxDepth int `json:"max_depth,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// ArrayDedupe removes the elements of an array that equal an earlier one,
// keeping the first of each in order (type "array_dedupe"):
// ["a","b","a",1,1.0] becomes ["a","b",1].
//
// Elements are compared as JSON values, not as text: strings by their
// unescaped text ("\u0041" equals "A"), numbers by exact decimal value (1,
// 1.0 and 1e0 are equal; large integers are compared exactly, not as
// float64s), objects by their members in any order, arrays element by
// element. The kept elements are written as their JSON text, unchanged.
type ArrayDedupe struct {
	id       string
	io       strIO
	maxDepth int
}

// NewArrayDedupe returns an ArrayDedupe for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewArrayDedupe(cfg ArrayDedupeConfig) (*ArrayDedupe, error) {
	io, err := newStrIO("array_dedupe", cfg.Object)
	if err != nil {
		return nil, err
	}
	maxDepth, err := newMaxDepth("array_dedupe", cfg.MaxDepth)
	if err != nil {
		return nil, err
	}
	return &ArrayDedupe{id: cfg.ID, io: io, maxDepth: maxDepth}, nil
}

// Transform implements [Transformer].
func (t *ArrayDedupe) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	arr, ok := arrSource(msg, &t.io)
	if !ok {
		return strOne(msg)
	}
	if err := checkDepth("array_dedupe", arr.Raw(), t.maxDepth); err != nil {
		return nil, &Error{Type: "array_dedupe", ID: t.id, Err: err}
	}
	var (
		seen = make(map[string]struct{})
		key  []byte
		buf  = make([]byte, 0, len(arr.Raw()))
	)
	buf = append(buf, '[')
	arr.ForEach(func(_, v weir.Value) bool {
		key = arrAppendKey(key[:0], v)
		if _, dup := seen[string(key)]; dup {
			return true
		}
		seen[string(key)] = struct{}{}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, v.Raw()...)
		return true
	})
	buf = append(buf, ']')
	return arrWriteRaw(msg, &t.io, buf, "array_dedupe", t.id)
}

// arrAppendKey appends a canonical encoding of the JSON value v to dst:
// two values get the same encoding exactly when they are equal as JSON
// values (see [ArrayDedupe]). Strings are length-prefixed and containers
// bracketed, so encodings never run into each other.
func arrAppendKey(dst []byte, v weir.Value) []byte {
	switch {
	case v.IsString():
		s := v.String()
		dst = append(dst, 's')
		dst = strconv.AppendInt(dst, int64(len(s)), 10)
		dst = append(dst, ':')
		return append(dst, s...)
	case v.IsNumber():
		return arrAppendNumKey(dst, v.Raw())
	case v.IsArray():
		dst = append(dst, '[')
		v.ForEach(func(_, e weir.Value) bool {
			dst = arrAppendKey(dst, e)
			dst = append(dst, ',')
			return true
		})
		return append(dst, ']')
	case v.IsObject():
		// Members in key order; members with the same key (invalid in
		// most JSON, but possible) in the order of their encodings.
		var members [][]byte
		v.ForEach(func(k, e weir.Value) bool {
			m := arrAppendKey(nil, k)
			m = append(m, ':')
			members = append(members, arrAppendKey(m, e))
			return true
		})
		slices.SortFunc(members, bytes.Compare)
		dst = append(dst, '{')
		for _, m := range members {
			dst = append(dst, m...)
			dst = append(dst, ',')
		}
		return append(dst, '}')
	default: // true, false, null
		return append(dst, v.Raw()...)
	}
}

// arrAppendNumKey appends the canonical form of the JSON number raw:
// "n", the sign, the significant digits without leading or trailing zeros,
// "e" and the decimal exponent of the last digit. Zero is "n0".
func arrAppendNumKey(dst []byte, raw string) []byte {
	s := raw
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	mant, expPart, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	exp := 0
	if expPart != "" {
		e, err := strconv.Atoi(expPart)
		if err != nil { // an exponent beyond int: compare the text
			return append(append(dst, 'r'), raw...)
		}
		exp = e
	}
	digits := intPart + frac
	exp -= len(frac)
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return append(dst, "n0"...)
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	dst = append(dst, 'n')
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, trimmed...)
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, int64(exp), 10)
}
