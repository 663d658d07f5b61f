// Package awsenv gives Weir's AWS clients their configuration the way the
// AWS SDK for Go v2 finds it, plus the role a Substation config asks them to
// assume.
//
// A Substation v2 config names a resource and, optionally, a role:
//
//	"aws": {"arn": "arn:aws:dynamodb:us-west-2:123456789012:table/ips",
//	        "assume_role_arn": "arn:aws:iam::123456789012:role/reader"}
//
// [SettingsFromARN] turns those two strings into [Settings] (the region
// comes from the resource's ARN when it names one), and a [Source] turns
// Settings into an [aws.Config] from which any service client is built:
//
//	cfg, err := src.Config(ctx, awsenv.SettingsFromARN(arn, roleARN))
//	if err != nil { ... }
//	cfg.HTTPClient = awsenv.HTTPClient() // one the client's owner can close
//	client := dynamodb.NewFromConfig(cfg)
//
// # Which Source do I use?
//
//   - [Default]: the SDK's default chain, as config.LoadDefaultConfig reads
//     it: environment variables, the shared config and credentials files
//     with their profiles (AWS_PROFILE), SSO, web identity, container and
//     instance roles. Use it unless you already have an aws.Config.
//   - [FromConfig]: an aws.Config of your own as the base, for programs
//     that build theirs with options (a custom credentials provider, a
//     retryer, a logger).
//   - [Resolve]: the Source for the value of transform.Env.AWS, which is
//     typed any so that programs that use no AWS service do not link the
//     SDK: nil means Default, an aws.Config or *aws.Config means FromConfig,
//     a Source is used as it is.
//
// Every Source applies [Settings.Region] over its base region and, when
// [Settings.RoleARN] is set, assumes that role through STS with the base
// credentials. A Source caches the role's credentials per role and region,
// so that the clients of many transforms configured from one Source share
// one STS session: resolve a Source once per program or pipeline and pass
// it around, rather than calling Default for each client.
//
// # Endpoints
//
// The SDK itself honours AWS_ENDPOINT_URL and the per-service variables
// (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_STS, …)
// and the endpoint_url settings of the shared config file, in clients built
// with the service's NewFromConfig from a config that Default loaded (or
// that config.LoadDefaultConfig loaded and FromConfig was given). This
// package adds nothing of its own: a client that has an endpoint from its
// settings sets it in the service's options, which override the
// environment, for example
//
//	dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
//
// # Also here
//
// [HTTPClient] is the HTTP client a Weir-built AWS client gets, so that its
// owner can release its connections; [Throttled] tells DynamoDB's throttling
// errors; [DynamoDB] is the one interface of the DynamoDB operations Weir
// calls.
package awsenv
