package weir

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// TestCheckJSONIsRemembered: after CheckJSON passes, the first write does
// not check the data again (document.valid), and replacing the data
// forgets the answer.
func TestCheckJSONIsRemembered(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(`{"a":1}`))
	require.NoError(t, m.CheckJSON())
	assert.True(t, m.data.valid)
	m.Reset([]byte(`{"a":2}`))
	assert.False(t, m.data.valid)
	require.NoError(t, m.CheckJSON())
	m.SetData([]byte(`{"a":3}`))
	assert.False(t, m.data.valid)
	m = NewMessage([]byte(`{"a":`))
	require.Error(t, m.CheckJSON())
	assert.False(t, m.data.valid)
}

// checkFused checks b through the fused check (checkJSON building the
// index) against the separate passes it replaces: gjson.ValidBytes's
// answer; for a valid object, the very index that index and expand(0)
// build; and the same reads and writes through a Message whether
// CheckJSON ran first or not.
func checkFused(t testing.TB, b []byte) {
	t.Helper()
	var fused document
	fused.raw = b
	err := fused.checkJSON(true, false)
	blank := vjSpace(b, 0) == len(b)
	if want := blank || gjson.ValidBytes(b); (err == nil) != want {
		t.Fatalf("checkJSON(%q) = %v, gjson.ValidBytes: %v", b, err, want)
	}
	if err != nil {
		if fused.indexed || len(fused.nodes) > 0 || fused.valid {
			t.Fatalf("checkJSON(%q) failed but left an index", b)
		}
	} else if !blank && b[vjSpace(b, 0)] == '{' {
		var ref document
		ref.raw = b
		if !ref.index(false) || !ref.expand(0) {
			t.Fatalf("%q: checkJSON passed, the index was not built", b)
		}
		// The index built apart does not check strings, so it knows none
		// to be plain ASCII (node.ascii); the fused one must be right
		// about those it marks.
		if !fused.indexed || !slices.EqualFunc(fused.nodes, ref.nodes, func(a, b node) bool {
			a.ascii = false
			return a == b
		}) {
			t.Fatalf("%q: the fused index differs:\n%+v\nwant\n%+v", b, fused.nodes, ref.nodes)
		}
		for i := range fused.nodes {
			if n := &fused.nodes[i]; n.ascii {
				if v := fused.val(n); len(v) < 2 || v[0] != '"' || needsEscape(string(v[1:len(v)-1])) {
					t.Fatalf("%q: value %q marked plain ASCII", b, v)
				}
			}
		}
	} else if fused.indexed {
		t.Fatalf("%q: not an object, indexed", b)
	}

	// Reads and a write, with and without CheckJSON first.
	checked, plain := NewMessage(b), NewMessage(b)
	_ = checked.CheckJSON()
	for _, p := range fusedPaths(&fused) {
		g, w := checked.Get(p), plain.Get(p)
		if g.Exists() != w.Exists() || g.Raw() != w.Raw() {
			t.Fatalf("%q: get %q = %q, without CheckJSON %q", b, p, g.Raw(), w.Raw())
		}
		// A copy writes the same.
		require.NoError(t, checked.SetValue("meta c", g))
		require.NoError(t, plain.SetValue("meta c", w))
		if !bytes.Equal(checked.Metadata(), plain.Metadata()) {
			t.Fatalf("%q: copy of %q: %q, without CheckJSON %q", b, p, checked.Metadata(), plain.Metadata())
		}
	}
	errC, errP := checked.Set("x.y", 1), plain.Set("x.y", 1)
	if (errC == nil) != (errP == nil) || !bytes.Equal(checked.Data(), plain.Data()) {
		t.Fatalf("%q: set x.y: %q (%v), without CheckJSON %q (%v)", b, checked.Data(), errC, plain.Data(), errP)
	}
}

// fusedPaths returns paths to read from d: a fixed few, and those of the
// indexed members whose names are plain words.
func fusedPaths(d *document) []string {
	paths := []string{"a", "a.b", "a.0", "b", "0", "x", "x.y", "k.k.k"}
	var walk func(x int32, prefix string, depth int)
	walk = func(x int32, prefix string, depth int) {
		for k := d.nodes[x].first; k >= 0 && depth < 4; k = d.nodes[k].next {
			name := string(d.key(&d.nodes[k]))
			if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
				continue
			}
			paths = append(paths, prefix+name)
			if d.nodes[k].flags&expanded != 0 {
				walk(k, prefix+name+".", depth+1)
			}
		}
	}
	if d.indexed {
		walk(0, "", 0)
	}
	return paths
}

