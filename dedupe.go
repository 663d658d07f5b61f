package weir

import (
	"strings"

	"github.com/tidwall/gjson"
)

// This file implements the @dedupe path modifier of Substation v2.8.0 for
// reads. Substation adds it to gjson's package-level modifier table; Weir
// leaves gjson's global state alone (other code in the program may use
// gjson too) and evaluates paths that use it here instead: every piece of
// such a path that does not involve @dedupe is still resolved by gjson, and
// @dedupe is applied where gjson would call a registered modifier — at the
// start of a path, after a '|', after a '.' (which gjson reads as a pipe
// before a modifier), per element after a '#' or '#(…)#' projection, in
// the paths of [a,b] and {a,b} selections, and after other modifiers. The
// tests compare the results with gjson's own, with the modifier
// registered.

// dedupeName is the modifier's name, as written after '@'.
const dedupeName = "dedupe"

// dedupeToken is how a path that may use the modifier holds it.
const dedupeToken = "@" + dedupeName

// dedupeJSON applies @dedupe to the JSON text json: an array loses every
// element whose text, as written, equals the text of an earlier element
// (so 1 and 1.0, or {"a":1} and {"a": 1}, are different); the elements
// kept are joined with ',' in their order. Anything else is returned as it
// is. It is Substation's definition.
func dedupeJSON(json string) string {
	r := gjson.Parse(json)
	if !r.IsArray() {
		return json
	}
	var b strings.Builder
	b.WriteByte('[')
	seen := make(map[string]struct{})
	r.ForEach(func(_, v gjson.Result) bool {
		if _, dup := seen[v.Raw]; dup {
			return true
		}
		seen[v.Raw] = struct{}{}
		if len(seen) > 1 {
			b.WriteByte(',')
		}
		b.WriteString(v.Raw)
		return true
	})
	b.WriteByte(']')
	return b.String()
}

// getPath is gjson.Get with the @dedupe modifier.
func getPath(json, path string) gjson.Result {
	if !strings.Contains(path, dedupeToken) {
		return gjson.Get(json, path)
	}
	switch {
	case len(path) > 1 && path[0] == '@':
		if name, end, ok := modifierAt(path); ok {
			var out string
			if name == dedupeName {
				out = dedupeJSON(json)
			} else {
				// The modifier's output exactly (Raw would trim it), as
				// the string @tostr makes of it.
				out = gjson.Get(json, path[:end]+"|@tostr").Str
			}
			return continueWith(out, path[end:])
		}
	case path[0] == '[' || path[0] == '{':
		if r, ok := selectPaths(json, path); ok {
			return r
		}
		return gjson.Get(json, path)
	case path[0] == '!' || strings.HasPrefix(path, ".."):
		// Literals and JSON lines: @dedupe is not recognised there.
		return gjson.Get(json, path)
	}
	return getParts(json, path)
}

// continueWith goes on from the JSON text out, the result of a modifier or
// a selection, with the rest of the path: after a '.' or '|' the rest
// applies to out; anything else is ignored, as gjson does.
func continueWith(out, rest string) gjson.Result {
	if rest != "" && (rest[0] == '.' || rest[0] == '|') {
		return getPath(out, rest[1:])
	}
	return gjson.Parse(out)
}

// getParts resolves a path that starts with a member name or an index,
// part by part, up to the first place where @dedupe may act: a pipe, a
// '#' projection, a '.' before a modifier or a selection. The path before
// that place is resolved by gjson. How gjson reads a part depends on what
// holds it: in an object, '\' escapes; in an array, "#" projects, "#(…)"
// queries, and a '.' after either is no pipe.
func getParts(json, path string) gjson.Result {
	for i := 0; i < len(path); {
		start, j := i, i
		in := container(json, path, start)
		query, queryAll := false, false
		if in == '[' && j+1 < len(path) && path[j] == '#' && (path[j+1] == '(' || path[j+1] == '[') {
			query = true
			j += 1 + len(squash(path[j+1:]))
			if j < len(path) && path[j] == '#' {
				j++
				queryAll = true
			}
		}
		for j < len(path) && path[j] != '.' && path[j] != '|' {
			if path[j] == '\\' && in != '[' {
				j++
			}
			j++
		}
		if j >= len(path)-1 {
			break // the last part (or a trailing '.'): no place left to act
		}
		part, sep, next := path[start:j], path[j], path[j+1:]
		if in == '[' && sep == '.' && strings.Contains(part, "#") {
			switch {
			case part == "#":
				if base := parentOf(json, path, start); base.IsArray() {
					return project(base, next, false)
				}
			case queryAll:
				return project(gjson.Get(json, path[:j]), next, true)
			case query:
				// The first match: the rest applies to it, and what
				// follows a '|' in the rest to that.
				m := gjson.Get(json, path[:j])
				if !m.Exists() {
					return gjson.Result{}
				}
				left, right, piped := splitPipe(next)
				if !piped {
					return getPath(m.Raw, next)
				}
				return getPath(getPath(m.Raw, left).Raw, right)
			default:
				return gjson.Result{} // matches no element
			}
		}
		if sep == '|' || isPipeStart(next) {
			// gjson pipes what it found, or nothing when the object or
			// array the part was looked for in exists.
			r := gjson.Get(json, path[:j])
			if !r.Exists() && in == 0 {
				return gjson.Result{}
			}
			return continueWith(r.Raw, path[j:])
		}
		i = j + 1
	}
	// @dedupe only inside a part (a query's condition, a member name):
	// gjson resolves the path without it.
	return gjson.Get(json, path)
}

