// Package enrich looks up context for events: lookup tables loaded from
// files, MaxMind GeoIP/ASN databases and HTTP APIs. Each client is safe for
// concurrent use, built once and shared.
//
// Which do I use?
//
//   - [NewTable]: a CSV, JSON, JSON Lines or text file (local, fetched over
//     http(s), or from any URL scheme an [Opener] serves: see [Source])
//     read into memory once, looked up by key without I/O, reloadable.
//   - [NewMMDB]: GeoIP/ASN/ISP records from a MaxMind database, reloadable.
//   - [NewHTTP]: GET/POST with retries, backoff with jitter, a rate limit
//     and a response cache.
//   - Package enrich/dns: PTR, A/AAAA and TXT lookups with miekg/dns,
//     answers cached for their TTL (NXDOMAIN negatively), one query per
//     name in flight.
//   - Package enrich/awsenrich: DynamoDB queries, AWS Lambda invocations
//     and the S3 opener for s3:// files.
//
// The DNS and AWS clients live in packages of their own so that programs
// that do not use them do not link their libraries. Package enrich does
// not depend on transform: the enrich_* transforms wrap it.
package enrich

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// TableFormat says how a table file is laid out.
type TableFormat uint8

// The formats [NewTable] reads.
const (
	// CSV is a header line and rows of values. A row's value in
	// TableConfig.Column is its key; the rest of the row is its value, a
	// JSON object of column name → string, keys sorted.
	CSV TableFormat = iota + 1
	// JSON is one JSON object: each member is a key and its value (any
	// JSON value) the key's value, as its JSON text.
	JSON
	// JSONLines is one JSON object per line, read like JSON; a key in
	// several lines takes its first non-null value.
	JSONLines
	// Text is one key per line; every key's value is true. A table of
	// this format is a set: use [Table.Contains].
	Text
)

// String returns the format's name.
func (f TableFormat) String() string {
	switch f {
	case CSV:
		return "csv"
	case JSON:
		return "json"
	case JSONLines:
		return "json_lines"
	case Text:
		return "text"
	}
	return fmt.Sprintf("TableFormat(%d)", uint8(f))
}

// TableConfig configures [NewTable].
type TableConfig struct {
	// Path is the file to read: a local path, or an http://, https:// or
	// s3://bucket/key URL, fetched as Source says. Required.
	Path string
	// Format is the file's layout. Required.
	Format TableFormat

	// Column names the CSV column whose values are the keys. Required for
	// CSV.
	Column string
	// Delimiter separates CSV values; 0 means a comma.
	Delimiter rune
	// Header, if set, names the CSV columns instead of the file's first
	// line, which is skipped.
	Header []string

	// Source fetches Path when it is a URL; its zero value is ready to
	// use (see [Source]).
	Source Source

	// Value, if set, rewrites each value as it is loaded (and reloaded):
	// to re-encode it, or to parse it into the form its users want. An
	// error fails the load.
	Value func(value []byte) ([]byte, error)
}

// Errors of [NewTable] and [Table.Reload], matched with errors.Is through
// the [*TableError] that carries them.
var (
	// ErrColumnNotFound: the CSV has no column named TableConfig.Column,
	// or a row has no value in it. Fix the file or the column name.
	ErrColumnNotFound = errors.New("enrich: column not found")
	// ErrNotObject: a JSON file (or a JSON Lines line) is not a JSON
	// object. Fix the file.
	ErrNotObject = errors.New("enrich: not a JSON object")
)

// TableError is the error of loading a table file. Its Err is the cause:
// an *os.PathError, a *[SourceError] (a URL), an *csv.ParseError, [ErrColumnNotFound],
// [ErrNotObject], an error of TableConfig.Value, ….
type TableError struct {
	Path   string      // the file: a path or URL
	Format TableFormat // its format
	Line   int         // the line at fault, counting from 1, or 0
	Err    error       // the cause
}

