package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// DefaultMaxResponseBytes is the response size a Handler stays within
// when Options.MaxResponseBytes is 0: Lambda's synchronous invocation
// payload limit, 6 MB for the request and for the response, which the
// Firehose data-transformation guide tells functions to stay within
// (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
// It is counted in decimal megabytes, the smaller reading.
const DefaultMaxResponseBytes = 6_000_000

// DefaultDeadlineMargin is the time a Handler keeps before the
// invocation's deadline to write its response, when Options.DeadlineMargin
// is 0.
const DefaultDeadlineMargin = time.Second

// Results of a record, as Firehose reads them.
const (
	ResultOk               = events.KinesisFirehoseTransformedStateOk
	ResultDropped          = events.KinesisFirehoseTransformedStateDropped
	ResultProcessingFailed = events.KinesisFirehoseTransformedStateProcessingFailed
)

// ErrDeadline is matched by the error Handle returns when the pipeline did
// not finish the batch before the invocation's deadline (less the margin).
// Firehose then retries the whole invocation (three times by default) and
// after that delivers the batch to the processing-failed prefix of its S3
// backup: give the function more time or make Firehose's buffer smaller.
var ErrDeadline = errors.New("firehose-transform: deadline")

// ErrResponseTooLarge is matched by the error Handle returns when even a
// response failing every record would exceed the size limit (only possible
// when Options.MaxResponseBytes is below Lambda's own request limit).
var ErrResponseTooLarge = errors.New("firehose-transform: response too large")

// Options configure a Handler. The zero value gives the documented
// defaults.
type Options struct {
	// MaxResponseBytes bounds the response; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Delimiter is written after each output message of a record; nil
	// means "\n", so that the objects Firehose concatenates in S3 are
	// newline-delimited JSON. Use an empty slice for none.
	Delimiter []byte
	// Workers is the number of goroutines running the pipeline; 0 means
	// GOMAXPROCS (Lambda gives a function one vCPU per 1,769 MB of memory).
	Workers int
	// DeadlineMargin is the time kept before the invocation's deadline to
	// answer; 0 means DefaultDeadlineMargin. It is at most a fifth of the
	// time left when the invocation starts.
	DeadlineMargin time.Duration
	// Logger receives one line per failed record and one per invocation;
	// nil discards.
	Logger *slog.Logger
}

// Handler answers Firehose data-transformation invocations by running
// each record through a pipeline. Build one per Lambda instance, outside
// the handler, and pass its Handle method to lambda.Start.
//
// Each record gets one answer, with the record's ID:
//   - Ok, with the data of every message the pipeline returned for it,
//     each followed by the delimiter;
//   - Dropped, when the pipeline returned no message (utility_drop, a
//     filter);
//   - ProcessingFailed, when the pipeline failed on it (the error is logged
//     with the record ID), or when its output did not fit in the response.
//     Firehose writes such records to the processing-failed/ prefix of the
//     stream's S3 backup.
//
// The pipeline sees each record's metadata as {"recordId": …,
// "approximateArrivalTimestamp": …} ("meta recordId").
type Handler struct {
	pipeline transform.Transformer
	opts     Options
	log      *slog.Logger
}

