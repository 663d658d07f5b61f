package condition

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/weirhq/weir"
)

func numberBuiltins() map[string]Factory {
	return map[string]Factory{
		"number_equal_to":     decodedNoCtx(NewNumberEqualTo),
		"number_greater_than": decodedNoCtx(NewNumberGreaterThan),
		"number_less_than":    decodedNoCtx(NewNumberLessThan),
		"number_bitwise_and":  decodedNoCtx(NewNumberBitwiseAnd),
		"number_bitwise_or":   decodedNoCtx(NewNumberBitwiseOr),
		"number_bitwise_xor":  decodedNoCtx(NewNumberBitwiseXor),
		// Substation's own tests configure number_bitwise_not with an
		// "object.value" it never reads; accept and ignore it.
		"number_bitwise_not":         ignoreSettings(decodedNoCtx(NewNumberBitwiseNot), "object.value"),
		"number_length_equal_to":     decodedNoCtx(NewNumberLengthEqualTo),
		"number_length_greater_than": decodedNoCtx(NewNumberLengthGreaterThan),
		"number_length_less_than":    decodedNoCtx(NewNumberLengthLessThan),
	}
}

// NumberConfig is the configuration shared by number_equal_to,
// number_greater_than and number_less_than.
//
// The number inspected is the message data, which must then be a decimal
// number (anything else is an error matching weir.ErrInvalidData), or the
// field at Object.SourceKey, read as gjson reads numbers (numeric strings
// parse, true is 1, anything else is 0). It is compared with the field at
// Object.TargetKey when that is set and present, else with Value.
type NumberConfig struct {
	// Value is the number to compare with.
	Value float64 `json:"value"`
	// Object.SourceKey is the field to inspect and Object.TargetKey the
	// field to compare with; both are optional.
	Object ObjectSettings `json:"object"`
}

// numberCompare is what the number comparisons share.
type numberCompare struct {
	typ           string
	key, target   weir.Path
	value         float64
	requireSource bool // a missing source field is false, not 0
	cmp           func(x, y float64) bool
}

func (n *numberCompare) inspect(msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	y := n.value
	if n.target.String() != "" {
		if t := n.target.Get(msg); t.Exists() {
			y = t.Float()
		}
	}
	if n.key.String() == "" {
		x, err := strconv.ParseFloat(string(msg.Data()), 64)
		if err != nil {
			return false, invalidData(n.typ, "data is not a number")
		}
		return n.cmp(x, y), nil
	}
	v := n.key.Get(msg)
	if n.requireSource && !v.Exists() {
		return false, nil
	}
	return n.cmp(v.Float(), y), nil
}

// NumberEqualToConfig is the configuration of number_equal_to.
type NumberEqualToConfig = NumberConfig

// NumberEqualTo is the number_equal_to inspector: it is true when the number
// equals the value or target field (see [NumberConfig]). A missing source
// field and a control message are false.
type NumberEqualTo struct{ numberCompare }

// NewNumberEqualTo returns a number_equal_to inspector.
func NewNumberEqualTo(cfg NumberEqualToConfig) (*NumberEqualTo, error) {
	return &NumberEqualTo{numberCompare{
		typ: "number_equal_to", key: weir.ParsePath(cfg.Object.SourceKey), target: weir.ParsePath(cfg.Object.TargetKey),
		value: cfg.Value, requireSource: true,
		cmp: func(x, y float64) bool { return x == y },
	}}, nil
}

// Inspect implements Inspector.
func (i *NumberEqualTo) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberGreaterThanConfig is the configuration of number_greater_than.
type NumberGreaterThanConfig = NumberConfig

// NumberGreaterThan is the number_greater_than inspector: it is true when the
// number is greater than the value or target field (see [NumberConfig]). As
// in Substation, a missing source field counts as 0. Control messages are
// false.
type NumberGreaterThan struct{ numberCompare }

// NewNumberGreaterThan returns a number_greater_than inspector.
func NewNumberGreaterThan(cfg NumberGreaterThanConfig) (*NumberGreaterThan, error) {
	return &NumberGreaterThan{numberCompare{
		typ: "number_greater_than", key: weir.ParsePath(cfg.Object.SourceKey), target: weir.ParsePath(cfg.Object.TargetKey),
		value: cfg.Value,
		cmp:   func(x, y float64) bool { return x > y },
	}}, nil
}

// Inspect implements Inspector.
func (i *NumberGreaterThan) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberLessThanConfig is the configuration of number_less_than.
type NumberLessThanConfig = NumberConfig

// NumberLessThan is the number_less_than inspector: it is true when the
// number is less than the value or target field (see [NumberConfig]). As in
// Substation, a missing source field counts as 0. Control messages are false.
type NumberLessThan struct{ numberCompare }

// NewNumberLessThan returns a number_less_than inspector.
func NewNumberLessThan(cfg NumberLessThanConfig) (*NumberLessThan, error) {
	return &NumberLessThan{numberCompare{
		typ: "number_less_than", key: weir.ParsePath(cfg.Object.SourceKey), target: weir.ParsePath(cfg.Object.TargetKey),
		value: cfg.Value,
		cmp:   func(x, y float64) bool { return x < y },
	}}, nil
}

