package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
)

// eventsFlag sets the size of TestGroup. make test runs the default under
// -race, and one million without (its kafka-million target):
// `go test -run '^TestGroup$' ./examples/kafka-consumer -kafka.events=1000000`.
var eventsFlag = flag.Int("kafka.events", 20000, "input events of TestGroup")

func TestMain(m *testing.M) {
	testenv.Main(m, true)
}

const (
	partitions = 12
	group      = "weir"
	inTopic    = "cloudtrail"
	outTopic   = "cloudtrail-ecs"
	errTopic   = "cloudtrail-errors"
)

// workload is the input: event i is the (i mod 300)th record of
// testdata/w1, except that every 1000th is not CloudTrail, which the
// pipeline fails.
type workload struct {
	recs [][]byte
	want []string // the pipeline's output for each record; "" for dropped
}

func newWorkload(t testing.TB) *workload {
	t.Helper()
	f, err := os.Open("../../testdata/w1/cloudtrail.ndjson")
	require.NoError(t, err)
	defer f.Close()
	w := &workload{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		w.recs = append(w.recs, bytes.Clone(sc.Bytes()))
	}
	require.NoError(t, sc.Err())
	p := loadPipeline(t)
	for _, r := range w.recs {
		out, err := p.Transform(context.Background(), weir.NewMessage(bytes.Clone(r)))
		require.NoError(t, err)
		require.LessOrEqual(t, len(out), 1)
		s := ""
		if len(out) == 1 {
			s = string(out[0].Data())
		}
		w.want = append(w.want, s)
	}
	return w
}

func bad(i int) bool { return i%1000 == 999 }

func (w *workload) value(i int) []byte {
	if bad(i) {
		return []byte(`{"not":"cloudtrail"}`)
	}
	return w.recs[i%len(w.recs)]
}

func loadPipeline(t testing.TB) *transform.Pipeline {
	t.Helper()
	f, err := os.Open("pipeline.json")
	require.NoError(t, err)
	defer f.Close()
	p, err := transform.Load(context.Background(), nil, f)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// cluster starts an in-process Kafka cluster (kfake, on loopback) with the
// three topics of 12 partitions each, and produces n input events to it.
func cluster(t testing.TB, w *workload, n int) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, inTopic, outTopic, errTopic))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	produce(t, c.ListenAddrs(), w, n)
	return c
}

// produce writes input events 0 to n-1, keyed by their number.
func produce(t testing.TB, addrs []string, w *workload, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(inTopic),
		kgo.MaxBufferedRecords(100000))
	require.NoError(t, err)
	defer cl.Close()
	ctx := context.Background()
	var (
		mu    sync.Mutex
		first error
	)
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: w.value(i)}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				first = errors.Join(first, err)
				mu.Unlock()
			}
		})
	}
	require.NoError(t, cl.Flush(ctx))
	require.NoError(t, first)
}

// member is a running consumer.
type member struct {
	c      *Consumer
	cancel context.CancelFunc
	done   chan error
}

func start(t testing.TB, addrs []string, p transform.Transformer) *member {
	t.Helper()
	c, err := NewConsumer(Config{Brokers: addrs, Group: group, Input: inTopic, Output: outTopic, Errors: errTopic,
		Pipeline: p, MaxPollRecords: 2000})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{c: c, cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- c.Run(ctx) }()
	return m
}

// stop cancels the member, waits for Run and leaves the group.
func (m *member) stop(t testing.TB) {
	t.Helper()
	m.cancel()
	assert.NoError(t, <-m.done)
	m.c.Close()
}

// waitDrained waits until the group has committed every input offset: lag
// zero on all partitions.
func waitDrained(t testing.TB, adm *kadm.Client, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		ends, err := adm.ListEndOffsets(ctx, inTopic)
		require.NoError(t, err)
		committed, err := adm.FetchOffsets(ctx, group)
		done := err == nil
		if !errors.Is(err, kerr.GroupIDNotFound) { // not yet: no member has joined
			require.NoError(t, err)
		}
		ends.Each(func(o kadm.ListedOffset) {
			c, ok := committed.Lookup(o.Topic, o.Partition)
			if o.Offset > 0 && (!ok || c.At < o.Offset) {
				done = false
			}
		})
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the group did not commit every input within %v", timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readAll reads every record of topic, up to its end offsets, and returns
// how many times each key was seen, failing t on a value that is not the
// one the pipeline gives for its key.
func readAll(t testing.TB, addrs []string, adm *kadm.Client, w *workload, topic string, n int) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	require.NoError(t, err)
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	seen := make([]int, n)
	wrong := 0
	for read := int64(0); read < total; {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "read %d of %d records of %s", read, total, topic)
		fs.EachRecord(func(r *kgo.Record) {
			read++
			i, err := strconv.Atoi(string(r.Key))
			if err != nil || i < 0 || i >= n {
				t.Errorf("%s: unknown key %q", topic, r.Key)
				return
			}
			seen[i]++
			want := w.want[i%len(w.recs)]
			if topic == errTopic {
				want = string(w.value(i))
			}
			if string(r.Value) != want && wrong < 5 {
				wrong++
				assert.Equal(t, want, string(r.Value), "%s: key %d", topic, i)
			}
		})
	}
	return seen
}

