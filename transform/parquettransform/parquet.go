// Package parquettransform holds the format_from_parquet transform of
// Substation configs, which splits a Parquet file into one message per
// row. It lives apart from package transform so that programs without it
// do not link the Parquet library; package transform/all registers it with
// every other type.
package parquettransform

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// FormatFromParquetConfig configures [FormatFromParquet].
type FormatFromParquetConfig struct {
	// MaxSize bounds the work one message may cause (default 64 MiB): the
	// size of the file, the uncompressed size its metadata declares, and
	// the total size of the JSON rows written. Past it the transform fails
	// with [weir.ErrTooLarge].
	MaxSize int64 `json:"max_size,omitempty"`

	ID string `json:"id,omitempty"`
}

// FormatFromParquet reads a Parquet file (type "format_from_parquet"), with
// github.com/parquet-go/parquet-go: each row becomes a message holding a
// JSON object and the file message's metadata, in file order.
//
// The objects are what Substation writes, encoding/json's rendering of the
// generic rows parquet-go reads: columns as members sorted by name, groups
// and maps as objects, lists as arrays, null for a missing optional value,
// strings with <, > and & escaped (\u003c). Data that is not a Parquet file,
// or a corrupt one, is an error matching weir.ErrInvalidData.
type FormatFromParquet struct {
	id  string
	max int64
}

// NewFormatFromParquet returns a FormatFromParquet for cfg.
func NewFormatFromParquet(cfg FormatFromParquetConfig) (*FormatFromParquet, error) {
	limit, err := maxSize("format_from_parquet", cfg.MaxSize)
	if err != nil {
		return nil, err
	}
	return &FormatFromParquet{id: cfg.ID, max: limit}, nil
}

// formatParquetBatch is how many rows are decoded at a time.
const formatParquetBatch = 128

// errFormatParquetFooter is the cause of an error for data without a
// Parquet footer.
var errFormatParquetFooter = errors.New("parquet: no valid footer")

// Transform implements [transform.Transformer].
func (t *FormatFromParquet) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "format_from_parquet"
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	rows, err := t.rows(msg)
	if err != nil {
		if errors.Is(err, weir.ErrTooLarge) {
			return nil, &transform.Error{Type: typ, ID: t.id, Err: err}
		}
		return nil, invalid(typ, t.id, err)
	}
	return rows, nil
}

// rows decodes the file in msg.
func (t *FormatFromParquet) rows(msg *weir.Message) (out []*weir.Message, err error) {
	d := msg.Data()
	if int64(len(d)) > t.max {
		return nil, tooBig(t.max)
	}
	// The footer length is checked here: the library allocates it before
	// it reads it.
	const tail = 8 // footer length, "PAR1"
	if len(d) < 4+tail || string(d[len(d)-4:]) != "PAR1" ||
		int64(binary.LittleEndian.Uint32(d[len(d)-tail:]))+4+tail > int64(len(d)) {
		return nil, errFormatParquetFooter
	}
	// The library trusts the file more than data from the outside
	// deserves: its panics on corrupt input are errors here.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("parquet: corrupt file: %v", r)
		}
	}()

	f, err := parquet.OpenFile(bytes.NewReader(d), int64(len(d)),
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	// Refuse what the metadata says is too big before decoding any of it;
	// each row takes at least 2 bytes ("{}").
	if f.NumRows() > t.max/2 {
		return nil, tooBig(t.max)
	}
	var declared int64
	for _, rg := range f.Metadata().RowGroups {
		var cols int64
		for _, c := range rg.Columns {
			if cols += max(c.MetaData.TotalUncompressedSize, 0); cols > t.max {
				return nil, tooBig(t.max)
			}
		}
		if declared += max(rg.TotalByteSize, cols); declared > t.max || rg.TotalByteSize > t.max {
			return nil, tooBig(t.max)
		}
	}

	if err := checkPages(d, f.Metadata(), t.max); err != nil {
		return nil, err
	}

	r := parquet.NewGenericReader[any](f)
	defer r.Close()
	batch := make([]any, formatParquetBatch)
	var written int64
	for {
		n, err := r.Read(batch)
		for _, row := range batch[:n] {
			b, err := json.Marshal(row)
			if err != nil {
				return nil, fmt.Errorf("parquet: row %d: %w", len(out), err)
			}
			if written += int64(len(b)); written > t.max {
				return nil, tooBig(t.max)
			}
			out = append(out, weir.NewMessage(b).SetMetadata(msg.Metadata()))
		}
		clear(batch[:n])
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case err != nil:
			return nil, fmt.Errorf("parquet: %w", err)
		case n == 0:
			return out, nil
		}
	}
}

