package weirtest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "weirtest: rewrite the expected.ndjson of golden cases from what the pipelines return")

// RunGolden runs the golden case at path, or every case in the folder at
// path (its txtar files and its subfolders that are cases, at any depth),
// each as a subtest named after the case. A case fails with its
// differences from expected.ndjson, field by field, and the input line
// each event came from.
//
// With the -update flag ("go test -update"), each case's expected.ndjson
// is rewritten from what the pipeline returned, and the case passes unless
// an input failed.
//
// Cases run one after another, each in its folder (t.Chdir), so that the
// relative paths of their configs resolve; the test must not be parallel.
func RunGolden(t *testing.T, path string, opts ...Options) {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	cases, err := FindCases(path)
	if err != nil {
		t.Fatalf("weirtest: %v", err)
	}
	if len(cases) == 0 {
		t.Fatalf("weirtest: no golden cases in %s (a case is a .txtar file or a folder with %s)", path, InputFile)
	}
	for _, p := range cases {
		name := filepath.ToSlash(p)
		if rel, err := filepath.Rel(path, p); err == nil && rel != "." {
			name = filepath.ToSlash(rel)
		}
		t.Run(name, func(t *testing.T) {
			c, err := Load(p, t.TempDir())
			if err != nil {
				t.Fatalf("weirtest: %v", err)
			}
			t.Chdir(c.Dir)
			res, err := c.Run(context.Background(), o)
			if err != nil {
				t.Fatalf("weirtest: %v", err)
			}
			if *update {
				if err := c.Update(res); err != nil {
					t.Fatalf("weirtest: %v", err)
				}
				if len(res.Failures) > 0 {
					res.Diffs = nil // stale: expected.ndjson was rewritten
					t.Errorf("%s\n%s", c.Path, res.Report())
				}
				return
			}
			if c.Expected == nil {
				t.Fatalf("%s: no %s: run the test with -update to write it from the pipeline's output", c.Path, ExpectedFile)
			}
			if !res.Passed() {
				t.Errorf("%s (expected -> got)\n%s", c.Path, res.Report())
			}
		})
	}
}

// FindCases returns the golden cases at path: path itself if it is a
// case, otherwise the cases in the folder at path, at any depth, sorted.
func FindCases(path string) ([]string, error) {
	if IsCase(path) {
		return []string{path}, nil
	}
	var cases []string
	err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if IsCase(p) {
			cases = append(cases, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	sort.Strings(cases)
	return cases, err
}
