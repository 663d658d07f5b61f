package transform

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAppendLowerHex compares appendLowerHex with hex.AppendEncode for
// every byte value at each place of a word and in the tail after the
// words, and for every length up to 9 after a non-empty prefix.
func TestAppendLowerHex(t *testing.T) {
	t.Parallel()
	for n := range 10 {
		for at := range n {
			for c := range 256 {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(i*37 + n)
				}
				b[at] = byte(c)
				want := hex.AppendEncode([]byte("x"), b)
				if got := appendLowerHex([]byte("x"), b); string(got) != string(want) {
					assert.Equal(t, string(want), string(got), "% x", b)
					return
				}
			}
		}
	}
}

// FuzzAppendLowerHex compares appendLowerHex with hex.AppendEncode.
func FuzzAppendLowerHex(f *testing.F) {
	f.Add([]byte{}, []byte("\x00\x09\x0a\x0f\x10\x99\xa0\xff\x7f"))
	f.Fuzz(func(t *testing.T, dst, b []byte) {
		// Copies: the fuzzer's dst may have room that overlaps b.
		want := hex.AppendEncode(append([]byte(nil), dst...), b)
		assert.Equal(t, string(want), string(appendLowerHex(append([]byte(nil), dst...), b)))
	})
}
