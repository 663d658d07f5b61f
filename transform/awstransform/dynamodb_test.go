package awstransform_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/dynamotest"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/awstransform"
)

// awsTestEnv sets the environment a client built from settings reads.
func awsTestEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
}

func dynS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func dynN(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// TestEnrichAWSDynamoDBQuery builds the transform from JSON, with a client
// built from the settings and environment, against dynalite.
func TestEnrichAWSDynamoDBQuery(t *testing.T) {
	dynamotest.SetAWSEnv(t) // not parallel: it sets the environment
	c := dynamotest.Client(t)
	ep := dynamotest.Endpoint(t)
	table := dynamotest.Table(t, c, "PK", "SK")
	dynamotest.PutItems(t, c, table,
		map[string]types.AttributeValue{"PK": dynS("alice"), "SK": dynS("2024"), "n": dynN("1.50"), "ss": &types.AttributeValueMemberSS{Value: []string{"a"}}},
		map[string]types.AttributeValue{"PK": dynS("alice"), "SK": dynS("2025"), "n": dynN("2"), "b": &types.AttributeValueMemberB{Value: []byte("hi")}},
		map[string]types.AttributeValue{"PK": dynS("bob"), "SK": dynS("2024"), "m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: true}}}},
	)
	settings := func(extra map[string]any) map[string]any {
		s := map[string]any{
			"object":     map[string]any{"source_key": "user", "target_key": "info"},
			"attributes": map[string]any{"partition_key": "PK", "sort_key": "SK"},
			"aws":        map[string]any{"arn": table, "endpoint": ep},
		}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	tests := []struct {
		name     string
		settings map[string]any
		in, want string
	}{
		{"descending by default", settings(nil), `{"user":"alice"}`,
			`{"user":"alice","info":[{"PK":"alice","SK":"2025","b":"aGk=","n":2},{"PK":"alice","SK":"2024","n":1.5,"ss":["a"]}]}`},
		{"ascending with limit", settings(map[string]any{"scan_index_forward": true, "limit": 1, "consistent_read": true}), `{"user":"alice"}`,
			`{"user":"alice","info":[{"PK":"alice","SK":"2024","n":1.5,"ss":["a"]}]}`},
		{"key pair", settings(nil), `{"user":["bob","2024"]}`,
			`{"user":["bob","2024"],"info":[{"PK":"bob","SK":"2024","m":{"ok":true}}]}`},
		{"array not a pair", settings(nil), `{"user":["bob"]}`, `{"user":["bob"]}`},
		{"missing value", settings(nil), `{"other":1}`, `{"other":1}`},
		{"nothing found", settings(nil), `{"user":"carol"}`, `{"user":"carol"}`},
		{"number key", settings(nil), `{"user":7}`, `{"user":7}`},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tf, err := testEnv().New(ctx, weir.Config{Type: "enrich_aws_dynamodb_query", Settings: tt.settings})
			require.NoError(t, err)
			out, err := tf.Transform(ctx, weir.NewMessage([]byte(tt.in)))
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.JSONEq(t, tt.want, string(out[0].Data()))
			ctl := weir.NewControl()
			out, err = tf.Transform(ctx, ctl)
			require.NoError(t, err)
			assert.Equal(t, []*weir.Message{ctl}, out)
		})
	}

	// A table that does not exist is the message's error.
	tf, err := testEnv().New(ctx, weir.Config{Type: "enrich_aws_dynamodb_query", Settings: map[string]any{
		"object":     map[string]any{"source_key": "user", "target_key": "info"},
		"attributes": map[string]any{"partition_key": "PK"},
		"aws":        map[string]any{"arn": "arn:aws:dynamodb:us-east-1:123456789012:table/missing", "endpoint": ep},
		"id":         "q",
	}})
	require.NoError(t, err)
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"user":"alice"}`)))
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "q", te.ID)
}

func TestEnrichAWSDynamoDBQueryConfig(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_REGION", "us-east-1")
	ok := map[string]any{
		"object":     map[string]any{"source_key": "a", "target_key": "b"},
		"attributes": map[string]any{"partition_key": "PK"},
		"aws":        map[string]any{"arn": "t"},
	}
	with := func(k string, v any) map[string]any {
		s := map[string]any{}
		for k, v := range ok {
			s[k] = v
		}
		s[k] = v
		return s
	}
	for _, tt := range []struct {
		settings map[string]any
		field    string
	}{
		{with("object", map[string]any{"source_key": "a"}), "object.target_key"},
		{with("attributes", map[string]any{}), "attributes.partition_key"},
		{with("aws", map[string]any{}), "aws.arn"},
		{with("aws", map[string]any{"arn": "t", "assume_role_arn": "r"}), "aws.assume_role_arn"},
		{with("limit", -1), "limit"},
		{with("bogus", 1), "bogus"},
	} {
		_, err := testEnv().New(context.Background(), weir.Config{Type: "enrich_aws_dynamodb_query", Settings: tt.settings})
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, "%v", tt.settings)
		assert.Equal(t, "enrich_aws_dynamodb_query", ce.Type)
		assert.Equal(t, tt.field, ce.Field, "%v", err)
	}
}

func BenchmarkEnrichAWSDynamoDBQuery(b *testing.B) {
	c := dynamotest.Client(b)
	table := dynamotest.Table(b, c, "PK", "")
	dynamotest.PutItems(b, c, table, map[string]types.AttributeValue{"PK": dynS("alice"), "n": dynN("42"), "s": dynS("x")})
	tf, err := awstransform.NewEnrichAWSDynamoDBQuery(context.Background(), nil, awstransform.EnrichAWSDynamoDBQueryConfig{
		Object:     transform.ObjectSettings{SourceKey: "user", TargetKey: "info"},
		Attributes: awstransform.DynamoDBAttributes{PartitionKey: "PK"},
		AWS:        weir.AWSSettings{ARN: table},
		Client:     c,
	})
	require.NoError(b, err)
	ctx := context.Background()
	data := []byte(`{"user":"alice"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
	}
}
