// Package dynamocache is a [cache.Cache] kept in a DynamoDB table, shared by
// every process that uses the table (Lambda instances, say). It lives apart
// from package cache so that programs using only the in-memory caches do
// not link the AWS SDK.
package dynamocache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/internal/backoff"
)

// Limits and defaults of a [Cache].
const (
	// MaxDynamoDBItemSize is DynamoDB's item size limit, 400 KB: attribute
	// names and values counted together.
	MaxItemSize = 400 * 1024
	// DefaultMaxKeyBytes is the longest key stored as it is; longer keys are
	// hashed. DynamoDB allows 2048 bytes in a partition key.
	DefaultMaxKeyBytes = 512
	// HashedKeyPrefix starts every hashed key; a key that starts with it is
	// hashed whatever its length, so hashed and unhashed keys never collide.
	HashedKeyPrefix = "sha256:"
)

// DynamoDBConfig configures [New]. Only awsenv.DynamoDB and Table are
// required; the zero value of every other field means its default.
type Config struct {
	// Client talks to DynamoDB. Required.
	Client awsenv.DynamoDB `json:"-"`
	// Table is the table's name. Required.
	Table string `json:"table_name"`
	// PartitionKey names the partition key attribute (a string); default "PK".
	PartitionKey string `json:"partition_key,omitempty"`
	// KeyPrefix is put in front of every key in the partition key, to keep
	// the cache's items apart from other item types in a shared table.
	KeyPrefix string `json:"key_prefix,omitempty"`
	// SortKey names the sort key attribute (a string), for a table that has
	// one; every cache item gets SortValue in it (default "cache").
	SortKey   string `json:"sort_key,omitempty"`
	SortValue string `json:"sort_value,omitempty"`
	// ValueAttribute names the binary attribute holding the value; default "value".
	ValueAttribute string `json:"value_attribute,omitempty"`
	// TTLAttribute names the number attribute holding the expiry time in
	// epoch seconds (the table's TTL attribute); default "ttl".
	TTLAttribute string `json:"ttl_attribute,omitempty"`
	// MaxKeyBytes is the longest key (KeyPrefix not counted) stored as it
	// is; longer ones are stored as HashedKeyPrefix + hex SHA-256. Default
	// DefaultMaxKeyBytes; at most 1024.
	MaxKeyBytes int `json:"max_key_bytes,omitempty"`
	// ConsistentRead makes Get use strongly consistent reads (twice the
	// read cost).
	ConsistentRead bool `json:"consistent_read,omitempty"`
	// MaxAttempts bounds the attempts of a throttled call; default 5.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// BaseDelay and MaxDelay shape the backoff between throttled attempts:
	// after attempt n (from 1), a random wait in
	// [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)) ("full jitter"). Defaults 25 ms
	// and 1 s.
	BaseDelay time.Duration `json:"-"`
	MaxDelay  time.Duration `json:"-"`
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time `json:"-"`
}

// Cache is a [cache.Cache] shared by many processes (Lambda instances, say),
// kept in one DynamoDB table, in a single-table design: an item's
// partition key is KeyPrefix + key (hashed when long), its sort key (if
// the table has one) a fixed value, its value a binary attribute and its
// expiry a number attribute in epoch seconds that the table's TTL setting
// should name. It also implements [cache.Adder] (a conditional put) and
// [cache.ExpiryGetter].
//
// Get honours the TTL attribute itself: DynamoDB deletes expired items
// only eventually (within days), so an item past its expiry is a miss
// even while it is still in the table. Expiry has a one-second
// granularity; a TTL is rounded up to whole seconds.
//
// Set refuses, before calling DynamoDB, an item over 400 KB with an
// [*ItemTooLargeError]. Calls DynamoDB throttles are retried with
// exponential backoff and full jitter, up to MaxAttempts, and then fail
// with a [*ThrottledError]; other failures are returned wrapped. Give the
// client a timeout of its own; the context bounds the whole call, backoff
// included.
//
// A DynamoDB is safe for concurrent use.
type Cache struct {
	c                  awsenv.DynamoDB
	table              *string
	pk, prefix, sk, sv string
	valAttr, ttlAttr   string
	maxKey             int
	consistent         bool
	backoff            backoff.Policy
	now                func() time.Time
	fixedSize          int // size of the attributes every item has, but for the key and value
	projection         *string
	projectionNames    map[string]string
}

// A Cache is a cache.Cache, a cache.Adder and a cache.ExpiryGetter.
var (
	_ cache.Cache        = (*Cache)(nil)
	_ cache.Adder        = (*Cache)(nil)
	_ cache.ExpiryGetter = (*Cache)(nil)
)

// ErrThrottled is matched by the error of a call that was still throttled
// after the last attempt ([*ThrottledError]). The table lacks capacity:
// slow down, or raise it.
var ErrThrottled = errors.New("cache: throttled")

