package main

import (
	"fmt"
	"io"

	"github.com/weirhq/weir/transform"
)

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

// printCoercions writes the coercion counts of a run: the total, then one
// line per transform that coerced.
//
//	weir: coercions: 3
//	weir:   time_to_unix (id "t"): 2
//	weir:   object_to_integer: 1
func printCoercions(w io.Writer, c *transform.Coercions) {
	fmt.Fprintf(w, "weir: coercions: %d\n", c.Total())
	for _, k := range c.Counts() {
		if k.Count == 0 {
			continue
		}
		name := k.Type
		if k.ID != "" {
			name += fmt.Sprintf(" (id %q)", k.ID)
		}
		fmt.Fprintf(w, "weir:   %s: %d\n", name, k.Count)
	}
}
