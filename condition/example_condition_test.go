package condition_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// Build inspectors with the typed constructors and combine them in Go.
func ExampleAll() {
	admin, _ := condition.NewStringEqualTo(condition.StringEqualToConfig{
		Value:  "admin",
		Object: condition.ObjectSettings{SourceKey: "user"},
	})
	failed, _ := condition.NewStringEqualTo(condition.StringEqualToConfig{
		Value:  "failure",
		Object: condition.ObjectSettings{SourceKey: "outcome"},
	})
	adminFailure := condition.All(admin, failed)

	for _, event := range []string{
		`{"user":"admin","outcome":"failure"}`,
		`{"user":"admin","outcome":"success"}`,
	} {
		ok, _ := adminFailure.Inspect(context.Background(), weir.NewMessage([]byte(event)))
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
}

func ExampleAny() {
	ssh, _ := condition.NewStringEqualTo(condition.StringEqualToConfig{
		Value: "22", Object: condition.ObjectSettings{SourceKey: "port"},
	})
	rdp, _ := condition.NewStringEqualTo(condition.StringEqualToConfig{
		Value: "3389", Object: condition.ObjectSettings{SourceKey: "port"},
	})
	remoteAccess := condition.Any(ssh, rdp)

	for _, event := range []string{`{"port":3389}`, `{"port":443}`} {
		ok, _ := remoteAccess.Inspect(context.Background(), weir.NewMessage([]byte(event)))
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
}

func ExampleNone() {
	private, _ := condition.NewNetworkIPPrivate(condition.NetworkIPPrivateConfig{
		Object: condition.ObjectSettings{SourceKey: "src_ip"},
	})
	loopback, _ := condition.NewNetworkIPLoopback(condition.NetworkIPLoopbackConfig{
		Object: condition.ObjectSettings{SourceKey: "src_ip"},
	})
	external := condition.None(private, loopback)

	for _, event := range []string{`{"src_ip":"8.8.8.8"}`, `{"src_ip":"192.168.1.10"}`} {
		ok, _ := external.Inspect(context.Background(), weir.NewMessage([]byte(event)))
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
}

// Build an inspector from a Substation-style JSON config.
func ExampleNew() {
	cfg := weir.Config{
		Type: "string_contains",
		Settings: map[string]any{
			"object": map[string]any{"source_key": "command_line"},
			"value":  "powershell",
		},
	}
	in, err := condition.New(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(`{"command_line":"cmd /c powershell -enc ..."}`)))
	fmt.Println(ok)
	// Output: true
}

// A bad setting is reported when the inspector is built, naming the setting.
func ExampleNew_configError() {
	_, err := condition.New(context.Background(), weir.Config{
		Type:     "string_match",
		Settings: map[string]any{"pattern": "(unclosed"},
	})
	fmt.Println(err)
	// Output: weir: string_match: setting "pattern": error parsing regexp: missing closing ): `(unclosed`
}
