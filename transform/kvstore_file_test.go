package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/enrich/awsenrich"
	"github.com/weirhq/weir/internal/s3test"
	"github.com/weirhq/weir/kvstore"
)

// Files for the file kv stores, as first served and as changed before a
// Reset.
var kvFileContents = []struct {
	name          string
	typ, settings string // settings without "file"
	first, second []byte
}{
	{name: "products.csv", typ: "csv_file", settings: `"column":"product"`,
		first: []byte("product,price\nwidget,1\n"), second: []byte("product,price\nwidget,2\n")},
	{name: "prices.json", typ: "json_file",
		first: []byte(`{"widget":{"price":1.0}}`), second: []byte(`{"widget":{"price":2}}`)},
	{name: "prices.jsonl", typ: "json_file", settings: `"is_lines":true`,
		first: []byte("{\"widget\":{\"price\":1}}\n"), second: []byte("{\"widget\":{\"price\":2}}\n")},
	{name: "admins.txt", typ: "text_file",
		first: []byte("alice\n"), second: []byte("bob\n")},
}

// kvFileWant is the value of "widget" (or, for the text file, "alice") in
// the first and second version of each file.
var kvFileWant = map[string][2]string{
	"products.csv": {`{"price":"1"}`, `{"price":"2"}`},
	"prices.json":  {`{"price":1}`, `{"price":2}`},
	"prices.jsonl": {`{"price":1}`, `{"price":2}`},
	"admins.txt":   {`true`, `false`},
}

// kvFileStore builds the store of typ over file from its JSON config.
func kvFileStore(t *testing.T, typ, file, settings string) (kvstore.Store, error) {
	t.Helper()
	if settings != "" {
		settings = "," + settings
	}
	var cfg weir.Config
	require.NoError(t, json.Unmarshal([]byte(fmt.Sprintf(`{"type":%q,"settings":{"file":%q%s}}`, typ, file, settings)), &cfg))
	return kvstore.New(context.Background(), kvTestEnv, cfg)
}

// checkKVFileStores builds each file store from file(name), checks its
// value, calls change(name, second) and checks that a Reset loads the
// change.
func checkKVFileStores(t *testing.T, file func(name string) string, change func(name string, b []byte)) {
	t.Helper()
	for _, f := range kvFileContents {
		key := "widget"
		if f.typ == "text_file" {
			key = "alice"
		}
		st, err := kvFileStore(t, f.typ, file(f.name), f.settings)
		require.NoError(t, err, f.name)
		v, ok, err := st.Get(context.Background(), key)
		require.NoError(t, err)
		require.True(t, ok, f.name)
		assert.JSONEq(t, kvFileWant[f.name][0], string(v), f.name)

		change(f.name, f.second)
		require.NoError(t, st.(kvstore.Resetter).Reset(context.Background()), f.name)
		v, ok, err = st.Get(context.Background(), key)
		require.NoError(t, err)
		require.True(t, ok, f.name)
		assert.JSONEq(t, kvFileWant[f.name][1], string(v), f.name)
	}
}

// mmdbBytes returns a GeoLite2-ASN-like database whose organization is org.
func mmdbBytes(t *testing.T, org string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "asn.mmdb")
	writeTestMMDB(t, p, "GeoLite2-ASN", testASNRecords(org))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// checkMMDBStore builds an mmdb store over file, looks up 192.0.2.1,
