package sendtransform

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/google/uuid"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Limits of Kinesis PutRecords (Amazon Kinesis Data Streams API Reference,
// PutRecords): "Each PutRecords request can support up to 500 records.
// Each record in the request can be as large as 1 MiB, up to a limit of 5
// MiB for the entire request, including partition keys."; a partition key
// has 1 to 256 Unicode characters (PutRecordsRequestEntry). A record's
// size is its data plus its partition key.
const (
	KinesisMaxRecords      = 500
	KinesisMaxRecordSize   = 1 << 20 // 1 MiB, data + partition key
	KinesisMaxRequestSize  = 5 << 20 // 5 MiB, data + partition keys
	KinesisMaxPartitionKey = 256     // Unicode characters
)

// KinesisAPI is the part of the Kinesis client the send uses.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// SendAWSKinesisDataStreamConfig configures [SendAWSKinesisDataStream], the
// send_aws_kinesis_data_stream transform.
//
//	{"type": "send_aws_kinesis_data_stream", "settings": {
//	    "aws": {"arn": "arn:aws:kinesis:us-east-1:123456789012:stream/events"},
//	    "enable_record_aggregation": true, "use_batch_key_as_partition_key": false,
//	    "object": {"batch_key": "…"}, "batch": {"count": 1000},
//	    "auxiliary_transforms": [], "retry": {"count": 8}}}
type SendAWSKinesisDataStreamConfig struct {
	Common
	// UseBatchKeyAsPartitionKey puts records with their batch key as the
	// partition key; otherwise (and for an empty key) each record, or each
	// aggregated record (whose user records share it), gets a random UUID,
	// which spreads the stream's load over its shards.
	UseBatchKeyAsPartitionKey bool
	// EnableRecordAggregation packs the batch's records into KPL
	// aggregated records (package aggregate) of up to 1 MiB each.
	EnableRecordAggregation bool
	// AggregationSize is the most bytes of an aggregated record (counting
	// its partition key); 0 means aggregate.KPLMaxSize, 1 MiB, and more is
	// an error. Smaller records spread a batch over more shards. (A Weir
	// extension: "aggregation_size".)
	AggregationSize int
	// Client puts the records; nil means a client built from AWS and the
	// Env's AWS configuration. The stream is addressed by AWS.ARN
	// (StreamARN), which is required.
	Client KinesisAPI
}

// SendAWSKinesisDataStream puts batches of messages into a Kinesis data
// stream with PutRecords, optionally as KPL aggregated records, and passes
// every message on unchanged. See the package documentation for batching,
// limits, retries and errors. It is safe for concurrent use.
type SendAWSKinesisDataStream struct {
	sendBase
	client    KinesisAPI
	arn       string
	keyAsPK   bool
	aggregate bool
	aggSize   int
}

type kinesisSettings struct {
	commonSettings
	UseBatchKeyAsPartitionKey bool `json:"use_batch_key_as_partition_key,omitempty"`
	EnableRecordAggregation   bool `json:"enable_record_aggregation,omitempty"`
	AggregationSize           int  `json:"aggregation_size,omitempty"`
}

func buildKinesis(ctx context.Context, env *transform.Env, s kinesisSettings) (*SendAWSKinesisDataStream, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSKinesisDataStream, error) {
		return NewSendAWSKinesisDataStream(ctx, env, SendAWSKinesisDataStreamConfig{
			Common: c, UseBatchKeyAsPartitionKey: s.UseBatchKeyAsPartitionKey, EnableRecordAggregation: s.EnableRecordAggregation,
			AggregationSize: s.AggregationSize,
		})
	})
}

