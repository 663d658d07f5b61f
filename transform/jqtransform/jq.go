// Package jqtransform holds the object_jq transform of Substation configs,
// which runs a jq query (github.com/itchyny/gojq) on each message. It lives
// apart from package transform so that programs without it do not link the
// jq interpreter; package transform/all registers it with every other type.
package jqtransform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/itchyny/gojq"
	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// ObjectJQConfig configures [NewObjectJQ] (type "object_jq").
type ObjectJQConfig struct {
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Filter is the jq program applied to the data. Required.
	Filter string `json:"filter"`
	// MaxCount bounds the results of one message; 0 means
	// transform.DefaultMaxCount. A Weir setting.
	MaxCount int `json:"max_count,omitempty"`
	// MaxSize bounds the size of the output, in bytes of JSON: one
	// result, or all of them together; 0 means transform.DefaultMaxSize.
	// A Weir setting.
	MaxSize int64 `json:"max_size,omitempty"`
	// MaxDepth bounds the nesting of arrays and objects in a result; 0
	// means DefaultMaxDepth. A Weir setting.
	MaxDepth int `json:"max_depth,omitempty"`
}

// DefaultMaxDepth is the default "max_depth" of object_jq: the most levels
// of arrays and objects nested in a result. It is the most that
// encoding/json decodes, so a deeper result could not be read back; and
// encoding a much deeper one (a filter can build a value nested millions
// deep from a 14-byte event) would overflow the stack, which crashes the
// process instead of failing the message.
const DefaultMaxDepth = 10_000

// ObjectJQ replaces the data with the result of a jq filter. Create it with
// [NewObjectJQ].
type ObjectJQ struct {
	id       string
	code     *gojq.Code
	maxCount int
	maxSize  int64
	maxDepth int
}

// errObjectJQNoOutput is the cause of the error for a filter that produced
// nothing.
var errObjectJQNoOutput = errors.New("filter produced no output")

// NewObjectJQ returns an object_jq transformer, which runs Filter (jq
// syntax, as implemented by github.com/itchyny/gojq) over the message data
// and replaces the data with the result. The filter is compiled here; a
// filter that does not parse or compile is a *weir.ConfigError for "filter".
//
// As in Substation, the data is decoded with encoding/json (so numbers are
// float64: integers beyond 2^53 lose precision) and the result is encoded
// with encoding/json (so object keys come out sorted). One result becomes
// the data; several become one JSON array of them; none is an error, as is
// data that is not JSON or a filter that fails on it. These errors match
// weir.ErrInvalidData.
//
// The data can choose how much a filter makes: range(.n) yields as many
// results as .n says, [range(.n) | $big] repeats a large value .n times in
// one result, reduce range(.n) as $i (null; [.]) nests arrays .n deep. So
// the output is bounded, each bound failing the message with a
// *transform.LimitError that matches weir.ErrTooLarge and names its
// setting: more than MaxCount results ("max_count"); output larger than
// MaxSize bytes of JSON ("max_size"), measured on the results before any
// is encoded, so that encoding allocates at most about MaxSize; a result
// nested deeper than MaxDepth ("max_depth"). What the filter builds while
// it runs is gojq's to allocate and is not bounded by these settings: a
// result that shares one value many times (the [range(.n) | $big] case)
// is small in memory and is refused before it is written out
// (TestObjectJQSizeBound, TestObjectJQDepthBound). Nor can they protect
// gojq itself: a filter that walks a value it nested millions deep
// (reduce … | tojson) recurses inside gojq, and a stack overflow there is
// fatal to the process.
func NewObjectJQ(cfg ObjectJQConfig) (*ObjectJQ, error) {
	if cfg.Filter == "" {
		return nil, &weir.ConfigError{Type: "object_jq", Field: "filter", Err: weir.ErrMissingSetting}
	}
	q, err := gojq.Parse(cfg.Filter)
	if err != nil {
		return nil, &weir.ConfigError{Type: "object_jq", Field: "filter", Err: err}
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, &weir.ConfigError{Type: "object_jq", Field: "filter", Err: err}
	}
	switch {
	case cfg.MaxCount < 0:
		return nil, &weir.ConfigError{Type: "object_jq", Field: "max_count", Err: fmt.Errorf("%d is negative", cfg.MaxCount)}
	case cfg.MaxSize < 0:
		return nil, &weir.ConfigError{Type: "object_jq", Field: "max_size", Err: fmt.Errorf("%d is negative", cfg.MaxSize)}
	case cfg.MaxDepth < 0:
		return nil, &weir.ConfigError{Type: "object_jq", Field: "max_depth", Err: fmt.Errorf("%d is negative", cfg.MaxDepth)}
	}
	if cfg.MaxCount == 0 {
		cfg.MaxCount = transform.DefaultMaxCount
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = transform.DefaultMaxSize
	}
	if cfg.MaxDepth == 0 {
		cfg.MaxDepth = DefaultMaxDepth
	}
	return &ObjectJQ{id: cfg.ID, code: code, maxCount: cfg.MaxCount, maxSize: cfg.MaxSize, maxDepth: cfg.MaxDepth}, nil
}