// calls change with a new database and checks that a Reset loads it.
func checkMMDBStore(t *testing.T, file string, change func(b []byte)) {
	t.Helper()
	st, err := kvFileStore(t, "mmdb", file, "")
	require.NoError(t, err)
	defer func() { assert.NoError(t, st.(*kvstore.MMDBStore).Close()) }()
	v, ok, err := st.Get(context.Background(), "192.0.2.1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.JSONEq(t, `{"autonomous_system_number":64496,"autonomous_system_organization":"ONE"}`, string(v))

	change(mmdbBytes(t, "TWO"))
	require.NoError(t, st.(kvstore.Resetter).Reset(context.Background()))
	v, _, err = st.Get(context.Background(), "192.0.2.1")
	require.NoError(t, err)
	assert.JSONEq(t, `{"autonomous_system_number":64496,"autonomous_system_organization":"TWO"}`, string(v))
}

// memFiles is an http.Handler serving files held in memory.
type memFiles struct{ m sync.Map } // path → []byte

func (f *memFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := f.m.Load(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(b.([]byte))
}

func TestFileKVStoresHTTP(t *testing.T) {
	t.Parallel()
	files := new(memFiles)
	ts := httptest.NewServer(files)
	t.Cleanup(ts.Close)
	for _, f := range kvFileContents {
		files.m.Store("/"+f.name, f.first)
	}
	files.m.Store("/asn.mmdb", mmdbBytes(t, "ONE"))

	checkKVFileStores(t,
		func(name string) string { return ts.URL + "/" + name },
		func(name string, b []byte) { files.m.Store("/"+name, b) })
	checkMMDBStore(t, ts.URL+"/asn.mmdb", func(b []byte) { files.m.Store("/asn.mmdb", b) })

	// The kv_store of a transform's JSON config.
	tf, err := (&Env{KVStores: new(kvstore.Stores)}).New(context.Background(), mmdbGetConfig(t, ts.URL+"/asn.mmdb", ""))
	require.NoError(t, err)
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(`{"source":{"ip":"192.0.2.1"}}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, "TWO", out[0].Get("source.as.autonomous_system_organization").String())

	tls := httptest.NewUnstartedServer(files)
	tls.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake
	tls.StartTLS()
	t.Cleanup(tls.Close)
	tests := []struct {
		name, typ, file string
		wantCode        int
	}{
		{name: "csv not found", typ: "csv_file", file: ts.URL + "/none.csv", wantCode: 404},
		{name: "json not found", typ: "json_file", file: ts.URL + "/none.json", wantCode: 404},
		{name: "text not found", typ: "text_file", file: ts.URL + "/none.txt", wantCode: 404},
		{name: "mmdb not found", typ: "mmdb", file: ts.URL + "/none.mmdb", wantCode: 404},
		// http.DefaultClient does not trust the test server's certificate.
		{name: "untrusted https", typ: "text_file", file: tls.URL + "/admins.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			settings := ""
			if tt.typ == "csv_file" {
				settings = `"column":"product"`
			}
			_, err := kvFileStore(t, tt.typ, tt.file, settings)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "settings.file", ce.Field)
			var se *enrich.SourceError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.file, se.Location)
			assert.Equal(t, tt.wantCode, se.StatusCode)
			if tt.wantCode == 404 {
				assert.ErrorIs(t, err, fs.ErrNotExist)
			}
		})
	}
}

// TestFileKVStoresS3 reads the files from S3 with a client built from the
// AWS_* environment variables, which it sets: it does not run in parallel.
func TestFileKVStoresS3(t *testing.T) {
	c := s3test.Client(t)
	s3test.Setenv(t)
	bucket := s3test.Bucket(t, c)
	for _, f := range kvFileContents {
		s3test.Put(t, c, bucket, "kv/"+f.name, f.first)
	}
	s3test.Put(t, c, bucket, "asn.mmdb", mmdbBytes(t, "ONE"))

	checkKVFileStores(t,
		func(name string) string { return "s3://" + bucket + "/kv/" + name },
		func(name string, b []byte) { s3test.Put(t, c, bucket, "kv/"+name, b) })
	checkMMDBStore(t, "s3://"+bucket+"/asn.mmdb", func(b []byte) { s3test.Put(t, c, bucket, "asn.mmdb", b) })

	_, err := kvFileStore(t, "json_file", "s3://"+bucket+"/none.json", "")
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "settings.file", ce.Field)
	var se *enrich.SourceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 404, se.StatusCode)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// kvTestEnv builds kv stores that may read s3:// files.
var kvTestEnv = &kvstore.Env{Files: enrich.Source{Openers: map[string]enrich.Opener{"s3": awsenrich.S3Opener{}}}}