// Register adds format_from_parquet to r.
func Register(r *transform.Registry) error {
	return r.Register("format_from_parquet", transform.Typed(NewFormatFromParquet))
}

// maxSize returns the effective max_size setting.
func maxSize(typ string, n int64) (int64, error) {
	switch {
	case n == 0:
		return transform.DefaultMaxSize, nil
	case n < 0:
		return 0, &weir.ConfigError{Type: typ, Field: "max_size", Err: fmt.Errorf("%d is negative", n)}
	}
	return n, nil
}

// tooBig returns the cause for output past limit bytes.
func tooBig(limit int64) error {
	return fmt.Errorf("decoded data exceeds max_size (%d bytes): %w: %w", limit, weir.ErrTooLarge, weir.ErrInvalidData)
}

// invalid wraps the cause of a failure to decode a message's data in a
// *transform.Error that matches weir.ErrInvalidData.
func invalid(typ, id string, err error) error {
	if !errors.Is(err, weir.ErrInvalidData) {
		err = fmt.Errorf("%w: %w", weir.ErrInvalidData, err)
	}
	return &transform.Error{Type: typ, ID: id, Err: err}
}

// checkPages reads the header of every page of every column chunk, as the
// library will, and refuses sizes and value counts past limit before the
// library allocates them: a 404-byte file declaring a huge page made it
// allocate gigabytes (FuzzFormatFromParquet).
func checkPages(d []byte, md *format.FileMetaData, limit int64) error {
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			cm := c.MetaData
			start := cm.DataPageOffset
			if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
				start = cm.DictionaryPageOffset
			}
			end := start + cm.TotalCompressedSize
			if start < 0 || cm.TotalCompressedSize < 0 || end > int64(len(d)) || end < start {
				return errors.New("parquet: a column chunk lies outside the file")
			}
			var uncompressed, values int64
			for pos := start; pos < end; {
				// Read from the bytes, bounds checked, without copies.
				br := new(thrift.CompactProtocol).NewReaderFromBytes(d[pos:end])
				var h format.PageHeader
				if err := thrift.NewDecoder(br).Decode(&h); err != nil {
					return fmt.Errorf("parquet: page header: %w", err)
				}
				read, ok := br.(interface{ BytesRead() int })
				if !ok {
					return nil // not this version of the library: leave it to it
				}
				hn := int64(read.BytesRead())
				if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 ||
					pos+hn+int64(h.CompressedPageSize) > end {
					return errors.New("parquet: a page lies outside its column chunk")
				}
				var n int64
				if v, ok := h.DataPageHeader.Get(); ok {
					n = int64(v.NumValues)
				}
				if v, ok := h.DataPageHeaderV2.Get(); ok {
					n = int64(v.NumValues)
				}
				if v, ok := h.DictionaryPageHeader.Get(); ok {
					n = int64(v.NumValues)
				}
				uncompressed += int64(h.UncompressedPageSize)
				values += max(n, 0)
				if n < 0 || uncompressed > limit || values > limit {
					return tooBig(limit)
				}
				pos += hn + int64(h.CompressedPageSize)
			}
		}
	}
	return nil
}
