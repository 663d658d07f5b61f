package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// S3 is the part of the S3 client the handler uses; *s3.Client has it.
type S3 interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// DefaultDeadlineMargin is the time kept before the invocation's deadline,
// when Options.DeadlineMargin is 0.
const DefaultDeadlineMargin = 2 * time.Second

// Options configure a Handler. OutputBucket is required.
type Options struct {
	OutputBucket string
	// OutputPrefix is put before the results' keys; "" means "sqs/".
	OutputPrefix string
	// Workers is the number of pipeline workers; 0 means GOMAXPROCS.
	Workers int
	// DeadlineMargin: see DefaultDeadlineMargin. At most a fifth of the
	// time left.
	DeadlineMargin time.Duration
	// Logger: nil discards.
	Logger *slog.Logger
}

// Handler processes a batch of SQS messages (an event source mapping with
// ReportBatchItemFailures): each message's body goes through the pipeline,
// the results of the messages that succeeded are written to S3 as one gzip
// NDJSON object, and the messages that failed are reported, so that SQS
// makes only them visible again (and, after the queue's maxReceiveCount,
// moves them to its dead-letter queue).
//
// From a FIFO queue (an ARN ending in .fifo), order matters: the handler
// writes the messages before the first failure only and reports that
// message and every one after it, as Lambda's documentation asks.
//
// The object's key is a hash of the written messages' IDs, so a batch
// delivered again after its answer was lost rewrites the same object.
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
		return nil, fmt.Errorf("sqs-lambda: %w: no output bucket", weir.ErrMissingSetting)
	}
	if opts.OutputPrefix == "" {
		opts.OutputPrefix = "sqs/"
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

// Handle processes one batch and reports the messages to retry. Every
// goroutine it starts has ended when it returns.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	msgs := ev.Records
	if len(msgs) == 0 {
		return events.SQSEventResponse{}, nil
	}
	if d, ok := ctx.Deadline(); ok {
		margin := min(h.opts.DeadlineMargin, time.Until(d)/5)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-margin))
		defer cancel()
	}
	start := time.Now()
	fifo := strings.HasSuffix(msgs[0].EventSourceARN, ".fifo")
	lines, lineOf, failed, err := h.run(ctx, msgs)
	if err != nil {
		h.log.ErrorContext(ctx, "batch failed", "messages", len(msgs), "error", err)
		return report(msgs, allOf(len(msgs))), nil
	}
	if fifo {
		// Everything after the first failure is retried too.
		for i := range msgs {
			if failed[i] {
				for j := i + 1; j < len(msgs); j++ {
					failed[j] = true
				}
				break
			}
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	ids := sha256.New()
	written := 0
	for i, m := range msgs {
		if !failed[i] {
			ids.Write([]byte(m.MessageId + "\n"))
			written++
		}
	}
	for j, l := range lines {
		if !failed[lineOf[j]] {
			zw.Write(l)
			zw.Write([]byte{'\n'})
		}
	}
	if err := zw.Close(); err != nil {
		return report(msgs, allOf(len(msgs))), nil
	}
	if written > 0 {
		key := h.opts.OutputPrefix + hex.EncodeToString(ids.Sum(nil))[:32] + ".ndjson.gz"
		_, err := h.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(h.opts.OutputBucket), Key: aws.String(key),
			Body: bytes.NewReader(buf.Bytes()), ContentLength: aws.Int64(int64(buf.Len())),
			ContentType: aws.String("application/x-ndjson"), ContentEncoding: aws.String("gzip"),
		})
		if err != nil {
			h.log.ErrorContext(ctx, "batch failed", "messages", len(msgs), "error", fmt.Errorf("put s3://%s/%s: %w", h.opts.OutputBucket, key, err))
			return report(msgs, allOf(len(msgs))), nil
		}
	}
	h.log.InfoContext(ctx, "batch done", "messages", len(msgs), "written", written, "retried", len(failed),
		"fifo", fifo, "ms", time.Since(start).Milliseconds())
	return report(msgs, failed), nil
}

// run transforms the bodies; it returns the output lines with the index of
// the message each came from, and the failed messages.
func (h *Handler) run(ctx context.Context, msgs []events.SQSMessage) ([][]byte, []int, map[int]bool, error) {
	var lines [][]byte
	var lineOf []int
	failed := map[int]bool{}
	sink := func(_ context.Context, m *weir.Message) error {
		if !m.IsControl() {
			lines, lineOf = append(lines, m.Data()), append(lineOf, int(m.Get("meta sqs.i").Int()))
		}
		return nil
	}
	errSink := func(_ context.Context, e *stream.Error) error {
		failed[int(e.Seq)] = true
		h.log.Warn("message failed", "messageId", msgs[e.Seq].MessageId, "error", e.Err)
		return nil
	}
	s, err := stream.New(ctx, sink, stream.Config{
		Stages:    []stream.Stage{{Transformer: h.pipeline, Workers: h.opts.Workers, Name: "pipeline"}},
		ErrorSink: errSink,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	for i, m := range msgs {
		msg := weir.NewMessage([]byte(m.Body))
		msg.SetMetadata([]byte(`{"sqs":{"i":` + strconv.Itoa(i) + `}}`))
		if err := s.Send(ctx, msg); err != nil {
			break // Close says why
		}
	}
	if err := s.Close(ctx); err != nil {
		return nil, nil, nil, err
	}
	return lines, lineOf, failed, nil
}

func allOf(n int) map[int]bool {
	m := make(map[int]bool, n)
	for i := range n {
		m[i] = true
	}
	return m
}

// report lists the failed messages, in batch order.
func report(msgs []events.SQSMessage, failed map[int]bool) events.SQSEventResponse {
	var r events.SQSEventResponse
	for i, m := range msgs {
		if failed[i] {
			r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return r
}
