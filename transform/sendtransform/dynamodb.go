package sendtransform

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Limits of DynamoDB BatchWriteItem (Amazon DynamoDB API Reference,
// BatchWriteItem): "a single call to BatchWriteItem can transmit up to 16MB
// of data over the network, consisting of up to 25 item put or delete
// operations", and each item is at most 400 KB (DynamoDB Developer Guide,
// "Item size": 409,600 bytes, attribute names included).
const (
	DynamoDBMaxItems       = 25
	DynamoDBMaxItemSize    = 400 << 10
	DynamoDBMaxRequestSize = 16 << 20
)

// DynamoDBAPI is the part of the DynamoDB client the send uses.
type DynamoDBAPI interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// SendAWSDynamoDBPutConfig configures [SendAWSDynamoDBPut], the
// send_aws_dynamodb_put transform.
//
//	{"type": "send_aws_dynamodb_put", "settings": {
//	    "aws": {"arn": "arn:aws:dynamodb:us-east-1:123456789012:table/events"}}}
type SendAWSDynamoDBPutConfig struct {
	Common
	// Client writes; nil means a client built from AWS. The table is the
	// name in AWS.ARN (required).
	Client DynamoDBAPI
}

// SendAWSDynamoDBPut puts each message of a batch into a DynamoDB table
// as an item with BatchWriteItem, and passes every message on unchanged.
// A message must be a JSON object holding the table's key attributes; its
// values convert as awsenrich.AttributeValueFromJSON says (strings to S,
// numbers to N, …). See the package documentation.
type SendAWSDynamoDBPut struct {
	sendBase
	client DynamoDBAPI
	table  string
}

func buildDynamoDBPut(ctx context.Context, env *transform.Env, s commonSettings) (*SendAWSDynamoDBPut, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSDynamoDBPut, error) {
		return NewSendAWSDynamoDBPut(ctx, env, SendAWSDynamoDBPutConfig{Common: c})
	})
}

// NewSendAWSDynamoDBPut returns a SendAWSDynamoDBPut. It takes ownership
// of the auxiliary transforms.
func NewSendAWSDynamoDBPut(ctx context.Context, env *transform.Env, cfg SendAWSDynamoDBPutConfig) (*SendAWSDynamoDBPut, error) {
	const typ = "send_aws_dynamodb_put"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSDynamoDBPut{client: cfg.Client, table: resourceName(cfg.AWS.ARN)}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

// itemSize is the size DynamoDB counts for an item: attribute names plus
// values (DynamoDB Developer Guide, "Item sizes and formats"); numbers
// are counted at their upper bound (about one byte per two digits, plus
// one, at most 21).
func itemSize(m map[string]types.AttributeValue) int {
	n := 0
	for k, v := range m {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return min(21, (utf8.RuneCountInString(v.Value)+1)/2+1)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

func (t *SendAWSDynamoDBPut) send(ctx context.Context, _ string, data [][]byte) error {
	var p plan
	items := make([]map[string]types.AttributeValue, len(data))
	keys := make([]string, len(data)) // canonical JSON, to match unprocessed items
	for i, d := range data {
		av, err := awsenrich.AttributeValueFromJSON(d)
		m, ok := av.(*types.AttributeValueMemberM)
		if err != nil || !ok {
			p.failed = append(p.failed, transform.FailedItem{Index: i, Data: d, Code: "InvalidData",
				Err: fmt.Errorf("a DynamoDB item must be a JSON object: %w", weir.ErrInvalidData)})
			continue
		}
		if size := itemSize(m.Value); size > DynamoDBMaxItemSize {
			p.tooLarge(data, i, size, DynamoDBMaxItemSize, "DynamoDB item")
			continue
		}
		items[i] = m.Value
		k, _ := awsenrich.AppendItemJSON(nil, m.Value)
		keys[i] = string(k)
		p.entries = append(p.entries, entry{items: []int{i}, size: itemSize(m.Value)})
	}
	p.greedy(DynamoDBMaxItems, DynamoDBMaxRequestSize)
	return p.run(ctx, &t.sendBase, "dynamodb", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		reqs := make([]types.WriteRequest, len(idx))
		for j, e := range idx {
			reqs[j] = types.WriteRequest{PutRequest: &types.PutRequest{Item: items[p.entries[e].items[0]]}}
		}
		out, err := t.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{t.table: reqs}})
		if err != nil {
			return nil, err
		}
		left := out.UnprocessedItems[t.table]
		if len(left) == 0 {
			return nil, nil
		}
		// Match each unprocessed item to an entry by its canonical JSON.
		byKey := map[string][]int{}
		for _, e := range idx {
			k := keys[p.entries[e].items[0]]
			byKey[k] = append(byKey[k], e)
		}
		failed := map[int]sendretry.Failure{}
		unmatched := 0
		for _, w := range left {
			if w.PutRequest == nil {
				continue
			}
			k, _ := awsenrich.AppendItemJSON(nil, w.PutRequest.Item)
			if es := byKey[string(k)]; len(es) > 0 {
				failed[es[0]] = sendretry.Failure{Code: "UnprocessedItem", Err: fmt.Errorf("unprocessed item"), Retryable: true}
				byKey[string(k)] = es[1:]
			} else {
				unmatched++
			}
		}
		if unmatched > 0 {
			// Puts are idempotent: retry every entry not known to be unprocessed too.
			for _, e := range idx {
				if _, ok := failed[e]; !ok {
					failed[e] = sendretry.Failure{Code: "UnprocessedItem", Err: fmt.Errorf("unprocessed item (not matched)"), Retryable: true}
				}
			}
		}
		return failed, nil
	})
}
