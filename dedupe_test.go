package weir_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// TestDedupeSubstation replays the cases of Substation v2.8.0's own test
// of the modifier (message/message_test.go, TestDedupeModifier): the text
// read, as Substation's GetValue(key).String() gives it.
func TestDedupeSubstation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, data, key, want string }{
		{"strings with duplicates", `{"arr":["a","b","a","c","b"]}`, "arr.@dedupe", `["a","b","c"]`},
		{"integers with duplicates", `{"arr":[1,2,1,3,2]}`, "arr.@dedupe", `[1,2,3]`},
		{"no duplicates", `{"arr":["a","b","c"]}`, "arr.@dedupe", `["a","b","c"]`},
		{"empty array", `{"arr":[]}`, "arr.@dedupe", `[]`},
		{"mixed types", `{"arr":[1,"a",1,"a",true,true]}`, "arr.@dedupe", `[1,"a",true]`},
		{"objects with duplicates", `{"arr":[{"a":1},{"b":2},{"a":1}]}`, "arr.@dedupe", `[{"a":1},{"b":2}]`},
		{"not an array", `{"obj":{"a":"b"}}`, "obj.@dedupe", `{"a":"b"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := weir.NewMessage([]byte(c.data))
			assert.Equal(t, c.want, msg.Get(c.key).String())
			assert.Equal(t, c.want, weir.ParsePath(c.key).Get(msg).String())
			assert.Equal(t, c.want, weir.ParsePath("meta "+c.key).Get(weir.NewMessage(nil).SetMetadata([]byte(c.data))).String())
		})
	}
}

// TestDedupeSemantics: what the modifier keeps, compares and returns.
func TestDedupeSemantics(t *testing.T) {
	t.Parallel()
	msg := weir.NewMessage([]byte(`{"a":[1,1.0,1,"1",{"x":1},{"x": 1},{"x":1},[1],[1],null,null,true],` +
		`"s":"str","n":null,"e":[ ],"sp":[ 2 , 2 ,3 ],"f":[{"t":["x","x"],"u":"p"},{"t":["y"],"u":"p"},{"t":["x","x"],"u":"q"}]}`))
	for _, c := range []struct{ path, want string }{
		// Elements compare by their text as written: 1 and 1.0 differ, so
		// do {"x":1} and {"x": 1}; the first of each is kept, in order.
		{"a.@dedupe", `[1,1.0,"1",{"x":1},{"x": 1},[1],null,true]`},
		{"a|@dedupe", `[1,1.0,"1",{"x":1},{"x": 1},[1],null,true]`},
		{"sp.@dedupe", `[2,3]`}, // joined without the spaces
		{"e.@dedupe", `[]`},
		{"s.@dedupe", `"str"`}, // not an array: unchanged
		{"n.@dedupe", `null`},
		{"a.@dedupe.#", `8`},
		{"a.@dedupe.1", `1.0`},
		{"a.@dedupe:ignored", `[1,1.0,"1",{"x":1},{"x": 1},[1],null,true]`},
		{"a.@dedupe.@reverse", `[true,null,[1],{"x": 1},{"x":1},"1",1.0,1]`},
		// After a projection, '.' applies the modifier to each element
		// and '|' to the array the projection made.
		{"f.#.u.@dedupe", `["p","p","q"]`},
		{"f.#.u|@dedupe", `["p","q"]`},
		{"f.#.t.@dedupe", `[["x"],["y"],["x"]]`},
		{"f.#.t|@dedupe", `[["x","x"],["y"]]`},
		{`f.#(u=="p")#.t.@dedupe`, `[["x"],["y"]]`},
		{"[a.@dedupe.#,sp.@dedupe]", `[8,[2,3]]`},
		{"{n:sp.@dedupe}", `{"n":[2,3]}`},
	} {
		got := msg.Get(c.path)
		require.True(t, got.Exists(), c.path)
		assert.Equal(t, c.want, got.Raw(), c.path)
	}
	for _, path := range []string{"missing.@dedupe", "a.@dedupex", "a.@dedup", "s.0.@dedupe"} {
		assert.False(t, msg.Get(path).Exists(), path)
	}
	// A whole document that is an array, and the root of an object.
	assert.Equal(t, `[1,2]`, weir.NewMessage([]byte(`[1,2,1]`)).Get("@dedupe").Raw())
	assert.Equal(t, `{"a":[1,1]}`, weir.NewMessage([]byte(`{"a":[1,1]}`)).Get("@dedupe").Raw())
	// Value.Get too.
	assert.Equal(t, `[1,2]`, weir.ValueOf([]byte(`{"x":[1,2,2]}`)).Get("x.@dedupe").Raw())
}

