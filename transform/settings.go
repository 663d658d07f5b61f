package transform

import (
	"fmt"
	"time"

	"github.com/weirhq/weir"
)

// ObjectSettings is the "object" setting most transforms take: where a
// transform reads its input and writes its output. Paths are GJSON/SJSON
// paths; "meta " addresses metadata. When both keys are empty the
// transform works on the whole message data.
type ObjectSettings struct {
	// SourceKey is the path the transform reads.
	SourceKey string `json:"source_key,omitempty"`
	// TargetKey is the path the transform writes.
	TargetKey string `json:"target_key,omitempty"`
	// BatchKey groups messages into batches (aggregations only).
	BatchKey string `json:"batch_key,omitempty"`
}

// Defaults of BatchSettings, as in Substation.
const (
	defaultBatchCount    = 1000
	defaultBatchSize     = 1 << 20 // bytes
	defaultBatchDuration = time.Minute
)

// BatchSettings is the "batch" setting of transforms that group messages:
// the limits of one batch. Zero values mean the defaults; as in Substation,
// so do a Count or Size of 1 or less.
type BatchSettings struct {
	// Count is the most messages in a batch (default 1000).
	Count int `json:"count,omitempty"`
	// Size is the most bytes of message data in a batch (default 1 MiB).
	Size int `json:"size,omitempty"`
	// Duration is a Go duration ("30s", "5m"): how long a batch waits for its
	// next message (default "1m"). See [UtilityControl] for how it is
	// measured.
	Duration string `json:"duration,omitempty"`
}

// limits returns the effective limits, or a *weir.ConfigError.
func (b BatchSettings) limits() (count, size int, dur time.Duration, err error) {
	count, size, dur = b.Count, b.Size, defaultBatchDuration
	if count <= 1 {
		count = defaultBatchCount
	}
	if size <= 1 {
		size = defaultBatchSize
	}
	if b.Duration != "" {
		dur, err = time.ParseDuration(b.Duration)
		if err != nil {
			return 0, 0, 0, &weir.ConfigError{Field: "batch.duration", Err: err}
		}
		if dur <= 0 {
			return 0, 0, 0, &weir.ConfigError{Field: "batch.duration", Err: fmt.Errorf("%s is not positive", b.Duration)}
		}
	}
	return count, size, dur, nil
}
