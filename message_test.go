package weir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

const sampleDoc = `{"a":{"b":1,"c":[1,{"d":"x"}],"e":{"f":null}},"g":"h\"i","n":-1.5e3,"t":true,"arr":[{"k":1},{"k":2}],"":"empty","dup":1,"dup":2,"e\u0073c":{"x\"y":1,"z":2}}`

func TestGetMatchesGJSON(t *testing.T) {
	t.Parallel()
	paths := []string{
		"a", "a.b", "a.c", "a.c.0", "a.c.1.d", "a.c.5", "a.e", "a.e.f", "a.e.f.g", "g", "n", "t",
		"arr", "arr.#", "arr.#.k", "arr.1.k", "missing", "a.missing.x", "dup", "@this", "a|b", "a.b.c",
		"t.x", "g.x", "esc", "esc.z", "esc.x",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			m := NewMessage([]byte(sampleDoc))
			want := gjson.Get(sampleDoc, p)
			got := m.Get(p)
			assert.Equal(t, want.Exists(), got.Exists())
			assert.Equal(t, want.Raw, got.Raw())
			assert.Equal(t, want.String(), got.String())
			// Served from the index the second time.
			assert.Equal(t, want.Raw, m.Get(p).Raw())
		})
	}
}

func TestGetNonObjectPayloads(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"", "plain text", `[1,2,3]`, `"str"`, `42`, ` {"a":1} `, "\x00\xff"} {
		m := NewMessage([]byte(data))
		for _, p := range []string{"a", "0", "@this", "#"} {
			assert.Equal(t, gjson.Get(data, p).Raw, m.Get(p).Raw(), "data %q path %q", data, p)
		}
	}
}

// TestSetMatchesSJSON replays random writes and deletes on simple paths and
// checks that the indexed Message produces exactly what sjson produces when
// applied to the whole payload each time.
func TestSetMatchesSJSON(t *testing.T) {
	t.Parallel()
	keys := []string{"a", "b", "x", "y", "k", "0", "1"}
	setMatchesSJSON(t, keys, 3000)
}

// TestSetEscapedMatchesSJSON is TestSetMatchesSJSON with escaped path
// parts ("\\@timestamp", "a\\.b"), which name members holding the escaped
// bytes.
func TestSetEscapedMatchesSJSON(t *testing.T) {
	t.Parallel()
	keys := []string{"a", `\@t`, `a\.b`, `x\*`, `q\"`, `b\\s`, `\@this`, "x", `k\|\#`}
	setMatchesSJSON(t, keys, 3000)
}

func setMatchesSJSON(t *testing.T, keys []string, rounds int) {
	docs := []string{"", `{}`, sampleDoc, `{"a":1}`, " {\"x\":{\"y\":2}}\n", `{"a":[1,2]}`, `{"x":1 , "y" : {"a" : 2}, "a":{"b":{}} }`, `{"@t":1,"a.b":{"x*":2},"q\"":3,"b\\s":{}}`}
	values := []any{1, "s", true, nil, 2.5, `{"o":1}`, []byte("bin\xff"), "é<>", Value{}, ValueOf([]byte(`[1,"2"]`))}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < rounds; round++ {
		doc := docs[rng.IntN(len(docs))]
		m := NewMessage([]byte(doc))
		want := []byte(doc)
		var ops []string
		for op := 0; op < 1+rng.IntN(12); op++ {
			depth := 1 + rng.IntN(3)
			path := keys[rng.IntN(len(keys))]
			for d := 1; d < depth; d++ {
				path += "." + keys[rng.IntN(len(keys))]
			}
			switch rng.IntN(5) {
			case 0:
				ops = append(ops, "delete "+path)
				var err error
				want, err = sjson.DeleteBytes(want, path)
				require.NoError(t, err)
				require.NoError(t, m.Delete(path))
			case 1:
				ops = append(ops, "get "+path)
				assert.Equal(t, gjson.GetBytes(want, path).Raw, m.Get(path).Raw(), "ops %v on %q", ops, doc)
			case 2:
				// Read back the whole payload mid-way: the index must stay valid.
				require.Equal(t, string(want), string(m.Data()), "ops %v on %q", ops, doc)
			default:
				v := values[rng.IntN(len(values))]
				ops = append(ops, fmt.Sprintf("set %s %v", path, v))
				raw, err := encodeValue(v)
				require.NoError(t, err)
				wantNext, werr := sjson.SetRawBytes(want, path, raw)
				err = m.Set(path, v)
				if werr != nil {
					require.Error(t, err)
					continue
				}
				require.NoError(t, err)
				want = wantNext
			}
		}
		require.Equal(t, string(want), string(m.Data()), "ops %v on %q", ops, doc)
	}
}

