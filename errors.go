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
// [ErrInvalidConfig], and what Err matches: [ErrUnknownType] when the type
// is unknown, [ErrMissingSetting] when a required setting is missing.
//
// An error in a config nested in the settings of another (a transform of
// a meta_switch case, the condition of a meta_retry, a condition of
// meta_all) is a ConfigError of the outer config whose Field names the
// setting holding the nested config and whose Err is the nested config's
// own *ConfigError, with its Type. Error reads such a chain as one
// sentence: the full location, then the innermost config's type, id,
// setting and fault:
//
//	transforms[0].settings.cases[1].transforms[2] (object_copy, id "x"): setting "object.target_key": …
type ConfigError struct {
	// Location is where the config stands in its file, as a JSON path such
	// as "transforms[3]", or "" when it is not known. The config a nested
	// config stands in gives the rest of its location (see above).
	Location string
	Type     string // the config's type, e.g. "object_copy"
	ID       string // the config's "id" setting, if any
	// Field is the setting at fault, as a dotted path from the config's
	// settings with list elements by index ("cases.1.transforms"), or "".
	// Error writes indexes as JSON paths do: "cases[1].transforms".
	Field string
	Err   error // what is wrong
}

// Error implements error.
func (e *ConfigError) Error() string { return "weir: " + e.text() }

// text is Error without the package prefix: "transforms[3] (object_copy,
// id "c4"): setting "object.target_key": what is wrong".
func (e *ConfigError) text() string {
	loc := e.Location
	for e.Field != "" {
		inner, ok := e.Err.(*ConfigError)
		if !ok || inner.Type == "" {
			break
		}
		// A nested config: its location is within e's settings.
		loc = joinPath(joinPath(loc, "settings."+jsonPath(e.Field)), inner.Location)
		e = inner
	}
	var cause string
	switch inner, ok := e.Err.(*ConfigError); {
	case ok:
		cause = inner.text()
	case e.Err == nil:
		cause = "invalid"
	default:
		cause = strings.TrimPrefix(e.Err.Error(), "weir: ")
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
	case loc != "" && what != "":
		fmt.Fprintf(&b, "%s (%s): ", loc, what)
	case loc != "":
		b.WriteString(loc + ": ")
	case what != "":
		b.WriteString(what + ": ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "setting %q: ", jsonPath(e.Field))
	}
	b.WriteString(cause)
	return b.String()
}

// joinPath joins two JSON paths, either of which may be empty.
func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || b[0] == '[':
		return a + b
	}
	return a + "." + b
}

// jsonPath writes the list indexes of a dotted path as JSON paths do:
// "cases.1.transforms" becomes "cases[1].transforms".
func jsonPath(dotted string) string {
	if !strings.ContainsAny(dotted, "0123456789") {
		return dotted
	}
	var b strings.Builder
	for i, seg := range strings.Split(dotted, ".") {
		switch {
		case isIndex(seg):
			b.WriteString("[" + seg + "]")
		case i > 0:
			b.WriteString("." + seg)
		default:
			b.WriteString(seg)
		}
	}
	return b.String()
}

// isIndex reports whether a path segment is a list index.
func isIndex(seg string) bool {
	if seg == "" {
		return false
	}
	for _, r := range seg {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
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
