package weir

import (
	"strings"

	"github.com/tidwall/gjson"
)

// DedupeOracle is the name under which RegisterDedupeOracle registers a
// reference implementation of @dedupe in gjson's own modifier table.
const DedupeOracle = "weirDedupeOracle"

// RegisterDedupeOracle registers, for tests only and under another name
// (DedupeOracle), @dedupe as Substation defines it, in gjson's global
// modifier table, so that gjson itself can say what a path with @dedupe
// reads: the tests compare Weir's evaluation with gjson's, where the
// modifier is called wherever gjson's parser meets it. TestMain calls it
// before any test runs (the table is not safe for concurrent writes).
func RegisterDedupeOracle() {
	gjson.AddModifier(DedupeOracle, func(json, _ string) string {
		r := gjson.Parse(json)
		if !r.IsArray() {
			return json
		}
		seen := map[string]bool{}
		var kept []string
		for _, e := range r.Array() {
			if !seen[e.Raw] {
				seen[e.Raw] = true
				kept = append(kept, e.Raw)
			}
		}
		return "[" + strings.Join(kept, ",") + "]"
	})
}

// GetPath exposes getPath; ValueOfResult exposes valueOf.
var (
	GetPath       = getPath
	ValueOfResult = valueOf
)
