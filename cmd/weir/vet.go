package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/jsonnetconfig"
)

const vetUsage = `Usage: weir vet [-R] [-json] PATH ...

Checks configs without running them: Jsonnet and JSON syntax, the top-level
keys, every transform and condition (types, settings, required settings,
values), the files kv stores read, and the "tests" section. Every problem is
reported, one a line, with the file and, for JSON files, the line and column:

  pipeline.json:14:21: transforms[3] (object_copy, id "copy-user"): setting "object.target_kee": unknown setting; did you mean "target_key"?

PATH is a config file (.json, .jsonnet, .libsonnet) or a folder of them (.json,
.jsonnet; .libsonnet files in folders are libraries); with -R, folders are
searched at any depth. In folders, files without "transforms" are not configs
and are skipped.

Flags:
  -R      search folders at any depth
  -json   write each problem as a JSON object: file, line, column, location,
          type, id, setting and message

` + jsonnetUsage + `
Exit status: 0 when every config is sound, 1 if one has a problem, 2 for a bad
command line.
`

// problem is one fault weir vet found.
type problem struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Location string `json:"location,omitempty"` // JSON path of the config at fault
	Type     string `json:"type,omitempty"`
	ID       string `json:"id,omitempty"`
	Setting  string `json:"setting,omitempty"`
	Message  string `json:"message"`
}

func (p problem) String() string {
	pos := p.File
	if p.Line > 0 {
		pos += fmt.Sprintf(":%d:%d", p.Line, p.Column)
	}
	return pos + ": " + p.Message
}

func (c *cli) vetCommand(ctx context.Context, args []string) int {
	fs := c.newFlags("vet", vetUsage)
	var cf configFlags
	cf.register(fs)
	recursive := fs.Bool("R", false, "")
	asJSON := fs.Bool("json", false, "")
	paths, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		fmt.Fprint(c.stderr, "weir: vet: name the configs or folders to check (see weir help vet)\n")
		return exitUsage
	}
	files, problems := 0, 0
	for _, path := range paths {
		list, err := findConfigs(path, *recursive)
		if err != nil {
			fmt.Fprintf(c.stderr, "weir: vet: %v\n", err)
			problems++
			continue
		}
		for _, f := range list {
			ps, isConfig := c.vetFile(ctx, &cf, f, f == path)
			if !isConfig {
				continue
			}
			files++
			problems += len(ps)
			for _, p := range ps {
				if *asJSON {
					b, _ := json.Marshal(p)
					fmt.Fprintf(c.stdout, "%s\n", b)
				} else {
					fmt.Fprintln(c.stdout, p)
				}
			}
		}
	}
	if problems > 0 {
		fmt.Fprintf(c.stderr, "weir vet: %d %s in %d %s\n", problems, plural(problems, "problem", "problems"), files, plural(files, "file", "files"))
		return exitFailure
	}
	fmt.Fprintf(c.stderr, "weir vet: %d %s, no problems\n", files, plural(files, "config", "configs"))
	return exitOK
}

// findConfigs returns the config files at path.
func findConfigs(path string, recursive bool) ([]string, error) {
	files, err := findTestFiles(path, recursive)
	if err != nil {
		return nil, err
	}
	out := files[:0]
	for _, f := range files {
		switch filepath.Ext(f) {
		case ".json", ".jsonnet", ".libsonnet":
			out = append(out, f)
		}
	}
	return out, nil
}

// vetFile checks one config. isConfig is false for a file found in a folder
// that is not a config (no "transforms").
func (c *cli) vetFile(ctx context.Context, cf *configFlags, path string, named bool) (ps []problem, isConfig bool) {
	b, err := cf.read(path)
	if err != nil {
		return []problem{{File: path, Message: strings.TrimPrefix(err.Error(), "weir: ")}}, true
	}
	if !named {
		var probe map[string]json.RawMessage
		if json.Unmarshal(b, &probe) == nil && probe["transforms"] == nil {
			return nil, false
		}
	}
	positions := !jsonnetconfig.IsJsonnet(path) // JSON: positions in the file
	at := func(err error) problem {
		p := problem{File: path, Message: strings.TrimPrefix(err.Error(), "weir: ")}
		var ce *weir.ConfigError
		if !errors.As(err, &ce) {
			return p
		}
		loc, inner := fullLocation(ce)
		p.Location, p.Type, p.ID, p.Setting = loc, inner.Type, inner.ID, inner.Field
		if positions {
			if off, ok := locate(b, append(splitPath(loc), settingPath(inner.Field)...)); ok {
				p.Line, p.Column = lineCol(b, off)
			} else if line, col, ok := syntaxPosition(p.Message); ok {
				p.Line, p.Column = line, col
				p.Message = syntaxPos.ReplaceAllString(p.Message, "")
			}
		}
		return p
	}
	cfg, err := transform.ParseConfig(b)
	if err != nil {
		return []problem{at(err)}, true
	}
	restore, err := (&tester{c: c}).chdir(filepath.Dir(path))
	if err != nil {
		return []problem{{File: path, Message: err.Error()}}, true
	}
	defer restore()
	env := *c.env
	env.Stdout = io.Discard
	// Each transform on its own, so that every fault is reported.
	build := func(prefix string, cfgs []weir.Config) {
		for i, tc := range cfgs {
			p, err := transform.NewPipeline(ctx, &env, []weir.Config{tc})
			if err != nil {
				relocate(err, prefix, i)
				ps = append(ps, at(err))
				continue
			}
			_ = p.Close()
		}
	}
	build("transforms", cfg.Transforms)
	conditions := env.Conditions
	if conditions == nil {
		conditions = condition.Builtins()
	}
	for i, raw := range cfg.Tests {
		loc := fmt.Sprintf("tests[%d]", i)
		t, err := parseTest(raw)
		if err != nil {
			var ce *weir.ConfigError
			if errors.As(err, &ce) {
				relocate(ce, loc+".transforms", 0)
			}
			ps = append(ps, at(&weir.ConfigError{Location: loc, Err: err}))
			continue
		}
		build(loc+".transforms", t.transforms)
		if _, err := conditions.New(ctx, t.condition); err != nil {
			var ce *weir.ConfigError
			if errors.As(err, &ce) {
				ce.Location = loc + ".condition"
			}
			ps = append(ps, at(err))
		}
	}
	return ps, true
}

