package transform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
)

// A switch built in Go from already-built components: failed logins get a
// severity, debug events are dropped, everything else passes unchanged.
func ExampleNewMetaSwitch() {
	outcome := func(want string) condition.Func {
		return func(_ context.Context, msg *weir.Message) (bool, error) {
			return msg.Get("outcome").String() == want, nil
		}
	}
	setSeverity := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{msg}, msg.Set("severity", "high")
	})
	drop, _ := transform.NewUtilityDrop(transform.UtilityDropConfig{})

	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: outcome("failure"), Transforms: []transform.Transformer{setSeverity}},
		{Condition: outcome("debug"), Transforms: []transform.Transformer{drop}},
	}})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	for _, event := range []string{
		`{"user":"alice","outcome":"failure"}`,
		`{"user":"bob","outcome":"debug"}`,
		`{"user":"carol","outcome":"success"}`,
	} {
		out, err := sw.Transform(ctx, weir.NewMessage([]byte(event)))
		if err != nil {
			panic(err)
		}
		for _, m := range out {
			fmt.Println(m)
		}
	}
	// Output:
	// {"user":"alice","outcome":"failure","severity":"high"}
	// {"user":"carol","outcome":"success"}
}

// The same kind of switch from a Substation config; the last case, without a
// condition, is the default.
func ExampleNew_metaSwitch() {
	var cfg weir.Config
	if err := json.Unmarshal([]byte(`{
		"type": "meta_switch",
		"settings": {"cases": [
			{"condition": {"type": "string_contains", "settings": {"object": {"source_key": "outcome"}, "value": "fail"}},
			 "transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "severity"}, "value": "high"}}]},
			{"transforms": [{"type": "object_insert", "settings": {"object": {"target_key": "severity"}, "value": "low"}}]}
		]}
	}`), &cfg); err != nil {
		panic(err)
	}
	sw, err := transform.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	for _, event := range []string{`{"outcome":"failure"}`, `{"outcome":"success"}`} {
		out, err := sw.Transform(context.Background(), weir.NewMessage([]byte(event)))
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"outcome":"failure","severity":"high"}
	// {"outcome":"success","severity":"low"}
}

// Custom transform types work inside meta_switch when the config is built
// from a Registry that holds them.
func ExampleRegistry_metaSwitch() {
	reg := transform.Builtins()
	err := reg.Register("redact", func(context.Context, *transform.Env, weir.Config) (transform.Transformer, error) {
		return transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if msg.IsControl() {
				return []*weir.Message{msg}, nil
			}
			return []*weir.Message{msg}, msg.Set("password", "***")
		}), nil
	})
	if err != nil {
		panic(err)
	}

	var cfg weir.Config
	if err := json.Unmarshal([]byte(`{"type": "meta_switch", "settings": {"cases": [
		{"transforms": [{"type": "redact"}]}
	]}}`), &cfg); err != nil {
		panic(err)
	}
	sw, err := reg.New(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	out, _ := sw.Transform(context.Background(), weir.NewMessage([]byte(`{"user":"alice","password":"hunter2"}`)))
	fmt.Println(out[0])
	// Output:
	// {"user":"alice","password":"***"}
}

// Each element of an array goes through the transforms; the results are
// written as a new array.
func ExampleNewMetaForEach() {
	lower := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{msg.SetData(bytes.ToLower(msg.Data()))}, nil
	})
	each, err := transform.NewMetaForEach(transform.MetaForEachConfig{
		Object:     transform.ObjectSettings{SourceKey: "emails", TargetKey: "normalized"},
		Transforms: []transform.Transformer{lower},
	})
	if err != nil {
		panic(err)
	}
	out, _ := each.Transform(context.Background(), weir.NewMessage([]byte(`{"emails":["Alice@Example.COM","bob@example.com"]}`)))
	fmt.Println(out[0])
	// Output:
	// {"emails":["Alice@Example.COM","bob@example.com"],"normalized":["alice@example.com","bob@example.com"]}
}

// meta_err lets a message through when the error its transforms return
// matches one of the patterns.
func ExampleNewMetaErr() {
	check, _ := transform.NewUtilityErr(transform.UtilityErrConfig{Message: "missing user"})
	guard, err := transform.NewMetaErr(transform.MetaErrConfig{
		Transforms:    []transform.Transformer{check},
		ErrorMessages: []string{"^missing"},
	})
	if err != nil {
		panic(err)
	}
	out, err := guard.Transform(context.Background(), weir.NewMessage([]byte(`{"a":1}`)))
	fmt.Println(out[0], err)
	// Output:
	// {"a":1} <nil>
}
