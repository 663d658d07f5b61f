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
}

// ObjectJQ replaces the data with the result of a jq filter. Create it with
// [NewObjectJQ].
type ObjectJQ struct {
	id       string
	code     *gojq.Code
	maxCount int
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
// weir.ErrInvalidData. More than MaxCount results is a
// *transform.LimitError matching weir.ErrTooLarge (a filter such as
// range(.n) lets the data choose how many).
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
	case cfg.MaxCount == 0:
		cfg.MaxCount = transform.DefaultMaxCount
	}
	return &ObjectJQ{id: cfg.ID, code: code, maxCount: cfg.MaxCount}, nil
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

func (t *ObjectJQ) fail(err error) error {
	return &transform.Error{Type: "object_jq", ID: t.id, Err: err}
}

// Register adds object_jq to r.
func Register(r *transform.Registry) error {
	return r.Register("object_jq", transform.Typed(NewObjectJQ))
}
