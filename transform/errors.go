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

// missingSetting is the cause of a *weir.ConfigError about a required
// setting that is absent or empty: its text says what is required, and it
// matches [weir.ErrMissingSetting].
type missingSetting string

func (m missingSetting) Error() string        { return string(m) }
func (m missingSetting) Is(target error) bool { return target == weir.ErrMissingSetting }

// errRequired is the cause for a required setting that is not set.
const errRequired = missingSetting("required")

// withID names the "id" setting of c, if it has one, in the config error
// of c that err is or wraps.
func withID(c weir.Config, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) && ce.ID == "" {
		ce.ID = configID(c)
	}
	return err
}

// configID returns the "id" setting of c, or "".
func configID(c weir.Config) string {
	id, _ := c.Settings["id"].(string)
	return id
}

// atIndex places a construction error of the i-th config of a list of
// transforms: it names the position and the config's id.
func atIndex(i int, c weir.Config, err error) error {
	var ce *weir.ConfigError
	if !errors.As(err, &ce) {
		ce = &weir.ConfigError{Type: c.Type, ID: configID(c), Err: err}
		err = ce
	}
	if ce.Location == "" {
		ce.Location = fmt.Sprintf("transforms[%d]", i)
	}
	return err
}
