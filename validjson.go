package weir

import "math/bits"

// validJSON reports whether b is one JSON value, white space around it
// allowed. It gives gjson.ValidBytes's answer for every input (UTF-8 is
// not checked, as there), about four times as fast on log events: it
// keeps no recursion, and scans strings, which are most of an event, eight
// bytes at a time.
func validJSON(b []byte) bool {
	i, ok := vjValue(b, 0)
	return ok && vjSpace(b, i) == len(b)
}

// vjValue checks the JSON value that starts at b[i], after white space, as
// validJSON does, and returns the index just after it. What follows the
// value is for the caller to judge.
func vjValue(b []byte, i int) (int, bool) {
	// open holds the containers the value at i is inside: '{' or '['.
	var stackBuf [64]byte
	open := stackBuf[:0]
	var ok bool
value:
	i = vjSpace(b, i)
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; c {
	case '{':
		if i = vjSpace(b, i+1); i >= len(b) {
			return i, false
		}
		if b[i] == '}' {
			i++
			break
		}
		open = append(open, '{')
		goto key
	case '[':
		if i = vjSpace(b, i+1); i >= len(b) {
			return i, false
		}
		if b[i] == ']' {
			i++
			break
		}
		open = append(open, '[')
		goto value
	case '"':
		if i, _, ok = vjString(b, i+1); !ok {
			return i, false
		}
	case 't':
		if i+4 > len(b) || b[i+1] != 'r' || b[i+2] != 'u' || b[i+3] != 'e' {
			return i, false
		}
		i += 4
	case 'f':
		if i+5 > len(b) || b[i+1] != 'a' || b[i+2] != 'l' || b[i+3] != 's' || b[i+4] != 'e' {
			return i, false
		}
		i += 5
	case 'n':
		if i+4 > len(b) || b[i+1] != 'u' || b[i+2] != 'l' || b[i+3] != 'l' {
			return i, false
		}
		i += 4
	default:
		if c != '-' && (c < '0' || c > '9') {
			return i, false
		}
		if i, ok = vjNumber(b, i); !ok {
			return i, false
		}
	}
	// A value ended at i: what follows it in its container.
	for len(open) > 0 {
		if i = vjSpace(b, i); i >= len(b) {
			return i, false
		}
		top := open[len(open)-1]
		switch b[i] {
		case ',':
			i++
			if top == '{' {
				goto key
			}
			goto value
		case '}':
			if top != '{' {
				return i, false
			}
		case ']':
			if top != '[' {
				return i, false
			}
		default:
			return i, false
		}
		open = open[:len(open)-1]
		i++
	}
	return i, true
key:
	// A member's name, then its colon, then its value.
	if i = vjSpace(b, i); i >= len(b) || b[i] != '"' {
		return i, false
	}
	if i, _, ok = vjString(b, i+1); !ok {
		return i, false
	}
	if i = vjSpace(b, i); i >= len(b) || b[i] != ':' {
		return i, false
	}
	i++
	goto value
}

// vjSpace returns the index of the first byte from i on that is not JSON
// white space.
func vjSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// Bytes repeated over a word, for vjString.
const (
	vjOnes    = 0x0101010101010101
	vjHighs   = 0x8080808080808080
	vjQuotes  = '"' * vjOnes
	vjSlashes = '\\' * vjOnes
	vjSpaces  = ' ' * vjOnes
)

// vjSpecial returns a word whose high bit is set in each byte of x that a
// string scan must stop at (a quote, a backslash, or a control character
// below 0x20), and maybe in bytes after the first such: its lowest set bit
// is exact, which is all the scan needs.
func vjSpecial(x uint64) uint64 {
	q, s := x^vjQuotes, x^vjSlashes
	return ((q-vjOnes)&^q | (s-vjOnes)&^s | (x-vjSpaces)&^x) & vjHighs
}

// vjString returns the index after the closing quote of the string
// whose opening quote is at i-1, and whether the string holds escapes.
func vjString(b []byte, i int) (end int, esc, ok bool) {
	for {
		for i+8 <= len(b) {
			if m := vjSpecial(load64(b, i)); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto special
			}
			i += 8
		}
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < ' ' {
				break
			}
		}
		if i >= len(b) {
			return i, esc, false
		}
	special:
		switch b[i] {
		case '"':
			return i + 1, esc, true
		case '\\':
			esc = true
			i++
			if i >= len(b) {
				return i, esc, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 > len(b) || !vjHex(b[i+1]) || !vjHex(b[i+2]) || !vjHex(b[i+3]) || !vjHex(b[i+4]) {
					return i, esc, false
				}
				i += 5
			default:
				return i, esc, false
			}
		default: // a control character
			return i, esc, false
		}
	}
}

// vjStringHigh is vjString that also reports whether the string may hold
// bytes above ASCII (high; the bytes after the closing quote in the word
// that holds it count too). It is vjString's loop with one more
// instruction a word; parseObject scans values with it and names with
// vjString (a shared escape helper cost more than the copy: the call).
func vjStringHigh(b []byte, i int) (end int, esc, high, ok bool) {
	var hi uint64
	for {
		for i+8 <= len(b) {
			x := load64(b, i)
			hi |= x
			if m := vjSpecial(x); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto special
			}
			i += 8
		}
		for ; i < len(b); i++ {
			c := b[i]
			hi |= uint64(c)
			if c == '"' || c == '\\' || c < ' ' {
				break
			}
		}
		if i >= len(b) {
			return i, esc, true, false
		}
	special:
		switch b[i] {
		case '"':
			return i + 1, esc, hi&vjHighs != 0, true
		case '\\':
			esc = true
			i++
			if i >= len(b) {
				return i, esc, true, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 > len(b) || !vjHex(b[i+1]) || !vjHex(b[i+2]) || !vjHex(b[i+3]) || !vjHex(b[i+4]) {
					return i, esc, true, false
				}
				i += 5
			default:
				return i, esc, true, false
			}
		default: // a control character
			return i, esc, true, false
		}
	}
}

func vjHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// vjNumber returns the index after the number that starts at i (a '-'
// or a digit). What follows it is for the caller to judge.
func vjNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
	}
	if b[i] == '0' {
		i++
	} else {
		i = vjDigits(b, i)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
		i = vjDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
		i = vjDigits(b, i)
	}
	return i, true
}

// vjDigits returns the index of the first byte from i on that is not a
// decimal digit.
func vjDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
