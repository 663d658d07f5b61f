package awsenv_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/dynamotest"
)

// clearAWSEnv unsets every AWS_ variable for the rest of the test and
// points the shared config and credentials files at files that do not
// exist, so that neither the machine's environment nor ~/.aws is read, and
// disables the instance metadata service. It makes t non-parallel.
func clearAWSEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") && k != "AWS_EC2_METADATA_DISABLED" {
			unsetenv(t, k)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
}

// unsetenv unsets k until the test ends (t.Setenv can only set it, if
// only to "").
func unsetenv(t *testing.T, k string) {
	t.Helper()
	old, ok := os.LookupEnv(k)
	if !ok {
		return
	}
	require.NoError(t, os.Unsetenv(k))
	t.Cleanup(func() { _ = os.Setenv(k, old) })
}

// recorder is an http.RoundTripper that keeps the headers of the requests
// it forwards.
type recorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	headers []http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) seen() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...)
}

// record makes every request of clients built from cfg go through a
// recorder, over a transport whose idle connections close when t ends.
func record(t *testing.T, cfg *aws.Config) *recorder {
	t.Helper()
	hc := awsenv.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	rec := &recorder{next: hc.Transport}
	hc.Transport = rec
	cfg.HTTPClient = hc
	return rec
}

// newDynamoDB builds a DynamoDB client from cfg, without retries.
func newDynamoDB(cfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
}

// putGet writes an item to table with c1 and reads it back with c2.
func putGet(t *testing.T, c1, c2 *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k1"}}
	_, err := c1.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": key["pk"], "v": &types.AttributeValueMemberS{Value: "hello"},
	}})
	require.NoError(t, err)
	out, err := c2.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberS{Value: "hello"}, out.Item["v"])
}

func TestSettingsFromARN(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/reader"
	tests := []struct {
		name, arn, region string
	}{
		{"dynamodb table", "arn:aws:dynamodb:us-west-2:123456789012:table/ips", "us-west-2"},
		{"lambda function", "arn:aws:lambda:eu-central-1:123456789012:function:classify", "eu-central-1"},
		{"govcloud", "arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/x", "us-gov-west-1"},
		{"s3 bucket (global)", "arn:aws:s3:::my-bucket", ""},
		{"iam role (global)", "arn:aws:iam::123456789012:role/x", ""},
		{"plain name", "ips", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, awsenv.Settings{Region: tt.region, RoleARN: role}, awsenv.SettingsFromARN(tt.arn, role))
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := aws.Config{Region: "ap-south-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDUSER", "s", "")}
	own := awsenv.SourceFunc(func(context.Context, awsenv.Settings) (aws.Config, error) {
		return aws.Config{Region: "from-func"}, nil
	})
	tests := []struct {
		name   string
		v      any
		region string // of Config(ctx, Settings{}), when it is not Default
	}{
		{"aws.Config", cfg, "ap-south-1"},
		{"*aws.Config", &cfg, "ap-south-1"},
		{"Source", own, "from-func"},
		{"Default", awsenv.Default(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, err := awsenv.Resolve(tt.v)
			require.NoError(t, err)
			if tt.region == "" {
				assert.Same(t, tt.v, src)
				return
			}
			got, err := src.Config(ctx, awsenv.Settings{})
			require.NoError(t, err)
			assert.Equal(t, tt.region, got.Region)
		})
	}
	for _, v := range []any{nil, (*aws.Config)(nil)} {
		t.Run(fmt.Sprintf("%T is Default", v), func(t *testing.T) {
			t.Parallel()
			src, err := awsenv.Resolve(v)
			require.NoError(t, err)
			assert.IsType(t, awsenv.Default(), src)
		})
	}
	for _, v := range []any{"us-east-1", 42, map[string]any{"region": "us-east-1"}, &struct{}{}} {
		t.Run(fmt.Sprintf("rejects %T", v), func(t *testing.T) {
			t.Parallel()
			src, err := awsenv.Resolve(v)
			assert.Nil(t, src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("awsenv: AWS configuration of type %T", v))
			assert.Contains(t, err.Error(), "want nil, aws.Config, *aws.Config or awsenv.Source")
		})
	}
}

// TestConfigRegion checks which region wins: the settings', else the
// base's, else none (ErrNoRegion).
func TestConfigRegion(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, env, settings, want string
	}{
		{"settings win", "eu-west-1", "us-west-2", "us-west-2"},
		{"environment", "eu-west-1", "", "eu-west-1"},
		{"settings alone", "", "us-west-2", "us-west-2"},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAWSEnv(t)
			if tt.env != "" {
				t.Setenv("AWS_REGION", tt.env)
			}
			for name, src := range map[string]awsenv.Source{
				"Default":    awsenv.Default(),
				"FromConfig": awsenv.FromConfig(aws.Config{Region: tt.env}),
			} {
				cfg, err := src.Config(ctx, awsenv.Settings{Region: tt.settings})
				if tt.want == "" {
					assert.ErrorIs(t, err, awsenv.ErrNoRegion, name)
					continue
				}
				require.NoError(t, err, name)
				assert.Equal(t, tt.want, cfg.Region, name)
			}
		})
	}
}

