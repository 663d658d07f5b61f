package transform

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/weirhq/weir"
)

// FormatFromCSVConfig configures [FormatFromCSV]. Exactly one of Headers
// and HeaderLine is required.
type FormatFromCSVConfig struct {
	// Headers names the columns, in order.
	Headers []string `json:"headers,omitempty"`
	// HeaderLine takes the column names from the first record of each
	// message (or value).
	HeaderLine bool `json:"header_line,omitempty"`
	// Separator is the one character between fields (default ",").
	Separator string `json:"separator,omitempty"`
	// MaxCount and MaxSize bound the records one message becomes and their
	// bytes as JSON; 0 means DefaultMaxCount and DefaultMaxSize (see
	// LimitError). Weir settings.
	MaxCount int   `json:"max_count,omitempty"`
	MaxSize  int64 `json:"max_size,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// FormatFromCSV turns CSV records into JSON objects of column name to field
// (type "format_from_csv"). Fields are strings; a record with fewer fields
// than there are columns lacks the members of the missing ones, and one
// with more is an error matching weir.ErrInvalidData. Quoting follows RFC
// 4180, leniently: a stray quote inside an unquoted field is kept. Empty
// lines are skipped.
//
// On the whole data, each record becomes a message with the input's
// metadata, so a message holding a CSV file becomes one message per row (a
// message with no records is dropped). At a key, the value must hold one
// record (after the header line, with HeaderLine): its object is written
// to the target; a value with no record leaves the message unchanged, and
// one with several is an error matching weir.ErrInvalidData.
type FormatFromCSV struct {
	id      string
	io      strIO
	headers []string // nil: from the header line
	sep     rune
	limits  splitLimits
}

// NewFormatFromCSV returns a FormatFromCSV for cfg.
func NewFormatFromCSV(cfg FormatFromCSVConfig) (*FormatFromCSV, error) {
	const typ = "format_from_csv"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	switch {
	case len(cfg.Headers) == 0 && !cfg.HeaderLine:
		return nil, &weir.ConfigError{Type: typ, Field: "headers", Err: errors.New("headers or header_line is required")}
	case len(cfg.Headers) > 0 && cfg.HeaderLine:
		return nil, &weir.ConfigError{Type: typ, Field: "header_line", Err: errors.New("cannot be used with headers")}
	}
	if err := formatUniqueHeaders(cfg.Headers); err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "headers", Err: err}
	}
	sep := ','
	if cfg.Separator != "" {
		r, n := utf8.DecodeRuneInString(cfg.Separator)
		if n != len(cfg.Separator) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
			return nil, &weir.ConfigError{Type: typ, Field: "separator",
				Err: fmt.Errorf("%q is not one character other than a quote or line break", cfg.Separator)}
		}
		sep = r
	}
	limits, err := newSplitLimits(typ, cfg.MaxCount, cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &FormatFromCSV{id: cfg.ID, io: io, headers: cfg.Headers, sep: sep, limits: limits}, nil
}

// formatUniqueHeaders fails if two headers have the same name.
func formatUniqueHeaders(hs []string) error {
	seen := make(map[string]struct{}, len(hs))
	for _, h := range hs {
		if _, ok := seen[h]; ok {
			return fmt.Errorf("column %q appears twice", h)
		}
		seen[h] = struct{}{}
	}
	return nil
}

// records returns the JSON objects of the records in r, at most upTo
// (0: as many as the limits allow).
func (t *FormatFromCSV) records(r io.Reader, upTo int) ([][]byte, error) {
	c := t.limits.count()
	cr := csv.NewReader(r)
	cr.Comma = t.sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	headers := t.headers
	var out [][]byte
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("csv: %w", err)
		}
		if headers == nil {
			headers = append([]string(nil), rec...)
			if err := formatUniqueHeaders(headers); err != nil {
				return nil, fmt.Errorf("csv: header line: %w", err)
			}
			continue
		}
		if len(rec) > len(headers) {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("csv: line %d: %d fields for %d columns", line, len(rec), len(headers))
		}
		n := 2
		for i, f := range rec {
			n += len(headers[i]) + len(f) + 6
		}
		obj := make([]byte, 0, n)
		obj = append(obj, '{')
		for i, f := range rec {
			if i > 0 {
				obj = append(obj, ',')
			}
			obj = weir.AppendJSONString(obj, headers[i])
			obj = append(obj, ':')
			obj = weir.AppendJSONString(obj, f)
		}
		obj = append(obj, '}')
		if err := c.add(len(obj)); err != nil {
			return nil, err
		}
		out = append(out, obj)
		if len(out) == upTo {
			return out, nil
		}
	}
}

// Transform implements [Transformer].
func (t *FormatFromCSV) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_csv"
	if msg.IsControl() {
		return formatOne(msg)
	}
	if t.io.whole() {
		objs, err := t.records(bytes.NewReader(msg.Data()), 0)
		if err != nil {
			if errors.Is(err, weir.ErrTooLarge) {
				return nil, &Error{Type: typ, ID: t.id, Err: err}
			}
			return nil, formatInvalid(typ, t.id, err)
		}
		out := make([]*weir.Message, len(objs))
		for i, obj := range objs {
			if i == 0 {
				out[0] = msg.SetData(obj) // the metadata stays
				continue
			}
			out[i] = formatNew(msg, obj)
		}
		return out, nil
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return formatOne(msg)
	}
	objs, err := t.records(strings.NewReader(v.String()), 2)
	switch {
	case errors.Is(err, weir.ErrTooLarge):
		return nil, &Error{Type: typ, ID: t.id, Err: err}
	case err != nil:
		return nil, formatInvalid(typ, t.id, err)
	case len(objs) == 0:
		return formatOne(msg)
	case len(objs) > 1:
		return nil, formatInvalid(typ, t.id, errors.New("csv: more than one record in one value"))
	}
	if err := t.io.dst.SetRaw(msg, objs[0]); err != nil {
		return nil, &Error{Type: typ, ID: t.id, Err: err}
	}
	return formatOne(msg)
}

// FormatFromKVConfig configures [FormatFromKV].
type FormatFromKVConfig struct {
	// Separator separates the pairs (default " "). Repeated separators
	// count as one.
	Separator string `json:"separator,omitempty"`
	// KVSeparator separates a key from its value (default "=").
	KVSeparator string `json:"kv_separator,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// FormatFromKV turns key=value pairs, as in many firewall and syslog
// formats, into a JSON object (type "format_from_kv"):
//
//	action=allow src="10.0.0.1" msg="user logged in"
//
// becomes {"action":"allow","src":"10.0.0.1","msg":"user logged in"}.
//
// Values are strings. A key or value may be quoted with " or ', which
// keeps separators inside it; in a quoted text a backslash escapes the
// quote character only (other backslashes are kept, so Windows paths read
// as written). An unterminated quote is an error matching
// weir.ErrInvalidData. Spaces and tabs around unquoted keys and values are
// trimmed. A key without a value gets "", a repeated key keeps its first
// place and its last value, and the value of an unquoted pair runs to the
// next separator (it may contain the key-value separator: url=/a?b=c).
//
// The object replaces the whole data, or is written to the target key.
type FormatFromKV struct {
	id    string
	io    strIO
	sep   string
	kvSep string
}

// NewFormatFromKV returns a FormatFromKV for cfg.
func NewFormatFromKV(cfg FormatFromKVConfig) (*FormatFromKV, error) {
	const typ = "format_from_kv"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	t := &FormatFromKV{id: cfg.ID, io: io, sep: cfg.Separator, kvSep: cfg.KVSeparator}
	if t.sep == "" {
		t.sep = " "
	}
	if t.kvSep == "" {
		t.kvSep = "="
	}
	switch {
	case strings.ContainsAny(t.sep, `"'`):
		return nil, &weir.ConfigError{Type: typ, Field: "separator", Err: errors.New("cannot contain a quote")}
	case strings.ContainsAny(t.kvSep, `"'`):
		return nil, &weir.ConfigError{Type: typ, Field: "kv_separator", Err: errors.New("cannot contain a quote")}
	case strings.Contains(t.sep, t.kvSep) || strings.Contains(t.kvSep, t.sep):
		return nil, &weir.ConfigError{Type: typ, Field: "kv_separator", Err: errors.New("overlaps separator")}
	}
	return t, nil
}

// errFormatUnterminated is the cause of an error for a quote that is not
// closed.
var errFormatUnterminated = errors.New("unterminated quote")

// formatKVPair is one pair of FormatFromKV.
type formatKVPair struct{ k, v string }

// stop reports whether a token ends at s[i:].
func (t *FormatFromKV) stop(s string, i int, key bool) bool {
	return strings.HasPrefix(s[i:], t.sep) || key && strings.HasPrefix(s[i:], t.kvSep)
}

// token reads a key (which also ends at the key-value separator) or a
// value from s at i, and returns it with the index after it.
func (t *FormatFromKV) token(s string, i int, key bool) (string, int, error) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') && !t.stop(s, i, key) {
		i++
	}
	if i == len(s) || (s[i] != '"' && s[i] != '\'') {
		start := i
		for i < len(s) && !t.stop(s, i, key) {
			i++
		}
		return strings.TrimRight(s[start:i], " \t"), i, nil
	}
	// A quoted text, then anything up to the end of the token.
	q := s[i]
	var b strings.Builder
	for j := i + 1; ; {
		k := strings.IndexByte(s[j:], q)
		if k < 0 {
			return "", 0, fmt.Errorf("%w at byte %d", errFormatUnterminated, i)
		}
		k += j
		if k > j && s[k-1] == '\\' {
			b.WriteString(s[j : k-1])
			b.WriteByte(q)
			j = k + 1
			continue
		}
		b.WriteString(s[j:k])
		i = k + 1
		break
	}
	start := i
	for i < len(s) && !t.stop(s, i, key) {
		i++
	}
	b.WriteString(strings.TrimRight(s[start:i], " \t"))
	return b.String(), i, nil
}

