package transform

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
)

// This file holds the aggregate_* family: aggregate_to_array and
// aggregate_to_string group messages into batches and release each batch as
// one message; aggregate_from_array and aggregate_from_string split one
// message into many. Batching is done by the aggregate package.
//
// As in Substation, a batch is released when a message does not fit in it
// (batch.count, batch.size) or arrives more than batch.duration after the
// batch's previous message — so a full batch waits for the next message —
// and on a control message, which releases every batch before it is passed
// on. Unlike Substation, a control message releases batches in the order
// their keys first appeared (Substation's order is random) and never
// releases empty batches, and a message larger than batch.size is an error
// that leaves the open batch as it is (Substation drops the batch).

func aggregateBuiltins() map[string]Factory {
	return map[string]Factory{
		"aggregate_from_array":  decodedNoCtx(NewAggregateFromArray),
		"aggregate_from_string": decodedNoCtx(NewAggregateFromString),
		"aggregate_to_array":    decodedNoCtx(NewAggregateToArray),
		"aggregate_to_string":   decodedNoCtx(NewAggregateToString),
	}
}

// newBatcher returns a Batcher with the limits of s, measuring
// batch.duration between messages and releasing a full batch when the next
// message does not fit, as Substation does.
func newBatcher(typ string, s BatchSettings, now func() time.Time) (*aggregate.Batcher, error) {
	count, size, dur, err := s.limits()
	if err != nil {
		return nil, configErr(typ, err)
	}
	b, err := aggregate.New(aggregate.Config{Count: count, Size: size, Duration: dur, Idle: true, Hold: true, Now: now})
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "batch", Err: err}
	}
	return b, nil
}

// batchKeyOf returns the batch key of msg: the text of the value at path,
// or "" when path is empty or missing, which batches such messages together.
func batchKeyOf(msg *weir.Message, path string) string {
	if path == "" {
		return ""
	}
	return msg.Get(path).String()
}

// aggBatcher is the state shared by aggregate_to_array and
// aggregate_to_string: the batches, and how a batch becomes a message.
type aggBatcher struct {
	typ, id  string
	batchKey string
	b        *aggregate.Batcher
	emit     func(aggregate.Batch) (*weir.Message, error)
}

