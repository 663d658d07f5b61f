package transform

import (
	"errors"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/registry"
)

// unknownType is the error for a config of a type not in names.
func unknownType(names []string, typ string) error {
	return registry.UnknownTypeError(names, typ)
}

// atIndex places a construction error of the i-th config of a list of
// transforms: it names the position and the config's id.
func atIndex(i int, c weir.Config, err error) error {
	var ce *weir.ConfigError
	if !errors.As(err, &ce) {
		ce = &weir.ConfigError{Type: c.Type, Err: err}
		err = ce
	}
	if ce.Location == "" {
		ce.Location = fmt.Sprintf("transforms[%d]", i)
	}
	if ce.ID == "" {
		if id, ok := c.Settings["id"].(string); ok {
			ce.ID = id
		}
	}
	return err
}
