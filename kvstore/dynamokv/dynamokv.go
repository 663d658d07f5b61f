// Package dynamokv is the aws_dynamodb kv_store of Substation configs: a
// [kvstore.Store] over a DynamoDB table, shared by every process using it.
// It lives apart from package kvstore so that programs without it do not
// link the AWS SDK; register it with [Register].
package dynamokv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/kvstore"
)

// Attributes is the "attributes" setting of the aws_dynamodb
// kv_store: the names of the table's attributes.
type Attributes struct {
	// PartitionKey holds the item's key (a string). Required.
	PartitionKey string `json:"partition_key"`
	// SortKey is the table's sort key (a string), if it has one: items
	// are kept under the sort key value "substation:kv_store", as in
	// Substation.
	SortKey string `json:"sort_key,omitempty"`
	// Value holds the item's value. Required to get, set and add to sets
	// (locks need none).
	Value string `json:"value,omitempty"`
	// TTL holds the item's expiry time in Unix seconds, the form DynamoDB's
	// TTL feature reads. Required to store items that expire and for locks
	// that expire.
	TTL string `json:"ttl,omitempty"`
}

// Config configures [New]. Its JSON form is
// the settings of the aws_dynamodb kv_store type:
//
//	{"type": "aws_dynamodb", "settings": {
//	    "table_name": "weir-kv",
//	    "attributes": {"partition_key": "PK", "sort_key": "SK", "value": "value", "ttl": "ttl"},
//	    "consistent_read": true,
//	    "aws": {"region": "us-east-1"}}}
//
// Tests in kvstore_dynamodb_test.go build it from such configs against a
// real DynamoDB protocol server.
type Config struct {
	// TableName is the table's name (or ARN). Required.
	TableName string `json:"table_name"`
	// Attributes names the table's attributes.
	Attributes Attributes `json:"attributes"`
	// ConsistentRead makes Get use strongly consistent reads.
	ConsistentRead bool `json:"consistent_read,omitempty"`
	// AWS configures the client built when awsenv.DynamoDB is nil: ARN or Region
	// give the region, Endpoint overrides the service's.
	AWS weir.AWSSettings `json:"aws"`
	// Retry is how throttled requests are retried: Count times (0 means
	// 3), waiting with full jitter from Delay up to MaxDelay (without
	// either: from 50ms up to 5s). Substation passes its retry count to
	// the AWS client instead.
	Retry weir.RetrySettings `json:"retry"`
	// Client talks to DynamoDB; nil means one built from AWS and the
	// store Env's AWS configuration (see [awsenv.ClientConfig]).
	Client awsenv.DynamoDB `json:"-"`
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time `json:"-"`
	// Sleep waits between retries; nil means a timer. Tests set it.
	Sleep func(ctx context.Context, d time.Duration) error `json:"-"`
}

// kvSortValue is the sort key value of every item, as in Substation.
const kvSortValue = "substation:kv_store"

// Store is a [kvstore.Store] over a DynamoDB table, shared by every
// process that uses the table: it implements [kvstore.Writer], [kvstore.SetAdder] and
// [kvstore.Locker]. It is what the aws_dynamodb kv_store type builds. It is safe
// for concurrent use.
//
// Items that carry a TTL attribute (Unix seconds) at or before the current
// time are treated as absent on read, before DynamoDB's sweeper deletes
// them. Values are kept as DynamoDB types (JSON strings as S, numbers as
// N, objects as M, arrays as L) so other readers of the table see them as
// Substation writes them. Sets are DynamoDB string or number sets, added
// to atomically; they are read back as JSON arrays. Locks are conditional
// writes: a lock is taken only if its item is absent or expired, so exactly
// one of any number of concurrent users takes it. Throttled requests are
// retried with backoff. Close releases the connections of a client the
// store built (the aws_dynamodb kv_store's); [kvstore.Stores.Close] calls it.
type Store struct {
	c                  awsenv.DynamoDB
	own                *http.Client // the HTTP client of a client built here, or nil
	table              string
	pk, sk, value, ttl string
	consistent         bool
	now                func() time.Time
	backoff            awsenrich.Backoff
	lockNames          map[string]string
}

// errKVAttribute is the cause of an operation that needs an attribute
// the store was not given.
var errKVAttribute = errors.New("dynamokv: aws_dynamodb kv_store: attribute not configured")