// transform batches msg, or flushes on a control message.
func (a *aggBatcher) transform(msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		batches := a.b.Flush()
		out := make([]*weir.Message, 0, len(batches)+1)
		for _, bt := range batches {
			m, err := a.emit(bt)
			if err != nil {
				return nil, &Error{Type: a.typ, ID: a.id, Err: err}
			}
			out = append(out, m)
		}
		return append(out, msg), nil
	}
	done, err := a.b.Add(batchKeyOf(msg, a.batchKey), msg.Data())
	if err != nil {
		return nil, &Error{Type: a.typ, ID: a.id, Err: err}
	}
	if len(done) == 0 {
		return nil, nil
	}
	out := make([]*weir.Message, 0, len(done))
	for _, bt := range done {
		m, err := a.emit(bt)
		if err != nil {
			return nil, &Error{Type: a.typ, ID: a.id, Err: err}
		}
		out = append(out, m)
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// aggregate_to_array

// AggregateToArrayConfig configures [AggregateToArray], the
// aggregate_to_array transform.
type AggregateToArrayConfig struct {
	// Object.BatchKey, if set, batches messages by the value at that path
	// (messages without it are batched together). Object.TargetKey, if set,
	// is where the array is written in an otherwise empty message; without
	// it the array is the message data. Object.SourceKey is ignored.
	Object ObjectSettings `json:"object"`
	// Batch sets when a batch is complete.
	Batch BatchSettings `json:"batch"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time `json:"-"`
}

// AggregateToArray groups the data of messages into JSON arrays. It is the
// aggregate_to_array transform.
//
// Data messages are held (Transform returns none) until their batch is
// complete; the batch is then returned as one new message holding the JSON
// array of the messages' data, in arrival order, with no metadata. The data
// is expected to be JSON; empty data is left out of the array. A message
// larger than batch.size is an error matching weir.ErrInvalidData. A control
// message releases every open batch, then is returned last.
//
// An AggregateToArray is safe for concurrent use; concurrent callers share
// its batches.
type AggregateToArray struct {
	agg aggBatcher
	dst string
}

// NewAggregateToArray returns an AggregateToArray for cfg.
func NewAggregateToArray(cfg AggregateToArrayConfig) (*AggregateToArray, error) {
	const typ = "aggregate_to_array"
	b, err := newBatcher(typ, cfg.Batch, cfg.Now)
	if err != nil {
		return nil, err
	}
	t := &AggregateToArray{dst: cfg.Object.TargetKey}
	if t.dst != "" {
		if err := weir.NewMessage(nil).Set(t.dst, []byte("[]")); err != nil {
			return nil, &weir.ConfigError{Type: typ, Field: "object.target_key", Err: err}
		}
	}
	t.agg = aggBatcher{typ: typ, id: cfg.ID, batchKey: cfg.Object.BatchKey, b: b, emit: t.emit}
	return t, nil
}

func (t *AggregateToArray) emit(bt aggregate.Batch) (*weir.Message, error) {
	arr := aggregate.AppendJSONArray(nil, bt.Items)
	if t.dst == "" {
		return weir.NewMessage(arr), nil
	}
	m := weir.NewMessage(nil)
	// Set writes arr as JSON when it is valid, else as a string, as
	// Substation does.
	if err := m.Set(t.dst, arr); err != nil {
		return nil, err
	}
	return m, nil
}

// Transform implements [Transformer].
func (t *AggregateToArray) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.agg.transform(msg)
}

// ---------------------------------------------------------------------------
// aggregate_to_string

// AggregateToStringConfig configures [AggregateToString], the
// aggregate_to_string transform.
type AggregateToStringConfig struct {
	// Separator is put between the messages' data. Required. It is used as
	// written: the JSON string "\\n" is the two characters \ and n.
	Separator string `json:"separator"`
	// Object.BatchKey, if set, batches messages by the value at that path
	// (messages without it are batched together). The other keys are
	// ignored.
	Object ObjectSettings `json:"object"`
	// Batch sets when a batch is complete.
	Batch BatchSettings `json:"batch"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time `json:"-"`
}

// AggregateToString joins the data of messages with a separator. It is the
// aggregate_to_string transform.
//
// Data messages are held (Transform returns none) until their batch is
// complete; the batch is then returned as one new message whose data is the
// messages' data, in arrival order, joined by the separator, with no
// metadata. A message larger than batch.size is an error matching
// weir.ErrInvalidData. A control message releases every open batch, then is
// returned last.
//
// An AggregateToString is safe for concurrent use; concurrent callers share
// its batches.
type AggregateToString struct {
	agg aggBatcher
	sep []byte
}

// NewAggregateToString returns an AggregateToString for cfg.
func NewAggregateToString(cfg AggregateToStringConfig) (*AggregateToString, error) {
	const typ = "aggregate_to_string"
	if cfg.Separator == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "separator", Err: weir.ErrMissingSetting}
	}
	b, err := newBatcher(typ, cfg.Batch, cfg.Now)
	if err != nil {
		return nil, err
	}
	t := &AggregateToString{sep: []byte(cfg.Separator)}
	t.agg = aggBatcher{typ: typ, id: cfg.ID, batchKey: cfg.Object.BatchKey, b: b, emit: t.emit}
	return t, nil
}

func (t *AggregateToString) emit(bt aggregate.Batch) (*weir.Message, error) {
	return weir.NewMessage(aggregate.AppendJoin(nil, bt.Items, t.sep)), nil
}

// Transform implements [Transformer].
func (t *AggregateToString) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.agg.transform(msg)
}

// ---------------------------------------------------------------------------
// aggregate_from_array

