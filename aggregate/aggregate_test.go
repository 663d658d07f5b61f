package aggregate_test

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a fake time source that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one Add in a table test: the key and item, how far the clock moves
// before it, and the batches it must release (as "key:item,item").
type step struct {
	key, item string
	wait      time.Duration
	want      []string
}

// show renders batches compactly.
func show(bs []aggregate.Batch) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s:%s", b.Key, bytes.Join(b.Items, []byte(","))))
	}
	return out
}

func TestBatcherAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   aggregate.Config
		steps []step
		flush []string
	}{
		{
			name: "count",
			cfg:  aggregate.Config{Count: 2},
			steps: []step{
				{key: "", item: "a"},
				{key: "", item: "b", want: []string{":a,b"}},
				{key: "", item: "c"},
			},
			flush: []string{":c"},
		},
		{
			name: "count one releases every item",
			cfg:  aggregate.Config{Count: 1},
			steps: []step{
				{key: "k", item: "a", want: []string{"k:a"}},
				{key: "k", item: "b", want: []string{"k:b"}},
			},
		},
		{
			name: "size: an item that does not fit starts the next batch",
			cfg:  aggregate.Config{Size: 5},
			steps: []step{
				{key: "", item: "ab"},
				{key: "", item: "cd"},
				{key: "", item: "ef", want: []string{":ab,cd"}},
			},
			flush: []string{":ef"},
		},
		{
			name: "size reached exactly releases at once",
			cfg:  aggregate.Config{Size: 4},
			steps: []step{
				{key: "", item: "ab"},
				{key: "", item: "cd", want: []string{":ab,cd"}},
			},
		},
		{
			name: "two batches from one add",
			cfg:  aggregate.Config{Size: 4},
			steps: []step{
				{key: "", item: "ab"},
				{key: "", item: "cdef", want: []string{":ab", ":cdef"}},
			},
		},
		{
			name: "keys batch apart and flush in first-seen order",
			cfg:  aggregate.Config{Count: 3},
			steps: []step{
				{key: "x", item: "1"},
				{key: "y", item: "2"},
				{key: "x", item: "3"},
				{key: "z", item: "4"},
				{key: "y", item: "5"},
			},
			flush: []string{"x:1,3", "y:2,5", "z:4"},
		},
		{
			name: "age from the first item",
			cfg:  aggregate.Config{Duration: time.Minute},
			steps: []step{
				{key: "", item: "a"},
				{key: "", item: "b", wait: 40 * time.Second},
				{key: "", item: "c", wait: 40 * time.Second, want: []string{":a,b"}},
				{key: "", item: "d", wait: 30 * time.Second},
			},
			flush: []string{":c,d"},
		},
		{
			name: "idle gap from the latest item",
			cfg:  aggregate.Config{Duration: time.Minute, Idle: true},
			steps: []step{
				{key: "", item: "a"},
				{key: "", item: "b", wait: 40 * time.Second},
				{key: "", item: "c", wait: 40 * time.Second},
				{key: "", item: "d", wait: 61 * time.Second, want: []string{":a,b,c"}},
			},
			flush: []string{":d"},
		},
		{
			name: "a late first item is not an empty batch",
			cfg:  aggregate.Config{Duration: time.Second},
			steps: []step{
				{key: "", item: "a", wait: time.Hour},
			},
			flush: []string{":a"},
		},
		{
			name:  "defaults",
			cfg:   aggregate.Config{},
			steps: []step{{key: "", item: "a"}, {key: "", item: "b", wait: 59 * time.Second}},
			flush: []string{":a,b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			cfg := tt.cfg
			cfg.Now = c.Now
			b, err := aggregate.New(cfg)
			require.NoError(t, err)
			for i, s := range tt.steps {
				c.Advance(s.wait)
				got, err := b.Add(s.key, []byte(s.item))
				require.NoError(t, err)
				assert.Equal(t, s.want, show(got), "step %d", i)
			}
			assert.Equal(t, tt.flush, show(b.Flush()), "flush")
			assert.Nil(t, b.Flush(), "second flush")
			assert.Zero(t, b.Len())
		})
	}
}

func TestBatcherTooLarge(t *testing.T) {
	t.Parallel()
	b, err := aggregate.New(aggregate.Config{Size: 3})
	require.NoError(t, err)
	_, err = b.Add("", []byte("ab"))
	require.NoError(t, err)
	done, err := b.Add("", []byte("abcd"))
	assert.Nil(t, done)
	require.ErrorIs(t, err, weir.ErrTooLarge)
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	assert.Equal(t, 1, b.Len(), "the open batch is untouched")
	assert.Equal(t, []string{":ab"}, show(b.Flush()))
}

func TestBatcherBatchFields(t *testing.T) {
	t.Parallel()
	b, err := aggregate.New(aggregate.Config{Count: 2})
	require.NoError(t, err)
	_, err = b.Add("k", []byte("abc"))
	require.NoError(t, err)
	done, err := b.Add("k", []byte("de"))
	require.NoError(t, err)
	require.Len(t, done, 1)
	assert.Equal(t, aggregate.Batch{Key: "k", Items: [][]byte{[]byte("abc"), []byte("de")}, Size: 5}, done[0])
}

