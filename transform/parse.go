package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/registry"
)

// suggest returns the name in names within edit distance 2 of name, or "".
func suggest(name string, names []string) string { return registry.Suggest(name, names) }

// checkDuplicates walks the JSON document b and reports the first object
// member given twice, by its JSON path and line (encoding/json keeps the
// last silently).
func checkDuplicates(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		switch d {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				p := k
				if path != "" {
					p = path + "." + k
				}
				if seen[k] {
					line, col := lineCol(b, dec.InputOffset())
					return &weir.ConfigError{Location: p,
						Err: fmt.Errorf("line %d, column %d: member %q is given twice", line, col, k)}
				}
				seen[k] = true
				if err := walk(p); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walk(path + "[" + strconv.Itoa(i) + "]"); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	err := walk("")
	var ce *weir.ConfigError
	if err == nil || errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return &weir.ConfigError{Err: errors.New("the config is empty")}
	}
	return &weir.ConfigError{Err: describeJSONError(b, err)}
}

// lineCol returns the line and column (1-based) of byte offset off in b.
func lineCol(b []byte, off int64) (line, col int) {
	before := b[:min(max(int(off), 0), len(b))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// describeJSONError turns a decoding error of doc into one that gives the
// line and column of a syntax error.
func describeJSONError(doc []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(doc, se.Offset-1)
		return fmt.Errorf("line %d, column %d: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return fmt.Errorf(`a pipeline config is a JSON object with "transforms", got %s`, jsonKind(te.Value))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names, with an article, the JSON kind encoding/json's
// UnmarshalTypeError reports ("array", "string", "number 1", …) in the
// words of weir's config errors ("a list", "a string", "a number").
func jsonKind(v string) string {
	switch v, _, _ = strings.Cut(v, " "); v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "a boolean"
	case "":
		return "a value"
	}
	return "a " + v
}
