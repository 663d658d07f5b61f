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
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/weirhq/weir/internal/testenv"
)

// EnvEndpoint names the variable holding the server's URL.
const EnvEndpoint = "WEIR_DYNAMODB_ENDPOINT"

// Endpoint returns the server's URL, or skips t (fails it under
// WEIR_REQUIRE_SERVICES=1) when there is none.
func Endpoint(t testing.TB) string {
	t.Helper()
	return testenv.Endpoint(t, EnvEndpoint, "dynalite")
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

// PutItems writes items to table, failing t on error.
func PutItems(t testing.TB, c *dynamodb.Client, table string, items ...map[string]types.AttributeValue) {
	t.Helper()
	for _, it := range items {
		_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it})
		if err != nil {
			t.Fatalf("dynamotest: put item in %s: %v", table, err)
		}
	}
}

// Throttler is an http.RoundTripper that answers the next Left requests
// with DynamoDB's throttling error (ProvisionedThroughputExceededException,
// in the service's wire format) and forwards the others to Next. Calls
// counts every request. Set Left and reset Calls between steps of a test.
type Throttler struct {
	Next  http.RoundTripper
	Left  atomic.Int64
	Calls atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (th *Throttler) RoundTrip(r *http.Request) (*http.Response, error) {
	th.Calls.Add(1)
	if th.Left.Add(-1) < 0 {
		return th.Next.RoundTrip(r)
	}
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	const body = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
		`"message":"The level of configured provisioned throughput for the table was exceeded."}`
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-Errortype", "ProvisionedThroughputExceededException")
	h.Set("X-Amzn-Requestid", "weir-test")
	return &http.Response{
		Status: "400 Bad Request", StatusCode: http.StatusBadRequest,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r,
	}, nil
}

// ThrottledClient returns a client for the server (skipping t as
// [Endpoint] does) whose requests go through a [Throttler] that throttles
// none yet, over a transport of its own whose idle connections are closed
// when the test ends (for goleak).
func ThrottledClient(t testing.TB) (*dynamodb.Client, *Throttler) {
	t.Helper()
	o := Options(Endpoint(t))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	th := &Throttler{Next: tr}
	o.HTTPClient = &http.Client{Transport: th}
	return dynamodb.New(o), th
}

// SetAWSEnv gives the test static credentials and a region through the
// environment, as a client built from the SDK's default chain reads them,
// and keeps the shared config files out of it. The test must not be
// parallel.
func SetAWSEnv(t testing.TB) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}
