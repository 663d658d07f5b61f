package weir

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// The scanners below find the extent of JSON tokens without decoding them;
// the index uses them to record where each member of an object is.

// b2s returns a string sharing b's memory. Only used on bytes that are never
// modified afterwards.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// isWS reports JSON white space.
func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// scanString returns the index just past the JSON string starting at b[i]
// (a '"'), and whether it holds escapes; -1 if it is not terminated.
func scanString(b []byte, i int) (end int, esc bool) {
	j := i + 1
	for {
		// Eight bytes at a time: find the first '"' or '\\'.
		for j+8 <= len(b) {
			x := load64(b, j)
			if m := hasByte(x, '"') | hasByte(x, '\\'); m != 0 {
				j += bits.TrailingZeros64(m) / 8
				goto found
			}
			j += 8
		}
		for j < len(b) && b[j] != '"' && b[j] != '\\' {
			j++
		}
		if j >= len(b) {
			return -1, esc
		}
	found:
		if b[j] == '"' {
			return j + 1, esc
		}
		esc = true
		j += 2 // the backslash and the character it escapes
	}
}

// load64 returns the eight bytes of b from i on (i+8 <= len(b)) as a
// little-endian word. Slicing b[i:i+8] rather than b[i:] spares the
// compiler's masking of the pointer of a slice that may be empty: a few
// instructions in each step of the scanners' word loops.
func load64(b []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(b[i : i+8])
}

// hasByte returns a word whose lowest set bit marks the first byte of x
// equal to c (higher bits may be false positives), or 0 if none is.
func hasByte(x uint64, c byte) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	y := x ^ (lsb * uint64(c))
	return (y - lsb) &^ y & msb
}

// scanValue returns the index just past the JSON value starting at b[i], or
// -1 if there is none. Objects and arrays are matched by depth, without
// checking their contents.
func scanValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		e, _ := scanString(b, i)
		return e
	case c == '{' || c == '[':
		const fold = 0x2020202020202020 // '[' and ']' become '{' and '}'
		depth := 0
		for i < len(b) {
			for i+8 <= len(b) {
				x := load64(b, i)
				if m := hasByte(x, '"') | hasByte(x|fold, '{') | hasByte(x|fold, '}'); m != 0 {
					i += bits.TrailingZeros64(m) / 8
					break
				}
				i += 8
			}
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"':
				e, _ := scanString(b, i)
				if e < 0 {
					return -1
				}
				i = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		s := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == s {
					return -1
				}
				return i
			}
			i++
		}
		return -1
	}
}
