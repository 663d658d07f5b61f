package transform

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/weirhq/weir"
)

// The number_* types do arithmetic. Each reads the value at
// object.source_key and writes the result to object.target_key; when both
// keys are empty it works on the whole message data instead. A message
// whose source value is missing passes unchanged.
//
// Results are written as Substation writes them: a float64 in Go's
// shortest decimal form without an exponent (8, 0.0123456789,
// 1000000000000000000000). Values are read as gjson reads them as numbers:
// a number as itself, a string holding a number (strconv.ParseFloat syntax)
// as that number, true as 1, anything else as 0 — a coercion (see
// [Coercions]) for anything but a number or a string holding a finite one.
// A result that is not finite (a division by zero, an overflow, or "Inf"
// or "NaN" in the input) is a coercion too: on the whole data it is
// written as Substation writes it ("+Inf", "-Inf", "NaN"); at a key, where
// Substation would write those words, which are not JSON, Weir writes
// null. In strict mode ([Env.Strict]) a value that is not a number is a
// *weir.CoercionError, a zero divisor an *Error wrapping
// [ErrDivisionByZero] and any other result that is not finite an *Error
// matching weir.ErrInvalidData.

func numberBuiltins() map[string]Factory {
	return map[string]Factory{
		"number_maximum":             coercing(NewNumberMaximum),
		"number_minimum":             coercing(NewNumberMinimum),
		"number_math_addition":       coercing(NewNumberMathAddition),
		"number_math_subtraction":    coercing(NewNumberMathSubtraction),
		"number_math_multiplication": coercing(NewNumberMathMultiplication),
		"number_math_division":       coercing(NewNumberMathDivision),
	}
}

// ErrDivisionByZero is the cause of the *Error number_math_division returns
// for an array with a zero divisor. It matches weir.ErrInvalidData: the
// message is bad, not the pipeline.
var ErrDivisionByZero = fmt.Errorf("transform: division by zero: %w", weir.ErrInvalidData)

// numNotFinite returns the error for a result that is not a finite number.
func numNotFinite(typ, id string, f float64) error {
	return &Error{Type: typ, ID: id,
		Err: fmt.Errorf("result %v is not a finite number: %w", f, weir.ErrInvalidData)}
}

// numWrite writes the result f: the whole data as its text, or a JSON
// number at the target. A result that is not finite is a coercion; in
// strict mode it is the error strictErr, or numNotFinite's.
func numWrite(c *coercer, msg *weir.Message, io *strIO, f float64, typ, id string, strictErr error) ([]*weir.Message, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if c.strict {
			if strictErr != nil {
				return nil, strictErr
			}
			return nil, numNotFinite(typ, id, f)
		}
		_ = c.coerce(msg, io.src.String(), strconv.FormatFloat(f, 'f', -1, 64), "finite number")
		if io.whole() {
			msg.SetData(strconv.AppendFloat(nil, f, 'f', -1, 64))
			return strOne(msg)
		}
		if err := io.dst.SetRaw(msg, []byte("null")); err != nil {
			return nil, &Error{Type: typ, ID: id, Err: err}
		}
		return strOne(msg)
	}
	if io.whole() {
		msg.SetData(strconv.AppendFloat(make([]byte, 0, 24), f, 'f', -1, 64))
		return strOne(msg)
	}
	return strSet(msg, &io.dst, f, typ, id)
}

