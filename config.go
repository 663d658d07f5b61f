package weir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Config names a transform or condition and carries its settings, in the
// shape Substation v2 uses: {"type": "object_copy", "settings": {...}}.
type Config struct {
	Type     string         `json:"type"`
	Settings map[string]any `json:"settings,omitempty"`
}

// Decode decodes c.Settings into v, a pointer to a settings struct whose JSON
// tags name the settings. It rejects settings v does not have and values of
// the wrong type with a *[ConfigError] that names the setting. Nil settings
// leave v unchanged.
func (c Config) Decode(v any) error {
	if len(c.Settings) == 0 {
		return nil
	}
	b, err := json.Marshal(c.Settings)
	if err != nil {
		return &ConfigError{Type: c.Type, Err: err}
	}
	err = DecodeJSON(c.Type, b, v)
	var ce *ConfigError
	if errors.As(err, &ce) && ce.Field != "" && !strings.Contains(ce.Field, ".") {
		// encoding/json names only the innermost field; find its full path.
		if p := findKey(c.Settings, ce.Field, ""); p != "" {
			ce.Field = p
		}
	}
	return err
}

// findKey returns the dotted path of the first member named key in v.
func findKey(v any, key, prefix string) string {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[key]; ok {
			return prefix + key
		}
		for k, x := range v {
			if p := findKey(x, key, prefix+k+"."); p != "" {
				return p
			}
		}
	case []any:
		for i, x := range v {
			if p := findKey(x, key, fmt.Sprintf("%s%d.", prefix, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// DecodeJSON decodes the JSON object b into v like [Config.Decode] does,
// naming typ in errors. Factories use it for nested settings.
func DecodeJSON(typ string, b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		if ce.Type == "" {
			ce.Type = typ
		}
		return ce
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ConfigError{Type: typ, Field: te.Field, Err: fmt.Errorf("cannot use %s as %s", te.Value, te.Type)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ConfigError{Type: typ, Field: strings.Trim(name, `"`), Err: errors.New("unknown setting")}
	}
	return &ConfigError{Type: typ, Err: err}
}

// ParseConfig parses one transform or condition config, {"type": …,
// "settings": {…}}, strictly: a member other than "type" and "settings" is
// an error (a misspelt "settings" must not pass silently), and numbers keep
// the digits they were written with (as json.Number).
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return c, &ConfigError{Field: strings.Trim(name, `"`),
				Err: errors.New(`unknown member (a config has "type" and "settings")`)}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			what := map[string]string{"type": `"type" must be a string`, "settings": `"settings" must be an object`}[te.Field]
			if what == "" {
				what = "a config must be an object"
			}
			return c, &ConfigError{Err: fmt.Errorf("%s, got %s", what, jsonKind(te.Value))}
		}
		return c, &ConfigError{Err: err}
	}
	if c.Type == "" {
		return c, &ConfigError{Field: "type", Err: ErrMissingSetting}
	}
	return c, nil
}

// jsonKind names a JSON value's kind as encoding/json's UnmarshalTypeError
// reports it ("string", "number", "object", …), with an article.
func jsonKind(v string) string {
	switch v {
	case "object", "array", "number":
		return "an " + v
	case "":
		return "a value"
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	return "a " + v
}
