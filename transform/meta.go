package transform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// The meta family runs other transformers: conditionally (meta_switch), on
// each element of an array (meta_for_each) or with errors caught (meta_err).
//
// Each has a Go config holding already-built components, for Go callers,
// and a Substation-shaped JSON config that its factory decodes and builds
// with [New] and [condition.New]. Those use the registries carried by the
// context, so custom types nest inside built-in ones: a transform registry
// is added by [Registry.New] or [WithRegistry], a condition registry by
// [condition.WithRegistry].
//
// A meta transformer owns the components it runs: its Close closes every one
// that implements io.Closer.

func metaBuiltins() map[string]Factory {
	return map[string]Factory{
		"meta_err":      decoded(buildMetaErr),
		"meta_for_each": decoded(buildMetaForEach),
		"meta_switch":   decoded(buildMetaSwitch),
	}
}

// buildAll builds cfgs with env.New; field names the setting holding them
// (a dotted path such as "cases.1.transforms"). The error of cfgs[i] is a
// *weir.ConfigError whose Field is field.i and whose Err is cfgs[i]'s own
// *weir.ConfigError, which reads as a location: "settings.cases[1].
// transforms[2] (object_copy, id "x"): setting …".
func buildAll(ctx context.Context, env *Env, field string, cfgs []weir.Config) ([]Transformer, error) {
	ts := make([]Transformer, len(cfgs))
	for i, c := range cfgs {
		t, err := env.New(ctx, c)
		if err != nil {
			_ = closeAll(ts[:i])
			return nil, &weir.ConfigError{Field: fmt.Sprintf("%s.%d", field, i), Err: err}
		}
		ts[i] = t
	}
	return ts, nil
}

// buildCondition builds the condition config c of the setting field; a
// config without a type (and without settings) means no condition, nil.
func buildCondition(ctx context.Context, env *Env, field string, c weir.Config) (condition.Inspector, error) {
	if c.Type == "" {
		if len(c.Settings) > 0 {
			return nil, &weir.ConfigError{Field: field + ".type", Err: errRequired}
		}
		return nil, nil
	}
	in, err := env.ConditionEnv().New(ctx, c)
	if err != nil {
		return nil, &weir.ConfigError{Field: field, Err: err}
	}
	return in, nil
}

// closeCondition closes in if it implements io.Closer.
func closeCondition(in condition.Inspector) {
	if c, ok := in.(io.Closer); ok {
		_ = c.Close()
	}
}

// checkTransformers rejects nil transformers; field names the setting.
func checkTransformers(field string, ts []Transformer) error {
	for i, t := range ts {
		if t == nil {
			return &weir.ConfigError{Field: fmt.Sprintf("%s.%d", field, i), Err: errors.New("nil transformer")}
		}
	}
	return nil
}

