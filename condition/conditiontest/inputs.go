package conditiontest

import (
	"slices"
	"strings"

	"github.com/weirhq/weir"
)

// malformed are the kinds of malformed data: not JSON, truncated JSON,
// invalid UTF-8, and a JSON value nested where a flat one is expected.
func malformed() []string {
	return []string{
		"", "not json", "{", `{"a":`, "[1,2", "null", "\xff\xfe", `{"a":{"b":[{"c":1}]}}`,
	}
}

// rawValues are well-formed JSON values of every kind that code expecting
// a string or an object may not handle: null, a boolean, a negative
// number, numbers out of the range of float64 and int64, arrays and
// objects, empty and not.
func rawValues() []string {
	return []string{
		"null", "true", "-1", "1e400", "18446744073709551616", `[]`, `[1,"a",null]`, `{}`, `{"b":[{"c":1}]}`,
	}
}

// MalformedInputs returns new messages holding 17 kinds of malformed or
// surprising data: 8 malformed payloads ("", "not json", "{", `{"a":`,
// "[1,2", "null", invalid UTF-8, a nested object) and 9 JSON values (null,
// true, -1, 1e400, 2^64, empty and non-empty arrays and objects), each as
// the whole data. If key is not empty, each of them is also written at key
// in an otherwise empty object: the malformed payloads with
// weir.Message.Set (as strings, but for the one that is a JSON object),
// the JSON values as themselves. Values that key cannot be written into {}
// with are left out.
//
// Every call returns new messages, as checks may change them.
func MalformedInputs(key string) []*weir.Message {
	return inputs(key, slices.Concat(malformed(), rawValues()), malformed(), rawValues())
}

// LargeInputs returns new messages holding a 1 MiB string: in the data, as
// {"a":"xxx…"}, and, if key is not empty, at key. They are slow under
// -race for inspectors that run regular expressions, so a sweep over many
// configs of one type sends them to one of them (Options.SkipLarge).
func LargeInputs(key string) []*weir.Message {
	big := strings.Repeat("x", 1<<20)
	return inputs(key, []string{`{"a":"` + big + `"}`}, []string{big}, nil)
}

// inputs returns a message per data, and with a key a message per string
// and raw JSON value written at the key.
func inputs(key string, data, strs, raws []string) []*weir.Message {
	var msgs []*weir.Message
	for _, s := range data {
		msgs = append(msgs, weir.NewMessage([]byte(s)))
	}
	if key == "" {
		return msgs
	}
	for _, s := range strs {
		m := weir.NewMessage([]byte(`{}`))
		if err := m.Set(key, s); err == nil { // else a path Set cannot write into {}
			msgs = append(msgs, m)
		}
	}
	for _, raw := range raws {
		m := weir.NewMessage([]byte(`{}`))
		if err := m.SetRaw(key, []byte(raw)); err == nil {
			msgs = append(msgs, m)
		}
	}
	return msgs
}
