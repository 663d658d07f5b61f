package transform

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/weirhq/weir"
)

// The hash_* types replace a value with the lowercase hex digest of its
// bytes. Each reads the value at object.source_key and writes the digest as
// a JSON string to object.target_key; when both keys are empty the digest
// of the whole message data replaces the data. A message whose source value
// is missing passes unchanged. A string value is hashed as its unescaped
// text, any other value as its JSON text.
//
// hash_md5 and hash_sha256 are Substation's; hash_sha1, hash_sha512,
// hash_xxhash64 and hash_fnv are Weir's own, with the same settings.

func hashBuiltins() map[string]Factory {
	return map[string]Factory{
		"hash_md5":      decodedNoCtx(NewHashMD5),
		"hash_sha1":     decodedNoCtx(NewHashSHA1),
		"hash_sha256":   decodedNoCtx(NewHashSHA256),
		"hash_sha512":   decodedNoCtx(NewHashSHA512),
		"hash_xxhash64": decodedNoCtx(NewHashXXHash64),
		"hash_fnv":      decodedNoCtx(NewHashFNV),
	}
}

// hashAlgo names a digest. A switch over it, rather than a func value,
// keeps the digest arrays on the stack.
type hashAlgo uint8

const (
	hashMD5 hashAlgo = iota
	hashSHA1
	hashSHA256
	hashSHA512
	hashXXHash64
	hashFNV
)

// size returns the digest length in bytes.
func (a hashAlgo) size() int {
	switch a {
	case hashMD5:
		return md5.Size
	case hashSHA1:
		return sha1.Size
	case hashSHA256:
		return sha256.Size
	case hashSHA512:
		return sha512.Size
	}
	return 8 // the 64-bit non-cryptographic sums
}

// appendHex appends the lowercase hex digest of b to dst.
func (a hashAlgo) appendHex(dst, b []byte) []byte {
	switch a {
	case hashMD5:
		s := md5.Sum(b)
		return appendLowerHex(dst, s[:])
	case hashSHA1:
		s := sha1.Sum(b)
		return appendLowerHex(dst, s[:])
	case hashSHA256:
		s := sha256.Sum256(b)
		return appendLowerHex(dst, s[:])
	case hashSHA512:
		s := sha512.Sum512(b)
		return appendLowerHex(dst, s[:])
	case hashXXHash64:
		var s [8]byte
		binary.BigEndian.PutUint64(s[:], xxhash.Sum64(b))
		return appendLowerHex(dst, s[:])
	default: // hashFNV
		var s [8]byte
		binary.BigEndian.PutUint64(s[:], fnv1a64(b))
		return appendLowerHex(dst, s[:])
	}
}

// FNV-1a 64-bit parameters (the same as hash/fnv.New64a).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnv1a64 returns the 64-bit FNV-1a hash of b without allocating.
func fnv1a64(b []byte) uint64 {
	h := uint64(fnvOffset64)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// hasher is the body shared by the hash_* transforms.
type hasher struct {
	typ, id string
	io      strIO
	algo    hashAlgo
}

func newHasher(typ, id string, o ObjectSettings, algo hashAlgo) (hasher, error) {
	io, err := newStrIO(typ, o)
	return hasher{typ: typ, id: id, io: io, algo: algo}, err
}

// Transform implements [Transformer].
func (h *hasher) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	n := 2 * h.algo.size()
	if h.io.whole() {
		msg.SetData(h.algo.appendHex(make([]byte, 0, n), msg.Data()))
		return strOne(msg)
	}
	v := h.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	// SetText copies the digest into the message, so a stack buffer
	// serves: the longest digest, SHA-512's, is 128 hex digits.
	var buf [2 * 64]byte
	str := v.String()
	hexd := h.algo.appendHex(buf[:0], unsafe.Slice(unsafe.StringData(str), len(str))) // read only
	if err := h.io.dst.SetText(msg, unsafe.String(unsafe.SliceData(hexd), len(hexd))); err != nil {
		return nil, &Error{Type: h.typ, ID: h.id, Err: err}
	}
	return strOne(msg)
}

// appendLowerHex appends the lowercase hex digits of b to dst, as
// hex.AppendEncode does, four bytes at a time: each byte goes to a 16-bit
// lane of a word, its two nibbles to the lane's two bytes (the high nibble
// first), and every nibble becomes its digit at once: '0' plus the nibble,
// plus 39 more ('a' - '0' - 10) where adding 6 carries into bit 4.
func appendLowerHex(dst, b []byte) []byte {
	const (
		lanes   = 0x0000ffff0000ffff
		bytes16 = 0x00ff00ff00ff00ff
		nibbles = 0x000f000f000f000f
		ones    = 0x0101010101010101
	)
	for len(b) >= 4 {
		x := uint64(binary.LittleEndian.Uint32(b))
		x = (x | x<<16) & lanes
		x = (x | x<<8) & bytes16
		n := x>>4&nibbles | (x&nibbles)<<8
		dst = binary.LittleEndian.AppendUint64(dst, n+'0'*ones+((n+6*ones)>>4&ones)*('a'-'0'-10))
		b = b[4:]
	}
	for _, c := range b {
		hi, lo := c>>4, c&15
		dst = append(dst, '0'+hi+(hi+6)>>4*('a'-'0'-10), '0'+lo+(lo+6)>>4*('a'-'0'-10))
	}
	return dst
}