// closeAll closes every component that implements io.Closer and joins the
// errors.
func closeAll[T any](cs []T) error {
	var errs []error
	for _, c := range cs {
		if cl, ok := any(c).(io.Closer); ok {
			if err := cl.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ---------------------------------------------------------------------------
// meta_switch

// MetaSwitchConfig configures [MetaSwitch], the meta_switch transform.
//
// In JSON it has Substation's shape; every case has a condition config
// (optional) and a list of transform configs, built with [condition.New] and
// [New]:
//
//	{"type": "meta_switch", "settings": {"id": "…", "cases": [
//	    {"condition": {"type": "string_contains", "settings": {…}},
//	     "transforms": [{"type": "object_copy", "settings": {…}}]},
//	    {"transforms": [{"type": "utility_drop"}]}
//	]}}
type MetaSwitchConfig struct {
	// Cases are tried in order; the first whose condition is true runs.
	// At least one case is required.
	Cases []MetaSwitchCase
	// ID names this transform in errors.
	ID string
}

// MetaSwitchCase is one branch of a [MetaSwitch].
type MetaSwitchCase struct {
	// Condition selects the messages this case runs on. Nil means always:
	// a default case, usually the last.
	Condition condition.Inspector
	// Transforms run in sequence, like a [Chain], on the selected messages.
	// At least one is required.
	Transforms []Transformer
}

// MetaSwitch runs the transforms of the first case whose condition matches a
// message, like a switch statement; a message no case matches passes
// unchanged. It is the meta_switch transform.
//
// A control message goes through the transforms of every case in turn, so
// stateful ones in any branch flush; MetaSwitch returns what they release
// followed by the control message, once.
//
// A MetaSwitch is safe for concurrent use if its conditions and transforms
// are.
type MetaSwitch struct {
	id    string
	cases []metaSwitchCase
	// one is the only case when it reads its exists condition's field
	// and hands it to its only transform: the common meta_switch, run by
	// a shorter path.
	one *metaSwitchCase
}

type metaSwitchCase struct {
	cond condition.Inspector // nil: always
	test condition.Inspector // cond simplified (condition.Simplify), run in its place
	tfs  []Transformer
	// exists is the field of test when test is a *condition.Exists, which
	// the switch then reads itself (nil otherwise); first is tfs[0] when
	// it reads that field first, and is handed the value read.
	exists *weir.Path
	first  fieldReader
}

// fieldReader is implemented by transformers whose work on a data message
// begins by reading one field, and which pass the message unchanged when
// it is missing. A meta_switch whose exists condition has just read the
// field hands its value over rather than have it read twice.
type fieldReader interface {
	// reads reports whether the field read is the one at key.
	reads(key string) bool
	// withValue is Transform for a data message whose field is v, present.
	withValue(msg *weir.Message, v weir.Value) ([]*weir.Message, error)
}

// newSwitchCase returns the case running ts when cond is true.
func newSwitchCase(cond condition.Inspector, ts []Transformer) metaSwitchCase {
	c := metaSwitchCase{cond: cond, test: condition.Simplify(cond), tfs: ts}
	if e, ok := c.test.(*condition.Exists); ok {
		key := e.SourceKey()
		p := weir.ParsePath(key)
		c.exists = &p
		if r := asFieldReader(ts[0]); r != nil && r.reads(key) {
			c.first = r
		}
	}
	return c
}

// asFieldReader returns t as a fieldReader if it is one of the built-ins
// that are. It matches the types themselves: a type that embeds one of
// them has the methods too, but may have a Transform of its own.
func asFieldReader(t Transformer) fieldReader {
	switch r := t.(type) {
	case *ObjectCopy:
		return r
	case *StringReplace:
		return r
	case *StringCapture:
		return r
	case *StringToLower:
		return r
	case *StringToUpper:
		return r
	case *StringToSnake:
		return r
	}
	return nil
}

// NewMetaSwitch returns a MetaSwitch running cfg's cases. It takes ownership
// of their conditions and transforms (see [MetaSwitch.Close]).
func NewMetaSwitch(cfg MetaSwitchConfig) (*MetaSwitch, error) {
	if len(cfg.Cases) == 0 {
		return nil, &weir.ConfigError{Type: "meta_switch", Field: "cases", Err: missingSetting("at least one case is required")}
	}
	s := &MetaSwitch{id: cfg.ID, cases: make([]metaSwitchCase, len(cfg.Cases))}
	for i, c := range cfg.Cases {
		field := fmt.Sprintf("cases.%d.transforms", i)
		if len(c.Transforms) == 0 {
			return nil, &weir.ConfigError{Type: "meta_switch", Field: field, Err: missingSetting("at least one transform is required")}
		}
		if err := checkTransformers(field, c.Transforms); err != nil {
			return nil, configErr("meta_switch", err)
		}
		s.cases[i] = newSwitchCase(c.Condition, append([]Transformer(nil), c.Transforms...))
	}
	if len(s.cases) == 1 && s.cases[0].first != nil && len(s.cases[0].tfs) == 1 {
		s.one = &s.cases[0]
	}
	return s, nil
}

// metaSwitchSettings is the JSON shape of meta_switch's settings.
type metaSwitchSettings struct {
	Cases []struct {
		Condition  weir.Config   `json:"condition"`
		Transforms []weir.Config `json:"transforms"`
	} `json:"cases"`
	ID string `json:"id,omitempty"`
}

func buildMetaSwitch(ctx context.Context, env *Env, s metaSwitchSettings) (*MetaSwitch, error) {
	cfg := MetaSwitchConfig{ID: s.ID, Cases: make([]MetaSwitchCase, len(s.Cases))}
	// fail closes what was built before returning err.
	fail := func(err error) (*MetaSwitch, error) {
		_ = (&MetaSwitch{cases: toSwitchCases(cfg.Cases)}).Close()
		return nil, err
	}
	for i, c := range s.Cases {
		in, err := buildCondition(ctx, env, fmt.Sprintf("cases.%d.condition", i), c.Condition)
		if err != nil {
			return fail(err)
		}
		ts, err := buildAll(ctx, env, fmt.Sprintf("cases.%d.transforms", i), c.Transforms)
		if err != nil {
			closeCondition(in)
			return fail(err)
		}
		cfg.Cases[i] = MetaSwitchCase{Condition: in, Transforms: ts}
	}
	sw, err := NewMetaSwitch(cfg)
	if err != nil {
		return fail(err)
	}
	return sw, nil
}

// toSwitchCases returns the cases of a MetaSwitch running cs.
func toSwitchCases(cs []MetaSwitchCase) []metaSwitchCase {
	out := make([]metaSwitchCase, len(cs))
	for i, c := range cs {
		out[i] = metaSwitchCase{cond: c.Condition, tfs: c.Transforms}
	}
	return out
}

// Transform implements [Transformer].
func (s *MetaSwitch) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return s.flush(ctx, msg)
	}
	if c := s.one; c != nil {
		v := c.exists.Get(msg)
		if !v.Exists() || v.IsNull() {
			return msg.AsSlice(), nil
		}
		out, err := c.first.withValue(msg, v)
		if err != nil {
			return nil, &Error{Type: "meta_switch", ID: s.id, Err: err}
		}
		return out, nil
	}
	for i := range s.cases {
		c := &s.cases[i]
		if c.exists != nil {
			// The exists condition, read here.
			v := c.exists.Get(msg)
			if !v.Exists() || v.IsNull() {
				continue
			}
			if c.first != nil {
				out, err := c.first.withValue(msg, v)
				if err == nil && len(c.tfs) > 1 {
					out, err = apply(ctx, c.tfs[1:], out)
				}
				if err != nil {
					return nil, &Error{Type: "meta_switch", ID: s.id, Err: err}
				}
				return out, nil
			}
		} else if c.test != nil {
			ok, err := c.test.Inspect(ctx, msg)
			if err != nil {
				return nil, &Error{Type: "meta_switch", ID: s.id, Err: err}
			}
			if !ok {
				continue
			}
		}
		var out []*weir.Message
		var err error
		if len(c.tfs) == 1 {
			out, err = c.tfs[0].Transform(ctx, msg)
		} else {
			out, err = applyOne(ctx, c.tfs, msg)
		}
		if err != nil {
			return nil, &Error{Type: "meta_switch", ID: s.id, Err: err}
		}
		return out, nil
	}
	return msg.AsSlice(), nil
}

// flush sends ctrl through every case and returns the data messages released,
// then ctrl.
func (s *MetaSwitch) flush(ctx context.Context, ctrl *weir.Message) ([]*weir.Message, error) {
	var out []*weir.Message
	for i := range s.cases {
		msgs, err := applyOne(ctx, s.cases[i].tfs, ctrl)
		if err != nil {
			return nil, &Error{Type: "meta_switch", ID: s.id, Err: err}
		}
		for _, m := range msgs {
			if !m.IsControl() {
				out = append(out, m)
			}
		}
	}
	return append(out, ctrl), nil
}

// Close closes every condition and transform of every case that implements
// io.Closer.
func (s *MetaSwitch) Close() error {
	var errs []error
	for _, c := range s.cases {
		if cl, ok := c.cond.(io.Closer); ok {
			errs = append(errs, cl.Close())
		}
		errs = append(errs, closeAll(c.tfs))
	}
	return errors.Join(errs...)
}

// ---------------------------------------------------------------------------
// meta_for_each

// MetaForEachConfig configures [MetaForEach], the meta_for_each transform.
//
// In JSON the transforms are configs, built with [New]:
//
//	{"type": "meta_for_each", "settings": {
//	    "object": {"source_key": "emails", "target_key": "users"},
//	    "transforms": [{"type": "string_capture", "settings": {"pattern": "^([^@]*)@"}}]}}
type MetaForEachConfig struct {
	// Object.SourceKey is the array to read and Object.TargetKey where the
	// array of results is written. Both are required; BatchKey is ignored.
	Object ObjectSettings
	// Transforms run in sequence, like a [Chain], on each element. At least
	// one is required.
	Transforms []Transformer
	// ID names this transform in errors.
	ID string
}

// MetaForEach runs transforms on each element of an array and writes the
// results, in order, as an array. It is the meta_for_each transform.
//
// Each element becomes the data of a message of its own (a string element
// its unescaped text, any other element its JSON text) that carries the
// input's metadata. Each message the transforms return adds one element to
// the result: its data as JSON if it is a JSON object or array, else as a
// string (base64 when not UTF-8). Objects in the result are re-encoded as
// Substation does: keys sorted, numbers as float64. An element the
// transforms drop adds nothing; if nothing is left the result is null.
//
// A message whose source is missing or not an array passes unchanged. A
// control message is passed to the transforms and what they return is
// returned.
//
// A MetaForEach is safe for concurrent use if its transforms are.
type MetaForEach struct {
	id       string
	src, dst string
	tfs      []Transformer
}

// NewMetaForEach returns a MetaForEach running cfg's transforms. It takes
// ownership of them (see [MetaForEach.Close]).
func NewMetaForEach(cfg MetaForEachConfig) (*MetaForEach, error) {
	switch {
	case cfg.Object.SourceKey == "":
		return nil, &weir.ConfigError{Type: "meta_for_each", Field: "object.source_key", Err: errRequired}
	case cfg.Object.TargetKey == "":
		return nil, &weir.ConfigError{Type: "meta_for_each", Field: "object.target_key", Err: errRequired}
	case len(cfg.Transforms) == 0:
		return nil, &weir.ConfigError{Type: "meta_for_each", Field: "transforms", Err: missingSetting("at least one transform is required")}
	}
	if err := checkTransformers("transforms", cfg.Transforms); err != nil {
		return nil, configErr("meta_for_each", err)
	}
	return &MetaForEach{
		id:  cfg.ID,
		src: cfg.Object.SourceKey,
		dst: cfg.Object.TargetKey,
		tfs: append([]Transformer(nil), cfg.Transforms...),
	}, nil
}

// metaForEachSettings is the JSON shape of meta_for_each's settings.
type metaForEachSettings struct {
	Object     ObjectSettings `json:"object"`
	Transforms []weir.Config  `json:"transforms"`
	ID         string         `json:"id,omitempty"`
}

func buildMetaForEach(ctx context.Context, env *Env, s metaForEachSettings) (*MetaForEach, error) {
	ts, err := buildAll(ctx, env, "transforms", s.Transforms)
	if err != nil {
		return nil, err
	}
	f, err := NewMetaForEach(MetaForEachConfig{Object: s.Object, Transforms: ts, ID: s.ID})
	if err != nil {
		_ = closeAll(ts)
		return nil, err
	}
	return f, nil
}

// Transform implements [Transformer].
func (f *MetaForEach) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		out, err := applyOne(ctx, f.tfs, msg)
		if err != nil {
			return nil, &Error{Type: "meta_for_each", ID: f.id, Err: err}
		}
		return out, nil
	}
	v := msg.Get(f.src)
	if !v.IsArray() {
		return msg.AsSlice(), nil
	}
	var (
		results []any
		err     error
		meta    = msg.Metadata()
	)
	v.ForEach(func(_, elem weir.Value) bool {
		var out []*weir.Message
		out, err = Apply(ctx, f.tfs, weir.NewMessage(elem.Bytes()).SetMetadata(meta))
		if err != nil {
			return false
		}
		for _, m := range out {
			if !m.IsControl() {
				results = append(results, resultValue(m.Data()))
			}
		}
		return true
	})
	if err != nil {
		return nil, &Error{Type: "meta_for_each", ID: f.id, Err: err}
	}
	if err := msg.Set(f.dst, results); err != nil {
		return nil, &Error{Type: "meta_for_each", ID: f.id, Err: err}
	}
	return msg.AsSlice(), nil
}