// TestDedupeNotWritable: a path with @dedupe reads; writing through it is
// an error naming the path, as for gjson's own modifiers, and "@dedupe" is
// not taken for a member name.
func TestDedupeNotWritable(t *testing.T) {
	t.Parallel()
	msg := weir.NewMessage([]byte(`{"a":[1,1]}`))
	for _, path := range []string{"a.@dedupe", "@dedupe", "@dedupe.x"} {
		err := msg.Set(path, 1)
		var pe *weir.PathError
		require.ErrorAs(t, err, &pe, path)
		assert.Contains(t, err.Error(), path)
		assert.Error(t, msg.Delete(path), path)
	}
	assert.JSONEq(t, `{"a":[1,1]}`, string(msg.Data()))
	// A member named "@timestamp" is still a member.
	require.NoError(t, msg.Set("@timestamp", 1))
	assert.Equal(t, "1", msg.Get("@timestamp").Raw())
}

// TestDedupeInTransforms: every transform reads its paths through Path,
// so @dedupe works in their settings.
func TestDedupeInTransforms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tf, err := transform.New(ctx, weir.Config{Type: "object_copy", Settings: map[string]any{
		"object": map[string]any{"source_key": "ips.@dedupe", "target_key": "unique_ips"}}})
	require.NoError(t, err)
	out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"ips":["10.0.0.1","10.0.0.2","10.0.0.1"]}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.JSONEq(t, `{"ips":["10.0.0.1","10.0.0.2","10.0.0.1"],"unique_ips":["10.0.0.1","10.0.0.2"]}`, string(out[0].Data()))

	tf, err = transform.New(ctx, weir.Config{Type: "array_join", Settings: map[string]any{
		"object": map[string]any{"source_key": "records.#.user|@dedupe", "target_key": "users"}, "separator": ","}})
	require.NoError(t, err)
	out, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"records":[{"user":"a"},{"user":"b"},{"user":"a"}]}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, "a,b", out[0].Get("users").String())
}

// kind names the type of v.
func kind(v weir.Value) string {
	switch {
	case !v.Exists():
		return "missing"
	case v.IsString():
		return "string"
	case v.IsNumber():
		return "number"
	case v.IsBool():
		return "bool"
	case v.IsNull():
		return "null"
	case v.IsArray():
		return "array"
	case v.IsObject():
		return "object"
	}
	return "other"
}

// dedupeDocs are the documents of the oracle comparison.
var dedupeDocs = []string{
	`{"a":[1,2,1],"f":[{"b":[1,1],"c":"x"},{"b":[2,2],"c":"x"},{"b":[1,1],"c":"y"}],"o":{"k":"v","#":[3,3]},"s":"str","n":null,"w":[ 1 , 1, {"x" :1},{"x":1}]}`,
	`[[1,1],[2],[1,1],{"c":"x","b":[5,5]},"s","s",3]`,
	`{"f":[{"c":"x","b":["p","p"]},{"c":"y"},{"c":"x","b":[]}],"a":["q","q",["q"],["q"]],"k":{"a":[0,0]}}`,
}

