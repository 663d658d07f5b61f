package transform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/weirhq/weir"
)

// The string_* types change string values. Each reads the value at
// object.source_key and writes the result to object.target_key; when both
// keys are empty it works on the whole message data instead. A message whose
// source value is missing passes unchanged. Values that are not strings are
// used as their JSON text (a number 12 is the string "12").

func stringBuiltins() map[string]Factory {
	return map[string]Factory{
		"string_append":   decodedNoCtx(NewStringAppend),
		"string_capture":  decodedNoCtx(NewStringCapture),
		"string_replace":  decodedNoCtx(NewStringReplace),
		"string_split":    decodedNoCtx(NewStringSplit),
		"string_to_lower": decodedNoCtx(NewStringToLower),
		"string_to_upper": decodedNoCtx(NewStringToUpper),
		"string_to_snake": decodedNoCtx(NewStringToSnake),
		"string_uuid":     decodedNoCtx(NewStringUUID),
	}
}

// strIO says where a string transform reads and writes: two paths, or the
// whole data when both are empty.
type strIO struct {
	src, dst weir.Path
	// keyed: the keys are set (else the transform works on the whole
	// data). Kept apart from src because a method of weir.Path called on a
	// field (src.String()) copies the whole Path.
	keyed bool
}

// newStrIO checks that o names both keys or neither.
func newStrIO(typ string, o ObjectSettings) (strIO, error) {
	switch {
	case o.SourceKey == "" && o.TargetKey != "":
		return strIO{}, &weir.ConfigError{Type: typ, Field: "object.source_key",
			Err: fmt.Errorf("%w: needed when object.target_key is set", weir.ErrMissingSetting)}
	case o.SourceKey != "" && o.TargetKey == "":
		return strIO{}, &weir.ConfigError{Type: typ, Field: "object.target_key",
			Err: fmt.Errorf("%w: needed when object.source_key is set", weir.ErrMissingSetting)}
	}
	return strIO{src: weir.ParsePath(o.SourceKey), dst: weir.ParsePath(o.TargetKey), keyed: o.SourceKey != ""}, nil
}

// whole reports whether the transform works on the whole data.
func (io *strIO) whole() bool { return !io.keyed }

// reads reports whether the transform reads the field at key (see
// fieldReader).
func (io *strIO) reads(key string) bool { return io.keyed && io.src.String() == key }

// strOne returns msg as the only result.
func strOne(msg *weir.Message) ([]*weir.Message, error) {
	return msg.AsSlice(), nil
}

// strSet writes v to the target and returns msg, or the error as an *Error.
func strSet(msg *weir.Message, path *weir.Path, v any, typ, id string) ([]*weir.Message, error) {
	if err := path.Set(msg, v); err != nil {
		return nil, &Error{Type: typ, ID: id, Err: err}
	}
	return msg.AsSlice(), nil
}

// strSetText is strSet for a string, without boxing it.
func strSetText(msg *weir.Message, path *weir.Path, v, typ, id string) ([]*weir.Message, error) {
	if err := path.SetText(msg, v); err != nil {
		return nil, &Error{Type: typ, ID: id, Err: err}
	}
	return msg.AsSlice(), nil
}

// strSetInt is strSet for an int64, without boxing it.
func strSetInt(msg *weir.Message, path *weir.Path, v int64, typ, id string) ([]*weir.Message, error) {
	if err := path.SetInt(msg, v); err != nil {
		return nil, &Error{Type: typ, ID: id, Err: err}
	}
	return msg.AsSlice(), nil
}

// strRequired returns the error for a missing required setting.
func strRequired(typ, field string) error {
	return &weir.ConfigError{Type: typ, Field: field, Err: weir.ErrMissingSetting}
}

// strCompile compiles the "pattern" setting.
func strCompile(typ, pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, strRequired(typ, "pattern")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "pattern", Err: err}
	}
	return re, nil
}

