package weir_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A pipeline inside a Go service: load a Substation-format pipeline once at
// start-up, then run every event through it. Construction validates the
// whole config, so per-event errors are about the data only.
func Example_pipelineInService() {
	const pipelineJSON = `{"transforms": [
		{"type": "object_copy", "settings": {"object": {"source_key": "eventName", "target_key": "event.action"}}},
		{"type": "object_copy", "settings": {"object": {"source_key": "sourceIPAddress", "target_key": "source.ip"}}},
		{"type": "object_insert", "settings": {"object": {"target_key": "cloud.provider"}, "value": "aws"}},
		{"type": "object_delete", "settings": {"object": {"source_key": "sourceIPAddress"}}}
	]}`
	ctx := context.Background()
	normalize, err := transform.Parse(ctx, nil, []byte(pipelineJSON))
	if err != nil {
		panic(err) // a bad config: fail at start-up, not per event
	}
	defer normalize.Close()

	// The service's handler, called once per event (safe for concurrent use).
	handle := func(event []byte) error {
		out, err := normalize.Transform(ctx, weir.NewMessage(event))
		if err != nil {
			return err
		}
		for _, msg := range out {
			fmt.Println(string(msg.Data()))
		}
		return nil
	}

	for _, event := range []string{
		`{"eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.7"}`,
		`{"eventName":"GetObject","sourceIPAddress":"s3.amazonaws.com"}`,
	} {
		if err := handle([]byte(event)); err != nil {
			fmt.Println("error:", err)
		}
	}
	// Output:
	// {"eventName":"ConsoleLogin","event":{"action":"ConsoleLogin"},"source":{"ip":"198.51.100.7"},"cloud":{"provider":"aws"}}
	// {"eventName":"GetObject","event":{"action":"GetObject"},"source":{"ip":"s3.amazonaws.com"},"cloud":{"provider":"aws"}}
}

// RedactConfig is the settings struct of the custom transform in
// Example_customTransform. Its JSON tags are its config's settings.
type RedactConfig struct {
	Object transform.ObjectSettings `json:"object"`
	Keep   int                      `json:"keep"`
}

// A custom transform: write it as a transform.Func (or any type with a
// Transform method), register a factory under a type name, and load it from
// config like a built-in — also inside built-ins such as meta_switch.
func Example_customTransform() {
	newRedact := func(cfg RedactConfig) (transform.Transformer, error) {
		if cfg.Object.SourceKey == "" {
			return nil, &weir.ConfigError{Field: "object.source_key", Err: fmt.Errorf("required")}
		}
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if msg.IsControl() {
				return []*weir.Message{msg}, nil
			}
			v := msg.Get(cfg.Object.SourceKey)
			if !v.Exists() {
				return []*weir.Message{msg}, nil
			}
			s := v.String()
			if len(s) > cfg.Keep {
				s = s[:cfg.Keep] + strings.Repeat("*", len(s)-cfg.Keep)
			}
			if err := msg.Set(cfg.Object.SourceKey, s); err != nil {
				return nil, err
			}
			return []*weir.Message{msg}, nil
		}), nil
	}

	reg := transform.Builtins()
	err := reg.Register("redact", func(_ context.Context, _ *transform.Env, cfg weir.Config) (transform.Transformer, error) {
		var c RedactConfig
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		return newRedact(c)
	})
	if err != nil {
		panic(err)
	}

	// The custom type nested in a built-in: redact access keys of IAM users only.
	var cfg weir.Config
	_ = json.Unmarshal([]byte(`{"type": "meta_switch", "settings": {"cases": [{
		"condition": {"type": "string_equal_to", "settings": {"object": {"source_key": "userIdentity.type"}, "value": "IAMUser"}},
		"transforms": [{"type": "redact", "settings": {"object": {"source_key": "userIdentity.accessKeyId"}, "keep": 4}}]
	}]}}`), &cfg)
	ctx := context.Background()
	t, err := reg.New(ctx, cfg)
	if err != nil {
		panic(err)
	}
	out, _ := t.Transform(ctx, weir.NewMessage([]byte(`{"userIdentity":{"type":"IAMUser","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}`)))
	fmt.Println(string(out[0].Data()))

	// Bad settings are caught when the pipeline is built, naming the setting.
	_, err = reg.New(ctx, weir.Config{Type: "redact", Settings: map[string]any{"keep": 4}})
	fmt.Println(err)
	// Output:
	// {"userIdentity":{"type":"IAMUser","accessKeyId":"AKIA****************"}}
	// weir: redact: setting "object.source_key": required
}

