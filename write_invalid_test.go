package weir_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// TestWriteIntoInvalidJSON: a write (Set, SetValue, SetRaw, Delete, in
// data or metadata) into a payload that is not valid JSON fails with an
// error matching weir.ErrInvalidData and leaves the payload as it was,
// instead of making broken output (issue 14 finding 8: object_copy turned
// {"a":[[[} into {"a":[[[,"b":[[[}}). Reads stay lenient. An empty payload
// is written into as an empty object.
func TestWriteIntoInvalidJSON(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`{"a":[[[}`, `{"a":1,}`, `{"a":"b"})`, `{"a":"{\"b\":\"c\"}"`, `not json`, `[1,`, `{"a":[1,,2],"b":1}`} {
		writes := map[string]func(m *weir.Message) error{
			"Set":        func(m *weir.Message) error { return m.Set("b", "x") },
			"SetValue":   func(m *weir.Message) error { return m.SetValue("b", m.Get("a")) },
			"SetRaw":     func(m *weir.Message) error { return m.SetRaw("b", []byte(`1`)) },
			"Set index":  func(m *weir.Message) error { return m.Set("a.0", 1) },
			"Delete":     func(m *weir.Message) error { return m.Delete("a") },
			"Set nested": func(m *weir.Message) error { return m.Set("c.d", 1) },
			"meta Set":   func(m *weir.Message) error { return m.Set("meta b", 1) },
		}
		for name, write := range writes {
			msg := weir.NewMessage([]byte(data))
			if name == "meta Set" {
				msg = weir.NewMessage([]byte(`{}`)).SetMetadata([]byte(data))
			}
			err := write(msg)
			assert.ErrorIs(t, err, weir.ErrInvalidData, "%s into %s", name, data)
			if name == "meta Set" {
				assert.Equal(t, data, string(msg.Metadata()))
			} else {
				assert.Equal(t, data, string(msg.Data()), "%s leaves %s as it was", name, data)
			}
		}
		// Reads stay lenient.
		_ = weir.NewMessage([]byte(data)).Get("a")
	}
	assert.Equal(t, `{"a":"b"}`+"\n", string(weir.NewMessage([]byte(`{"a":"b"}`+"\n")).Data()))
	for _, data := range []string{``, `  `, `{}`, ` {"a":1} `, `{"a":[[1]]}`} {
		msg := weir.NewMessage([]byte(data))
		require.NoError(t, msg.Set("b", 2), data)
		require.NoError(t, msg.Delete("b"), data)
		require.NoError(t, msg.Set("b", 3), data)
	}
	// Valid after a write: the next writes are not checked again, and stay
	// valid.
	msg := weir.NewMessage([]byte(`{"a":{"b":1}}`))
	require.NoError(t, msg.Set("a.c", 2))
	require.NoError(t, msg.Set("a.d.0", 3))
	assert.JSONEq(t, `{"a":{"b":1,"c":2,"d":[3]}}`, string(msg.Data()))
}
