package awstransform_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/dynamotest"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/awstransform"
	"github.com/weirhq/weir/transform/transformtest"
)

// TestContract checks the AWS transforms against transformtest's contract,
// with a loopback Invoke API and dynalite.
func TestContract(t *testing.T) {
	t.Parallel()
	srv := invokeAPI(t)
	invoker := lambda.New(lambda.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:   srv.Client(),
	})
	t.Run("enrich_aws_lambda", func(t *testing.T) {
		t.Parallel()
		transformtest.Run(t, func() (transform.Transformer, error) {
			return awstransform.NewEnrichAWSLambda(context.Background(), nil, awstransform.EnrichAWSLambdaConfig{
				Object: transform.ObjectSettings{SourceKey: "e", TargetKey: "r"},
				AWS:    weir.AWSSettings{ARN: "classify"},
				Client: invoker,
			})
		}, transformtest.Options{Inputs: [][]byte{[]byte(`{"e":{"a":1}}`), []byte(`{"e":"plain"}`), []byte(`{"x":1}`)}, Key: "e"})
	})
	t.Run("enrich_aws_dynamodb_query", func(t *testing.T) {
		t.Parallel()
		c := dynamotest.Client(t) // skips t without dynalite
		table := dynamotest.Table(t, c, "PK", "SK")
		dynamotest.PutItems(t, c, table, map[string]types.AttributeValue{"PK": dynS("alice"), "SK": dynS("2024"), "n": dynN("1")})
		transformtest.Run(t, func() (transform.Transformer, error) {
			return awstransform.NewEnrichAWSDynamoDBQuery(context.Background(), nil, awstransform.EnrichAWSDynamoDBQueryConfig{
				Object:     transform.ObjectSettings{SourceKey: "user", TargetKey: "info"},
				Attributes: awstransform.DynamoDBAttributes{PartitionKey: "PK", SortKey: "SK"},
				AWS:        weir.AWSSettings{ARN: table},
				Client:     c,
			})
		}, transformtest.Options{Inputs: [][]byte{[]byte(`{"user":"alice"}`), []byte(`{"user":["alice","2024"]}`), []byte(`{"user":"carol"}`)}, Key: "user"})
	})
}