// TestGroup: three consumers of one group share the 12 partitions of the
// input topic; one leaves mid-run without committing its batch in flight
// and the group rebalances; the output topic then holds every input at
// least once (each with the pipeline's output for it), the errors topic
// every input the pipeline failed on, and nothing else.
func TestGroup(t *testing.T) {
	n := *eventsFlag
	w := newWorkload(t)
	kc := cluster(t, w, 0)
	addrs := kc.ListenAddrs()
	adm := kadm.NewClient(mustClient(t, addrs))
	p := loadPipeline(t)

	// The three members join first, so that each owns partitions when the
	// input arrives.
	ms := []*member{start(t, addrs, p), start(t, addrs, p), start(t, addrs, p)}
	require.Eventually(t, func() bool {
		gs, err := adm.DescribeGroups(context.Background(), group)
		if err != nil {
			return false
		}
		g, ok := gs[group]
		return ok && g.State == "Stable" && len(g.Members) == 3
	}, time.Minute, 10*time.Millisecond, "the three members did not form a stable group")
	start1 := time.Now()
	produce(t, addrs, w, n)
	// The second member leaves mid-run: once it has committed a batch,
	// while it works on the next (polled, not committed), and while the
	// others work.
	require.Eventually(t, func() bool {
		st := ms[1].c.Stats()
		return st.Batches >= 1 && st.Consumed > st.Committed
	}, 5*time.Minute, time.Millisecond, "the second member never was in the middle of a batch")
	ms[1].stop(t)
	left := ms[1].c.Stats()
	waitDrained(t, adm, 20*time.Minute)
	took := time.Since(start1)
	ms[0].stop(t)
	ms[2].stop(t)

	out := readAll(t, addrs, adm, w, outTopic, n)
	errs := readAll(t, addrs, adm, w, errTopic, n)
	var missing, unexpected, outputs, wantOut, dup, failed int
	for i := range n {
		switch {
		case bad(i):
			failed++
			if errs[i] == 0 {
				missing++
			}
			if out[i] > 0 {
				unexpected++
			}
			dup += max(errs[i]-1, 0)
		case w.want[i%len(w.recs)] == "":
			if out[i]+errs[i] > 0 {
				unexpected++
			}
		default:
			wantOut++
			if out[i] == 0 {
				missing++
			}
			if errs[i] > 0 {
				unexpected++
			}
			dup += max(out[i]-1, 0)
		}
		outputs += out[i]
	}
	assert.Zero(t, missing, "inputs with no output")
	assert.Zero(t, unexpected, "outputs that should not exist")
	assert.Less(t, left.Committed, int64(n), "the member left mid-run")
	var sum Stats
	for _, m := range ms {
		st := m.c.Stats()
		sum.Consumed += st.Consumed
		sum.Committed += st.Committed
	}
	assert.GreaterOrEqual(t, sum.Committed, int64(n), "every input committed at least once")
	t.Logf("%d events: %d outputs for %d expected (%d inputs dropped by the pipeline), %d on the errors topic for %d failing inputs; "+
		"%d duplicates; the leaving member had committed %d in %d batches; consumed %d in all; %.0f events/s (produce included) with the leave and rebalance",
		n, outputs, wantOut, n-wantOut-failed, sumSlice(errs), failed, dup, left.Committed, left.Batches, sum.Consumed, float64(n)/took.Seconds())
}

func sumSlice(s []int) (n int) {
	for _, v := range s {
		n += v
	}
	return n
}

func mustClient(t testing.TB, addrs []string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// BenchmarkGroup measures the group's throughput with 1, 2 and 3
// members: one op is one input event, consumed, transformed, produced and
// committed (the input is produced before the timer starts). For the
// README: -benchtime=1000000x.
func BenchmarkGroup(b *testing.B) {
	w := newWorkload(b)
	for _, k := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("consumers=%d", k), func(b *testing.B) {
			kc := cluster(b, w, b.N)
			addrs := kc.ListenAddrs()
			adm := kadm.NewClient(mustClient(b, addrs))
			p := loadPipeline(b)
			b.ResetTimer()
			cpu0 := cpuTime()
			var ms []*member
			for range k {
				ms = append(ms, start(b, addrs, p))
			}
			waitDrained(b, adm, 30*time.Minute)
			b.StopTimer()
			cpu := cpuTime() - cpu0
			for _, m := range ms {
				m.stop(b)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			// CPU of the whole process per event: consumers, pipeline and
			// the in-process broker, which a real deployment runs elsewhere.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
		})
	}
}
