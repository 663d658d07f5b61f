package sendtransform_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/sendtransform"
)

// printingKinesis is a KinesisAPI that prints what it is asked to put
// (deaggregated) and accepts every record.
type printingKinesis struct{}

func (printingKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{FailedRecordCount: aws.Int32(0)}
	for _, r := range in.Records {
		users, _ := aggregate.Deaggregate(aggregate.KPLRecord{PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data})
		fmt.Printf("record of %d bytes holds %d events, partition key %s\n", len(r.Data), len(users), aws.ToString(r.PartitionKey))
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")})
	}
	return out, nil
}

// Events batched by host, each batch put as one KPL aggregated record with
// the host as its partition key. Client replaces the client built from
// the "aws" settings (the stream's ARN, the role to assume).
func ExampleNewSendAWSKinesisDataStream() {
	tf, err := sendtransform.NewSendAWSKinesisDataStream(context.Background(), nil, sendtransform.SendAWSKinesisDataStreamConfig{
		Common: sendtransform.Common{
			AWS:    weir.AWSSettings{ARN: "arn:aws:kinesis:us-east-1:123456789012:stream/events"},
			Object: transform.ObjectSettings{BatchKey: "host"},
		},
		EnableRecordAggregation:   true,
		UseBatchKeyAsPartitionKey: true,
		Client:                    printingKinesis{},
	})
	if err != nil {
		panic(err)
	}
	defer tf.Close()
	ctx := context.Background()
	for _, d := range []string{`{"host":"web-1","n":1}`, `{"host":"web-2","n":2}`, `{"host":"web-1","n":3}`} {
		if _, err := tf.Transform(ctx, weir.NewMessage([]byte(d))); err != nil {
			panic(err)
		}
	}
	if _, err := tf.Transform(ctx, weir.NewControl()); err != nil { // puts every batch
		panic(err)
	}
	fmt.Printf("%+v\n", tf.Stats())
	// Output:
	// record of 83 bytes holds 2 events, partition key web-1
	// record of 55 bytes holds 1 events, partition key web-2
	// {Items:3 Failed:0 Resent:0}
}
