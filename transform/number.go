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
// as that number, true as 1, anything else as 0. A result that is not
// finite (an overflow, or a string such as "Inf" or "NaN" in the input) is
// an error matching weir.ErrInvalidData rather than text that is not JSON.

func numberBuiltins() map[string]Factory {
	return map[string]Factory{
		"number_maximum":             decodedNoCtx(NewNumberMaximum),
		"number_minimum":             decodedNoCtx(NewNumberMinimum),
		"number_math_addition":       decodedNoCtx(NewNumberMathAddition),
		"number_math_subtraction":    decodedNoCtx(NewNumberMathSubtraction),
		"number_math_multiplication": decodedNoCtx(NewNumberMathMultiplication),
		"number_math_division":       decodedNoCtx(NewNumberMathDivision),
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
// number at the target.
func numWrite(msg *weir.Message, io strIO, f float64, typ, id string) ([]*weir.Message, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, numNotFinite(typ, id, f)
	}
	if io.whole() {
		msg.SetData(strconv.AppendFloat(make([]byte, 0, 24), f, 'f', -1, 64))
		return strOne(msg)
	}
	return strSet(msg, io.dst, f, typ, id)
}

// numDataFloat reads the whole data as a number, as Substation does: a
// JSON object or array reads as 0; other data is read as a string (base64
// when not UTF-8) that strconv.ParseFloat parses, else 0.
func numDataFloat(d []byte) float64 {
	if arrJSONContainer(d) {
		return 0
	}
	var s string
	if utf8.Valid(d) {
		s = string(d)
	} else {
		s = base64.StdEncoding.EncodeToString(d)
	}
	f, _ := strconv.ParseFloat(s, 64) // gjson's reading: no number is 0
	return f
}

// numBound is the body of number_maximum and number_minimum.
type numBound struct {
	typ, id string
	io      strIO
	value   float64
	pick    func(x, y float64) float64 // math.Max or math.Min
}

func newNumBound(typ, id string, o ObjectSettings, value float64, pick func(x, y float64) float64) (numBound, error) {
	io, err := newStrIO(typ, o)
	return numBound{typ: typ, id: id, io: io, value: value, pick: pick}, err
}

// Transform implements [Transformer].
func (t *numBound) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	var f float64
	if t.io.whole() {
		f = numDataFloat(msg.Data())
	} else {
		v := t.io.src.Get(msg)
		if !v.Exists() {
			return strOne(msg)
		}
		f = v.Float()
	}
	return numWrite(msg, t.io, t.pick(f, t.value), t.typ, t.id)
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
	typ, id string
	io      strIO
	op      numOp
}

func newNumMath(typ, id string, o ObjectSettings, op numOp) (numMath, error) {
	io, err := newStrIO(typ, o)
	return numMath{typ: typ, id: id, io: io, op: op}, err
}

// Transform implements [Transformer].
func (t *numMath) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	arr, ok := arrSource(msg, t.io)
	if !ok {
		return strOne(msg)
	}
	var (
		acc   float64
		i     int
		zeroD bool
	)
	arr.ForEach(func(_, v weir.Value) bool {
		f := v.Float()
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
			if f == 0 {
				zeroD = true
				return false
			}
			acc /= f
		}
		i++
		return true
	})
	if zeroD {
		return nil, &Error{Type: t.typ, ID: t.id, Err: ErrDivisionByZero}
	}
	return numWrite(msg, t.io, acc, t.typ, t.id)
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
// [6,2] becomes 3. A zero divisor is an *Error wrapping
// [ErrDivisionByZero] (Substation would write +Inf or NaN, which are not
// JSON). An empty array becomes 0; a value that is not an array passes
// unchanged.
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
