package aggregate_test

import (
	"bytes"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/internal/testenv"
)

// packAll aggregates recs into as many aggregated records as needed and
// returns them as outer Kinesis records.
func packAll(t testing.TB, cfg aggregate.KPLConfig, recs []aggregate.KPLRecord) []aggregate.KPLRecord {
	t.Helper()
	a, err := aggregate.NewKPLAggregator(cfg)
	require.NoError(t, err)
	limit := cfg.MaxSize
	if limit == 0 {
		limit = aggregate.KPLMaxSize
	}
	var out []aggregate.KPLRecord
	emit := func() {
		size := a.Size()
		data := a.Append(nil)
		require.Equal(t, size, len(data)+len(a.PartitionKey()), "Size must be exact")
		require.LessOrEqual(t, size, limit)
		out = append(out, aggregate.KPLRecord{PartitionKey: a.PartitionKey(), Data: data})
		a.Reset()
	}
	for _, r := range recs {
		err := a.Add(r)
		if err == aggregate.ErrKPLFull {
			emit()
			err = a.Add(r)
		}
		require.NoError(t, err)
	}
	if a.Len() > 0 {
		emit()
	}
	return out
}

// unpackAll deaggregates every record.
func unpackAll(t testing.TB, recs []aggregate.KPLRecord) []aggregate.KPLRecord {
	t.Helper()
	var out []aggregate.KPLRecord
	for _, r := range recs {
		users, err := aggregate.Deaggregate(r)
		require.NoError(t, err)
		out = append(out, users...)
	}
	return out
}

// userRecords makes n records with a few partition keys, some explicit
// hash keys and sizes from 0 to size.
func userRecords(n, size int) []aggregate.KPLRecord {
	recs := make([]aggregate.KPLRecord, n)
	for i := range recs {
		recs[i] = aggregate.KPLRecord{
			PartitionKey: fmt.Sprintf("pk-%d", i%7),
			Data:         bytes.Repeat([]byte{byte('a' + i%26)}, (i*7919)%(size+1)),
		}
		if i%3 == 0 {
			recs[i].ExplicitHashKey = fmt.Sprintf("%d", 1000+i%5)
		}
	}
	return recs
}

func TestKPLRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  aggregate.KPLConfig
		n    int
		size int
	}{
		{"small records", aggregate.KPLConfig{}, 5000, 300},
		{"large records fill several aggregates", aggregate.KPLConfig{}, 300, 20000},
		{"count limit", aggregate.KPLConfig{MaxCount: 10}, 95, 100},
		{"size limit 25 KB", aggregate.KPLConfig{MaxSize: 25 * 1024}, 2000, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := userRecords(tc.n, tc.size)
			packed := packAll(t, tc.cfg, in)
			if tc.cfg.MaxCount > 0 {
				assert.Len(t, packed, (tc.n+tc.cfg.MaxCount-1)/tc.cfg.MaxCount)
			}
			for _, p := range packed {
				assert.True(t, aggregate.IsKPLAggregated(p.Data))
			}
			assert.Equal(t, in, normalize(unpackAll(t, packed)))
		})
	}
}

// normalize makes empty data non-nil, as userRecords makes it.
func normalize(recs []aggregate.KPLRecord) []aggregate.KPLRecord {
	for i := range recs {
		if recs[i].Data == nil {
			recs[i].Data = []byte{}
		}
	}
	return recs
}