func TestSetEncodesLikeSubstation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    any
		want string
	}{
		{"plain", `"plain"`},
		{"quote\"", `"quote\""`},
		{"<tag>", `"<tag>"`},                        // plain ASCII is not HTML-escaped…
		{"é<", `"é\u003c"`},                         // …but strings that need escaping go through encoding/json.
		{`{"a":1}`, `{"a":1}`},                      // JSON objects in strings are written as JSON
		{`{"a":}`, `"{\"a\":}"`},                    // invalid JSON stays a string
		{[]byte("\xff\xfe"), `"//4="`},              // binary is base64
		{json.RawMessage(`[1]`), `[1]`},             // raw JSON as is
		{3.0, `3`},                                  // floats in shortest 'f' form
		{1e21, `1000000000000000000000`},            //
		{int64(-7), `-7`},                           //
		{uint8(7), `7`},                             //
		{nil, `null`},                               //
		{Value{}, `null`},                           // a missing Value writes null
		{ValueOf([]byte(`"{\"b\":2}"`)), `{"b":2}`}, // a string Value holding JSON writes the JSON
		{ValueOf([]byte(`30400402455622563`)), `30400402455622563`},
		{map[string]int{"z": 1}, `{"z":1}`},
	}
	for _, tt := range tests {
		m := NewMessage(nil)
		require.NoError(t, m.Set("k", tt.v))
		assert.Equal(t, `{"k":`+tt.want+`}`, string(m.Data()), "%#v", tt.v)
	}
	m := NewMessage(nil)
	assert.Error(t, m.Set("k", make(chan int)))
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(`{"a":1}`))
	require.NoError(t, m.Set("meta x.y", "z"))
	assert.Equal(t, `{"x":{"y":"z"}}`, string(m.Metadata()))
	assert.Equal(t, "z", m.Get("meta x.y").String())
	assert.Equal(t, `{"a":1}`, string(m.Data()))
	require.NoError(t, m.Delete("meta x"))
	assert.Equal(t, `{}`, string(m.Metadata()))
	m.SetMetadata([]byte(`{"q":[1]}`))
	assert.Equal(t, "1", m.Get("meta q.0").Raw())
}

func TestControl(t *testing.T) {
	t.Parallel()
	c := NewControl()
	assert.True(t, c.IsControl())
	assert.Nil(t, c.Data())
	assert.Nil(t, c.Metadata())
	assert.False(t, c.Get("a").Exists())
	assert.ErrorIs(t, c.Set("a", 1), ErrControl)
	assert.ErrorIs(t, c.SetRaw("a", []byte("1")), ErrControl)
	assert.ErrorIs(t, c.Delete("a"), ErrControl)
	c.SetData([]byte("x")).SetMetadata([]byte("y"))
	assert.Nil(t, c.Data())
	assert.True(t, c.Clone().IsControl())
	assert.False(t, NewMessage(nil).IsControl())
}

func TestCloneIsIndependent(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(`{"a":{"b":1}}`))
	m.SetMetadata([]byte(`{"m":1}`))
	require.NoError(t, m.Set("a.c", 2))
	c := m.Clone()
	require.NoError(t, c.Set("a.b", 9))
	require.NoError(t, m.Delete("a.c"))
	assert.Equal(t, `{"a":{"b":1}}`, string(m.Data()))
	assert.Equal(t, `{"a":{"b":9,"c":2}}`, string(c.Data()))
	assert.Equal(t, `{"m":1}`, string(c.Metadata()))
}

