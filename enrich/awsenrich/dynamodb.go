package awsenrich

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/backoff"
)

// DynamoDBQueryConfig configures [NewDynamoDBQuery].
type DynamoDBQueryConfig struct {
	// Client runs the queries. Required.
	Client awsenv.DynamoDB
	// Table is the table's name or ARN. Required.
	Table string
	// PartitionKey is the name of the table's partition key attribute.
	// Required.
	PartitionKey string
	// SortKey is the name of the table's sort key attribute (a string);
	// it is needed to query by partition and sort key.
	SortKey string
	// Limit is the most items evaluated per query; 0 means no limit (one
	// page of results: up to 1 MB).
	Limit int32
	// ScanIndexForward returns items in ascending sort key order; false
	// means descending.
	ScanIndexForward bool
	// ConsistentRead asks for strongly consistent reads.
	ConsistentRead bool
	// Backoff retries throttled queries; its zero value retries 3 times.
	Backoff Backoff
}

// DynamoDBQuery queries a DynamoDB table by partition key (and optionally
// sort key) for enrichment and returns the items as JSON. Throttled
// queries are retried with [Backoff]; the error of one still throttled
// after the last retry wraps DynamoDB's (such as a
// *types.ProvisionedThroughputExceededException). It is safe for
// concurrent use.
type DynamoDBQuery struct {
	client       awsenv.DynamoDB
	table        string
	pk, sk       string
	limit        *int32
	forward      bool
	consistent   bool
	backoff      Backoff
	names        map[string]string
	namesWithKey map[string]string
}

// NewDynamoDBQuery returns a DynamoDBQuery configured by cfg.
func NewDynamoDBQuery(cfg DynamoDBQueryConfig) (*DynamoDBQuery, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("enrich: dynamodb query: no client")
	case cfg.Table == "":
		return nil, errors.New("enrich: dynamodb query: no table")
	case cfg.PartitionKey == "":
		return nil, errors.New("enrich: dynamodb query: no partition key attribute")
	case cfg.Limit < 0:
		return nil, fmt.Errorf("enrich: dynamodb query: limit %d is negative", cfg.Limit)
	}
	if err := cfg.Backoff.check(); err != nil {
		return nil, fmt.Errorf("enrich: dynamodb query: %w", err)
	}
	q := &DynamoDBQuery{
		client: cfg.Client, table: cfg.Table,
		pk: cfg.PartitionKey, sk: cfg.SortKey,
		forward: cfg.ScanIndexForward, consistent: cfg.ConsistentRead,
		backoff: cfg.Backoff,
		names:   map[string]string{"#pk": cfg.PartitionKey},
	}
	if cfg.Limit > 0 {
		q.limit = aws.Int32(cfg.Limit)
	}
	if cfg.SortKey != "" {
		q.namesWithKey = map[string]string{"#pk": cfg.PartitionKey, "#sk": cfg.SortKey}
	}
	return q, nil
}