func TestBatcherFlushKey(t *testing.T) {
	t.Parallel()
	b, err := aggregate.New(aggregate.Config{})
	require.NoError(t, err)
	_, ok := b.FlushKey("x")
	assert.False(t, ok)
	for _, k := range []string{"x", "y", "x"} {
		_, err := b.Add(k, []byte(k))
		require.NoError(t, err)
	}
	got, ok := b.FlushKey("x")
	require.True(t, ok)
	assert.Equal(t, []string{"x:x,x"}, show([]aggregate.Batch{got}))
	assert.Equal(t, 1, b.Len())
	assert.Equal(t, []string{"y:y"}, show(b.Flush()))
}

func TestNewInvalid(t *testing.T) {
	t.Parallel()
	for _, cfg := range []aggregate.Config{{Count: -1}, {Size: -1}, {Duration: -time.Second}} {
		_, err := aggregate.New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

// TestBatcherConcurrent adds from many goroutines while others flush, and
// checks under -race that every item comes out exactly once, in a batch
// within the limits.
func TestBatcherConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG, maxCount = 8, 500, 7
	b, err := aggregate.New(aggregate.Config{Count: maxCount, Size: 64})
	require.NoError(t, err)

	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	collect := func(bs []aggregate.Batch) {
		mu.Lock()
		defer mu.Unlock()
		for _, bt := range bs {
			assert.LessOrEqual(t, len(bt.Items), maxCount)
			assert.LessOrEqual(t, bt.Size, 64)
			for _, it := range bt.Items {
				seen[string(it)]++
			}
		}
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				done, err := b.Add(strconv.Itoa(i%3), []byte(fmt.Sprintf("%d-%d", g, i)))
				assert.NoError(t, err)
				collect(done)
				if i%50 == 0 {
					collect(b.Flush())
				}
			}
		})
	}
	wg.Wait()
	collect(b.Flush())
	assert.Len(t, seen, goroutines*perG)
	for item, n := range seen {
		if n != 1 {
			t.Errorf("item %s released %d times", item, n)
		}
	}
}

func TestEncoders(t *testing.T) {
	t.Parallel()
	items := [][]byte{[]byte(`{"a":1}`), []byte(" "), []byte(`2`)}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"array", aggregate.AppendJSONArray(nil, items), `[{"a":1},2]`},
		{"array empty", aggregate.AppendJSONArray(nil, nil), `[]`},
		{"array appends", aggregate.AppendJSONArray([]byte("x"), items[:1]), `x[{"a":1}]`},
		{"join", aggregate.AppendJoin(nil, items, []byte(`\n`)), `{"a":1}\n \n2`},
		{"join empty", aggregate.AppendJoin(nil, nil, []byte(",")), ``},
		{"ndjson", aggregate.AppendNDJSON(nil, [][]byte{[]byte("a"), []byte("b")}), "a\nb\n"},
		{"ndjson empty", aggregate.AppendNDJSON(nil, nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, string(tt.got))
		})
	}
}

func BenchmarkBatcherAdd(b *testing.B) {
	item := []byte(`{"event":"login","user":"alice","src":"10.0.0.1"}`)
	for _, keys := range []int{1, 16} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			names := make([]string, keys)
			for i := range names {
				names[i] = strconv.Itoa(i)
			}
			bt, err := aggregate.New(aggregate.Config{Count: 500})
			require.NoError(b, err)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := bt.Add(names[i%keys], item); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		bt, err := aggregate.New(aggregate.Config{Count: 500})
		require.NoError(b, err)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := bt.Add("", item); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkAppendJSONArray compares the encoder with the naive baseline,
// bytes.Join plus brackets.
func BenchmarkAppendJSONArray(b *testing.B) {
	items := make([][]byte, 500)
	for i := range items {
		items[i] = []byte(`{"event":"login","user":"alice","n":` + strconv.Itoa(i) + `}`)
	}
	b.Run("AppendJSONArray", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = aggregate.AppendJSONArray(buf[:0], items)
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := append([]byte("["), bytes.Join(items, []byte(","))...)
			_ = append(out, ']')
		}
	})
}

func TestHold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  aggregate.Config
		add  []string
		want [][]string // batches released by each Add
	}{
		{"count", aggregate.Config{Count: 2, Hold: true}, []string{"a", "b", "c", "d", "e"},
			[][]string{nil, nil, {"a,b"}, nil, {"c,d"}}},
		{"size", aggregate.Config{Size: 4, Hold: true}, []string{"ab", "cd", "e", "fgh"},
			[][]string{nil, nil, {"ab,cd"}, nil}},
		{"without hold", aggregate.Config{Count: 2}, []string{"a", "b", "c"},
			[][]string{nil, {"a,b"}, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := aggregate.New(tc.cfg)
			require.NoError(t, err)
			for i, item := range tc.add {
				done, err := b.Add("", []byte(item))
				require.NoError(t, err)
				var got []string
				for _, bt := range done {
					got = append(got, string(aggregate.AppendJoin(nil, bt.Items, []byte(","))))
				}
				assert.Equal(t, tc.want[i], got, "after %q", item)
			}
		})
	}
}
