package main

import "github.com/weirhq/weir/transform"

// withStrict returns env with Strict set when strict is true (a copy:
// env is not changed).
func withStrict(env *transform.Env, strict bool) *transform.Env {
	if !strict {
		return env
	}
	var e transform.Env
	if env != nil {
		e = *env
	}
	e.Strict = true
	return &e
}