// Inspect implements Inspector.
func (i *NumberLessThan) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberBitwiseConfig is the configuration shared by number_bitwise_and,
// number_bitwise_or and number_bitwise_xor.
//
// The integer inspected is the message data, which must then be a decimal
// integer (anything else is an error matching weir.ErrInvalidData), or the
// field at Object.SourceKey, read as gjson reads integers (a missing field
// is 0).
type NumberBitwiseConfig struct {
	// Value is the other operand.
	Value int64 `json:"value"`
	// Object.SourceKey is the field to inspect (optional).
	Object ObjectSettings `json:"object"`
}

// numberBitwise is what the bitwise inspectors share: they are true when
// op(integer, value) is not zero.
type numberBitwise struct {
	typ   string
	key   weir.Path
	value int64
	op    func(x, y int64) int64
}

func newNumberBitwise(typ string, obj ObjectSettings, value int64, op func(x, y int64) int64) (numberBitwise, error) {
	if err := rejectTargetKey(typ, obj); err != nil {
		return numberBitwise{}, err
	}
	return numberBitwise{typ: typ, key: weir.ParsePath(obj.SourceKey), value: value, op: op}, nil
}

func (n *numberBitwise) inspect(msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	var x int64
	if n.key.String() == "" {
		var err error
		if x, err = strconv.ParseInt(string(msg.Data()), 10, 64); err != nil {
			return false, invalidData(n.typ, "data is not an integer")
		}
	} else {
		x = n.key.Get(msg).Int()
	}
	return n.op(x, n.value) != 0, nil
}

// NumberBitwiseAndConfig is the configuration of number_bitwise_and.
type NumberBitwiseAndConfig = NumberBitwiseConfig

// NumberBitwiseAnd is the number_bitwise_and inspector: it is true when the
// integer AND value is not zero, i.e. when they share a set bit (see
// [NumberBitwiseConfig]). Control messages are false.
type NumberBitwiseAnd struct{ numberBitwise }

// NewNumberBitwiseAnd returns a number_bitwise_and inspector.
func NewNumberBitwiseAnd(cfg NumberBitwiseAndConfig) (*NumberBitwiseAnd, error) {
	n, err := newNumberBitwise("number_bitwise_and", cfg.Object, cfg.Value, func(x, y int64) int64 { return x & y })
	if err != nil {
		return nil, err
	}
	return &NumberBitwiseAnd{n}, nil
}

// Inspect implements Inspector.
func (i *NumberBitwiseAnd) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberBitwiseOrConfig is the configuration of number_bitwise_or.
type NumberBitwiseOrConfig = NumberBitwiseConfig

// NumberBitwiseOr is the number_bitwise_or inspector: it is true when the
// integer OR value is not zero (see [NumberBitwiseConfig]). Control messages
// are false.
type NumberBitwiseOr struct{ numberBitwise }

// NewNumberBitwiseOr returns a number_bitwise_or inspector.
func NewNumberBitwiseOr(cfg NumberBitwiseOrConfig) (*NumberBitwiseOr, error) {
	n, err := newNumberBitwise("number_bitwise_or", cfg.Object, cfg.Value, func(x, y int64) int64 { return x | y })
	if err != nil {
		return nil, err
	}
	return &NumberBitwiseOr{n}, nil
}

// Inspect implements Inspector.
func (i *NumberBitwiseOr) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberBitwiseXorConfig is the configuration of number_bitwise_xor.
type NumberBitwiseXorConfig = NumberBitwiseConfig

// NumberBitwiseXor is the number_bitwise_xor inspector: it is true when the
// integer XOR value is not zero, i.e. when they differ (see
// [NumberBitwiseConfig]). Control messages are false.
type NumberBitwiseXor struct{ numberBitwise }

// NewNumberBitwiseXor returns a number_bitwise_xor inspector.
func NewNumberBitwiseXor(cfg NumberBitwiseXorConfig) (*NumberBitwiseXor, error) {
	n, err := newNumberBitwise("number_bitwise_xor", cfg.Object, cfg.Value, func(x, y int64) int64 { return x ^ y })
	if err != nil {
		return nil, err
	}
	return &NumberBitwiseXor{n}, nil
}

// Inspect implements Inspector.
func (i *NumberBitwiseXor) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberBitwiseNotConfig is the configuration of number_bitwise_not.
type NumberBitwiseNotConfig struct {
	// Object.SourceKey is the field to inspect (optional); the integer is
	// read as for [NumberBitwiseConfig].
	Object ObjectSettings `json:"object"`
}

// NumberBitwiseNot is the number_bitwise_not inspector: it is true when NOT
// the integer is not zero, that is for every integer but -1. Control messages
// are false.
type NumberBitwiseNot struct{ numberBitwise }