// NewSendAWSKinesisDataStream returns a SendAWSKinesisDataStream. Without
// cfg.Client it builds one from env.AWS (env may be nil). It takes
// ownership of the auxiliary transforms.
func NewSendAWSKinesisDataStream(ctx context.Context, env *transform.Env, cfg SendAWSKinesisDataStreamConfig) (*SendAWSKinesisDataStream, error) {
	const typ = "send_aws_kinesis_data_stream"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSKinesisDataStream{client: cfg.Client, arn: cfg.AWS.ARN, keyAsPK: cfg.UseBatchKeyAsPartitionKey, aggregate: cfg.EnableRecordAggregation, aggSize: cfg.AggregationSize}
	if _, err := aggregate.NewKPLAggregator(aggregate.KPLConfig{MaxSize: t.aggSize}); err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "aggregation_size", Err: err}
	}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = kinesis.NewFromConfig(ac, func(o *kinesis.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

// partitionKey returns the partition key of a record (or aggregated
// record) of the batch of key: the key itself with
// UseBatchKeyAsPartitionKey, else a random UUID.
func (t *SendAWSKinesisDataStream) partitionKey(key string) string {
	if t.keyAsPK && key != "" {
		return key
	}
	return uuid.NewString()
}

// send puts one batch.
func (t *SendAWSKinesisDataStream) send(ctx context.Context, key string, data [][]byte) error {
	var p plan
	var payloads [][]byte
	var pks []string
	pk := t.partitionKey(key)
	if n := utf8.RuneCountInString(pk); n > KinesisMaxPartitionKey {
		for i := range data {
			p.failed = append(p.failed, transform.FailedItem{Index: i, Data: data[i], Code: "TooLarge",
				Err: &TooLargeError{What: "partition key (in characters)", Size: n, Limit: KinesisMaxPartitionKey}})
		}
		return p.run(ctx, &t.sendBase, "kinesis", data, nil)
	}
	if t.aggregate {
		a, _ := aggregate.NewKPLAggregator(aggregate.KPLConfig{MaxSize: t.aggSize})
		var items []int
		emit := func() {
			buf := a.Append(nil)
			payloads = append(payloads, buf)
			pks = append(pks, a.PartitionKey())
			p.entries = append(p.entries, entry{items: items, size: a.Size()})
			items = nil
			a.Reset()
		}
		for i, d := range data {
			r := aggregate.KPLRecord{PartitionKey: pk, Data: d}
			err := a.Add(r)
			if errors.Is(err, aggregate.ErrKPLFull) {
				emit()
				pk = t.partitionKey(key) // a new aggregate: a new random key, spread over shards
				r.PartitionKey = pk
				err = a.Add(r)
			}
			if err != nil {
				p.failed = append(p.failed, transform.FailedItem{Index: i, Data: d, Code: "TooLarge", Err: err})
				continue
			}
			items = append(items, i)
		}
		if a.Len() > 0 {
			emit()
		}
	} else {
		for i, d := range data {
			if i > 0 {
				pk = t.partitionKey(key) // random keys: one per record
			}
			size := len(d) + len(pk)
			if size > KinesisMaxRecordSize {
				p.tooLarge(data, i, size, KinesisMaxRecordSize, "Kinesis record (data + partition key)")
				continue
			}
			payloads = append(payloads, d)
			pks = append(pks, pk)
			p.entries = append(p.entries, entry{items: []int{i}, size: size})
		}
	}
	p.greedy(KinesisMaxRecords, KinesisMaxRequestSize)
	return p.run(ctx, &t.sendBase, "kinesis", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		in := &kinesis.PutRecordsInput{StreamARN: aws.String(t.arn), Records: make([]types.PutRecordsRequestEntry, len(idx))}
		for j, e := range idx {
			in.Records[j] = types.PutRecordsRequestEntry{Data: payloads[e], PartitionKey: aws.String(pks[e])}
		}
		out, err := t.client.PutRecords(ctx, in)
		if err != nil {
			return nil, err
		}
		if aws.ToInt32(out.FailedRecordCount) == 0 {
			return nil, nil
		}
		failed := map[int]sendretry.Failure{}
		for j, r := range out.Records {
			if j >= len(idx) {
				break
			}
			if r.ErrorCode != nil {
				code := aws.ToString(r.ErrorCode)
				failed[idx[j]] = sendretry.Failure{Code: code, Err: errors.New(code + ": " + aws.ToString(r.ErrorMessage)), Retryable: true}
			}
		}
		if len(out.Records) < len(idx) {
			// A malformed answer: what it does not cover is not known to be delivered.
			for _, e := range idx[len(out.Records):] {
				failed[e] = sendretry.Failure{Code: "MissingResult", Err: errors.New("no result for the record"), Retryable: true}
			}
		}
		return failed, nil
	})
}

// awsOf returns the AWS configuration of env (nil for a nil env).
func awsOf(env *transform.Env) any {
	if env == nil {
		return nil
	}
	return env.AWS
}