// AggregateFromArrayConfig configures [AggregateFromArray], the
// aggregate_from_array transform.
type AggregateFromArrayConfig struct {
	// Object.SourceKey is the array to split; empty means the whole data.
	// Object.TargetKey, if set, is where each element is written.
	Object ObjectSettings `json:"object"`
	// Batch is accepted for Substation configs and ignored.
	Batch BatchSettings `json:"batch"`
	// MaxCount and MaxSize bound the messages one message becomes and the
	// bytes they hold together, copies of the rest of the message
	// included; 0 means DefaultMaxCount and DefaultMaxSize (see
	// LimitError). Weir settings.
	MaxCount int   `json:"max_count,omitempty"`
	MaxSize  int64 `json:"max_size,omitempty"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
}

// AggregateFromArray splits a JSON array into one message per element. It
// is the aggregate_from_array transform.
//
// The array is the data, or the value at Object.SourceKey, which is then
// removed from the message; what remains of the message (the members of an
// object) is the base of each new message. For each element, in order, the
// new message is:
//
//   - with Object.TargetKey: the base with the element written at that key
//     (without a source key the base is an empty message);
//   - with only Object.SourceKey: the base with the element's fields merged
//     in, as gjson's @join merges them (an element that is not an object
//     adds nothing);
//   - with neither: the element itself (a string element unquoted).
//
// As in Substation, a value that is not an array is split as an array of
// one (so an object at the source makes one message), null as an empty
// array, and the base is rewritten member by member from its values read
// as Go values: numbers as float64 (1.0 becomes 1, digits beyond float64's
// precision are lost), objects and arrays through encoding/json (keys
// sorted). Substation writes the members in Go's random map order; Weir
// writes them in the order of the message.
//
// Every new message carries the metadata of the original. An empty array
// drops the message. A message whose source value is missing passes
// unchanged. It is safe for concurrent use.
type AggregateFromArray struct {
	id       string
	src, dst string
	limits   splitLimits
}

// NewAggregateFromArray returns an AggregateFromArray for cfg.
func NewAggregateFromArray(cfg AggregateFromArrayConfig) (*AggregateFromArray, error) {
	if _, _, _, err := cfg.Batch.limits(); err != nil {
		return nil, configErr("aggregate_from_array", err)
	}
	limits, err := newSplitLimits("aggregate_from_array", cfg.MaxCount, cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &AggregateFromArray{id: cfg.ID, src: cfg.Object.SourceKey, dst: cfg.Object.TargetKey, limits: limits}, nil
}

// Transform implements [Transformer].
func (t *AggregateFromArray) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	var arr weir.Value
	if t.src == "" {
		arr = dataValue(msg.Data())
	} else {
		arr = msg.Get(t.src)
		if !arr.Exists() {
			return msg.AsSlice(), nil
		}
	}
	// As Substation reads it (gjson's Array): a value that is not an array
	// is an array of one, null an empty one.
	elems := arr.Array()
	// Count the pieces and their bytes before building any: each is a copy
	// of the rest of the message (the base) and an element.
	c := t.limits.count()
	var baseLen int
	if t.src != "" {
		baseLen = len(msg.Data()) - len(arr.Raw())
	}
	for _, e := range elems {
		if err := c.add(baseLen + len(e.Raw())); err != nil {
			return nil, &Error{Type: "aggregate_from_array", ID: t.id, Err: err}
		}
	}

	// base is the rest of the message, rewritten as Substation rewrites it.
	var base []byte
	if t.src != "" {
		if err := msg.Delete(t.src); err != nil {
			return nil, &Error{Type: "aggregate_from_array", ID: t.id, Err: err}
		}
		var b *weir.Message
		var err error
		weir.ValueOf(msg.Data()).ForEach(func(k, v weir.Value) bool {
			key := k.String()
			if !sjsonSimplePath(key) {
				return true // sjson writes nothing there, and says nothing
			}
			if b == nil {
				b = weir.NewMessage(nil)
			}
			err = b.Set(key, v.Any())
			return err == nil
		})
		if err != nil {
			return nil, &Error{Type: "aggregate_from_array", ID: t.id, Err: err}
		}
		if b != nil {
			base = b.Data()
		}
	}
	meta := msg.Metadata()
	out := make([]*weir.Message, 0, len(elems))
	var buf []byte
	for _, e := range elems {
		var m *weir.Message
		switch {
		case t.dst != "":
			m = weir.NewMessage(slices.Clone(base))
			if err := m.SetValue(t.dst, e); err != nil {
				return nil, &Error{Type: "aggregate_from_array", ID: t.id, Err: err}
			}
		case t.src != "":
			// Merge the element's fields into the base with gjson's @join:
			// later values win, keys keep their first position.
			buf = append(buf[:0], '[')
			buf = append(buf, base...)
			buf = append(buf, ',')
			buf = append(buf, e.String()...)
			buf = append(buf, ']')
			m = weir.NewMessage([]byte(gjson.GetBytes(buf, "@join").String()))
		default:
			m = weir.NewMessage(e.Bytes())
		}
		if len(meta) > 0 {
			m.SetMetadata(meta)
		}
		out = append(out, m)
	}
	return out, nil
}

// sjsonSimplePath reports whether sjson writes at path on an object that
// lacks it: a path with a wildcard, query or modifier character ('@', '#',
// '*', '?', '|') that is not escaped is written only where it already
// matches a value, so on a new object sjson writes nothing, without an
// error. Substation's aggregate_from_array thus drops members such as
// "@timestamp" from the messages it makes.
func sjsonSimplePath(path string) bool {
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '|', '#', '@', '*', '?':
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// aggregate_from_string

// AggregateFromStringConfig configures [AggregateFromString], the
// aggregate_from_string transform.
type AggregateFromStringConfig struct {
	// Separator splits the data. Required. It is used as written: the JSON
	// string "\\n" is the two characters \ and n.
	Separator string `json:"separator"`
	// MaxCount and MaxSize bound the messages one message becomes and the
	// bytes they hold together; 0 means DefaultMaxCount and DefaultMaxSize
	// (see LimitError). Weir settings.
	MaxCount int   `json:"max_count,omitempty"`
	MaxSize  int64 `json:"max_size,omitempty"`
	// Object is accepted for Substation configs and ignored: the whole data
	// is split.
	Object ObjectSettings `json:"object"`
	// Batch is accepted for Substation configs and ignored.
	Batch BatchSettings `json:"batch"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
}

