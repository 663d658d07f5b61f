// Package dynamotest connects tests to the DynamoDB protocol server
// (dynalite) that `make test` starts, and creates throwaway tables on it.
//
// The server's address comes from WEIR_DYNAMODB_ENDPOINT. Without it, a
// test that needs the server is skipped with a message that says how to get
// one; with WEIR_REQUIRE_SERVICES=1 (set by `make test`) it fails instead.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EnvEndpoint names the variable holding the server's URL.
const EnvEndpoint = "WEIR_DYNAMODB_ENDPOINT"

// Endpoint returns the server's URL, or skips t (fails it under
// WEIR_REQUIRE_SERVICES=1) when there is none.
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv(EnvEndpoint)
	if ep == "" {
		msg := EnvEndpoint + " is not set: run `make test`, which starts dynalite and sets it"
		if os.Getenv("WEIR_REQUIRE_SERVICES") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return ep
}

// Client returns a DynamoDB client for the server, with static test
// credentials and no SDK-level retries (so tests see throttling as it
// happens). It skips t as [Endpoint] does.
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(Options(Endpoint(t)))
}

// Options are the client options for endpoint; tests may adjust them.
func Options(endpoint string) dynamodb.Options {
	return dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}
}

// Table creates a table with a string partition key pk and, when sk is not
// empty, a string sort key, under a random name, and deletes it when the
// test ends. It returns the name.
func Table(t testing.TB, c *dynamodb.Client, pk, sk string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "weir-test-" + hex.EncodeToString(b[:])
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(pk), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
		},
	}
	if sk != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(sk), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema,
			types.KeySchemaElement{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CreateTable(ctx, in); err != nil {
		t.Fatalf("dynamotest: create table: %v", err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("dynamotest: table %s not active: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}
