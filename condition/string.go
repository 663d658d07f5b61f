package condition

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/weirhq/weir"
)

func stringBuiltins() map[string]Factory {
	return map[string]Factory{
		// Substation's own tests configure string_contains with a "pattern"
		// it never reads; accept and ignore it.
		"string_contains":     ignoreSettings(decodedNoCtx(NewStringContains), "pattern"),
		"string_ends_with":    decodedNoCtx(NewStringEndsWith),
		"string_equal_to":     decodedNoCtx(NewStringEqualTo),
		"string_greater_than": decodedNoCtx(NewStringGreaterThan),
		"string_less_than":    decodedNoCtx(NewStringLessThan),
		"string_starts_with":  decodedNoCtx(NewStringStartsWith),
		"string_match":        decodedNoCtx(NewStringMatch),
	}
}

// StringConfig is the configuration shared by the string comparisons
// (string_contains, string_ends_with, string_equal_to, string_greater_than,
// string_less_than and string_starts_with).
//
// The string inspected is the message data or, when Object.SourceKey is set,
// that field (a string's contents, any other value's JSON text). It is
// compared byte by byte with the field at Object.TargetKey when that is set,
// else with Value.
type StringConfig struct {
	// Value is the string to compare with.
	Value string `json:"value"`
	// Object.SourceKey is the field to inspect and Object.TargetKey the
	// field to compare with; both are optional.
	Object ObjectSettings `json:"object"`
}

// stringOp is a string comparison.
type stringOp uint8

const (
	opContains stringOp = iota
	opStartsWith
	opEndsWith
	opEqual
	opGreater
	opLess
)

func (op stringOp) strings(x, y string) bool {
	switch op {
	case opContains:
		return strings.Contains(x, y)
	case opStartsWith:
		return strings.HasPrefix(x, y)
	case opEndsWith:
		return strings.HasSuffix(x, y)
	case opEqual:
		return x == y
	case opGreater:
		return x > y
	default:
		return x < y
	}
}

func (op stringOp) bytes(x, y []byte) bool {
	switch op {
	case opContains:
		return bytes.Contains(x, y)
	case opStartsWith:
		return bytes.HasPrefix(x, y)
	case opEndsWith:
		return bytes.HasSuffix(x, y)
	case opEqual:
		return bytes.Equal(x, y)
	case opGreater:
		return bytes.Compare(x, y) > 0
	default:
		return bytes.Compare(x, y) < 0
	}
}

// stringCompare is what the string comparisons share.
type stringCompare struct {
	op          stringOp
	key, target weir.Path
	// keyed and hasTarget say whether key (else the data is compared) and
	// target are set: calling a method of weir.Path on a field
	// (key.String()) copies the whole Path.
	keyed, hasTarget bool
	value            string
	valueBytes       []byte
	// requireSource makes a missing source field false; otherwise it is
	// the empty string.
	requireSource bool
	// targetFallback compares with value when the target field is missing;
	// otherwise that is false.
	targetFallback bool
}

func newStringCompare(op stringOp, cfg StringConfig) stringCompare {
	return stringCompare{
		op:             op,
		key:            weir.ParsePath(cfg.Object.SourceKey),
		target:         weir.ParsePath(cfg.Object.TargetKey),
		keyed:          cfg.Object.SourceKey != "",
		hasTarget:      cfg.Object.TargetKey != "",
		value:          cfg.Value,
		valueBytes:     []byte(cfg.Value),
		requireSource:  op == opEqual,
		targetFallback: op == opGreater || op == opLess,
	}
}

func (s *stringCompare) inspect(msg *weir.Message) bool {
	if msg.IsControl() {
		return false
	}
	y, yb := s.value, s.valueBytes
	if s.hasTarget {
		t := s.target.Get(msg)
		switch {
		case t.Exists():
			y = t.String()
			if !s.keyed {
				yb = []byte(y)
			}
		case !s.targetFallback:
			return false
		}
	}
	if !s.keyed {
		return s.op.bytes(msg.Data(), yb)
	}
	v := s.key.Get(msg)
	if s.requireSource && !v.Exists() {
		return false
	}
	return s.op.strings(v.String(), y)
}

// StringContainsConfig is the configuration of string_contains.
type StringContainsConfig = StringConfig

// StringContains is the string_contains inspector: it is true when the string
// contains the value or target field (see [StringConfig]). A missing source
// field is the empty string; a missing target field and a control message
// are false. Substation has no target_key for this type.
type StringContains struct{ stringCompare }

// NewStringContains returns a string_contains inspector.
func NewStringContains(cfg StringContainsConfig) (*StringContains, error) {
	return &StringContains{newStringCompare(opContains, cfg)}, nil
}

// Inspect implements Inspector.
func (i *StringContains) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// StringStartsWithConfig is the configuration of string_starts_with.
type StringStartsWithConfig = StringConfig

