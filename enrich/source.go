package enrich

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/weirhq/weir"
)

// The defaults of [Source].
const (
	// DefaultMaxSize is the largest remote file a Source reads when its
	// MaxSize is 0: 1 GiB.
	DefaultMaxSize = 1 << 30
	// DefaultFetchTimeout bounds one remote fetch when a Source's Timeout
	// is 0.
	DefaultFetchTimeout = time.Minute
)

// Source says how the files of tables and MMDBs are fetched. A location
// is one of
//
//   - a local path, read with os.ReadFile: no size limit, no timeout;
//   - an http:// or https:// URL, fetched with a GET that must answer
//     2xx;
//   - a URL of another scheme that an [Opener] in Openers serves: package
//     github.com/weirhq/weir/enrich/awsenrich has one for s3://bucket/key,
//     which Substation's file-backed kv stores accept.
//
// The whole file is read into memory; a reload fetches it again. The zero
// value is ready to use for local files and http(s) URLs:
// http.DefaultClient, [DefaultMaxSize] and [DefaultFetchTimeout].
//
// A Source is a value that is not changed once in use; it is safe for
// concurrent use if its clients and openers are.
type Source struct {
	// HTTPClient fetches http(s) URLs; nil means http.DefaultClient.
	HTTPClient *http.Client

	// Openers open the locations of other schemes, by scheme ("s3").
	Openers map[string]Opener
	// AWS is what openers that call AWS are configured with: nil for the
	// SDK's default chain, an aws.Config or an awsenv.Source (see package
	// awsenv). It is typed any so that this package does not link the SDK.
	AWS any

	// MaxSize is the largest remote file read, in bytes; 0 means
	// [DefaultMaxSize]. A larger one fails with an error matching
	// [weir.ErrTooLarge]. Local files have no limit.
	MaxSize int64
	// Timeout bounds each remote fetch, including reading the body; 0
	// means [DefaultFetchTimeout].
	Timeout time.Duration
}

// Opener opens the files of one URL scheme for a [Source]. Open returns
// the file's contents as a reader, with its length if known (else -1); a
// file that does not exist is an error matching fs.ErrNotExist. src is the
// Source asking, for its AWS configuration and clients. Open is called
// concurrently; ctx bounds the whole fetch, reading included.
type Opener interface {
	Open(ctx context.Context, src *Source, location string) (body io.ReadCloser, size int64, err error)
}

// OpenerFunc adapts an ordinary function to the Opener interface.
type OpenerFunc func(ctx context.Context, src *Source, location string) (io.ReadCloser, int64, error)

// Open calls f(ctx, src, location).
func (f OpenerFunc) Open(ctx context.Context, src *Source, location string) (io.ReadCloser, int64, error) {
	return f(ctx, src, location)
}

// SourceError is the error of fetching a remote location (a local path
// fails with an *os.PathError). A file that does not exist (HTTP 404 or
// 410, or as its Opener says) matches fs.ErrNotExist, as a missing local
// file does; one larger than Source.MaxSize matches [weir.ErrTooLarge].
type SourceError struct {
	Location   string // the URL
	StatusCode int    // the HTTP status of the response at fault, or 0
	Err        error  // the cause
}

// Error implements error.
func (e *SourceError) Error() string {
	return fmt.Sprintf("enrich: fetch %s: %v", e.Location, e.Err)
}

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// scheme returns the URL scheme of a location ("http", "s3"), or "" for
// a local path.
func scheme(loc string) string {
	s, _, ok := strings.Cut(loc, "://")
	if !ok || s == "" || strings.ContainsAny(s, "/\\.") {
		return ""
	}
	return s
}

// isRemote reports whether loc is a URL rather than a local path.
func isRemote(loc string) bool { return scheme(loc) != "" }

// forLocation checks that s can fetch loc.
func (s Source) forLocation(loc string) (Source, error) {
	switch sc := scheme(loc); sc {
	case "", "http", "https":
	default:
		if s.Openers[sc] == nil {
			return s, &SourceError{Location: loc, Err: s.noOpener(sc)}
		}
	}
	return s, nil
}

// noOpener is the error of a location whose scheme has no opener.
func (s Source) noOpener(sc string) error {
	if sc == "s3" {
		return errors.New("s3:// locations need the S3 opener of package github.com/weirhq/weir/enrich/awsenrich (the weir command and package transform/all register it)")
	}
	return fmt.Errorf("no opener for %s:// locations", sc)
}

// Fetch returns the contents of the file at location: a local path, an
// http(s):// URL or a URL that one of s.Openers serves (see [Source]).
// Remote fetches are bounded by ctx and Source.Timeout; their errors are
// *[SourceError]s.
func (s Source) Fetch(ctx context.Context, location string) ([]byte, error) {
	sc := scheme(location)
	if sc == "" {
		return os.ReadFile(location)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		b    []byte
		code int
		err  error
	)
	switch sc {
	case "http", "https":
		b, code, err = s.fetchHTTP(ctx, location)
	default:
		b, err = s.fetchOpener(ctx, sc, location)
	}
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) && se.Location == location {
			return nil, err
		}
		return nil, &SourceError{Location: location, StatusCode: code, Err: err}
	}
	return b, nil
}

// fetchOpener reads location with the opener of its scheme.
func (s Source) fetchOpener(ctx context.Context, sc, location string) ([]byte, error) {
	o := s.Openers[sc]
	if o == nil {
		return nil, s.noOpener(sc)
	}
	body, size, err := o.Open(ctx, &s, location)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return s.readAll(body, size)
}

// fetchHTTP GETs url; on error it also returns the response's status, if
// any.
func (s Source) fetchHTTP(ctx context.Context, url string) ([]byte, int, error) {
	c := s.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10) // let a short body's connection be reused
		_ = resp.Body.Close()
	}()
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound || code == http.StatusGone:
		return nil, code, fmt.Errorf("%w (HTTP %s)", fs.ErrNotExist, resp.Status)
	case code < 200 || code > 299:
		return nil, code, fmt.Errorf("HTTP %s", resp.Status)
	}
	b, err := s.readAll(resp.Body, resp.ContentLength)
	return b, 0, err
}

// readAll reads r, whose length is size if size >= 0, up to MaxSize. Its
// buffer never grows past MaxSize+1 bytes: a file of known length costs
// one allocation of its size, one of unknown length at most about twice
// MaxSize in allocations before the limit trips (TestSourceReadAllMemory).
func (s Source) readAll(r io.Reader, size int64) ([]byte, error) {
	limit := s.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if size > limit {
		return nil, tooLarge(fmt.Sprintf("%d bytes", size), limit)
	}
	ceiling := limit + 1
	initial := int64(64 << 10)
	if size >= 0 {
		initial = size + 1 // one byte more, to see the end without growing
	}
	buf := make([]byte, 0, min(initial, ceiling))
	for {
		if len(buf) == cap(buf) {
			// Double, but go straight to the ceiling rather than to just
			// under it: the allocations then sum to at most twice it.
			next := max(2*int64(cap(buf)), 4096)
			if 2*next > ceiling {
				next = ceiling
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, tooLarge(fmt.Sprintf("more than %d bytes", limit), limit)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// tooLarge is the error of a remote file larger than limit.
func tooLarge(what string, limit int64) error {
	return fmt.Errorf("%w: %s; the limit is %d bytes (Source.MaxSize, the \"max_size\" setting of a file-backed kv_store)",
		weir.ErrTooLarge, what, limit)
}
