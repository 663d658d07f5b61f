package main

import (
	"sync"

	"github.com/weirhq/weir"
)

// messagePool holds the messages the stream released (stream.Config.Release)
// until the reader takes them for new events. Its size is bounded by the
// stream's in-flight limit.
//
// The reader takes the released messages a few dozen at a time, into a
// cache only it uses, so that the pool's lock, which the stream's
// collector takes for each message it releases, moves between the cores
// once per few dozen events rather than twice per event.
type messagePool struct {
	mu   sync.Mutex
	msgs []*weir.Message

	cache []*weir.Message // the reader's (get's) only
}

// takeAtOnce is the most messages get moves from the pool to its cache at
// a time.
const takeAtOnce = 32

// put keeps msg for reuse. It is the stream's Release.
func (p *messagePool) put(msg *weir.Message) {
	p.mu.Lock()
	p.msgs = append(p.msgs, msg)
	p.mu.Unlock()
}

// get returns a message holding data: a released one if there is one,
// else a new one. Only one goroutine calls get.
func (p *messagePool) get(data []byte) *weir.Message {
	if len(p.cache) == 0 {
		p.mu.Lock()
		n := len(p.msgs)
		k := min(n, takeAtOnce)
		if k == n {
			// All of them: the two slices trade places, with no copy
			// (one worker, run inline, releases one message per event).
			p.cache, p.msgs = p.msgs, p.cache
		} else {
			p.cache = append(p.cache, p.msgs[n-k:]...)
			clear(p.msgs[n-k:])
			p.msgs = p.msgs[:n-k]
		}
		p.mu.Unlock()
		if k == 0 {
			return weir.NewMessage(data)
		}
	}
	n := len(p.cache)
	msg := p.cache[n-1]
	p.cache[n-1] = nil
	p.cache = p.cache[:n-1]
	return msg.Reset(data)
}

// lineStore is where the reader copies each line (or record) for its
// message. A message owns the bytes it is given and they are never written
// again (transforms may keep them: an aggregation keeps the events it
// holds), so lines are not reused; they are carved from blocks of
// blockSize, one allocation for many lines, and a block is garbage once
// nothing refers to any of its lines.
type lineStore struct {
	block []byte // the rest of the current block
}

const blockSize = 64 << 10

// copy returns a copy of b.
func (s *lineStore) copy(b []byte) []byte {
	if len(b) > cap(s.block)-len(s.block) {
		if len(b) > blockSize/8 {
			return append([]byte(nil), b...)
		}
		s.block = make([]byte, 0, blockSize)
	}
	n := len(s.block)
	s.block = append(s.block, b...)
	// The capacity ends with the line: nothing appended to it can reach
	// the next one.
	return s.block[n:len(s.block):len(s.block)]
}
