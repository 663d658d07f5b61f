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
)

// ConfigError describes a configuration that cannot be used. It matches
// [ErrInvalidConfig] (and [ErrUnknownType] when the type is unknown).
type ConfigError struct {
	Type  string // the config's type, e.g. "object_copy"
	Field string // the setting at fault, as a dotted JSON path, or ""
	Err   error  // what is wrong
}

// Error implements error.
func (e *ConfigError) Error() string { return "weir: " + e.text() }

// text is Error without the package prefix, so nested config errors read
// as one sentence.
func (e *ConfigError) text() string {
	cause := e.Err.Error()
	var inner *ConfigError
	if errors.As(e.Err, &inner) && inner == e.Err {
		cause = inner.text()
	} else {
		cause = strings.TrimPrefix(cause, "weir: ")
	}
	switch {
	case e.Type != "" && e.Field != "":
		return fmt.Sprintf("%s: setting %q: %s", e.Type, e.Field, cause)
	case e.Type != "":
		return fmt.Sprintf("%s: %s", e.Type, cause)
	case e.Field != "":
		return fmt.Sprintf("setting %q: %s", e.Field, cause)
	}
	return cause
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
