// Command weir runs a Substation-format pipeline over newline-delimited JSON.
//
// Usage:
//
//	weir run -config pipeline.json [-keep-going] [-workers N] [-ordered=false] [file ...]
//	weir version
//	weir help
//
// "weir run" reads one event a line from the files, or from standard input
// when there are none or a file is "-", passes each through the pipeline's
// transforms and writes every resulting event as one line to standard output.
// After the last line it sends one control message through the pipeline, so
// transforms that hold events (aggregations) release them. Events run on a
// stream (package stream): -workers N runs N events through the pipeline at
// once, and the output keeps the input order unless -ordered=false.
//
// The config is a Substation v2 runtime config:
//
//	{"transforms": [{"type": "object_copy", "settings": {...}}, ...]}
//
// Exit status: 0 on success, 1 if an event or input file failed, 2 for a bad
// command line or config.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, newEnv(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