// New returns a store configured by cfg, with a client built from env's
// AWS configuration when cfg.Client is nil (env may then be nil); errors
// are *weir.ConfigErrors naming the setting ("table_name", …).
func New(ctx context.Context, env *kvstore.Env, cfg Config) (*Store, error) {
	switch {
	case cfg.TableName == "":
		return nil, &weir.ConfigError{Field: "table_name", Err: weir.ErrMissingSetting}
	case cfg.Attributes.PartitionKey == "":
		return nil, &weir.ConfigError{Field: "attributes.partition_key", Err: weir.ErrMissingSetting}
	}
	count, base, ceil, err := cfg.Retry.Policy()
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Retry.Delay == "" && cfg.Retry.MaxDelay == "":
		base, ceil = 0, 0 // awsenrich.Backoff's defaults, apt for throttling
	case base == 0:
		base = time.Nanosecond // "0s": retry at once
	}
	client := cfg.Client
	var own *http.Client
	if client == nil {
		var aws any
		if env != nil {
			aws = env.AWS
		}
		ac, hc, err := awsenv.ClientConfig(ctx, aws, cfg.AWS)
		if err != nil {
			return nil, err
		}
		client = dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		own = hc
	}
	a := cfg.Attributes
	s := &Store{
		c: client, own: own, table: cfg.TableName,
		pk: a.PartitionKey, sk: a.SortKey, value: a.Value, ttl: a.TTL,
		consistent: cfg.ConsistentRead, now: cfg.Now,
		backoff:   awsenrich.Backoff{MaxRetries: count, BaseDelay: base, MaxDelay: ceil, Sleep: cfg.Sleep},
		lockNames: map[string]string{"#pk": a.PartitionKey},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if a.TTL != "" {
		s.lockNames["#ttl"] = a.TTL
	}
	return s, nil
}

// key returns the item key for key.
func (s *Store) key(key string) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{s.pk: &types.AttributeValueMemberS{Value: key}}
	if s.sk != "" {
		k[s.sk] = &types.AttributeValueMemberS{Value: kvSortValue}
	}
	return k
}

// epoch returns an expiry as a DynamoDB number of Unix seconds.
func epoch(t time.Time) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// retry runs op, retrying it while DynamoDB throttles it.
func (s *Store) retry(ctx context.Context, op func() error) error {
	return s.backoff.Retry(ctx, awsenv.Throttled, op)
}

// Close implements io.Closer, so that [kvstore.Stores.Close] releases the store:
// it closes the idle connections of the client the store built; it does
// nothing to a Client given in the config. The store stays usable.
func (s *Store) Close() error {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	return nil
}

// needs reports an error if attribute is not configured.
func needs(attr, name string) error {
	if attr == "" {
		return fmt.Errorf("%w: attributes.%s", errKVAttribute, name)
	}
	return nil
}

// Get implements [kvstore.Store]. An item without the value attribute, or whose
// TTL has passed, is absent.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := needs(s.value, "value"); err != nil {
		return nil, false, err
	}
	in := &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: s.key(key), ConsistentRead: aws.Bool(s.consistent)}
	var out *dynamodb.GetItemOutput
	err := s.retry(ctx, func() error {
		var err error
		out, err = s.c.GetItem(ctx, in)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("transform: aws_dynamodb kv_store: get: %w", err)
	}
	if s.expired(out.Item) {
		return nil, false, nil
	}
	av, ok := out.Item[s.value]
	if !ok {
		return nil, false, nil
	}
	v, err := awsenrich.AppendAttributeValueJSON(nil, av)
	if err != nil {
		return nil, false, fmt.Errorf("transform: aws_dynamodb kv_store: get: %w", err)
	}
	return v, true, nil
}

