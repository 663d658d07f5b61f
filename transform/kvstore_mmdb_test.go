package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/kvstore"
)

// writeTestMMDB writes an IPv6 MaxMind DB of type dbType holding records
// (network → record) to path, through a temporary file renamed over it.
func writeTestMMDB(tb testing.TB, path, dbType string, records map[string]mmdbtype.Map) {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 28, IncludeReservedNetworks: true})
	require.NoError(tb, err)
	for cidr, rec := range records {
		_, n, err := net.ParseCIDR(cidr)
		require.NoError(tb, err)
		require.NoError(tb, tree.Insert(n, rec))
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".mmdb-*")
	require.NoError(tb, err)
	_, err = tree.WriteTo(f)
	require.NoError(tb, err)
	require.NoError(tb, f.Close())
	require.NoError(tb, os.Rename(f.Name(), path))
}

func testASNRecords(org string) map[string]mmdbtype.Map {
	rec := func(n uint32, org string) mmdbtype.Map {
		return mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(n), "autonomous_system_organization": mmdbtype.String(org)}
	}
	return map[string]mmdbtype.Map{
		"192.0.2.0/24":  rec(64496, org),
		"2001:db8::/32": rec(64497, org+"-V6"),
	}
}

func testCountryRecords() map[string]mmdbtype.Map {
	rec := func(iso, name string) mmdbtype.Map {
		c := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(6252001), "iso_code": mmdbtype.String(iso), "names": mmdbtype.Map{"en": mmdbtype.String(name), "de": mmdbtype.String(name + "!")}}
		return mmdbtype.Map{
			"continent":          mmdbtype.Map{"code": mmdbtype.String("NA"), "names": mmdbtype.Map{"en": mmdbtype.String("North America")}},
			"country":            c,
			"registered_country": c,
			"traits":             mmdbtype.Map{"is_anycast": mmdbtype.Bool(true), "score": mmdbtype.Float64(0.5)},
		}
	}
	return map[string]mmdbtype.Map{
		"192.0.2.0/24":  rec("US", "United States"),
		"2001:db8::/48": rec("CA", "Canada"),
	}
}

// mmdbGetConfig is the Substation config of the brief: source.ip → source.as.
func mmdbGetConfig(t *testing.T, file string, extra string) weir.Config {
	t.Helper()
	var cfg weir.Config
	require.NoError(t, json.Unmarshal([]byte(fmt.Sprintf(`{"type":"enrich_kv_store_item_get","settings":{%s"object":{"source_key":"source.ip",
		"target_key":"source.as"},"kv_store":{"type":"mmdb","settings":{"file":%q}}}}`, extra, file)), &cfg))
	return cfg
}