// parse returns the JSON object of the pairs in s.
func (t *FormatFromKV) parse(s string) ([]byte, error) {
	var (
		pairs []formatKVPair
		index map[string]int // built once there are several pairs
	)
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], t.sep) {
			i += len(t.sep)
			continue
		}
		if c := s[i]; c == ' ' || c == '\t' {
			i++
			continue
		}
		k, next, err := t.token(s, i, true)
		if err != nil {
			return nil, err
		}
		i = next
		var v string
		if strings.HasPrefix(s[i:], t.kvSep) {
			if v, i, err = t.token(s, i+len(t.kvSep), false); err != nil {
				return nil, err
			}
		}
		if len(pairs) >= 8 && index == nil {
			index = make(map[string]int, 2*len(pairs))
			for j, p := range pairs {
				if _, dup := index[p.k]; !dup {
					index[p.k] = j
				}
			}
		}
		if j, ok := t.find(pairs, index, k); ok {
			pairs[j].v = v
			continue
		}
		if index != nil {
			index[k] = len(pairs)
		}
		pairs = append(pairs, formatKVPair{k, v})
	}
	n := 2
	for _, p := range pairs {
		n += len(p.k) + len(p.v) + 6
	}
	obj := make([]byte, 0, n)
	obj = append(obj, '{')
	for j, p := range pairs {
		if j > 0 {
			obj = append(obj, ',')
		}
		obj = weir.AppendJSONString(obj, p.k)
		obj = append(obj, ':')
		obj = weir.AppendJSONString(obj, p.v)
	}
	return append(obj, '}'), nil
}

// find returns the index of key k among pairs.
func (t *FormatFromKV) find(pairs []formatKVPair, index map[string]int, k string) (int, bool) {
	if index != nil {
		j, ok := index[k]
		return j, ok
	}
	for j, p := range pairs {
		if p.k == k {
			return j, true
		}
	}
	return 0, false
}

// Transform implements [Transformer].
func (t *FormatFromKV) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_kv"
	if msg.IsControl() {
		return formatOne(msg)
	}
	if t.io.whole() {
		obj, err := t.parse(string(msg.Data()))
		if err != nil {
			return nil, formatInvalid(typ, t.id, fmt.Errorf("kv: %w", err))
		}
		msg.SetData(obj)
		return formatOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return formatOne(msg)
	}
	obj, err := t.parse(v.String())
	if err != nil {
		return nil, formatInvalid(typ, t.id, fmt.Errorf("kv: %w", err))
	}
	if err := t.io.dst.SetRaw(msg, json.RawMessage(obj)); err != nil {
		return nil, &Error{Type: typ, ID: t.id, Err: err}
	}
	return formatOne(msg)
}
