package weir

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors shared by every Weir package. Match them with errors.Is.
var (
	// ErrControl is returned when a field of a control message is written.
	// Control messages carry no data: pass them on unchanged.
	ErrControl = errors.New("weir: control message has no data")

	// ErrInvalidConfig is matched by every *ConfigError: the configuration is
	// wrong and must be fixed; retrying will not help.
	ErrInvalidConfig = errors.New("weir: invalid config")

	// ErrUnknownType is returned by factories for a config whose type is not
	// registered. Register the type, or fix its spelling.
	ErrUnknownType = errors.New("weir: unknown type")

	// ErrInvalidData is matched by errors about the content of a message (a
	// field that should be a number is not, a payload that should be JSON is
	// not). The message is bad, not the pipeline: route it aside and go on.
	ErrInvalidData = errors.New("weir: invalid data")

	// ErrMissingSetting is matched by the *ConfigError of a config that
	// lacks a required setting. Add the setting.
	ErrMissingSetting = errors.New("weir: required setting is missing")

	// ErrTooLarge is matched by errors about a value over a size limit: an
	// item too large for a store, a record too large for a service, a file
	// over its cap. The error names the size and the limit; retrying the
	// same value will not help.
	ErrTooLarge = errors.New("weir: too large")
)

// ConfigError describes a configuration that cannot be used. It matches
// [ErrInvalidConfig] (and [ErrUnknownType] when the type is unknown).
type ConfigError struct {
	// Location is where the config stands in its file, as a JSON path such
	// as "transforms[3]" or "transforms[0].settings.cases[1].transforms[2]",
	// or "" when it is not known.
	Location string
	Type     string // the config's type, e.g. "object_copy"
	ID       string // the config's "id" setting, if any
	Field    string // the setting at fault, as a dotted JSON path, or ""
	Err      error  // what is wrong
}

// Error implements error.
func (e *ConfigError) Error() string { return "weir: " + e.text() }

// text is Error without the package prefix, so nested config errors read
// as one sentence: "transforms[3] (object_copy, id "c4"): setting
// "object.target_key": what is wrong".
func (e *ConfigError) text() string {
	cause := e.Err.Error()
	var inner *ConfigError
	if errors.As(e.Err, &inner) && inner == e.Err {
		cause = inner.text()
	} else {
		cause = strings.TrimPrefix(cause, "weir: ")
	}
	var b strings.Builder
	what := e.Type
	if e.ID != "" {
		if what != "" {
			what += ", "
		}
		what += fmt.Sprintf("id %q", e.ID)
	}
	switch {
	case e.Location != "" && what != "":
		fmt.Fprintf(&b, "%s (%s): ", e.Location, what)
	case e.Location != "":
		b.WriteString(e.Location + ": ")
	case what != "":
		b.WriteString(what + ": ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "setting %q: ", e.Field)
	}
	b.WriteString(cause)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is makes every ConfigError match ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// PathError describes a field that could not be read or written.
type PathError struct {
	Op   string // "set" or "delete"
	Path string // the path as given
	Err  error  // the cause
}

// Error implements error.
func (e *PathError) Error() string {
	return fmt.Sprintf("weir: %s %q: %v", e.Op, e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *PathError) Unwrap() error { return e.Err }

// Is makes every PathError match ErrInvalidData: a path that cannot be
// written into this message is a property of the message.
func (e *PathError) Is(target error) bool { return target == ErrInvalidData }
