// Command lambda-dynamodb-cache shows a DynamoDB-backed lookup shared by
// several Lambda instances: each instance enriches events with an ASN
// lookup through a cache.Loader over a cache.Tiered cache (a Memory of its
// own in front of one DynamoDB table shared by all instances), so the slow
// origin is asked once per key across the whole fleet, and each instance
// asks DynamoDB once per key per front TTL.
//
// Run it against a DynamoDB endpoint (dynalite, DynamoDB Local, or AWS):
//
//	WEIR_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 go run ./examples/lambda-dynamodb-cache
//
// It creates the table weir-example-cache if it is missing, then has two
// "instances" process a few events and prints what they produced and how
// many origin lookups there were.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/cache"
	"github.com/weirhq/weir/cache/dynamocache"
	"github.com/weirhq/weir/transform"
)

// Origin is the slow lookup the cache saves calls of: an ASN database, an
// HTTP API. It counts its calls.
type Origin struct {
	Calls atomic.Int64
}

// Lookup returns the ASN record of ip, or cache.ErrNotFound.
func (o *Origin) Lookup(_ context.Context, ip string) ([]byte, error) {
	o.Calls.Add(1)
	asn := map[string]string{
		"198.51.100.7": `{"number":64500,"org":"Example Transit"}`,
		"203.0.113.9":  `{"number":64501,"org":"Example Hosting"}`,
	}[ip]
	if asn == "" {
		return nil, cache.ErrNotFound
	}
	return []byte(asn), nil
}

// Instance is what one Lambda instance holds between invocations: its
// transform, its loader and its front cache. Build it once, outside the
// handler (in main, before lambda.Start).
type Instance struct {
	loader *cache.Loader
	enrich transform.Transformer
}

// NewInstance returns an instance caching origin's answers in table
// through client.
func NewInstance(client awsenv.DynamoDB, table string, origin cache.LoadFunc) (*Instance, error) {
	shared, err := dynamocache.New(dynamocache.Config{
		Client: client, Table: table, SortKey: "SK", SortValue: "asn", KeyPrefix: "asn#",
	})
	if err != nil {
		return nil, err
	}
	tiered, err := cache.NewTiered(cache.NewMemory(cache.MemoryConfig{MaxItems: 10000}), shared,
		cache.TieredConfig{FrontTTL: 5 * time.Minute})
	if err != nil {
		return nil, err
	}
	l, err := cache.NewLoader(cache.LoaderConfig{Cache: tiered, Load: origin, TTL: 24 * time.Hour, NegativeTTL: time.Hour})
	if err != nil {
		return nil, err
	}
	in := &Instance{loader: l}
	in.enrich = transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		ip := msg.Get("source.ip")
		if msg.IsControl() || !ip.IsString() {
			return []*weir.Message{msg}, nil
		}
		asn, err := l.Get(ctx, ip.String())
		switch {
		case errors.Is(err, cache.ErrNotFound):
			return []*weir.Message{msg}, nil
		case err != nil:
			return nil, err
		}
		if err := msg.SetRaw("source.as", asn); err != nil {
			return nil, err
		}
		return []*weir.Message{msg}, nil
	})
	return in, nil
}

// Handle is the Lambda handler: pass it to lambda.Start (from
// github.com/aws/aws-lambda-go) in main. It enriches each event.
func (in *Instance) Handle(ctx context.Context, events []json.RawMessage) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		msgs, err := in.enrich.Transform(ctx, weir.NewMessage(e))
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			out = append(out, m.Data())
		}
	}
	return out, nil
}

// EnsureTable creates table (partition key PK, sort key SK) if it is
// missing, and waits until it is active. Turn on TTL on attribute "ttl" in
// production so DynamoDB sweeps expired items.
func EnsureTable(ctx context.Context, c *dynamodb.Client, table string) error {
	_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		return err
	}
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		return err
	}
	return dynamodb.NewTableExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute)
}

// Run has two instances sharing table handle a few events each, writes
// their output to w, and returns the origin.
func Run(ctx context.Context, c *dynamodb.Client, table string, w io.Writer) (*Origin, error) {
	if err := EnsureTable(ctx, c, table); err != nil {
		return nil, err
	}
	origin := &Origin{}
	invocations := [][]json.RawMessage{
		{json.RawMessage(`{"source":{"ip":"198.51.100.7"}}`), json.RawMessage(`{"source":{"ip":"192.0.2.1"}}`)},
		{json.RawMessage(`{"source":{"ip":"198.51.100.7"}}`), json.RawMessage(`{"source":{"ip":"203.0.113.9"}}`)},
		{json.RawMessage(`{"source":{"ip":"203.0.113.9"}}`), json.RawMessage(`{"source":{"ip":"192.0.2.1"}}`)},
	}
	instances := make([]*Instance, 2)
	for i := range instances {
		in, err := NewInstance(c, table, origin.Lookup)
		if err != nil {
			return nil, err
		}
		instances[i] = in
	}
	for _, in := range instances {
		for _, events := range invocations {
			out, err := in.Handle(ctx, events)
			if err != nil {
				return nil, err
			}
			for _, e := range out {
				fmt.Fprintln(w, string(e))
			}
		}
	}
	return origin, nil
}

func main() {
	ep := os.Getenv("WEIR_DYNAMODB_ENDPOINT")
	if ep == "" {
		log.Fatal("set WEIR_DYNAMODB_ENDPOINT to a DynamoDB endpoint, e.g. http://127.0.0.1:8000")
	}
	// Against AWS, build the client from config.LoadDefaultConfig instead.
	c := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ep),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	origin, err := Run(ctx, c, "weir-example-cache", os.Stdout)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("origin lookups: %d\n", origin.Calls.Load())
}
