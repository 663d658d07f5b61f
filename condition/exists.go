package condition

import (
	"context"

	"github.com/weirhq/weir"
)

// ExistsConfig is the configuration of exists.
type ExistsConfig struct {
	// Object.SourceKey is the field to look for. It is required.
	Object ObjectSettings `json:"object"`
}

// Exists is the exists inspector (a Weir addition, not in Substation): it is
// true when the field at object.source_key is present and not null. An empty
// string, array or object counts as present. Control messages are false.
type Exists struct {
	key weir.Path
}

// NewExists returns an exists inspector.
func NewExists(cfg ExistsConfig) (*Exists, error) {
	const typ = "exists"
	if cfg.Object.SourceKey == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "object.source_key", Err: weir.ErrMissingSetting}
	}
	if err := rejectTargetKey(typ, cfg.Object); err != nil {
		return nil, err
	}
	return &Exists{key: weir.ParsePath(cfg.Object.SourceKey)}, nil
}

// SourceKey returns the field the inspector looks for, object.source_key.
func (e *Exists) SourceKey() string { return e.key.String() }

// Inspect implements Inspector.
func (e *Exists) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	v := e.key.Get(msg) // missing for a control message
	return v.Exists() && !v.IsNull(), nil
}
