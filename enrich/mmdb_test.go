package enrich_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/enrich"
)

// writeMMDB writes a MaxMind DB of type dbType (IPv6 unless ipVersion is
// 4) holding records (network → record) to path, through a temporary file
// renamed over it, as a database is replaced in production.
func writeMMDB(tb testing.TB, path, dbType string, ipVersion int, records map[string]mmdbtype.Map) {
	tb.Helper()
	if ipVersion == 0 {
		ipVersion = 6
	}
	recordSize := 24
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType, IPVersion: ipVersion, RecordSize: recordSize,
		IncludeReservedNetworks: true,
	})
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

// countryRecord is a GeoLite2-Country-like record.
func countryRecord(iso, name string) mmdbtype.Map {
	c := mmdbtype.Map{
		"geoname_id": mmdbtype.Uint32(6252001),
		"iso_code":   mmdbtype.String(iso),
		"names":      mmdbtype.Map{"en": mmdbtype.String(name)},
	}
	return mmdbtype.Map{
		"continent":          mmdbtype.Map{"code": mmdbtype.String("NA"), "geoname_id": mmdbtype.Uint32(6255149), "names": mmdbtype.Map{"en": mmdbtype.String("North America")}},
		"country":            c,
		"registered_country": c,
	}
}

// asnRecord is a GeoLite2-ASN-like record.
func asnRecord(asn uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(asn),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

func asnDB(org string) map[string]mmdbtype.Map {
	return map[string]mmdbtype.Map{
		"192.0.2.0/24":    asnRecord(64496, org),
		"2001:db8::/32":   asnRecord(64497, org+"-V6"),
		"198.51.100.0/25": asnRecord(64498, "OTHER"),
	}
}

func TestMMDBLookup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	asnPath := filepath.Join(dir, "asn.mmdb")
	writeMMDB(t, asnPath, "GeoLite2-ASN", 6, asnDB("EXAMPLE"))
	countryPath := filepath.Join(dir, "country.mmdb")
	writeMMDB(t, countryPath, "GeoLite2-Country", 6, map[string]mmdbtype.Map{
		"192.0.2.0/24":  countryRecord("US", "United States"),
		"2001:db8::/48": countryRecord("CA", "Canada"),
	})
	const usJSON = `{"continent":{"code":"NA","geoname_id":6255149,"names":{"en":"North America"}},` +
		`"country":{"geoname_id":6252001,"iso_code":"US","names":{"en":"United States"}},` +
		`"registered_country":{"geoname_id":6252001,"iso_code":"US","names":{"en":"United States"}}}`

	tests := []struct {
		name   string
		path   string
		addr   string
		want   string // "" means not found
		wantIn enrich.IPInfo
	}{
		{name: "asn v4", path: asnPath, addr: "192.0.2.7", want: `{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE"}`,
			wantIn: enrich.IPInfo{Network: netip.MustParsePrefix("192.0.2.0/24"), ASN: 64496, ASOrganization: "EXAMPLE"}},
		{name: "asn v4-mapped v6", path: asnPath, addr: "::ffff:192.0.2.7", want: `{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE"}`,
			wantIn: enrich.IPInfo{Network: netip.MustParsePrefix("192.0.2.0/24"), ASN: 64496, ASOrganization: "EXAMPLE"}},
		{name: "asn v6", path: asnPath, addr: "2001:db8:1::1", want: `{"autonomous_system_number":64497,"autonomous_system_organization":"EXAMPLE-V6"}`,
			wantIn: enrich.IPInfo{Network: netip.MustParsePrefix("2001:db8::/32"), ASN: 64497, ASOrganization: "EXAMPLE-V6"}},
		{name: "asn v4 not found", path: asnPath, addr: "198.51.100.200"},
		{name: "asn v6 not found", path: asnPath, addr: "2001:db9::1"},
		{name: "country v4", path: countryPath, addr: "192.0.2.1", want: usJSON,
			wantIn: enrich.IPInfo{Network: netip.MustParsePrefix("192.0.2.0/24"), CountryISOCode: "US", RegisteredCountryISOCode: "US"}},
		{name: "country v6", path: countryPath, addr: "2001:db8::5", want: `{"continent":{"code":"NA","geoname_id":6255149,"names":{"en":"North America"}},` +
			`"country":{"geoname_id":6252001,"iso_code":"CA","names":{"en":"Canada"}},` +
			`"registered_country":{"geoname_id":6252001,"iso_code":"CA","names":{"en":"Canada"}}}`,
			wantIn: enrich.IPInfo{Network: netip.MustParsePrefix("2001:db8::/48"), CountryISOCode: "CA", RegisteredCountryISOCode: "CA"}},
		{name: "country v6 not found", path: countryPath, addr: "2001:db8:1::5"},
		{name: "country loopback not found", path: countryPath, addr: "127.0.0.1"},
	}
	for _, mmap := range []bool{false, true} {
		dbs := map[string]*enrich.MMDB{}
		for _, p := range []string{asnPath, countryPath} {
			db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: p, MMap: mmap})
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, db.Close()) })
			assert.Equal(t, p, db.Path())
			dbs[p] = db
		}
		for _, tt := range tests {
			name := tt.name
			if mmap {
				name += " mmap"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := dbs[tt.path]
				addr := netip.MustParseAddr(tt.addr)
				got, ok, err := db.Lookup(addr)
				require.NoError(t, err)
				info, infoOK, err := db.LookupInfo(addr)
				require.NoError(t, err)
				if tt.want == "" {
					assert.False(t, ok)
					assert.Nil(t, got)
					assert.False(t, infoOK)
					assert.Zero(t, info)
					return
				}
				assert.True(t, ok)
				assert.Equal(t, tt.want, string(got)) // byte for byte: keys sorted
				assert.True(t, infoOK)
				assert.Equal(t, tt.wantIn, info)
			})
		}
	}
}

func TestMMDBErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	require.NoError(t, os.WriteFile(garbage, []byte("this is not a MaxMind DB"), 0o644))
	empty := filepath.Join(dir, "empty.mmdb")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	tests := []struct {
		name    string
		path    string
		wantIs  error
		invalid bool
	}{
		{name: "missing", path: filepath.Join(dir, "none.mmdb"), wantIs: os.ErrNotExist},
		{name: "directory", path: dir},
		{name: "garbage", path: garbage, invalid: true},
		{name: "empty", path: empty}, // mmap says "file is empty"
	}
	for _, tt := range tests {
		for _, mmap := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: tt.path, MMap: mmap})
				require.Error(t, err)
				assert.Nil(t, db)
				var me *enrich.MMDBError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, tt.path, me.Path)
				assert.Contains(t, err.Error(), tt.path)
				if tt.wantIs != nil {
					assert.ErrorIs(t, err, tt.wantIs)
				}
				if tt.invalid {
					var ie maxminddb.InvalidDatabaseError
					assert.ErrorAs(t, err, &ie)
				}
			})
		}
	}

	t.Run("no path", func(t *testing.T) {
		t.Parallel()
		_, err := enrich.NewMMDB(enrich.MMDBConfig{})
		assert.Error(t, err)
	})

	t.Run("v6 in v4-only file", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "v4.mmdb")
		writeMMDB(t, p, "GeoLite2-ASN", 4, map[string]mmdbtype.Map{"192.0.2.0/24": asnRecord(64496, "EXAMPLE")})
		db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: p})
		require.NoError(t, err)
		defer db.Close()
		v, ok, err := db.Lookup(netip.MustParseAddr("192.0.2.1"))
		require.NoError(t, err)
		assert.True(t, ok)
		assert.JSONEq(t, `{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE"}`, string(v))
		_, ok, err = db.Lookup(netip.MustParseAddr("2001:db8::1"))
		var me *enrich.MMDBError
		assert.ErrorAs(t, err, &me)
		assert.False(t, ok)
		_, _, err = db.LookupInfo(netip.MustParseAddr("2001:db8::1"))
		assert.ErrorAs(t, err, &me)
	})

	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "asn.mmdb")
		writeMMDB(t, p, "GeoLite2-ASN", 6, asnDB("EXAMPLE"))
		db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: p, MMap: true})
		require.NoError(t, err)
		require.NoError(t, db.Close())
		require.NoError(t, db.Close()) // twice is fine
		_, _, err = db.Lookup(netip.MustParseAddr("192.0.2.1"))
		assert.ErrorIs(t, err, enrich.ErrMMDBClosed)
		_, _, err = db.LookupInfo(netip.MustParseAddr("192.0.2.1"))
		assert.ErrorIs(t, err, enrich.ErrMMDBClosed)
		// Reload opens it again.
		require.NoError(t, db.Reload())
		_, ok, err := db.Lookup(netip.MustParseAddr("192.0.2.1"))
		assert.NoError(t, err)
		assert.True(t, ok)
		require.NoError(t, db.Close())
	})
}

