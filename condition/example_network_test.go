package condition_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func ExampleNewNetworkIPPrivate() {
	in, _ := condition.NewNetworkIPPrivate(condition.NetworkIPPrivateConfig{
		Object: condition.ObjectSettings{SourceKey: "client.ip"},
	})
	for _, ip := range []string{"10.1.2.3", "fd00::1", "8.8.8.8", "not an ip"} {
		msg := weir.NewMessage([]byte(`{"client":{"ip":"` + ip + `"}}`))
		ok, _ := in.Inspect(context.Background(), msg)
		fmt.Println(ip, ok)
	}
	// Output:
	// 10.1.2.3 true
	// fd00::1 true
	// 8.8.8.8 false
	// not an ip false
}
