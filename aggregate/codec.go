package aggregate

import "slices"

// Encoders turn the items of a batch into one payload. They append to dst
// and return the extended slice, like strconv.AppendInt, so a caller can
// reuse a buffer; pass nil for a new one. They do not validate the items.

// AppendJSONArray appends items as one JSON array: "[" + items joined by
// "," + "]". Each item should be a JSON value; items that are empty or only
// white space are left out, since they would make the array invalid. No
// items give "[]".
func AppendJSONArray(dst []byte, items [][]byte) []byte {
	dst = slices.Grow(dst, itemsLen(items)+len(items)+1)
	dst = append(dst, '[')
	first := true
	for _, it := range items {
		if isBlank(it) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, it...)
		first = false
	}
	return append(dst, ']')
}

// AppendJoin appends items separated by sep, like bytes.Join. No items
// append nothing.
func AppendJoin(dst []byte, items [][]byte, sep []byte) []byte {
	if len(items) == 0 {
		return dst
	}
	dst = slices.Grow(dst, itemsLen(items)+(len(items)-1)*len(sep))
	for i, it := range items {
		if i > 0 {
			dst = append(dst, sep...)
		}
		dst = append(dst, it...)
	}
	return dst
}

// AppendNDJSON appends each item followed by a newline: newline-delimited
// JSON (JSON Lines) when the items are JSON values without newlines.
func AppendNDJSON(dst []byte, items [][]byte) []byte {
	dst = slices.Grow(dst, itemsLen(items)+len(items))
	for _, it := range items {
		dst = append(dst, it...)
		dst = append(dst, '\n')
	}
	return dst
}

// itemsLen returns the total length of items.
func itemsLen(items [][]byte) int {
	n := 0
	for _, it := range items {
		n += len(it)
	}
	return n
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
