// Command core is a program that uses only the local transform families and
// the conditions, for measuring what importing package transform costs: its
// binary must not link the AWS SDK, Parquet, jq or DNS libraries (see
// TestCoreDeps in package transform).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func main() {
	p, err := transform.Parse(context.Background(), nil, []byte(`{"transforms": [
		{"type": "object_copy", "settings": {"object": {"source_key": "eventName", "target_key": "event.action"}}},
		{"type": "object_insert", "settings": {"object": {"target_key": "cloud.provider"}, "value": "aws"}}
	]}`))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer p.Close()
	out, err := p.Transform(context.Background(), weir.NewMessage([]byte(`{"eventName":"ConsoleLogin"}`)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out[0].Data()))
}
