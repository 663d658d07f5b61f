package awssecrets_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/sivchari/kumo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/testenv"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
	"github.com/weirhq/weir/transform/awssecrets"
	"github.com/weirhq/weir/transform/transformtest"
)

func TestMain(m *testing.M) {
	// kumo starts goroutines of its own when it is linked: no goroutine
	// check here.
	testenv.Main(m, false)
}

// kumoServer starts kumo (github.com/sivchari/kumo v0.33.1, which serves
// Secrets Manager) on a loopback httptest server.
func kumoServer(t *testing.T) *kumo.Server {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	return srv
}

func smClient(url string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}

// createSecret creates a secret in kumo and returns its ARN.
func createSecret(t *testing.T, c *secretsmanager.Client, name, value string) string {
	t.Helper()
	out, err := c.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	require.NoError(t, err)
	require.NotEmpty(t, aws.ToString(out.ARN))
	return aws.ToString(out.ARN)
}

// setAWSEnv gives clients built from settings static test credentials and
// a region, and no shared files.
func setAWSEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// proxy is a loopback reverse proxy in front of kumo that counts the
// GetSecretValue calls through it and can refuse every call.
type proxy struct {
	URL     string
	fetches atomic.Int64
	down    atomic.Bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetSecretValue") {
			p.fetches.Add(1)
		}
		if p.down.Load() {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"__type":"ServiceUnavailable","message":"injected"}`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// secretConfig is a utility_secret config of an aws_secrets_manager
// secret with id TOKEN.
func secretConfig(arn, endpoint, ttl string) string {
	return `{"type": "utility_secret", "settings": {"secret": {"type": "aws_secrets_manager",
	    "settings": {"id": "TOKEN", "ttl_offset": "` + ttl + `", "aws": {"arn": "` + arn + `", "endpoint": "` + endpoint + `"}}}}}`
}

// TestPipeline runs a Substation config end to end: utility_secret
// fetches an aws_secrets_manager secret from kumo, and enrich_http_get
// sends it, as ${SECRET:TOKEN} in its URL and a header, to a loopback
// server, which records what it received. After a rotation
// (PutSecretValue) the old value stays in use until ttl_offset has passed
// on the pipeline's clock; then the next message fetches the new one, once.
func TestPipeline(t *testing.T) {
	setAWSEnv(t)
	ctx := context.Background()
	sm := smClient(kumoServer(t).URL)
	arn := createSecret(t, sm, "weir/api-token", "tok-v1")
	px := newProxy(t, aws.ToString(sm.Options().BaseEndpoint))

	var mu sync.Mutex
	var seen []string // "query|header" per request
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Query().Get("key")+"|"+r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(api.Close)
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		require.NotEmpty(t, seen)
		return seen[len(seen)-1]
	}

	env := all.Env()
	clk := &clock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	env.Now = clk.Now
	config := `{"transforms": [` + secretConfig(arn, px.URL, "10m") + `,
	  {"type": "enrich_http_get", "settings": {"object": {"target_key": "intel"},
	    "url": "` + api.URL + `/v1?key=${SECRET:TOKEN}", "headers": {"Authorization": "Bearer ${SECRET:TOKEN}"}}}
	]}`
	p, err := transform.Parse(ctx, env, []byte(config))
	require.NoError(t, err)
	defer func() { assert.NoError(t, p.Close()) }()
	assert.Equal(t, int64(1), px.fetches.Load(), "fetched when built")

	send := func() {
		t.Helper()
		out, err := p.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.JSONEq(t, `{"a":1,"intel":{"ok":true}}`, string(out[0].Data()))
	}
	send()
	assert.Equal(t, "tok-v1|Bearer tok-v1", last())

	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("tok-v2")})
	require.NoError(t, err)
	clk.Add(9 * time.Minute)
	send()
	assert.Equal(t, "tok-v1|Bearer tok-v1", last(), "within ttl_offset: the value fetched when built")
	assert.Equal(t, int64(1), px.fetches.Load())

	clk.Add(time.Minute)
	send()
	assert.Equal(t, "tok-v2|Bearer tok-v2", last(), "after ttl_offset: the rotated value")
	for range 5 {
		send()
	}
	assert.Equal(t, "tok-v2|Bearer tok-v2", last())
	assert.Equal(t, int64(2), px.fetches.Load(), "one fetch per ttl_offset (Substation fetches for every message once the first has passed)")

	// A control message does not refresh.
	clk.Add(time.Hour)
	_, err = p.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	assert.Equal(t, int64(2), px.fetches.Load())
}

// TestRefreshFails: when a refresh fails, the message that tried it gets
// the error (typed, without the secret), the last value stays in use, and
// the next message tries again.
func TestRefreshFails(t *testing.T) {
	setAWSEnv(t)
	ctx := context.Background()
	sm := smClient(kumoServer(t).URL)
	arn := createSecret(t, sm, "weir/refresh", "s3cr3t-value")
	px := newProxy(t, aws.ToString(sm.Options().BaseEndpoint))
	env := all.Env()
	clk := &clock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	env.Now = clk.Now
	env.Secrets = &transform.Secrets{}
	tf, err := env.New(ctx, parse(t, secretConfig(arn, px.URL, "1m")))
	require.NoError(t, err)
	defer tf.(io.Closer).Close()

	clk.Add(time.Minute)
	px.down.Store(true)
	_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
	require.Error(t, err)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "utility_secret", te.Type)
	assert.Contains(t, err.Error(), "ServiceUnavailable")
	assert.NotContains(t, err.Error(), "s3cr3t-value")
	v, ok := env.Secrets.Get("TOKEN")
	require.True(t, ok)
	assert.Equal(t, "s3cr3t-value", v, "the last value stays in use")

	px.down.Store(false)
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("rotated")})
	require.NoError(t, err)
	out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	v, _ = env.Secrets.Get("TOKEN")
	assert.Equal(t, "rotated", v)
}

// TestMissingSecret: a secret Secrets Manager does not have fails
// construction with an error matching transform.ErrSecretNotFound and
// weir.ErrInvalidConfig that names the setting and the service's error code.
func TestMissingSecret(t *testing.T) {
	setAWSEnv(t)
	srv := kumoServer(t)
	createSecret(t, smClient(srv.URL), "weir/other", "other-value")
	arn := "arn:aws:secretsmanager:us-east-1:000000000000:secret:weir/absent-AbCdEf"
	_, err := transform.Parse(context.Background(), all.Env(), []byte(`{"transforms": [`+secretConfig(arn, srv.URL, "")+`]}`))
	require.Error(t, err)
	assert.ErrorIs(t, err, transform.ErrSecretNotFound)
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "ResourceNotFoundException")
	assert.Contains(t, err.Error(), "weir/absent")
	assert.NotContains(t, err.Error(), "other-value")
	t.Log(err)
}

// TestBinarySecret: a secret with no string value is ErrNotString.
func TestBinarySecret(t *testing.T) {
	setAWSEnv(t)
	srv := kumoServer(t)
	sm := smClient(srv.URL)
	out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("weir/bin"), SecretBinary: []byte{1, 2, 3}})
	require.NoError(t, err)
	_, err = awssecrets.NewStore(sm).Get(context.Background(), aws.ToString(out.ARN))
	assert.ErrorIs(t, err, awssecrets.ErrNotString)
	assert.NotErrorIs(t, err, transform.ErrSecretNotFound)
}

// TestNoSecretInErrors: a transform that uses the secret and fails (a
// server that echoes the URL and header it got) reports an error with the
// secret redacted.
func TestNoSecretInErrors(t *testing.T) {
	setAWSEnv(t)
	ctx := context.Background()
	srv := kumoServer(t)
	arn := createSecret(t, smClient(srv.URL), "weir/echo", "Zq9-very-secret")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "denied: "+r.URL.String()+" "+r.Header.Get("X-Api-Key"))
	}))
	t.Cleanup(api.Close)
	config := `{"transforms": [` + secretConfig(arn, srv.URL, "") + `,
	  {"type": "enrich_http_get", "settings": {"object": {"target_key": "x"},
	    "url": "` + api.URL + `/q?key=${SECRET:TOKEN}", "headers": {"X-Api-Key": "${SECRET:TOKEN}"}}}]}`
	p, err := transform.Parse(ctx, all.Env(), []byte(config))
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Transform(ctx, weir.NewMessage([]byte(`{}`)))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "Zq9-very-secret")
	assert.Contains(t, err.Error(), "${SECRET:TOKEN}")
	t.Log(err)
}

// TestConfigErrors: settings are checked before any call, with the path of
// the setting at fault; a core build without this package names it.
func TestConfigErrors(t *testing.T) {
	setAWSEnv(t)
	const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:x-AbCdEf"
	for _, c := range []struct{ settings, field string }{
		{`{"id":"T"}`, "secret.settings.aws.arn"},
		{`{"aws":{"arn":"` + arn + `"}}`, "secret.settings.id"},
		{`{"id":"T","aws":{"arn":"` + arn + `"},"ttl_offset":"soon"}`, "secret.settings.ttl_offset"},
		{`{"id":"T","aws":{"arn":"` + arn + `"},"ttl_offset":"-1m"}`, "secret.settings.ttl_offset"},
		{`{"id":"T","aws":{"arn":"` + arn + `"},"name":"x"}`, "secret.settings"},
	} {
		cfg := `{"type":"utility_secret","settings":{"secret":{"type":"aws_secrets_manager","settings":` + c.settings + `}}}`
		_, err := all.Env().New(context.Background(), parse(t, cfg))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce, c.settings)
		assert.Equal(t, c.field, ce.Field, c.settings)
		assert.Equal(t, "utility_secret", ce.Type, c.settings)
		assert.ErrorIs(t, err, weir.ErrInvalidConfig)
	}

	_, err := transform.New(context.Background(), parse(t, `{"type":"utility_secret","settings":{"secret":{"type":"aws_secrets_manager","settings":{"id":"T","aws":{"arn":"`+arn+`"}}}}}`))
	assert.ErrorIs(t, err, weir.ErrUnknownType)
	assert.ErrorContains(t, err, "github.com/weirhq/weir/transform/awssecrets")
	_, err = all.Env().New(context.Background(), parse(t, `{"type":"utility_secret","settings":{"secret":{"type":"aws_secret_manager","settings":{}}}}`))
	assert.ErrorIs(t, err, weir.ErrUnknownType)
	assert.ErrorContains(t, err, `did you mean "aws_secrets_manager"?`)
}

// TestContract runs transformtest's checks on a utility_secret of this
// type.
func TestContract(t *testing.T) {
	setAWSEnv(t)
	srv := kumoServer(t)
	arn := createSecret(t, smClient(srv.URL), "weir/contract", "v")
	transformtest.Run(t, func() (transform.Transformer, error) {
		return all.Env().New(context.Background(), parse(t, secretConfig(arn, srv.URL, "")))
	}, transformtest.Options{})
}

func parse(t *testing.T, s string) weir.Config {
	t.Helper()
	var c weir.Config
	require.NoError(t, json.Unmarshal([]byte(s), &c))
	return c
}