func TestValuesSurviveWrites(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(`{"a":{"b":"x"},"c":1}`))
	a := m.Get("a")
	data := m.Data()
	require.NoError(t, m.Set("a.b", "y"))
	require.NoError(t, m.Set("a.d", 2))
	bNew := m.Get("a")
	require.NoError(t, m.Delete("a"))
	assert.Equal(t, `{"b":"x"}`, a.Raw())
	assert.Equal(t, `{"b":"y","d":2}`, bNew.Raw())
	assert.Equal(t, `{"a":{"b":"x"},"c":1}`, string(data))
	assert.Equal(t, `{"c":1}`, string(m.Data()))
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(`{"a":1}`))
	err := m.Set("a.*", 1)
	require.Error(t, err)
	var pe *PathError
	assert.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, ErrInvalidData)
	assert.Equal(t, `{"a":1}`, string(m.Data()))
}

func TestValue(t *testing.T) {
	t.Parallel()
	m := NewMessage([]byte(sampleDoc))
	assert.True(t, m.Get("a.e.f").IsNull())
	assert.False(t, m.Get("a.e.f").IsMissing())
	assert.True(t, m.Get("zz").IsMissing())
	assert.True(t, m.Get("a").IsObject())
	assert.True(t, m.Get("arr").IsArray())
	assert.True(t, m.Get("g").IsString())
	assert.True(t, m.Get("n").IsNumber())
	assert.True(t, m.Get("t").IsBool())
	assert.Equal(t, -1500.0, m.Get("n").Float())
	assert.Equal(t, int64(-1500), m.Get("n").Int())
	assert.Equal(t, `h"i`, m.Get("g").String())
	assert.Equal(t, []byte(`h"i`), m.Get("g").Bytes())
	assert.Len(t, m.Get("arr").Array(), 2)
	assert.Equal(t, "2", m.Get("arr").Get("1.k").Raw())
	assert.Equal(t, map[string]any{"k": float64(1)}, m.Get("arr.0").Any())
	for _, empty := range []string{`""`, `[]`, `{}`, `null`, ` [ ] `} {
		assert.True(t, ValueOf([]byte(empty)).IsEmpty(), empty)
	}
	assert.True(t, m.Get("missing").IsEmpty())
	assert.False(t, m.Get("a").IsEmpty())
	var keys []string
	m.Get("a").ForEach(func(k, _ Value) bool { keys = append(keys, k.String()); return true })
	assert.Equal(t, []string{"b", "c", "e"}, keys)
	var n int
	m.Get("arr").ForEach(func(_, v Value) bool { n += int(v.Get("k").Int()); return true })
	assert.Equal(t, 3, n)
	m.Get("g").ForEach(func(_, _ Value) bool { t.Fatal("scalar has no members"); return true })
	assert.True(t, m.Get("t").result().Bool())
}

func FuzzMessage(f *testing.F) {
	f.Add([]byte(sampleDoc), "a.b", "x")
	f.Add([]byte(`{"a":[1]}`), "a.0", "1")
	f.Add([]byte(`{`), "a", "")
	f.Add([]byte(`{"a":1,}`), "a.b.c", "v")
	f.Fuzz(func(t *testing.T, data []byte, path, value string) {
		path = strings.TrimSpace(path) // Message trims paths, as Substation does
		m := NewMessage(bytes.Clone(data))
		want := gjson.GetBytes(data, path)
		if got := m.Get(path); want.Raw != got.Raw() && json.Valid(data) {
			t.Fatalf("get %q on %q: %q, want %q", path, data, got.Raw(), want.Raw)
		}
		if writable(path) != nil && strings.Contains(writable(path).Error(), "array index") {
			// sjson would pad an array with nulls up to the index (and run
			// out of memory); Weir refuses the write.
			require.Error(t, m.Set(path, value))
			return
		}
		// Set writes a string as Substation does (appendText: one that holds
		// a JSON object or array as that JSON, one in double quotes around
		// JSON without them); sjson places that text.
		wantSet, werr := sjson.SetRawBytes(bytes.Clone(data), path, appendText(nil, value))
		err := m.Set(path, value)
		// sjson ignores paths with "@name" parts; Weir writes the member.
		if werr == nil && err == nil && json.Valid(data) && !strings.Contains(path, "@") && !bytes.Equal(wantSet, m.Data()) {
			t.Fatalf("set %q=%q on %q: %q, want %q", path, value, data, m.Data(), wantSet)
		}
		_ = m.Delete(path)
		_ = m.Data()
	})
}

