package transform

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"

	"github.com/weirhq/weir"
)

// The compression types work on the whole message data; they have no
// object settings (as in Substation, for gzip). Each transformer keeps its
// codec state in pools, so it allocates little per message.

// FormatFromGzipConfig configures [FormatFromGzip].
type FormatFromGzipConfig struct {
	// MaxSize is the most bytes a message may decompress to (default 64
	// MiB); past it the transform fails with [weir.ErrTooLarge].
	MaxSize int64 `json:"max_size,omitempty"`

	ID string `json:"id,omitempty"`
}

// FormatFromGzip decompresses gzip data (type "format_from_gzip").
// Concatenated gzip members decompress to their concatenation. Data that
// is not gzip is an error matching weir.ErrInvalidData.
type FormatFromGzip struct {
	id      string
	max     int64
	readers sync.Pool // *gzip.Reader
}

// NewFormatFromGzip returns a FormatFromGzip for cfg.
func NewFormatFromGzip(cfg FormatFromGzipConfig) (*FormatFromGzip, error) {
	limit, err := formatMaxSize("format_from_gzip", cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &FormatFromGzip{id: cfg.ID, max: limit}, nil
}

// Transform implements [Transformer].
func (t *FormatFromGzip) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_gzip"
	if msg.IsControl() {
		return formatOne(msg)
	}
	d := msg.Data()
	src := bytes.NewReader(d)
	zr, _ := t.readers.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(src)
	} else {
		err = zr.Reset(src)
	}
	if err != nil {
		return nil, formatInvalid(typ, t.id, fmt.Errorf("gzip: %w", err))
	}
	// The trailer holds the size of the last member, modulo 2^32: a hint
	// only, and no more than deflate's best ratio allows.
	hint := 0
	if len(d) >= 8 {
		hint = int(min(int64(binary.LittleEndian.Uint32(d[len(d)-4:])), 1032*int64(len(d))))
	}
	out, err := formatReadAll(zr, t.max, hint)
	_ = zr.Reset(bytes.NewReader(nil)) // drop the reference to d; the EOF error is expected
	t.readers.Put(zr)
	if err != nil {
		return nil, formatInvalid(typ, t.id, fmt.Errorf("gzip: %w", err))
	}
	msg.SetData(out)
	return formatOne(msg)
}

// FormatToGzipConfig configures [FormatToGzip].
type FormatToGzipConfig struct {
	ID string `json:"id,omitempty"`
}

// FormatToGzip compresses the data with gzip at the default level (type
// "format_to_gzip"). It compresses with the standard library's
// compress/gzip, as Substation does, so that its output is the same bytes
// (github.com/klauspost/compress, which decompresses, is faster but
// compresses differently).
type FormatToGzip struct {
	id      string
	writers sync.Pool // *stdgzip.Writer
}

// NewFormatToGzip returns a FormatToGzip for cfg.
func NewFormatToGzip(cfg FormatToGzipConfig) (*FormatToGzip, error) {
	return &FormatToGzip{id: cfg.ID}, nil
}

// Transform implements [Transformer].
func (t *FormatToGzip) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return formatOne(msg)
	}
	d := msg.Data()
	var buf bytes.Buffer
	buf.Grow(len(d)/2 + 64)
	zw, _ := t.writers.Get().(*stdgzip.Writer)
	if zw == nil {
		zw = stdgzip.NewWriter(&buf)
	} else {
		zw.Reset(&buf)
	}
	_, err := zw.Write(d)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(nil)
	t.writers.Put(zw)
	if err != nil { // writing to a bytes.Buffer does not fail
		return nil, &Error{Type: "format_to_gzip", ID: t.id, Err: err}
	}
	msg.SetData(buf.Bytes())
	return formatOne(msg)
}

// FormatFromZstdConfig configures [FormatFromZstd].
type FormatFromZstdConfig struct {
	// MaxSize is the most bytes a message may decompress to (default 64
	// MiB); past it the transform fails with [weir.ErrTooLarge]. A frame that
	// declares a larger size or window fails before it is decoded.
	MaxSize int64 `json:"max_size,omitempty"`

	ID string `json:"id,omitempty"`
}

// FormatFromZstd decompresses Zstandard data (type "format_from_zstd"),
// with github.com/klauspost/compress/zstd. Concatenated frames decompress
// to their concatenation. Data that is not zstd is an error matching
// weir.ErrInvalidData.
type FormatFromZstd struct {
	id  string
	max int64
	dec *zstd.Decoder // DecodeAll only: safe for concurrent use, no goroutines
}

// NewFormatFromZstd returns a FormatFromZstd for cfg.
func NewFormatFromZstd(cfg FormatFromZstdConfig) (*FormatFromZstd, error) {
	const typ = "format_from_zstd"
	limit, err := formatMaxSize(typ, cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	// Below 1 MiB the decoder's own limit would also refuse small frames
	// for their window size (at least 1 KiB); the exact limit is checked
	// after decoding.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(uint64(max(limit, 1<<20))))
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Err: err}
	}
	return &FormatFromZstd{id: cfg.ID, max: limit, dec: dec}, nil
}

