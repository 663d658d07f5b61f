package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// S3 is the part of the S3 client the handler uses; *s3.Client has it.
type S3 interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// DefaultDeadlineMargin is the time kept before the invocation's deadline
// to write and answer, when Options.DeadlineMargin is 0.
const DefaultDeadlineMargin = 2 * time.Second

// Options configure a Handler. OutputBucket is required.
type Options struct {
	OutputBucket string
	// OutputPrefix is put before the results' keys; "" means "kinesis/".
	OutputPrefix string
	// Workers is the number of pipeline workers; 0 means GOMAXPROCS.
	Workers int
	// DeadlineMargin: see DefaultDeadlineMargin. At most a fifth of the
	// time left.
	DeadlineMargin time.Duration
	// Logger: nil discards.
	Logger *slog.Logger
}

// Handler processes the records of one shard that Lambda's Kinesis event
// source mapping hands it, in order, and reports partial batch failures
// (the mapping must have FunctionResponseTypes=ReportBatchItemFailures).
//
// Kinesis is a log: when a record fails, Lambda retries the batch from
// that record's sequence number on. So the handler writes the results of
// the records before the first failure only, and reports that record:
// nothing is lost, and nothing before it is written twice. The results of
// an invocation go to one gzip NDJSON object,
// OutputPrefix/<shard>/<first sequence number>-<last>.ndjson.gz, so that a
// retried batch rewrites the same object.
type Handler struct {
	client   S3
	pipeline transform.Transformer
	opts     Options
	log      *slog.Logger
}

// NewHandler returns a Handler writing through client; it does not own
// pipeline.
func NewHandler(client S3, pipeline transform.Transformer, opts Options) (*Handler, error) {
	if opts.OutputBucket == "" {
		return nil, fmt.Errorf("kinesis-lambda: %w: no output bucket", weir.ErrMissingSetting)
	}
	if opts.OutputPrefix == "" {
		opts.OutputPrefix = "kinesis/"
	}
	if opts.DeadlineMargin == 0 {
		opts.DeadlineMargin = DefaultDeadlineMargin
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{client: client, pipeline: pipeline, opts: opts, log: log}, nil
}

// Handle processes one batch. It never returns an error: a batch that
// cannot be written at all reports its first record, which makes Lambda
// retry the whole batch. Every goroutine it starts has ended when it
// returns.
func (h *Handler) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	recs := ev.Records
	if len(recs) == 0 {
		return events.KinesisEventResponse{}, nil
	}
	if d, ok := ctx.Deadline(); ok {
		margin := min(h.opts.DeadlineMargin, time.Until(d)/5)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-margin))
		defer cancel()
	}
	start := time.Now()
	shard := shardOf(recs[0])
	out, firstFailed, err := h.run(ctx, recs)
	if err != nil {
		h.log.ErrorContext(ctx, "batch failed", "shard", shard, "records", len(recs), "error", err)
		return failAt(recs, 0), nil
	}
	if firstFailed > 0 {
		key := fmt.Sprintf("%s%s/%s-%s.ndjson.gz", h.opts.OutputPrefix, shard,
			recs[0].Kinesis.SequenceNumber, recs[firstFailed-1].Kinesis.SequenceNumber)
		if err := h.put(ctx, key, out); err != nil {
			h.log.ErrorContext(ctx, "batch failed", "shard", shard, "records", len(recs), "error", err)
			return failAt(recs, 0), nil
		}
	}
	h.log.InfoContext(ctx, "batch done", "shard", shard, "records", len(recs), "written", firstFailed,
		"retried", len(recs)-firstFailed, "ms", time.Since(start).Milliseconds())
	if firstFailed < len(recs) {
		return failAt(recs, firstFailed), nil
	}
	return events.KinesisEventResponse{}, nil
}

// run transforms the records and returns the gzip NDJSON of the results of
// the records before the first failure, and that record's index
// (len(recs) when none failed).
func (h *Handler) run(ctx context.Context, recs []events.KinesisEventRecord) ([]byte, int, error) {
	firstFailed := len(recs)
	var lines [][]byte
	var lineOf []int // the input index of each line
	sink := func(_ context.Context, m *weir.Message) error {
		if m.IsControl() {
			return nil
		}
		i := int(m.Get("meta kinesis.i").Int())
		lines, lineOf = append(lines, m.Data()), append(lineOf, i)
		return nil
	}
	errSink := func(_ context.Context, e *stream.Error) error {
		i := int(e.Seq)
		if i < firstFailed {
			firstFailed = i
		}
		h.log.Warn("record failed", "sequenceNumber", recs[i].Kinesis.SequenceNumber, "error", e.Err)
		return nil
	}
	// A record the Kinesis Producer Library aggregated holds several user
	// records: each runs through the pipeline, and the Kinesis record
	// fails (and is retried whole) if any of them fails.
	guard := transform.Func(func(ctx context.Context, m *weir.Message) ([]*weir.Message, error) {
		if !aggregate.IsKPLAggregated(m.Data()) {
			return h.pipeline.Transform(ctx, m)
		}
		users, err := aggregate.Deaggregate(aggregate.KPLRecord{Data: m.Data()})
		if err != nil {
			return nil, err
		}
		var out []*weir.Message
		for _, u := range users {
			o, err := h.pipeline.Transform(ctx, weir.NewMessage(u.Data).SetMetadata(m.Metadata()))
			if err != nil {
				return nil, err
			}
			out = append(out, o...)
		}
		return out, nil
	})
	s, err := stream.New(ctx, sink, stream.Config{
		Stages:    []stream.Stage{{Transformer: guard, Workers: h.opts.Workers, Name: "pipeline"}},
		ErrorSink: errSink,
	})
	if err != nil {
		return nil, 0, err
	}
	for i, r := range recs {
		m := weir.NewMessage(r.Kinesis.Data)
		m.SetMetadata([]byte(`{"kinesis":{"i":` + strconv.Itoa(i) + `,"sequenceNumber":"` + r.Kinesis.SequenceNumber + `"}}`))
		if err := s.Send(ctx, m); err != nil {
			break // Close says why
		}
	}
	if err := s.Close(ctx); err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for j, l := range lines {
		if lineOf[j] >= firstFailed {
			break // output is in input order: the rest is retried
		}
		zw.Write(l)
		zw.Write([]byte{'\n'})
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), firstFailed, nil
}

func (h *Handler) put(ctx context.Context, key string, body []byte) error {
	_, err := h.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(h.opts.OutputBucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("application/x-ndjson"), ContentEncoding: aws.String("gzip"),
	})
	if err != nil {
		return fmt.Errorf("kinesis-lambda: put s3://%s/%s: %w", h.opts.OutputBucket, key, err)
	}
	return nil
}

// failAt reports recs[i]: Lambda retries from its sequence number on.
func failAt(recs []events.KinesisEventRecord, i int) events.KinesisEventResponse {
	return events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{{ItemIdentifier: recs[i].Kinesis.SequenceNumber}}}
}

// shardOf returns the shard ID of a record, from its eventID
// ("shardId-000000000000:4954…").
func shardOf(r events.KinesisEventRecord) string {
	if i := bytes.IndexByte([]byte(r.EventID), ':'); i > 0 {
		return r.EventID[:i]
	}
	return "unknown-shard"
}