func TestMMDBKVStoreItemGet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	asn := filepath.Join(dir, "asn.mmdb")
	writeTestMMDB(t, asn, "GeoLite2-ASN", testASNRecords("EXAMPLE"))
	country := filepath.Join(dir, "country.mmdb")
	writeTestMMDB(t, country, "GeoLite2-Country", testCountryRecords())

	usCountry := `{"continent":{"code":"NA","names":{"en":"North America"}},` +
		`"country":{"geoname_id":6252001,"iso_code":"US","names":{"de":"United States!","en":"United States"}},` +
		`"registered_country":{"geoname_id":6252001,"iso_code":"US","names":{"de":"United States!","en":"United States"}},` +
		`"traits":{"is_anycast":true,"score":0.5}}`
	tests := []struct {
		name    string
		file    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "asn v4", file: asn, in: `{"source":{"ip":"192.0.2.1"}}`,
			want: `{"source":{"ip":"192.0.2.1","as":{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE"}}}`},
		{name: "asn v6", file: asn, in: `{"source":{"ip":"2001:db8:ffff::1"}}`,
			want: `{"source":{"ip":"2001:db8:ffff::1","as":{"autonomous_system_number":64497,"autonomous_system_organization":"EXAMPLE-V6"}}}`},
		{name: "asn v4-mapped", file: asn, in: `{"source":{"ip":"::ffff:192.0.2.1"}}`,
			want: `{"source":{"ip":"::ffff:192.0.2.1","as":{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE"}}}`},
		{name: "country v4", file: country, in: `{"source":{"ip":"192.0.2.200"}}`,
			want: `{"source":{"ip":"192.0.2.200","as":` + usCountry + `}}`},
		{name: "not found v4", file: asn, in: `{"source":{"ip":"198.51.100.1"}}`, want: `{"source":{"ip":"198.51.100.1","as":null}}`},
		{name: "not found v6", file: country, in: `{"source":{"ip":"2001:db8:1::1"}}`, want: `{"source":{"ip":"2001:db8:1::1","as":null}}`},
		{name: "no source.ip", file: asn, in: `{"source":{"port":443}}`, want: `{"source":{"port":443}}`},
		{name: "not an IP", file: asn, in: `{"source":{"ip":"example.com"}}`, wantErr: true},
		{name: "empty IP", file: asn, in: `{"source":{"ip":""}}`, wantErr: true},
		{name: "IP with zone", file: asn, in: `{"source":{"ip":"fe80::1%eth0"}}`, wantErr: true},
		{name: "not JSON", file: asn, in: `not json`, want: `not json`},
	}
	ctx := context.Background()
	tfs := map[string]Transformer{}
	for _, f := range []string{asn, country} {
		tf, err := New(ctx, mmdbGetConfig(t, f, ""))
		require.NoError(t, err)
		tfs[f] = tf
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := tfs[tt.file].Transform(ctx, weir.NewMessage([]byte(tt.in)))
			if tt.wantErr {
				assert.ErrorIs(t, err, weir.ErrInvalidData)
				var te *Error
				assert.ErrorAs(t, err, &te)
				assert.NotContains(t, err.Error(), "example.com") // keys are not leaked
				return
			}
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
		})
	}
	t.Run("control", func(t *testing.T) {
		t.Parallel()
		out, err := tfs[asn].Transform(ctx, weir.NewControl())
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.True(t, out[0].IsControl())
	})
	t.Run("prefix", func(t *testing.T) {
		t.Parallel()
		tf, err := New(ctx, mmdbGetConfig(t, asn, `"prefix":"ip",`))
		require.NoError(t, err)
		_, err = tf.Transform(ctx, weir.NewMessage([]byte(`{"source":{"ip":"192.0.2.1"}}`)))
		assert.ErrorIs(t, err, weir.ErrInvalidData) // "ip:192.0.2.1" is no IP, as in Substation
	})
}

// TestMMDBKVStoreReset reloads the file on control messages
// (close_kv_store), while other goroutines transform.
func TestMMDBKVStoreReset(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "asn.mmdb")
	writeTestMMDB(t, p, "GeoLite2-ASN", testASNRecords("OLD"))
	ctx := context.Background()
	tf, err := New(ctx, mmdbGetConfig(t, p, `"close_kv_store":true,`))
	require.NoError(t, err)
	get := func() string {
		out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"source":{"ip":"192.0.2.1"}}`)))
		require.NoError(t, err)
		return out[0].Get("source.as.autonomous_system_organization").String()
	}
	assert.Equal(t, "OLD", get())
	writeTestMMDB(t, p, "GeoLite2-ASN", testASNRecords("NEW"))
	assert.Equal(t, "OLD", get())
	_, err = tf.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	assert.Equal(t, "NEW", get())

	// Concurrent lookups during reloads.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bad := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"source":{"ip":"2001:db8::1"}}`)))
				if err != nil {
					bad <- err.Error()
					return
				}
				if org := out[0].Get("source.as.autonomous_system_organization").String(); org != "A-V6" && org != "B-V6" && org != "NEW-V6" {
					bad <- org
					return
				}
			}
		})
	}
	for i := range 30 {
		writeTestMMDB(t, p, "GeoLite2-ASN", testASNRecords(string(rune('A'+i%2))))
		_, err := tf.Transform(ctx, weir.NewControl())
		require.NoError(t, err)
	}
	close(stop)
	wg.Wait()
	close(bad)
	for b := range bad {
		t.Error("bad lookup:", b)
	}

	// A failed reset fails the control message and keeps the file.
	require.NoError(t, os.WriteFile(p+".bad", []byte("garbage"), 0o644))
	require.NoError(t, os.Rename(p+".bad", p))
	_, err = tf.Transform(ctx, weir.NewControl())
	var me *enrich.MMDBError
	assert.ErrorAs(t, err, &me)
	assert.Equal(t, "B", get())
}