func TestKPLFillsToTheLimit(t *testing.T) {
	t.Parallel()
	// Records whose sizes walk across every varint boundary must fill each
	// aggregate to the limit without ever passing it.
	const limit = 40000
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{MaxSize: limit})
	require.NoError(t, err)
	for i := range 3000 {
		r := aggregate.KPLRecord{PartitionKey: strings.Repeat("k", 1+i%200), Data: make([]byte, (i*131)%300)}
		before := a.Size()
		err := a.Add(r)
		if err == aggregate.ErrKPLFull {
			// It did not fit: prove that it really would not have.
			b, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{})
			require.NoError(t, err)
			require.NoError(t, b.Add(r))
			require.Greater(t, before+1+len(r.Data), limit-len(r.PartitionKey)-8)
			got := a.Append(nil)
			assert.Equal(t, a.Size(), len(got)+len(a.PartitionKey()))
			assert.LessOrEqual(t, a.Size(), limit)
			a.Reset()
			require.NoError(t, a.Add(r))
			continue
		}
		require.NoError(t, err)
		assert.LessOrEqual(t, a.Size(), limit)
		assert.Equal(t, a.Size(), len(a.Append(nil))+len(a.PartitionKey()))
	}
}

func TestKPLTooLarge(t *testing.T) {
	t.Parallel()
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{})
	require.NoError(t, err)
	pk := "p"
	over := aggregate.KPLRecord{PartitionKey: pk, Data: make([]byte, aggregate.KPLMaxSize)}
	err = a.Add(over)
	require.Error(t, err)
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	assert.Contains(t, err.Error(), "1048576")
	assert.Equal(t, 0, a.Len())

	// The largest data that fits fills the record exactly.
	n := aggregate.KPLMaxSize
	for a.Add(aggregate.KPLRecord{PartitionKey: pk, Data: make([]byte, n)}) != nil {
		n--
	}
	assert.Equal(t, aggregate.KPLMaxSize, a.Size(), "the largest record fills 1 MiB exactly")
	assert.Equal(t, aggregate.KPLMaxSize, len(a.Append(nil))+len(pk))
	assert.Equal(t, aggregate.ErrKPLFull, a.Add(aggregate.KPLRecord{PartitionKey: pk}))
}

func TestKPLPartitionKey(t *testing.T) {
	t.Parallel()
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{})
	require.NoError(t, err)
	assert.ErrorIs(t, a.Add(aggregate.KPLRecord{Data: []byte("x")}), weir.ErrInvalidData)
	err = a.Add(aggregate.KPLRecord{PartitionKey: strings.Repeat("k", 257), Data: []byte("x")})
	assert.ErrorIs(t, err, weir.ErrTooLarge)
	// 256 characters of 3 bytes each are allowed.
	require.NoError(t, a.Add(aggregate.KPLRecord{PartitionKey: strings.Repeat("€", 256), Data: []byte("x")}))
}

func TestKPLConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []aggregate.KPLConfig{{MaxSize: -1}, {MaxSize: aggregate.KPLMaxSize + 1}, {MaxCount: -1}} {
		_, err := aggregate.NewKPLAggregator(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

func TestDeaggregatePassThrough(t *testing.T) {
	t.Parallel()
	good := packAll(t, aggregate.KPLConfig{}, userRecords(3, 10))[0]
	badSum := bytes.Clone(good.Data)
	badSum[len(badSum)-1] ^= 1
	for name, data := range map[string][]byte{
		"plain JSON":      []byte(`{"a":1}`),
		"empty":           {},
		"magic only":      aggregate.KPLMagic,
		"short":           append(bytes.Clone(aggregate.KPLMagic), 1, 2, 3),
		"bad checksum":    badSum,
		"magic, no proto": append(bytes.Clone(aggregate.KPLMagic), make([]byte, 15)...),
	} {
		t.Run(name, func(t *testing.T) {
			in := aggregate.KPLRecord{PartitionKey: "outer", Data: data}
			got, err := aggregate.Deaggregate(in)
			require.NoError(t, err)
			assert.Equal(t, []aggregate.KPLRecord{in}, got)
		})
	}
}

// withSum wraps a protobuf message in the magic bytes and its MD5.
func withSum(msg []byte) []byte {
	sum := md5.Sum(msg)
	return append(append(bytes.Clone(aggregate.KPLMagic), msg...), sum[:]...)
}

func TestDeaggregateMalformed(t *testing.T) {
	t.Parallel()
	rec := func(fields ...[]byte) []byte {
		var b []byte
		for _, f := range fields {
			b = append(b, f...)
		}
		return b
	}
	varint := func(num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
	}
	bytesF := func(num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
	}
	for name, msg := range map[string][]byte{
		"index outside table": rec(bytesF(1, []byte("a")), bytesF(3, rec(varint(1, 1), bytesF(3, []byte("d"))))),
		"no partition index":  rec(bytesF(1, []byte("a")), bytesF(3, rec(bytesF(3, []byte("d"))))),
		"no data":             rec(bytesF(1, []byte("a")), bytesF(3, rec(varint(1, 0)))),
		"ehk outside table":   rec(bytesF(1, []byte("a")), bytesF(3, rec(varint(1, 0), varint(2, 0), bytesF(3, []byte("d"))))),
		"truncated":           rec(bytesF(1, []byte("a")))[:2],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: "o", Data: withSum(msg)})
			assert.ErrorIs(t, err, weir.ErrInvalidData)
		})
	}
	// Tags and unknown fields are skipped.
	msg := rec(bytesF(1, []byte("a")), varint(9, 7),
		bytesF(3, rec(varint(1, 0), bytesF(3, []byte("d")), bytesF(4, rec(bytesF(1, []byte("k")), bytesF(2, []byte("v")))))))
	got, err := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: "o", Data: withSum(msg)})
	require.NoError(t, err)
	assert.Equal(t, []aggregate.KPLRecord{{PartitionKey: "a", Data: []byte("d")}}, got)
}

