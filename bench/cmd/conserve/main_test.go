package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m, true) }

// TestConservation runs the conservation check of bench/README.md at
// 10,000 events, so that it stays true: weir run (the real binary) with
// -errors, through DNS, HTTP and DynamoDB enrichment that fail, time out
// and throttle, a drop rule and a send. Every event must be delivered
// exactly once, dropped by the rule, or reported in the -errors file, and
// weir run's -stats must say the same. The figures do not depend on the
// machine's speed: a busy machine turns more lookups into timeouts, which
// are reported like any other failure.
func TestConservation(t *testing.T) {
	endpoint := testenv.Endpoint(t, "WEIR_DYNAMODB_ENDPOINT", "dynalite")
	bin := filepath.Join(t.TempDir(), "weir")
	build := exec.Command("go", "build", "-o", bin, "github.com/weirhq/weir/cmd/weir")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/weir: %s", out)

	t.Run("enrichment faults", func(t *testing.T) {
		res := runConservation(t, bin, endpoint, 10_000, 0)
		assert.Zero(t, res.Undelivered)
		assert.Equal(t, uint64(0), res.WeirStats.Undelivered)
	})
	t.Run("and failed sends", func(t *testing.T) {
		// 3 batches in 10 refused by the send's destination, for good:
		// their events were emitted, and are reported undelivered.
		res := runConservation(t, bin, endpoint, 5_000, 3000)
		assert.Positive(t, res.Injected["sink"]["refused (503)"])
		assert.Positive(t, res.Undelivered)
		assert.Positive(t, res.ReportedByKind["send: emitted, then not delivered"])
		assert.Equal(t, uint64(res.Undelivered), res.WeirStats.Undelivered)
	})
}

// runConservation runs n events, the send's destination refusing
// sinkFail bodies in 10,000, and checks that every event is accounted for.
func runConservation(t *testing.T, bin, endpoint string, n, sinkFail int) *result {
	dir := t.TempDir()
	res, err := run(context.Background(), options{
		N: n, Seed: 42, Workers: 256, Weir: bin, Dir: dir, DynamoDB: endpoint,
		Faults: defaultFaults(42, 4*time.Second, time.Second), SinkFail: sinkFail,
	})
	require.NoError(t, err)
	var summary bytes.Buffer
	res.summary(&summary)
	t.Logf("\n%s", summary.String())

	assert.True(t, res.Conserved, "not conserved")
	assert.Zero(t, res.AnomalyCount)
	assert.Equal(t, n, res.Read)
	assert.Equal(t, n, res.Delivered+res.DroppedByRule+res.Reported)
	assert.Zero(t, res.Duplicates)
	assert.Equal(t, int64(res.Delivered), res.SinkItems)
	assert.Equal(t, res.Delivered+res.Undelivered, res.StdoutEvents)
	assert.Equal(t, uint64(res.Reported-res.Undelivered), res.WeirStats.Failed)
	assert.Equal(t, uint64(res.DroppedByRule), res.WeirStats.Dropped)
	assert.Equal(t, 1, res.WeirExit, "weir run exits 1 when events failed")

	// The faults did happen, and some events failed for them.
	assert.Positive(t, res.Reported)
	assert.Positive(t, res.DroppedByRule)
	assert.Positive(t, res.Delivered)
	for srv, kinds := range map[string][]string{
		"dns":      {"dropped (timeout)", "servfail", "nxdomain", "dropped once (transient)"},
		"http":     {"hang (timeout)", "503", "404", "429 once", "500 once", "hang once", "reset once"},
		"dynamodb": {"throttled (storm)"},
	} {
		for _, k := range kinds {
			assert.Positive(t, res.Injected[srv][k], "%s: %s", srv, k)
		}
	}
	return res
}

// TestErrorKind names the causes of the errors weir run reports.
func TestErrorKind(t *testing.T) {
	for msg, want := range map[string]string{
		"transform meta_switch: transform enrich_dns_ip_lookup (rdns): enrich: DNS PTR 1.2.3.4: context deadline exceeded":                                           "dns: timeout",
		"transform enrich_dns_ip_lookup (rdns): enrich: DNS PTR 1.2.3.4 @127.0.0.1:53: SERVFAIL: enrich: DNS server failure":                                         "dns: SERVFAIL",
		"transform enrich_http_get (intel): HTTP GET http://127.0.0.1:1/v1/event/x: status 404 Not Found":                                                            "http: 404",
		"transform enrich_kv_store_item_get (accounts): get: api error ProvisionedThroughputExceededException: failed to get rate limit token, retry quota exceeded": "dynamodb: throttled, retry quota exhausted",
		"transform enrich_kv_store_item_get (accounts): get: api error InternalServerError: Internal server error":                                                   "dynamodb: 500 after retries",
		"something else": "other",
	} {
		assert.Equal(t, want, errorKind(msg), msg)
	}
}

func TestMissingEndpoint(t *testing.T) {
	t.Setenv("WEIR_DYNAMODB_ENDPOINT", "")
	err := mainErr(1, 1, 1, "/nonexistent", t.TempDir(), 0, 0, 0, false)
	assert.ErrorContains(t, err, "WEIR_DYNAMODB_ENDPOINT")
}