func TestMMDBKVStoreShared(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "asn.mmdb")
	writeTestMMDB(t, p, "GeoLite2-ASN", testASNRecords("EXAMPLE"))
	stores := new(kvstore.Stores)
	ctx := context.Background()
	kv := weir.Config{Type: "mmdb", Settings: map[string]any{"file": p}}
	a, err := stores.Store(ctx, kv)
	require.NoError(t, err)
	b, err := stores.Store(ctx, kv)
	require.NoError(t, err)
	assert.Same(t, a, b)
	require.IsType(t, &kvstore.MMDBStore{}, a)
	v, ok, err := a.Get(ctx, "192.0.2.1")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, `{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE"}`, string(v))

	require.NoError(t, stores.Close()) // closes the file
	_, _, err = a.Get(ctx, "192.0.2.1")
	assert.ErrorIs(t, err, enrich.ErrMMDBClosed)
}

func TestMMDBKVStoreErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	require.NoError(t, os.WriteFile(garbage, []byte("not a MaxMind DB"), 0o644))
	url := notFoundServer(t)
	tests := []struct {
		name      string
		settings  map[string]any
		wantField string
		wantErr   error
		source    bool // the cause is an *enrich.SourceError
	}{
		{name: "no file", settings: map[string]any{}, wantField: "settings.file"},
		{name: "no settings", wantField: "settings.file"},
		{name: "unknown setting", settings: map[string]any{"file": garbage, "path": "x"}, wantField: "settings.path"},
		{name: "file not a string", settings: map[string]any{"file": json.Number("1")}, wantField: "settings.file"},
		{name: "missing file", settings: map[string]any{"file": filepath.Join(dir, "none.mmdb")}, wantField: "settings.file", wantErr: os.ErrNotExist},
		{name: "garbage file", settings: map[string]any{"file": garbage}, wantField: "settings.file"},
		{name: "malformed s3 location", settings: map[string]any{"file": "s3:///GeoLite2-ASN.mmdb"}, wantField: "settings.file", source: true},
		{name: "http not found", settings: map[string]any{"file": url + "/GeoLite2-ASN.mmdb"}, wantField: "settings.file", wantErr: fs.ErrNotExist, source: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := kvstore.New(context.Background(), nil, weir.Config{Type: "mmdb", Settings: tt.settings})
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.wantField, ce.Field)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				var me *enrich.MMDBError
				assert.ErrorAs(t, err, &me)
			}
			if tt.source {
				assert.ErrorAs(t, err, new(*enrich.SourceError))
			}
		})
	}

	t.Run("through the transform", func(t *testing.T) {
		t.Parallel()
		_, err := New(context.Background(), mmdbGetConfig(t, garbage, ""))
		var ce *weir.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "kv_store.settings.file", ce.Field)
		assert.True(t, errors.As(err, new(*enrich.MMDBError)))
	})

	t.Run("nil MMDB", func(t *testing.T) {
		t.Parallel()
		assert.Panics(t, func() { kvstore.NewMMDBStore(nil) })
	})
}
