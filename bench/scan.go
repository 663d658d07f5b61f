package bench

// A minimal JSON scanner for W1Floor: it finds the members of an object and
// the extent of each value without decoding anything. It checks as much
// structure as that needs (quotes, nesting depth, separators), not that
// brackets pair up by kind or that numbers and literals are well spelled:
// W1Floor copies those as they are.

// eachMember calls fn with the key (unescaped if it has escapes) and the
// JSON text of each member of the object obj, passing a nil value for null.
// It reports whether obj is an object it could read to the end; on false,
// fn may have been called for the members before the fault.
func eachMember(obj []byte, fn func(key, val []byte)) bool {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return skipWS(obj, i+1) == len(obj)
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return false
		}
		end, esc := stringEnd(obj, i)
		if end < 0 {
			return false
		}
		key := obj[i+1 : end-1]
		if esc {
			key = []byte(unescape(key))
		}
		i = skipWS(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = skipWS(obj, i+1)
		end = valueEnd(obj, i)
		if end < 0 {
			return false
		}
		val := obj[i:end:end]
		if string(val) == "null" {
			val = nil
		}
		fn(key, val)
		i = skipWS(obj, end)
		if i >= len(obj) {
			return false
		}
		switch obj[i] {
		case ',':
			i = skipWS(obj, i+1)
		case '}':
			return skipWS(obj, i+1) == len(obj)
		default:
			return false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] (a
// quote) and whether it holds escapes; -1 if it is not terminated.
func stringEnd(b []byte, i int) (end int, esc bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			i++
		}
	}
	return -1, esc
}

// valueEnd returns the index just past the value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			case '"':
				end, _ := stringEnd(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			}
		}
		return -1
	case '}', ']', ',', ':':
		return -1
	}
	// A number or literal: up to the next delimiter.
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}
