package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Input formats (-input).
const (
	inputNDJSON  = "ndjson"  // one JSON value a line
	inputText    = "text"    // one event a line, any bytes
	inputRecords = "records" // the elements of JSON arrays, or of {"Records": [...]}
)

// errTooLong is matched by the failure of a line or record longer than
// -max-line.
var errTooLong = errors.New("longer than -max-line")

// badEvent is an event that failed before the pipeline: it is sent through
// the stream so that it is counted and reported in order, but never
// transformed.
type badEvent struct{ err error }

func (b *badEvent) Error() string { return b.err.Error() }
func (b *badEvent) Unwrap() error { return b.err }

// emitFunc receives each event of an input: its data (valid only until
// emit returns: the reader reuses the memory), its line or record number,
// and why it is bad, or nil.
type emitFunc func(data []byte, n int, bad error) error

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// decompress returns a reader of br's content, decompressed when it
// starts with the magic bytes of gzip or zstd, and a name for the format.
// close releases the decoder.
func decompress(br *bufio.Reader) (r *bufio.Reader, format string, close func(), err error) {
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("gzip: %w", err)
		}
		return bufio.NewReaderSize(zr, 64<<10), "gzip", func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, "", nil, fmt.Errorf("zstd: %w", err)
		}
		return bufio.NewReaderSize(zr, 64<<10), "zstd", zr.Close, nil
	}
	return br, "", func() {}, nil
}

// readLines calls emit with each non-blank line of br (a trailing "\r"
// removed), numbered from 1. A line longer than max bytes is bad, and only
// its first bytes are kept. Whether a line is JSON is for the pipeline
// stage to check (runner.Transform), once, on the workers.
func readLines(br *bufio.Reader, max int, emit emitFunc) error {
	var buf []byte // long lines
	for lineNo := 1; ; lineNo++ {
		line, tooLong, readErr := readLine(br, max, &buf)
		line = bytes.TrimSuffix(line, []byte("\r"))
		if tooLong || !blank(line) {
			var bad error
			if tooLong {
				bad = fmt.Errorf("line %w (%s)", errTooLong, formatSize(int64(max)))
			}
			if err := emit(line, lineNo, bad); err != nil {
				return err
			}
		}
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return readErr
		}
	}
}

// keepOfLongLine is how much of a line longer than -max-line is kept for
// the report.
const keepOfLongLine = 1 << 10

// blank reports whether line holds only white space. Lines are rarely
// blank, and JSON lines start with a brace: an ASCII first byte that is not
// a space or a control character decides.
func blank(line []byte) bool {
	if len(line) > 0 && line[0] > ' ' && line[0] < 0x80 {
		return false
	}
	return len(bytes.TrimSpace(line)) == 0
}

// readLine returns the next line of br without its "\n". A line that fits
// in br's buffer is returned in place, valid until the next read from br;
// a longer one is gathered in *buf, whose memory is kept for the next. A
// line longer than max is read to its end but only its first bytes are
// returned, with tooLong set.
func readLine(br *bufio.Reader, max int, buf *[]byte) (line []byte, tooLong bool, err error) {
	size := 0
	line = (*buf)[:0]
	for first := true; ; first = false {
		frag, err := br.ReadSlice('\n')
		n := len(frag)
		if err == nil {
			n-- // the "\n"
		}
		if first && err != bufio.ErrBufferFull && n <= max {
			return frag[:n], false, err
		}
		size += n
		if size > max && !tooLong {
			tooLong = true
			line = line[:min(len(line), keepOfLongLine)]
		}
		if !tooLong {
			line = append(line, frag[:n]...)
		} else if len(line) < keepOfLongLine {
			line = append(line, frag[:min(n, keepOfLongLine-len(line))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if cap(line) <= 1<<20 {
			*buf = line[:0] // a huge line's memory is not kept
		}
		return line, tooLong, err
	}
}

// notJSON describes why line is not a JSON value.
func notJSON(line []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(line, &v)
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return fmt.Errorf("not JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// readRecords calls emit with each element of the JSON arrays in br, in
// compact form, numbered from 1: a top-level array gives its elements, and
// an object its "Records" list (CloudTrail's files as delivered to S3).
// Several documents may follow one another. Anything else is an error
// that ends the input, as a syntax error does.
func readRecords(br *bufio.Reader, max int, emit emitFunc) error {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	n := 0
	var buf bytes.Buffer
	elements := func() error {
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			n++
			buf.Reset()
			if err := json.Compact(&buf, raw); err != nil {
				return err
			}
			var bad error
			data := buf.Bytes()
			if len(data) > max {
				bad = fmt.Errorf("record %w (%s)", errTooLong, formatSize(int64(max)))
				data = data[:keepOfLongLine]
			}
			if err := emit(data, n, bad); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['):
			if err := elements(); err != nil {
				return err
			}
		case json.Delim('{'):
			found := false
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				if key == "Records" {
					if t, err := dec.Token(); err != nil {
						return err
					} else if t != json.Delim('[') {
						return errors.New(`"Records" is not a list`)
					}
					found = true
					if err := elements(); err != nil {
						return err
					}
					continue
				}
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			if !found {
				return errors.New(`-input records reads a JSON list, or an object with a "Records" list; this object has none`)
			}
		default:
			return fmt.Errorf("-input records reads a JSON list, or an object with a \"Records\" list, not %v", tok)
		}
	}
}

// parseSize parses a size such as "1048576", "64KiB", "64MiB" or "1GiB".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size such as 1048576, 512KiB or 64MiB")
	}
	return n * mult, nil
}

// formatSize writes n bytes the way parseSize reads them.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// interruptible reads from r, a reader that may block (a terminal, a
// pipe), until stop is closed: Read then returns errInterrupted at once,
// leaving a goroutine blocked in r's Read until the process ends or r
// returns.
type interruptible struct {
	r       io.Reader
	stop    <-chan struct{}
	results chan readResult
	pending bool
	left    []byte
}

type readResult struct {
	b   []byte
	err error
}

var errInterrupted = errors.New("interrupted")

func newInterruptible(r io.Reader, stop <-chan struct{}) *interruptible {
	return &interruptible{r: r, stop: stop, results: make(chan readResult, 1)}
}

func (x *interruptible) Read(p []byte) (int, error) {
	if len(x.left) > 0 {
		n := copy(p, x.left)
		x.left = x.left[n:]
		return n, nil
	}
	if !x.pending {
		x.pending = true
		buf := make([]byte, len(p))
		go func() {
			n, err := x.r.Read(buf)
			x.results <- readResult{buf[:n], err}
		}()
	}
	select {
	case res := <-x.results:
		x.pending = false
		n := copy(p, res.b)
		x.left = res.b[n:]
		if len(x.left) > 0 {
			return n, nil
		}
		return n, res.err
	case <-x.stop:
		return 0, errInterrupted
	}
}
