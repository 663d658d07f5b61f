package ctgen_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/ctgen"
)

// pythonCorpus is `gen_cloudtrail.py 300 11`, committed with its README.
const pythonCorpus = "../../testdata/w1/cloudtrail.ndjson"

func TestWriteToMatchesPython(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(pythonCorpus)
	require.NoError(t, err)
	var got bytes.Buffer
	require.NoError(t, ctgen.WriteTo(&got, 300, 11))
	requireSameLines(t, want, got.Bytes())
}

// Larger corpora are compared with the script's by bench/run.sh (its first
// 2,000 records, whenever python3 and the shared generator are there).

func requireSameLines(t *testing.T, want, got []byte) {
	t.Helper()
	wl := bytes.Split(want, []byte("\n"))
	gl := bytes.Split(got, []byte("\n"))
	require.Len(t, gl, len(wl))
	for i := range wl {
		require.Equal(t, string(wl[i]), string(gl[i]), "line %d", i+1)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	recs := ctgen.Generate(500, 3)
	require.Len(t, recs, 500)
	assert.Equal(t, recs, ctgen.Generate(500, 3), "same seed, same records")
	assert.NotEqual(t, recs[0], ctgen.Generate(1, 4)[0], "another seed, other records")

	// Every branch the generator has shows up in 500 records.
	seen := map[string]bool{}
	for i, rec := range recs {
		var r struct {
			EventName    string `json:"eventName"`
			EventType    string `json:"eventType"`
			SourceIP     string `json:"sourceIPAddress"`
			ErrorCode    string `json:"errorCode"`
			UserIdentity struct {
				Type string `json:"type"`
			} `json:"userIdentity"`
			TLS *struct{} `json:"tlsDetails"`
		}
		require.NoError(t, json.Unmarshal(rec, &r), "record %d", i)
		seen["name "+r.EventName] = true
		seen["type "+r.EventType] = true
		seen["identity "+r.UserIdentity.Type] = true
		seen["error "+strconv.FormatBool(r.ErrorCode != "")] = true
		seen["tls "+strconv.FormatBool(r.TLS != nil)] = true
		switch {
		case bytes.Count([]byte(r.SourceIP), []byte(".")) == 3 && r.SourceIP[0] >= '0' && r.SourceIP[0] <= '9':
			seen["ipv4"] = true
		case bytes.Contains([]byte(r.SourceIP), []byte("::")):
			seen["ipv6"] = true
		default:
			seen["service"] = true
		}
	}
	for _, k := range []string{
		"name ConsoleLogin", "name GetObject", "name AssumeRole", "name DescribeInstances", "name CreateUser", "name Decrypt",
		"type AwsConsoleSignIn", "type AwsApiCall", "identity IAMUser", "identity AssumedRole", "identity AWSService",
		"error true", "error false", "tls true", "tls false", "ipv4", "ipv6", "service",
	} {
		assert.True(t, seen[k], "no record with %s", k)
	}
}

func TestSeedsBeyond32Bits(t *testing.T) {
	t.Parallel()
	// A seed with high bits uses two key words, as Python does: it must
	// differ from the seed holding only its low word.
	assert.NotEqual(t, ctgen.Generate(1, 1<<32|5)[0], ctgen.Generate(1, 5)[0])
}

func BenchmarkAppend(b *testing.B) {
	g := ctgen.New(1)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = g.Append(buf[:0])
	}
}
