package transform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
)

// This file holds the send_* family: transforms that write batches of
// messages somewhere (standard output, files) and pass every message on
// unchanged.
//
// As in Substation, a send collects the data of the messages it sees into
// batches (by object.batch_key, within the batch limits), runs each batch
// through its auxiliary_transforms — a sub-pipeline that sees the batch's
// data as new messages followed by a control message, so aggregations in it
// release one payload — and writes what comes out. A batch is written when
// it is complete and on a control message, before the control message is
// passed on. Like aggregate_to_array, a send writes a batch that reaches
// batch.count messages or batch.size bytes at once and writes the batches of
// a control message in the order their keys first appeared.

func sendBuiltins() map[string]Factory {
	return map[string]Factory{
		"send_file":      decoded(buildSendFile),
		"send_http_post": decoded(buildSendHTTPPost),
		"send_stdout":    decoded(buildSendStdout),
	}
}

// sender is what every send transform shares: batching, the auxiliary
// transforms, and a write function for one processed batch.
type sender struct {
	typ, id  string
	batchKey string
	aux      []Transformer
	write    func(ctx context.Context, key string, data [][]byte) error

	// mu serializes sending: the auxiliary transforms see one batch at a
	// time, and batches are written in the order they complete.
	mu sync.Mutex
	b  *aggregate.Batcher
}

// newSender checks the settings shared by every send transform.
func newSender(typ, id string, obj ObjectSettings, batch BatchSettings, aux []Transformer, now func() time.Time) (*sender, error) {
	b, err := newBatcher(typ, batch, now)
	if err != nil {
		return nil, err
	}
	if err := checkTransformers("auxiliary_transforms", aux); err != nil {
		return nil, configErr(typ, err)
	}
	return &sender{typ: typ, id: id, batchKey: obj.BatchKey, aux: append([]Transformer(nil), aux...), b: b}, nil
}

// transform batches msg and returns it, writing any batch that completes;
// a control message writes every batch.
func (s *sender) transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var batches []aggregate.Batch
	if msg.IsControl() {
		batches = s.b.Flush()
	} else {
		done, err := s.b.Add(batchKeyOf(msg, s.batchKey), msg.Data())
		if err != nil {
			return nil, &Error{Type: s.typ, ID: s.id, Err: err}
		}
		batches = done
	}
	var errs []error
	for _, bt := range batches {
		if err := s.send(ctx, bt); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, &Error{Type: s.typ, ID: s.id, Err: err}
	}
	return msg.AsSlice(), nil
}

// send runs bt through the auxiliary transforms and writes the result.
func (s *sender) send(ctx context.Context, bt aggregate.Batch) error {
	data := bt.Items
	if len(s.aux) > 0 {
		msgs := make([]*weir.Message, 0, len(bt.Items)+1)
		for _, it := range bt.Items {
			msgs = append(msgs, weir.NewMessage(it))
		}
		msgs = append(msgs, weir.NewControl())
		out, err := Apply(ctx, s.aux, msgs...)
		if err != nil {
			return fmt.Errorf("auxiliary_transforms: %w", err)
		}
		data = make([][]byte, 0, len(out))
		for _, m := range out {
			if !m.IsControl() {
				data = append(data, m.Data())
			}
		}
	}
	if len(data) == 0 {
		return nil // the auxiliary transforms dropped everything
	}
	return s.write(ctx, bt.Key, data)
}

// close closes the auxiliary transforms.
func (s *sender) close() error { return closeAll(s.aux) }

// sendSettings are the JSON settings every send transform has.
type sendSettings struct {
	Object        ObjectSettings `json:"object"`
	Batch         BatchSettings  `json:"batch"`
	AuxTransforms []weir.Config  `json:"auxiliary_transforms"`
	ID            string         `json:"id,omitempty"`
}

// ---------------------------------------------------------------------------
// send_stdout

