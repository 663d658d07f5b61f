// Package contract holds what transformtest and conditiontest share: how
// they show data, overwrite a reused message, close a component twice and
// edit settings.
package contract

import (
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"strings"

	"github.com/weirhq/weir"
)

// Show abbreviates data for messages.
func Show(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q… (%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// Scribble overwrites a message the caller is done with, as a caller that
// reuses it may: it resets it to other data and writes fields, reusing its
// memory. It does nothing to a control message.
func Scribble(msg *weir.Message) {
	if msg.IsControl() {
		return
	}
	msg.Reset([]byte(`{"scribbled":"` + strings.Repeat("#", 64) + `"}`))
	for _, k := range []string{"a", "b", "scribbled", "z"} {
		_ = msg.SetString(k, strings.Repeat("~", 96))
	}
	_ = msg.SetString("meta scribbled", strings.Repeat("~", 96))
}

// CloseTwice calls Close twice.
func CloseTwice(c io.Closer) error {
	first, p := CloseOnce(c)
	if p != nil {
		return fmt.Errorf("first Close: %w", p)
	}
	second, p := CloseOnce(c)
	switch {
	case p != nil:
		return fmt.Errorf("second Close: %w", p)
	case second != nil && (first == nil || second.Error() != first.Error()):
		return fmt.Errorf("second Close returned %q after the first returned %v; want nil or the same error", second, first)
	}
	return nil
}

// CloseOnce calls c.Close and turns a panic into an error that says so.
func CloseOnce(c io.Closer) (err, panicked error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.Close(), nil
}

// WithSetting returns settings with v at the dotted path, copying the maps
// on the way so the original is left alone.
func WithSetting(settings map[string]any, path string, v any) map[string]any {
	out := maps.Clone(settings)
	if out == nil {
		out = map[string]any{}
	}
	first, rest, nested := strings.Cut(path, ".")
	if !nested {
		out[first] = v
		return out
	}
	sub, _ := out[first].(map[string]any)
	out[first] = WithSetting(sub, rest, v)
	return out
}

// HasSetting reports whether settings has something at the dotted path.
func HasSetting(settings map[string]any, path string) bool {
	first, rest, nested := strings.Cut(path, ".")
	v, ok := settings[first]
	if !ok || !nested {
		return ok
	}
	sub, _ := v.(map[string]any)
	return HasSetting(sub, rest)
}