// Error implements error.
func (e *TableError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("enrich: %s table %s: line %d: %v", e.Format, e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("enrich: %s table %s: %v", e.Format, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *TableError) Unwrap() error { return e.Err }

// Table is a lookup table held in memory: keys and their values, read from
// a file once by [NewTable] and again by [Table.Reload].
//
// Lookups take no lock and allocate nothing; a reload builds the new
// contents aside and swaps them in, so lookups never see half a file. A
// Table is safe for concurrent use.
type Table struct {
	cfg      TableConfig
	items    atomic.Pointer[map[string][]byte]
	reloadMu sync.Mutex
}

// NewTable reads the file cfg names (fetches it, if a URL) and returns its
// table. Errors are
// *[TableError]s, except for a config that is unusable (no path, no or an
// unknown format, a CSV without a column).
func NewTable(cfg TableConfig) (*Table, error) {
	switch {
	case cfg.Path == "":
		return nil, errors.New("enrich: NewTable: no path")
	case cfg.Format < CSV || cfg.Format > Text:
		return nil, fmt.Errorf("enrich: NewTable: unknown format %v", cfg.Format)
	case cfg.Format == CSV && cfg.Column == "":
		return nil, errors.New("enrich: NewTable: a CSV table needs a column")
	case cfg.Delimiter == '\r' || cfg.Delimiter == '\n' || cfg.Delimiter == '"' || cfg.Delimiter == utf8.RuneError:
		return nil, fmt.Errorf("enrich: NewTable: invalid delimiter %q", cfg.Delimiter)
	}
	src, err := cfg.Source.forLocation(cfg.Path)
	if err != nil {
		return nil, &TableError{Path: cfg.Path, Format: cfg.Format, Err: err}
	}
	cfg.Source = src
	cfg.Header = append([]string(nil), cfg.Header...)
	t := &Table{cfg: cfg}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Get returns the value of key (JSON text, unless TableConfig.Value made
// it something else) and whether the table has it. The slice must not be
// modified.
func (t *Table) Get(key string) ([]byte, bool) {
	v, ok := (*t.items.Load())[key]
	return v, ok
}

// Contains reports whether the table has key.
func (t *Table) Contains(key string) bool {
	_, ok := (*t.items.Load())[key]
	return ok
}

// Format returns the table's format.
func (t *Table) Format() TableFormat { return t.cfg.Format }

// Len returns the number of keys.
func (t *Table) Len() int { return len(*t.items.Load()) }

// Range calls fn for each key and value, in no particular order, until fn
// returns false. It sees the contents of one load.
func (t *Table) Range(fn func(key string, value []byte) bool) {
	for k, v := range *t.items.Load() {
		if !fn(k, v) {
			return
		}
	}
}

// Reload reads (or fetches) the file again and replaces the table's contents. If it
// fails, the table keeps what it held. Concurrent reloads run one at a
// time.
func (t *Table) Reload() error {
	t.reloadMu.Lock()
	defer t.reloadMu.Unlock()
	items, line, err := t.load()
	if err != nil {
		return &TableError{Path: t.cfg.Path, Format: t.cfg.Format, Line: line, Err: err}
	}
	t.items.Store(&items)
	return nil
}

// load reads the file; on error it also returns the line at fault, if
// known.
func (t *Table) load() (map[string][]byte, int, error) {
	b, err := t.cfg.Source.Fetch(context.Background(), t.cfg.Path)
	if err != nil {
		return nil, 0, err
	}
	var items map[string][]byte
	line := 0
	switch t.cfg.Format {
	case CSV:
		items, line, err = t.loadCSV(b)
	case JSON:
		items, err = loadJSON(b)
	case JSONLines:
		items, line, err = loadJSONLines(b)
	case Text:
		items, line, err = loadText(b)
	}
	if err != nil || t.cfg.Value == nil {
		return items, line, err
	}
	for k, v := range items {
		if items[k], err = t.cfg.Value(v); err != nil {
			return nil, 0, fmt.Errorf("key %q: %w", k, err)
		}
	}
	return items, 0, nil
}

func (t *Table) loadCSV(b []byte) (map[string][]byte, int, error) {
	var r *csv.Reader
	header := t.cfg.Header
	skipped := 0 // lines skipped before the reader's first
	if len(header) > 0 {
		// The file's own header line is replaced.
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		} else {
			b = nil
		}
		skipped = 1
		r = csv.NewReader(bytes.NewReader(b))
		r.FieldsPerRecord = len(header)
	} else {
		r = csv.NewReader(bytes.NewReader(b))
	}
	if t.cfg.Delimiter != 0 {
		r.Comma = t.cfg.Delimiter
	}
	if len(header) == 0 {
		h, err := r.Read()
		if err == io.EOF {
			return map[string][]byte{}, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		header = h
	}
	col := -1
	for i, name := range header {
		if name == t.cfg.Column {
			col = i // the last column of that name, as Substation
		}
	}
	if col < 0 {
		return nil, 1, fmt.Errorf("%w: %q", ErrColumnNotFound, t.cfg.Column)
	}
	items := map[string][]byte{}
	row := make(map[string]string, len(header))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return items, 0, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				pe.StartLine += skipped
				pe.Line += skipped
			}
			return nil, 0, err // a *csv.ParseError names its line
		}
		line, _ := r.FieldPos(0)
		line += skipped
		key := rec[col]
		if key == "" {
			return nil, line, fmt.Errorf("%w: row has no value in column %q", ErrColumnNotFound, t.cfg.Column)
		}
		clear(row)
		for i, v := range rec {
			if header[i] != t.cfg.Column {
				row[header[i]] = v
			}
		}
		v, err := json.Marshal(row) // keys sorted
		if err != nil {
			return nil, line, err
		}
		items[key] = v
	}
}

func loadJSON(b []byte) (map[string][]byte, error) {
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	r := gjson.ParseBytes(b)
	if !r.IsObject() {
		return nil, ErrNotObject
	}
	items := map[string][]byte{}
	r.ForEach(func(k, v gjson.Result) bool {
		if _, dup := items[k.Str]; !dup {
			items[k.Str] = []byte(v.Raw)
		}
		return true
	})
	return items, nil
}

func loadJSONLines(b []byte) (map[string][]byte, int, error) {
	items := map[string][]byte{}
	line := 0
	for len(b) > 0 {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte{'\n'})
		line++
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if !json.Valid(l) {
			return nil, line, errors.New("invalid JSON")
		}
		r := gjson.ParseBytes(l)
		if !r.IsObject() {
			return nil, line, ErrNotObject
		}
		r.ForEach(func(k, v gjson.Result) bool {
			if _, seen := items[k.Str]; !seen && v.Type != gjson.Null {
				items[k.Str] = []byte(v.Raw)
			}
			return true
		})
	}
	return items, 0, nil
}

func loadText(b []byte) (map[string][]byte, int, error) {
	items := map[string][]byte{}
	yes := []byte("true") // every key's value
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(nil, len(b)+1)
	for s.Scan() {
		items[s.Text()] = yes
	}
	return items, 0, s.Err()
}
