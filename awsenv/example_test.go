package awsenv_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/weirhq/weir/awsenv"
)

// A Substation config's "aws" object: the region comes from the
// resource's ARN when it names one.
func ExampleSettingsFromARN() {
	const role = "arn:aws:iam::123456789012:role/reader"
	for _, resource := range []string{
		"arn:aws:dynamodb:us-west-2:123456789012:table/ips",
		"arn:aws:s3:::my-bucket", // S3 bucket ARNs name no region
	} {
		s := awsenv.SettingsFromARN(resource, role)
		fmt.Printf("region %q, role %s\n", s.Region, s.RoleARN)
	}
	// Output:
	// region "us-west-2", role arn:aws:iam::123456789012:role/reader
	// region "", role arn:aws:iam::123456789012:role/reader
}

// Resolve turns transform.Env.AWS into a Source: here, a configuration of
// the program's own, whose region the settings override.
func ExampleResolve() {
	src, err := awsenv.Resolve(aws.Config{Region: "us-east-1"})
	if err != nil {
		panic(err)
	}
	cfg, err := src.Config(context.Background(), awsenv.Settings{Region: "eu-west-1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Region)

	_, err = awsenv.Resolve("us-east-1")
	fmt.Println(err)
	// Output:
	// eu-west-1
	// awsenv: AWS configuration of type string: want nil, aws.Config, *aws.Config or awsenv.Source
}

// A DynamoDB client for a Substation config's table and role, from the
// SDK's default configuration chain. Resolve one Source per program and
// share it: clients for the same role and region then share one STS
// session.
func ExampleDefault() {
	src := awsenv.Default()
	s := awsenv.SettingsFromARN("arn:aws:dynamodb:us-west-2:123456789012:table/ips",
		"arn:aws:iam::123456789012:role/reader")
	cfg, err := src.Config(context.Background(), s)
	if err != nil {
		panic(err)
	}
	hc := awsenv.HTTPClient() // the client's own, to close with it
	defer hc.CloseIdleConnections()
	cfg.HTTPClient = hc
	var client awsenv.DynamoDB = dynamodb.NewFromConfig(cfg)
	_ = client // GetItem, PutItem, Query, …
}