// A unit test of a detection normalization: feed a sample event through the
// pipeline your detections depend on and assert on the fields they read. In
// a real test the assertions would be assert.Equal calls; this example
// prints them.
func Example_testNormalization() {
	ctx := context.Background()
	// The normalization under test: failed console logins get
	// event.outcome=failure and the user name from the ARN.
	var cfgs []weir.Config
	_ = json.Unmarshal([]byte(`[
		{"type": "string_capture", "settings": {"object": {"source_key": "userIdentity.arn", "target_key": "user.name"}, "pattern": "/([^/]+)$"}},
		{"type": "meta_switch", "settings": {"cases": [
			{"condition": {"type": "string_equal_to", "settings": {"object": {"source_key": "responseElements.ConsoleLogin"}, "value": "Failure"}},
			 "transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "event.outcome"}, "value": "failure"}}]},
			{"transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "event.outcome"}, "value": "success"}}]}
		]}}
	]`), &cfgs)
	ts, err := transform.NewPipeline(ctx, nil, cfgs)
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	tests := []struct {
		name, event, wantOutcome, wantUser string
	}{
		{"failed login", `{"userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"},"responseElements":{"ConsoleLogin":"Failure"}}`, "failure", "alice"},
		{"successful login", `{"userIdentity":{"arn":"arn:aws:sts::111122223333:assumed-role/Admin/bob"},"responseElements":{"ConsoleLogin":"Success"}}`, "success", "bob"},
	}
	for _, tt := range tests {
		out, err := ts.Transform(ctx, weir.NewMessage([]byte(tt.event)))
		if err != nil || len(out) != 1 {
			fmt.Printf("%s: unexpected result %v %v\n", tt.name, out, err)
			continue
		}
		got := out[0]
		fmt.Printf("%s: outcome ok=%v, user ok=%v\n", tt.name,
			got.Get("event.outcome").String() == tt.wantOutcome,
			got.Get("user.name").String() == tt.wantUser)
	}
	// Output:
	// failed login: outcome ok=true, user ok=true
	// successful login: outcome ok=true, user ok=true
}

// Reading and writing fields of a message. Plain dotted paths are served from
// an index built once per message; "meta " paths address metadata.
func ExampleMessage() {
	msg := weir.NewMessage([]byte(`{"eventName":"ConsoleLogin","userIdentity":{"userName":"alice"}}`))
	fmt.Println(msg.Get("userIdentity.userName").String())

	_ = msg.Set("@timestamp", "2024-08-02T08:53:24Z")
	_ = msg.Set("event.action", msg.Get("eventName"))
	_ = msg.Delete("eventName")
	_ = msg.Set("meta source", "cloudtrail")

	fmt.Println(string(msg.Data()))
	fmt.Println(string(msg.Metadata()))
	// Output:
	// alice
	// {"userIdentity":{"userName":"alice"},"@timestamp":"2024-08-02T08:53:24Z","event":{"action":"ConsoleLogin"}}
	// {"source":"cloudtrail"}
}

// Values written with Set follow Substation's encoding, so outputs match it
// byte for byte: strings that hold JSON objects or arrays are written as
// JSON, binary data as base64.
func ExampleMessage_Set() {
	msg := weir.NewMessage(nil)
	_ = msg.Set("n", 3.0)
	_ = msg.Set("s", "plain")
	_ = msg.Set("j", `{"nested":true}`)
	_ = msg.Set("b", []byte{0xff, 0x00})
	_ = msg.SetRaw("raw", weir.AppendJSONString(nil, `{"kept":"as a string"}`))
	fmt.Println(string(msg.Data()))
	// Output:
	// {"n":3,"s":"plain","j":{"nested":true},"b":"/wA=","raw":"{\"kept\":\"as a string\"}"}
}

// A control message carries no data; it asks stateful transforms to flush.
func ExampleNewControl() {
	ctl := weir.NewControl()
	fmt.Println(ctl.IsControl(), ctl.Data() == nil)
	// Output:
	// true true
}

// Config.Decode is how a custom factory reads its settings: strictly, with
// errors that name the setting.
func ExampleConfig_Decode() {
	var settings struct {
		Object transform.ObjectSettings `json:"object"`
	}
	cfg := weir.Config{Type: "my_type", Settings: map[string]any{"object": map[string]any{"source_kee": "a"}}}
	fmt.Println(cfg.Decode(&settings))
	// Output:
	// weir: my_type: setting "object.source_kee": unknown setting; did you mean "source_key"?
}

// A path parsed once serves every message: built-in transforms hold their
// paths this way.
func ExampleParsePath() {
	src, dst := weir.ParsePath("userIdentity.arn"), weir.ParsePath("meta user.arn")
	for _, line := range []string{
		`{"userIdentity":{"arn":"arn:aws:iam::123456789012:user/alice"}}`,
		`{"userIdentity":{"arn":"arn:aws:iam::123456789012:user/bob"}}`,
	} {
		msg := weir.NewMessage([]byte(line))
		if v := src.Get(msg); v.Exists() {
			_ = dst.SetValue(msg, v)
		}
		fmt.Println(string(msg.Metadata()))
	}
	// Output:
	// {"user":{"arn":"arn:aws:iam::123456789012:user/alice"}}
	// {"user":{"arn":"arn:aws:iam::123456789012:user/bob"}}
}

// A loop that is done with each event before the next reuses one Message,
// and with it the memory of its index and of the fields it wrote.
func ExampleMessage_Reset() {
	msg := weir.NewMessage(nil)
	for _, line := range []string{`{"eventName":"ConsoleLogin"}`, `{"eventName":"GetObject"}`} {
		msg.Reset([]byte(line))
		_ = msg.SetString("action", msg.Get("eventName").String())
		_ = msg.Delete("eventName")
		fmt.Println(string(msg.Data())) // used before the next Reset
	}
	// Output:
	// {"action":"ConsoleLogin"}
	// {"action":"GetObject"}
}
