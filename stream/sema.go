package stream

import (
	"sync"
	"sync/atomic"
)

// sema is a counting semaphore whose waits can be given up. The fast paths
// are a few atomic operations, much cheaper than a channel's lock.
//
// A waiter may ask to sleep until more units than it needs are free (its
// batch): a producer blocked on a full stream then wakes once per batch of
// releases instead of once per release.
type sema struct {
	avail atomic.Int64
	// wakeAt is 0 when no acquirer waits, else the units that must be free
	// for release to wake the waiters.
	wakeAt atomic.Int64
	mu     sync.Mutex
	wake   chan struct{} // closed by the release that wakes the waiters
}

func newSema(n int64) *sema {
	s := &sema{}
	s.avail.Store(n)
	return s
}

// tryAcquire takes n units if that many are free.
func (s *sema) tryAcquire(n int64) bool {
	for {
		a := s.avail.Load()
		if a < n {
			return false
		}
		if s.avail.CompareAndSwap(a, a-n) {
			return true
		}
	}
}

// acquire takes n units, waiting until batch (at least n, at most the
// capacity) are free if it has to wait. It returns errInterrupted when
// interrupt is closed first and errStopped when stop is.
func (s *sema) acquire(n, batch int64, interrupt, stop <-chan struct{}) error {
	for !s.tryAcquire(n) {
		s.mu.Lock()
		if s.wake == nil {
			s.wake = make(chan struct{})
		}
		wake := s.wake
		if w := s.wakeAt.Load(); w == 0 || batch < w {
			s.wakeAt.Store(batch)
		}
		s.mu.Unlock()
		// wakeAt was set before this try, so a release that this try misses
		// sees it.
		if s.tryAcquire(n) {
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

// release gives back n units and wakes the waiters if enough are free.
func (s *sema) release(n int64) {
	a := s.avail.Add(n)
	if w := s.wakeAt.Load(); w != 0 && a >= w {
		s.mu.Lock()
		if s.wake != nil {
			close(s.wake)
			s.wake = nil
		}
		s.wakeAt.Store(0)
		s.mu.Unlock()
	}
}
