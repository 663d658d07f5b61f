package aggregate

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/weirhq/weir"
)

// This file implements the Kinesis Producer Library (KPL) aggregated record
// format, as documented by awslabs' kinesis-aggregation project
// (KPL-Aggregation-Format.md): many user records packed into one Kinesis
// record as
//
//	magic (0xF3 0x89 0x9A 0xC2) ‖ AggregatedRecord (protobuf) ‖ MD5(AggregatedRecord)
//
// where, in protobuf terms,
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4; // key = 1, value = 2 (strings)
//	}
//
// The message is written and read with protowire, without generated code.

// KPLMagic starts every KPL aggregated record.
var KPLMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// KPLMaxSize is the largest Kinesis record, 1 MiB: "When the data blob (the
// payload before base64-encoding) is added to the partition key size, the
// total size must not exceed the maximum record size (1 MiB)" (Amazon
// Kinesis Data Streams API Reference, PutRecordsRequestEntry). It is the
// default limit of a [KPLAggregator], counting the magic bytes, the
// protobuf message, the MD5 trailer and the outer record's partition key.
const KPLMaxSize = 1 << 20

// KPLMaxPartitionKey is the longest Kinesis partition key, in Unicode code
// points: "Minimum length of 1. Maximum length of 256." (Amazon Kinesis
// Data Streams API Reference, PutRecordsRequestEntry).
const KPLMaxPartitionKey = 256

// kplOverhead is the size of the magic bytes and the MD5 trailer.
const kplOverhead = 4 + md5.Size

// Protobuf field numbers of the KPL messages.
const (
	fieldPKTable  protowire.Number = 1 // AggregatedRecord.partition_key_table
	fieldEHKTable protowire.Number = 2 // AggregatedRecord.explicit_hash_key_table
	fieldRecords  protowire.Number = 3 // AggregatedRecord.records
	fieldPKIndex  protowire.Number = 1 // Record.partition_key_index
	fieldEHKIndex protowire.Number = 2 // Record.explicit_hash_key_index
	fieldData     protowire.Number = 3 // Record.data (Record.tags, 4, is skipped)
)

// KPLRecord is one user record: what a producer puts and a consumer reads.
type KPLRecord struct {
	// PartitionKey decides the record's shard. Kinesis requires 1 to 256
	// characters.
	PartitionKey string
	// ExplicitHashKey, if set, overrides the partition key's hash (a
	// decimal 128-bit number).
	ExplicitHashKey string
	// Data is the record's payload.
	Data []byte
}

// KPLConfig sets the limits of a [KPLAggregator]. The zero value means the
// defaults.
type KPLConfig struct {
	// MaxSize is the most bytes of an aggregated record, counting the
	// magic bytes, the protobuf message, the MD5 trailer and the outer
	// partition key (the first record's), as Kinesis counts a record
	// against its limit. 0 means KPLMaxSize; more than KPLMaxSize is an
	// error.
	MaxSize int
	// MaxCount is the most user records in an aggregated record; 0 means
	// no limit but MaxSize.
	MaxCount int
}

// KPLAggregator packs user records into one KPL aggregated record, keeping
// its exact encoded size so that it never exceeds the limit. Use
// [KPLAggregator.Add] until it reports that a record does not fit, then
// [KPLAggregator.Append] the aggregated record, [KPLAggregator.Reset], and
// add the record again. It is not safe for concurrent use; its zero value
// is not usable: create one with [NewKPLAggregator].
type KPLAggregator struct {
	maxSize, maxCount int

	pkIndex  map[string]uint64
	pkTable  []string
	ehkIndex map[string]uint64
	ehkTable []string
	records  []byte // the encoded records (field 3 entries)
	count    int
	msgSize  int // bytes of the protobuf message so far
	firstPK  string
}

// NewKPLAggregator returns an empty aggregator with cfg's limits.
func NewKPLAggregator(cfg KPLConfig) (*KPLAggregator, error) {
	switch {
	case cfg.MaxSize < 0 || cfg.MaxSize > KPLMaxSize:
		return nil, fmt.Errorf("aggregate: KPL size %d out of range [0, %d]", cfg.MaxSize, KPLMaxSize)
	case cfg.MaxCount < 0:
		return nil, fmt.Errorf("aggregate: negative KPL count %d", cfg.MaxCount)
	}
	return &KPLAggregator{
		maxSize:  cmpOr(cfg.MaxSize, KPLMaxSize),
		maxCount: cfg.MaxCount,
		pkIndex:  make(map[string]uint64),
		ehkIndex: make(map[string]uint64),
	}, nil
}

// ErrKPLFull is returned by [KPLAggregator.Add] when a record does not fit
// in the records already added: emit the aggregated record, Reset, and add
// the record again.
var ErrKPLFull = errors.New("aggregate: KPL aggregated record is full")

// stringEntrySize is the encoded size of a string field with a one-byte
// tag.
func stringEntrySize(s string) int { return 1 + protowire.SizeBytes(len(s)) }

