package condition_test

import "testing"

func TestFormat(t *testing.T) {
	t.Parallel()
	runInspectCases(t, []inspectCase{
		{name: "json object", cfg: `{"type":"format_json"}`, data: `{"hello":"world"}`, want: true},
		{name: "json array", cfg: `{"type":"format_json"}`, data: `["a","b","c"]`, want: true},
		{name: "json unquoted key", cfg: `{"type":"format_json"}`, data: `{hello:"world"}`},
		{name: "json bare word", cfg: `{"type":"format_json"}`, data: `a`},
		{name: "json empty", cfg: `{"type":"format_json"}`, data: ``},
		{name: "json field object", cfg: `{"type":"format_json","settings":{"object":{"source_key":"a"}}}`, data: `{"a":{"b":1}}`, want: true},
		{name: "json field string holding json", cfg: `{"type":"format_json","settings":{"object":{"source_key":"a"}}}`, data: `{"a":"{\"b\":1}"}`, want: true},
		{name: "json field plain string", cfg: `{"type":"format_json","settings":{"object":{"source_key":"a"}}}`, data: `{"a":"b"}`},
		{name: "json field missing", cfg: `{"type":"format_json","settings":{"object":{"source_key":"z"}}}`, data: `{"a":"b"}`},

		// format_mime looks at the whole data even when a source key is set.
		{name: "mime gzip ignores source key", cfg: `{"type":"format_mime","settings":{"type":"application/x-gzip","object":{"source_key":"ip_address"}}}`, data: "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", want: true},
		{name: "mime not gzip", cfg: `{"type":"format_mime","settings":{"type":"application/x-gzip"}}`, data: "\xff\x8b\x08\x00\x00\x00\x00\x00\x00\x1f"},
		{name: "mime zip", cfg: `{"type":"format_mime","settings":{"type":"application/zip"}}`, data: "PK\x03\x04", want: true},
		{name: "mime gzip is not zip", cfg: `{"type":"format_mime","settings":{"type":"application/zip"}}`, data: "\x1f\x8b\x08\x00"},
		{name: "mime zip reversed", cfg: `{"type":"format_mime","settings":{"type":"application/zip"}}`, data: "\x04K\x03P"},
		{name: "mime bzip2", cfg: `{"type":"format_mime","settings":{"type":"application/x-bzip2"}}`, data: "BZh91AY", want: true},
		{name: "mime zstd", cfg: `{"type":"format_mime","settings":{"type":"application/x-zstd"}}`, data: "\x28\xb5\x2f\xfd\x00", want: true},
		{name: "mime snappy", cfg: `{"type":"format_mime","settings":{"type":"application/x-snappy-framed"}}`, data: "\xff\x06\x00\x00sNaPpY", want: true},
		{name: "mime text", cfg: `{"type":"format_mime","settings":{"type":"text/plain; charset=utf-8"}}`, data: "hello", want: true},
	})
}
