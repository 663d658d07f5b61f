package condition

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/weirhq/weir"
)

func formatBuiltins() map[string]Factory {
	return map[string]Factory{
		"format_json": decodedNoCtx(NewFormatJSON),
		"format_mime": decodedNoCtx(NewFormatMIME),
	}
}

// FormatJSONConfig is the configuration of format_json.
type FormatJSONConfig struct {
	// Object.SourceKey, when set, names a field whose value (a string's
	// contents, any other value's JSON text) is checked instead of the
	// message data. Substation has no such setting.
	Object ObjectSettings `json:"object"`
}

// FormatJSON is the format_json inspector: it is true when the message data
// (or the field at object.source_key) is valid JSON. A missing field and a
// control message are false.
type FormatJSON struct {
	key weir.Path
}

// NewFormatJSON returns a format_json inspector.
func NewFormatJSON(cfg FormatJSONConfig) (*FormatJSON, error) {
	if err := rejectTargetKey("format_json", cfg.Object); err != nil {
		return nil, err
	}
	return &FormatJSON{key: weir.ParsePath(cfg.Object.SourceKey)}, nil
}

// Inspect implements Inspector.
func (f *FormatJSON) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	if f.key.String() == "" {
		return json.Valid(msg.Data()), nil
	}
	v := f.key.Get(msg)
	if !v.Exists() {
		return false, nil
	}
	if !v.IsString() {
		return true, nil // any other JSON value is valid JSON text
	}
	return json.Valid([]byte(v.String())), nil
}

// FormatMIMEConfig is the configuration of format_mime.
type FormatMIMEConfig struct {
	// Type is the media type the data must have, exactly as detected, e.g.
	// "application/zip", "application/x-gzip" or
	// "text/plain; charset=utf-8". It is required.
	Type string `json:"type"`
	// Object is accepted for compatibility and ignored: like Substation,
	// format_mime always inspects the whole message data.
	Object ObjectSettings `json:"object"`
}

// FormatMIME is the format_mime inspector: it is true when the media type
// detected from the start of the message data equals the configured type.
// Detection is net/http's DetectContentType (the WHATWG MIME sniffing
// algorithm) plus the magic numbers it lacks: bzip2
// ("application/x-bzip2"), gzip ("application/x-gzip"), zstd
// ("application/x-zstd") and framed snappy ("application/x-snappy-framed").
// Control messages are false.
type FormatMIME struct {
	typ string
}

// NewFormatMIME returns a format_mime inspector.
func NewFormatMIME(cfg FormatMIMEConfig) (*FormatMIME, error) {
	if cfg.Type == "" {
		return nil, &weir.ConfigError{Type: "format_mime", Field: "type", Err: weir.ErrMissingSetting}
	}
	return &FormatMIME{typ: cfg.Type}, nil
}

// Inspect implements Inspector.
func (f *FormatMIME) Inspect(_ context.Context, msg *weir.Message) (bool, error) {
	if msg.IsControl() {
		return false, nil
	}
	return detectMedia(msg.Data()) == f.typ, nil
}

// Magic numbers that http.DetectContentType does not know, or (gzip) that
// it rarely mistakes for another type.
const (
	magicBzip2  = "BZh"
	magicGzip   = "\x1f\x8b\x08"
	magicZstd   = "\x28\xb5\x2f\xfd"
	magicSnappy = "\xff\x06\x00\x00sNaPpY"
)

// detectMedia returns the media type of b.
func detectMedia(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte(magicBzip2)):
		return "application/x-bzip2"
	case bytes.HasPrefix(b, []byte(magicGzip)):
		return "application/x-gzip"
	case bytes.HasPrefix(b, []byte(magicZstd)):
		return "application/x-zstd"
	case bytes.HasPrefix(b, []byte(magicSnappy)):
		return "application/x-snappy-framed"
	}
	return http.DetectContentType(b)
}
