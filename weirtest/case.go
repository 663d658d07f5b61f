// Package weirtest runs golden-file tests of pipelines: a case holds a
// config, the events that go in (input.ndjson) and the events that must
// come out (expected.ndjson), and a test checks them with one call, as a
// Go programmer tests anything else:
//
//	func TestNormalization(t *testing.T) {
//		weirtest.RunGolden(t, "testdata/golden")
//	}
//
// "go test -update" rewrites the expected files from what the pipeline
// returns, to be reviewed with git diff and committed. The weir command's
// "weir test" runs the same cases.
//
// # Cases
//
// A case is a folder, or a txtar archive (golang.org/x/tools/txtar) whose
// files are those of the folder:
//
//   - input.ndjson: the events, one a line (blank lines are skipped); each
//     line is given to the pipeline as it is, JSON or not;
//   - expected.ndjson: the events the pipeline must return, in order, one
//     a line; events are compared as JSON values (key order and white space
//     do not matter, numbers keep their digits), other lines as bytes;
//   - config.json or config.jsonnet: the pipeline, unless case.json names
//     one elsewhere (the usual way: the case tests the real config);
//   - case.json (optional): the case's settings, see [Settings];
//   - any other file: files the config reads (kv store files, lookup
//     tables), with paths relative to the case.
//
// Each input line runs through the pipeline on its own, as weir run does
// with one worker, then one control message flushes what transforms hold.
//
// # Determinism
//
// A case pins what a detection test must not depend on (see [Settings]):
// the clock (time_now, freshness, TTLs), DNS answers (served by a DNS
// server on 127.0.0.1 from the case's table, package
// github.com/weirhq/weir/enrich/dns/dnstest), HTTP responses (an
// http.Client that answers from the case's table and fails on anything
// else) and kv store contents (files of the case). send_stdout writes are
// discarded.
package weirtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/txtar"

	"github.com/weirhq/weir/transform/jsonnetconfig"
)

// Names of a case's files.
const (
	InputFile    = "input.ndjson"
	ExpectedFile = "expected.ndjson"
	SettingsFile = "case.json"
)

// Settings are a case's case.json. The zero value runs the case's own
// config, ordered, with the real clock, and no DNS or HTTP access.
type Settings struct {
	// Config is the path of the pipeline config, JSON or Jsonnet, relative
	// to the case (to its folder, for a txtar file). Empty means the case's
	// config.json, or config.jsonnet.
	Config string `json:"config,omitempty"`
	// Now, an RFC 3339 time, is the clock of every transform that reads
	// one (time_now, utility_metric_freshness, kv store TTLs).
	Now string `json:"now,omitempty"`
	// Unordered compares the outputs as a multiset: for pipelines whose
	// output order is not part of the contract.
	Unordered bool `json:"unordered,omitempty"`
	// DNS are the answers of the DNS transforms, by name: an IP address
	// maps to its PTR names (enrich_dns_ip_lookup), any other name to its
	// A/AAAA addresses (enrich_dns_domain_lookup) or, for values that are
	// not addresses, TXT strings (enrich_dns_txt_lookup). A name not in
	// the table does not exist.
	DNS map[string][]string `json:"dns,omitempty"`
	// HTTP are the responses of HTTP requests (enrich_http_get,
	// enrich_http_post, remote kv store files), by "METHOD URL" or by URL
	// alone for any method. A request not in the table fails.
	HTTP map[string]HTTPResponse `json:"http,omitempty"`
}

// HTTPResponse is a pinned HTTP response.
type HTTPResponse struct {
	// Status is the status code; 0 means 200.
	Status int `json:"status,omitempty"`
	// Headers are the response headers.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the body: a JSON string is sent as its text, any other JSON
	// value as it is written.
	Body json.RawMessage `json:"body,omitempty"`
}

// Case is one golden case, as read by [Load].
type Case struct {
	// Name is the case's file or folder name, without ".txtar".
	Name string
	// Path is the folder or txtar file the case was read from.
	Path string
	// Dir is the folder the case's relative paths are relative to: the
	// case's folder, or a folder holding a txtar case's files.
	Dir string
	// ConfigPath is the config's path, absolute.
	ConfigPath string
	// Input and Expected are the contents of input.ndjson and
	// expected.ndjson (Expected is nil when the file is missing).
	Input, Expected []byte
	// Settings are case.json's.
	Settings Settings

	archive *txtar.Archive // a txtar case, for Update
	abs     string         // Path, absolute
}