// The benchmarks below compare the Message against the naive use of
// gjson/sjson that rescans (and, for writes, rewrites) the whole event on
// every access.

// readPaths are the 18 CloudTrail fields workload W1 reads.
var readPaths = []string{
	"eventTime", "eventName", "eventID", "eventSource", "responseElements.ConsoleLogin", "errorCode",
	"eventType", "awsRegion", "recipientAccountId", "sourceIPAddress", "userIdentity.principalId",
	"userIdentity.userName", "userIdentity.arn", "userAgent", "tlsDetails.cipherSuite",
	"tlsDetails.tlsVersion", "readOnly", "errorMessage",
}

// buildFields are the 23 fields of W1's ECS-shaped output.
var buildFields = []struct {
	path  string
	value any
}{
	{"@timestamp", "2023-05-08T09:05:54Z"}, {"event.start", int64(1683536754000)}, {"event.action", "ConsoleLogin"},
	{"event.id", "451b4cf3-6123-4df7-b656-af7229d4beef"}, {"event.provider", "signin.amazonaws.com"},
	{"event.hash", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	{"event.original", `{"eventVersion":"1.08","eventName":"ConsoleLogin","awsRegion":"us-east-1"}`},
	{"event.outcome", "success"}, {"event.category", []string{"authentication"}}, {"cloud.provider", "aws"},
	{"cloud.region", "us-east-1"}, {"cloud.account.id", "210987654321"}, {"cloud.service.name", "signin"},
	{"source.ip", "2001:db8:248e:579f::88be"}, {"source.domain", "signin.amazonaws.com"},
	{"user.id", "AIDA5D65A441D58842DEA"}, {"user.name", "bob"},
	{"user_agent.original", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"},
	{"tls.cipher", "TLS_AES_128_GCM_SHA256"}, {"tls.version", "1.3"}, {"aws.cloudtrail.read_only", false},
	{"aws.cloudtrail.error_code", "AccessDenied"}, {"aws.cloudtrail.error_message", "User is not authorized"},
}

func benchRecords(b *testing.B) [][]byte {
	b.Helper()
	f, err := os.Open("testdata/bench/cloudtrail-gen.ndjson")
	require.NoError(b, err)
	defer f.Close()
	var recs [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		recs = append(recs, bytes.Clone(sc.Bytes()))
	}
	require.NoError(b, sc.Err())
	return recs
}

func BenchmarkRead18(b *testing.B) {
	recs := benchRecords(b)
	b.Run("naive-gjson", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for i := 0; b.Loop(); i++ {
			rec := recs[i%len(recs)]
			for _, p := range readPaths {
				n += len(gjson.GetBytes(rec, p).Str)
			}
		}
		_ = n
	})
	b.Run("message", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for i := 0; b.Loop(); i++ {
			m := NewMessage(recs[i%len(recs)])
			for _, p := range readPaths {
				n += len(m.Get(p).String())
			}
		}
		_ = n
	})
}

func BenchmarkBuild23(b *testing.B) {
	b.Run("naive-sjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out []byte
			for _, f := range buildFields {
				out, _ = sjson.SetBytes(out, sjsonPath(f.path), f.value)
			}
		}
	})
	b.Run("message", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := NewMessage(nil)
			for _, f := range buildFields {
				_ = m.Set(f.path, f.value)
			}
			_ = m.Data()
		}
	})
}