// numDataFloat reads the whole data as a number, as Substation does: a
// JSON object or array reads as 0; other data is read as a string (base64
// when not UTF-8) that strconv.ParseFloat parses, else 0. ok is false when
// that reading is a coercion.
func numDataFloat(d []byte) (f float64, ok bool) {
	if arrJSONContainer(d) {
		return 0, false
	}
	var s string
	if utf8.Valid(d) {
		s = string(d)
	} else {
		s = base64.StdEncoding.EncodeToString(d)
	}
	f, err := strconv.ParseFloat(s, 64) // gjson's reading: no number is 0
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// numFloat reads v as gjson reads a number (Value.Float); ok is false when
// v is not a JSON number or a string holding a finite one.
func numFloat(v weir.Value) (f float64, ok bool) {
	f = v.Float()
	switch {
	case v.IsNumber():
		return f, true
	case v.IsString():
		_, err := strconv.ParseFloat(v.String(), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	return f, false
}

// numBound is the body of number_maximum and number_minimum.
type numBound struct {
	coercer
	typ, id string
	io      strIO
	value   float64
	pick    func(x, y float64) float64 // math.Max or math.Min
}

func newNumBound(typ, id string, o ObjectSettings, value float64, pick func(x, y float64) float64) (numBound, error) {
	io, err := newStrIO(typ, o)
	return numBound{coercer: newCoercer(typ, id), typ: typ, id: id, io: io, value: value, pick: pick}, err
}

// Transform implements [Transformer].
func (t *numBound) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		t.control(ctx)
		return strOne(msg)
	}
	var (
		f    float64
		ok   bool
		text string
	)
	if t.io.whole() {
		f, ok = numDataFloat(msg.Data())
		if !ok {
			text = string(msg.Data())
		}
	} else {
		v := t.io.src.Get(msg)
		if !v.Exists() {
			return strOne(msg)
		}
		f, ok = numFloat(v)
		text = v.Raw()
	}
	if !ok {
		if err := t.coerce(msg, t.io.src.String(), text, "number"); err != nil {
			return nil, err
		}
	}
	return numWrite(&t.coercer, msg, &t.io, t.pick(f, t.value), t.typ, t.id, nil)
}

// NumberMaximumConfig configures [NumberMaximum].
type NumberMaximumConfig struct {
	// Value is the lower bound (default 0).
	Value float64 `json:"value"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NumberMaximum replaces a number with the greater of it and Value (type
// "number_maximum"): it raises numbers below Value to Value. With
// [NumberMinimum] it clamps a number to a range.
type NumberMaximum struct{ numBound }

// NewNumberMaximum returns a NumberMaximum for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewNumberMaximum(cfg NumberMaximumConfig) (*NumberMaximum, error) {
	b, err := newNumBound("number_maximum", cfg.ID, cfg.Object, cfg.Value, math.Max)
	if err != nil {
		return nil, err
	}
	return &NumberMaximum{b}, nil
}

// NumberMinimumConfig configures [NumberMinimum].
type NumberMinimumConfig struct {
	// Value is the upper bound (default 0).
	Value float64 `json:"value"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NumberMinimum replaces a number with the lesser of it and Value (type
// "number_minimum"): it lowers numbers above Value to Value.
type NumberMinimum struct{ numBound }

// NewNumberMinimum returns a NumberMinimum for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewNumberMinimum(cfg NumberMinimumConfig) (*NumberMinimum, error) {
	b, err := newNumBound("number_minimum", cfg.ID, cfg.Object, cfg.Value, math.Min)
	if err != nil {
		return nil, err
	}
	return &NumberMinimum{b}, nil
}

// numOp is an arithmetic operator of the number_math_* types.
type numOp uint8

const (
	numAdd numOp = iota
	numSub
	numMul
	numDiv
)

// numMath is the body of the number_math_* types: it reduces an array of
// numbers left to right with one operator.
type numMath struct {
	coercer
	typ, id string
	io      strIO
	op      numOp
}

func newNumMath(typ, id string, o ObjectSettings, op numOp) (numMath, error) {
	io, err := newStrIO(typ, o)
	return numMath{coercer: newCoercer(typ, id), typ: typ, id: id, io: io, op: op}, err
}

// Transform implements [Transformer].
func (t *numMath) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		t.control(ctx)
		return strOne(msg)
	}
	arr, ok := arrSource(msg, &t.io)
	if !ok {
		return strOne(msg)
	}
	var (
		acc   float64
		i     int
		zeroD bool
		err   error
	)
	arr.ForEach(func(_, v weir.Value) bool {
		f, ok := numFloat(v)
		if !ok {
			if err = t.coerce(msg, t.io.src.String(), v.Raw(), "number"); err != nil {
				return false
			}
		}
		switch {
		case i == 0:
			acc = f
		case t.op == numAdd:
			acc += f
		case t.op == numSub:
			acc -= f
		case t.op == numMul:
			acc *= f
		default:
			zeroD = zeroD || f == 0
			acc /= f
		}
		i++
		return true
	})
	if err != nil {
		return nil, err
	}
	var strictErr error
	if zeroD {
		strictErr = &Error{Type: t.typ, ID: t.id, Err: ErrDivisionByZero}
	}
	return numWrite(&t.coercer, msg, &t.io, acc, t.typ, t.id, strictErr)
}

