package conditiontest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/condition/conditiontest"
)

// isAdminConfig configures isAdmin, the "is_admin" condition of a plugin.
type isAdminConfig struct {
	// Key is the path of the user name; empty means "user".
	Key string `json:"key"`
}

// isAdmin answers whether the user name at a key is "admin".
type isAdmin struct{ key weir.Path }

func newIsAdmin(cfg isAdminConfig) (*isAdmin, error) {
	if cfg.Key == "" {
		cfg.Key = "user"
	}
	return &isAdmin{key: weir.ParsePath(cfg.Key)}, nil
}

// Inspect answers false for a message without the key, and for a control
// message.
func (a *isAdmin) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	v := a.key.Get(msg)
	return v.IsString() && v.String() == "admin", nil
}

// A plugin's condition checked against the Inspector contract with Test; a
// _test.go calls Run, as TestIsAdminConformance below does.
func Example_plugin() {
	ctx := context.Background()
	err := conditiontest.Test(ctx, func() (condition.Inspector, error) {
		return newIsAdmin(isAdminConfig{})
	}, conditiontest.Options{
		Inputs: [][]byte{[]byte(`{"user":"admin"}`), []byte(`{"user":"alice"}`)},
		Key:    "user",
	})
	fmt.Println("contract kept:", err == nil)

	// An inspector that records what it saw in the message breaks it.
	err = conditiontest.Test(ctx, func() (condition.Inspector, error) {
		return condition.Func(func(_ context.Context, msg *weir.Message) (bool, error) {
			if msg.IsControl() {
				return false, nil
			}
			_ = msg.Set("meta inspected", true)
			return true, nil
		}), nil
	}, conditiontest.Options{Skip: map[string]string{"malformed": "shown by control"}})
	fmt.Println(err)
	// Output:
	// contract kept: true
	// concurrent: input "{}": sequential call: modified the message: data "{}", metadata "" became data "{}", metadata "{\"inspected\":true}"
	// retain: input "{}": modified the message: data "{}", metadata "" became data "{}", metadata "{\"inspected\":true}"
}

func TestIsAdminConformance(t *testing.T) {
	reg := &condition.Registry{}
	if err := reg.Register("is_admin", condition.Typed(newIsAdmin)); err != nil {
		t.Fatal(err)
	}
	env := &condition.Env{Conditions: reg}
	cfg := weir.Config{Type: "is_admin", Settings: map[string]any{"key": "user.name"}}
	conditiontest.Run(t, func() (condition.Inspector, error) { return env.New(t.Context(), cfg) }, conditiontest.Options{
		Inputs: [][]byte{[]byte(`{"user":{"name":"admin"}}`), []byte(`{"user":{"name":"alice"}}`)},
		Key:    "user.name",
	})
	if err := conditiontest.CheckUnknownSetting(t.Context(), env, cfg); err != nil {
		t.Error(err)
	}
}