// SendStdoutConfig configures [SendStdout], the send_stdout transform.
//
// In JSON it has Substation's shape; the auxiliary transforms are configs,
// built with [New]:
//
//	{"type": "send_stdout", "settings": {"id": "…",
//	    "object": {"batch_key": "…"}, "batch": {"count": 100},
//	    "auxiliary_transforms": [{"type": "…", "settings": {…}}]}}
type SendStdoutConfig struct {
	// Object.BatchKey, if set, batches messages by the value at that path
	// (messages without it are batched together). The other keys are
	// ignored.
	Object ObjectSettings
	// Batch sets when a batch is complete and written.
	Batch BatchSettings
	// AuxTransforms run on each batch before it is written: they receive
	// the batch's data as new messages followed by a control message, and
	// the data of the messages they return is written. Optional.
	AuxTransforms []Transformer
	// ID names this transform in errors.
	ID string
	// Writer receives the batches; nil means os.Stdout. It is only called
	// by one goroutine at a time.
	Writer io.Writer
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// SendStdout writes batches of messages to standard output (or another
// writer), each message's data followed by a newline, and passes every
// message on unchanged. It is the send_stdout transform.
//
// A batch is written with one Write call when it is complete and on a
// control message, before the control message is returned. A message larger
// than batch.size is an error matching weir.ErrInvalidData. Errors from the
// auxiliary transforms or the writer are returned in an [*Error], and the
// batch is lost.
//
// A SendStdout is safe for concurrent use; it owns its auxiliary transforms
// (see [SendStdout.Close]).
type SendStdout struct {
	s *sender
	w io.Writer
}

// NewSendStdout returns a SendStdout for cfg. It takes ownership of the
// auxiliary transforms.
func NewSendStdout(cfg SendStdoutConfig) (*SendStdout, error) {
	s, err := newSender("send_stdout", cfg.ID, cfg.Object, cfg.Batch, cfg.AuxTransforms, cfg.Now)
	if err != nil {
		return nil, err
	}
	t := &SendStdout{s: s, w: cfg.Writer}
	if t.w == nil {
		t.w = os.Stdout
	}
	s.write = t.write
	return t, nil
}

func buildSendStdout(ctx context.Context, env *Env, st sendSettings) (*SendStdout, error) {
	aux, err := buildAll(ctx, env, "auxiliary_transforms", st.AuxTransforms)
	if err != nil {
		return nil, err
	}
	return NewSendStdout(SendStdoutConfig{Object: st.Object, Batch: st.Batch, AuxTransforms: aux, ID: st.ID})
}

func (t *SendStdout) write(_ context.Context, _ string, data [][]byte) error {
	_, err := t.w.Write(aggregate.AppendNDJSON(nil, data))
	return err
}

// Transform implements [Transformer]. It returns msg.
func (t *SendStdout) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.s.transform(ctx, msg)
}

// Close closes the auxiliary transforms that implement io.Closer. It does
// not write open batches: send a control message first.
func (t *SendStdout) Close() error { return t.s.close() }

// ---------------------------------------------------------------------------
// send_file

// FilePath says how send_file names a file: the non-empty parts among
// Prefix, the time formatted with TimeFormat and a random UUID, joined by
// "/", then Suffix. Relative paths are relative to the working directory;
// "/" separates directories on every OS.
type FilePath struct {
	// Prefix starts the path, e.g. "logs" or "/var/log/weir".
	Prefix string `json:"prefix,omitempty"`
	// TimeFormat adds the time of writing: "unix" (seconds), "unix_milli"
	// or a Go time layout such as "2006/01/02".
	TimeFormat string `json:"time_format,omitempty"`
	// UUID adds a random UUID, which makes every file name unique.
	UUID bool `json:"uuid,omitempty"`
	// Suffix ends the path, e.g. ".json".
	Suffix string `json:"suffix,omitempty"`
}

// Name returns the path of a file (or object key) written at now, with
// prefix in place of p.Prefix: the non-empty parts joined by "/", then
// p.Suffix. Sends to object stores use it for keys.
func (p FilePath) Name(prefix string, now time.Time) string { return p.name(prefix, now) }

// name returns the path for a file written at now with prefix in place of
// p.Prefix.
func (p FilePath) name(prefix string, now time.Time) string {
	parts := make([]string, 0, 3)
	if prefix != "" {
		parts = append(parts, prefix)
	}
	switch p.TimeFormat {
	case "":
	case "unix":
		parts = append(parts, strconv.FormatInt(now.Unix(), 10))
	case "unix_milli":
		parts = append(parts, strconv.FormatInt(now.UnixMilli(), 10))
	default:
		parts = append(parts, now.Format(p.TimeFormat))
	}
	if p.UUID {
		parts = append(parts, uuid.NewString())
	}
	return path.Join(parts...) + p.Suffix
}

