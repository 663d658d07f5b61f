package awssecrets_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/sivchari/kumo"

	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/awssecrets"
)

// A Store in Go: utility_secret resolves a secret from Secrets Manager
// (here kumo, an emulator on loopback) and later settings refer to it.
func ExampleNewStore() {
	srv := kumo.NewServer()
	defer srv.Close()
	ctx := context.Background()
	client := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example", "")})
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("prod/intel-api-key"), SecretString: aws.String("k-123"),
	}); err != nil {
		panic(err)
	}

	secrets := &transform.Secrets{}
	_, err := transform.NewUtilitySecret(ctx, transform.UtilitySecretConfig{
		SecretID: "INTEL_KEY",
		Name:     "prod/intel-api-key", // a name or an ARN
		Store:    awssecrets.NewStore(client),
		Secrets:  secrets,
	})
	if err != nil {
		panic(err)
	}
	url, err := secrets.Interpolate("https://intel.example.com/v1/ip?key=${SECRET:INTEL_KEY}")
	if err != nil {
		panic(err)
	}
	fmt.Println(url)

	_, err = awssecrets.NewStore(client).Get(ctx, "prod/absent")
	fmt.Println(errors.Is(err, transform.ErrSecretNotFound))
	// Output:
	// https://intel.example.com/v1/ip?key=k-123
	// true
}
