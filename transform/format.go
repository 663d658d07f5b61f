package transform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/weirhq/weir"
)

// The format_* types change how data is encoded: base64, compression
// (gzip, zstd, snappy), archives and columnar files (zip, parquet), and
// text formats (pretty-printed JSON, CSV, key=value pairs).
//
// Every decoder that can expand its input (format_from_gzip, _zstd,
// _snappy, _zip, _parquet) takes a "max_size" setting, the most bytes it
// produces from one message (default 64 MiB), and fails with [weir.ErrTooLarge]
// past it without holding more than about that much memory, so a
// decompression bomb cannot take the process down.

func formatBuiltins() map[string]Factory {
	return map[string]Factory{
		"format_from_base64":       decodedNoCtx(NewFormatFromBase64),
		"format_to_base64":         decodedNoCtx(NewFormatToBase64),
		"format_from_gzip":         decodedNoCtx(NewFormatFromGzip),
		"format_to_gzip":           decodedNoCtx(NewFormatToGzip),
		"format_from_zstd":         decodedNoCtx(NewFormatFromZstd),
		"format_to_zstd":           decodedNoCtx(NewFormatToZstd),
		"format_from_snappy":       decodedNoCtx(NewFormatFromSnappy),
		"format_to_snappy":         decodedNoCtx(NewFormatToSnappy),
		"format_from_zip":          decodedNoCtx(NewFormatFromZip),
		"format_from_pretty_print": decodedNoCtx(NewFormatFromPrettyPrint),
		"format_from_csv":          decodedNoCtx(NewFormatFromCSV),
		"format_from_kv":           decodedNoCtx(NewFormatFromKV),
	}
}

// DefaultMaxSize is the default "max_size" of the format_from_* decoders:
// 64 MiB.
const DefaultMaxSize = 64 << 20

// formatMaxSize returns the effective max_size setting.
func formatMaxSize(typ string, n int64) (int64, error) {
	switch {
	case n == 0:
		return DefaultMaxSize, nil
	case n < 0:
		return 0, &weir.ConfigError{Type: typ, Field: "max_size", Err: fmt.Errorf("%d is negative", n)}
	}
	return n, nil
}

// formatTooLarge is the cause of the error a format_from_* transform
// returns when a message decodes to more than its max_size. It matches
// weir.ErrTooLarge and weir.ErrInvalidData: the message is a decompression
// bomb or simply too big for the limit; route it aside, or raise max_size
// if such messages are expected.
type formatTooLarge struct{ limit int64 }

func (e formatTooLarge) Error() string {
	return fmt.Sprintf("decoded data exceeds max_size (%d bytes)", e.limit)
}

func (formatTooLarge) Is(target error) bool {
	return target == weir.ErrTooLarge || target == weir.ErrInvalidData
}

// formatTooBig returns the cause for output past limit bytes.
func formatTooBig(limit int64) error {
	return formatTooLarge{limit}
}

// formatInvalid wraps the cause of a failure to decode a message's data in
// an *Error that matches weir.ErrInvalidData.
func formatInvalid(typ, id string, err error) error {
	if !errors.Is(err, weir.ErrInvalidData) {
		err = fmt.Errorf("%w: %w", weir.ErrInvalidData, err)
	}
	return &Error{Type: typ, ID: id, Err: err}
}