// Transform implements [transform.Transformer]. It stops early with ctx's error when
// ctx is done.
func (t *ObjectJQ) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	var in any
	if err := json.Unmarshal(msg.Data(), &in); err != nil {
		return nil, t.fail(fmt.Errorf("data is not JSON: %w: %w", weir.ErrInvalidData, err))
	}

	var first any
	var rest []any // results after the first, if any
	n := 0
	// The output's size as JSON: the results, and the brackets and commas
	// of the array that holds several.
	size := sizer{limit: t.maxSize, maxDepth: t.maxDepth}
	iter := t.code.RunWithContext(ctx, in)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return nil, t.fail(ctxErr)
			}
			return nil, t.fail(fmt.Errorf("%w: %w", weir.ErrInvalidData, err))
		}
		if n == t.maxCount {
			// A filter that iterates the data (range(.n)) may yield without
			// end: bound the results as the splitting transforms are.
			return nil, t.fail(&transform.LimitError{Type: "object_jq", Setting: "max_count",
				Limit: int64(t.maxCount), What: "results from one message"})
		}
		if n == 1 {
			size.n += 2 // "[" and "]"
		}
		if n > 0 {
			size.n++ // ","
		}
		if err := size.add(v, 1); err != nil {
			return nil, t.fail(err)
		}
		if n == 0 {
			first = v
		} else {
			if rest == nil {
				rest = []any{first}
			}
			rest = append(rest, v)
		}
		n++
	}

	var out any
	switch n {
	case 0:
		return nil, t.fail(fmt.Errorf("%w: %w", errObjectJQNoOutput, weir.ErrInvalidData))
	case 1:
		out = first
	default:
		out = rest
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, t.fail(fmt.Errorf("cannot encode result: %w: %w", weir.ErrInvalidData, err))
	}
	msg.SetData(b)
	return msg.AsSlice(), nil
}

// sizer measures gojq values as JSON text, as encoding/json writes it
// (HTML characters escaped), to within a few bytes a number, stopping as
// soon as the total passes limit or a value nests deeper than maxDepth. It
// allocates nothing, and recurses at most maxDepth deep.
type sizer struct {
	n, limit int64
	maxDepth int
}

// add adds the size of v, at nesting level depth (1 for a result), and
// fails with a *transform.LimitError past a bound.
func (s *sizer) add(v any, depth int) error {
	var buf [64]byte
	switch v := v.(type) {
	case nil:
		s.n += 4
	case bool:
		s.n += 5
		if v {
			s.n--
		}
	case int:
		s.n += int64(len(strconv.AppendInt(buf[:0], int64(v), 10)))
	case float64:
		s.n += floatSize(buf[:0], v)
	case *big.Int:
		s.n += int64(v.BitLen()/3 + 2) // a bound on its decimal digits and sign
	case string:
		s.n += jsonStringSize(v)
	case []any, map[string]any:
		if depth > s.maxDepth {
			return &transform.LimitError{Type: "object_jq", Setting: "max_depth",
				Limit: int64(s.maxDepth), What: "levels of nesting in a result"}
		}
		s.n += 2
		if a, ok := v.([]any); ok {
			for i, e := range a {
				if i > 0 {
					s.n++
				}
				if err := s.add(e, depth+1); err != nil {
					return err
				}
			}
			break
		}
		first := true
		for k, e := range v.(map[string]any) {
			if !first {
				s.n++
			}
			first = false
			s.n += jsonStringSize(k) + 1
			if err := s.add(e, depth+1); err != nil {
				return err
			}
		}
	}
	if s.n > s.limit {
		return &transform.LimitError{Type: "object_jq", Setting: "max_size",
			Limit: s.limit, What: "bytes of output from one message"}
	}
	return nil
}

// floatSize returns the length of f as encoding/json writes it: like
// strconv's shortest form, in exponent form only below 1e-6 or from 1e21,
// with a one-digit exponent not padded to two.
func floatSize(buf []byte, f float64) int64 {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(buf, f, format, -1, 64)
	n := len(b)
	if format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		n-- // e-07 is written e-7
	}
	return int64(n)
}

// jsonStringSize returns the length of s as a JSON string, quotes
// included, as encoding/json writes it.
func jsonStringSize(s string) int64 {
	n := int64(2)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6 // \u00XX
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6 // \ufffd
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += int64(size)
		}
		i += size
	}
	return n
}

func (t *ObjectJQ) fail(err error) error {
	return &transform.Error{Type: "object_jq", ID: t.id, Err: err}
}

// Register adds object_jq to r.
func Register(r *transform.Registry) error {
	return r.Register("object_jq", transform.Typed(NewObjectJQ))
}