// container returns '{' or '[' for the object or array gjson looks the part
// of path that starts at start up in, or 0 when there is none. For the
// first part that is the first '{' or '[' of json, wherever it stands, as
// gjson scans for it.
func container(json, path string, start int) byte {
	if start == 0 {
		if i := strings.IndexAny(json, "{["); i >= 0 {
			return json[i]
		}
		return 0
	}
	switch v := gjson.Get(json, path[:start-1]); {
	case v.IsObject():
		return '{'
	case v.IsArray():
		return '['
	}
	return 0
}

// parentOf returns the value that holds the part of path that starts at
// start: for the first part, json from its first '{' or '['.
func parentOf(json, path string, start int) gjson.Result {
	if start == 0 {
		if i := strings.IndexAny(json, "{["); i > 0 {
			json = json[i:]
		}
		return gjson.Parse(json)
	}
	return gjson.Get(json, path[:start-1])
}

// project applies path to each element of the array base, as gjson does
// after "#." (query false) or "#(…)#." (query true): the results that
// exist, in an array, to which what follows a top-level '|' in path then
// applies.
func project(base gjson.Result, path string, query bool) gjson.Result {
	left, right, piped := splitPipe(path)
	if !piped {
		left = path
	}
	if query && !gjson.Get(base.Raw, "0").Exists() {
		// gjson splits off the pipe when a query matches, so with no
		// match nothing follows.
		return gjson.Result{Type: gjson.JSON, Raw: "[]"}
	}
	b := []byte{'['}
	n := 0
	base.ForEach(func(_, v gjson.Result) bool {
		r := getPath(v.Raw, left)
		if !r.Exists() && !query {
			return true
		}
		raw := r.Raw
		if raw == "" {
			raw = r.String()
		}
		if raw == "" {
			return true
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, raw...)
		n++
		return true
	})
	b = append(b, ']')
	if piped {
		return getPath(string(b), right)
	}
	return gjson.Result{Type: gjson.JSON, Raw: string(b)}
}

// splitPipe splits path at its first '|' that is not inside an escape or a
// query, as gjson splits the path that follows a projection.
func splitPipe(path string) (left, right string, ok bool) {
	if !strings.Contains(path, "|") {
		return "", "", false
	}
	if path[0] == '{' {
		// A selection: gjson splits only right after it (and not at all
		// when its first name is quoted).
		if len(path) > 1 && path[1] == '"' {
			return "", "", false
		}
		if n := len(squash(path)); n < len(path) && path[n] == '|' {
			return path[:n], path[n+1:], true
		}
		return "", "", false
	}
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '|':
			return path[:i], path[i+1:], true
		case '.':
			if i == len(path)-1 {
				return "", "", false
			}
			if path[i+1] != '#' {
				continue
			}
			i += 2
			if i == len(path) {
				return "", "", false
			}
			if path[i] != '[' && path[i] != '(' {
				continue
			}
			open, close := path[i], byte(']')
			if open == '(' {
				close = ')'
			}
			depth := 1
			for i++; i < len(path); i++ {
				switch path[i] {
				case '\\':
					i++
				case open:
					depth++
				case close:
					depth--
				case '"':
					for i++; i < len(path) && path[i] != '"'; i++ {
						if path[i] == '\\' {
							i++
						}
					}
				}
				if depth == 0 {
					break
				}
			}
		}
	}
	return "", "", false
}

// isPipeStart reports whether a '.' before s reads as a pipe to gjson: s
// starts with a modifier (@dedupe included) or a selection.
func isPipeStart(s string) bool {
	switch {
	case s == "":
		return false
	case s[0] == '[' || s[0] == '{':
		return true
	case s[0] == '@':
		name := s[1:]
		if i := strings.IndexAny(name, ".|:"); i >= 0 {
			name = name[:i]
		}
		return name == dedupeName || gjson.ModifierExists(name, nil)
	}
	return false
}