// HashMD5Config configures [HashMD5].
type HashMD5Config struct {
	// Algorithm is ignored. It is accepted because configs written for
	// Substation (its own tests among them) carry it and Substation
	// ignores it.
	Algorithm string `json:"algorithm,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// HashMD5 replaces a value with its MD5 digest in hex (type "hash_md5").
// MD5 is broken for security purposes: use it to match indicators that
// are published as MD5, not to protect data.
type HashMD5 struct{ hasher }

// NewHashMD5 returns a HashMD5 for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewHashMD5(cfg HashMD5Config) (*HashMD5, error) {
	h, err := newHasher("hash_md5", cfg.ID, cfg.Object, hashMD5)
	if err != nil {
		return nil, err
	}
	return &HashMD5{h}, nil
}

// HashSHA1Config configures [HashSHA1].
type HashSHA1Config struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// HashSHA1 replaces a value with its SHA-1 digest in hex (type
// "hash_sha1"). SHA-1 is broken for security purposes: use it to match
// indicators that are published as SHA-1.
type HashSHA1 struct{ hasher }

// NewHashSHA1 returns a HashSHA1 for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewHashSHA1(cfg HashSHA1Config) (*HashSHA1, error) {
	h, err := newHasher("hash_sha1", cfg.ID, cfg.Object, hashSHA1)
	if err != nil {
		return nil, err
	}
	return &HashSHA1{h}, nil
}

// HashSHA256Config configures [HashSHA256].
type HashSHA256Config struct {
	// Algorithm is ignored, as in [HashMD5Config].
	Algorithm string `json:"algorithm,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// HashSHA256 replaces a value with its SHA-256 digest in hex (type
// "hash_sha256").
type HashSHA256 struct{ hasher }

// NewHashSHA256 returns a HashSHA256 for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewHashSHA256(cfg HashSHA256Config) (*HashSHA256, error) {
	h, err := newHasher("hash_sha256", cfg.ID, cfg.Object, hashSHA256)
	if err != nil {
		return nil, err
	}
	return &HashSHA256{h}, nil
}

// HashSHA512Config configures [HashSHA512].
type HashSHA512Config struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// HashSHA512 replaces a value with its SHA-512 digest in hex (type
// "hash_sha512").
type HashSHA512 struct{ hasher }

// NewHashSHA512 returns a HashSHA512 for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewHashSHA512(cfg HashSHA512Config) (*HashSHA512, error) {
	h, err := newHasher("hash_sha512", cfg.ID, cfg.Object, hashSHA512)
	if err != nil {
		return nil, err
	}
	return &HashSHA512{h}, nil
}

// HashXXHash64Config configures [HashXXHash64].
type HashXXHash64Config struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// HashXXHash64 replaces a value with its 64-bit xxHash (XXH64, seed 0) as
// 16 lowercase hex digits, most significant first (type "hash_xxhash64").
// It is fast and not cryptographic: use it for keys, sampling and
// deduplication, not where an adversary picks the input.
type HashXXHash64 struct{ hasher }

// NewHashXXHash64 returns a HashXXHash64 for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewHashXXHash64(cfg HashXXHash64Config) (*HashXXHash64, error) {
	h, err := newHasher("hash_xxhash64", cfg.ID, cfg.Object, hashXXHash64)
	if err != nil {
		return nil, err
	}
	return &HashXXHash64{h}, nil
}

// HashFNVConfig configures [HashFNV].
type HashFNVConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// HashFNV replaces a value with its 64-bit FNV-1a hash as 16 lowercase hex
// digits, most significant first, the same digits as hash/fnv.New64a's Sum
// (type "hash_fnv"). It is not cryptographic.
type HashFNV struct{ hasher }

// NewHashFNV returns a HashFNV for cfg. Object.SourceKey and
// Object.TargetKey are both set or both empty.
func NewHashFNV(cfg HashFNVConfig) (*HashFNV, error) {
	h, err := newHasher("hash_fnv", cfg.ID, cfg.Object, hashFNV)
	if err != nil {
		return nil, err
	}
	return &HashFNV{h}, nil
}