// resultValue returns the Go value meta_for_each collects for a result's
// data, as Substation reads it back: a JSON object or array decoded, other
// valid UTF-8 as a string, anything else as a base64 string.
func resultValue(data []byte) any {
	if len(data) > 1 && (data[0] == '{' || data[0] == '[') && json.Valid(data) {
		return gjson.ParseBytes(data).Value()
	}
	if utf8.Valid(data) {
		return string(data)
	}
	return base64.StdEncoding.EncodeToString(data)
}

// Close closes every transform that implements io.Closer.
func (f *MetaForEach) Close() error { return closeAll(f.tfs) }

// ---------------------------------------------------------------------------
// meta_err

// MetaErrConfig configures [MetaErr], the meta_err transform.
//
// In JSON the transforms are configs, built with [New]:
//
//	{"type": "meta_err", "settings": {
//	    "transforms": [{"type": "object_to_integer", "settings": {…}}],
//	    "error_messages": ["^transform object_to_integer"]}}
type MetaErrConfig struct {
	// Transforms run in sequence, like a [Chain]. None at all passes
	// messages unchanged.
	Transforms []Transformer
	// ErrorMessages are regular expressions (RE2) matched against the
	// error's text and the text of every error it wraps; an error any of
	// them matches is caught. Empty catches nothing (Substation's config
	// library defaults it to [".*"], which catches everything).
	ErrorMessages []string
	// ID names this transform in errors.
	ID string
}