func TestConfigRejectsSettings(t *testing.T) {
	t.Parallel()
	src := awsenv.FromConfig(aws.Config{Region: "us-east-1"})
	tests := []struct {
		name string
		s    awsenv.Settings
		want string
	}{
		{"role is not an ARN", awsenv.Settings{RoleARN: "reader"}, `awsenv: role ARN "reader"`},
		{"external ID without role", awsenv.Settings{ExternalID: "x"}, "awsenv: an external ID without a role ARN"},
		{"session name without role", awsenv.Settings{SessionName: "x"}, "awsenv: a session name without a role ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := src.Config(context.Background(), tt.s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestDefaultLoadRetried checks that a failed load of the default
// configuration is not remembered, and that a successful one is.
func TestDefaultLoadRetried(t *testing.T) {
	clearAWSEnv(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_PROFILE", "later")
	ctx := context.Background()

	src := awsenv.Default()
	_, err := src.Config(ctx, awsenv.Settings{})
	require.Error(t, err, "profile later does not exist yet")
	assert.True(t, strings.HasPrefix(err.Error(), "awsenv: load the default AWS configuration: "), err.Error())

	require.NoError(t, os.WriteFile(cfgFile, []byte("[profile later]\nregion = ca-central-1\n"), 0o600))
	cfg, err := src.Config(ctx, awsenv.Settings{})
	require.NoError(t, err)
	assert.Equal(t, "ca-central-1", cfg.Region)

	require.NoError(t, os.WriteFile(cfgFile, []byte("[profile later]\nregion = sa-east-1\n"), 0o600))
	cfg, err = src.Config(ctx, awsenv.Settings{})
	require.NoError(t, err)
	assert.Equal(t, "ca-central-1", cfg.Region, "loaded once")
}

// TestDefaultProfile builds a DynamoDB client from Default with credentials
// only in a profile of the shared files, and the endpoint only in
// AWS_ENDPOINT_URL_DYNAMODB, and uses it against dynalite.
func TestDefaultProfile(t *testing.T) {
	ep := dynamotest.Endpoint(t)
	clearAWSEnv(t)
	dir := t.TempDir()
	creds, conf := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(creds, []byte(
		"[default]\naws_access_key_id = AKIDWRONGPROFILE\naws_secret_access_key = wrong\n\n"+
			"[someprofile]\naws_access_key_id = AKIDSOMEPROFILE\naws_secret_access_key = profile-secret\n"), 0o600))
	require.NoError(t, os.WriteFile(conf, []byte("[profile someprofile]\nregion = eu-west-1\n"), 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", conf)
	t.Setenv("AWS_PROFILE", "someprofile")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ep)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"} {
		_, set := os.LookupEnv(k)
		require.False(t, set, "%s is set", k)
	}

	cfg, err := awsenv.Default().Config(context.Background(), awsenv.Settings{})
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)
	rec := record(t, &cfg)
	c := newDynamoDB(cfg)
	table := dynamotest.Table(t, c, "pk", "")
	putGet(t, c, c, table)

	seen := rec.seen()
	require.NotEmpty(t, seen)
	for _, h := range seen {
		assert.Contains(t, h.Get("Authorization"), "Credential=AKIDSOMEPROFILE/")
		assert.Contains(t, h.Get("Authorization"), "/eu-west-1/dynamodb/aws4_request")
		assert.Empty(t, h.Get("X-Amz-Security-Token"))
	}
}

// stsServer answers STS AssumeRole requests with fixed temporary
// credentials and keeps what it was sent.
type stsServer struct {
	mu    sync.Mutex
	forms []url.Values
	auth  []string
}

const (
	tempKeyID  = "ASIATESTTEMPKEY00001"
	tempSecret = "temp-secret"
	tempToken  = "temp-session-token-xyz"
)

func (s *stsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Action") != "AssumeRole" {
		http.Error(w, "want a form-encoded POST of Action=AssumeRole", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.forms = append(s.forms, r.PostForm)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	role := r.PostForm.Get("RoleArn")
	session := r.PostForm.Get("RoleSessionName")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROATESTROLEID:%[5]s</AssumedRoleId>
      <Arn>%[6]s/%[5]s</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>%[1]s</AccessKeyId>
      <SecretAccessKey>%[2]s</SecretAccessKey>
      <SessionToken>%[3]s</SessionToken>
      <Expiration>%[4]s</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`, tempKeyID, tempSecret, tempToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		session, strings.Replace(strings.Replace(role, ":iam:", ":sts:", 1), ":role/", ":assumed-role/", 1))
}

func (s *stsServer) seen() ([]url.Values, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.forms...), append([]string(nil), s.auth...)
}

// TestAssumeRole builds DynamoDB clients that assume a role through an STS
// server on loopback, from base credentials of the environment (Default)
// or of a config of the caller's (FromConfig), and uses them against
// dynalite.
func TestAssumeRole(t *testing.T) {
	ep := dynamotest.Endpoint(t)
	const (
		role      = "arn:aws:iam::123456789012:role/weir-reader"
		tableARN  = "arn:aws:dynamodb:us-west-2:123456789012:table/ips"
		baseKeyID = "AKIDBASECREDENTIALS"
	)
	ctx := context.Background()
	tests := []struct {
		name   string
		source func(t *testing.T) awsenv.Source
	}{
		{"Default with credentials from the environment", func(t *testing.T) awsenv.Source {
			t.Setenv("AWS_ACCESS_KEY_ID", baseKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", "base-secret")
			t.Setenv("AWS_REGION", "us-east-1")
			return awsenv.Default()
		}},
		{"FromConfig with credentials of the caller's", func(t *testing.T) awsenv.Source {
			cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
				config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(baseKeyID, "base-secret", "")))
			require.NoError(t, err)
			return awsenv.FromConfig(cfg)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAWSEnv(t)
			sts := &stsServer{}
			srv := httptest.NewServer(sts)
			t.Cleanup(srv.Close)
			t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ep)
			src := tt.source(t)

			s := awsenv.SettingsFromARN(tableARN, role)
			s.ExternalID = "weir-external-id"
			cfg1, err := src.Config(ctx, s)
			require.NoError(t, err)
			cfg2, err := src.Config(ctx, s)
			require.NoError(t, err)
			assert.Equal(t, "us-west-2", cfg1.Region)
			assert.Same(t, cfg1.Credentials, cfg2.Credentials, "one provider per role and region")

			rec := record(t, &cfg1)
			cfg2.HTTPClient = cfg1.HTTPClient
			c1, c2 := newDynamoDB(cfg1), newDynamoDB(cfg2)
			table := dynamotest.Table(t, c1, "pk", "")
			putGet(t, c1, c2, table)

			forms, auth := sts.seen()
			require.Len(t, forms, 1, "STS called once for both configs")
			assert.Equal(t, role, forms[0].Get("RoleArn"))
			assert.Equal(t, "weir-external-id", forms[0].Get("ExternalId"))
			assert.True(t, strings.HasPrefix(forms[0].Get("RoleSessionName"), "weir-"), forms[0].Get("RoleSessionName"))
			assert.Contains(t, auth[0], "Credential="+baseKeyID+"/", "STS is called with the base credentials")
			assert.Contains(t, auth[0], "/us-west-2/sts/aws4_request", "STS is called in the settings' region")

			seen := rec.seen()
			require.NotEmpty(t, seen)
			for _, h := range seen {
				assert.Contains(t, h.Get("Authorization"), "Credential="+tempKeyID+"/")
				assert.Equal(t, tempToken, h.Get("X-Amz-Security-Token"))
			}

			other, err := src.Config(ctx, awsenv.Settings{Region: "eu-west-1", RoleARN: role, ExternalID: "weir-external-id"})
			require.NoError(t, err)
			assert.NotSame(t, cfg1.Credentials, other.Credentials, "another region, another provider")
			plain, err := src.Config(ctx, awsenv.Settings{})
			require.NoError(t, err)
			creds, err := plain.Credentials.Retrieve(ctx)
			require.NoError(t, err)
			assert.Equal(t, baseKeyID, creds.AccessKeyID, "no role: the base credentials")
			forms, _ = sts.seen()
			assert.Len(t, forms, 1, "making a provider calls no one")
		})
	}
}

// TestRoleConcurrent has many goroutines configure clients for two roles
// at once: each role gets one provider.
func TestRoleConcurrent(t *testing.T) {
	t.Parallel()
	src := awsenv.FromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "s", "")})
	roles := []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"}
	const n = 32
	got := make([]aws.CredentialsProvider, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cfg, err := src.Config(context.Background(), awsenv.Settings{RoleARN: roles[i%2]})
			assert.NoError(t, err)
			got[i] = cfg.Credentials
		})
	}
	wg.Wait()
	for i := 2; i < n; i++ {
		assert.Same(t, got[i%2], got[i])
	}
	assert.NotSame(t, got[0], got[1])
}