// Transform implements [Transformer].
func (t *FormatFromZstd) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_zstd"
	if msg.IsControl() {
		return formatOne(msg)
	}
	out, err := t.dec.DecodeAll(msg.Data(), nil)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		return nil, &Error{Type: typ, ID: t.id, Err: formatTooBig(t.max)}
	case err != nil:
		return nil, formatInvalid(typ, t.id, fmt.Errorf("zstd: %w", err))
	case int64(len(out)) > t.max:
		return nil, &Error{Type: typ, ID: t.id, Err: formatTooBig(t.max)}
	}
	msg.SetData(out)
	return formatOne(msg)
}

// FormatToZstdConfig configures [FormatToZstd].
type FormatToZstdConfig struct {
	ID string `json:"id,omitempty"`
}

// FormatToZstd compresses the data with Zstandard at the default level
// (type "format_to_zstd"), one frame per message that records its size.
type FormatToZstd struct {
	id  string
	enc *zstd.Encoder // EncodeAll only: safe for concurrent use, no goroutines
}

// NewFormatToZstd returns a FormatToZstd for cfg.
func NewFormatToZstd(cfg FormatToZstdConfig) (*FormatToZstd, error) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		return nil, &weir.ConfigError{Type: "format_to_zstd", Err: err}
	}
	return &FormatToZstd{id: cfg.ID, enc: enc}, nil
}

// Transform implements [Transformer].
func (t *FormatToZstd) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return formatOne(msg)
	}
	d := msg.Data()
	msg.SetData(t.enc.EncodeAll(d, make([]byte, 0, len(d)/2+32)))
	return formatOne(msg)
}

// formatSnappyMagic starts the Snappy framing format: the stream
// identifier chunk.
const formatSnappyMagic = "\xff\x06\x00\x00sNaPpY"

// FormatFromSnappyConfig configures [FormatFromSnappy].
type FormatFromSnappyConfig struct {
	// MaxSize is the most bytes a message may decompress to (default 64
	// MiB); past it the transform fails with [weir.ErrTooLarge].
	MaxSize int64 `json:"max_size,omitempty"`

	ID string `json:"id,omitempty"`
}

// FormatFromSnappy decompresses Snappy data (type "format_from_snappy"):
// the framing format when the data starts with its stream identifier, else
// the block format (the one [FormatToSnappy] writes). Data that is not
// Snappy is an error matching weir.ErrInvalidData.
type FormatFromSnappy struct {
	id      string
	max     int64
	readers sync.Pool // *snappy.Reader
}

// NewFormatFromSnappy returns a FormatFromSnappy for cfg.
func NewFormatFromSnappy(cfg FormatFromSnappyConfig) (*FormatFromSnappy, error) {
	limit, err := formatMaxSize("format_from_snappy", cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &FormatFromSnappy{id: cfg.ID, max: limit}, nil
}

// Transform implements [Transformer].
func (t *FormatFromSnappy) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_snappy"
	if msg.IsControl() {
		return formatOne(msg)
	}
	d := msg.Data()
	if bytes.HasPrefix(d, []byte(formatSnappyMagic)) {
		zr, _ := t.readers.Get().(*snappy.Reader)
		if zr == nil {
			zr = snappy.NewReader(bytes.NewReader(d))
		} else {
			zr.Reset(bytes.NewReader(d))
		}
		out, err := formatReadAll(zr, t.max, 2*len(d))
		zr.Reset(nil)
		t.readers.Put(zr)
		if err != nil {
			return nil, formatInvalid(typ, t.id, fmt.Errorf("snappy: %w", err))
		}
		msg.SetData(out)
		return formatOne(msg)
	}
	// A block starts with its decoded length, checked before allocating.
	n, err := snappy.DecodedLen(d)
	switch {
	case err != nil:
		return nil, formatInvalid(typ, t.id, fmt.Errorf("snappy: %w", err))
	case int64(n) > t.max:
		return nil, &Error{Type: typ, ID: t.id, Err: formatTooBig(t.max)}
	}
	out, err := snappy.Decode(make([]byte, n), d)
	if err != nil {
		return nil, formatInvalid(typ, t.id, fmt.Errorf("snappy: %w", err))
	}
	msg.SetData(out)
	return formatOne(msg)
}

// FormatToSnappyConfig configures [FormatToSnappy].
type FormatToSnappyConfig struct {
	ID string `json:"id,omitempty"`
}

// FormatToSnappy compresses the data in the Snappy block format (type
// "format_to_snappy"), with github.com/klauspost/compress/snappy.
type FormatToSnappy struct {
	id string
}

// NewFormatToSnappy returns a FormatToSnappy for cfg.
func NewFormatToSnappy(cfg FormatToSnappyConfig) (*FormatToSnappy, error) {
	return &FormatToSnappy{id: cfg.ID}, nil
}

// Transform implements [Transformer]. Data too large for a Snappy block
// (about 4 GiB) is an error matching weir.ErrInvalidData.
func (t *FormatToSnappy) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return formatOne(msg)
	}
	d := msg.Data()
	n := snappy.MaxEncodedLen(len(d))
	if n < 0 {
		return nil, formatInvalid("format_to_snappy", t.id, snappy.ErrTooLarge)
	}
	msg.SetData(snappy.Encode(make([]byte, n), d))
	return formatOne(msg)
}