// formatReadAll reads r to its end, failing with weir.ErrTooLarge past limit
// bytes; hint is the expected size. Its buffer never grows past limit+1
// bytes, whatever r holds, and costs about twice that in allocations at
// worst (one allocation when hint is right).
func formatReadAll(r io.Reader, limit int64, hint int) ([]byte, error) {
	ceiling := limit + 1
	buf := make([]byte, 0, min(int64(max(hint, 512)), ceiling))
	for {
		if len(buf) == cap(buf) {
			// Double, but go straight to the ceiling rather than to just
			// under it, so that the allocations sum to at most twice it.
			next := max(2*int64(cap(buf)), 4096)
			if 2*next > ceiling {
				next = ceiling
			}
			grown := make([]byte, len(buf), min(next, ceiling))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, formatTooBig(limit)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// formatOne returns msg as the only result.
func formatOne(msg *weir.Message) ([]*weir.Message, error) {
	return msg.AsSlice(), nil
}

// formatNew returns a message holding data and the metadata of msg, for
// transforms that split one message into several.
func formatNew(msg *weir.Message, data []byte) *weir.Message {
	return weir.NewMessage(data).SetMetadata(msg.Metadata())
}

// FormatFromBase64Config configures [FormatFromBase64].
type FormatFromBase64Config struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// FormatFromBase64 decodes base64 (type "format_from_base64"). As
// Substation, it accepts the standard alphabet with padding (RFC 4648 §4);
// line breaks are ignored. Unpadded and URL-safe base64 are errors
// matching weir.ErrInvalidData, as in Substation.
//
// On the whole data the decoded bytes replace the data. At a key they must
// be UTF-8 text: they are written as a string, or as JSON when they are a
// JSON object or array; binary bytes are an error matching
// weir.ErrInvalidData, as in Substation.
type FormatFromBase64 struct {
	id string
	io strIO
}

// NewFormatFromBase64 returns a FormatFromBase64 for cfg.
func NewFormatFromBase64(cfg FormatFromBase64Config) (*FormatFromBase64, error) {
	io, err := newStrIO("format_from_base64", cfg.Object)
	if err != nil {
		return nil, err
	}
	return &FormatFromBase64{id: cfg.ID, io: io}, nil
}

// errFormatBinary is the cause of an error for decoded bytes that cannot be
// written into a JSON value.
var errFormatBinary = errors.New("decoded value is binary, not text")

// formatDecodeBase64 decodes standard, padded base64.
func formatDecodeBase64(src []byte) ([]byte, error) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	return dst[:n:n], nil
}

// Transform implements [Transformer].
func (t *FormatFromBase64) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_base64"
	if msg.IsControl() {
		return formatOne(msg)
	}
	if t.io.whole() {
		b, err := formatDecodeBase64(msg.Data())
		if err != nil {
			return nil, formatInvalid(typ, t.id, err)
		}
		msg.SetData(b)
		return formatOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return formatOne(msg)
	}
	b, err := formatDecodeBase64([]byte(v.String()))
	if err != nil {
		return nil, formatInvalid(typ, t.id, err)
	}
	if !utf8.Valid(b) {
		return nil, formatInvalid(typ, t.id, errFormatBinary)
	}
	return strSet(msg, &t.io.dst, b, typ, t.id)
}

// FormatToBase64Config configures [FormatToBase64].
type FormatToBase64Config struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// FormatToBase64 encodes in standard, padded base64 (type
// "format_to_base64"): the whole data, or the value at a key (a string's
// text, or the JSON text of any other value).
type FormatToBase64 struct {
	id string
	io strIO
}

// NewFormatToBase64 returns a FormatToBase64 for cfg.
func NewFormatToBase64(cfg FormatToBase64Config) (*FormatToBase64, error) {
	io, err := newStrIO("format_to_base64", cfg.Object)
	if err != nil {
		return nil, err
	}
	return &FormatToBase64{id: cfg.ID, io: io}, nil
}

// Transform implements [Transformer].
func (t *FormatToBase64) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return formatOne(msg)
	}
	if t.io.whole() {
		d := msg.Data()
		b := make([]byte, base64.StdEncoding.EncodedLen(len(d)))
		base64.StdEncoding.Encode(b, d)
		msg.SetData(b)
		return formatOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return formatOne(msg)
	}
	return strSet(msg, &t.io.dst, base64.StdEncoding.EncodeToString([]byte(v.String())), "format_to_base64", t.id)
}

// FormatFromPrettyPrintConfig configures [FormatFromPrettyPrint].
type FormatFromPrettyPrintConfig struct {
	// MaxSize is the most bytes of one JSON value the transformer holds
	// while it waits for the rest (default 64 MiB).
	MaxSize int64 `json:"max_size,omitempty"`

	ID string `json:"id,omitempty"`
}

