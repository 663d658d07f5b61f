package transform

import (
	"fmt"

	"github.com/weirhq/weir"
)

// DefaultMaxCount is the default "max_count" of the transforms that split
// a message: the most messages one message becomes.
const DefaultMaxCount = 100_000

// LimitError is the cause of the error of a transform that met one of its
// bounds on one message. It matches weir.ErrTooLarge: route the message
// aside, or raise the setting if such messages are expected.
//
// # Bounds on what one message may become
//
// A transform that splits one message into many (format_from_csv on the
// whole data, aggregate_from_array, aggregate_from_string) returns all the
// pieces at once, so the in-flight limits of a stream cannot hold them
// back: each has its own bounds, checked while (or before) the pieces are
// built, so that a small input — a few kilobytes of gzip, a line of commas
// — cannot make millions of messages or gigabytes of copies:
//
//   - "max_count", the most messages one message becomes (default
//     [DefaultMaxCount]);
//   - "max_size", the most bytes of data they hold together (default
//     [DefaultMaxSize]), which also bounds the copies of the rest of the
//     event that aggregate_from_array puts in every piece.
//
// The memory one call takes stays below max_size plus about 300 bytes per
// piece: at the defaults, under 2 × DefaultMaxSize (TestSplitBounds
// measures it on the inputs of issue 14). array_flatten (deep) and
// array_dedupe refuse arrays nested deeper than "max_depth" (default
// [DefaultMaxDepth]; TestArrayDepthBound), and the format_from_*
// decompressors allocate at most about twice their "max_size"
// (TestDecompressMemory).
type LimitError struct {
	// Type is the transform's type.
	Type string
	// Setting is the setting that raises the limit, e.g. "max_count".
	Setting string
	// Limit is the value in force, and What what it counts ("messages
	// from one message", "levels of nesting").
	Limit int64
	What  string
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: more than %d %s (raise %q to allow more): %v",
		e.Type, e.Limit, e.What, e.Setting, weir.ErrTooLarge)
}

// Is reports whether target is weir.ErrTooLarge.
func (e *LimitError) Is(target error) bool { return target == weir.ErrTooLarge }

// splitLimits counts the pieces one message is split into.
type splitLimits struct {
	typ      string
	maxCount int
	maxSize  int64
}

// newSplitLimits checks the max_count and max_size settings of typ.
func newSplitLimits(typ string, maxCount int, maxSize int64) (splitLimits, error) {
	switch {
	case maxCount < 0:
		return splitLimits{}, &weir.ConfigError{Type: typ, Field: "max_count", Err: fmt.Errorf("%d is negative", maxCount)}
	case maxSize < 0:
		return splitLimits{}, &weir.ConfigError{Type: typ, Field: "max_size", Err: fmt.Errorf("%d is negative", maxSize)}
	}
	if maxCount == 0 {
		maxCount = DefaultMaxCount
	}
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	return splitLimits{typ: typ, maxCount: maxCount, maxSize: maxSize}, nil
}

// splitCount is the running count of one message's pieces.
type splitCount struct {
	l     *splitLimits
	n     int
	bytes int64
}

// add counts a piece of size bytes, failing past a limit.
func (c *splitCount) add(size int) error {
	c.n++
	c.bytes += int64(size)
	switch {
	case c.n > c.l.maxCount:
		return &LimitError{Type: c.l.typ, Setting: "max_count", Limit: int64(c.l.maxCount), What: "messages from one message"}
	case c.bytes > c.l.maxSize:
		return &LimitError{Type: c.l.typ, Setting: "max_size", Limit: c.l.maxSize, What: "bytes from one message"}
	}
	return nil
}

// count returns a counter for one message.
func (l *splitLimits) count() splitCount { return splitCount{l: l} }

// DefaultMaxDepth is the default "max_depth" of array_flatten (deep) and
// array_dedupe: the most levels of arrays and objects nested in the array
// they work on. Their work grows with the depth times the size, so an
// array nested 100,000 deep in a 200 KB line would cost them tens of
// seconds; the depth is checked first, in one pass over the text.
const DefaultMaxDepth = 100

// newMaxDepth checks a max_depth setting.
func newMaxDepth(typ string, n int) (int, error) {
	switch {
	case n < 0:
		return 0, &weir.ConfigError{Type: typ, Field: "max_depth", Err: fmt.Errorf("%d is negative", n)}
	case n == 0:
		return DefaultMaxDepth, nil
	}
	return n, nil
}

// checkDepth fails with a *LimitError if the JSON text raw nests arrays
// and objects more than limit deep (raw itself is the first level).
func checkDepth(typ, raw string, limit int) error {
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
			if depth > limit {
				return &LimitError{Type: typ, Setting: "max_depth", Limit: int64(limit), What: "levels of nesting"}
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}