// IsCase reports whether path is a case: a ".txtar" file, or a folder
// holding input.ndjson.
func IsCase(path string) bool {
	if strings.HasSuffix(path, ".txtar") {
		st, err := os.Stat(path)
		return err == nil && st.Mode().IsRegular()
	}
	st, err := os.Stat(filepath.Join(path, InputFile))
	return err == nil && st.Mode().IsRegular()
}

// Load reads the case at path, a folder or a txtar file. A txtar case's
// files are written to tmp (a folder, made if needed), which becomes the
// case's Dir; a folder case is its own Dir and tmp is not used.
func Load(path, tmp string) (*Case, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c := &Case{Path: path, Dir: abs, abs: abs}
	files := map[string][]byte{}
	if strings.HasSuffix(path, ".txtar") {
		c.Name = strings.TrimSuffix(filepath.Base(path), ".txtar")
		c.archive, err = txtar.ParseFile(abs)
		if err != nil {
			return nil, err
		}
		c.Dir, err = filepath.Abs(tmp)
		if err != nil {
			return nil, err
		}
		for _, f := range c.archive.Files {
			if !filepath.IsLocal(f.Name) {
				return nil, fmt.Errorf("%s: file %q: not a relative path inside the case", path, f.Name)
			}
			files[f.Name] = f.Data
			dst := filepath.Join(c.Dir, f.Name)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(dst, f.Data, 0o600); err != nil {
				return nil, err
			}
		}
	} else {
		c.Name = filepath.Base(abs)
		for _, name := range []string{InputFile, ExpectedFile, SettingsFile} {
			b, err := os.ReadFile(filepath.Join(abs, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			if err == nil {
				files[name] = b
			}
		}
	}
	in, ok := files[InputFile]
	if !ok {
		return nil, fmt.Errorf("%s: no %s", path, InputFile)
	}
	c.Input, c.Expected = in, files[ExpectedFile]
	if b, ok := files[SettingsFile]; ok {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c.Settings); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, SettingsFile, err)
		}
	}
	// The config: case.json's, relative to the case (to the txtar file's
	// folder), or the case's own.
	base := abs
	if c.archive != nil {
		base = filepath.Dir(abs)
	}
	switch {
	case c.Settings.Config != "":
		c.ConfigPath = c.Settings.Config
		if !filepath.IsAbs(c.ConfigPath) {
			c.ConfigPath = filepath.Join(base, c.ConfigPath)
		}
	default:
		for _, name := range []string{"config.json", "config.jsonnet"} {
			if _, err := os.Stat(filepath.Join(c.Dir, name)); err == nil {
				c.ConfigPath = filepath.Join(c.Dir, name)
				break
			}
		}
		if c.ConfigPath == "" {
			return nil, fmt.Errorf("%s: no config: add config.json or config.jsonnet, or name one in %s ({\"config\": \"../pipeline.jsonnet\"})", path, SettingsFile)
		}
	}
	return c, nil
}

// ReadConfig returns the JSON of the case's config, evaluating Jsonnet
// with opts.
func (c *Case) ReadConfig(opts jsonnetconfig.Options) ([]byte, error) {
	return jsonnetconfig.ReadFile(c.ConfigPath, opts)
}

// Update rewrites the case's expected.ndjson with what res holds: the
// outputs of a run, one a line.
func (c *Case) Update(res *Result) error {
	var b bytes.Buffer
	for _, o := range res.Outputs {
		b.Write(o.Data)
		b.WriteByte('\n')
	}
	c.Expected = b.Bytes()
	if c.archive == nil {
		return os.WriteFile(filepath.Join(c.abs, ExpectedFile), c.Expected, 0o644)
	}
	found := false
	for i := range c.archive.Files {
		if c.archive.Files[i].Name == ExpectedFile {
			c.archive.Files[i].Data = c.Expected
			found = true
		}
	}
	if !found {
		c.archive.Files = append(c.archive.Files, txtar.File{Name: ExpectedFile, Data: c.Expected})
	}
	st, err := os.Stat(c.abs)
	if err != nil {
		return err
	}
	return os.WriteFile(c.abs, txtar.Format(c.archive), st.Mode().Perm())
}