// StringStartsWith is the string_starts_with inspector: it is true when the
// string starts with the value or target field (see [StringConfig]). A
// missing source field is the empty string; a missing target field and a
// control message are false. Substation has no target_key for this type.
type StringStartsWith struct{ stringCompare }

// NewStringStartsWith returns a string_starts_with inspector.
func NewStringStartsWith(cfg StringStartsWithConfig) (*StringStartsWith, error) {
	return &StringStartsWith{newStringCompare(opStartsWith, cfg)}, nil
}

// Inspect implements Inspector.
func (i *StringStartsWith) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// StringEndsWithConfig is the configuration of string_ends_with.
type StringEndsWithConfig = StringConfig

// StringEndsWith is the string_ends_with inspector: it is true when the
// string ends with the value or target field (see [StringConfig]). A missing
// source field is the empty string; a missing target field and a control
// message are false. Substation has no target_key for this type.
type StringEndsWith struct{ stringCompare }

// NewStringEndsWith returns a string_ends_with inspector.
func NewStringEndsWith(cfg StringEndsWithConfig) (*StringEndsWith, error) {
	return &StringEndsWith{newStringCompare(opEndsWith, cfg)}, nil
}

// Inspect implements Inspector.
func (i *StringEndsWith) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// StringEqualToConfig is the configuration of string_equal_to.
type StringEqualToConfig = StringConfig

// StringEqualTo is the string_equal_to inspector: it is true when the string
// equals the value or target field (see [StringConfig]). A missing source or
// target field and a control message are false.
type StringEqualTo struct{ stringCompare }

// NewStringEqualTo returns a string_equal_to inspector.
func NewStringEqualTo(cfg StringEqualToConfig) (*StringEqualTo, error) {
	return &StringEqualTo{newStringCompare(opEqual, cfg)}, nil
}

// Inspect implements Inspector.
func (i *StringEqualTo) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// StringGreaterThanConfig is the configuration of string_greater_than.
type StringGreaterThanConfig = StringConfig

// StringGreaterThan is the string_greater_than inspector: it is true when the
// string sorts after (byte-wise) the target field, or the value when the
// target field is not set or missing (see [StringConfig]). As in Substation,
// a missing source field is the empty string. Control messages are false.
type StringGreaterThan struct{ stringCompare }

// NewStringGreaterThan returns a string_greater_than inspector.
func NewStringGreaterThan(cfg StringGreaterThanConfig) (*StringGreaterThan, error) {
	return &StringGreaterThan{newStringCompare(opGreater, cfg)}, nil
}

// Inspect implements Inspector.
func (i *StringGreaterThan) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// StringLessThanConfig is the configuration of string_less_than.
type StringLessThanConfig = StringConfig

// StringLessThan is the string_less_than inspector: it is true when the
// string sorts before (byte-wise) the target field, or the value when the
// target field is not set or missing (see [StringConfig]). As in Substation,
// a missing source field is the empty string. Control messages are false.
type StringLessThan struct{ stringCompare }

// NewStringLessThan returns a string_less_than inspector.
func NewStringLessThan(cfg StringLessThanConfig) (*StringLessThan, error) {
	return &StringLessThan{newStringCompare(opLess, cfg)}, nil
}

// Inspect implements Inspector.
func (i *StringLessThan) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(msg), nil
}

// StringMatchConfig is the configuration of string_match.
type StringMatchConfig struct {
	// Pattern is the regular expression (RE2 syntax, as Go's regexp) to
	// match. It is required.
	Pattern string `json:"pattern"`
	// Object.SourceKey is the field to match (optional); when empty the
	// whole message data is matched.
	Object ObjectSettings `json:"object"`
}

// StringMatch is the string_match inspector: it is true when the pattern
// matches somewhere in the message data or in the field at
// object.source_key (a string's contents, any other value's JSON text; a
// missing field is the empty string). Control messages are false.
type StringMatch struct {
	key weir.Path
	re  *regexp.Regexp
}

// NewStringMatch returns a string_match inspector. The pattern is compiled
// here; a bad pattern is a *weir.ConfigError for the field "pattern".
func NewStringMatch(cfg StringMatchConfig) (*StringMatch, error) {
	const typ = "string_match"
	if cfg.Pattern == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "pattern", Err: weir.ErrMissingSetting}
	}
	re, err := regexp.Compile(cfg.Pattern)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "pattern", Err: err}
	}
	if err := rejectTargetKey(typ, cfg.Object); err != nil {
		return nil, err
	}
	return &StringMatch{key: weir.ParsePath(cfg.Object.SourceKey), re: re}, nil
}

// Inspect implements Inspector.
func (i *StringMatch) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	if i.key.String() == "" {
		return i.re.Match(msg.Data()), nil
	}
	return i.re.MatchString(i.key.Get(msg).String()), nil
}
