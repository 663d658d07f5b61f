// Command weir runs, tests and checks Substation-format pipelines.
//
// Usage:
//
//	weir run   -config FILE [flags] [INPUT ...]   run a pipeline over events
//	weir test  [-R] [-run REGEXP] [PATH ...]     run config tests and golden cases
//	weir vet   [-R] PATH ...                     check configs without running them
//	weir list  [-json]                            list the transform and condition types
//	weir build [-R] [-o FILE] PATH ...            write the JSON of Jsonnet configs
//	weir version
//	weir help [COMMAND]
//
// Every command that reads a config takes JSON or Jsonnet (.jsonnet,
// .libsonnet) with the jsonnet command's -J, --ext-str and --ext-code
// flags. Flags may come before or after the other arguments. "weir help
// COMMAND" describes each command; the README has the whole story.
//
// Exit status: 0 on success, 1 if an event, an input or a test failed, 2
// for a bad command line or config, 130 after an interrupt (SIGINT or
// SIGTERM), once what the pipeline held has been flushed.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	// The first SIGINT or SIGTERM stops reading and flushes the pipeline;
	// a second one stops at once.
	ctx, abort := context.WithCancel(context.Background())
	interrupt := make(chan struct{})
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		close(interrupt)
		<-signals
		abort()
	}()
	c := &cli{
		env:       newEnv(),
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		interrupt: interrupt,
		terminal:  term.IsTerminal(int(os.Stderr.Fd())),
		chdir:     true,
	}
	if len(os.Args) > 1 && os.Args[1] == "run" {
		tuneGC()
	}
	code := c.main(ctx, os.Args[1:])
	abort()
	os.Exit(code)
}
