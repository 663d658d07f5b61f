package weir

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// TestChildOrder reads the members of objects, with and without repeated
// names, in document order, in reverse, and at random, checking each read
// against gjson: child, which walks the table without bounds checks, must
// find the first member of a name, and miss absent names.
func TestChildOrder(t *testing.T) {
	t.Parallel()
	var names []string
	for i := range 40 {
		// Names of equal length and first byte, and names whose hashes
		// collide, among others.
		names = append(names, fmt.Sprintf("k%02d", i), fmt.Sprintf("%c%d", 'a'+i%3, i*7))
	}
	docs := []string{}
	for _, dups := range []bool{false, true} {
		var b strings.Builder
		b.WriteString(`{"o":{`)
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%d", n, i)
			if dups && i%17 == 16 {
				fmt.Fprintf(&b, ",%q:%d", names[i/3], -i)
			}
		}
		b.WriteString(`},"x":1}`)
		docs = append(docs, b.String())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, doc := range docs {
		reads := [][]string{names, nil, nil, nil}
		for i := len(names) - 1; i >= 0; i-- {
			reads[1] = append(reads[1], names[i])
		}
		for r := 2; r < len(reads); r++ {
			for range 200 {
				n := names[rng.IntN(len(names))]
				if rng.IntN(8) == 0 {
					n += "z" // missing
				}
				reads[r] = append(reads[r], n)
			}
		}
		for _, seq := range reads {
			m := NewMessage([]byte(doc))
			for i, n := range seq {
				p := "o." + n
				if i%50 == 49 {
					p = "x" // another object between reads
				}
				require.Equal(t, gjson.Get(doc, p).Raw, m.Get(p).Raw(), "%s", p)
			}
		}
	}
}
