package enrich_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
)

// fileServer serves files held in memory, which tests change between
// fetches, plus a few paths that misbehave:
//
//	/slow     answers when the test ends
//	/broken   500 Internal Server Error
//	/chunked  a 64-byte body without a Content-Length
type fileServer struct {
	mu      sync.Mutex
	files   map[string][]byte
	release chan struct{} // closed when the test ends
}

// serveFiles starts a fileServer, over TLS if tls is set, closed when the
// test ends. Its log (of failed TLS handshakes) is discarded.
func serveFiles(t testing.TB, tls bool) (*fileServer, *httptest.Server) {
	t.Helper()
	f := &fileServer{files: map[string][]byte{}, release: make(chan struct{})}
	ts := httptest.NewUnstartedServer(f)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(f.release) }) // before Close, which waits for /slow
	return f, ts
}

func (f *fileServer) put(path string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = b
}

func (f *fileServer) remove(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files, path)
}

func (f *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/slow":
		<-f.release
		return
	case "/broken":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "/chunked":
		for range 4 {
			_, _ = w.Write([]byte(strings.Repeat("x", 16)))
			w.(http.Flusher).Flush()
		}
		return
	}
	f.mu.Lock()
	b, ok := f.files[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(b)
}

func TestSourceFetchLocal(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "a.txt", "hello")
	b, err := enrich.Source{}.Fetch(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))

	_, err = enrich.Source{}.Fetch(context.Background(), filepath.Join(filepath.Dir(p), "none"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	var pe *os.PathError
	assert.ErrorAs(t, err, &pe)
}

func TestSourceFetchHTTP(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		files, ts := serveFiles(t, tls)
		files.put("/a.txt", []byte("hello"))
		files.put("/big.txt", []byte(strings.Repeat("y", 100)))
		// The TLS server's certificate is trusted by its client only.
		src := enrich.Source{HTTPClient: ts.Client(), MaxSize: 32}

		tests := []struct {
			name     string
			path     string
			want     string
			wantCode int
			wantErr  error
			timeout  time.Duration
		}{
			{name: "ok", path: "/a.txt", want: "hello"},
			{name: "not found", path: "/none", wantCode: 404, wantErr: fs.ErrNotExist},
			{name: "server error", path: "/broken", wantCode: 500},
			{name: "too large", path: "/big.txt", wantErr: weir.ErrTooLarge},
			{name: "too large without length", path: "/chunked", wantErr: weir.ErrTooLarge},
			{name: "timeout", path: "/slow", wantErr: context.DeadlineExceeded, timeout: 50 * time.Millisecond},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("tls=%v/%s", tls, tt.name), func(t *testing.T) {
				t.Parallel()
				url := ts.URL + tt.path
				src := src
				src.Timeout = tt.timeout
				b, err := src.Fetch(context.Background(), url)
				if tt.want != "" {
					require.NoError(t, err)
					assert.Equal(t, tt.want, string(b))
					return
				}
				var se *enrich.SourceError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, url, se.Location)
				assert.Equal(t, tt.wantCode, se.StatusCode)
				assert.Contains(t, err.Error(), url)
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				}
			})
		}
	}

	t.Run("https without the server's certificate", func(t *testing.T) {
		t.Parallel()
		files, ts := serveFiles(t, true)
		files.put("/a.txt", []byte("hello"))
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		_, err := enrich.Source{HTTPClient: &http.Client{Transport: tr}}.Fetch(context.Background(), ts.URL+"/a.txt")
		var se *enrich.SourceError
		require.ErrorAs(t, err, &se)
		assert.Zero(t, se.StatusCode)
	})

	t.Run("context cancelled", func(t *testing.T) {
		t.Parallel()
		_, ts := serveFiles(t, false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := enrich.Source{}.Fetch(ctx, ts.URL+"/slow")
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestTableHTTPReload(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			t.Parallel()
			files, ts := serveFiles(t, tls)
			files.put("/products.csv", []byte("product,price\nwidget,1\n"))
			url := ts.URL + "/products.csv"
			tab, err := enrich.NewTable(enrich.TableConfig{
				Path: url, Format: enrich.CSV, Column: "product",
				Source: enrich.Source{HTTPClient: ts.Client()},
			})
			require.NoError(t, err)
			v, ok := tab.Get("widget")
			require.True(t, ok)
			assert.JSONEq(t, `{"price":"1"}`, string(v))

			files.put("/products.csv", []byte("product,price\nwidget,2\ngadget,3\n"))
			require.NoError(t, tab.Reload())
			v, _ = tab.Get("widget")
			assert.JSONEq(t, `{"price":"2"}`, string(v))
			assert.Equal(t, 2, tab.Len())

			// A failed reload names the URL and keeps the contents.
			files.remove("/products.csv")
			err = tab.Reload()
			var te *enrich.TableError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, url, te.Path)
			var se *enrich.SourceError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusNotFound, se.StatusCode)
			assert.ErrorIs(t, err, fs.ErrNotExist)
			assert.Equal(t, 2, tab.Len())
		})
	}
}

func TestMMDBHTTPReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "asn.mmdb")
	writeMMDB(t, p, "GeoLite2-ASN", 0, asnDB("ONE"))
	one, err := os.ReadFile(p)
	require.NoError(t, err)
	writeMMDB(t, p, "GeoLite2-ASN", 0, asnDB("TWO"))
	two, err := os.ReadFile(p)
	require.NoError(t, err)

	files, ts := serveFiles(t, true)
	files.put("/asn.mmdb", one)
	url := ts.URL + "/asn.mmdb"
	m, err := enrich.NewMMDB(enrich.MMDBConfig{Path: url, Source: enrich.Source{HTTPClient: ts.Client()}})
	require.NoError(t, err)
	defer m.Close()
	addr := netip.MustParseAddr("192.0.2.1")
	info, ok, err := m.LookupInfo(addr)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "ONE", info.ASOrganization)

	files.put("/asn.mmdb", two)
	require.NoError(t, m.Reload())
	info, _, err = m.LookupInfo(addr)
	require.NoError(t, err)
	assert.Equal(t, "TWO", info.ASOrganization)

	files.remove("/asn.mmdb")
	err = m.Reload()
	var me *enrich.MMDBError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, url, me.Path)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	info, _, err = m.LookupInfo(addr)
	require.NoError(t, err)
	assert.Equal(t, "TWO", info.ASOrganization, "a failed reload keeps the file")

	_, err = enrich.NewMMDB(enrich.MMDBConfig{Path: url, MMap: true})
	assert.ErrorContains(t, err, "only a local file can be mapped")
}

// TestMMDBOpener loads an MMDB through an Opener (as s3:// locations are
// loaded) and reloads it.
func TestMMDBOpener(t *testing.T) {
	t.Parallel()
	var files sync.Map
	src := enrich.Source{Openers: map[string]enrich.Opener{"mem": enrich.OpenerFunc(
		func(_ context.Context, _ *enrich.Source, loc string) (io.ReadCloser, int64, error) {
			b, ok := files.Load(loc)
			if !ok {
				return nil, 0, fs.ErrNotExist
			}
			return io.NopCloser(bytes.NewReader(b.([]byte))), int64(len(b.([]byte))), nil
		})}}
	p := filepath.Join(t.TempDir(), "asn.mmdb")
	writeMMDB(t, p, "GeoLite2-ASN", 0, asnDB("ONE"))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	files.Store("mem://asn.mmdb", b)

	m, err := enrich.NewMMDB(enrich.MMDBConfig{Path: "mem://asn.mmdb", Source: src})
	require.NoError(t, err)
	defer m.Close()
	info, ok, err := m.LookupInfo(netip.MustParseAddr("2001:db8::1"))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "ONE-V6", info.ASOrganization)

	writeMMDB(t, p, "GeoLite2-ASN", 0, asnDB("TWO"))
	b, err = os.ReadFile(p)
	require.NoError(t, err)
	files.Store("mem://asn.mmdb", b)
	require.NoError(t, m.Reload())
	info, _, err = m.LookupInfo(netip.MustParseAddr("2001:db8::1"))
	require.NoError(t, err)
	assert.Equal(t, "TWO-V6", info.ASOrganization)
}

// BenchmarkSourceFetch compares fetching a 64 KiB file from disk with
// os.ReadFile (the baseline) and over loopback HTTP.
func BenchmarkSourceFetch(b *testing.B) {
	body := []byte(strings.Repeat("0123456789abcdef", 4<<10))
	p := filepath.Join(b.TempDir(), "f")
	require.NoError(b, os.WriteFile(p, body, 0o644))
	files, ts := serveFiles(b, false)
	files.put("/f", body)
	src := enrich.Source{HTTPClient: ts.Client()}
	ctx := context.Background()
	b.Run("os.ReadFile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := os.ReadFile(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	for name, loc := range map[string]string{"local": p, "http": ts.URL + "/f"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Fetch(ctx, loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ExampleTableConfig_url loads a lookup table over HTTP. The same works
// for s3://bucket/key with the S3 opener of package enrich/awsenrich.
func ExampleTableConfig_url() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "product,price\nwidget,1.50\n")
	}))
	defer ts.Close()

	tab, err := enrich.NewTable(enrich.TableConfig{Path: ts.URL + "/products.csv", Format: enrich.CSV, Column: "product"})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := tab.Get("widget")
	fmt.Println(string(v))

	// s3:// needs the opener of package enrich/awsenrich.
	_, err = enrich.NewTable(enrich.TableConfig{Path: "s3://bucket/admins.txt", Format: enrich.Text})
	fmt.Println(errors.As(err, new(*enrich.SourceError)))
	// Output:
	// {"price":"1.50"}
	// true
}

func TestSourceNoOpener(t *testing.T) {
	t.Parallel()
	_, err := enrich.NewTable(enrich.TableConfig{Path: "s3://bucket/key.txt", Format: enrich.Text})
	var se *enrich.SourceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "s3://bucket/key.txt", se.Location)
	assert.ErrorContains(t, err, "enrich/awsenrich")
	_, err = enrich.NewMMDB(enrich.MMDBConfig{Path: "gs://bucket/a.mmdb"})
	require.ErrorAs(t, err, &se)
	assert.ErrorContains(t, err, "no opener for gs:// locations")
	_, err = enrich.Source{}.Fetch(context.Background(), "s3://bucket/key")
	require.ErrorAs(t, err, &se)
}
