package cache

import (
	"context"
	"math"
	"sync"
	"time"
)

// DefaultMaxItems is the capacity of a [Memory] whose config leaves
// MaxItems at zero; it is the capacity of Substation's memory KV store.
const DefaultMaxItems = 1024

// MemoryConfig configures [NewMemory]. The zero value is a cache of
// [DefaultMaxItems] items on the system clock.
type MemoryConfig struct {
	// MaxItems bounds the number of items; setting one more evicts the
	// least recently used. Zero or less means DefaultMaxItems.
	MaxItems int
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Memory is a bounded LRU [Cache] in this process, with a time to live per
// item. It also implements [Adder].
//
// A Get hit takes one mutex, one map lookup and (for items with a TTL) one
// read of the monotonic clock, and allocates nothing; a Set of a new key allocates its entry
// unless it reuses the one it evicts. Expired items are dropped when they
// are next read or evicted, or by [Memory.DeleteExpired]; no goroutine runs
// in the background, so a Memory needs no closing.
//
// A Memory is safe for concurrent use. Its context arguments are ignored:
// it never blocks on anything but its own mutex.
type Memory struct {
	now  func() time.Time // nil: the monotonic clock
	base time.Time        // expiry times count from here
	max  int

	mu    sync.Mutex
	items map[string]*entry
	lru   entry // sentinel: lru.next is the most recently used, lru.prev the least
}

// entry is an item and its place in the recency list.
type entry struct {
	key        string
	value      []byte
	expires    int64 // nanoseconds since Memory.base, or noExpiry
	prev, next *entry
}

// noExpiry is the expiry time of an item without a TTL.
const noExpiry = math.MaxInt64

// NewMemory returns an empty Memory.
func NewMemory(cfg MemoryConfig) *Memory {
	m := &Memory{now: cfg.Now, max: cfg.MaxItems}
	if m.now != nil {
		m.base = m.now()
	} else {
		m.base = time.Now()
	}
	if m.max <= 0 {
		m.max = DefaultMaxItems
	}
	m.items = make(map[string]*entry, min(m.max, 1024))
	m.lru.next, m.lru.prev = &m.lru, &m.lru
	return m
}

// Get implements [Cache]. It never returns an error.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	e, ok := m.items[key]
	if !ok {
		m.mu.Unlock()
		return nil, false, nil
	}
	if m.lru.next != e {
		m.unlink(e)
		m.pushFront(e)
	}
	v, exp := e.value, e.expires
	m.mu.Unlock()
	// The clock is read outside the mutex, to keep the time it is held
	// short; an expired item is dropped under it again if still there.
	if exp != noExpiry && m.elapsed() >= exp {
		m.mu.Lock()
		if cur, ok := m.items[key]; ok && cur == e && e.expires == exp {
			m.remove(e)
		}
		m.mu.Unlock()
		return nil, false, nil
	}
	return v, true, nil
}

// Set implements [Cache]. It never returns an error.
func (m *Memory) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	exp := m.expiry(ttl)
	m.mu.Lock()
	m.set(key, value, exp)
	m.mu.Unlock()
	return nil
}

// Add implements [Adder]: it stores value unless key has a live value. It
// never returns an error.
func (m *Memory) Add(_ context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	exp := m.expiry(ttl)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.items[key]; ok && (e.expires == noExpiry || m.elapsed() < e.expires) {
		return false, nil
	}
	m.set(key, value, exp)
	return true, nil
}

// Delete implements [Cache]. It never returns an error.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	if e, ok := m.items[key]; ok {
		m.remove(e)
	}
	m.mu.Unlock()
	return nil
}

// Len returns the number of items held, expired ones not yet dropped
// included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Clear removes every item.
func (m *Memory) Clear() {
	m.mu.Lock()
	clear(m.items)
	m.lru.next, m.lru.prev = &m.lru, &m.lru
	m.mu.Unlock()
}

// DeleteExpired drops every expired item and returns how many it dropped.
// It walks the whole cache under the mutex: call it now and then (from a
// ticker of yours), not per operation.
func (m *Memory) DeleteExpired() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.elapsed()
	n := 0
	for e := m.lru.next; e != &m.lru; {
		next := e.next
		if e.expires != noExpiry && now >= e.expires {
			m.remove(e)
			n++
		}
		e = next
	}
	return n
}

// elapsed returns the time since m.base. time.Since reads only the
// monotonic clock, which costs half of what time.Now does.
func (m *Memory) elapsed() int64 {
	if m.now != nil {
		return int64(m.now().Sub(m.base))
	}
	return int64(time.Since(m.base))
}

// expiry turns a TTL into an expiry time.
func (m *Memory) expiry(ttl time.Duration) int64 {
	if ttl <= 0 {
		return noExpiry
	}
	e := m.elapsed() + int64(ttl)
	if e < 0 { // overflow
		return noExpiry
	}
	return e
}

// set stores an item, evicting the least recently used one if the cache is
// full. m.mu is held.
func (m *Memory) set(key string, value []byte, exp int64) {
	if e, ok := m.items[key]; ok {
		e.value, e.expires = value, exp
		if m.lru.next != e {
			m.unlink(e)
			m.pushFront(e)
		}
		return
	}
	var e *entry
	if len(m.items) >= m.max {
		// Reuse the evicted entry for the new item.
		e = m.lru.prev
		m.unlink(e)
		delete(m.items, e.key)
	} else {
		e = new(entry)
	}
	*e = entry{key: key, value: value, expires: exp}
	m.items[key] = e
	m.pushFront(e)
}

// remove drops e. m.mu is held.
func (m *Memory) remove(e *entry) {
	m.unlink(e)
	delete(m.items, e.key)
	e.value = nil
}

func (m *Memory) unlink(e *entry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (m *Memory) pushFront(e *entry) {
	e.prev = &m.lru
	e.next = m.lru.next
	m.lru.next.prev = e
	m.lru.next = e
}
