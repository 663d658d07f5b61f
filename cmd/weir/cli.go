package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/all"
	"github.com/weirhq/weir/transform/jsonnetconfig"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // an event, an input or a test failed
	exitUsage       = 2   // the command line or the config is wrong
	exitInterrupted = 130 // SIGINT or SIGTERM, after the flush
)

const usage = `Usage:
  weir run   -config FILE [flags] [INPUT ...]  run a pipeline over events
  weir test  [-R] [-run REGEXP] [PATH ...]    run config tests and golden cases
  weir vet   [-R] [-json] PATH ...            check configs without running them
  weir list  [-json]                          list transform and condition types
  weir build [-R] [-o FILE] PATH ...          write the JSON of Jsonnet configs
  weir version
  weir help [COMMAND]

Configs are Substation v2 configs, {"transforms": [...]}, in JSON or in
Jsonnet (.jsonnet, .libsonnet). Flags may come before or after the other
arguments. "weir help COMMAND" tells more.

Exit status: 0 on success, 1 if an event, an input or a test failed, 2 for a
bad command line or config, 130 after an interrupt (SIGINT, SIGTERM).
`

// jsonnetUsage documents the config flags every command shares.
const jsonnetUsage = `Jsonnet flags (every command that reads a config):
  -J DIR              add DIR to the Jsonnet import path (repeatable)
  --ext-str NAME=VAL  set the external variable NAME to the string VAL
  --ext-code NAME=CODE
                      set the external variable NAME to Jsonnet code, e.g.
                      --ext-code 'sub=import "substation.libsonnet"' for
                      configs that read Substation's library with
                      std.extVar('sub')
`

// cli is the whole program: main only wires it to the process, and tests
// run it in-process.
type cli struct {
	env            *transform.Env // what pipelines are built with; nil: all.Env()
	stdin          io.Reader
	stdout, stderr io.Writer
	// interrupt is closed on the first SIGINT or SIGTERM: run stops
	// reading, flushes the pipeline and exits with exitInterrupted. Nil
	// never fires.
	interrupt <-chan struct{}
	// terminal says that stderr is a terminal: run shows progress and a
	// summary there.
	terminal bool
	// chdir lets test run each config in its own folder, as Substation
	// does, so that relative paths in a config (kv store files) are
	// relative to it. The process's working directory is shared, so tests
	// that run in parallel leave it off.
	chdir bool
}

// run runs the program with args and the given standard streams, with no
// interrupts and no terminal.
func run(ctx context.Context, env *transform.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{env: env, stdin: stdin, stdout: stdout, stderr: stderr}
	return c.main(ctx, args)
}

// command is one of weir's commands.
type command struct {
	name  string
	run   func(c *cli, ctx context.Context, args []string) int
	usage string
}

func commands() []command {
	return []command{
		{"run", (*cli).runCommand, runUsage},
		{"test", (*cli).testCommand, testUsage},
		{"vet", (*cli).vetCommand, vetUsage},
		{"list", (*cli).listCommand, listUsage},
		{"build", (*cli).buildCommand, buildUsage},
	}
}

func (c *cli) main(ctx context.Context, args []string) int {
	if c.env == nil {
		c.env = newEnv()
	}
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUsage
	}
	for _, cmd := range commands() {
		if args[0] == cmd.name {
			return cmd.run(c, ctx, args[1:])
		}
	}
	switch args[0] {
	case "version", "-version", "--version":
		fmt.Fprintln(c.stdout, "weir", version())
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, cmd := range commands() {
				if args[1] == cmd.name {
					fmt.Fprint(c.stdout, cmd.usage)
					return exitOK
				}
			}
			fmt.Fprintf(c.stderr, "weir: help: unknown command %q\n", args[1])
			return exitUsage
		}
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "weir: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// version returns the module version and Go version the binary was built
// with.
func version() string {
	v, goVersion := "(devel)", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		goVersion = " " + info.GoVersion
	}
	return v + goVersion
}

// newEnv returns the Env the command builds pipelines with.
func newEnv() *transform.Env {
	return all.Env()
}

// newFlags returns a flag set for the command name whose -h prints text.
func (c *cli) newFlags(name, text string) *flag.FlagSet {
	fs := flag.NewFlagSet("weir "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprint(c.stderr, text) }
	return fs
}

// parseFlags parses args with fs, letting flags come after the other
// arguments (up to a "--"), and returns those arguments. ok is false when
// the command must end with code.
func parseFlags(fs *flag.FlagSet, args []string) (rest []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, 0, true
		}
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), 0, true // no flags after "--"
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// configFlags are the flags of every command that reads configs.
type configFlags struct {
	opts jsonnetconfig.Options
}

func (cf *configFlags) register(fs *flag.FlagSet) {
	cf.opts.ExtStr = map[string]string{}
	cf.opts.ExtCode = map[string]string{}
	fs.Func("J", "", func(s string) error {
		cf.opts.JPaths = append(cf.opts.JPaths, s)
		return nil
	})
	fs.Func("jpath", "", func(s string) error {
		cf.opts.JPaths = append(cf.opts.JPaths, s)
		return nil
	})
	fs.Func("ext-str", "", func(s string) error { return jsonnetconfig.ParseExtVar(cf.opts.ExtStr, s) })
	fs.Func("ext-code", "", func(s string) error { return jsonnetconfig.ParseExtVar(cf.opts.ExtCode, s) })
}

// read returns the JSON of the config at path.
func (cf *configFlags) read(path string) ([]byte, error) {
	return jsonnetconfig.ReadFile(path, cf.opts)
}

// fileError prefixes err with the file it is about, dropping the
// package prefix of weir's errors.
func fileError(path string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "weir: ")
	if strings.Contains(msg, path) {
		return msg
	}
	return path + ": " + msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