// Query returns the items whose partition key is pk as a JSON array of
// objects (attribute values converted as [AppendAttributeValueJSON] does),
// or nil when there are none. A non-nil sk also requires the sort key to
// equal *sk; it needs the SortKey attribute to be configured.
func (q *DynamoDBQuery) Query(ctx context.Context, pk string, sk *string) ([]byte, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(q.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  q.names,
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		Limit:                     q.limit,
		ScanIndexForward:          aws.Bool(q.forward),
		ConsistentRead:            aws.Bool(q.consistent),
	}
	if sk != nil {
		if q.sk == "" {
			return nil, errors.New("enrich: dynamodb query: a sort key value without a sort key attribute")
		}
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk = :sk")
		in.ExpressionAttributeNames = q.namesWithKey
		in.ExpressionAttributeValues[":sk"] = &types.AttributeValueMemberS{Value: *sk}
	}
	var out *dynamodb.QueryOutput
	err := q.backoff.Retry(ctx, awsenv.Throttled, func() error {
		var err error
		out, err = q.client.Query(ctx, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enrich: dynamodb query %s: %w", q.table, err)
	}
	if len(out.Items) == 0 {
		return nil, nil
	}
	buf := append(make([]byte, 0, 64*len(out.Items)), '[')
	for i, item := range out.Items {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = AppendItemJSON(buf, item); err != nil {
			return nil, fmt.Errorf("enrich: dynamodb query %s: %w", q.table, err)
		}
	}
	return append(buf, ']'), nil
}

// ---------------------------------------------------------------------------
// Backoff

// Backoff retries an operation that failed with a retryable error, waiting
// between attempts: retry n (from 0) waits a random time in
// [0, min(MaxDelay, BaseDelay·2ⁿ)) ("full jitter"). The zero value retries
// 3 times from 50 ms up to 5 s.
type Backoff struct {
	// MaxRetries is the most retries after the first attempt; 0 means 3,
	// negative means none.
	MaxRetries int
	// BaseDelay and MaxDelay bound the waits; 0 means 50 ms and 5 s.
	BaseDelay, MaxDelay time.Duration
	// Sleep waits d or until ctx is done; nil means a timer. Tests set it
	// to observe or skip the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

// check rejects negative delays.
func (b Backoff) check() error {
	if b.BaseDelay < 0 || b.MaxDelay < 0 {
		return errors.New("backoff delays must not be negative")
	}
	return nil
}

// Retry calls op until it succeeds, fails with an error retryable does not
// accept, the retries run out (its last error is returned) or ctx is done
// (ctx's error is returned).
func (b Backoff) Retry(ctx context.Context, retryable func(error) bool, op func() error) error {
	p := backoff.Policy{Retries: max(b.MaxRetries, 0), Base: b.BaseDelay, Max: b.MaxDelay, Sleep: b.Sleep}
	if b.MaxRetries == 0 {
		p.Retries = 3
	}
	if p.Base == 0 {
		p.Base = 50 * time.Millisecond
	}
	if p.Max == 0 {
		p.Max = 5 * time.Second
	}
	_, err, stopped := p.Do(ctx, retryable, op)
	if stopped != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return stopped
	}
	return err
}

// ---------------------------------------------------------------------------
// Attribute values and JSON

// errAttributeValue is the cause of an attribute value with no JSON form.
var errAttributeValue = errors.New("enrich: dynamodb: unsupported attribute value")

// AppendItemJSON appends item as a JSON object with its attributes in
// sorted order, each converted by [AppendAttributeValueJSON].
func AppendItemJSON(buf []byte, item map[string]types.AttributeValue) ([]byte, error) {
	keys := make([]string, 0, len(item))
	for k := range item {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = weir.AppendJSONString(buf, k)
		buf = append(buf, ':')
		if buf, err = AppendAttributeValueJSON(buf, item[k]); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// AppendAttributeValueJSON appends the JSON form of a DynamoDB attribute
// value: S as a string, N as the number exactly as DynamoDB wrote it, B as
// a base64 string, BOOL, NULL as null, SS, NS and BS as arrays of those,
// L as an array and M as an object with sorted keys.
func AppendAttributeValueJSON(buf []byte, av types.AttributeValue) ([]byte, error) {
	var err error
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return weir.AppendJSONString(buf, v.Value), nil
	case *types.AttributeValueMemberN:
		return appendNumber(buf, v.Value)
	case *types.AttributeValueMemberB:
		return appendBase64(buf, v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return strconv.AppendBool(buf, v.Value), nil
	case *types.AttributeValueMemberNULL:
		return append(buf, "null"...), nil
	case *types.AttributeValueMemberSS:
		buf = append(buf, '[')
		for i, s := range v.Value {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = weir.AppendJSONString(buf, s)
		}
		return append(buf, ']'), nil
	case *types.AttributeValueMemberNS:
		buf = append(buf, '[')
		for i, s := range v.Value {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendNumber(buf, s); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case *types.AttributeValueMemberBS:
		buf = append(buf, '[')
		for i, b := range v.Value {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendBase64(buf, b)
		}
		return append(buf, ']'), nil
	case *types.AttributeValueMemberL:
		buf = append(buf, '[')
		for i, e := range v.Value {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = AppendAttributeValueJSON(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case *types.AttributeValueMemberM:
		return AppendItemJSON(buf, v.Value)
	default:
		return nil, fmt.Errorf("%w %T", errAttributeValue, av)
	}
}

// appendNumber appends a DynamoDB number, which is JSON number text unless
// it has a form JSON lacks (a leading "+" or "."): that is reformatted.
func appendNumber(buf []byte, n string) ([]byte, error) {
	if gjson.Valid(n) && len(n) > 0 && (n[0] == '-' || n[0] >= '0' && n[0] <= '9') {
		return append(buf, n...), nil
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: number %q", errAttributeValue, n)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64), nil
}

// appendBase64 appends b as a base64 JSON string, as encoding/json writes
// a []byte.
func appendBase64(buf, b []byte) []byte {
	buf = append(buf, '"')
	buf = base64.StdEncoding.AppendEncode(buf, b)
	return append(buf, '"')
}

// AttributeValueFromJSON converts JSON text to a DynamoDB attribute value:
// a string to S, a number to N (its text as written), true and false to
// BOOL, null to NULL, an array to L and an object to M. Invalid JSON is an
// error matching [weir.ErrInvalidData].
func AttributeValueFromJSON(raw []byte) (types.AttributeValue, error) {
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		return nil, fmt.Errorf("enrich: dynamodb: value is not JSON: %w", weir.ErrInvalidData)
	}
	return attributeValue(gjson.ParseBytes(raw)), nil
}

// attributeValue converts a valid JSON value.
func attributeValue(r gjson.Result) types.AttributeValue {
	switch r.Type {
	case gjson.String:
		return &types.AttributeValueMemberS{Value: r.Str}
	case gjson.Number:
		return &types.AttributeValueMemberN{Value: r.Raw}
	case gjson.True, gjson.False:
		return &types.AttributeValueMemberBOOL{Value: r.Type == gjson.True}
	case gjson.Null:
		return &types.AttributeValueMemberNULL{Value: true}
	}
	if r.IsArray() {
		l := []types.AttributeValue{}
		r.ForEach(func(_, e gjson.Result) bool {
			l = append(l, attributeValue(e))
			return true
		})
		return &types.AttributeValueMemberL{Value: l}
	}
	m := map[string]types.AttributeValue{}
	r.ForEach(func(k, e gjson.Result) bool {
		m[k.String()] = attributeValue(e)
		return true
	})
	return &types.AttributeValueMemberM{Value: m}
}
