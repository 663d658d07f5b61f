// Package aggregate groups items (byte slices, usually JSON events) into
// batches bounded by a number of items, a number of bytes and a time, one
// batch per key. It is the building block behind Weir's aggregate_* and
// send_* transforms and can be used on its own, for example to pack records
// into Kinesis or S3 objects from a Lambda:
//
//	b, err := aggregate.New(aggregate.Config{Count: 500, Size: 5 << 20})
//	...
//	for _, rec := range records {
//		done, err := b.Add(rec.PartitionKey, rec.Data)
//		... // ship each batch in done
//	}
//	for _, batch := range b.Flush() {
//		... // ship what is left
//	}
//
// A [Batcher] starts no goroutine and no timer: time limits are checked when
// an item is added, and [Batcher.Flush] releases whatever is left. The
// encoders [AppendJSONArray], [AppendJoin] and [AppendNDJSON] turn a batch
// into one payload.
package aggregate

import (
	"fmt"
	"sync"
	"time"

	"github.com/weirhq/weir"
)

// Defaults used for the zero values of [Config] fields.
const (
	DefaultCount    = 1000        // items per batch
	DefaultSize     = 1 << 20     // bytes per batch (1 MiB)
	DefaultDuration = time.Minute // see Config.Duration
)

// errTooLarge is the error of [Batcher.Add] for an item larger than the
// batch size.
func errTooLarge(n, size int) error {
	return fmt.Errorf("aggregate: an item of %d bytes is larger than the batch size %d: %w: %w", n, size, weir.ErrTooLarge, weir.ErrInvalidData)
}

// Config sets the limits of each batch. The zero value means the defaults.
type Config struct {
	// Count is the most items in a batch; 0 means DefaultCount.
	Count int
	// Size is the most bytes in a batch, counting the items' lengths only
	// (no separators or brackets an encoder adds); 0 means DefaultSize.
	Size int
	// Duration bounds how long a batch stays open: an item that arrives
	// more than Duration after the batch's first item (or, with Idle, after
	// its latest item) completes the batch and starts the next one. It is
	// checked only when an item is added to the same key. 0 means
	// DefaultDuration.
	Duration time.Duration
	// Idle measures Duration from a batch's latest item instead of its first,
	// as Substation does: a batch then stays open while items keep arriving
	// less than Duration apart.
	Idle bool
	// Hold keeps a batch that reaches Count items or Size bytes open until
	// an item arrives that does not fit, as Substation does: Add then
	// releases it and the item starts the next batch. Without Hold such a
	// batch is released at once, by the Add that filled it.
	Hold bool
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Batch is a group of items released by a [Batcher]. The caller owns it.
type Batch struct {
	// Key is the key the items were added with.
	Key string
	// Items are the items in the order they were added. The slices are the
	// ones given to Add, not copies.
	Items [][]byte
	// Size is the sum of the items' lengths.
	Size int
}

// Batcher collects items into one open batch per key and releases a batch
// when it is complete (see [Batcher.Add]) or flushed. It is safe for
// concurrent use. Create one with [New].
type Batcher struct {
	maxCount int
	maxSize  int
	maxAge   time.Duration
	idle     bool
	hold     bool
	now      func() time.Time

	mu    sync.Mutex
	open  map[string]*pending
	order []*pending // in the order keys were first added since the last Flush
}

// pending is the open batch of one key.
type pending struct {
	key   string
	items [][]byte
	size  int
	since time.Time // first item, or latest with Idle
}

// New returns a Batcher with cfg's limits. Negative limits are an error.
func New(cfg Config) (*Batcher, error) {
	switch {
	case cfg.Count < 0:
		return nil, fmt.Errorf("aggregate: negative count %d", cfg.Count)
	case cfg.Size < 0:
		return nil, fmt.Errorf("aggregate: negative size %d", cfg.Size)
	case cfg.Duration < 0:
		return nil, fmt.Errorf("aggregate: negative duration %v", cfg.Duration)
	}
	b := &Batcher{
		maxCount: cmpOr(cfg.Count, DefaultCount),
		maxSize:  cmpOr(cfg.Size, DefaultSize),
		maxAge:   cmpOr(cfg.Duration, DefaultDuration),
		idle:     cfg.Idle,
		hold:     cfg.Hold,
		now:      cfg.Now,
		open:     make(map[string]*pending),
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Add adds item to the open batch of key and returns the batches this
// completes, usually none:
//
//   - if item does not fit in the open batch (one item too many or too many
//     bytes), or arrives too late for it (see Config.Duration), that batch
//     is released and item starts the next one;
//   - a batch that reaches Config.Count items or Config.Size bytes is
//     released at once, item included, unless Config.Hold is set.
//
// So Add returns at most two batches, in the order they were filled. An item
// larger than Config.Size is not added, and Add returns an error matching
// weir.ErrTooLarge and weir.ErrInvalidData (the item is at fault: route it
// aside, or raise Config.Size); no batch changes.
//
// The Batcher keeps item until its batch is released: the caller must not
// modify it afterwards.
func (b *Batcher) Add(key string, item []byte) ([]Batch, error) {
	if len(item) > b.maxSize {
		return nil, errTooLarge(len(item), b.maxSize)
	}
	now := b.now()

	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.open[key]
	if p == nil {
		p = &pending{key: key}
		b.open[key] = p
		b.order = append(b.order, p)
	}

	var done []Batch
	if len(p.items) > 0 &&
		(len(p.items) >= b.maxCount || p.size+len(item) > b.maxSize || now.Sub(p.since) > b.maxAge) {
		done = append(done, p.take())
	}
	if len(p.items) == 0 || b.idle {
		p.since = now
	}
	p.items = append(p.items, item)
	p.size += len(item)
	if !b.hold && (len(p.items) >= b.maxCount || p.size >= b.maxSize) {
		done = append(done, p.take())
	}
	return done, nil
}

// take returns p's items as a Batch and empties p.
func (p *pending) take() Batch {
	bt := Batch{Key: p.key, Items: p.items, Size: p.size}
	p.items, p.size = nil, 0
	return bt
}

// Flush releases every open batch, in the order their keys were first added
// since the previous Flush, and forgets the keys. It returns nil if no batch
// is open.
func (b *Batcher) Flush() []Batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Batch
	for _, p := range b.order {
		if len(p.items) > 0 {
			out = append(out, p.take())
		}
	}
	clear(b.order)
	b.order = b.order[:0]
	clear(b.open)
	return out
}

// FlushKey releases the open batch of key, if it holds any item.
func (b *Batcher) FlushKey(key string) (Batch, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.open[key]
	if p == nil || len(p.items) == 0 {
		return Batch{}, false
	}
	return p.take(), true
}

// Len returns the number of items held in open batches.
func (b *Batcher) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.order {
		n += len(p.items)
	}
	return n
}
