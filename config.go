package weir

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
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
// the wrong JSON type with a *[ConfigError] that names the setting by its
// full dotted path ("object.target_key", "cases.1.transforms"), says what
// was expected in JSON terms ("must be an object, got a string") and, for a
// misspelt setting, the nearest known name. When several settings are
// wrong, the error is about the first in document order (the settings map's
// keys sorted), so the same config always gives the same error. Nil
// settings leave v unchanged.
func (c Config) Decode(v any) error {
	if len(c.Settings) == 0 {
		return nil
	}
	b, err := json.Marshal(c.Settings) // map keys sorted
	if err != nil {
		return &ConfigError{Type: c.Type, Err: err}
	}
	return DecodeJSON(c.Type, b, v)
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
	if errors.As(err, &ce) { // from a setting's UnmarshalJSON
		if ce.Type == "" {
			ce.Type = typ
		}
		return ce
	}
	// encoding/json names neither the path of an unknown field nor the
	// index of a list element: find the first fault again, walking b in
	// step with v's type.
	if t := reflect.TypeOf(v); t != nil && t.Kind() == reflect.Pointer {
		if field, cause := checkSettings(b, t.Elem()); cause != nil {
			return &ConfigError{Type: typ, Field: field, Err: cause}
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ConfigError{Type: typ, Field: te.Field,
			Err: fmt.Errorf("must be %s, got %s", jsonWant(te.Type), jsonKind(te.Value))}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ConfigError{Type: typ, Field: strings.Trim(name, `"`), Err: errUnknownSetting}
	}
	return &ConfigError{Type: typ, Err: err}
}

// errUnknownSetting is the cause of a *ConfigError about a setting the
// settings struct does not have.
var errUnknownSetting = errors.New("unknown setting")

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
			name = strings.Trim(name, `"`)
			err := errors.New(`unknown member (a config has "type" and "settings")`)
			if s := suggest(name, []string{"type", "settings"}); s != "" {
				err = fmt.Errorf("%w; did you mean %q?", err, s)
			}
			return c, &ConfigError{Field: name, Err: err}
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
// reports it ("string", "number 1.5", "object", …), with an article, in the
// words of the other errors ("a list" for an array).
func jsonKind(v string) string {
	switch v, _, _ = strings.Cut(v, " "); v {
	case "object":
		return "an object"
	case "array":
		return "a list"
	case "bool":
		return "a boolean"
	case "":
		return "a value"
	}
	return "a " + v
}

// checkSettings walks the JSON document b in step with t, the type it is
// decoded into, in document order, and returns the first setting that
// encoding/json would refuse: its dotted path (list elements by index) and
// what is wrong with it. It returns a nil cause when it finds nothing wrong
// (or b is not valid JSON), leaving the decoder's error to be reported.
func checkSettings(b []byte, t reflect.Type) (field string, cause error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	c := checker{dec: dec}
	c.value(t, false, "")
	return c.field, c.cause
}

// checker is the state of checkSettings: the first fault found.
type checker struct {
	dec   *json.Decoder
	field string
	cause error
	stop  bool // a fault was found or the document is not valid JSON
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonNumberType      = reflect.TypeFor[json.Number]()
)

// fail records the first fault.
func (c *checker) fail(field string, cause error) {
	if !c.stop {
		c.field, c.cause, c.stop = field, cause, true
	}
}

// token reads the next token; at the end of the input or on a syntax error
// it stops the walk.
func (c *checker) token() (json.Token, bool) {
	tok, err := c.dec.Token()
	if err != nil {
		c.stop = true
		return nil, false
	}
	return tok, true
}

// skip reads the rest of a value whose first token was tok.
func (c *checker) skip(tok json.Token) {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return
	}
	for depth := 1; depth > 0 && !c.stop; {
		tok, ok := c.token()
		if !ok {
			return
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// value checks the next value of the document against t; quoted is the
// ",string" option of the field holding it.
func (c *checker) value(t reflect.Type, quoted bool, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, ok := c.token()
	if !ok || tok == nil { // null sets nothing, whatever the type
		return
	}
	pt := reflect.PointerTo(t)
	switch {
	case pt.Implements(jsonUnmarshalerType):
		c.skip(tok) // the type decides
		return
	case pt.Implements(textUnmarshalerType):
		if _, ok := tok.(string); !ok {
			c.fail(path, mismatch("a string", tok))
		}
		return
	case quoted && isScalarKind(t.Kind()):
		if _, ok := tok.(string); !ok {
			c.fail(path, mismatch("a string", tok))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			c.fail(path, mismatch("an object", tok))
			return
		}
		c.object(path, func(key string) (reflect.Type, bool, bool) {
			f, ok := fieldByName(t, key)
			if !ok {
				c.fail(join(path, key), unknownSetting(key, fieldNames(t)))
			}
			return f.typ, f.quoted, ok
		})
	case reflect.Map:
		if tok != json.Delim('{') {
			c.fail(path, mismatch("an object", tok))
			return
		}
		c.object(path, func(string) (reflect.Type, bool, bool) { return t.Elem(), false, true })
	case reflect.Slice, reflect.Array:
		if _, ok := tok.(string); ok && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return // []byte: base64 text
		}
		if tok != json.Delim('[') {
			c.fail(path, mismatch("a list", tok))
			return
		}
		for i := 0; c.dec.More() && !c.stop; i++ {
			c.value(t.Elem(), false, join(path, strconv.Itoa(i)))
		}
		if !c.stop {
			c.token() // ]
		}
	case reflect.Interface:
		c.skip(tok) // any value fits an empty interface; encoding/json judges others
	case reflect.String:
		s, isString := tok.(string)
		switch {
		case t == jsonNumberType:
			if _, isNum := tok.(json.Number); !isNum && !(isString && isJSONNumber(s)) {
				c.fail(path, mismatch("a number", tok))
			}
		case !isString:
			c.fail(path, mismatch("a string", tok))
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			c.fail(path, mismatch("a boolean (true or false)", tok))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			c.fail(path, mismatch("a whole number", tok))
		} else if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			lo := int64(-1) << (t.Bits() - 1)
			c.fail(path, wholeNumber(n, strconv.FormatInt(lo, 10), strconv.FormatInt(^lo, 10)))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := tok.(json.Number)
		if !ok {
			c.fail(path, mismatch("a whole number", tok))
		} else if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			c.fail(path, wholeNumber(n, "0", strconv.FormatUint(^uint64(0)>>(64-t.Bits()), 10)))
		}
	case reflect.Float32, reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			c.fail(path, mismatch("a number", tok))
		} else if _, err := strconv.ParseFloat(string(n), t.Bits()); err != nil {
			c.fail(path, fmt.Errorf("must be a number that fits in %d bits, got %s", t.Bits(), n))
		}
	default:
		c.skip(tok) // channels, functions: encoding/json refuses them itself
	}
}

