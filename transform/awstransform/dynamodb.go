package awstransform

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/transform"
)

// DynamoDBAttributes is the "attributes" setting of enrich_aws_dynamodb_query
// and of the aws_dynamodb kv_store: the names of the table's attributes.
type DynamoDBAttributes struct {
	// PartitionKey is the partition key attribute (a string). Required.
	PartitionKey string `json:"partition_key"`
	// SortKey is the sort key attribute (a string), for tables with one.
	SortKey string `json:"sort_key,omitempty"`
}

// EnrichAWSDynamoDBQueryConfig configures [EnrichAWSDynamoDBQuery], the
// enrich_aws_dynamodb_query transform.
//
//	{"type": "enrich_aws_dynamodb_query", "settings": {
//	    "object": {"source_key": "user", "target_key": "user_info"},
//	    "attributes": {"partition_key": "PK", "sort_key": "SK"},
//	    "scan_index_forward": true, "limit": 10,
//	    "aws": {"arn": "arn:aws:dynamodb:us-east-1:123456789012:table/users"}}}
//
// Its behaviour against a real DynamoDB protocol server is shown by
// TestEnrichAWSDynamoDBQuery in enrich_dynamodb_test.go.
type EnrichAWSDynamoDBQueryConfig struct {
	// Object.SourceKey is the key to query: a string (the partition key
	// value), or, with Attributes.SortKey set, an array of two strings
	// (partition and sort key values). Object.TargetKey receives the items,
	// an array of objects; it is required.
	Object transform.ObjectSettings `json:"object"`
	// Attributes names the table's key attributes; PartitionKey is
	// required.
	Attributes DynamoDBAttributes `json:"attributes"`
	// Limit is the most items evaluated per query; 0 means no limit (one
	// page of results).
	Limit int32 `json:"limit,omitempty"`
	// ScanIndexForward returns items in ascending sort key order. False,
	// the zero value, means descending: what Substation does when the
	// setting is left out (its documentation says ascending).
	ScanIndexForward bool `json:"scan_index_forward,omitempty"`
	// ConsistentRead asks for strongly consistent reads (a Weir
	// extension).
	ConsistentRead bool `json:"consistent_read,omitempty"`
	// AWS.ARN is the table's ARN or name. Required.
	AWS weir.AWSSettings `json:"aws"`
	// ID names this transform in errors.
	ID string `json:"id,omitempty"`
	// Client queries the table; nil means a client built from AWS and the
	// Env's AWS configuration, whose idle connections Close releases.
	Client awsenv.DynamoDB `json:"-"`
	// Backoff retries throttled queries; the zero value retries 3 times.
	Backoff awsenrich.Backoff `json:"-"`
}

// EnrichAWSDynamoDBQuery queries a DynamoDB table with a value of each
// message and writes the items found into it, as an array of objects
// (numbers as DynamoDB keeps them, binary values as base64 strings, sets
// as arrays). A message without the value, with an array value that is
// not a key pair, or whose query finds nothing passes unchanged. It is
// safe for concurrent use.
type EnrichAWSDynamoDBQuery struct {
	id       string
	src, dst string
	pair     bool // a sort key attribute is set, so pairs are queried
	q        *awsenrich.DynamoDBQuery
	own      *http.Client // the HTTP client of a client built here, or nil
}

// NewEnrichAWSDynamoDBQuery returns an EnrichAWSDynamoDBQuery. Without
// cfg.Client it builds one from env.AWS (see [awsenv.ClientConfig]); env
// may be nil.
func NewEnrichAWSDynamoDBQuery(ctx context.Context, env *transform.Env, cfg EnrichAWSDynamoDBQueryConfig) (*EnrichAWSDynamoDBQuery, error) {
	const typ = "enrich_aws_dynamodb_query"
	switch {
	case cfg.Object.TargetKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "object.target_key", Err: weir.ErrMissingSetting}
	case cfg.Attributes.PartitionKey == "":
		return nil, &weir.ConfigError{Type: typ, Field: "attributes.partition_key", Err: weir.ErrMissingSetting}
	case cfg.AWS.ARN == "":
		return nil, &weir.ConfigError{Type: typ, Field: "aws.arn", Err: weir.ErrMissingSetting}
	case cfg.Limit < 0:
		return nil, &weir.ConfigError{Type: typ, Field: "limit", Err: fmt.Errorf("%d is negative", cfg.Limit)}
	}
	client := cfg.Client
	var own *http.Client
	if client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		client = dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		own = hc
	}
	q, err := awsenrich.NewDynamoDBQuery(awsenrich.DynamoDBQueryConfig{
		Client: client, Table: cfg.AWS.ARN,
		PartitionKey: cfg.Attributes.PartitionKey, SortKey: cfg.Attributes.SortKey,
		Limit: cfg.Limit, ScanIndexForward: cfg.ScanIndexForward, ConsistentRead: cfg.ConsistentRead,
		Backoff: cfg.Backoff,
	})
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Err: err}
	}
	return &EnrichAWSDynamoDBQuery{
		id: cfg.ID, src: cfg.Object.SourceKey, dst: cfg.Object.TargetKey,
		pair: cfg.Attributes.SortKey != "", q: q, own: own,
	}, nil
}

// Close closes the idle connections of the client the transform built; it
// does nothing to a Client given in the config. The transform stays
// usable.
func (t *EnrichAWSDynamoDBQuery) Close() error {
	closeIdle(t.own)
	return nil
}

// Transform implements [transform.Transformer].
func (t *EnrichAWSDynamoDBQuery) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	const typ = "enrich_aws_dynamodb_query"
	if msg.IsControl() {
		return msg.AsSlice(), nil
	}
	v := msg.Get(t.src)
	if !v.Exists() {
		return msg.AsSlice(), nil
	}
	var (
		pk string
		sk *string
	)
	switch {
	case !v.IsArray():
		pk = v.String()
	case t.pair && len(v.Array()) == 2:
		a := v.Array()
		s := a[1].String()
		pk, sk = a[0].String(), &s
	default:
		return msg.AsSlice(), nil
	}
	items, err := t.q.Query(ctx, pk, sk)
	if err != nil {
		return nil, &transform.Error{Type: typ, ID: t.id, Err: err}
	}
	if items == nil {
		return msg.AsSlice(), nil
	}
	if err := msg.SetRaw(t.dst, items); err != nil {
		return nil, &transform.Error{Type: typ, ID: t.id, Err: err}
	}
	return msg.AsSlice(), nil
}
