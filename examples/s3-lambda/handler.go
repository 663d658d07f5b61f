package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path"
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
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// DefaultMaxObjectBytes bounds the decompressed size of an object when
// Options.MaxObjectBytes is 0. CloudTrail delivers a file about every five
// minutes per account and region; they are rarely over a few tens of MB.
const DefaultMaxObjectBytes = 512 << 20

// DefaultDeadlineMargin is the time kept before the invocation's deadline
// to report, when Options.DeadlineMargin is 0.
const DefaultDeadlineMargin = 2 * time.Second

// ErrDeadline is matched by the error Handle returns when an object was
// not done before the invocation's deadline (less the margin).
var ErrDeadline = errors.New("s3-lambda: deadline")

// Options configure a Handler. OutputBucket is required.
type Options struct {
	// OutputBucket receives the results.
	OutputBucket string
	// OutputPrefix is put before the results' keys; "" means
	// "normalized/".
	OutputPrefix string
	// ErrorPrefix is put before the keys of the objects that hold the
	// records the pipeline failed on; "" means "errors/".
	ErrorPrefix string
	// Workers is the number of pipeline workers; 0 means GOMAXPROCS.
	Workers int
	// MaxObjectBytes bounds an object's size after decompression; 0 means
	// DefaultMaxObjectBytes.
	MaxObjectBytes int64
	// DeadlineMargin is the time kept before the invocation's deadline; 0
	// means DefaultDeadlineMargin. It is at most a fifth of the time left.
	DeadlineMargin time.Duration
	// Logger receives a line per object and per failed record; nil
	// discards.
	Logger *slog.Logger
}

// Handler normalizes the CloudTrail files named by S3 event notifications.
// For each object it reads the file (gzip or plain JSON, {"Records":
// […]}), runs every record through the pipeline on a stream, and writes
//
//   - the results, one JSON object per line, gzip-compressed, to
//     OutputBucket at OutputPrefix + the object's key with ".json.gz" (or
//     ".json") replaced by ".ndjson.gz";
//   - the records the pipeline failed on, each as {"error": …, "record":
//     …}, to ErrorPrefix + the same name, when there are any.
//
// The output keys depend only on the input key, so a notification
// delivered twice (S3 delivers at least once) overwrites the same objects
// instead of duplicating events.
type Handler struct {
	client   S3
	pipeline transform.Transformer
	opts     Options
	log      *slog.Logger
}

// NewHandler returns a Handler that reads and writes through client and
// runs pipeline, which it does not own.
func NewHandler(client S3, pipeline transform.Transformer, opts Options) (*Handler, error) {
	if opts.OutputBucket == "" {
		return nil, fmt.Errorf("s3-lambda: %w: no output bucket", weir.ErrMissingSetting)
	}
	if opts.OutputPrefix == "" {
		opts.OutputPrefix = "normalized/"
	}
	if opts.ErrorPrefix == "" {
		opts.ErrorPrefix = "errors/"
	}
	if opts.MaxObjectBytes == 0 {
		opts.MaxObjectBytes = DefaultMaxObjectBytes
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

// Counts says what became of an object's records: In = Out + Dropped +
// Failed, where Out counts the input records that produced output and
// Events the output events written.
type Counts struct {
	In, Out, Dropped, Failed, Events int
}

// Handle processes every object of the notification, in order. It returns
// the first error (an unreadable object, a failed write, the deadline),
// which makes Lambda retry the whole event (twice, for S3's asynchronous
// invocation) and then send it to the function's on-failure destination:
// since outputs are overwritten, the retry does not duplicate what an
// earlier attempt wrote. Every goroutine it starts has ended when it
// returns.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) error {
	if d, ok := ctx.Deadline(); ok {
		margin := min(h.opts.DeadlineMargin, time.Until(d)/5)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, d.Add(-margin), ErrDeadline)
		defer cancel()
	}
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			h.log.InfoContext(ctx, "event skipped", "eventName", r.EventName)
			continue
		}
		// Keys arrive URL-encoded, with "+" for a space.
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return fmt.Errorf("s3-lambda: object key %q: %w", r.S3.Object.Key, err)
		}
		start := time.Now()
		c, err := h.Object(ctx, r.S3.Bucket.Name, key)
		if err != nil {
			if errors.Is(context.Cause(ctx), ErrDeadline) {
				err = fmt.Errorf("%w: %w", ErrDeadline, err)
			}
			h.log.ErrorContext(ctx, "object failed", "bucket", r.S3.Bucket.Name, "key", key, "error", err)
			return err
		}
		h.log.InfoContext(ctx, "object done", "bucket", r.S3.Bucket.Name, "key", key,
			"in", c.In, "out", c.Out, "dropped", c.Dropped, "failed", c.Failed, "events", c.Events, "ms", time.Since(start).Milliseconds())
	}
	return nil
}

