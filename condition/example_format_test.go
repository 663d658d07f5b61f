package condition_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

func ExampleNewFormatMIME() {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"a":1}`))
	_ = zw.Close()

	in, _ := condition.NewFormatMIME(condition.FormatMIMEConfig{Type: "application/x-gzip"})
	ok, _ := in.Inspect(context.Background(), weir.NewMessage(buf.Bytes()))
	fmt.Println(ok)
	// Output: true
}

func ExampleNewFormatJSON() {
	in, _ := condition.NewFormatJSON(condition.FormatJSONConfig{})
	for _, data := range []string{`{"a":1}`, `a=1`} {
		ok, _ := in.Inspect(context.Background(), weir.NewMessage([]byte(data)))
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
}
