package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/dynamotest"
	"github.com/weirhq/weir/internal/testenv"
)

func TestRun(t *testing.T) {
	t.Parallel()
	c := dynamotest.Client(t)
	table := dynamotest.Table(t, c, "PK", "SK")
	var out strings.Builder
	origin, err := Run(context.Background(), c, table, &out)
	require.NoError(t, err)
	// Three distinct IPs over two instances and twelve events: the origin
	// is asked once per IP, the unknown one included (cached negatively).
	assert.Equal(t, int64(3), origin.Calls.Load())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 12)
	assert.JSONEq(t, `{"source":{"ip":"198.51.100.7","as":{"number":64500,"org":"Example Transit"}}}`, lines[0])
	assert.JSONEq(t, `{"source":{"ip":"192.0.2.1"}}`, lines[1])
	assert.Equal(t, lines[:6], lines[6:], "the second instance produces the same output")
}

func TestRunCreatesTable(t *testing.T) {
	t.Parallel()
	c := dynamotest.Client(t)
	name := "weir-example-" + strings.ReplaceAll(t.Name(), "/", "-")
	t.Cleanup(func() { dropTable(c, name) })
	var out strings.Builder
	origin, err := Run(context.Background(), c, name, &out)
	require.NoError(t, err)
	assert.Equal(t, int64(3), origin.Calls.Load())
}

func dropTable(c interface {
	DeleteTable(context.Context, *dynamodb.DeleteTableInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}, name string) {
	_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
}

func TestMain(m *testing.M) {
	testenv.Main(m, false)
}
