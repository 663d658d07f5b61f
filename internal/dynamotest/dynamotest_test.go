package dynamotest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/dynamotest"
)

// TestTable round-trips an item through a throwaway table on the server.
func TestTable(t *testing.T) {
	c := dynamotest.Client(t)
	name := dynamotest.Table(t, c, "PK", "SK")
	ctx := context.Background()
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "a"},
		"SK": &types.AttributeValueMemberS{Value: "b"},
		"v":  &types.AttributeValueMemberN{Value: "1"},
	}})
	require.NoError(t, err)
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "a"},
		"SK": &types.AttributeValueMemberS{Value: "b"},
	}})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberN{Value: "1"}, out.Item["v"])
}