// AggregateFromString splits the data at every separator into new messages
// that carry the original's metadata, like bytes.Split: data without the
// separator gives one message, and empty pieces are kept. It is the
// aggregate_from_string transform. It is safe for concurrent use.
type AggregateFromString struct {
	sep    []byte
	id     string
	limits splitLimits
}

// NewAggregateFromString returns an AggregateFromString for cfg.
func NewAggregateFromString(cfg AggregateFromStringConfig) (*AggregateFromString, error) {
	const typ = "aggregate_from_string"
	if cfg.Separator == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "separator", Err: weir.ErrMissingSetting}
	}
	if _, _, _, err := cfg.Batch.limits(); err != nil {
		return nil, configErr(typ, err)
	}
	limits, err := newSplitLimits(typ, cfg.MaxCount, cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &AggregateFromString{sep: []byte(cfg.Separator), id: cfg.ID, limits: limits}, nil
}

// Transform implements [Transformer].
func (t *AggregateFromString) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	meta := msg.Metadata()
	data := msg.Data()
	// Count the pieces before splitting; their bytes are those of the
	// data, less the separators.
	n := bytes.Count(data, t.sep) + 1
	if n > t.limits.maxCount {
		return nil, &Error{Type: "aggregate_from_string", ID: t.id,
			Err: &LimitError{Type: "aggregate_from_string", Setting: "max_count", Limit: int64(t.limits.maxCount), What: "messages from one message"}}
	}
	if size := int64(len(data) - (n-1)*len(t.sep)); size > t.limits.maxSize {
		return nil, &Error{Type: "aggregate_from_string", ID: t.id,
			Err: &LimitError{Type: "aggregate_from_string", Setting: "max_size", Limit: t.limits.maxSize, What: "bytes from one message"}}
	}
	parts := bytes.Split(data, t.sep)
	out := make([]*weir.Message, len(parts))
	for i, p := range parts {
		out[i] = weir.NewMessage(p)
		if len(meta) > 0 {
			out[i].SetMetadata(meta)
		}
	}
	return out, nil
}
