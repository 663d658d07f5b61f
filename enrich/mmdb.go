package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/oschwald/maxminddb-golang/v2"
)

// MMDBConfig configures [NewMMDB].
type MMDBConfig struct {
	// Path is the MaxMind DB (.mmdb) file to open: a GeoLite2/GeoIP2
	// Country, City, ASN or ISP database, or any other file in the
	// MaxMind DB format. A local path, or an http://, https:// or
	// s3://bucket/key URL, fetched as Source says. Required.
	Path string
	// Source fetches Path when it is a URL; its zero value is ready to
	// use (see [Source]).
	Source Source
	// MMap memory-maps the file instead of reading it into memory. A
	// mapped file must be replaced by renaming a new file over it, never
	// rewritten in place: rewriting a mapped file can crash the process.
	// The default, reading the file, is safe however it is replaced.
	// Only a local file can be mapped.
	MMap bool
}

// Errors of [MMDB], matched with errors.Is.
var (
	// ErrMMDBClosed: the MMDB was closed. Open it again with NewMMDB.
	ErrMMDBClosed = errors.New("enrich: mmdb closed")
)

// MMDBError is the error of opening, reloading or reading an mmdb file.
// Its Err is the cause: an *os.PathError for a file that cannot be read,
// a *[SourceError] for a URL that cannot be fetched,
// a maxminddb.InvalidDatabaseError for one that is not a valid MaxMind DB,
// or a decoding error for a corrupt record.
type MMDBError struct {
	Path string // the file: a path or URL
	Err  error  // the cause
}

