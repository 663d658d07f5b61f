// Package jsonnetconfig reads pipeline configs written in Jsonnet, the
// language Substation's configs are usually written in (with its
// substation.libsonnet), and hands their JSON to package transform's
// loader.
//
// It lives apart from package transform because the Jsonnet interpreter
// (github.com/google/go-jsonnet) adds about 2.9 MB to a program that
// otherwise only copies fields: a program that loads JSON configs alone
// imports package transform and links none of it.
//
// A file whose name ends in ".jsonnet" or ".libsonnet" is evaluated, with
// its imports resolved against the file's own folder first and then the
// import paths of [Options] (the -J flags of the jsonnet and weir
// commands); any other file is read as JSON, unchanged.
package jsonnetconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-jsonnet"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// Options says how Jsonnet is evaluated. The zero value evaluates with no
// import paths and no external variables.
type Options struct {
	// JPaths are the folders searched for imports that are not found next
	// to the importing file, in order (the -J flag of the jsonnet command).
	JPaths []string
	// ExtStr are external variables whose values are strings, read with
	// std.extVar (--ext-str name=value).
	ExtStr map[string]string
	// ExtCode are external variables whose values are Jsonnet code
	// (--ext-code name=code), such as `import "substation.libsonnet"`.
	ExtCode map[string]string
}

// IsJsonnet reports whether path names a Jsonnet file: its name ends in
// ".jsonnet" or ".libsonnet".
func IsJsonnet(path string) bool {
	switch filepath.Ext(path) {
	case ".jsonnet", ".libsonnet":
		return true
	}
	return false
}

// ReadFile returns the JSON of the config file at path: a Jsonnet file
// evaluated with opts (see [Evaluate]), any other file as it is on disk.
func ReadFile(path string, opts Options) ([]byte, error) {
	if IsJsonnet(path) {
		return Evaluate(path, opts)
	}
	return os.ReadFile(path)
}

// Evaluate evaluates the Jsonnet file at path with opts and returns its
// JSON. Imports are resolved against the importing file's folder, then
// opts.JPaths. An evaluation error is a *weir.ConfigError (matching
// weir.ErrInvalidConfig) whose text gives the file, line and column, as
// the jsonnet command does, and a stack trace.
func Evaluate(path string, opts Options) ([]byte, error) {
	vm := newVM(opts)
	out, err := vm.EvaluateFile(path)
	if err != nil {
		return nil, evalError(err)
	}
	return []byte(out), nil
}

// EvaluateSnippet evaluates the Jsonnet source src as if read from a file
// called name (imports are resolved against name's folder, then
// opts.JPaths) and returns its JSON. Errors are as [Evaluate]'s.
func EvaluateSnippet(name, src string, opts Options) ([]byte, error) {
	vm := newVM(opts)
	out, err := vm.EvaluateAnonymousSnippet(name, src)
	if err != nil {
		return nil, evalError(err)
	}
	return []byte(out), nil
}

// Load reads the config file at path (Jsonnet or JSON, see [ReadFile]) and
// builds its pipeline with env (nil: a zero transform.Env), as
// transform.Parse does. An error names the file.
func Load(ctx context.Context, env *transform.Env, path string, opts Options) (*transform.Pipeline, error) {
	b, err := ReadFile(path, opts)
	if err != nil {
		return nil, err
	}
	return transform.Parse(ctx, env, b)
}

func newVM(opts Options) *jsonnet.VM {
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: opts.JPaths})
	for k, v := range opts.ExtStr {
		vm.ExtVar(k, v)
	}
	for k, v := range opts.ExtCode {
		vm.ExtCode(k, v)
	}
	vm.ErrorFormatter.SetMaxStackTraceSize(8)
	return vm
}

// evalError turns a Jsonnet error into a ConfigError, with a hint for the
// external variable Substation's own commands define.
func evalError(err error) error {
	msg := strings.TrimSpace(err.Error())
	msg = strings.TrimPrefix(msg, "RUNTIME ERROR: ")
	if strings.Contains(msg, "Undefined external variable: sub") {
		msg += "\n(Substation's commands define the external variable \"sub\" as their library: " +
			"pass --ext-code 'sub=import \"substation.libsonnet\"' and -J with the folder that holds it)"
	}
	return &weir.ConfigError{Err: errors.New(msg)}
}

// ParseExtVar parses a command-line "name=value" assignment of --ext-str or
// --ext-code into m. A bare "name" takes its value from the environment
// variable of that name, as the jsonnet command does.
func ParseExtVar(m map[string]string, s string) error {
	name, value, ok := strings.Cut(s, "=")
	if name == "" {
		return fmt.Errorf("%q: want name=value", s)
	}
	if !ok {
		v, found := os.LookupEnv(name)
		if !found {
			return fmt.Errorf("%q: no value given and no environment variable %s", s, name)
		}
		value = v
	}
	m[name] = value
	return nil
}