// NewHandler returns a Handler running pipeline. The Handler does not own
// the pipeline: close it when the process ends.
func NewHandler(pipeline transform.Transformer, opts Options) *Handler {
	if opts.MaxResponseBytes == 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.Delimiter == nil {
		opts.Delimiter = []byte("\n")
	}
	if opts.DeadlineMargin == 0 {
		opts.DeadlineMargin = DefaultDeadlineMargin
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{pipeline: pipeline, opts: opts, log: log}
}

// outcome is what became of one record.
type outcome struct {
	msgs []*weir.Message
	err  error
}

// Handle transforms the records of one invocation. It runs the pipeline
// over them on a stream of Options.Workers workers, flushes the pipeline at
// the end, and answers every record within the size limit. Every goroutine
// it starts has ended when it returns.
//
// It returns an error, and Firehose retries the invocation, when the batch
// was not done before the deadline (ErrDeadline), when the pipeline
// released messages at its final flush (they belong to no record: a
// pipeline that aggregates across records does not fit Firehose's one
// answer per record), or when no answer fits (ErrResponseTooLarge).
func (h *Handler) Handle(ctx context.Context, ev events.KinesisFirehoseEvent) (json.RawMessage, error) {
	start := time.Now()
	if d, ok := ctx.Deadline(); ok {
		margin := min(h.opts.DeadlineMargin, time.Until(d)/5)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, d.Add(-margin), ErrDeadline)
		defer cancel()
	}
	outs, err := h.run(ctx, ev.Records)
	if err != nil {
		h.log.ErrorContext(ctx, "invocation failed", "invocationId", ev.InvocationID, "records", len(ev.Records), "error", err)
		return nil, err
	}
	resp, n, err := h.respond(ev.Records, outs)
	if err != nil {
		h.log.ErrorContext(ctx, "invocation failed", "invocationId", ev.InvocationID, "records", len(ev.Records), "error", err)
		return nil, err
	}
	h.log.InfoContext(ctx, "invocation done", "invocationId", ev.InvocationID, "records", len(ev.Records),
		"ok", n[ResultOk], "dropped", n[ResultDropped], "failed", n[ResultProcessingFailed],
		"responseBytes", len(resp), "ms", time.Since(start).Milliseconds())
	return resp, nil
}

// run transforms every record on a stream and returns what became of each.
func (h *Handler) run(ctx context.Context, recs []events.KinesisFirehoseEventRecord) ([]outcome, error) {
	outs := make([]outcome, len(recs))
	msgs := make([]*weir.Message, len(recs))
	index := make(map[*weir.Message]int, len(recs))
	for i, r := range recs {
		m := weir.NewMessage(r.Data)
		meta, _ := json.Marshal(struct {
			RecordID    string `json:"recordId"`
			ArrivalTime int64  `json:"approximateArrivalTimestamp"`
		}{r.RecordID, r.ApproximateArrivalTimestamp.UnixMilli()})
		m.SetMetadata(meta)
		msgs[i] = m
		index[m] = i
	}
	var flushed []*weir.Message
	// The stage records each record's outcome in its own slot (a slot is
	// written by one worker only) and passes nothing on, so that a
	// failing record never stops the stream.
	stage := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			out, err := h.pipeline.Transform(ctx, msg)
			if err != nil {
				return nil, fmt.Errorf("flush: %w", err)
			}
			for _, m := range out {
				if !m.IsControl() {
					flushed = append(flushed, m)
				}
			}
			return msg.AsSlice(), nil
		}
		i := index[msg]
		out, err := h.pipeline.Transform(ctx, msg)
		outs[i] = outcome{msgs: out, err: err}
		return nil, nil
	})
	s, err := stream.New(ctx, func(context.Context, *weir.Message) error { return nil }, stream.Config{
		Stages: []stream.Stage{{Transformer: stage, Workers: h.opts.Workers, Name: "pipeline"}},
		Order:  stream.Unordered,
	})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := s.Send(ctx, m); err != nil {
			break // Close reports why
		}
	}
	if err := s.Close(ctx); err != nil {
		if errors.Is(context.Cause(ctx), ErrDeadline) {
			return nil, fmt.Errorf("%w: the pipeline did not finish %d records in time: %w", ErrDeadline, len(recs), err)
		}
		return nil, fmt.Errorf("firehose-transform: %w", err)
	}
	if len(flushed) > 0 {
		return nil, fmt.Errorf("firehose-transform: the pipeline released %d messages at the end of the batch, which belong to no record (aggregation does not fit Firehose's one answer per record)", len(flushed))
	}
	return outs, nil
}