// recordSize is the encoded size of a Record message body.
func recordSize(pkIdx uint64, hasEHK bool, ehkIdx uint64, dataLen int) int {
	n := 1 + protowire.SizeVarint(pkIdx) + 1 + protowire.SizeBytes(dataLen)
	if hasEHK {
		n += 1 + protowire.SizeVarint(ehkIdx)
	}
	return n
}

// Add adds r to the aggregated record. It returns [ErrKPLFull] when r would
// make the record exceed the limits and records are already held (nothing
// changes), an error matching weir.ErrTooLarge when r alone can never fit,
// and an error matching weir.ErrInvalidData for a partition key that
// Kinesis refuses (empty or longer than 256 characters). The aggregator
// copies r.Data.
func (a *KPLAggregator) Add(r KPLRecord) error {
	if err := checkPartitionKey(r.PartitionKey); err != nil {
		return err
	}
	grow, pkNew, ehkNew, pkIdx, ehkIdx := a.cost(r)
	if a.count > 0 && (a.size()+grow > a.maxSize || (a.maxCount > 0 && a.count >= a.maxCount)) {
		return ErrKPLFull
	}
	if a.count == 0 {
		if n := kplOverhead + len(r.PartitionKey) + grow; n > a.maxSize {
			return fmt.Errorf("aggregate: a KPL record of %d bytes (data %d, partition key %d, format overhead %d) exceeds the limit of %d bytes: %w: %w",
				n, len(r.Data), len(r.PartitionKey), n-len(r.Data)-len(r.PartitionKey), a.maxSize, weir.ErrTooLarge, weir.ErrInvalidData)
		}
		a.firstPK = r.PartitionKey
	}
	if pkNew {
		a.pkIndex[r.PartitionKey] = pkIdx
		a.pkTable = append(a.pkTable, r.PartitionKey)
	}
	if ehkNew {
		a.ehkIndex[r.ExplicitHashKey] = ehkIdx
		a.ehkTable = append(a.ehkTable, r.ExplicitHashKey)
	}
	hasEHK := r.ExplicitHashKey != ""
	a.records = protowire.AppendTag(a.records, fieldRecords, protowire.BytesType)
	a.records = protowire.AppendVarint(a.records, uint64(recordSize(pkIdx, hasEHK, ehkIdx, len(r.Data))))
	a.records = protowire.AppendTag(a.records, fieldPKIndex, protowire.VarintType)
	a.records = protowire.AppendVarint(a.records, pkIdx)
	if hasEHK {
		a.records = protowire.AppendTag(a.records, fieldEHKIndex, protowire.VarintType)
		a.records = protowire.AppendVarint(a.records, ehkIdx)
	}
	a.records = protowire.AppendTag(a.records, fieldData, protowire.BytesType)
	a.records = protowire.AppendBytes(a.records, r.Data)
	a.msgSize += grow
	a.count++
	return nil
}

// cost returns how many bytes adding r grows the protobuf message by, and
// the table indexes r would use.
func (a *KPLAggregator) cost(r KPLRecord) (grow int, pkNew, ehkNew bool, pkIdx, ehkIdx uint64) {
	pkIdx, ok := a.pkIndex[r.PartitionKey]
	if !ok {
		pkNew, pkIdx = true, uint64(len(a.pkTable))
		grow += stringEntrySize(r.PartitionKey)
	}
	hasEHK := r.ExplicitHashKey != ""
	if hasEHK {
		ehkIdx, ok = a.ehkIndex[r.ExplicitHashKey]
		if !ok {
			ehkNew, ehkIdx = true, uint64(len(a.ehkTable))
			grow += stringEntrySize(r.ExplicitHashKey)
		}
	}
	rs := recordSize(pkIdx, hasEHK, ehkIdx, len(r.Data))
	grow += 1 + protowire.SizeBytes(rs)
	return grow, pkNew, ehkNew, pkIdx, ehkIdx
}

// checkPartitionKey checks Kinesis's partition key limits.
func checkPartitionKey(pk string) error {
	if pk == "" {
		return fmt.Errorf("aggregate: empty partition key: %w", weir.ErrInvalidData)
	}
	if n := len(pk); n > KPLMaxPartitionKey {
		// Count code points only when the bytes are over the limit.
		if c := len([]rune(pk)); c > KPLMaxPartitionKey {
			return fmt.Errorf("aggregate: partition key of %d characters exceeds the limit of %d: %w: %w", c, KPLMaxPartitionKey, weir.ErrTooLarge, weir.ErrInvalidData)
		}
	}
	return nil
}

// size is the size the aggregated record would have now, with the outer
// partition key.
func (a *KPLAggregator) size() int { return kplOverhead + len(a.firstPK) + a.msgSize }

// Len returns the number of user records held.
func (a *KPLAggregator) Len() int { return a.count }

// Size returns the size of the aggregated record [KPLAggregator.Append]
// would write plus that of its partition key, as Kinesis counts it; 0 when
// no record is held.
func (a *KPLAggregator) Size() int {
	if a.count == 0 {
		return 0
	}
	return a.size()
}

