package weir

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// fuzzSettings has a field of each kind checkSettings knows.
type fuzzSettings struct {
	fuzzEmbedded
	Object  struct{ A, B string }    `json:"object"`
	List    []struct{ C int8 }       `json:"list"`
	Array   [2]uint16                `json:"array"`
	Map     map[string]float32       `json:"map"`
	Any     any                      `json:"any"`
	Number  json.Number              `json:"number"`
	Addr    netip.Addr               `json:"addr"`
	Raw     json.RawMessage          `json:"raw"`
	Bytes   []byte                   `json:"bytes"`
	Ptr     *struct{ D bool }        `json:"ptr"`
	Quoted  int                      `json:"quoted,string"`
	Configs []Config                 `json:"configs"`
	Nested  map[string][]fuzzElement `json:"nested"`
}

type fuzzEmbedded struct {
	ID string `json:"id"`
}

type fuzzElement struct {
	E string `json:"e"`
}

// FuzzCheckSettings checks that checkSettings agrees with encoding/json:
// it finds no fault in a document that decodes, and finds one where
// encoding/json reports a value of the wrong type or an unknown field.
func FuzzCheckSettings(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"id":"x","object":{"A":"a","b":"b"}}`, `{"list":[{"C":1},{"C":300}]}`, `{"array":[1,2,3]}`,
		`{"map":{"a":1.5,"b":"x"}}`, `{"any":[{}]}`, `{"number":"12"}`, `{"number":"x"}`, `{"addr":"192.0.2.1"}`,
		`{"addr":5}`, `{"raw":{"x":[1]}}`, `{"bytes":"aGk="}`, `{"bytes":[1,2]}`, `{"ptr":{"D":true}}`, `{"ptr":null}`,
		`{"quoted":"5"}`, `{"quoted":5}`, `{"configs":[{"type":"a","settings":{"x":1}}]}`, `{"configs":[{"tpye":"a"}]}`,
		`{"nested":{"k":[{"e":"v"},{"f":1}]}}`, `{"zz":1,"object":{"zz":2}}`, `{"list":[{"c":1.0}]}`, `{"array":[-1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var probe map[string]any
		if json.Unmarshal(b, &probe) != nil {
			return // only valid JSON objects
		}
		var v fuzzSettings
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		err := dec.Decode(&v)
		field, cause := checkSettings(b, reflect.TypeFor[fuzzSettings]())
		var te *json.UnmarshalTypeError
		switch {
		case err == nil && cause != nil:
			t.Fatalf("%s decodes, but checkSettings reports %q: %v", b, field, cause)
		case err != nil && cause == nil && (errors.As(err, &te) || strings.Contains(err.Error(), "unknown field")):
			t.Fatalf("%s: encoding/json reports %v, checkSettings nothing", b, err)
		}
	})
}