// NumberMathAdditionConfig configures [NumberMathAddition].
type NumberMathAdditionConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NumberMathAddition replaces an array of numbers with their sum (type
// "number_math_addition"): [6,2] becomes 8. An empty array becomes 0; a
// value that is not an array passes unchanged.
type NumberMathAddition struct{ numMath }

// NewNumberMathAddition returns a NumberMathAddition for cfg.
// Object.SourceKey and Object.TargetKey are both set or both empty.
func NewNumberMathAddition(cfg NumberMathAdditionConfig) (*NumberMathAddition, error) {
	m, err := newNumMath("number_math_addition", cfg.ID, cfg.Object, numAdd)
	if err != nil {
		return nil, err
	}
	return &NumberMathAddition{m}, nil
}

// NumberMathSubtractionConfig configures [NumberMathSubtraction].
type NumberMathSubtractionConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NumberMathSubtraction replaces an array of numbers with the first minus
// each of the others, left to right (type "number_math_subtraction"):
// [6,2] becomes 4. An empty array becomes 0; a value that is not an array
// passes unchanged.
type NumberMathSubtraction struct{ numMath }

// NewNumberMathSubtraction returns a NumberMathSubtraction for cfg.
// Object.SourceKey and Object.TargetKey are both set or both empty.
func NewNumberMathSubtraction(cfg NumberMathSubtractionConfig) (*NumberMathSubtraction, error) {
	m, err := newNumMath("number_math_subtraction", cfg.ID, cfg.Object, numSub)
	if err != nil {
		return nil, err
	}
	return &NumberMathSubtraction{m}, nil
}

// NumberMathMultiplicationConfig configures [NumberMathMultiplication].
type NumberMathMultiplicationConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NumberMathMultiplication replaces an array of numbers with their product
// (type "number_math_multiplication"): [2,3] becomes 6. An empty array
// becomes 0, as in Substation; a value that is not an array passes
// unchanged.
type NumberMathMultiplication struct{ numMath }

// NewNumberMathMultiplication returns a NumberMathMultiplication for cfg.
// Object.SourceKey and Object.TargetKey are both set or both empty.
func NewNumberMathMultiplication(cfg NumberMathMultiplicationConfig) (*NumberMathMultiplication, error) {
	m, err := newNumMath("number_math_multiplication", cfg.ID, cfg.Object, numMul)
	if err != nil {
		return nil, err
	}
	return &NumberMathMultiplication{m}, nil
}

// NumberMathDivisionConfig configures [NumberMathDivision].
type NumberMathDivisionConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// NumberMathDivision replaces an array of numbers with the first divided
// by each of the others, left to right (type "number_math_division"):
// [6,2] becomes 3. A zero divisor makes the result +Inf, -Inf or NaN, a
// coercion (see the package's number_* notes); in strict mode it is an
// *Error wrapping [ErrDivisionByZero]. An empty array becomes 0; a value
// that is not an array passes unchanged.
type NumberMathDivision struct{ numMath }

// NewNumberMathDivision returns a NumberMathDivision for cfg.
// Object.SourceKey and Object.TargetKey are both set or both empty.
func NewNumberMathDivision(cfg NumberMathDivisionConfig) (*NumberMathDivision, error) {
	m, err := newNumMath("number_math_division", cfg.ID, cfg.Object, numDiv)
	if err != nil {
		return nil, err
	}
	return &NumberMathDivision{m}, nil
}