// FormatFromPrettyPrint reassembles JSON objects (or arrays) that arrive
// pretty-printed over several messages, typically one line each, into one
// compact message per value (type "format_from_pretty_print").
//
// It is stateful, as in Substation: it buffers the data of the messages it
// is given, dropping them, until the brackets balance; then the message
// that closes the value is returned holding it, compacted. Brackets inside
// JSON strings are not counted, and a message may close one value and open
// the next, or hold several whole values (one output message each, with the
// closing message's metadata). White space between values is skipped;
// anything else there is an error matching weir.ErrInvalidData, as is a
// value that is not valid JSON or grows past MaxSize ([weir.ErrTooLarge]); the
// buffer is emptied after an error. Control messages pass through and do
// not release a partial value.
//
// One FormatFromPrettyPrint serves one stream: it is safe for concurrent
// use, but messages from concurrent callers are interleaved.
type FormatFromPrettyPrint struct {
	id  string
	max int64

	mu     sync.Mutex
	buf    []byte // the value being assembled
	depth  int    // open brackets in buf
	inStr  bool   // buf ends inside a JSON string
	escape bool   // … right after a backslash
}

// NewFormatFromPrettyPrint returns a FormatFromPrettyPrint for cfg.
func NewFormatFromPrettyPrint(cfg FormatFromPrettyPrintConfig) (*FormatFromPrettyPrint, error) {
	limit, err := formatMaxSize("format_from_pretty_print", cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &FormatFromPrettyPrint{id: cfg.ID, max: limit}, nil
}

// reset empties the buffer after an error.
func (t *FormatFromPrettyPrint) reset() {
	t.buf, t.depth, t.inStr, t.escape = nil, 0, false, false
}

// Transform implements [Transformer].
func (t *FormatFromPrettyPrint) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_pretty_print"
	if msg.IsControl() {
		return formatOne(msg)
	}
	t.mu.Lock()
	defer t.mu.Unlock()

	var out []*weir.Message
	d := msg.Data()
	for i := 0; i < len(d); i++ {
		c := d[i]
		if t.depth == 0 {
			switch c {
			case ' ', '\t', '\n', '\r':
				continue
			case '{', '[':
				t.buf = append(t.buf[:0], c)
				t.depth = 1
				continue
			}
			t.reset()
			return nil, formatInvalid(typ, t.id, fmt.Errorf("unexpected %q outside a JSON object", c))
		}
		if !t.escape {
			// Copy a run of bytes that cannot change the state at once.
			j := i
			for j < len(d) && !formatPPSpecial(d[j]) {
				j++
			}
			if j > i {
				t.buf = append(t.buf, d[i:j]...)
				if int64(len(t.buf)) > t.max {
					t.reset()
					return nil, &Error{Type: typ, ID: t.id, Err: formatTooBig(t.max)}
				}
				i = j - 1
				continue
			}
		}
		t.buf = append(t.buf, c)
		switch {
		case t.escape:
			t.escape = false
		case t.inStr:
			switch c {
			case '\\':
				t.escape = true
			case '"':
				t.inStr = false
			}
		case c == '"':
			t.inStr = true
		case c == '{' || c == '[':
			t.depth++
		case c == '}' || c == ']':
			t.depth--
		}
		if int64(len(t.buf)) > t.max {
			t.reset()
			return nil, &Error{Type: typ, ID: t.id, Err: formatTooBig(t.max)}
		}
		if t.depth > 0 {
			continue
		}
		var compact bytes.Buffer
		compact.Grow(len(t.buf))
		if err := json.Compact(&compact, t.buf); err != nil {
			t.reset()
			return nil, formatInvalid(typ, t.id, err)
		}
		t.buf = t.buf[:0]
		if cap(t.buf) > 1<<20 {
			t.buf = nil // do not hold on to the memory of a big value
		}
		if out == nil {
			out = []*weir.Message{msg.SetData(compact.Bytes())}
		} else {
			out = append(out, formatNew(msg, compact.Bytes()))
		}
	}
	return out, nil
}

// formatPPSpecial reports whether c can change the state of
// FormatFromPrettyPrint.
func formatPPSpecial(c byte) bool {
	switch c {
	case '"', '\\', '{', '}', '[', ']':
		return true
	}
	return false
}