// TestCheckJSONFused: the fused check and index agree with gjson and with
// the index built apart, on the validator's edge cases (alone, as member
// values and as prefixes), on W1's events mutated byte by byte, and on
// random documents with random damage.
func TestCheckJSONFused(t *testing.T) {
	t.Parallel()
	for _, c := range validJSONCases {
		for _, s := range []string{c, `{"k":` + c + `}`, `{"a":{"b":` + c + `,"c":1}} `, ` {"k":[` + c + `]}`} {
			for n := 0; n <= len(s); n++ {
				checkFused(t, []byte(s[:n]))
			}
		}
	}
	// Nested deeper than the index goes in one pass, valid and not.
	deep := strings.Repeat(`{"k":`, maxEagerDepth+3) + `[1,{"a":"\u00e9"}]` + strings.Repeat(`}`, maxEagerDepth+3)
	for n := 0; n <= len(deep); n++ {
		checkFused(t, []byte(deep[:n]))
		checkFused(t, []byte(deep[:n]+"x"+deep[n:]))
	}
	data, err := os.ReadFile("testdata/w1/cloudtrail.ndjson")
	require.NoError(t, err)
	for i, line := range bytes.Split(data, []byte("\n"))[:50] {
		checkFused(t, line)
		for j := i % 7; j < len(line); j += 13 {
			for _, c := range []byte{'"', '\\', '\x01', '{', '}', '[', ']', ',', ':', ' ', 'e', '-', '0', 0xc3} {
				mut := bytes.Clone(line)
				mut[j] = c
				checkFused(t, mut)
			}
		}
	}
	r := rand.New(rand.NewPCG(15, 3))
	for range 20000 {
		doc := randomJSON(r, nil, 0, true)
		checkFused(t, doc)
		for range 3 {
			mut := bytes.Clone(doc)
			switch j := r.IntN(len(mut)); r.IntN(3) {
			case 0:
				mut[j] = `"\{}[],: ae-.0u/x`[r.IntN(17)]
			case 1:
				mut = append(mut[:j], mut[j+1:]...)
			default:
				mut = slices.Insert(mut, j, `"\{}[],: e-.01t`[r.IntN(15)])
			}
			checkFused(t, mut)
		}
	}
}

// randomJSON appends a random JSON value to b: an object when obj is set.
func randomJSON(r *rand.Rand, b []byte, depth int, obj bool) []byte {
	ws := func() {
		if r.IntN(8) == 0 {
			b = append(b, " \t\r\n"[r.IntN(4)])
		}
	}
	str := func() {
		b = append(b, '"')
		for range r.IntN(12) {
			switch r.IntN(10) {
			case 0:
				b = append(b, `\n`...)
			case 1:
				b = append(b, `\u00E9`...)
			case 2:
				b = append(b, `\"`...)
			case 3:
				b = append(b, 0xc3, 0xa9)
			default:
				b = append(b, "abkxy0 .-_"[r.IntN(10)])
			}
		}
		b = append(b, '"')
	}
	kind := 0
	if !obj {
		kind = r.IntN(8)
		if depth > 12 {
			kind = 2 + r.IntN(6)
		}
	}
	ws()
	switch kind {
	case 0:
		b = append(b, '{')
		for k := range r.IntN(5) {
			if k > 0 {
				b = append(b, ',')
			}
			ws()
			if r.IntN(2) == 0 {
				b = append(b, `"`+[]string{"a", "b", "k", "x", "0"}[r.IntN(5)]+`"`...)
			} else {
				str()
			}
			ws()
			b = append(b, ':')
			b = randomJSON(r, b, depth+1, false)
		}
		ws()
		b = append(b, '}')
	case 1:
		b = append(b, '[')
		for k := range r.IntN(4) {
			if k > 0 {
				b = append(b, ',')
			}
			b = randomJSON(r, b, depth+1, false)
		}
		b = append(b, ']')
	case 2, 3:
		str()
	case 4:
		b = append(b, []string{"0", "-1", "12.5", "1e5", "-0.25E-3", "7"}[r.IntN(6)]...)
	default:
		b = append(b, []string{"true", "false", "null"}[r.IntN(3)]...)
	}
	ws()
	return b
}

// FuzzCheckJSONFused runs checkFused on fuzzed inputs.
func FuzzCheckJSONFused(f *testing.F) {
	for _, c := range validJSONCases {
		f.Add([]byte(c))
		f.Add([]byte(`{"k":` + c + `}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkFused(t, b) })
}