// dedupePaths are paths the oracle comparison tries besides the generated
// ones.
var dedupePaths = []string{
	"a.@dedupe", "a|@dedupe", "@dedupe", "@dedupe.a", "@dedupe|0", "a.@dedupe.#", "a.@dedupe|1", "a.@dedupe:xyz", `a.@dedupe:{"q":1}.0`,
	"a.@dedupe:[1,2]|0", "a.@dedupe:xyz.0", "a.@dedupe:(x|y)|0", "f.#.c.@dedupe", "f.#.c|@dedupe", "f.#.b.@dedupe", "f.#.b|@dedupe",
	"f.#.b.@dedupe.#", "f.#.b.@dedupe|#", "[a.@dedupe,a]", "{x:a.@dedupe}", `{"y":a.@dedupe,f.#.c|@dedupe}`, "{a.@dedupe}", `f.#(c=="x")#.b.@dedupe`,
	`f.#(c=="x")#.b|@dedupe`, `f.#(c=="x").b.@dedupe`, `f.#(c=="x")#|@dedupe`, `#(c=="x")#.b.@dedupe`, "o.@dedupe", "s.@dedupe", "n.@dedupe",
	"missing.@dedupe", "w.@dedupe", "a.@dedupe.@reverse", "a.@reverse.@dedupe", "a.@dedupe.@dedupe", "f.#.@dedupe", "f.@dedupe.#.c", "a.@dedupex",
	"@this.a.@dedupe", "f.0.b.@dedupe", "f.#.b.@flatten.@dedupe", "f.#.b|@flatten|@dedupe", "a.@dedupe|@this", "#.@dedupe", "#|@dedupe",
	"0.@dedupe", "#.#.@dedupe", "o.#.@dedupe", "o.\\#.@dedupe", "k.a.@dedupe", "f.#.b.#.@dedupe", "a.[0,1].@dedupe", "a.@dedupe.[0,1]",
	"f.#.[c,b.@dedupe]", "f.#.{c,b.@dedupe}|@dedupe", "@reverse|@dedupe", "@reverse.@dedupe.0", "a.#.@dedupe", "f.#.b.0.@dedupe",
	"@dedupe:", "a.@dedupe:", "[a,a].@dedupe", "[a,a]|@dedupe", "{a,b:a}.@dedupe", "f.#.c.@dedupe|@dedupe", "a.", "a.@dedupe.",
}

