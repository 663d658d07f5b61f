package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// DefaultMaxPollRecords is the batch size when Config.MaxPollRecords is 0:
// the records taken per poll, processed, produced and committed together.
const DefaultMaxPollRecords = 5000

// HeaderSource names the header every output record carries: the input
// record's "topic/partition/offset", by which a reader can drop the
// duplicates that at-least-once delivery allows.
const HeaderSource = "weir-source"

// HeaderError names the header of a record on the errors topic: the
// pipeline's error.
const HeaderError = "weir-error"

// ErrProduce is matched by the error Run returns when the output topic
// (or the errors topic) did not acknowledge a record. The batch's offsets
// were not committed: the records are consumed again, by this consumer
// when it restarts or by another member after the rebalance.
var ErrProduce = errors.New("kafka-consumer: produce failed")

// Config configures a Consumer. Brokers, Group, Input, Output and
// Pipeline are required.
type Config struct {
	Brokers []string
	// Group is the consumer group: members of one group share the input
	// topic's partitions.
	Group string
	// Input is the topic consumed; Output receives the pipeline's results;
	// Errors, when set, receives the records the pipeline failed on (with
	// the error in the weir-error header). Without Errors a failed record
	// stops the consumer, uncommitted.
	Input, Output, Errors string
	// Pipeline transforms each record's value. It must keep the "kafka"
	// member of the metadata (the sink finds the input record with it).
	Pipeline transform.Transformer
	// Workers is the number of pipeline workers; 0 means GOMAXPROCS.
	Workers int
	// MaxPollRecords bounds a batch; 0 means DefaultMaxPollRecords. A batch
	// must be done within the group's rebalance timeout (kgo's default is
	// one minute), since the member holds a rebalance back while it works.
	MaxPollRecords int
	// Logger receives a line per batch (at debug level), per failed record
	// and per error; nil discards.
	Logger *slog.Logger
	// ClientOptions are added to the client's options: TLS, SASL, timeouts.
	ClientOptions []kgo.Opt
}

// Stats counts a consumer's work. Consumed = Produced inputs + Dropped +
// Failed once everything consumed has been committed; Outputs counts the
// records written to the output topic.
type Stats struct {
	Consumed, Dropped, Failed, Outputs, Committed, Batches int64
}

// Consumer is one member of a consumer group. Each runs a stream of the
// pipeline over the records it polls, produces the results to the output
// topic, and commits the batch's offsets only once every result (and
// every failed record on the errors topic) has been acknowledged by the
// brokers: at-least-once delivery. A member that stops between the
// produce and the commit leaves records that the group consumes again,
// so the output topic can hold a record more than once, never zero times.
type Consumer struct {
	cfg    Config
	client *kgo.Client
	log    *slog.Logger

	batch []*kgo.Record // the records of the batch in flight, for the sinks

	mu         sync.Mutex
	produceErr error

	consumed, dropped, failed, outputs, committed, batches atomic.Int64
}

// NewConsumer connects a member of cfg.Group. Call Run, then Close.
func NewConsumer(cfg Config) (*Consumer, error) {
	if len(cfg.Brokers) == 0 || cfg.Group == "" || cfg.Input == "" || cfg.Output == "" || cfg.Pipeline == nil {
		return nil, fmt.Errorf("kafka-consumer: %w: Brokers, Group, Input, Output and Pipeline are required", weir.ErrMissingSetting)
	}
	if cfg.MaxPollRecords == 0 {
		cfg.MaxPollRecords = DefaultMaxPollRecords
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Input),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Offsets are committed by Run, after the produce is acknowledged;
		// kgo's autocommit would commit what was only polled.
		kgo.DisableAutoCommit(),
		// A rebalance waits until the batch in flight is committed, so
		// that a member that keeps running hands over no uncommitted
		// work.
		kgo.BlockRebalanceOnPoll(),
		kgo.DefaultProduceTopic(cfg.Output),
		// Every in-sync replica acknowledges (kgo's default, stated here
		// because the guarantee rests on it), and the idempotent producer
		// keeps retries from duplicating.
		kgo.RequiredAcks(kgo.AllISRAcks()),
	}, cfg.ClientOptions...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka-consumer: %w", err)
	}
	return &Consumer{cfg: cfg, client: client, log: log}, nil
}

// Stats returns the consumer's counters.
func (c *Consumer) Stats() Stats {
	return Stats{Consumed: c.consumed.Load(), Dropped: c.dropped.Load(), Failed: c.failed.Load(),
		Outputs: c.outputs.Load(), Committed: c.committed.Load(), Batches: c.batches.Load()}
}

// Close leaves the group, without committing anything Run did not commit,
// and closes the client. Call it after Run returned.
func (c *Consumer) Close() {
	c.client.CloseAllowingRebalance()
}

