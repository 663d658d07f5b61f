package transform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
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
// passed on. Like aggregate_to_array, a send writes a full batch when the
// next message does not fit in it, as Substation does, and writes the
// batches of a control message in the order their keys first appeared.

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
	var key string
	if msg.IsControl() {
		batches = s.b.Flush()
	} else {
		key = batchKeyOf(msg, s.batchKey)
		done, err := s.b.Add(key, msg.Data())
		if err != nil {
			return nil, &Error{Type: s.typ, ID: s.id, Err: err}
		}
		batches = done
	}
	var errs []error
	for _, bt := range batches {
		if err := s.send(ctx, bt); err != nil {
			errs = append(errs, undelivered(bt, len(s.aux) > 0, err))
		}
	}
	if len(errs) > 0 {
		if !msg.IsControl() && !inBatches(batches, msg.Data()) {
			// msg started the next batch (a full batch is written when
			// the next message does not fit, as in Substation). It fails
			// here with the batch before it, so it must not stay to be
			// written later: a message is either reported or delivered,
			// never both. It is reported with that batch.
			s.takeBack(key, msg.Data())
			ue := errs[len(errs)-1].(*UndeliveredError)
			ue.Data = append(ue.Data[:len(ue.Data):len(ue.Data)], msg.Data())
		}
		return nil, &Error{Type: s.typ, ID: s.id, Err: errors.Join(errs...)}
	}
	return msg.AsSlice(), nil
}

// inBatches reports whether data is one of the items of batches (the very
// bytes: the Batcher keeps the slices it is given).
func inBatches(batches []aggregate.Batch, data []byte) bool {
	for _, bt := range batches {
		for _, it := range bt.Items {
			if len(it) == len(data) && (len(it) == 0 || &it[0] == &data[0]) {
				return true
			}
		}
	}
	return false
}

// takeBack removes data from the open batch of key, where Add put it.
func (s *sender) takeBack(key string, data []byte) {
	bt, ok := s.b.FlushKey(key)
	if !ok {
		return
	}
	for _, it := range bt.Items {
		if len(it) == len(data) && (len(it) == 0 || &it[0] == &data[0]) {
			continue
		}
		// The open batch held only what fits in one: re-adding the rest
		// releases nothing.
		_, _ = s.b.Add(key, it)
	}
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
	var w io.Writer
	if env != nil {
		w = env.Stdout
	}
	return NewSendStdout(SendStdoutConfig{Object: st.Object, Batch: st.Batch, AuxTransforms: aux, ID: st.ID, Writer: w})
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
	// FileMode and DirMode are the permissions of the files and folders
	// send_file creates (before the umask); 0 means 0600 and 0700. In JSON
	// they are octal strings, "file_mode": "0640" (Weir settings).
	FileMode, DirMode os.FileMode
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
// entirely. Missing folders are created. A batch is written when it is complete and on a control
// message, before the control message is returned. A message larger than
// batch.size is an error matching weir.ErrInvalidData; failures to write are
// returned in an [*Error], and the batch is lost.
//
// # Differences from Substation
//
// Files are written through an [os.Root] (TestSendFileConfined): a file
// named by a batch key stays inside the working directory, and one named
// by the prefix inside the prefix's folder, even when the path goes through
// a symbolic link; a path that would leave its folder is the batch's error.
// A file never replaces another: when the name is taken (an earlier batch,
// or another program), "-1", "-2", … is added before the suffix. Files are
// created 0600 and folders 0700 unless FileMode and DirMode say otherwise
// (Substation: 0666 and 0770, less the umask, and an existing file is
// replaced).
//
// A SendFile is safe for concurrent use; it owns its auxiliary transforms
// (see [SendFile.Close]).
type SendFile struct {
	s         *sender
	path      FilePath
	keyPrefix bool
	now       func() time.Time
	fileMode  os.FileMode
	dirMode   os.FileMode

	// Under s.mu: the folders written into, by path, and the last name
	// found taken with the next number to try for it.
	roots map[string]*os.Root
	taken string
	next  int
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
	t := &SendFile{s: s, path: cfg.FilePath, keyPrefix: cfg.UseBatchKeyAsPrefix, now: cfg.Now,
		fileMode: cfg.FileMode, dirMode: cfg.DirMode}
	if t.now == nil {
		t.now = time.Now
	}
	if t.fileMode == 0 {
		t.fileMode = 0o600
	}
	if t.dirMode == 0 {
		t.dirMode = 0o700
	}
	if t.fileMode&^os.ModePerm != 0 || t.dirMode&^os.ModePerm != 0 {
		return nil, &weir.ConfigError{Type: typ, Field: "file_mode", Err: errors.New("only permission bits may be set")}
	}
	s.write = t.write
	return t, nil
}

// sendFileSettings is the JSON shape of send_file's settings.
type sendFileSettings struct {
	sendSettings
	FilePath            FilePath `json:"file_path"`
	UseBatchKeyAsPrefix bool     `json:"use_batch_key_as_prefix,omitempty"`
	FileMode            string   `json:"file_mode,omitempty"`
	DirMode             string   `json:"dir_mode,omitempty"`
}

// parseMode parses an octal permission setting; "" is 0.
func parseMode(field, s string) (os.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 || m == 0 {
		return 0, &weir.ConfigError{Type: "send_file", Field: field, Err: fmt.Errorf("%q is not an octal permission such as \"0640\"", s)}
	}
	return os.FileMode(m), nil
}

func buildSendFile(ctx context.Context, env *Env, st sendFileSettings) (*SendFile, error) {
	aux, err := buildAll(ctx, env, "auxiliary_transforms", st.AuxTransforms)
	if err != nil {
		return nil, err
	}
	fileMode, err := parseMode("file_mode", st.FileMode)
	if err != nil {
		return nil, errors.Join(err, closeAll(aux))
	}
	dirMode, err := parseMode("dir_mode", st.DirMode)
	if err != nil {
		return nil, errors.Join(err, closeAll(aux))
	}
	return NewSendFile(SendFileConfig{
		FilePath: st.FilePath, UseBatchKeyAsPrefix: st.UseBatchKeyAsPrefix,
		Object: st.Object, Batch: st.Batch, AuxTransforms: aux, ID: st.ID,
		FileMode: fileMode, DirMode: dirMode,
	})
}

// errFileKey is the cause of the error for a batch key that cannot be a
// path prefix.
var errFileKey = fmt.Errorf("batch key is not a local relative path: %w", weir.ErrInvalidData)

func (t *SendFile) write(_ context.Context, key string, data [][]byte) error {
	prefix := t.path.Prefix
	byKey := t.keyPrefix && key != ""
	if byKey {
		if !filepath.IsLocal(filepath.FromSlash(key)) {
			return fmt.Errorf("%q: %w", key, errFileKey)
		}
		prefix = key
	}
	name := t.path.name(prefix, t.now())
	if name == "" {
		return fmt.Errorf("file_path is empty for a batch without a key: %w", weir.ErrInvalidData)
	}
	// The folder the file must stay in: the working directory for a name
	// that is local (every name from a key), else the prefix's folder.
	dir, rel := ".", name
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		dir = path.Dir(path.Clean(t.path.Prefix))
		r, err := filepath.Rel(filepath.FromSlash(dir), filepath.FromSlash(name))
		if err != nil || !filepath.IsLocal(r) {
			return fmt.Errorf("file path %q is outside %q: %w", name, dir, weir.ErrInvalidData)
		}
		rel = filepath.ToSlash(r)
	}
	root, err := t.root(dir)
	if err != nil {
		return err
	}
	if d := path.Dir(rel); d != "." {
		if err := root.MkdirAll(d, t.dirMode); err != nil {
			return err
		}
	}
	f, err := t.create(root, rel)
	if err != nil {
		return err
	}
	_, err = f.Write(aggregate.AppendJoin(nil, data, nil))
	return errors.Join(err, f.Close())
}