// Error implements error.
func (e *MMDBError) Error() string {
	return fmt.Sprintf("enrich: mmdb %s: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *MMDBError) Unwrap() error { return e.Err }

// MMDB looks up IP addresses in a MaxMind DB file, opened once by
// [NewMMDB] and again by [MMDB.Reload].
//
// Lookups take no lock: each one holds a reference to the reader it
// started with (an atomic counter), so a reload swaps the new reader in
// at once and the old one is closed when its last lookup ends. An MMDB is
// safe for concurrent use.
type MMDB struct {
	cfg      MMDBConfig
	cur      atomic.Pointer[mmdbHandle]
	reloadMu sync.Mutex // serializes Reload and Close
}

// mmdbHandle is an open reader and its reference count: one reference for
// being the MMDB's current reader, one per lookup in progress. The reader
// is closed when the count falls to zero, and then never used again.
type mmdbHandle struct {
	r    *maxminddb.Reader
	refs atomic.Int64
}

// release drops a reference, closing the reader with the last one.
func (h *mmdbHandle) release() {
	if h.refs.Add(-1) == 0 {
		_ = h.r.Close() // a reader that was open closes without error
	}
}

// NewMMDB opens (or fetches) the file cfg names. Errors are
// *[MMDBError]s, except for a config without a path or that maps a URL.
func NewMMDB(cfg MMDBConfig) (*MMDB, error) {
	switch {
	case cfg.Path == "":
		return nil, errors.New("enrich: NewMMDB: no path")
	case cfg.MMap && isRemote(cfg.Path):
		return nil, fmt.Errorf("enrich: NewMMDB: cannot memory-map %s: only a local file can be mapped", cfg.Path)
	}
	src, err := cfg.Source.forLocation(cfg.Path)
	if err != nil {
		return nil, &MMDBError{Path: cfg.Path, Err: err}
	}
	cfg.Source = src
	m := &MMDB{cfg: cfg}
	if err := m.Reload(); err != nil {
		return nil, err
	}
	return m, nil
}

// Path returns the file the MMDB reads.
func (m *MMDB) Path() string { return m.cfg.Path }

// open opens the file as a new reader.
func (m *MMDB) open() (*maxminddb.Reader, error) {
	if m.cfg.MMap {
		return maxminddb.Open(m.cfg.Path)
	}
	b, err := m.cfg.Source.Fetch(context.Background(), m.cfg.Path)
	if err != nil {
		return nil, err
	}
	return maxminddb.OpenBytes(b)
}

// Reload opens (or fetches) the file again and swaps it in; lookups in progress finish
// with the file they started with, which is closed after them. If it
// fails, the MMDB keeps the file it had. Reloading a closed MMDB opens it
// again.
func (m *MMDB) Reload() error {
	r, err := m.open()
	if err != nil {
		return &MMDBError{Path: m.cfg.Path, Err: err}
	}
	h := &mmdbHandle{r: r}
	h.refs.Store(1)
	m.reloadMu.Lock()
	old := m.cur.Swap(h)
	m.reloadMu.Unlock()
	if old != nil {
		old.release()
	}
	return nil
}

// Close closes the file once the lookups in progress end; later lookups
// fail with [ErrMMDBClosed]. Closing twice is not an error.
func (m *MMDB) Close() error {
	m.reloadMu.Lock()
	old := m.cur.Swap(nil)
	m.reloadMu.Unlock()
	if old != nil {
		old.release()
	}
	return nil
}

// acquire returns the current reader with a reference taken, or nil if the
// MMDB is closed.
func (m *MMDB) acquire() *mmdbHandle {
	for {
		h := m.cur.Load()
		if h == nil {
			return nil
		}
		n := h.refs.Load()
		if n == 0 {
			continue // retired meanwhile: the pointer has moved on already
		}
		if h.refs.CompareAndSwap(n, n+1) {
			return h
		}
	}
}

// Lookup returns the record of the network that holds addr, as JSON text
// (the whole record: a JSON object for MaxMind's databases, its keys
// sorted, byte strings base64-encoded), and true; or nil, false and no
// error if the file has no network that holds addr. An IPv4-mapped IPv6
// address is looked up as IPv4. Errors are *[MMDBError]s (an IPv6
// address in an IPv4-only file, a corrupt record) or [ErrMMDBClosed].
//
// Each lookup decodes the record and encodes it as JSON, allocating; for
// a few fields, [MMDB.LookupInfo] is cheaper.
func (m *MMDB) Lookup(addr netip.Addr) ([]byte, bool, error) {
	h := m.acquire()
	if h == nil {
		return nil, false, ErrMMDBClosed
	}
	defer h.release()
	res := h.r.Lookup(addr.Unmap())
	if err := res.Err(); err != nil {
		return nil, false, &MMDBError{Path: m.cfg.Path, Err: err}
	}
	if !res.Found() {
		return nil, false, nil
	}
	var v any
	if err := res.Decode(&v); err != nil {
		return nil, false, &MMDBError{Path: m.cfg.Path, Err: err}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false, &MMDBError{Path: m.cfg.Path, Err: err}
	}
	return b, true, nil
}

// IPInfo holds the fields of a GeoIP record that enrichment asks for
// most. A field the file's records lack is zero: a Country database fills
// the country codes, an ASN database the AS fields, an ISP database the
// AS fields, ISP and Organization.
type IPInfo struct {
	// Network is the network of the record that holds the address.
	Network netip.Prefix
	// CountryISOCode is country.iso_code: the two-letter ISO 3166-1 code
	// of the country where the address is located ("US").
	CountryISOCode string
	// RegisteredCountryISOCode is registered_country.iso_code: the
	// country in which the ISP registered the network.
	RegisteredCountryISOCode string
	// ASN is autonomous_system_number.
	ASN uint32
	// ASOrganization is autonomous_system_organization.
	ASOrganization string
	// ISP is isp (GeoIP2 ISP databases).
	ISP string
	// Organization is organization (GeoIP2 ISP databases).
	Organization string
}

// ipInfoRecord is the shape IPInfo is decoded from.
type ipInfoRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	ASN            uint32 `maxminddb:"autonomous_system_number"`
	ASOrganization string `maxminddb:"autonomous_system_organization"`
	ISP            string `maxminddb:"isp"`
	Organization   string `maxminddb:"organization"`
}

// LookupInfo is [MMDB.Lookup] decoding only the fields of [IPInfo].
func (m *MMDB) LookupInfo(addr netip.Addr) (IPInfo, bool, error) {
	h := m.acquire()
	if h == nil {
		return IPInfo{}, false, ErrMMDBClosed
	}
	defer h.release()
	res := h.r.Lookup(addr.Unmap())
	if err := res.Err(); err != nil {
		return IPInfo{}, false, &MMDBError{Path: m.cfg.Path, Err: err}
	}
	if !res.Found() {
		return IPInfo{}, false, nil
	}
	var rec ipInfoRecord
	if err := res.Decode(&rec); err != nil {
		return IPInfo{}, false, &MMDBError{Path: m.cfg.Path, Err: err}
	}
	return IPInfo{
		Network:                  res.Prefix(),
		CountryISOCode:           rec.Country.ISOCode,
		RegisteredCountryISOCode: rec.RegisteredCountry.ISOCode,
		ASN:                      rec.ASN,
		ASOrganization:           rec.ASOrganization,
		ISP:                      rec.ISP,
		Organization:             rec.Organization,
	}, true, nil
}
