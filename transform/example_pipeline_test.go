package transform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// A program that looks at a config before running it parses it once, then
// builds it.
func ExamplePipelineConfig_Build() {
	cfg, err := transform.ParseConfig([]byte(`{"concurrency": 2, "transforms": [
		{"type": "object_insert", "settings": {"object": {"target_key": "seen"}, "value": true}}
	]}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(cfg.Transforms), "transform:", cfg.Transforms[0].Type)

	p, err := cfg.Build(context.Background(), nil)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	out, err := p.Transform(context.Background(), weir.NewMessage([]byte(`{}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out[0].Data()), p.Concurrency())
	// Output:
	// 1 transform: object_insert
	// {"seen":true} 2
}