// strAppendElem appends b to buf as one element of a JSON array, encoded as
// [weir.Message.Set] encodes a []byte: a JSON object or array as is, valid
// UTF-8 as a JSON string, anything else as a base64 JSON string.
func strAppendElem(buf, b []byte) []byte {
	switch {
	case len(b) >= 2 && (b[0] == '{' || b[0] == '[') && json.Valid(b):
		return append(buf, b...)
	case strPlain(b):
		buf = append(buf, '"')
		buf = append(buf, b...)
		return append(buf, '"')
	case utf8.Valid(b):
		return weir.AppendJSONString(buf, string(b))
	default:
		return weir.AppendJSONString(buf, base64.StdEncoding.EncodeToString(b))
	}
}

// strPlain reports whether b is ASCII that a JSON string holds unescaped,
// so that weir.AppendJSONString would only quote it.
func strPlain(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c > 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// StringAppendConfig configures [StringAppend].
type StringAppendConfig struct {
	// Suffix is appended to the value. Required unless SuffixKey is set.
	Suffix string `json:"suffix,omitempty"`
	// SuffixKey is the path of the suffix in each message; it takes
	// precedence over Suffix and needs Object.SourceKey. A message without
	// it passes unchanged.
	SuffixKey string `json:"suffix_key,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringAppend appends a suffix to a string (type "string_append").
type StringAppend struct {
	id        string
	io        strIO
	suffix    string
	suffixKey string
}

// NewStringAppend returns a StringAppend for cfg.
func NewStringAppend(cfg StringAppendConfig) (*StringAppend, error) {
	const typ = "string_append"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Suffix == "" && cfg.SuffixKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "suffix", Err: errors.New("suffix or suffix_key is required")}
	case cfg.SuffixKey != "" && io.whole():
		return nil, &weir.ConfigError{Type: typ, Field: "suffix_key", Err: errors.New("needs object.source_key")}
	}
	return &StringAppend{id: cfg.ID, io: io, suffix: cfg.Suffix, suffixKey: cfg.SuffixKey}, nil
}

// Transform implements [Transformer].
func (t *StringAppend) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	suffix := t.suffix
	if t.suffixKey != "" {
		v := msg.Get(t.suffixKey)
		if !v.Exists() {
			return strOne(msg)
		}
		suffix = v.String()
	}
	if t.io.whole() {
		d := msg.Data()
		b := make([]byte, 0, len(d)+len(suffix))
		msg.SetData(append(append(b, d...), suffix...))
		return strOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	return strSetText(msg, &t.io.dst, v.String()+suffix, "string_append", t.id)
}

// StringCaptureConfig configures [StringCapture].
type StringCaptureConfig struct {
	// Pattern is the regular expression (RE2 syntax) whose groups are
	// captured. Required.
	Pattern string `json:"pattern"`
	// Count, when not 0, makes an array of the last group of the first
	// Count matches (all matches when negative). It is ignored when the
	// pattern has named groups.
	Count int `json:"count,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringCapture extracts parts of a string with a regular expression (type
// "string_capture").
//
// The result depends on the pattern:
//   - with named groups, (?P<name>re), an object of each name and its
//     capture; the members are written into the target one by one, so an
//     object already there keeps its other members, and nothing is written
//     when the pattern does not match;
//   - with Count 0, the last group of the first match as a string, or ""
//     when nothing matches;
//   - otherwise an array of the last group of each of the first Count
//     matches.
//
// On the whole data the result replaces the data; a capture that is a JSON
// object or array is kept as JSON.
type StringCapture struct {
	id    string
	io    strIO
	re    *regexp.Regexp
	count int
	named []strGroup // nil without named groups
	fast  *strSimple // the pattern, when it is simple enough to match without re
}

// strGroup is one named group of a capture pattern.
type strGroup struct {
	name string // group name
	path string // target_key.name
	idx  int    // submatch index; the last group of that name
}

// NewStringCapture returns a StringCapture for cfg. A pattern that does not
// compile is a *weir.ConfigError for "pattern".
func NewStringCapture(cfg StringCaptureConfig) (*StringCapture, error) {
	const typ = "string_capture"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	re, err := strCompile(typ, cfg.Pattern)
	if err != nil {
		return nil, err
	}
	t := &StringCapture{id: cfg.ID, io: io, re: re, count: cfg.Count}
	// Groups sharing a name write one key: it takes the place of the first
	// and the value of the last, as writing them in turn would.
	seen := map[string]int{}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if j, ok := seen[name]; ok {
			t.named[j].idx = i
			continue
		}
		seen[name] = len(t.named)
		t.named = append(t.named, strGroup{name: name, path: io.dst.String() + "." + name, idx: i})
	}
	if t.named == nil && t.count == 0 {
		t.fast, _ = strSimpleOf(cfg.Pattern)
	}
	return t, nil
}

// strLast returns the last group of a match: the zero value if the pattern
// has no groups or nothing matched.
func strLast[S string | []byte](m []S) S {
	if len(m) > 1 {
		return m[len(m)-1]
	}
	var zero S
	return zero
}

// Transform implements [Transformer].
func (t *StringCapture) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	if t.io.whole() {
		return t.data(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	return t.withValue(msg, v)
}

// reads implements fieldReader.
func (t *StringCapture) reads(key string) bool { return t.io.reads(key) }

// withValue implements fieldReader.
func (t *StringCapture) withValue(msg *weir.Message, v weir.Value) ([]*weir.Message, error) {
	s := v.String()
	switch {
	case t.named != nil:
		m := t.re.FindStringSubmatch(s)
		if m == nil {
			return strOne(msg)
		}
		for _, g := range t.named {
			if err := msg.Set(g.path, m[g.idx]); err != nil {
				return nil, &Error{Type: "string_capture", ID: t.id, Err: err}
			}
		}
		return strOne(msg)
	case t.count == 0:
		if t.fast != nil {
			if g, _, ok := t.fast.capture(s); ok {
				return strSetText(msg, &t.io.dst, g, "string_capture", t.id)
			}
		}
		last := strLast(t.re.FindStringSubmatch(s))
		return strSetText(msg, &t.io.dst, last, "string_capture", t.id)
	default:
		var out []string // stays nil, written as null, when nothing matches
		for _, m := range t.re.FindAllStringSubmatch(s, t.count) {
			last := strLast(m)
			out = append(out, last)
		}
		return strSet(msg, &t.io.dst, out, "string_capture", t.id)
	}
}

// data captures from the whole data.
func (t *StringCapture) data(msg *weir.Message) ([]*weir.Message, error) {
	d := msg.Data()
	switch {
	case t.named != nil:
		out := weir.NewMessage(nil)
		if m := t.re.FindSubmatch(d); m != nil {
			for _, g := range t.named {
				if err := out.Set(g.name, m[g.idx]); err != nil {
					return nil, &Error{Type: "string_capture", ID: t.id, Err: err}
				}
			}
		}
		msg.SetData(out.Data())
	case t.count == 0:
		last := strLast(t.re.FindSubmatch(d))
		msg.SetData(last[:len(last):len(last)]) // shares d, which is never written to
	default:
		ms := t.re.FindAllSubmatch(d, t.count)
		if len(ms) == 0 {
			msg.SetData(nil)
			break
		}
		buf := make([]byte, 0, len(d)+2+4*len(ms))
		buf = append(buf, '[')
		for i, m := range ms {
			if i > 0 {
				buf = append(buf, ',')
			}
			last := strLast(m)
			buf = strAppendElem(buf, last)
		}
		msg.SetData(append(buf, ']'))
	}
	return strOne(msg)
}

// StringReplaceConfig configures [StringReplace].
type StringReplaceConfig struct {
	// Pattern is the regular expression (RE2 syntax) to replace. Required.
	Pattern string `json:"pattern"`
	// Replacement replaces each match; $1 or ${name} stand for groups, as
	// in [regexp.Regexp.Expand]. Empty removes the matches.
	Replacement string `json:"replacement,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringReplace replaces every match of a regular expression in a string
// (type "string_replace").
type StringReplace struct {
	id   string
	io   strIO
	re   *regexp.Regexp
	repl string
	rb   []byte      // repl, for the whole data
	lit  *strLiteral // the pattern as a literal, when it is one
}

// NewStringReplace returns a StringReplace for cfg. A pattern that does not
// compile is a *weir.ConfigError for "pattern".
func NewStringReplace(cfg StringReplaceConfig) (*StringReplace, error) {
	const typ = "string_replace"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	re, err := strCompile(typ, cfg.Pattern)
	if err != nil {
		return nil, err
	}
	t := &StringReplace{id: cfg.ID, io: io, re: re, repl: cfg.Replacement, rb: []byte(cfg.Replacement)}
	if lit, ok := strLiteralOf(cfg.Pattern); ok && !strings.Contains(cfg.Replacement, "$") {
		t.lit = &lit
	}
	return t, nil
}

// Transform implements [Transformer].
func (t *StringReplace) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	if t.io.whole() {
		msg.SetData(t.re.ReplaceAll(msg.Data(), t.rb))
		return strOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	return t.withValue(msg, v)
}

// reads implements fieldReader.
func (t *StringReplace) reads(key string) bool { return t.io.reads(key) }

// withValue implements fieldReader.
func (t *StringReplace) withValue(msg *weir.Message, v weir.Value) ([]*weir.Message, error) {
	var out string
	if t.lit != nil {
		out = t.lit.replaceAll(v.String(), t.repl)
	} else {
		out = t.re.ReplaceAllString(v.String(), t.repl)
	}
	return strSetText(msg, &t.io.dst, out, "string_replace", t.id)
}

// strLiteral is a pattern that matches one literal text, anywhere or only
// at the start or the end of the string, such as "^TLSv" or
// `\.amazonaws\.com$`. Replacing it needs no regular expression engine.
type strLiteral struct {
	text   string
	anchor byte // 0: anywhere, '^': at the start only, '$': at the end only
}

// strLiteralOf reports whether pattern (a valid regular expression) is a
// literal, anchored or not, and returns it. Case-insensitive literals and
// literals holding U+FFFD (which a regular expression also matches against
// invalid UTF-8) are not.
func strLiteralOf(pattern string) (strLiteral, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return strLiteral{}, false
	}
	re = re.Simplify()
	lit := func(r *syntax.Regexp) (string, bool) {
		if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 || slices.Contains(r.Rune, utf8.RuneError) {
			return "", false
		}
		return string(r.Rune), true
	}
	if s, ok := lit(re); ok {
		return strLiteral{text: s}, true
	}
	if re.Op != syntax.OpConcat || len(re.Sub) != 2 {
		return strLiteral{}, false
	}
	if s, ok := lit(re.Sub[1]); ok && re.Sub[0].Op == syntax.OpBeginText {
		return strLiteral{text: s, anchor: '^'}, true
	}
	if s, ok := lit(re.Sub[0]); ok && re.Sub[1].Op == syntax.OpEndText {
		return strLiteral{text: s, anchor: '$'}, true
	}
	return strLiteral{}, false
}

// replaceAll is regexp's ReplaceAllString for the literal, with a
// replacement that holds no "$" expansions.
func (l *strLiteral) replaceAll(s, repl string) string {
	switch l.anchor {
	case '^':
		if rest, ok := strings.CutPrefix(s, l.text); ok {
			if repl == "" {
				return rest // a call to concatenate nothing costs 90 instructions
			}
			return repl + rest
		}
		return s
	case '$':
		if rest, ok := strings.CutSuffix(s, l.text); ok {
			if repl == "" {
				return rest
			}
			return rest + repl
		}
		return s
	}
	return strings.ReplaceAll(s, l.text, repl)
}

// StringSplitConfig configures [StringSplit].
type StringSplitConfig struct {
	// Separator splits the string into the elements of an array. Required.
	Separator string `json:"separator"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringSplit splits a string into an array of strings (type
// "string_split"). On the whole data, an element that is a JSON object or
// array is kept as JSON, as Substation does.
type StringSplit struct {
	id  string
	io  strIO
	sep string
	sb  []byte // sep, for the whole data
}

// NewStringSplit returns a StringSplit for cfg.
func NewStringSplit(cfg StringSplitConfig) (*StringSplit, error) {
	const typ = "string_split"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	if cfg.Separator == "" {
		return nil, strRequired(typ, "separator")
	}
	return &StringSplit{id: cfg.ID, io: io, sep: cfg.Separator, sb: []byte(cfg.Separator)}, nil
}

// Transform implements [Transformer].
func (t *StringSplit) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	if t.io.whole() {
		d := msg.Data()
		buf := make([]byte, 0, len(d)+8)
		buf = append(buf, '[')
		for i := 0; ; i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			elem, rest, found := bytes.Cut(d, t.sb)
			buf = strAppendElem(buf, elem)
			if !found {
				break
			}
			d = rest
		}
		msg.SetData(append(buf, ']'))
		return strOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	return strSet(msg, &t.io.dst, strings.Split(v.String(), t.sep), "string_split", t.id)
}

// StringToLowerConfig configures [StringToLower].
type StringToLowerConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringToLower maps a string to lower case, Unicode-aware (type
// "string_to_lower").
type StringToLower struct{ strMap }

// NewStringToLower returns a StringToLower for cfg.
func NewStringToLower(cfg StringToLowerConfig) (*StringToLower, error) {
	m, err := newStrMap("string_to_lower", cfg.ID, cfg.Object, bytes.ToLower, strings.ToLower)
	if err != nil {
		return nil, err
	}
	return &StringToLower{m}, nil
}

// StringToUpperConfig configures [StringToUpper].
type StringToUpperConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringToUpper maps a string to upper case, Unicode-aware (type
// "string_to_upper").
type StringToUpper struct{ strMap }

// NewStringToUpper returns a StringToUpper for cfg.
func NewStringToUpper(cfg StringToUpperConfig) (*StringToUpper, error) {
	m, err := newStrMap("string_to_upper", cfg.ID, cfg.Object, bytes.ToUpper, strings.ToUpper)
	if err != nil {
		return nil, err
	}
	return &StringToUpper{m}, nil
}

// StringToSnakeConfig configures [StringToSnake].
type StringToSnakeConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// StringToSnake converts a string to snake_case (type "string_to_snake"),
// with the rules of the strcase library Substation uses: leading and
// trailing white space is trimmed; ASCII letters are lowered; an underscore
// goes between a lower-case letter or digit and the next letter or digit of
// another kind, and before the last capital of a run of capitals followed by
// a lower-case letter ("JSONData" is "json_data", "v2Beta" is "v_2_beta");
// spaces, hyphens and dots become underscores. Other bytes are kept.
type StringToSnake struct{ strMap }

// NewStringToSnake returns a StringToSnake for cfg.
func NewStringToSnake(cfg StringToSnakeConfig) (*StringToSnake, error) {
	m, err := newStrMap("string_to_snake", cfg.ID, cfg.Object,
		func(d []byte) []byte {
			d = bytes.TrimSpace(d)
			return strAppendSnake(make([]byte, 0, len(d)+4), d)
		},
		func(s string) string {
			s = strings.TrimSpace(s)
			return string(strAppendSnake(make([]byte, 0, len(s)+4), s))
		})
	if err != nil {
		return nil, err
	}
	return &StringToSnake{m}, nil
}

// strMap is the shared body of the transforms that map one string to
// another: on the whole data when no keys are set, else from source to
// target.
type strMap struct {
	typ, id string
	io      strIO
	onBytes func([]byte) []byte
	onStr   func(string) string
}

func newStrMap(typ, id string, o ObjectSettings, onBytes func([]byte) []byte, onStr func(string) string) (strMap, error) {
	io, err := newStrIO(typ, o)
	return strMap{typ: typ, id: id, io: io, onBytes: onBytes, onStr: onStr}, err
}

// Transform implements [Transformer].
func (t *strMap) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	if t.io.whole() {
		msg.SetData(t.onBytes(msg.Data()))
		return strOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	return t.withValue(msg, v)
}

// reads implements fieldReader.
func (t *strMap) reads(key string) bool { return t.io.reads(key) }

// withValue implements fieldReader.
func (t *strMap) withValue(msg *weir.Message, v weir.Value) ([]*weir.Message, error) {
	return strSetText(msg, &t.io.dst, t.onStr(v.String()), t.typ, t.id)
}

// Byte classes for snake_case.
const (
	strOther = iota
	strUpper
	strLower
	strDigit
)

func strClass(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return strUpper
	case 'a' <= c && c <= 'z':
		return strLower
	case '0' <= c && c <= '9':
		return strDigit
	}
	return strOther
}

// strAppendSnake appends the snake_case form of s (already trimmed) to dst.
// It works on bytes: only ASCII letters, digits and separators are changed.
func strAppendSnake[S string | []byte](dst []byte, s S) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		cls := strClass(c)
		if cls == strUpper {
			c += 'a' - 'A'
		}
		next := strOther
		if i+1 < len(s) {
			next = strClass(s[i+1])
		}
		if cls != strOther && next != strOther && cls != next {
			// A word ends here. A capital that starts a lower-case word
			// after other capitals ends the acronym before it.
			if cls == strUpper && next == strLower {
				if i > 0 && strClass(s[i-1]) == strUpper {
					dst = append(dst, '_')
				}
				dst = append(dst, c)
				continue
			}
			dst = append(dst, c, '_')
			continue
		}
		switch c {
		case ' ', '-', '.', '_':
			dst = append(dst, '_')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// StringUUIDConfig configures [StringUUID].
type StringUUIDConfig struct {
	ID string `json:"id,omitempty"`
	// Object.TargetKey is where the UUID is written; when it is empty the
	// UUID replaces the data. Object.SourceKey is not used.
	Object ObjectSettings `json:"object"`

	// NewUUID returns the UUID text to write. Nil means a random (version
	// 4) UUID from github.com/google/uuid. Tests set it to get fixed output.
	NewUUID func() (string, error) `json:"-"`
}

// StringUUID writes a new random UUID to each message (type "string_uuid").
type StringUUID struct {
	id     string
	target weir.Path
	gen    func() (string, error)
}

// NewStringUUID returns a StringUUID for cfg.
func NewStringUUID(cfg StringUUIDConfig) (*StringUUID, error) {
	gen := cfg.NewUUID
	if gen == nil {
		gen = strRandomUUID
	}
	return &StringUUID{id: cfg.ID, target: weir.ParsePath(cfg.Object.TargetKey), gen: gen}, nil
}

// strRandomUUID returns a random version 4 UUID.
func strRandomUUID() (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Transform implements [Transformer]. It fails only if the UUID cannot be
// made (the system's random source fails) or written.
func (t *StringUUID) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	u, err := t.gen()
	if err != nil {
		return nil, &Error{Type: "string_uuid", ID: t.id, Err: fmt.Errorf("generate uuid: %w", err)}
	}
	if t.target.String() == "" {
		msg.SetData([]byte(u))
		return strOne(msg)
	}
	return strSet(msg, &t.target, u, "string_uuid", t.id)
}