// relocate gives the error of the config built alone as "transforms[0]"
// its place in the file, prefix[i].
func relocate(err error, prefix string, i int) {
	var ce *weir.ConfigError
	if !errors.As(err, &ce) {
		return
	}
	rest := strings.TrimPrefix(ce.Location, "transforms[0]")
	if !strings.HasPrefix(ce.Location, "transforms[0]") {
		rest = ""
	}
	ce.Location = fmt.Sprintf("%s[%d]%s", prefix, i, rest)
}

// fullLocation follows a chain of nested config errors to the innermost
// config and returns its full location and that config's error.
func fullLocation(e *weir.ConfigError) (string, *weir.ConfigError) {
	loc := e.Location
	for e.Field != "" {
		inner, ok := e.Err.(*weir.ConfigError)
		if !ok || inner.Type == "" {
			break
		}
		loc = joinLoc(joinLoc(loc, "settings."+jsonPath(e.Field)), inner.Location)
		e = inner
	}
	return loc, e
}

func joinLoc(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasPrefix(b, "["):
		return a + b
	}
	return a + "." + b
}

// jsonPath writes a dotted field path ("cases.1.transforms") as a JSON
// path ("cases[1].transforms").
func jsonPath(field string) string {
	var b strings.Builder
	for i, step := range strings.Split(field, ".") {
		if _, err := strconv.Atoi(step); err == nil {
			fmt.Fprintf(&b, "[%s]", step)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(step)
	}
	return b.String()
}

// settingPath splits a ConfigError's Field ("cases.1.transforms") into
// path steps, under "settings".
func settingPath(field string) []string {
	if field == "" {
		return nil
	}
	return append([]string{"settings"}, strings.Split(field, ".")...)
}

var pathStep = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// splitPath splits a JSON path ("transforms[3].settings.cases[1]") into
// steps: keys, and list indexes as numbers.
func splitPath(p string) []string {
	var steps []string
	for _, s := range pathStep.FindAllString(p, -1) {
		steps = append(steps, strings.Trim(s, "[]"))
	}
	return steps
}

// locate returns the offset in doc of the deepest value on path that
// exists: the key of an object member, or the start of a list element.
// Steps that are numbers index lists.
func locate(doc []byte, path []string) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	found, best := false, 0
	var walk func(path []string) error
	skip := func() error {
		var raw json.RawMessage
		return dec.Decode(&raw)
	}
	walk = func(path []string) error {
		if len(path) == 0 {
			return skip()
		}
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := key.(string)
				if k == path[0] {
					best, found = int(dec.InputOffset())-len(strconv.Quote(k)), true
					return walk(path[1:])
				}
				if err := skip(); err != nil {
					return err
				}
			}
		case json.Delim('['):
			want, err := strconv.Atoi(path[0])
			if err != nil {
				return nil
			}
			for i := 0; dec.More(); i++ {
				if i == want {
					off := int(dec.InputOffset())
					for off < len(doc) && strings.ContainsRune(" \t\r\n,", rune(doc[off])) {
						off++
					}
					best, found = off, true
					return walk(path[1:])
				}
				if err := skip(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	_ = walk(path)
	return best, found
}

// lineCol returns the 1-based line and column of offset in doc.
func lineCol(doc []byte, offset int) (line, col int) {
	offset = min(offset, len(doc))
	line = 1 + bytes.Count(doc[:offset], []byte("\n"))
	col = offset - bytes.LastIndexByte(doc[:offset], '\n')
	return line, col
}

var syntaxPos = regexp.MustCompile(`line (\d+), column (\d+): `)

// syntaxPosition reads the position of a JSON syntax error's message.
func syntaxPosition(msg string) (line, col int, ok bool) {
	m := syntaxPos.FindStringSubmatch(msg)
	if m == nil {
		return 0, 0, false
	}
	line, _ = strconv.Atoi(m[1])
	col, _ = strconv.Atoi(m[2])
	return line, col, true
}