func TestBuildFieldsMatchSJSON(t *testing.T) {
	t.Parallel()
	var want []byte
	m := NewMessage(nil)
	for _, f := range buildFields {
		raw, err := encodeValue(f.value)
		require.NoError(t, err)
		// sjson skips "@timestamp" (it looks like a modifier); Weir writes
		// it, as sjson does for the escaped path.
		want, err = sjson.SetRawBytes(want, sjsonPath(f.path), raw)
		require.NoError(t, err)
		require.NoError(t, m.Set(f.path, f.value))
	}
	assert.Equal(t, string(want), string(m.Data()))
}

// sjsonPath escapes a leading '@' so that sjson writes the member instead of
// ignoring the path.
func sjsonPath(p string) string {
	if len(p) > 0 && p[0] == '@' {
		return `\` + p
	}
	return p
}

func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "plain", "quo\"te", "<a&b>", "\b\f\n\r\t\x00\x1f", "é", "\u2028\u2029", "\xff\xfe", "a\xc3", "日本",
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"a":"<b>&amp;</b>"}`, "0123456789abcdef\x7f\x80\u2028 tail of some length"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendEscaped(nil, s)))
	})
}

// TestAppendEscapedEveryByte checks appendEscaped, which skips eight
// bytes at a time, against encoding/json for every byte value at every
// position of a word, alone and after another byte to escape.
func TestAppendEscapedEveryByte(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		for pos := range 17 {
			for _, before := range []byte{'a', '"', 0x01, 0xc3} {
				b := bytes.Repeat([]byte{'a'}, 19)
				b[pos] = byte(c)
				if pos > 0 {
					b[pos-1] = before
				}
				want, err := json.Marshal(string(b))
				require.NoError(t, err)
				require.Equal(t, string(want), string(appendEscaped(nil, string(b))), "byte %#x at %d after %#x", c, pos, before)
			}
		}
	}
}

// TestMessageRereadAfterWrite checks that a path read again after a write
// sees the write (the document remembers its last read).
func TestMessageRereadAfterWrite(t *testing.T) {
	m := NewMessage([]byte(`{"a":{"b":1}}`))
	p := ParsePath("a.b")
	require.Equal(t, "1", p.Get(m).Raw())
	require.Equal(t, "1", m.Get("a.b").Raw())
	require.NoError(t, m.Delete("a"))
	assert.False(t, p.Get(m).Exists())
	require.NoError(t, m.SetRaw("a", []byte(`{"b":2}`)))
	assert.Equal(t, "2", p.Get(m).Raw())
	assert.False(t, m.Get("x").Exists())
	require.NoError(t, m.Set("x", "y"))
	assert.Equal(t, "y", m.Get("x").String())
	m.SetData([]byte(`{"x":"z"}`))
	assert.Equal(t, "z", m.Get("x").String())
	m.Reset([]byte(`{"a":{"b":3}}`))
	assert.Equal(t, "3", p.Get(m).Raw())
	assert.False(t, m.Get("x").Exists())
}

// FuzzValue checks that a Value read through the index answers as the
// gjson result of the same path does.
func FuzzValue(f *testing.F) {
	f.Add([]byte(sampleDoc), "a.b")
	f.Add([]byte(`{"s":"x\"y","n":1.50,"i":-3,"t":true,"z":null,"o":{},"a":[1,"2"]}`), "s")
	f.Add([]byte(`{"n":1e400}`), "n")
	f.Add([]byte(`{"n":9007199254740993,"m":-99999999999999999999,"k":1700000000000000000,"z":-0}`), "m")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		path = strings.TrimSpace(path)
		if !json.Valid(data) {
			return
		}
		want := gjson.GetBytes(data, path)
		got := NewMessage(bytes.Clone(data)).Get(path)
		r := got.result()
		require.Equal(t, want.Exists(), got.Exists(), "exists %q", path)
		require.Equal(t, want.Raw, got.Raw(), "raw %q", path)
		require.Equal(t, want.String(), got.String(), "string %q", path)
		require.Equal(t, want.Type, r.Type, "type %q", path)
		require.Equal(t, want.Int(), got.Int(), "int %q", path)
		require.Equal(t, want.Bool(), got.Bool(), "bool %q", path)
		require.Equal(t, want.IsObject(), got.IsObject())
		require.Equal(t, want.IsArray(), got.IsArray())
		require.Equal(t, want.Type == gjson.Null && want.Exists(), got.IsNull())
		if f := want.Float(); f == f { // not NaN
			require.Equal(t, f, got.Float(), "float %q", path)
		}
	})
}