// expired reports whether item has a TTL that has passed.
func (s *Store) expired(item map[string]types.AttributeValue) bool {
	if s.ttl == "" {
		return false
	}
	n, ok := item[s.ttl].(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	ttl, err := strconv.ParseFloat(n.Value, 64)
	return err == nil && ttl <= float64(s.now().Unix())
}

// Set implements [kvstore.Writer]. An expiry needs the TTL attribute.
func (s *Store) Set(ctx context.Context, key string, value []byte, expires time.Time) error {
	if err := needs(s.value, "value"); err != nil {
		return err
	}
	av, err := awsenrich.AttributeValueFromJSON(value)
	if err != nil {
		return err
	}
	item := s.key(key)
	item[s.value] = av
	if !expires.IsZero() {
		if err := needs(s.ttl, "ttl"); err != nil {
			return err
		}
		item[s.ttl] = epoch(expires)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}
	return s.write(ctx, "set", func() error { _, err := s.c.PutItem(ctx, in); return err })
}

// write runs a write with retries and names op in its error.
func (s *Store) write(ctx context.Context, op string, f func() error) error {
	if err := s.retry(ctx, f); err != nil {
		return fmt.Errorf("transform: aws_dynamodb kv_store: %s: %w", op, err)
	}
	return nil
}

// errKVSetValue is the cause of a value DynamoDB sets cannot hold.
var errKVSetValue = fmt.Errorf("transform: aws_dynamodb kv_store: set_add: DynamoDB sets hold only strings or only numbers: %w", weir.ErrInvalidData)

// SetAdd implements [kvstore.SetAdder] with DynamoDB's atomic ADD: value, a
// string or a number, or an array of only strings or only numbers, is
// added to the string or number set under key, and the item's TTL is set
// to expires if it is not zero. Other values are errors matching
// [weir.ErrInvalidData]; an empty array adds nothing.
func (s *Store) SetAdd(ctx context.Context, key string, value []byte, expires time.Time) error {
	if err := needs(s.value, "value"); err != nil {
		return err
	}
	set, err := dynamoSet(gjson.ParseBytes(value))
	if err != nil || set == nil {
		return err
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       s.key(key),
		UpdateExpression:          aws.String("ADD #v :v"),
		ExpressionAttributeNames:  map[string]string{"#v": s.value},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": set},
	}
	if !expires.IsZero() {
		if err := needs(s.ttl, "ttl"); err != nil {
			return err
		}
		in.UpdateExpression = aws.String("ADD #v :v SET #ttl = :ttl")
		in.ExpressionAttributeNames["#ttl"] = s.ttl
		in.ExpressionAttributeValues[":ttl"] = epoch(expires)
	}
	return s.write(ctx, "set_add", func() error { _, err := s.c.UpdateItem(ctx, in); return err })
}

// dynamoSet returns the DynamoDB set holding v's strings or numbers, or
// nil for an empty array.
func dynamoSet(v gjson.Result) (types.AttributeValue, error) {
	elems := []gjson.Result{v}
	if v.IsArray() {
		elems = v.Array()
	}
	if len(elems) == 0 {
		return nil, nil
	}
	switch elems[0].Type {
	case gjson.String, gjson.Number:
	default:
		return nil, errKVSetValue
	}
	vals := make([]string, 0, len(elems))
	seen := make(map[string]bool, len(elems)) // sets refuse duplicates
	for _, e := range elems {
		if e.Type != elems[0].Type {
			return nil, errKVSetValue
		}
		s := e.Str
		if e.Type == gjson.Number {
			s = e.Raw
		}
		if !seen[s] {
			seen[s] = true
			vals = append(vals, s)
		}
	}
	if elems[0].Type == gjson.Number {
		return &types.AttributeValueMemberNS{Value: vals}, nil
	}
	return &types.AttributeValueMemberSS{Value: vals}, nil
}

// Lock implements [kvstore.Locker] with a conditional write that succeeds only
// if the lock's item is absent or its TTL has passed. An expiry needs the
// TTL attribute; one that has passed already takes the lock at once
// without writing it, as [CacheKVStore.Lock] does.
func (s *Store) Lock(ctx context.Context, key string, expires time.Time) (bool, error) {
	now := s.now()
	item := s.key(key)
	cond := "attribute_not_exists(#pk)"
	var vals map[string]types.AttributeValue
	if !expires.IsZero() {
		if err := needs(s.ttl, "ttl"); err != nil {
			return false, err
		}
		if !expires.After(now) {
			return true, nil
		}
		item[s.ttl] = epoch(expires)
	}
	if s.ttl != "" {
		cond += " OR #ttl <= :now"
		vals = map[string]types.AttributeValue{":now": epoch(now)}
	}
	in := &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  s.lockNames,
		ExpressionAttributeValues: vals,
	}
	err := s.write(ctx, "lock", func() error { _, err := s.c.PutItem(ctx, in); return err })
	if _, held := errors.AsType[*types.ConditionalCheckFailedException](err); held {
		return false, nil
	}
	return err == nil, err
}

// Unlock implements [kvstore.Locker]: it deletes the lock's item.
func (s *Store) Unlock(ctx context.Context, key string) error {
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: s.key(key)}
	return s.write(ctx, "unlock", func() error { _, err := s.c.DeleteItem(ctx, in); return err })
}

// newStore builds the aws_dynamodb kv_store from its config.
// Register adds the aws_dynamodb type to r.
func Register(r *kvstore.Registry) error { return r.Register("aws_dynamodb", newStore) }

func newStore(ctx context.Context, env *kvstore.Env, cfg weir.Config) (kvstore.Store, error) {
	var c Config
	if err := cfg.Decode(&c); err != nil {
		return nil, kvstore.SettingsError(err)
	}
	st, err := New(ctx, env, c)
	if err != nil {
		return nil, kvstore.SettingsError(err)
	}
	return st, nil
}
