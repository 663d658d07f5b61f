package transform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/weirhq/weir"
)

// Coercion is what Weir calls a value that a transform cannot convert
// faithfully and that Substation converts anyway, with gjson's readings: a
// timestamp that is not a number becomes 0 (1970-01-01), a string that is
// not a boolean becomes false, an IP address gets a "top-level domain". By
// default Weir does as Substation does, so that its outputs are the same
// bytes, and counts each coercion; with [Env.Strict] each one is a
// *weir.CoercionError instead. docs/substation-compatibility.md lists the
// coercions of each type.

// CoercionsMetric is the name of the [Metric] a transform that coerced
// values reports to [Env.Metrics] when a control message passes: its
// Value is how many values it coerced since the previous control message,
// its Attributes name the transform ("type", and "id" when it has one).
const CoercionsMetric = "Coercions"

// Coercions counts the coercions of the transforms built from an [Env],
// nested ones included, per transform. [NewPipeline] gives each pipeline
// one ([Pipeline.Coercions]). The zero value is ready to use; it is safe
// for concurrent use.
type Coercions struct {
	mu   sync.Mutex
	list []*coercer
}

// CoercionCount is how many values one transform coerced.
type CoercionCount struct {
	Type  string // the transform type, e.g. "time_to_unix"
	ID    string // its "id" setting, if any
	Count int64
}

// Counts returns the count of every transform that can coerce, in the
// order they were built (a transform nested in another comes before it).
func (c *Coercions) Counts() []CoercionCount {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CoercionCount, len(c.list))
	for i, k := range c.list {
		out[i] = CoercionCount{Type: k.typ, ID: k.id, Count: k.n.total.Load()}
	}
	return out
}

// Total returns how many values all the transforms coerced.
func (c *Coercions) Total() int64 {
	var n int64
	for _, k := range c.Counts() {
		n += k.Count
	}
	return n
}

func (c *Coercions) add(k *coercer) {
	c.mu.Lock()
	c.list = append(c.list, k)
	c.mu.Unlock()
}

// coercer is the coercion policy of one transform, embedded in the
// transforms that can coerce; newCoercer makes one that coerces and counts
// (a transform made by its constructor, not from an Env).
type coercer struct {
	typ, id string
	strict  bool
	metaKey string  // metadata key of the last coercion, or ""
	metrics Metrics // nil: none
	now     func() time.Time
	n       *coercionCounts
}

// coercionCounts are a transform's counts, shared by copies of its coercer.
type coercionCounts struct {
	total   atomic.Int64
	pending atomic.Int64 // since the last control message
}

// newCoercer returns the policy of a transform of type typ with id.
func newCoercer(typ, id string) coercer {
	return coercer{typ: typ, id: id, n: &coercionCounts{}}
}

// Coercions returns how many values the transform has coerced.
func (c *coercer) Coercions() int64 { return c.n.total.Load() }

func (c *coercer) coercion() *coercer { return c }

// coercible is a transform with a coercion policy.
type coercible interface {
	Transformer
	coercion() *coercer
}

// configure sets the policy from env and registers the counter.
func (c *coercer) configure(env *Env) {
	if env == nil {
		return
	}
	c.strict = env.Strict
	c.metaKey = env.CoercionMetadata
	c.metrics = env.Metrics
	c.now = env.now()
	if env.Coercions != nil {
		env.Coercions.add(c)
	}
}

// coercing wraps the constructor of a transform that can coerce: the
// transform's policy comes from the Env.
func coercing[C any, T coercible](fn func(cfg C) (T, error)) Factory {
	return decoded(func(_ context.Context, env *Env, c C) (T, error) {
		t, err := fn(c)
		if err != nil {
			return t, err
		}
		t.coercion().configure(env)
		return t, nil
	})
}

// coerce records that value, read at field ("" for the data), was
// converted to target with a made-up result: in strict mode it returns the
// *weir.CoercionError; otherwise it counts it, records it in msg's
// metadata if asked, and returns nil.
func (c *coercer) coerce(msg *weir.Message, field, value, target string) error {
	if c.strict {
		return &weir.CoercionError{Transform: c.typ, ID: c.id, Field: field, Value: weir.TruncateValue(value), Target: target}
	}
	c.n.total.Add(1)
	c.n.pending.Add(1)
	if c.metaKey != "" {
		rec := map[string]string{"type": c.typ, "field": field, "value": weir.TruncateValue(value), "target": target}
		if c.id != "" {
			rec["id"] = c.id
		}
		_ = msg.Set("meta "+c.metaKey, rec) // metadata of a data message is always writable
	}
	return nil
}

// control reports the coercions since the previous control message to the
// Metrics hook, if there were any.
func (c *coercer) control(ctx context.Context) {
	if c.metrics == nil {
		return
	}
	if n := c.n.pending.Swap(0); n > 0 {
		attrs := map[string]string{"type": c.typ}
		if c.id != "" {
			attrs["id"] = c.id
		}
		c.metrics.Record(ctx, Metric{Name: CoercionsMetric, Value: float64(n), Unit: "Count", Attributes: attrs, Time: c.now()})
	}
}

// dataValue reads a message's data as Substation reads the whole data as
// a value: a JSON object or array as itself, any other bytes as a JSON
// string (base64-encoded when they are not UTF-8).
func dataValue(b []byte) weir.Value {
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') && json.Valid(b) {
		return weir.ValueOf(b)
	}
	s := string(b)
	if !utf8.Valid(b) {
		s = base64.StdEncoding.EncodeToString(b)
	}
	q, _ := json.Marshal(s) // a string always marshals
	return weir.ValueOf(q)
}

// dataInt reads a message's data as an integer as Substation does
// (gjson's Int of dataValue), without building the value: a JSON object or
// array is 0; other data is read as a string (base64 when not UTF-8) of
// decimal digits with an optional minus sign, wrapping around past int64,
// and anything else is 0.
func dataInt(b []byte) int64 {
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') && json.Valid(b) {
		return 0
	}
	if !utf8.Valid(b) {
		b = []byte(base64.StdEncoding.EncodeToString(b))
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}
