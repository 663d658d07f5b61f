package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirhq/weir/transform/jsonnetconfig"
)

const buildUsage = `Usage: weir build [-R] [-o FILE] PATH ...

Evaluates each Jsonnet config (.jsonnet) at PATH, a file or a folder (with
-R, at any depth), and writes its JSON beside it: config.jsonnet becomes
config.json, as substation build does. With -o FILE, one config is written to
FILE instead ("-" for standard output). The JSON is what weir run, test and
vet read from the .jsonnet file itself.

` + jsonnetUsage + `
Exit status: 0 on success, 1 if a config failed to evaluate or be written, 2
for a bad command line.
`

func (c *cli) buildCommand(_ context.Context, args []string) int {
	fs := c.newFlags("build", buildUsage)
	var cf configFlags
	cf.register(fs)
	recursive := fs.Bool("R", false, "")
	output := fs.String("o", "", "")
	paths, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var files []string
	for _, path := range paths {
		list, err := findConfigs(path, *recursive)
		if err != nil {
			fmt.Fprintf(c.stderr, "weir: build: %v\n", err)
			return exitFailure
		}
		for _, f := range list {
			if filepath.Ext(f) == ".jsonnet" || f == path && jsonnetconfig.IsJsonnet(f) {
				files = append(files, f)
			}
		}
	}
	if *output != "" && len(files) != 1 {
		fmt.Fprintf(c.stderr, "weir: build: -o writes one config; %d found\n", len(files))
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(c.stderr, "weir: build: no .jsonnet files found")
		return exitFailure
	}
	code = exitOK
	for _, f := range files {
		b, err := jsonnetconfig.Evaluate(f, cf.opts)
		if err != nil {
			fmt.Fprintf(c.stderr, "weir: %s\n", fileError(f, err))
			code = exitFailure
			continue
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, bytes.TrimSpace(b), "", "  "); err != nil {
			buf.Reset()
			buf.Write(b)
		}
		buf.WriteByte('\n')
		dst := *output
		if dst == "" {
			dst = strings.TrimSuffix(f, filepath.Ext(f)) + ".json"
		}
		if dst == "-" {
			c.stdout.Write(buf.Bytes())
			continue
		}
		if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(c.stderr, "weir: build: %v\n", err)
			code = exitFailure
			continue
		}
		fmt.Fprintf(c.stdout, "%s -> %s\n", f, dst)
	}
	return code
}
