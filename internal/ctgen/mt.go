package ctgen

import "math/bits"

// mtN is the state size of MT19937.
const mtN = 624

// pyRandom reproduces the sequence of Python's random.Random for an integer
// seed: the MT19937 generator seeded with init_by_array over the seed's
// 32-bit words, and the derived methods the generator script uses
// (random, getrandbits, randrange, choice), each consuming the same words
// Python's implementation does.
type pyRandom struct {
	mt  [mtN]uint32
	idx int
}

// newPyRandom returns the generator random.Random(seed) would be.
func newPyRandom(seed uint64) *pyRandom {
	// Python splits abs(seed) into little-endian 32-bit words; 0 is [0].
	key := []uint32{uint32(seed)}
	if seed>>32 != 0 {
		key = append(key, uint32(seed>>32))
	}
	r := &pyRandom{}
	r.initByArray(key)
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = mtN
}

func (r *pyRandom) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := max(mtN, len(key))
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = mtN - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

// uint32 returns the next 32-bit output (genrand_uint32).
func (r *pyRandom) uint32() uint32 {
	const (
		m         = 397
		upperMask = 0x80000000
		lowerMask = 0x7fffffff
		matrixA   = 0x9908b0df
	)
	if r.idx >= mtN {
		for kk := 0; kk < mtN; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[(kk+1)%mtN] & lowerMask)
			v := r.mt[(kk+m)%mtN] ^ (y >> 1)
			if y&1 != 0 {
				v ^= matrixA
			}
			r.mt[kk] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// random returns a float64 in [0, 1) as random.random() does: 53 bits from
// two outputs.
func (r *pyRandom) random() float64 {
	a := r.uint32() >> 5
	b := r.uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}

// bits32 returns getrandbits(k) for 0 <= k <= 32.
func (r *pyRandom) bits32(k int) uint32 {
	if k == 0 {
		return 0
	}
	return r.uint32() >> (32 - k)
}

// bits64 returns getrandbits(64): the first output is the low word.
func (r *pyRandom) bits64() uint64 {
	lo := uint64(r.uint32())
	hi := uint64(r.uint32())
	return hi<<32 | lo
}

// bits128 returns getrandbits(128) as (high, low) 64-bit halves; Python
// fills the number from its least significant word up.
func (r *pyRandom) bits128() (hi, lo uint64) {
	lo = r.bits64()
	hi = r.bits64()
	return hi, lo
}

// below returns a uniform int in [0, n) as random._randbelow does: draw
// n.bit_length() bits until the value is below n. n must be positive and
// below 2**32.
func (r *pyRandom) below(n int) int {
	k := bits.Len(uint(n))
	v := int(r.bits32(k))
	for v >= n {
		v = int(r.bits32(k))
	}
	return v
}

// randrange returns random.randrange(start, stop).
func (r *pyRandom) randrange(start, stop int) int { return start + r.below(stop-start) }

// pick returns random.choice(xs).
func pick[T any](r *pyRandom, xs ...T) T { return xs[r.below(len(xs))] }