// object checks the members of an object whose '{' was read; member
// returns the type of a key's value and whether the key is known (an
// unknown key has been reported).
func (c *checker) object(path string, member func(key string) (t reflect.Type, quoted, ok bool)) {
	for c.dec.More() && !c.stop {
		tok, ok := c.token()
		if !ok {
			return
		}
		key, _ := tok.(string)
		t, quoted, ok := member(key)
		if !ok {
			return
		}
		c.value(t, quoted, join(path, key))
	}
	if !c.stop {
		c.token() // }
	}
}

// join appends a member name or list index to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// mismatch is the cause for a value of the wrong JSON type; tok is the
// value's first token.
func mismatch(want string, tok json.Token) error {
	return fmt.Errorf("must be %s, got %s", want, tokenKind(tok))
}

// wholeNumber is the cause for a number that does not fit an integer
// setting whose range is lo to hi.
func wholeNumber(n json.Number, lo, hi string) error {
	if strings.ContainsAny(string(n), ".eE") {
		return fmt.Errorf("must be a whole number (no fraction or exponent), got %s", n)
	}
	return fmt.Errorf("must be a whole number from %s to %s, got %s", lo, hi, n)
}

// isJSONNumber reports whether s is a JSON number, as a string holding one
// may be decoded into a json.Number.
func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
}

// tokenKind names the JSON kind of the value whose first token is tok.
func tokenKind(tok json.Token) string {
	switch tok := tok.(type) {
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case json.Delim:
		if tok == '[' {
			return "a list"
		}
		return "an object"
	}
	return "null"
}

// unknownSetting is the cause for a key the settings object does not have;
// it suggests the nearest of names.
func unknownSetting(key string, names []string) error {
	if s := suggest(key, names); s != "" {
		return fmt.Errorf("%w; did you mean %q?", errUnknownSetting, s)
	}
	return errUnknownSetting
}

// structField is a setting of a settings struct.
type structField struct {
	name   string
	typ    reflect.Type
	quoted bool // the ",string" option
}

// structFields returns the settings of struct type t as encoding/json sees
// them: exported fields named by their JSON tags, the fields of embedded
// structs promoted unless a shallower field has the name.
func structFields(t reflect.Type) []structField {
	var out []structField
	seen := map[string]bool{}
	level := []reflect.Type{t}
	visited := map[reflect.Type]bool{}
	for len(level) > 0 {
		var next []reflect.Type
		var here []structField
		for _, st := range level {
			if visited[st] {
				continue
			}
			visited[st] = true
			for i := range st.NumField() {
				f := st.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
					next = append(next, ft)
					continue
				}
				if !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				here = append(here, structField{name: name, typ: f.Type, quoted: slices.Contains(strings.Split(opts, ","), "string")})
			}
		}
		for _, f := range here {
			if !seen[f.name] {
				seen[f.name] = true
				out = append(out, f)
			}
		}
		level = next
	}
	return out
}

// fieldByName finds the setting of struct type t that key names, exactly
// or else ignoring case, as encoding/json does.
func fieldByName(t reflect.Type, key string) (structField, bool) {
	fs := structFields(t)
	for _, f := range fs {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return structField{}, false
}

// fieldNames returns the setting names of struct type t.
func fieldNames(t reflect.Type) []string {
	fs := structFields(t)
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// jsonWant names in JSON terms, with an article, what a value of Go type t
// is written as.
func jsonWant(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch {
	case t == jsonNumberType:
		return "a number"
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "a string"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value of another kind"
}

// suggest returns the name in names within edit distance 2 of name (the
// nearest; the first of equals), or "" if there is none or name is in
// names. The distance counts an insertion, a deletion, a substitution or
// the swap of two adjacent bytes as one edit ("sourcekye" is 2 from
// "source_key"); a name no longer than the distance is not a near miss
// ("zz" is not "id" misspelt). internal/registry suggests type names in a
// similar way; it cannot be imported here, as it imports this package.
func suggest(name string, names []string) string {
	best, bestD := "", min(3, len(name))
	for _, n := range names {
		if n == name {
			return ""
		}
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance returns the optimal string alignment distance between a and
// b, in bytes: Levenshtein's, with a swap of adjacent bytes as one edit.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1) // row i-2
	prev := make([]int, len(b)+1)  // row i-1
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