// PartitionKey returns the partition key to put the aggregated record
// with: the first user record's, as the KPL does.
func (a *KPLAggregator) PartitionKey() string { return a.firstPK }

// Append appends the aggregated record to dst and returns the extended
// slice. With no records held it appends nothing.
func (a *KPLAggregator) Append(dst []byte) []byte {
	if a.count == 0 {
		return dst
	}
	dst = slices.Grow(dst, kplOverhead+a.msgSize)
	dst = append(dst, KPLMagic...)
	start := len(dst)
	for _, pk := range a.pkTable {
		dst = protowire.AppendTag(dst, fieldPKTable, protowire.BytesType)
		dst = protowire.AppendString(dst, pk)
	}
	for _, ehk := range a.ehkTable {
		dst = protowire.AppendTag(dst, fieldEHKTable, protowire.BytesType)
		dst = protowire.AppendString(dst, ehk)
	}
	dst = append(dst, a.records...)
	sum := md5.Sum(dst[start:])
	return append(dst, sum[:]...)
}

// Reset empties the aggregator, keeping its memory.
func (a *KPLAggregator) Reset() {
	clear(a.pkIndex)
	clear(a.ehkIndex)
	a.pkTable = a.pkTable[:0]
	a.ehkTable = a.ehkTable[:0]
	a.records = a.records[:0]
	a.count, a.msgSize, a.firstPK = 0, 0, ""
}

// IsKPLAggregated reports whether data has the KPL magic bytes and room for
// the trailer. It does not check the MD5 sum.
func IsKPLAggregated(data []byte) bool {
	return len(data) >= kplOverhead && bytes.Equal(data[:4], KPLMagic)
}

// Deaggregate returns the user records packed in the Kinesis record r. A
// record that is not a KPL aggregated record (no magic bytes, or an MD5
// trailer that does not match) is returned as the only element, unchanged,
// as the KPL libraries do. An aggregated record whose checksum matches but
// whose content is malformed (a truncated field, an index outside its
// table) is an error matching weir.ErrInvalidData. The returned records'
// Data alias r.Data.
func Deaggregate(r KPLRecord) ([]KPLRecord, error) {
	if !IsKPLAggregated(r.Data) {
		return []KPLRecord{r}, nil
	}
	msg := r.Data[4 : len(r.Data)-md5.Size]
	sum := md5.Sum(msg)
	if !bytes.Equal(sum[:], r.Data[len(r.Data)-md5.Size:]) {
		return []KPLRecord{r}, nil
	}
	out, err := decodeAggregated(msg)
	if err != nil {
		return nil, fmt.Errorf("aggregate: malformed KPL aggregated record: %w: %w", err, weir.ErrInvalidData)
	}
	return out, nil
}

// rawRecord is a Record before its indexes are resolved.
type rawRecord struct {
	pk, ehk       uint64
	hasPK, hasEHK bool
	data          []byte
}

// decodeAggregated reads an AggregatedRecord message.
func decodeAggregated(b []byte) ([]KPLRecord, error) {
	var pks, ehks []string
	var raws []rawRecord
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == fieldPKTable && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			pks = append(pks, string(v))
			b = b[n:]
		case num == fieldEHKTable && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			ehks = append(ehks, string(v))
			b = b[n:]
		case num == fieldRecords && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			rr, err := decodeRecord(v)
			if err != nil {
				return nil, err
			}
			raws = append(raws, rr)
			b = b[n:]
		default: // an unknown field: skip it, as protobuf readers do
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	out := make([]KPLRecord, len(raws))
	for i, rr := range raws {
		if !rr.hasPK {
			return nil, fmt.Errorf("record %d has no partition key index", i)
		}
		if rr.pk >= uint64(len(pks)) {
			return nil, fmt.Errorf("record %d: partition key index %d outside a table of %d", i, rr.pk, len(pks))
		}
		out[i] = KPLRecord{PartitionKey: pks[rr.pk], Data: rr.data}
		if rr.hasEHK {
			if rr.ehk >= uint64(len(ehks)) {
				return nil, fmt.Errorf("record %d: explicit hash key index %d outside a table of %d", i, rr.ehk, len(ehks))
			}
			out[i].ExplicitHashKey = ehks[rr.ehk]
		}
	}
	return out, nil
}

// decodeRecord reads a Record message.
func decodeRecord(b []byte) (rawRecord, error) {
	var rr rawRecord
	hasData := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return rr, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == fieldPKIndex && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return rr, protowire.ParseError(n)
			}
			rr.pk, rr.hasPK = v, true
			b = b[n:]
		case num == fieldEHKIndex && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return rr, protowire.ParseError(n)
			}
			rr.ehk, rr.hasEHK = v, true
			b = b[n:]
		case num == fieldData && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return rr, protowire.ParseError(n)
			}
			rr.data, hasData = v, true
			b = b[n:]
		default: // tags (field 4) and unknown fields
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return rr, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	if !hasData {
		return rr, errors.New("record has no data")
	}
	if rr.data == nil {
		rr.data = []byte{}
	}
	return rr, nil
}
