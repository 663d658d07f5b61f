package enrich_test

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/enrich"
)

// writeFile writes content to a file in a temporary folder and returns its
// path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestTableFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		cfg     enrich.TableConfig
		want    map[string]string // key → value; a missing value is "" with ok false
		wantLen int
	}{
		{
			name:    "csv",
			content: "product,price,calories\nchurro,9.99,500\ndonut,1.99,300\n",
			cfg:     enrich.TableConfig{Format: enrich.CSV, Column: "product"},
			want:    map[string]string{"churro": `{"calories":"500","price":"9.99"}`, "donut": `{"calories":"300","price":"1.99"}`, "eclair": ""},
			wantLen: 2,
		},
		{
			name:    "csv keyed by a middle column, tab-delimited, quoted",
			content: "a\tb\tc\n\"x\ty\"\tk1\t<&>\n",
			cfg:     enrich.TableConfig{Format: enrich.CSV, Column: "b", Delimiter: '\t'},
			want:    map[string]string{"k1": `{"a":"x\ty","c":"\u003c\u0026\u003e"}`},
			wantLen: 1,
		},
		{
			name:    "csv header replaces the first line",
			content: "ignored,line\nchurro,9.99\n",
			cfg:     enrich.TableConfig{Format: enrich.CSV, Column: "name", Header: []string{"name", "price"}},
			want:    map[string]string{"churro": `{"price":"9.99"}`, "ignored": ""},
			wantLen: 1,
		},
		{
			name:    "csv later rows win",
			content: "k,v\na,1\na,2\n",
			cfg:     enrich.TableConfig{Format: enrich.CSV, Column: "k"},
			want:    map[string]string{"a": `{"v":"2"}`},
			wantLen: 1,
		},
		{
			name:    "csv header only",
			content: "k,v\n",
			cfg:     enrich.TableConfig{Format: enrich.CSV, Column: "k"},
			wantLen: 0,
		},
		{
			name:    "empty csv",
			cfg:     enrich.TableConfig{Format: enrich.CSV, Column: "k"},
			wantLen: 0,
		},
		{
			name:    "json",
			content: `{"churro": 9.99, "donut": {"price": 1.99}, "x": null, "s": "a.b"}` + "\n",
			cfg:     enrich.TableConfig{Format: enrich.JSON},
			want:    map[string]string{"churro": "9.99", "donut": `{"price": 1.99}`, "x": "null", "s": `"a.b"`, "eclair": ""},
			wantLen: 4,
		},
		{
			name:    "json keys are literal, not paths",
			content: `{"a.b": 1, "a": {"b": 2}}`,
			cfg:     enrich.TableConfig{Format: enrich.JSON},
			want:    map[string]string{"a.b": "1", "a": `{"b": 2}`},
			wantLen: 2,
		},
		{
			name:    "json lines",
			content: "{\"a\": 1, \"b\": null}\n\n{\"a\": 2, \"b\": 3, \"c\": [1]}\r\n",
			cfg:     enrich.TableConfig{Format: enrich.JSONLines},
			want:    map[string]string{"a": "1", "b": "3", "c": "[1]"},
			wantLen: 3,
		},
		{
			name:    "text",
			content: "alice\nbob\r\n\ncarol",
			cfg:     enrich.TableConfig{Format: enrich.Text},
			want:    map[string]string{"alice": "true", "bob": "true", "carol": "true", "": "true", "dave": ""},
			wantLen: 4,
		},
		{
			name:    "value hook",
			content: `{"a": "x"}`,
			cfg:     enrich.TableConfig{Format: enrich.JSON, Value: func(v []byte) ([]byte, error) { return []byte(strings.ToUpper(string(v))), nil }},
			want:    map[string]string{"a": `"X"`},
			wantLen: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Path = writeFile(t, "table", tt.content)
			tab, err := enrich.NewTable(cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.wantLen, tab.Len())
			for k, want := range tt.want {
				v, ok := tab.Get(k)
				assert.Equal(t, want != "", ok, "key %q", k)
				assert.Equal(t, want != "", tab.Contains(k), "key %q", k)
				assert.Equal(t, want, string(v), "key %q", k)
			}
			n := 0
			tab.Range(func(string, []byte) bool { n++; return true })
			assert.Equal(t, tt.wantLen, n)
		})
	}
}

func TestTableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		content  string
		cfg      enrich.TableConfig
		wantErr  error // matched with errors.Is, if set
		wantLine int
	}{
		{name: "csv column not in header", content: "a,b\n1,2\n", cfg: enrich.TableConfig{Format: enrich.CSV, Column: "c"}, wantErr: enrich.ErrColumnNotFound, wantLine: 1},
		{name: "csv row without key", content: "a,b\n1,2\n,3\n", cfg: enrich.TableConfig{Format: enrich.CSV, Column: "a"}, wantErr: enrich.ErrColumnNotFound, wantLine: 3},
		{name: "csv ragged row", content: "a,b\n1,2,3\n", cfg: enrich.TableConfig{Format: enrich.CSV, Column: "a"}, wantErr: csv.ErrFieldCount},
		{name: "csv header with wrong width", content: "h\n1,2,3\n", cfg: enrich.TableConfig{Format: enrich.CSV, Column: "a", Header: []string{"a", "b"}}, wantErr: csv.ErrFieldCount},
		{name: "json not an object", content: `[1,2]`, cfg: enrich.TableConfig{Format: enrich.JSON}, wantErr: enrich.ErrNotObject},
		{name: "json invalid", content: `{"a":`, cfg: enrich.TableConfig{Format: enrich.JSON}},
		{name: "json lines line not an object", content: "{\"a\":1}\n2\n", cfg: enrich.TableConfig{Format: enrich.JSONLines}, wantErr: enrich.ErrNotObject, wantLine: 2},
		{name: "json lines invalid line", content: "{\"a\":1}\n{\n", cfg: enrich.TableConfig{Format: enrich.JSONLines}, wantLine: 2},
		{name: "value hook fails", content: `{"a":1}`, cfg: enrich.TableConfig{Format: enrich.JSON, Value: func([]byte) ([]byte, error) { return nil, errHook }}, wantErr: errHook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Path = writeFile(t, "table", tt.content)
			_, err := enrich.NewTable(cfg)
			var te *enrich.TableError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, cfg.Path, te.Path)
			assert.Equal(t, cfg.Format, te.Format)
			assert.Equal(t, tt.wantLine, te.Line)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Contains(t, err.Error(), cfg.Path)
		})
	}

	_, err := enrich.NewTable(enrich.TableConfig{Path: filepath.Join(t.TempDir(), "missing"), Format: enrich.Text})
	assert.ErrorIs(t, err, os.ErrNotExist)

	for name, cfg := range map[string]enrich.TableConfig{
		"no path":       {Format: enrich.Text},
		"no format":     {Path: "x"},
		"bad format":    {Path: "x", Format: 99},
		"csv no column": {Path: "x", Format: enrich.CSV},
		"bad delimiter": {Path: "x", Format: enrich.CSV, Column: "a", Delimiter: '"'},
	} {
		_, err := enrich.NewTable(cfg)
		var te *enrich.TableError
		assert.Error(t, err, name)
		assert.False(t, errors.As(err, &te), "%s: a config error is not a *TableError", name)
	}
}

var errHook = errors.New("hook failed")

func TestTableReload(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "users.txt", "alice\n")
	tab, err := enrich.NewTable(enrich.TableConfig{Path: p, Format: enrich.Text})
	require.NoError(t, err)
	assert.True(t, tab.Contains("alice"))

	require.NoError(t, os.WriteFile(p, []byte("bob\n"), 0o644))
	assert.True(t, tab.Contains("alice"), "no reload yet")
	require.NoError(t, tab.Reload())
	assert.False(t, tab.Contains("alice"))
	assert.True(t, tab.Contains("bob"))

	require.NoError(t, os.Remove(p))
	require.Error(t, tab.Reload())
	assert.True(t, tab.Contains("bob"), "a failed reload keeps the contents")
}

func TestTableConcurrentReload(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "t.json", `{"a":1,"b":2}`)
	tab, err := enrich.NewTable(enrich.TableConfig{Path: p, Format: enrich.JSON})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				v, ok := tab.Get("a")
				assert.True(t, ok)
				assert.Equal(t, "1", string(v))
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			assert.NoError(t, tab.Reload())
		}
	})
	wg.Wait()
}

func BenchmarkTableGet(b *testing.B) {
	p := writeFile(b, "t.csv", "ip,asn\n192.0.2.1,64500\n198.51.100.7,64501\n")
	tab, err := enrich.NewTable(enrich.TableConfig{Path: p, Format: enrich.CSV, Column: "ip"})
	require.NoError(b, err)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := tab.Get("198.51.100.7"); !ok {
				b.Fatal("miss")
			}
		}
	})
}
