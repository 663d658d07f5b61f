package enrich_test

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"testing"

	"github.com/weirhq/weir/enrich"
)

// fuzzSource serves the fuzzed bytes as the file fuzz://f.
func fuzzSource(data []byte) enrich.Source {
	return enrich.Source{MaxSize: 1 << 20, Openers: map[string]enrich.Opener{
		"fuzz": enrich.OpenerFunc(func(context.Context, *enrich.Source, string) (io.ReadCloser, int64, error) {
			return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
		}),
	}}
}

// FuzzTable: no file makes a table loader panic.
func FuzzTable(f *testing.F) {
	f.Add(uint8(0), []byte("a,b\n1,2\n3,4\n"))
	f.Add(uint8(1), []byte(`{"k":{"v":1},"l":[1]}`))
	f.Add(uint8(2), []byte("{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\"}\n"))
	f.Add(uint8(3), []byte("one\ntwo\n\n"))
	formats := []enrich.TableFormat{enrich.CSV, enrich.JSON, enrich.JSONLines, enrich.Text}
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		cfg := enrich.TableConfig{Path: "fuzz://f", Format: formats[int(format)%len(formats)], Source: fuzzSource(data)}
		if cfg.Format == enrich.CSV {
			cfg.Column = "a"
		}
		tb, err := enrich.NewTable(cfg)
		if err != nil {
			return
		}
		tb.Range(func(k string, v []byte) bool {
			if got, ok := tb.Get(k); !ok || !bytes.Equal(got, v) {
				t.Fatalf("Get(%q) disagrees with Range", k)
			}
			return true
		})
	})
}

// FuzzMMDB: no file makes the mmdb loader or a lookup panic.
func FuzzMMDB(f *testing.F) {
	f.Add([]byte("\xab\xcd\xefMaxMind.com"))
	f.Add([]byte{})
	addrs := []netip.Addr{netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("0.0.0.0")}
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := enrich.NewMMDB(enrich.MMDBConfig{Path: "fuzz://f", Source: fuzzSource(data)})
		if err != nil {
			return
		}
		defer db.Close()
		for _, a := range addrs {
			_, _, _ = db.Lookup(a)
			_, _, _ = db.LookupInfo(a)
		}
	})
}