// respond encodes the answer to each record, within the size limit, and
// counts the results.
func (h *Handler) respond(recs []events.KinesisFirehoseEventRecord, outs []outcome) ([]byte, map[string]int, error) {
	n := map[string]int{}
	results := make([]string, len(recs))
	data := make([][]byte, len(recs))
	for i, o := range outs {
		var buf []byte
		kept := 0
		for _, m := range o.msgs {
			if m.IsControl() {
				continue
			}
			buf = append(buf, m.Data()...)
			buf = append(buf, h.opts.Delimiter...)
			kept++
		}
		switch {
		case o.err != nil:
			results[i], data[i] = ResultProcessingFailed, recs[i].Data
			h.log.Warn("record failed", "recordId", recs[i].RecordID, "error", o.err)
		case kept == 0:
			results[i] = ResultDropped
		default:
			results[i], data[i] = ResultOk, buf
		}
	}

	// The answer with every record failed, carrying its original data, is
	// smaller than the request (whose records also carry an arrival time),
	// so it fits whenever Lambda accepted the request. Start from it and
	// give each Ok or Dropped answer, in order, the room it needs.
	const envelope = len(`{"records":[]}`) + 1 // +1: the encoder's newline
	failedData := true
	commas := max(len(recs)-1, 0)
	size := envelope + commas
	for i := range recs {
		size += entrySize(recs[i].RecordID, ResultProcessingFailed, len(recs[i].Data))
	}
	if size > h.opts.MaxResponseBytes {
		failedData = false
		size = envelope + commas
		for i := range recs {
			size += entrySize(recs[i].RecordID, ResultProcessingFailed, 0)
		}
		if size > h.opts.MaxResponseBytes {
			return nil, nil, fmt.Errorf("%w: %d records need %d bytes even when failed, over the limit of %d", ErrResponseTooLarge, len(recs), size, h.opts.MaxResponseBytes)
		}
	}
	failedLen := func(i int) int {
		if failedData {
			return len(recs[i].Data)
		}
		return 0
	}
	for i := range recs {
		if results[i] == ResultProcessingFailed {
			continue
		}
		grow := entrySize(recs[i].RecordID, results[i], len(data[i])) - entrySize(recs[i].RecordID, ResultProcessingFailed, failedLen(i))
		if size+grow > h.opts.MaxResponseBytes {
			h.log.Warn("record failed", "recordId", recs[i].RecordID, "error",
				fmt.Sprintf("its output (%d bytes) does not fit in the response limit of %d bytes", len(data[i]), h.opts.MaxResponseBytes))
			results[i], data[i] = ResultProcessingFailed, recs[i].Data
			continue
		}
		size += grow
	}

	out := make([]byte, 0, size)
	out = append(out, `{"records":[`...)
	for i := range recs {
		if i > 0 {
			out = append(out, ',')
		}
		d := data[i]
		if results[i] == ResultProcessingFailed && !failedData {
			d = nil
		}
		out = appendEntry(out, recs[i].RecordID, results[i], d)
		n[results[i]]++
	}
	out = append(out, "]}"...)
	if len(out)+1 != size {
		// A bug in the accounting above, not bad data.
		return nil, nil, fmt.Errorf("firehose-transform: response is %d bytes, accounted %d", len(out)+1, size)
	}
	return out, n, nil
}

// entrySize is the length of appendEntry's output for a record whose data
// has n bytes.
func entrySize(id, result string, n int) int {
	return len(`{"recordId":,"result":"","data":""}`) + len(quote(id)) + len(result) + base64.StdEncoding.EncodedLen(n)
}

// appendEntry appends one record's answer, as Firehose reads it.
func appendEntry(dst []byte, id, result string, data []byte) []byte {
	dst = append(dst, `{"recordId":`...)
	dst = append(dst, quote(id)...)
	dst = append(dst, `,"result":"`...)
	dst = append(dst, result...)
	dst = append(dst, `","data":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, data)
	return append(dst, `"}`...)
}

// quote returns id as a JSON string, escaped as encoding/json escapes it
// (the Lambda runtime re-encodes the response with HTML escaping on).
func quote(id string) []byte {
	b, err := json.Marshal(id)
	if err != nil {
		return []byte(strconv.Quote(id)) // unreachable: strings always marshal
	}
	return b
}