// ItemTooLargeError reports an item refused for its size. It matches
// [weir.ErrTooLarge].
type ItemTooLargeError struct {
	Key  string // the cache key
	Size int    // the item's size as DynamoDB counts it
	Max  int    // the limit
}

// Error implements error.
func (e *ItemTooLargeError) Error() string {
	return fmt.Sprintf("cache: item %q is %d bytes, over the %d-byte limit", e.Key, e.Size, e.Max)
}

// Is reports whether target is weir.ErrTooLarge.
func (e *ItemTooLargeError) Is(target error) bool { return target == weir.ErrTooLarge }

// ThrottledError reports a call still throttled after its last attempt. It
// matches [ErrThrottled] and unwraps to the last throttling error.
type ThrottledError struct {
	Op       string // "GetItem", "PutItem" or "DeleteItem"
	Attempts int
	Err      error
}

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("cache: dynamodb %s throttled after %d attempts: %v", e.Op, e.Attempts, e.Err)
}

// Is reports whether target is ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Unwrap returns the last throttling error.
func (e *ThrottledError) Unwrap() error { return e.Err }

// NewDynamoDB returns a DynamoDB cache for cfg. It fails if awsenv.DynamoDB or
// Table is missing or a setting is out of range; it makes no call.
func New(cfg Config) (*Cache, error) {
	d := &Cache{
		c: cfg.Client, table: aws.String(cfg.Table),
		pk: or(cfg.PartitionKey, "PK"), prefix: cfg.KeyPrefix, sk: cfg.SortKey, sv: or(cfg.SortValue, "cache"),
		valAttr: or(cfg.ValueAttribute, "value"), ttlAttr: or(cfg.TTLAttribute, "ttl"),
		maxKey: cfg.MaxKeyBytes, consistent: cfg.ConsistentRead,
		backoff: backoff.Policy{Retries: cfg.MaxAttempts - 1, Base: cfg.BaseDelay, Max: cfg.MaxDelay},
		now:     cfg.Now,
	}
	switch {
	case cfg.Client == nil:
		return nil, errors.New("cache: NewDynamoDB: DynamoDBConfig.Client is nil")
	case cfg.Table == "":
		return nil, errors.New("cache: NewDynamoDB: DynamoDBConfig.Table is empty")
	case cfg.MaxKeyBytes < 0 || cfg.MaxKeyBytes > 1024:
		return nil, fmt.Errorf("cache: NewDynamoDB: MaxKeyBytes %d is not in [0, 1024]", cfg.MaxKeyBytes)
	case len(cfg.KeyPrefix) > 512:
		return nil, errors.New("cache: NewDynamoDB: KeyPrefix is longer than 512 bytes")
	case cfg.MaxAttempts < 0 || cfg.BaseDelay < 0 || cfg.MaxDelay < 0:
		return nil, errors.New("cache: NewDynamoDB: MaxAttempts, BaseDelay and MaxDelay must not be negative")
	}
	names := map[string]bool{d.pk: true}
	for _, n := range []string{d.sk, d.valAttr, d.ttlAttr} {
		if n != "" && names[n] {
			return nil, fmt.Errorf("cache: NewDynamoDB: attribute name %q used twice", n)
		}
		names[n] = true
	}
	if d.maxKey == 0 {
		d.maxKey = DefaultMaxKeyBytes
	}
	if cfg.MaxAttempts == 0 {
		d.backoff.Retries = 4 // 5 attempts
	}
	if d.backoff.Base == 0 {
		d.backoff.Base = 25 * time.Millisecond
	}
	if d.backoff.Max == 0 {
		d.backoff.Max = time.Second
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.fixedSize = len(d.pk) + len(d.valAttr) + len(d.ttlAttr) + maxEpochSize
	if d.sk != "" {
		d.fixedSize += len(d.sk) + len(d.sv)
	}
	d.projection = aws.String("#v, #t")
	d.projectionNames = map[string]string{"#v": d.valAttr, "#t": d.ttlAttr}
	return d, nil
}

// maxEpochSize bounds the size DynamoDB counts for an epoch-seconds number
// (up to 19 digits: 1 + ceil(19/2) + 2).
const maxEpochSize = 13

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// StorageKey returns the partition key value that key is stored under:
// KeyPrefix + key, or KeyPrefix + HashedKeyPrefix + hex SHA-256 of key when
// key is longer than MaxKeyBytes or starts with HashedKeyPrefix.
func (d *Cache) StorageKey(key string) string {
	if len(key) <= d.maxKey && !hasPrefix(key, HashedKeyPrefix) {
		return d.prefix + key
	}
	sum := sha256.Sum256([]byte(key))
	return d.prefix + HashedKeyPrefix + hex.EncodeToString(sum[:])
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// itemKey is the primary key of key's item.
func (d *Cache) itemKey(key string) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{d.pk: &types.AttributeValueMemberS{Value: d.StorageKey(key)}}
	if d.sk != "" {
		k[d.sk] = &types.AttributeValueMemberS{Value: d.sv}
	}
	return k
}

// Get implements [cache.Cache].
func (d *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, _, ok, err := d.GetWithExpiry(ctx, key)
	return v, ok, err
}

// GetWithExpiry implements [cache.ExpiryGetter].
func (d *Cache) GetWithExpiry(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	in := &dynamodb.GetItemInput{
		TableName:                d.table,
		Key:                      d.itemKey(key),
		ConsistentRead:           aws.Bool(d.consistent),
		ProjectionExpression:     d.projection,
		ExpressionAttributeNames: d.projectionNames,
	}
	var out *dynamodb.GetItemOutput
	err := d.retry(ctx, "GetItem", func() (err error) {
		out, err = d.c.GetItem(ctx, in)
		return err
	})
	if err != nil {
		return nil, time.Time{}, false, err
	}
	if out.Item == nil {
		return nil, time.Time{}, false, nil
	}
	var exp time.Time
	if n, ok := out.Item[d.ttlAttr].(*types.AttributeValueMemberN); ok {
		sec, err := strconv.ParseInt(n.Value, 10, 64)
		if err == nil && sec > 0 {
			exp = time.Unix(sec, 0)
			if !d.now().Before(exp) {
				return nil, time.Time{}, false, nil
			}
		}
	}
	b, ok := out.Item[d.valAttr].(*types.AttributeValueMemberB)
	if !ok {
		return nil, time.Time{}, false, nil // not an item of ours
	}
	if b.Value == nil {
		return []byte{}, exp, true, nil
	}
	return b.Value, exp, true, nil
}

// Set implements [cache.Cache]. It returns an [*ItemTooLargeError] without
// calling DynamoDB when the item would be over 400 KB.
func (d *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	in, err := d.put(key, value, ttl)
	if err != nil {
		return err
	}
	return d.retry(ctx, "PutItem", func() error {
		_, err := d.c.PutItem(ctx, in)
		return err
	})
}

// Add implements [cache.Adder] with a put conditional on the item being absent
// or expired.
func (d *Cache) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	in, err := d.put(key, value, ttl)
	if err != nil {
		return false, err
	}
	in.ConditionExpression = aws.String("attribute_not_exists(#k) OR (#t > :zero AND #t <= :now)")
	in.ExpressionAttributeNames = map[string]string{"#k": d.pk, "#t": d.ttlAttr}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{
		":zero": &types.AttributeValueMemberN{Value: "0"},
		":now":  &types.AttributeValueMemberN{Value: strconv.FormatInt(d.now().Unix(), 10)},
	}
	err = d.retry(ctx, "PutItem", func() error {
		_, err := d.c.PutItem(ctx, in)
		return err
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// put builds the PutItem input of an item, checking its size.
func (d *Cache) put(key string, value []byte, ttl time.Duration) (*dynamodb.PutItemInput, error) {
	sk := d.StorageKey(key)
	if size := d.fixedSize + len(sk) + len(value); size > MaxItemSize {
		return nil, &ItemTooLargeError{Key: key, Size: size, Max: MaxItemSize}
	}
	if value == nil {
		value = []byte{} // the SDK sends nil as a missing value
	}
	item := map[string]types.AttributeValue{
		d.pk:      &types.AttributeValueMemberS{Value: sk},
		d.valAttr: &types.AttributeValueMemberB{Value: value},
	}
	if d.sk != "" {
		item[d.sk] = &types.AttributeValueMemberS{Value: d.sv}
	}
	if ttl > 0 {
		// Round up to whole seconds: never expire before the TTL.
		exp := d.now().Add(ttl + time.Second - 1).Unix()
		item[d.ttlAttr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(exp, 10)}
	}
	return &dynamodb.PutItemInput{TableName: d.table, Item: item}, nil
}

// Delete implements [cache.Cache].
func (d *Cache) Delete(ctx context.Context, key string) error {
	in := &dynamodb.DeleteItemInput{TableName: d.table, Key: d.itemKey(key)}
	return d.retry(ctx, "DeleteItem", func() error {
		_, err := d.c.DeleteItem(ctx, in)
		return err
	})
}

// retry calls f until it is not throttled, up to MaxAttempts times, with
// full-jitter exponential backoff in between.
func (d *Cache) retry(ctx context.Context, op string, f func() error) error {
	attempts, err, stopped := d.backoff.Do(ctx, awsenv.Throttled, f)
	switch {
	case err == nil:
		return nil
	case stopped != nil:
		return fmt.Errorf("cache: dynamodb %s: throttled, then %w", op, context.Cause(ctx))
	case awsenv.Throttled(err):
		return &ThrottledError{Op: op, Attempts: attempts, Err: err}
	}
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return err
	}
	return fmt.Errorf("cache: dynamodb %s: %w", op, err)
}
