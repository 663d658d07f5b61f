package transform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

func TestHash(t *testing.T) {
	t.Parallel()
	const obj = `"object":{"source_key":"a","target_key":"a"}`
	tests := []struct {
		name, config, in, want string
	}{
		// Substation v2 conformance vectors (byte for byte).
		{"md5/data", `{"type":"hash_md5","settings":{"algorithm":"MD5"}}`, `a`, `0cc175b9c0f1b6a831c399e269772661`},
		{"md5/object", `{"type":"hash_md5","settings":{"algorithm":"MD5",` + obj + `}}`,
			`{"a":"b"}`, `{"a":"92eb5ffee6ae2fec3ad71c777531578f"}`},
		{"sha256/data", `{"type":"hash_sha256","settings":{}}`, `a`,
			`ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb`},
		{"sha256/object", `{"type":"hash_sha256","settings":{` + obj + `}}`, `{"a":"b"}`,
			`{"a":"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"}`},

		// Weir's own algorithms, against published test values.
		{"sha1/data", `{"type":"hash_sha1"}`, `a`, `86f7e437faa5a7fce15d1ddcb9eaeaea377667b8`},
		{"sha512/data", `{"type":"hash_sha512"}`, `a`,
			`1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75`},
		{"xxhash64/data", `{"type":"hash_xxhash64"}`, `a`, `d24ec4f1a98c6e5b`},
		{"xxhash64/empty", `{"type":"hash_xxhash64"}`, ``, `ef46db3751d8e999`},
		{"xxhash64/object", `{"type":"hash_xxhash64","settings":{` + obj + `}}`, `{"a":"a"}`, `{"a":"d24ec4f1a98c6e5b"}`},
		{"fnv/data", `{"type":"hash_fnv"}`, `a`, `af63dc4c8601ec8c`},
		{"fnv/empty", `{"type":"hash_fnv"}`, ``, `cbf29ce484222325`},
		{"fnv/object", `{"type":"hash_fnv","settings":{` + obj + `}}`, `{"a":"a"}`, `{"a":"af63dc4c8601ec8c"}`},

		// A string is hashed unescaped, anything else as its JSON text.
		{"escaped string", `{"type":"hash_md5","settings":{` + obj + `}}`, `{"a":"\u0061"}`,
			`{"a":"0cc175b9c0f1b6a831c399e269772661"}`},
		{"number", `{"type":"hash_sha1","settings":{"object":{"source_key":"n","target_key":"h"}}}`,
			`{"n":1}`, `{"n":1,"h":"356a192b7913b04c54574d18c28d46e6395428ab"}`},
		{"object", `{"type":"hash_fnv","settings":{"object":{"source_key":"o","target_key":"h"}}}`,
			`{"o":{"a":"a"}}`, `{"o":{"a":"a"},"h":"` + hashFNVHex(`{"a":"a"}`) + `"}`},
		{"missing source passes", `{"type":"hash_sha256","settings":{` + obj + `}}`, `{"b":1}`, `{"b":1}`},
		{"new target", `{"type":"hash_md5","settings":{"object":{"source_key":"a","target_key":"x.md5"}}}`,
			`{"a":"a"}`, `{"a":"a","x":{"md5":"0cc175b9c0f1b6a831c399e269772661"}}`},
		{"binary data", `{"type":"hash_fnv"}`, "\xff\x00", hashFNVHex("\xff\x00")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := strRun(t, strCfg(t, tc.config), tc.in, "")
			require.Len(t, out, 1)
			assert.Equal(t, tc.want, string(out[0].Data()))
		})
	}
}

// hashFNVHex is the reference: hash/fnv's FNV-1a, in hex.
func hashFNVHex(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

func TestHashFNVMatchesStdlib(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		h := fnv.New64a()
		h.Write(b)
		require.Equal(t, h.Sum64(), fnv1a64(b), "length %d", n)
	}
}

func TestHashMetadata(t *testing.T) {
	t.Parallel()
	tf, err := NewHashSHA256(HashSHA256Config{Object: ObjectSettings{SourceKey: "meta user", TargetKey: "meta user_hash"}})
	require.NoError(t, err)
	msg := weir.NewMessage([]byte(`{"x":1}`)).SetMetadata([]byte(`{"user":"b"}`))
	out, err := tf.Transform(context.Background(), msg)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, `{"x":1}`, string(out[0].Data()))
	assert.Equal(t, `{"user":"b","user_hash":"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"}`,
		string(out[0].Metadata()))
}

func TestHashControl(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"hash_md5", "hash_sha1", "hash_sha256", "hash_sha512", "hash_xxhash64", "hash_fnv"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			tf, err := New(context.Background(), weir.Config{Type: typ})
			require.NoError(t, err)
			ctrl := weir.NewControl()
			out, err := tf.Transform(context.Background(), ctrl)
			require.NoError(t, err)
			assert.Equal(t, []*weir.Message{ctrl}, out)
		})
	}
}

func TestHashConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, field string
	}{
		{"source without target", `{"type":"hash_md5","settings":{"object":{"source_key":"a"}}}`, "object.target_key"},
		{"target without source", `{"type":"hash_fnv","settings":{"object":{"target_key":"a"}}}`, "object.source_key"},
		{"unknown setting", `{"type":"hash_sha1","settings":{"algorithm":"SHA1"}}`, "algorithm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), strCfg(t, tc.config))
			require.Error(t, err)
			var ce *weir.ConfigError
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			assert.Equal(t, tc.field, ce.Field)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
		})
	}
}

func BenchmarkHash(b *testing.B) {
	obj := ObjectSettings{SourceKey: "user.email", TargetKey: "user.email_hash"}
	for _, tc := range []struct {
		name string
		tf   Transformer
	}{
		{"md5", strMust(NewHashMD5(HashMD5Config{Object: obj}))},
		{"sha1", strMust(NewHashSHA1(HashSHA1Config{Object: obj}))},
		{"sha256", strMust(NewHashSHA256(HashSHA256Config{Object: obj}))},
		{"sha512", strMust(NewHashSHA512(HashSHA512Config{Object: obj}))},
		{"xxhash64", strMust(NewHashXXHash64(HashXXHash64Config{Object: obj}))},
		{"fnv", strMust(NewHashFNV(HashFNVConfig{Object: obj}))},
	} {
		b.Run(tc.name, func(b *testing.B) { strBench(b, tc.tf, strBenchEvent) })
	}
	b.Run("sha256/data", func(b *testing.B) {
		strBench(b, strMust(NewHashSHA256(HashSHA256Config{})), strBenchEvent)
	})
	// The naive way, for comparison: fmt and a string conversion, as
	// Substation writes it.
	b.Run("sha256/naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			msg := weir.NewMessage([]byte(strBenchEvent))
			sum := fmt.Sprintf("%x", sha256.Sum256(msg.Get("user.email").Bytes()))
			if err := msg.Set("user.email_hash", sum); err != nil {
				b.Fatal(err)
			}
			_ = msg.Data()
		}
	})
}