// NewNumberBitwiseNot returns a number_bitwise_not inspector.
func NewNumberBitwiseNot(cfg NumberBitwiseNotConfig) (*NumberBitwiseNot, error) {
	n, err := newNumberBitwise("number_bitwise_not", cfg.Object, 0, func(x, _ int64) int64 { return ^x })
	if err != nil {
		return nil, err
	}
	return &NumberBitwiseNot{n}, nil
}

// Inspect implements Inspector.
func (i *NumberBitwiseNot) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg)
}

// NumberLengthConfig is the configuration shared by number_length_equal_to,
// number_length_greater_than and number_length_less_than.
//
// The length measured is that of the message data or of the field at
// Object.SourceKey (a string's contents, any other value's JSON text; a
// missing field has length 0). When the field is an array its length is its
// number of elements, whatever Measurement says.
type NumberLengthConfig struct {
	// Value is the length to compare with.
	Value int `json:"value"`
	// Measurement is "byte" (the default) to count bytes or "char" to count
	// UTF-8 characters; "rune" is a synonym of "char".
	Measurement string `json:"measurement,omitempty"`
	// Object.SourceKey is the field to measure (optional).
	Object ObjectSettings `json:"object"`
}

// numberLength is what the length inspectors share.
type numberLength struct {
	key   weir.Path
	chars bool
	value int
	cmp   func(n, value int) bool
}

func newNumberLength(typ string, cfg NumberLengthConfig, cmp func(n, value int) bool) (numberLength, error) {
	if err := rejectTargetKey(typ, cfg.Object); err != nil {
		return numberLength{}, err
	}
	n := numberLength{key: weir.ParsePath(cfg.Object.SourceKey), value: cfg.Value, cmp: cmp}
	switch cfg.Measurement {
	case "", "byte":
	case "char", "rune":
		n.chars = true
	default:
		return numberLength{}, &weir.ConfigError{Type: typ, Field: "measurement",
			Err: fmt.Errorf("%q is not one of byte, char", cfg.Measurement)}
	}
	return n, nil
}

func (n *numberLength) inspect(msg *weir.Message) bool {
	if msg.IsControl() {
		return false
	}
	if n.key.String() == "" {
		data := msg.Data()
		if n.chars {
			return n.cmp(utf8.RuneCount(data), n.value)
		}
		return n.cmp(len(data), n.value)
	}
	v := n.key.Get(msg)
	if v.IsArray() {
		count := 0
		v.ForEach(func(_, _ weir.Value) bool { count++; return true })
		return n.cmp(count, n.value)
	}
	s := v.String()
	if n.chars {
		return n.cmp(utf8.RuneCountInString(s), n.value)
	}
	return n.cmp(len(s), n.value)
}

// NumberLengthEqualToConfig is the configuration of number_length_equal_to.
type NumberLengthEqualToConfig = NumberLengthConfig

// NumberLengthEqualTo is the number_length_equal_to inspector: it is true
// when the length equals the value (see [NumberLengthConfig]). Control
// messages are false.
type NumberLengthEqualTo struct{ numberLength }

// NewNumberLengthEqualTo returns a number_length_equal_to inspector.
func NewNumberLengthEqualTo(cfg NumberLengthEqualToConfig) (*NumberLengthEqualTo, error) {
	n, err := newNumberLength("number_length_equal_to", cfg, func(n, v int) bool { return n == v })
	if err != nil {
		return nil, err
	}
	return &NumberLengthEqualTo{n}, nil
}

// Inspect implements Inspector.
func (i *NumberLengthEqualTo) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NumberLengthGreaterThanConfig is the configuration of
// number_length_greater_than.
type NumberLengthGreaterThanConfig = NumberLengthConfig

// NumberLengthGreaterThan is the number_length_greater_than inspector: it is
// true when the length is greater than the value (see [NumberLengthConfig]).
// Control messages are false.
type NumberLengthGreaterThan struct{ numberLength }

// NewNumberLengthGreaterThan returns a number_length_greater_than inspector.
func NewNumberLengthGreaterThan(cfg NumberLengthGreaterThanConfig) (*NumberLengthGreaterThan, error) {
	n, err := newNumberLength("number_length_greater_than", cfg, func(n, v int) bool { return n > v })
	if err != nil {
		return nil, err
	}
	return &NumberLengthGreaterThan{n}, nil
}

// Inspect implements Inspector.
func (i *NumberLengthGreaterThan) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// NumberLengthLessThanConfig is the configuration of number_length_less_than.
type NumberLengthLessThanConfig = NumberLengthConfig

// NumberLengthLessThan is the number_length_less_than inspector: it is true
// when the length is less than the value (see [NumberLengthConfig]). Control
// messages are false.
type NumberLengthLessThan struct{ numberLength }

// NewNumberLengthLessThan returns a number_length_less_than inspector.
func NewNumberLengthLessThan(cfg NumberLengthLessThanConfig) (*NumberLengthLessThan, error) {
	n, err := newNumberLength("number_length_less_than", cfg, func(n, v int) bool { return n < v })
	if err != nil {
		return nil, err
	}
	return &NumberLengthLessThan{n}, nil
}

// Inspect implements Inspector.
func (i *NumberLengthLessThan) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}
