package kvstore

import (
	"fmt"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
)

// FetchSettings are the settings every file-backed kv store (csv_file,
// json_file, text_file, mmdb) takes, besides Substation's, to bound the
// fetch of a remote file (http, https, s3). Local files are read as they
// are.
//
//	{"type": "mmdb", "settings": {"file": "https://…/GeoLite2-City.mmdb",
//	    "max_size": 268435456, "timeout": "5m"}}
type FetchSettings struct {
	// MaxSize is the largest remote file read, in bytes; 0 means
	// enrich.DefaultMaxSize (1 GiB). A larger file fails with an error
	// matching weir.ErrTooLarge. Reading costs at most about twice MaxSize
	// in memory, and the file's size once it is known.
	MaxSize int64 `json:"max_size,omitempty"`
	// Timeout is a Go duration bounding each fetch, reading included;
	// empty means enrich.DefaultFetchTimeout (1 minute).
	Timeout string `json:"timeout,omitempty"`
}

// apply returns src with the settings in force.
func (f FetchSettings) apply(src enrich.Source) (enrich.Source, error) {
	if f.MaxSize < 0 {
		return src, &weir.ConfigError{Field: "settings.max_size", Err: fmt.Errorf("%d is negative", f.MaxSize)}
	}
	if f.MaxSize > 0 {
		src.MaxSize = f.MaxSize
	}
	if f.Timeout != "" {
		d, err := time.ParseDuration(f.Timeout)
		if err != nil {
			return src, &weir.ConfigError{Field: "settings.timeout", Err: err}
		}
		if d <= 0 {
			return src, &weir.ConfigError{Field: "settings.timeout", Err: fmt.Errorf("%s is not positive", f.Timeout)}
		}
		src.Timeout = d
	}
	return src, nil
}