// interopRecord is a record as kplinterop.js reads and writes it.
type interopRecord struct {
	PartitionKey    string `json:"partitionKey"`
	ExplicitHashKey string `json:"explicitHashKey,omitempty"`
	Data            []byte `json:"data"` // base64 in JSON
}

// runAWSLabs runs awslabs' Node.js aggregation module (aws-kinesis-agg,
// installed with the test servers) in mode on recs.
func runAWSLabs(t *testing.T, mode string, recs []aggregate.KPLRecord) []aggregate.KPLRecord {
	t.Helper()
	modules := testenv.Endpoint(t, "WEIR_NODE_MODULES", "the npm packages (aws-kinesis-agg)")
	in := make([]interopRecord, len(recs))
	for i, r := range recs {
		in[i] = interopRecord{r.PartitionKey, r.ExplicitHashKey, r.Data}
	}
	req, err := json.Marshal(map[string]any{"mode": mode, "records": in})
	require.NoError(t, err)
	cmd := exec.Command("node", filepath.Join("testdata", "kplinterop.js"))
	cmd.Env = append(cmd.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var out []interopRecord
	require.NoError(t, json.Unmarshal(outb, &out))
	res := make([]aggregate.KPLRecord, len(out))
	for i, r := range out {
		res[i] = aggregate.KPLRecord{PartitionKey: r.PartitionKey, ExplicitHashKey: r.ExplicitHashKey, Data: r.Data}
	}
	return res
}

// TestKPLInterop checks Weir's format against awslabs' own implementation
// (github.com/awslabs/kinesis-aggregation, its Node.js module
// aws-kinesis-agg): it reads what Weir aggregates, and Weir reads what it
// aggregates. Its Go module is not served by the module proxy (see
// bench/README.md, KPL).
func TestKPLInterop(t *testing.T) {
	t.Parallel()
	plain := normalize(userRecords(3000, 2000))
	for i := range plain {
		plain[i].ExplicitHashKey = ""
	}
	// aws-kinesis-agg reads a record without an explicit hash key index as
	// index 0 (protobufjs's default), so explicit hash keys are checked
	// on records that all have one.
	hashed := normalize(userRecords(500, 100))
	for i := range hashed {
		hashed[i].ExplicitHashKey = fmt.Sprint(1000 + i%3)
	}
	for name, in := range map[string][]aggregate.KPLRecord{"partition keys": plain, "explicit hash keys": hashed} {
		t.Run(name, func(t *testing.T) {
			t.Run("awslabs reads Weir", func(t *testing.T) {
				packed := packAll(t, aggregate.KPLConfig{}, in)
				got := runAWSLabs(t, "deaggregate", packed)
				if !assert.Equal(t, len(in), len(got)) {
					return
				}
				assert.Equal(t, in, normalize(got))
			})
			t.Run("Weir reads awslabs", func(t *testing.T) {
				packed := runAWSLabs(t, "aggregate", in)
				for _, p := range packed {
					require.True(t, aggregate.IsKPLAggregated(p.Data))
					require.LessOrEqual(t, len(p.Data), aggregate.KPLMaxSize)
				}
				got := unpackAll(t, packed)
				if !assert.Equal(t, len(in), len(got)) {
					return
				}
				assert.Equal(t, in, normalize(got))
			})
		})
	}
	t.Run("several aggregates", func(t *testing.T) {
		assert.Greater(t, len(packAll(t, aggregate.KPLConfig{}, plain)), 1)
	})
}

func FuzzDeaggregate(f *testing.F) {
	for _, recs := range [][]aggregate.KPLRecord{userRecords(5, 20), userRecords(1, 0)} {
		for _, p := range packAll(f, aggregate.KPLConfig{}, normalize(recs)) {
			f.Add(p.Data)
		}
	}
	f.Add([]byte(`{"a":1}`))
	f.Add(withSum([]byte{0x0a, 0x01, 'a', 0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 'd'}))
	f.Fuzz(func(t *testing.T, data []byte) {
		// data as a whole record, and as the protobuf message of a record
		// whose checksum matches (which the MD5 would otherwise guard).
		checkDeaggregate(t, data)
		checkDeaggregate(t, withSum(data))
	})
}

func checkDeaggregate(t *testing.T, data []byte) {
	{
		outer := aggregate.KPLRecord{PartitionKey: "outer", Data: data}
		got, err := aggregate.Deaggregate(outer)
		if err != nil {
			assert.ErrorIs(t, err, weir.ErrInvalidData)
			return
		}
		if len(got) == 1 && bytes.Equal(got[0].Data, data) && got[0].PartitionKey == "outer" {
			return // passed through
		}
		// What came out of an aggregate aggregates again to the same
		// records (where Kinesis would accept them).
		if len(got) == 0 {
			return // an aggregate of no records
		}
		for _, r := range got {
			if r.PartitionKey == "" || len([]rune(r.PartitionKey)) > aggregate.KPLMaxPartitionKey {
				return
			}
		}
		a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{})
		require.NoError(t, err)
		for _, r := range got {
			if err := a.Add(r); err != nil {
				return // the fuzzed record holds more than one Kinesis record can
			}
		}
		again, err := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: a.PartitionKey(), Data: a.Append(nil)})
		require.NoError(t, err)
		assert.Equal(t, normalize(got), normalize(again))
	}
}

func BenchmarkKPLAggregate(b *testing.B) {
	for _, size := range []int{200, 1000, 25000} {
		b.Run(fmt.Sprintf("record=%dB", size), func(b *testing.B) { benchKPLAdd(b, size) })
	}
}

// benchKPLAdd adds size-byte records with four partition keys to a KPL
// aggregate, emitting and resetting it when full, one record per op.
func benchKPLAdd(b *testing.B, size int) {
	a, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{})
	require.NoError(b, err)
	data := bytes.Repeat([]byte("x"), size)
	pks := []string{"a", "b", "c", "d"}
	var buf []byte
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := aggregate.KPLRecord{PartitionKey: pks[i%len(pks)], Data: data}
		if a.Add(r) == aggregate.ErrKPLFull {
			buf = a.Append(buf[:0])
			a.Reset()
			if err := a.Add(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	_ = buf
}

func BenchmarkDeaggregate(b *testing.B) {
	packed := packAll(b, aggregate.KPLConfig{}, normalize(userRecords(2000, 1000)))[0]
	b.SetBytes(int64(len(packed.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aggregate.Deaggregate(packed); err != nil {
			b.Fatal(err)
		}
	}
}
