package stream

import (
	"sync"
	"sync/atomic"
)

// budget counts the input messages inside the stream and their bytes. Only
// the holder of the send lock acquires; any goroutine releases. The fast
// paths are two atomic additions each. A waiting acquirer is woken once an
// eighth of the limits is free, so that a producer held back by a full
// stream wakes once per batch of releases.
type budget struct {
	msgs, bytes       atomic.Int64
	maxMsgs, maxBytes int64
	lowMsgs, lowBytes int64 // wake the acquirer at or below these

	waiting atomic.Bool // an acquirer is (about to be) asleep on wake
	mu      sync.Mutex
	wake    chan struct{} // closed by the release that wakes the acquirer
}

func (b *budget) init(maxMsgs, maxBytes int64) {
	b.maxMsgs, b.maxBytes = maxMsgs, maxBytes
	b.lowMsgs = maxMsgs - max(1, maxMsgs/8)
	b.lowBytes = maxBytes - maxBytes/8
}

// tryAcquire takes one message of size bytes if it fits. A message larger
// than the byte limit fits when the stream is empty. As only one goroutine
// acquires and the others only release, the counts it reads can only have
// dropped by the time it adds to them.
func (b *budget) tryAcquire(size int64) bool {
	n, total := b.msgs.Load(), b.bytes.Load()
	if n >= b.maxMsgs || n > 0 && total+size > b.maxBytes {
		return false
	}
	b.msgs.Add(1)
	b.bytes.Add(size)
	return true
}

// acquire takes one message of size bytes, waiting for room. It returns
// errInterrupted when interrupt is closed first and errStopped when stop is.
func (b *budget) acquire(interrupt <-chan struct{}, size int64, stop <-chan struct{}) error {
	for !b.tryAcquire(size) {
		b.mu.Lock()
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		b.waiting.Store(true)
		b.mu.Unlock()
		// A release between the failed try and the store above did not see
		// waiting: try again before sleeping.
		if b.tryAcquire(size) {
			return nil
		}
		select {
		case <-wake:
		case <-interrupt:
			return errInterrupted
		case <-stop:
			return errStopped
		}
	}
	return nil
}

// release gives back one message of size bytes, and wakes a waiting
// acquirer if the stream is low enough.
func (b *budget) release(size int64) {
	n := b.msgs.Add(-1)
	total := b.bytes.Add(-size)
	if b.waiting.Load() && (n == 0 || n <= b.lowMsgs && total <= b.lowBytes) {
		b.mu.Lock()
		if b.wake != nil {
			close(b.wake)
			b.wake = nil
		}
		b.waiting.Store(false)
		b.mu.Unlock()
	}
}

// inFlight returns the messages and bytes inside the stream.
func (b *budget) inFlight() (msgs, bytes int64) {
	return b.msgs.Load(), b.bytes.Load()
}