func TestPathEscapes(t *testing.T) {
	t.Parallel()
	p := ParsePath(`meta ecs.\@timestamp`)
	require.Len(t, p.parts, 2, "an escaped '@' keeps the path plain")
	assert.Equal(t, "@timestamp", p.name(p.parts[1]))
	m := NewMessage([]byte(`{"a":1}`))
	require.NoError(t, p.SetValue(m, ValueOf([]byte(`"2024-01-01T00:00:00Z"`))))
	require.NoError(t, m.SetText(`meta ecs.a\.b`, "x"))
	assert.JSONEq(t, `{"ecs":{"@timestamp":"2024-01-01T00:00:00Z","a.b":"x"}}`, string(m.Metadata()))
	assert.Equal(t, "x", m.Get(`meta ecs.a\.b`).String())
	assert.Equal(t, `"2024-01-01T00:00:00Z"`, p.Get(m).Raw())
	for _, s := range []string{`a\b`, `a\`, `a\1`, `a.\ b`} {
		assert.Nil(t, ParsePath(s).parts, "%q is left to gjson and sjson", s)
	}
}

func TestCtlOrHigh(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		if c == '"' || c == '\\' {
			continue
		}
		for _, n := range []int{0, 3, 7, 8, 15, 16} {
			for pos := 0; pos <= n; pos++ {
				b := bytes.Repeat([]byte{' '}, n+1)
				b[pos] = byte(c)
				assert.Equal(t, needsEscape(string(b)), ctlOrHigh(string(b)), "byte %#x at %d of %d", c, pos, n+1)
			}
		}
	}
}

func TestAppendInt(t *testing.T) {
	t.Parallel()
	ns := []int64{0, 1, -1, 9, 10, 11, 99, 100, 101, -99, -100, 999, 1000,
		1 << 31, 1<<53 + 1, 1700000000000, 1700000000000000000,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for p := int64(1); p > 0 && p <= math.MaxInt64/10; p *= 10 {
		ns = append(ns, p-1, p, p+1, -p+1, -p, -p-1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		ns = append(ns, int64(r.Uint64())>>r.IntN(64))
	}
	for _, n := range ns {
		assert.Equal(t, strconv.AppendInt([]byte("x"), n, 10), appendInt([]byte("x"), n), "%d", n)
	}
}

// BenchmarkAppendEscaped escapes a W1 CloudTrail record, what
// object_to_string does to every event.
func BenchmarkAppendEscaped(b *testing.B) {
	line, err := os.ReadFile("testdata/w1/cloudtrail.ndjson")
	require.NoError(b, err)
	s := string(line[:bytes.IndexByte(line, '\n')])
	buf := make([]byte, 0, 2*len(s)+16)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = appendEscaped(buf[:0], s)
	}
}

// FuzzMessageSequence runs a sequence of reads, writes and deletions over
// paths that share all but their last parts (what the document's memos of
// the last path and of its parent object serve) and checks every read, and
// the data at the end, against gjson and sjson applied to the text.
func FuzzMessageSequence(f *testing.F) {
	f.Add(0, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add(1, []byte{16, 17, 18, 33, 34, 49, 50, 65, 66, 1, 2, 3})
	f.Add(2, []byte{40, 41, 42, 43, 80, 81, 82, 83, 120, 121, 122, 123, 1, 9, 17})
	f.Add(0, []byte{72, 73, 74, 75, 76, 77, 78, 79, 100, 101, 102, 103, 104})
	starts := []string{`{}`, `{"a":{"b":{"c":1},"x":2},"e":{"f":3}}`, `{"a":1,"e":[{"f":1}]}`, `{"a": {"b" : 1}}`}
	paths := []string{"a", "a.b", "a.x", "a.b.c", "a.b.d", "e.f", "e.g", "a.b.c.d"}
	values := []string{`1`, `"s"`, `{"c":2,"d":{"z":1}}`, `[1,2]`, `{}`, `null`}
	f.Fuzz(func(t *testing.T, start int, prog []byte) {
		if start < 0 {
			start = -start
		}
		if len(prog) > 200 {
			prog = prog[:200] // long programs repeat short ones, slowly
		}
		ref := []byte(starts[start%len(starts)])
		m := NewMessage(bytes.Clone(ref))
		meta := NewMessage(nil) // the same program on an empty metadata document
		metaRef := []byte(nil)
		parsed := make([]Path, len(paths))
		for i, p := range paths {
			parsed[i] = ParsePath(p)
		}
		for _, op := range prog {
			path, v := paths[op%8], values[(op/8)%6]
			p := parsed[op%8]
			mp := ParsePath("meta " + path)
			switch op / 48 {
			case 0, 1: // read, through a parsed path or a string
				want := gjson.GetBytes(ref, path).Raw
				got := p.Get(m).Raw()
				if op%2 == 0 {
					got = m.Get(path).Raw()
				}
				require.Equal(t, want, got, "get %q from %s", path, ref)
				require.Equal(t, gjson.GetBytes(metaRef, path).Raw, mp.Get(meta).Raw(), "get meta %q from %s", path, metaRef)
			case 2, 3, 4: // write
				// sjson fails to write a member into an array; so must Weir.
				if out, err := sjson.SetRawBytes(ref, path, []byte(v)); err != nil {
					require.Error(t, p.SetRaw(m, []byte(v)), "set %q in %s", path, ref)
				} else {
					ref = out
					require.NoError(t, p.SetRaw(m, []byte(v)))
				}
				if out, err := sjson.SetRawBytes(metaRef, path, []byte(v)); err != nil {
					require.Error(t, mp.SetRaw(meta, []byte(v)), "set meta %q in %s", path, metaRef)
				} else {
					metaRef = out
					require.NoError(t, mp.SetRaw(meta, []byte(v)))
				}
			default: // delete
				var err error
				ref, err = sjson.DeleteBytes(ref, path)
				require.NoError(t, err)
				require.NoError(t, p.Delete(m))
				metaRef, err = sjson.DeleteBytes(metaRef, path)
				require.NoError(t, err)
				require.NoError(t, mp.Delete(meta))
			}
		}
		assertSameJSON(t, ref, m.Data())
		assertSameJSON(t, metaRef, meta.Metadata())
	})
}

// assertSameJSON checks that got is the JSON want is (empty when want is).
func assertSameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	if len(want) == 0 {
		assert.Empty(t, got)
		return
	}
	assert.JSONEq(t, string(want), string(got))
}

// TestMemberNameLengths checks member lookups, which compare names of 4 to
// 16 bytes by word loads, against gjson for names of every length that
// differ from one another in one byte, at every position.
func TestMemberNameLengths(t *testing.T) {
	t.Parallel()
	for l := 1; l <= 20; l++ {
		for pos := range l {
			a := strings.Repeat("k", l)
			b := a[:pos] + "b" + a[pos+1:]
			c := a[:pos] + "c" + a[pos+1:]
			doc := []byte(`{"` + b + `":1,"` + a + `":2,"x":{"` + a + `":3,"` + b + `":4}}`)
			m := NewMessage(doc)
			for _, p := range []string{a, b, c, "x." + a, "x." + b, "x." + c} {
				assert.Equal(t, gjson.GetBytes(doc, p).Raw, m.Get(p).Raw(), "%q in %s", p, doc)
			}
		}
	}
}