// Run polls, transforms, produces and commits until ctx is canceled
// (then it returns nil, with the batch in flight uncommitted) or an error
// stops it: a produce that failed (ErrProduce), a commit that failed, a
// failed record without an errors topic. Every goroutine it starts has
// ended when it returns.
func (c *Consumer) Run(ctx context.Context) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := stream.New(ctx, c.sink, stream.Config{
		Stages:    []stream.Stage{{Transformer: c.cfg.Pipeline, Workers: c.cfg.Workers, Name: "pipeline"}},
		ErrorSink: c.errorSink(),
	})
	if err != nil {
		return err
	}
	defer func() {
		cancel()
		_ = s.Close(context.Background()) // stopped by cancel: returns at once
	}()
	var prev stream.StageStats
	for {
		fetches := c.client.PollRecords(ctx, c.cfg.MaxPollRecords)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			c.log.WarnContext(ctx, "fetch error", "topic", topic, "partition", p, "error", err)
		})
		recs := fetches.Records()
		if len(recs) == 0 {
			c.client.AllowRebalance()
			continue
		}
		start := time.Now()
		c.batch = recs
		for i, r := range recs {
			m := weir.NewMessage(r.Value)
			m.SetMetadata(kafkaMeta(i, r))
			if err := s.Send(ctx, m); err != nil {
				return c.stopped(ctx, s, err)
			}
		}
		c.consumed.Add(int64(len(recs)))
		// Every result has been handed to the producer once Flush returns,
		// and acknowledged (or failed) once the client's Flush returns.
		if err := s.Flush(ctx); err != nil {
			return c.stopped(ctx, s, err)
		}
		if err := c.client.Flush(ctx); err != nil {
			return c.stopped(ctx, s, err)
		}
		if err := c.takeProduceErr(); err != nil {
			return err
		}
		if err := c.commit(ctx); err != nil {
			return c.stopped(ctx, s, fmt.Errorf("kafka-consumer: commit: %w", err))
		}
		c.committed.Add(int64(len(recs)))
		c.batches.Add(1)
		st := s.Stats().Stages[0]
		c.dropped.Add(int64(st.Dropped - prev.Dropped))
		prev = st
		c.log.DebugContext(ctx, "batch committed", "records", len(recs), "ms", time.Since(start).Milliseconds())
		c.batch = nil
		c.client.AllowRebalance()
	}
}

// CommitTimeout bounds the commit of a batch whose results were
// acknowledged. The commit is not cut short when Run's context is
// canceled: a member stopped while it commits finishes the commit (or
// gives up after CommitTimeout), so that its acknowledged batch is not
// consumed again and Stats.Committed counts every commit that happened.
const CommitTimeout = 10 * time.Second

func (c *Consumer) commit(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CommitTimeout)
	defer cancel()
	return c.client.CommitUncommittedOffsets(ctx)
}

// stopped returns nil when ctx was canceled, else the error (the
// stream's own, when it stopped).
func (c *Consumer) stopped(ctx context.Context, s *stream.Stream, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, stream.ErrStopped) {
		if cerr := s.Close(ctx); cerr != nil {
			err = cerr
		}
	}
	c.log.ErrorContext(ctx, "consumer stopped", "error", err)
	return err
}

// kafkaMeta is the metadata a record's message starts with.
func kafkaMeta(i int, r *kgo.Record) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"kafka":{"i":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"topic":`...)
	t, _ := json.Marshal(r.Topic)
	b = append(b, t...)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(r.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, r.Offset, 10)
	return append(b, "}}"...)
}

// input returns the batch record a message came from.
func (c *Consumer) input(m *weir.Message) (*kgo.Record, error) {
	v := m.Get("meta kafka.i")
	i := int(v.Int())
	if !v.Exists() || i < 0 || i >= len(c.batch) {
		return nil, fmt.Errorf("kafka-consumer: %w: a message lost its \"kafka\" metadata, so its input record is unknown", weir.ErrInvalidData)
	}
	return c.batch[i], nil
}

// sink produces one output record, keyed and headed as its input.
func (c *Consumer) sink(ctx context.Context, m *weir.Message) error {
	if m.IsControl() {
		return nil
	}
	in, err := c.input(m)
	if err != nil {
		return err
	}
	out := &kgo.Record{Key: in.Key, Value: m.Data(), Headers: withHeader(in, HeaderSource, source(in))}
	c.outputs.Add(1)
	c.client.Produce(ctx, out, c.promise)
	return nil
}

// errorSink produces each failed record, as it was read, to the errors
// topic; without one, a failure stops the consumer.
func (c *Consumer) errorSink() stream.ErrorSink {
	return func(ctx context.Context, e *stream.Error) error {
		c.failed.Add(1)
		in, err := c.input(e.Msg)
		if err != nil {
			return err
		}
		c.log.WarnContext(ctx, "record failed", "source", source(in), "error", e.Err)
		if c.cfg.Errors == "" {
			return fmt.Errorf("kafka-consumer: record %s: %w", source(in), e)
		}
		out := &kgo.Record{Topic: c.cfg.Errors, Key: in.Key, Value: in.Value,
			Headers: withHeader(in, HeaderError, e.Err.Error())}
		c.client.Produce(ctx, out, c.promise)
		return nil
	}
}

func (c *Consumer) promise(r *kgo.Record, err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.produceErr == nil {
		c.produceErr = fmt.Errorf("%w: topic %s: %w", ErrProduce, r.Topic, err)
	}
}

func (c *Consumer) takeProduceErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.produceErr
}

func source(r *kgo.Record) string {
	return r.Topic + "/" + strconv.Itoa(int(r.Partition)) + "/" + strconv.FormatInt(r.Offset, 10)
}

func withHeader(r *kgo.Record, key, value string) []kgo.RecordHeader {
	h := make([]kgo.RecordHeader, 0, len(r.Headers)+1)
	h = append(h, r.Headers...)
	return append(h, kgo.RecordHeader{Key: key, Value: []byte(value)})
}