// SendFileConfig configures [SendFile], the send_file transform.
//
// In JSON it has Substation's shape; the auxiliary transforms are configs,
// built with [New]:
//
//	{"type": "send_file", "settings": {"id": "…",
//	    "file_path": {"prefix": "out", "time_format": "2006/01/02", "uuid": true, "suffix": ".jsonl"},
//	    "use_batch_key_as_prefix": false,
//	    "object": {"batch_key": "…"}, "batch": {"count": 100},
//	    "auxiliary_transforms": [{"type": "…", "settings": {…}}]}}
type SendFileConfig struct {
	// FilePath names each file. At least one part must be set, unless
	// UseBatchKeyAsPrefix is.
	FilePath FilePath
	// UseBatchKeyAsPrefix replaces FilePath.Prefix with the batch's key
	// when it is not empty. Keys come from the data, so a key that is not
	// a local relative path (absolute, or reaching up with "..") is an
	// error matching weir.ErrInvalidData.
	UseBatchKeyAsPrefix bool
	// Object.BatchKey, if set, batches messages by the value at that path
	// (messages without it are batched together). The other keys are
	// ignored.
	Object ObjectSettings
	// Batch sets when a batch is complete and written.
	Batch BatchSettings
	// AuxTransforms run on each batch before it is written: they receive
	// the batch's data as new messages followed by a control message, and
	// the data of the messages they return is written. Optional.
	AuxTransforms []Transformer
	// ID names this transform in errors.
	ID string
	// Now returns the current time, for batch.duration and
	// FilePath.TimeFormat; nil means time.Now. Tests set it.
	Now func() time.Time
}

// SendFile writes each batch of messages to a new file and passes every
// message on unchanged. It is the send_file transform.
//
// The file holds the data of the batch's messages after the auxiliary
// transforms, concatenated with nothing in between (as in Substation: add a
// separator with aggregate_to_string and string_append among the auxiliary
// transforms). No file is written for a batch the auxiliary transforms drop
// entirely. Missing directories are created (mode 0770) and an existing
// file is replaced. A batch is written when it is complete and on a control
// message, before the control message is returned. A message larger than
// batch.size is an error matching weir.ErrInvalidData; failures to write are
// returned in an [*Error], and the batch is lost.
//
// A SendFile is safe for concurrent use; it owns its auxiliary transforms
// (see [SendFile.Close]).
type SendFile struct {
	s         *sender
	path      FilePath
	keyPrefix bool
	now       func() time.Time
}

// NewSendFile returns a SendFile for cfg. It takes ownership of the
// auxiliary transforms.
func NewSendFile(cfg SendFileConfig) (*SendFile, error) {
	const typ = "send_file"
	if cfg.FilePath == (FilePath{}) && !cfg.UseBatchKeyAsPrefix {
		return nil, &weir.ConfigError{Type: typ, Field: "file_path",
			Err: errors.New("set at least one of prefix, time_format, uuid and suffix, or use_batch_key_as_prefix")}
	}
	s, err := newSender(typ, cfg.ID, cfg.Object, cfg.Batch, cfg.AuxTransforms, cfg.Now)
	if err != nil {
		return nil, err
	}
	t := &SendFile{s: s, path: cfg.FilePath, keyPrefix: cfg.UseBatchKeyAsPrefix, now: cfg.Now}
	if t.now == nil {
		t.now = time.Now
	}
	s.write = t.write
	return t, nil
}

// sendFileSettings is the JSON shape of send_file's settings.
type sendFileSettings struct {
	sendSettings
	FilePath            FilePath `json:"file_path"`
	UseBatchKeyAsPrefix bool     `json:"use_batch_key_as_prefix,omitempty"`
}

func buildSendFile(ctx context.Context, env *Env, st sendFileSettings) (*SendFile, error) {
	aux, err := buildAll(ctx, env, "auxiliary_transforms", st.AuxTransforms)
	if err != nil {
		return nil, err
	}
	return NewSendFile(SendFileConfig{
		FilePath: st.FilePath, UseBatchKeyAsPrefix: st.UseBatchKeyAsPrefix,
		Object: st.Object, Batch: st.Batch, AuxTransforms: aux, ID: st.ID,
	})
}

// errFileKey is the cause of the error for a batch key that cannot be a
// path prefix.
var errFileKey = fmt.Errorf("batch key is not a local relative path: %w", weir.ErrInvalidData)

func (t *SendFile) write(_ context.Context, key string, data [][]byte) error {
	prefix := t.path.Prefix
	if t.keyPrefix && key != "" {
		if !filepath.IsLocal(filepath.FromSlash(key)) {
			return fmt.Errorf("%q: %w", key, errFileKey)
		}
		prefix = key
	}
	name := t.path.name(prefix, t.now())
	if name == "" {
		return fmt.Errorf("file_path is empty for a batch without a key: %w", weir.ErrInvalidData)
	}
	name = filepath.FromSlash(name)
	if err := os.MkdirAll(filepath.Dir(name), 0o770); err != nil {
		return err
	}
	return os.WriteFile(name, aggregate.AppendJoin(nil, data, nil), 0o666)
}

// Transform implements [Transformer]. It returns msg.
func (t *SendFile) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.s.transform(ctx, msg)
}

// Close closes the auxiliary transforms that implement io.Closer. It does
// not write open batches: send a control message first.
func (t *SendFile) Close() error { return t.s.close() }
