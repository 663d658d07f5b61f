package condition

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
)

func metaBuiltins() map[string]Factory {
	all := decoded(NewMetaAll)
	anyOf := decoded(NewMetaAny)
	none := decoded(NewMetaNone)
	return map[string]Factory{
		"meta_all":  all,
		"meta_any":  anyOf,
		"meta_none": none,
		"all":       all,
		"any":       anyOf,
		"none":      none,
	}
}

// MetaConfig is the configuration shared by meta_all, meta_any and meta_none
// (also registered as all, any and none).
//
// Without Object.SourceKey the nested inspectors examine the message itself.
// With it, they examine the field's value instead: a field holding an array
// is split into one message per element, each inspected on its own and the
// results combined over the elements (see each type); any other value
// becomes the data of a single message. Such messages carry the original
// metadata. A missing field is false for all three types.
type MetaConfig struct {
	// Conditions are the nested inspectors, built with [New] from the
	// registry of the Env, so custom types may be nested.
	Conditions []weir.Config `json:"conditions"`
	// Object.SourceKey is the field to inspect (optional).
	Object ObjectSettings `json:"object"`
	// Inspectors are already built inspectors, for Go callers; they are
	// evaluated after Conditions.
	Inspectors []Inspector `json:"-"`
}

// metaMode says how a meta inspector combines results.
type metaMode uint8

const (
	modeAll metaMode = iota
	modeAny
	modeNone
)

// meta is what the meta inspectors share.
type meta struct {
	mode  metaMode
	key   weir.Path
	keyed bool // key is set; kept apart: key.String() copies the Path
	is    []Inspector
}

func newMeta(ctx context.Context, env *Env, typ string, mode metaMode, cfg MetaConfig) (meta, error) {
	if err := rejectTargetKey(typ, cfg.Object); err != nil {
		return meta{}, err
	}
	is := make([]Inspector, 0, len(cfg.Conditions)+len(cfg.Inspectors))
	for n, c := range cfg.Conditions {
		in, err := env.New(ctx, c)
		if err != nil {
			return meta{}, &weir.ConfigError{Type: typ, Field: fmt.Sprintf("conditions.%d", n), Err: err}
		}
		is = append(is, in)
	}
	for n, in := range cfg.Inspectors {
		if in == nil {
			return meta{}, &weir.ConfigError{Type: typ, Err: fmt.Errorf("Inspectors[%d] is nil", n)}
		}
		is = append(is, in)
	}
	return meta{mode: mode, key: weir.ParsePath(cfg.Object.SourceKey), keyed: cfg.Object.SourceKey != "", is: is}, nil
}

// eval combines the nested inspectors' answers for one message.
func (m *meta) eval(ctx context.Context, msg *weir.Message) (bool, error) {
	for _, in := range m.is {
		ok, err := in.Inspect(ctx, msg)
		if err != nil {
			return false, err
		}
		switch {
		case ok && m.mode == modeAny:
			return true, nil
		case ok && m.mode == modeNone:
			return false, nil
		case !ok && m.mode == modeAll:
			return false, nil
		}
	}
	return m.mode != modeAny, nil
}

func (m *meta) inspect(ctx context.Context, msg *weir.Message) (bool, error) {
	if !m.keyed {
		return m.eval(ctx, msg)
	}
	v := m.key.Get(msg)
	if !v.Exists() {
		return false, nil
	}
	if !v.IsArray() {
		return m.eval(ctx, weir.NewMessage(v.Bytes()).SetMetadata(msg.Metadata()))
	}
	// Over the elements, any is an or and both all and none are an and.
	result := m.mode != modeAny
	var err error
	v.ForEach(func(_, e weir.Value) bool {
		var ok bool
		ok, err = m.eval(ctx, weir.NewMessage(e.Bytes()).SetMetadata(msg.Metadata()))
		if err != nil || ok != result {
			result = ok
			return false
		}
		return true
	})
	if err != nil {
		return false, err
	}
	return result, nil
}

// Simplify returns the inspector that in amounts to once its trivial
// wrappers are taken off: a meta_all or meta_any without
// object.source_key around a single nested inspector answers every
// message (control messages included) and fails exactly as that inspector
// does, so Simplify returns the nested one, unwrapped in turn. Any other
// inspector is returned as it is.
//
// A caller that inspects many messages may run Simplify(in) instead of
// in, to spare the wrapper's call. It still owns in, and closes in, not
// the result.
func Simplify(in Inspector) Inspector {
	for {
		var m *meta
		switch w := in.(type) {
		case *MetaAll:
			m = &w.meta
		case *MetaAny:
			m = &w.meta
		default:
			return in
		}
		if m.keyed || len(m.is) != 1 {
			return in
		}
		in = m.is[0]
	}
}

// MetaAllConfig is the configuration of meta_all.
type MetaAllConfig = MetaConfig

// MetaAll is the meta_all inspector (alias all): it is true when every nested
// inspector is true, for every element when the source field is an array (so
// an empty array, or no inspectors, is true). See [MetaConfig]. A control
// message is handed to the nested inspectors.
type MetaAll struct{ meta }

// NewMetaAll returns a meta_all inspector; ctx carries the registry the
// nested conditions are built from (see [WithRegistry]).
func NewMetaAll(ctx context.Context, env *Env, cfg MetaAllConfig) (*MetaAll, error) {
	m, err := newMeta(ctx, env, "meta_all", modeAll, cfg)
	if err != nil {
		return nil, err
	}
	return &MetaAll{m}, nil
}

// Inspect implements Inspector.
func (i *MetaAll) Inspect(ctx context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(ctx, msg)
}

// MetaAnyConfig is the configuration of meta_any.
type MetaAnyConfig = MetaConfig

// MetaAny is the meta_any inspector (alias any): it is true when at least one
// nested inspector is true, for at least one element when the source field
// is an array (so an empty array, or no inspectors, is false). See
// [MetaConfig]. A control message is handed to the nested inspectors.
type MetaAny struct{ meta }

// NewMetaAny returns a meta_any inspector; ctx carries the registry the
// nested conditions are built from (see [WithRegistry]).
func NewMetaAny(ctx context.Context, env *Env, cfg MetaAnyConfig) (*MetaAny, error) {
	m, err := newMeta(ctx, env, "meta_any", modeAny, cfg)
	if err != nil {
		return nil, err
	}
	return &MetaAny{m}, nil
}

// Inspect implements Inspector.
func (i *MetaAny) Inspect(ctx context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(ctx, msg)
}

// MetaNoneConfig is the configuration of meta_none.
type MetaNoneConfig = MetaConfig

// MetaNone is the meta_none inspector (alias none): it is true when no nested
// inspector is true, for any element when the source field is an array (so
// an empty array, or no inspectors, is true). See [MetaConfig]. A control
// message is handed to the nested inspectors.
type MetaNone struct{ meta }

// NewMetaNone returns a meta_none inspector; ctx carries the registry the
// nested conditions are built from (see [WithRegistry]).
func NewMetaNone(ctx context.Context, env *Env, cfg MetaNoneConfig) (*MetaNone, error) {
	m, err := newMeta(ctx, env, "meta_none", modeNone, cfg)
	if err != nil {
		return nil, err
	}
	return &MetaNone{m}, nil
}

// Inspect implements Inspector.
func (i *MetaNone) Inspect(ctx context.Context, msg *weir.Message) (bool, error) {
	return i.inspect(ctx, msg)
}
