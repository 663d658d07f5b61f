package weir_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// Settings structs for the Decode tests, shaped like the transforms' own.
type (
	testObject struct {
		SourceKey string `json:"source_key"`
		TargetKey string `json:"target_key"`
	}
	testRequest struct {
		Timeout string `json:"timeout"`
	}
	testCommon struct {
		ID string `json:"id"`
	}
	testSettings struct {
		testCommon
		Object   testObject        `json:"object"`
		Request  testRequest       `json:"request"`
		Cases    []testCase        `json:"cases"`
		Count    int               `json:"count"`
		Small    int8              `json:"small"`
		Size     uint8             `json:"size"`
		Ratio    float64           `json:"ratio"`
		Enabled  bool              `json:"enabled"`
		Value    any               `json:"value"`
		Number   json.Number       `json:"number"`
		Addr     netip.Addr        `json:"addr"`
		Raw      json.RawMessage   `json:"raw"`
		Headers  map[string]string `json:"headers"`
		Data     []byte            `json:"data"`
		Ptr      *testObject       `json:"ptr"`
		Quoted   int               `json:"quoted,string"`
		Internal string            `json:"-"`
	}
	testCase struct {
		Condition  weir.Config   `json:"condition"`
		Transforms []weir.Config `json:"transforms"`
	}
)

func decodeErr(t *testing.T, settings string) *weir.ConfigError {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(settings))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m))
	var s testSettings
	err := weir.Config{Type: "test_type", Settings: m}.Decode(&s)
	if err == nil {
		return nil
	}
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
	assert.Equal(t, "test_type", ce.Type)
	return ce
}

func TestConfigDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings string
		field    string
		text     string // the whole error text, "" if settings are valid
	}{
		{"unknown top-level", `{"colour":1}`, "colour",
			`weir: test_type: setting "colour": unknown setting`},
		{"near miss", `{"object":{"source_key":"a","target_kee":"b"}}`, "object.target_kee",
			`weir: test_type: setting "object.target_kee": unknown setting; did you mean "target_key"?`},
		{"near miss, two edits", `{"object":{"sourcekye":"a"}}`, "object.sourcekye",
			`weir: test_type: setting "object.sourcekye": unknown setting; did you mean "source_key"?`},
		{"short names are not near misses", `{"zz":1}`, "zz",
			`weir: test_type: setting "zz": unknown setting`},
		{"embedded field is known", `{"di":"x"}`, "di",
			`weir: test_type: setting "di": unknown setting; did you mean "id"?`},
		{"ignored field is unknown", `{"Internal":"x"}`, "Internal",
			`weir: test_type: setting "Internal": unknown setting`},
		{"in a list, by index", `{"cases":[{"transforms":[]},{"condition":{"type":"x","setings":{}}}]}`, "cases.1.condition.setings",
			`weir: test_type: setting "cases[1].condition.setings": unknown setting; did you mean "settings"?`},
		{"object given a string", `{"object":"a"}`, "object",
			`weir: test_type: setting "object": must be an object, got a string`},
		{"list given an object", `{"cases":{}}`, "cases",
			`weir: test_type: setting "cases": must be a list, got an object`},
		{"string given a number", `{"request":{"timeout":5}}`, "request.timeout",
			`weir: test_type: setting "request.timeout": must be a string, got a number`},
		{"number given a string", `{"count":"5"}`, "count",
			`weir: test_type: setting "count": must be a whole number, got a string`},
		{"whole number given a fraction", `{"count":1.5}`, "count",
			`weir: test_type: setting "count": must be a whole number (no fraction or exponent), got 1.5`},
		{"out of range", `{"small":300}`, "small",
			`weir: test_type: setting "small": must be a whole number from -128 to 127, got 300`},
		{"negative unsigned", `{"size":-1}`, "size",
			`weir: test_type: setting "size": must be a whole number from 0 to 255, got -1`},
		{"float given a list", `{"ratio":[1]}`, "ratio",
			`weir: test_type: setting "ratio": must be a number, got a list`},
		{"boolean given a string", `{"enabled":"yes"}`, "enabled",
			`weir: test_type: setting "enabled": must be a boolean (true or false), got a string`},
		{"json.Number given a word", `{"number":"many"}`, "number",
			`weir: test_type: setting "number": must be a number, got a string`},
		{"text type given a number", `{"addr":1}`, "addr",
			`weir: test_type: setting "addr": must be a string, got a number`},
		{"map value of the wrong type", `{"headers":{"a":"b","c":true}}`, "headers.c",
			`weir: test_type: setting "headers.c": must be a string, got a boolean`},
		{"pointer to struct", `{"ptr":{"source_kee":"a"}}`, "ptr.source_kee",
			`weir: test_type: setting "ptr.source_kee": unknown setting; did you mean "source_key"?`},
		{"nested config given a list", `{"cases":[{"transforms":[{"type":"a","settings":[]}]}]}`, "cases.0.transforms.0.settings",
			`weir: test_type: setting "cases[0].transforms[0].settings": must be an object, got a list`},
		{"first fault in key order", `{"request":{"timeout":1},"object":{"zz":1}}`, "object.zz", ""},

		{"valid", `{"id":"x","object":{"source_key":"a"},"count":2,"small":-128,"size":255,"ratio":0.5,"enabled":true,
			"value":{"any":[1]},"number":"1.5e3","addr":"192.0.2.1","raw":[1,{}],"headers":{"a":"b"},"data":"aGk=","ptr":null,"quoted":"7",
			"cases":[{"condition":{"type":"x","settings":{"anything":[1]}},"transforms":[]}]}`, "", ""},
		{"keys match ignoring case, as encoding/json does", `{"Object":{"Source_Key":"a"}}`, "", ""},
		{"null is no value", `{"object":null,"count":null,"cases":null}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ce := decodeErr(t, tt.settings)
			if tt.field == "" {
				assert.Nil(t, ce)
				return
			}
			require.NotNil(t, ce, "want an error")
			assert.Equal(t, tt.field, ce.Field)
			if tt.text != "" {
				assert.EqualError(t, ce, tt.text)
			}
			assert.NotContains(t, ce.Error(), "weir_test.", "no Go type names")
		})
	}
}

// TestConfigDecodeDeterministic decodes settings with the same unknown key
// at two depths and under two parents, whose map order varies from run to
// run: the error must name the same path every time.
func TestConfigDecodeDeterministic(t *testing.T) {
	t.Parallel()
	settings := map[string]any{
		"zz":      1,
		"request": map[string]any{"zz": 2, "timeout": "1s"},
		"object":  map[string]any{"zz": 3, "target_key": "b", "yy": 4},
		"cases":   []any{map[string]any{"zz": 5}},
	}
	seen := map[string]int{}
	for range 200 {
		var s testSettings
		err := weir.Config{Type: "test_type", Settings: settings}.Decode(&s)
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce)
		seen[ce.Field]++
	}
	assert.Equal(t, map[string]int{"cases.0.zz": 200}, seen, "keys in sorted order: cases < object < request < zz")

	delete(settings, "cases")
	var s testSettings
	err := weir.Config{Type: "test_type", Settings: settings}.Decode(&s)
	assert.EqualError(t, err, `weir: test_type: setting "object.yy": unknown setting`)
}

// TestDecodeJSONDocumentOrder: DecodeJSON reports the first fault in the
// order the document is written.
func TestDecodeJSONDocumentOrder(t *testing.T) {
	t.Parallel()
	var s testSettings
	err := weir.DecodeJSON("test_type", []byte(`{"request":{"zz":1},"object":{"zz":1}}`), &s)
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "request.zz", ce.Field)

	err = weir.DecodeJSON("test_type", []byte(`{"object":`), &s)
	require.ErrorAs(t, err, &ce)
	assert.Empty(t, ce.Field)
}

// failingSetting is a setting whose UnmarshalJSON returns a config error.
type failingSetting struct{}

func (*failingSetting) UnmarshalJSON([]byte) error {
	return &weir.ConfigError{Field: "inner", Err: errors.New("no good")}
}

func TestConfigDecodeUnmarshalerError(t *testing.T) {
	t.Parallel()
	var s struct {
		F failingSetting `json:"f"`
	}
	err := weir.Config{Type: "t", Settings: map[string]any{"f": 1}}.Decode(&s)
	assert.EqualError(t, err, `weir: t: setting "inner": no good`)
}

func TestConfigErrorText(t *testing.T) {
	t.Parallel()
	leaf := func() *weir.ConfigError {
		return &weir.ConfigError{Type: "object_copy", ID: "x", Field: "object.target_key", Err: weir.ErrMissingSetting}
	}
	tests := []struct {
		name string
		err  *weir.ConfigError
		want string
	}{
		{"plain", leaf(), `weir: object_copy, id "x": setting "object.target_key": required setting is missing`},
		{"located", &weir.ConfigError{Location: "transforms[3]", Type: "object_copy", Err: errors.New("bad")},
			`weir: transforms[3] (object_copy): bad`},
		{"location only", &weir.ConfigError{Location: "tests", Err: errors.New("must be a list")},
			`weir: tests: must be a list`},
		{"id only", &weir.ConfigError{ID: "x", Err: errors.New("bad")}, `weir: id "x": bad`},
		{"no cause", &weir.ConfigError{Type: "t", Field: "f"}, `weir: t: setting "f": invalid`},
		{"index in a setting", &weir.ConfigError{Type: "meta_err", Field: "error_messages.1", Err: errors.New("bad")},
			`weir: meta_err: setting "error_messages[1]": bad`},
		{"nested config", &weir.ConfigError{Location: "transforms[0]", Type: "meta_switch", ID: "sw", Field: "cases.1.transforms.2", Err: leaf()},
			`weir: transforms[0].settings.cases[1].transforms[2] (object_copy, id "x"): setting "object.target_key": required setting is missing`},
		{"nested twice, without location", &weir.ConfigError{Type: "meta_err", Field: "transforms.0",
			Err: &weir.ConfigError{Type: "meta_switch", Field: "cases.0.condition",
				Err: &weir.ConfigError{Type: "meta_all", Field: "conditions.3",
					Err: &weir.ConfigError{Type: "string_match", Field: "pattern", Err: errors.New("bad")}}}},
			`weir: settings.transforms[0].settings.cases[0].condition.settings.conditions[3] (string_match): setting "pattern": bad`},
		{"a setting's own error is not a location", &weir.ConfigError{Type: "t", Field: "batch", Err: &weir.ConfigError{Field: "duration", Err: errors.New("bad")}},
			`weir: t: setting "batch": setting "duration": bad`},
		{"no field, nested error as the cause", &weir.ConfigError{Location: "transforms[1]", Err: leaf()},
			`weir: transforms[1]: object_copy, id "x": setting "object.target_key": required setting is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.EqualError(t, tt.err, tt.want)
			assert.ErrorIs(t, tt.err, weir.ErrInvalidConfig)
		})
	}
	assert.ErrorIs(t, tests[0].err, weir.ErrMissingSetting)
	assert.ErrorIs(t, tests[6].err, weir.ErrMissingSetting, "through the chain")
}

func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ config, want string }{
		{`{"type":"a","setings":{}}`, `weir: setting "setings": unknown member (a config has "type" and "settings"); did you mean "settings"?`},
		{`{"type":"a","colour":{}}`, `weir: setting "colour": unknown member (a config has "type" and "settings")`},
		{`{"type":1}`, `weir: "type" must be a string, got a number`},
		{`{"type":"a","settings":[]}`, `weir: "settings" must be an object, got a list`},
		{`{}`, `weir: setting "type": required setting is missing`},
	}
	for _, tt := range tests {
		_, err := weir.ParseConfig([]byte(tt.config))
		assert.EqualError(t, err, tt.want, tt.config)
		assert.ErrorIs(t, err, weir.ErrInvalidConfig, tt.config)
	}
}