// root returns the open folder dir, creating it if it is missing.
func (t *SendFile) root(dir string) (*os.Root, error) {
	if r := t.roots[dir]; r != nil {
		return r, nil
	}
	if err := os.MkdirAll(filepath.FromSlash(dir), t.dirMode); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(filepath.FromSlash(dir))
	if err != nil {
		return nil, err
	}
	if t.roots == nil {
		t.roots = make(map[string]*os.Root)
	}
	t.roots[dir] = r
	return r, nil
}

// maxNameTries bounds the numbered names tried for one file.
const maxNameTries = 1 << 20

// create creates the file rel in root, never one that exists: a taken name
// gets "-<n>" before the suffix.
func (t *SendFile) create(root *os.Root, rel string) (*os.File, error) {
	const flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	f, err := root.OpenFile(rel, flags, t.fileMode)
	if !errors.Is(err, fs.ErrExist) {
		return f, err
	}
	base, suffix := rel, ""
	if t.path.Suffix != "" && strings.HasSuffix(rel, t.path.Suffix) && !strings.Contains(t.path.Suffix, "/") {
		base, suffix = rel[:len(rel)-len(t.path.Suffix)], t.path.Suffix
	}
	n := 1
	if t.taken == rel {
		n = t.next
	}
	for range maxNameTries {
		f, err = root.OpenFile(base+"-"+strconv.Itoa(n)+suffix, flags, t.fileMode)
		n++
		if !errors.Is(err, fs.ErrExist) {
			t.taken, t.next = rel, n
			return f, err
		}
	}
	return nil, fmt.Errorf("%s: %d numbered names are taken", rel, maxNameTries)
}

// Transform implements [Transformer]. It returns msg.
func (t *SendFile) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.s.transform(ctx, msg)
}

// Close closes the auxiliary transforms that implement io.Closer and the
// folders it wrote into. It does not write open batches: send a control
// message first.
func (t *SendFile) Close() error {
	t.s.mu.Lock()
	var errs []error
	for _, r := range t.roots {
		errs = append(errs, r.Close())
	}
	t.roots = nil
	t.s.mu.Unlock()
	return errors.Join(append(errs, t.s.close())...)
}