func TestMMDBReload(t *testing.T) {
	t.Parallel()
	for _, mmap := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "mmap"}[mmap], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "asn.mmdb")
			writeMMDB(t, p, "GeoLite2-ASN", 6, asnDB("OLD"))
			db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: p, MMap: mmap})
			require.NoError(t, err)
			defer db.Close()
			addr := netip.MustParseAddr("192.0.2.1")
			info, ok, err := db.LookupInfo(addr)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, "OLD", info.ASOrganization)

			// The file changes: nothing changes until Reload.
			writeMMDB(t, p, "GeoLite2-ASN", 6, asnDB("NEW"))
			info, _, err = db.LookupInfo(addr)
			require.NoError(t, err)
			assert.Equal(t, "OLD", info.ASOrganization)
			require.NoError(t, db.Reload())
			info, _, err = db.LookupInfo(addr)
			require.NoError(t, err)
			assert.Equal(t, "NEW", info.ASOrganization)

			// A failed reload keeps the file the MMDB had.
			bad := filepath.Join(dir, "bad")
			require.NoError(t, os.WriteFile(bad, []byte("garbage"), 0o644))
			require.NoError(t, os.Rename(bad, p))
			var me *enrich.MMDBError
			require.ErrorAs(t, db.Reload(), &me)
			info, _, err = db.LookupInfo(addr)
			require.NoError(t, err)
			assert.Equal(t, "NEW", info.ASOrganization)
			require.NoError(t, os.Remove(p))
			assert.ErrorIs(t, db.Reload(), os.ErrNotExist)
			v, _, err := db.Lookup(addr)
			require.NoError(t, err)
			assert.Contains(t, string(v), `"NEW"`)
		})
	}
}

// TestMMDBConcurrentReload looks up from many goroutines while the file is
// replaced and reloaded (and finally closed): every lookup must see one
// whole file or the other, and closed readers must never be read (-race
// and the mmap case would catch a read after unmapping).
func TestMMDBConcurrentReload(t *testing.T) {
	t.Parallel()
	for _, mmap := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "mmap"}[mmap], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "asn.mmdb")
			writeMMDB(t, p, "GeoLite2-ASN", 6, asnDB("A"))
			db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: p, MMap: mmap})
			require.NoError(t, err)

			want := map[string]bool{
				`{"autonomous_system_number":64496,"autonomous_system_organization":"A"}`: true,
				`{"autonomous_system_number":64496,"autonomous_system_organization":"B"}`: true,
			}
			v4 := netip.MustParseAddr("192.0.2.9")
			v6 := netip.MustParseAddr("2001:db8::9")
			stop := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						v, ok, err := db.Lookup(v4)
						if errors.Is(err, enrich.ErrMMDBClosed) {
							return
						}
						if err != nil || !ok || !want[string(v)] {
							errs <- errors.New("bad lookup: " + string(v))
							return
						}
						info, ok, err := db.LookupInfo(v6)
						if errors.Is(err, enrich.ErrMMDBClosed) {
							return
						}
						if err != nil || !ok || info.ASN != 64497 {
							errs <- errors.New("bad info lookup")
							return
						}
					}
				}()
			}
			for i := range 40 {
				org := "A"
				if i%2 == 0 {
					org = "B"
				}
				writeMMDB(t, p, "GeoLite2-ASN", 6, asnDB(org))
				require.NoError(t, db.Reload())
			}
			require.NoError(t, db.Close())
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func BenchmarkMMDB(b *testing.B) {
	p := filepath.Join(b.TempDir(), "asn.mmdb")
	writeMMDB(b, p, "GeoLite2-ASN", 6, asnDB("EXAMPLE"))
	db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: p})
	require.NoError(b, err)
	defer db.Close()
	addr := netip.MustParseAddr("192.0.2.1")
	b.Run("Lookup", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _, _ = db.Lookup(addr)
			}
		})
	})
	b.Run("LookupInfo", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _, _ = db.LookupInfo(addr)
			}
		})
	})
}