// modifierAt reads the modifier at the start of path ('@' then a name
// that ends at ':', '|' or '.', then an optional argument after ':') and
// returns its name and where the rest of the path starts; ok is false when
// the name is not a modifier.
func modifierAt(path string) (name string, end int, ok bool) {
	i := 1
	for i < len(path) && path[i] != ':' && path[i] != '|' && path[i] != '.' {
		i++
	}
	name = path[1:i]
	if name != dedupeName && !gjson.ModifierExists(name, nil) {
		return "", 0, false
	}
	if i == len(path) || path[i] != ':' {
		return name, i, true
	}
	arg := path[i+1:]
	if arg == "" {
		return name, len(path), true
	}
	switch arg[0] {
	case '{', '[', '"':
		if gjson.Parse(arg).Exists() {
			return name, i + 1 + len(squash(arg)), true
		}
	}
	// A plain argument runs to the next '|', over brackets and strings.
	j := 0
	for ; j < len(arg) && arg[j] != '|'; j++ {
		switch arg[j] {
		case '{', '[', '"', '(':
			j += len(squash(arg[j:])) - 1
		}
	}
	return name, i + 1 + j, true
}

// selectPaths resolves a path that starts with a selection, "[p1,p2]" or
// "{name:p1,p2}": an array of the values of the paths that exist, or an
// object of them under their names (a path's last part when it has no
// name, "_" when that part is not a plain name). ok is false when path is
// not such a selection, followed by nothing, '.' or '|'.
func selectPaths(json, path string) (gjson.Result, bool) {
	type sel struct{ name, path string }
	var sels []sel
	start, colon, modifier, depth := 1, 0, 0, 1
	rest, closed := "", false
	push := func(i int) {
		if colon == 0 {
			sels = append(sels, sel{path: path[start:i]})
		} else {
			sels = append(sels, sel{name: path[start:colon], path: path[colon+1 : i]})
		}
		colon, modifier, start = 0, 0, i+1
	}
scan:
	for i := 1; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '@':
			if modifier == 0 && (path[i-1] == '.' || path[i-1] == '|') {
				modifier = i
			}
		case ':':
			if modifier == 0 && colon == 0 && depth == 1 {
				colon = i
			}
		case ',':
			if depth == 1 {
				push(i)
			}
		case '"':
			for i++; i < len(path) && path[i] != '"'; i++ {
				if path[i] == '\\' {
					i++
				}
			}
		case '[', '(', '{':
			depth++
		case ']', ')', '}':
			if depth--; depth == 0 {
				push(i)
				rest, closed = path[i+1:], true
				break scan
			}
		}
	}
	if !closed || rest != "" && rest[0] != '.' && rest[0] != '|' {
		return gjson.Result{}, false
	}
	obj := path[0] == '{'
	b := []byte{path[0]}
	n := 0
	for _, s := range sels {
		r := getPath(json, s.path)
		if !r.Exists() {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		if obj {
			switch last := lastPart(s.path); {
			case s.name != "" && s.name[0] == '"' && gjson.Valid(s.name):
				b = append(b, s.name...)
			case s.name != "":
				b = gjson.AppendJSONString(b, s.name)
			case simpleName(last):
				b = gjson.AppendJSONString(b, last)
			default:
				b = gjson.AppendJSONString(b, "_")
			}
			b = append(b, ':')
		}
		raw := r.Raw
		if raw == "" {
			if raw = r.String(); raw == "" {
				raw = "null"
			}
		}
		b = append(b, raw...)
	}
	b = append(b, path[0]+2) // ']' or '}'
	if rest != "" {
		return getPath(string(b), rest[1:]), true
	}
	return gjson.Result{Type: gjson.JSON, Raw: string(b)}, true
}

// lastPart returns what follows the last '.' or '|' of path that is not
// escaped.
func lastPart(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if (path[i] == '|' || path[i] == '.') && (i == 0 || path[i-1] != '\\') {
			return path[i+1:]
		}
	}
	return path
}

// simpleName reports whether a selection may use s as a member name.
func simpleName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || strings.IndexByte("[]{}()#|!", s[i]) >= 0 {
			return false
		}
	}
	return true
}

// squash returns the bracketed group or string at the start of s (which
// starts with '{', '[', '(' or '"'), or all of s when it does not close.
// Brackets of any kind count alike, and strings are skipped, as gjson
// does.
func squash(s string) string {
	i, depth := 0, 0
	if s[0] != '"' {
		i, depth = 1, 1
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '"':
			for i++; i < len(s); i++ {
				if s[i] == '\\' {
					i++
					continue
				}
				if s[i] == '"' {
					break
				}
			}
			if depth == 0 {
				if i >= len(s) {
					return s
				}
				return s[:i+1]
			}
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			if depth--; depth == 0 {
				return s[:i+1]
			}
		}
	}
	return s
}