// TestDedupeOracle compares what Weir reads for paths with @dedupe with
// what gjson reads when the modifier is in its table (under another name,
// see weir.RegisterDedupeOracle): the curated paths above, every path of
// up to three parts from a set of parts, joined by '.' or '|', and random
// longer ones. (Paths that start with '!' or '..' are left out: Weir does
// not apply @dedupe there; see the doc of Path.)
func TestDedupeOracle(t *testing.T) {
	t.Parallel()
	parts := []string{"a", "b", "c", "f", "#", "0", "1", "@dedupe", "@dedupe:x", "@reverse", "@flatten", "@this",
		`#(c=="x")#`, `#(c=="x")`, "[a,f.#.c]", "{u:a.@dedupe,f.#.c}", "#.b", "o", "k"}
	paths := append([]string(nil), dedupePaths...)
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		if n == 0 {
			return
		}
		for _, p := range parts {
			for _, sep := range []string{".", "|"} {
				path := p
				if prefix != "" {
					path = prefix + sep + p
				} else if sep == "|" {
					continue
				}
				if strings.Contains(path, "@dedupe") {
					paths = append(paths, path)
				}
				gen(path, n-1)
			}
		}
	}
	gen("", 3)
	// And paths of up to five parts drawn at random (with a fixed seed)
	// from a larger set: escapes, wildcards, more modifiers and arguments,
	// selections with quoted names.
	more := append(parts, "-1", "@dedupe:[1]", `@dedupe:{"a":1}`, "@keys", "@values", "@tostr", "@fromstr", "@join", "@ugly",
		"@pretty", "@group", "@reverse:x", `#(c%"*")#`, "[0,#]", "a*", "f?", `\#`, `k\.a`, "{a,b}", "[@dedupe]", `{"q":a.@dedupe}`, "b.#", "#.#")
	rng := rand.New(rand.NewPCG(1, 2))
	for len(paths) < 60_000 {
		var b strings.Builder
		for i := range 1 + rng.IntN(5) {
			if i > 0 {
				b.WriteByte(".|."[rng.IntN(3)])
			}
			b.WriteString(more[rng.IntN(len(more))])
		}
		if strings.Contains(b.String(), "@dedupe") {
			paths = append(paths, b.String())
		}
	}
	t.Logf("%d paths × %d documents", len(paths), len(dedupeDocs))
	mismatches := 0
	for _, doc := range dedupeDocs {
		msg := weir.NewMessage([]byte(doc))
		for _, path := range paths {
			want := weir.ValueOfResult(gjson.Get(doc, strings.ReplaceAll(path, "@dedupe", "@"+weir.DedupeOracle)))
			// A selection names a value by its path's last part.
			wantRaw := strings.ReplaceAll(want.Raw(), "@"+weir.DedupeOracle, "@dedupe")
			if got := msg.Get(path); got.Raw() != wantRaw || kind(got) != kind(want) {
				mismatches++
				if mismatches <= 20 {
					t.Errorf("doc %.30s… path %q: got %q (exists %v), gjson reads %q (exists %v)", doc, path, got.Raw(), got.Exists(), want.Raw(), want.Exists())
				}
			}
		}
	}
	assert.Zero(t, mismatches)
}

// FuzzDedupePath: no document or path makes a read panic.
func FuzzDedupePath(f *testing.F) {
	for _, p := range dedupePaths {
		f.Add(dedupeDocs[0], p)
	}
	f.Add(`[1,1]`, "@dedupe:{")
	f.Add(`{"a":"[1,1]"}`, `a.@dedupe:"x|@dedupe`)
	f.Fuzz(func(t *testing.T, doc, path string) {
		_ = weir.NewMessage([]byte(doc)).Get(path)
		_ = weir.ParsePath(path).Get(weir.NewMessage([]byte(doc)))
	})
}

// BenchmarkDedupePath reads "arr.@dedupe" with Weir's evaluation and with
// gjson's, the modifier registered (the oracle).
func BenchmarkDedupePath(b *testing.B) {
	doc := `{"user":"alice","arr":["10.0.0.1","10.0.0.2","10.0.0.1","10.0.0.3","10.0.0.2"],"n":1}`
	b.Run("weir", func(b *testing.B) {
		b.ReportAllocs()
		msg := weir.NewMessage([]byte(doc))
		p := weir.ParsePath("arr.@dedupe")
		for b.Loop() {
			_ = p.Get(msg)
		}
	})
	b.Run("gjson-registered", func(b *testing.B) {
		b.ReportAllocs()
		path := "arr.@" + weir.DedupeOracle
		for b.Loop() {
			_ = gjson.Get(doc, path)
		}
	})
}

// Substation v2.8.0's @dedupe modifier in a read: the addresses of a
// CloudTrail-like record without repeats, and the per-element form after
// a projection.
func ExampleMessage_Get_dedupe() {
	msg := weir.NewMessage([]byte(`{"Records":[{"ip":"10.0.0.1","tags":["a","a"]},{"ip":"10.0.0.2","tags":["b"]},{"ip":"10.0.0.1","tags":["a"]}]}`))
	fmt.Println(msg.Get("Records.#.ip|@dedupe"))
	fmt.Println(msg.Get("Records.#.tags.@dedupe"))
	// Output:
	// ["10.0.0.1","10.0.0.2"]
	// [["a"],["b"],["a"]]
}