// MetaErr runs transforms and catches the errors it is told to: when one
// matches, the message passes on as the transforms left it (changes made
// before the error stay) and the error is dropped. Other errors are
// returned. It is the meta_err transform.
//
// Control messages go through the transforms like any other.
//
// A MetaErr is safe for concurrent use if its transforms are.
type MetaErr struct {
	id  string
	tfs []Transformer
	res []*regexp.Regexp
}

// NewMetaErr returns a MetaErr running cfg's transforms. It takes ownership
// of them (see [MetaErr.Close]).
func NewMetaErr(cfg MetaErrConfig) (*MetaErr, error) {
	if err := checkTransformers("transforms", cfg.Transforms); err != nil {
		return nil, configErr("meta_err", err)
	}
	e := &MetaErr{
		id:  cfg.ID,
		tfs: append([]Transformer(nil), cfg.Transforms...),
		res: make([]*regexp.Regexp, len(cfg.ErrorMessages)),
	}
	for i, s := range cfg.ErrorMessages {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, &weir.ConfigError{Type: "meta_err", Field: fmt.Sprintf("error_messages.%d", i), Err: err}
		}
		e.res[i] = re
	}
	return e, nil
}

// metaErrSettings is the JSON shape of meta_err's settings.
type metaErrSettings struct {
	Transforms    []weir.Config `json:"transforms"`
	ErrorMessages []string      `json:"error_messages"`
	ID            string        `json:"id,omitempty"`
}

