package transform

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"

	"github.com/weirhq/weir"
)

// FormatFromZipConfig configures [FormatFromZip].
type FormatFromZipConfig struct {
	// MaxSize is the most bytes the files of one archive may decompress to
	// in total (default 64 MiB); past it the transform fails with
	// [weir.ErrTooLarge].
	MaxSize int64 `json:"max_size,omitempty"`

	ID string `json:"id,omitempty"`
}

// FormatFromZip unpacks a zip archive (type "format_from_zip"): each file
// becomes a message holding its contents and the archive message's
// metadata, in archive order. Directories and empty files are skipped, as
// in Substation; an archive with neither yields no messages. Data that is
// not a zip archive, or a file that cannot be read (encrypted, an unknown
// compression method, a bad checksum), is an error matching
// weir.ErrInvalidData.
type FormatFromZip struct {
	id        string
	max       int64
	inflaters sync.Pool // *formatInflater
}

// NewFormatFromZip returns a FormatFromZip for cfg.
func NewFormatFromZip(cfg FormatFromZipConfig) (*FormatFromZip, error) {
	limit, err := formatMaxSize("format_from_zip", cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &FormatFromZip{id: cfg.ID, max: limit}, nil
}

// Transform implements [Transformer].
func (t *FormatFromZip) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_zip"
	if msg.IsControl() {
		return formatOne(msg)
	}
	d := msg.Data()
	zr, err := zip.NewReader(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		return nil, formatInvalid(typ, t.id, fmt.Errorf("zip: %w", err))
	}
	zr.RegisterDecompressor(zip.Deflate, t.inflate)
	var out []*weir.Message
	left := t.max // bytes the remaining files may hold
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || f.UncompressedSize64 == 0 {
			continue
		}
		if f.UncompressedSize64 > uint64(left) {
			return nil, &Error{Type: typ, ID: t.id, Err: formatTooBig(t.max)}
		}
		b, err := t.read(f, left)
		if err != nil {
			return nil, formatInvalid(typ, t.id, fmt.Errorf("zip: %s: %w", f.Name, err))
		}
		left -= int64(len(b))
		out = append(out, formatNew(msg, b))
	}
	return out, nil
}

// formatInflater decompresses deflate with github.com/klauspost/compress
// (faster than the standard library); Close returns it to its pool.
type formatInflater struct {
	br   *bufio.Reader
	fr   io.ReadCloser // a flate.Resetter
	pool *sync.Pool
}

func (z *formatInflater) Read(p []byte) (int, error) { return z.fr.Read(p) }

// Close implements io.Closer.
func (z *formatInflater) Close() error {
	err := z.fr.Close()
	z.br.Reset(nil)
	z.pool.Put(z)
	return err
}

// inflate is the deflate decompressor of the archives t reads.
func (t *FormatFromZip) inflate(r io.Reader) io.ReadCloser {
	z, _ := t.inflaters.Get().(*formatInflater)
	if z == nil {
		br := bufio.NewReaderSize(r, 4096)
		return &formatInflater{br: br, fr: flate.NewReader(br), pool: &t.inflaters}
	}
	z.br.Reset(r)
	if err := z.fr.(flate.Resetter).Reset(z.br, nil); err != nil {
		br := bufio.NewReaderSize(r, 4096)
		return &formatInflater{br: br, fr: flate.NewReader(br), pool: &t.inflaters}
	}
	return z
}

// read returns the contents of f, at most limit bytes.
func (t *FormatFromZip) read(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// The sizes in the archive are hints: no more than deflate's best ratio.
	hint := min(f.UncompressedSize64, 1032*f.CompressedSize64+64)
	b, err := formatReadAll(rc, limit, int(min(hint, uint64(limit))))
	if errors.Is(err, weir.ErrTooLarge) {
		return nil, formatTooBig(t.max) // the limit of the whole archive
	}
	return b, err
}
