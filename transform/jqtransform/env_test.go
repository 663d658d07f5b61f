package jqtransform_test

import (
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/jqtransform"
)

// testEnv is an Env whose registry has the built-ins and this package's
// types.
func testEnv() *transform.Env {
	r := transform.Builtins()
	if err := jqtransform.Register(r); err != nil {
		panic(err)
	}
	return &transform.Env{Transforms: r}
}
