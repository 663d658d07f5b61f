// Command gencorpus writes synthetic CloudTrail records as NDJSON to
// standard output: the first N records of the shared generator
// gen_cloudtrail.py for a seed, byte for byte (it runs the Go port,
// internal/ctgen). bench/run.sh uses it to make the W1 corpus.
//
// Usage:
//
//	go run ./bench/cmd/gencorpus [-seed 42] N > corpus.ndjson
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/weirhq/weir/internal/ctgen"
)

func main() {
	seed := flag.Uint64("seed", 42, "generator seed (gen_cloudtrail.py's second argument)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: gencorpus [-seed S] N")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	n, err := strconv.Atoi(flag.Arg(0))
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "gencorpus: N must be a count of records, not %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := ctgen.WriteTo(os.Stdout, n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}