func buildMetaErr(ctx context.Context, env *Env, s metaErrSettings) (*MetaErr, error) {
	ts, err := buildAll(ctx, env, "transforms", s.Transforms)
	if err != nil {
		return nil, err
	}
	e, err := NewMetaErr(MetaErrConfig{Transforms: ts, ErrorMessages: s.ErrorMessages, ID: s.ID})
	if err != nil {
		_ = closeAll(ts)
		return nil, err
	}
	return e, nil
}

// Transform implements [Transformer].
func (e *MetaErr) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	out, err := applyOne(ctx, e.tfs, msg)
	if err == nil {
		return out, nil
	}
	if e.catches(err) {
		return msg.AsSlice(), nil
	}
	return nil, &Error{Type: "meta_err", ID: e.id, Err: err}
}

// catches reports whether a pattern matches the text of err or of an error
// it wraps.
func (e *MetaErr) catches(err error) bool {
	if len(e.res) == 0 || err == nil {
		return false
	}
	s := err.Error()
	for _, re := range e.res {
		if re.MatchString(s) {
			return true
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return e.catches(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, err := range u.Unwrap() {
			if e.catches(err) {
				return true
			}
		}
	}
	return false
}

// Close closes every transform that implements io.Closer.
func (e *MetaErr) Close() error { return closeAll(e.tfs) }