// Object normalizes one object and writes its results.
func (h *Handler) Object(ctx context.Context, bucket, key string) (Counts, error) {
	var c Counts
	recs, err := h.read(ctx, bucket, key)
	if err != nil {
		return c, err
	}
	c.In = len(recs)

	var out, failed gzipBuffer
	out.init()
	failed.init()
	sink := func(_ context.Context, m *weir.Message) error {
		if m.IsControl() {
			return nil
		}
		c.Events++
		return out.line(m.Data())
	}
	errSink := func(_ context.Context, e *stream.Error) error {
		c.Failed++
		h.log.Warn("record failed", "bucket", bucket, "key", key, "record", e.Seq, "error", e.Err)
		line, err := json.Marshal(struct {
			Error  string          `json:"error"`
			Record json.RawMessage `json:"record"`
		}{e.Err.Error(), recs[e.Seq]})
		if err != nil {
			return err
		}
		return failed.line(line)
	}
	s, err := stream.New(ctx, sink, stream.Config{
		Stages:    []stream.Stage{{Transformer: h.pipeline, Workers: h.opts.Workers, Name: "pipeline"}},
		ErrorSink: errSink,
	})
	if err != nil {
		return c, err
	}
	for _, r := range recs {
		if err := s.Send(ctx, weir.NewMessage(r)); err != nil {
			break // Close says why
		}
	}
	if err := s.Close(ctx); err != nil {
		return c, fmt.Errorf("s3-lambda: s3://%s/%s: %w", bucket, key, err)
	}
	// The stage's counters: each input was dropped (no output), failed, or
	// produced output.
	st := s.Stats().Stages[0]
	c.Dropped = int(st.Dropped)
	c.Out = int(st.In - st.Dropped - st.Errored)
	if int(st.In) != c.In || int(st.Errored) != c.Failed {
		return c, fmt.Errorf("s3-lambda: s3://%s/%s: %d records read, %d processed, %d failed, %d reported", bucket, key, c.In, st.In, st.Errored, c.Failed)
	}

	name := outputName(key)
	if err := h.put(ctx, h.opts.OutputPrefix+name, &out); err != nil {
		return c, err
	}
	if c.Failed > 0 {
		if err := h.put(ctx, h.opts.ErrorPrefix+name, &failed); err != nil {
			return c, err
		}
	}
	return c, nil
}

// read returns the records of a CloudTrail file.
func (h *Handler) read(ctx context.Context, bucket, key string) ([]json.RawMessage, error) {
	obj, err := h.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3-lambda: get s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Body.Close()
	body := io.Reader(obj.Body)
	br := newPeekReader(body)
	if br.gzip() {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("s3-lambda: s3://%s/%s: %w", bucket, key, err)
		}
		defer zr.Close()
		body = zr
	} else {
		body = br
	}
	b, err := io.ReadAll(io.LimitReader(body, h.opts.MaxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("s3-lambda: read s3://%s/%s: %w", bucket, key, err)
	}
	if int64(len(b)) > h.opts.MaxObjectBytes {
		return nil, fmt.Errorf("s3-lambda: s3://%s/%s: %w: over %d bytes decompressed", bucket, key, weir.ErrTooLarge, h.opts.MaxObjectBytes)
	}
	var file struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("s3-lambda: s3://%s/%s: %w: not a CloudTrail file: %v", bucket, key, weir.ErrInvalidData, err)
	}
	return file.Records, nil
}

func (h *Handler) put(ctx context.Context, key string, b *gzipBuffer) error {
	body, err := b.bytes()
	if err != nil {
		return err
	}
	_, err = h.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(h.opts.OutputBucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("application/x-ndjson"), ContentEncoding: aws.String("gzip"),
	})
	if err != nil {
		return fmt.Errorf("s3-lambda: put s3://%s/%s: %w", h.opts.OutputBucket, key, err)
	}
	return nil
}

// outputName is the name of an object's results: its key with the
// extension replaced by .ndjson.gz.
func outputName(key string) string {
	for _, ext := range []string{".json.gz", ".json", ".gz"} {
		if strings.HasSuffix(key, ext) {
			return strings.TrimSuffix(key, ext) + ".ndjson.gz"
		}
	}
	return path.Clean(key) + ".ndjson.gz"
}

// gzipBuffer gathers newline-delimited lines, gzip-compressed.
type gzipBuffer struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

func (g *gzipBuffer) init() { g.zw = gzip.NewWriter(&g.buf) }

func (g *gzipBuffer) line(b []byte) error {
	if _, err := g.zw.Write(b); err != nil {
		return err
	}
	_, err := g.zw.Write([]byte{'\n'})
	return err
}

func (g *gzipBuffer) bytes() ([]byte, error) {
	if err := g.zw.Close(); err != nil {
		return nil, err
	}
	return g.buf.Bytes(), nil
}

// peekReader tells gzip from plain data by the first two bytes.
type peekReader struct {
	r    io.Reader
	head []byte
}

func newPeekReader(r io.Reader) *peekReader {
	head := make([]byte, 2)
	n, _ := io.ReadFull(r, head)
	return &peekReader{r: r, head: head[:n]}
}

func (p *peekReader) gzip() bool { return len(p.head) == 2 && p.head[0] == 0x1f && p.head[1] == 0x8b }

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}
