// Command runfloor is the floor of a command-line runner for workload W1:
// it reads NDJSON CloudTrail records, turns each into its ECS event with
// the hand-written bench.W1Floor, and writes one event a line, with
// buffered I/O and nothing else. bench/run.sh times `weir run` against it.
//
// Usage: runfloor [-in FILE] [-out FILE]   (standard input and output by default)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/weirhq/weir/bench"
)

func main() {
	in := flag.String("in", "", "input NDJSON (default standard input)")
	out := flag.String("out", "", "output NDJSON (default standard output)")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "runfloor:", err)
		os.Exit(1)
	}
}

func run(inPath, outPath string) error {
	var r io.Reader = os.Stdin
	if inPath != "" {
		f, err := os.Open(inPath)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	var w io.Writer = os.Stdout
	if outPath != "" {
		f, err := os.Create(outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for {
		line, err := br.ReadSlice('\n')
		if line = bytes.TrimRight(line, "\r\n"); len(line) > 0 {
			buf = bench.W1Floor(buf[:0], line)
			bw.Write(buf)
			bw.WriteByte('\n')
		}
		switch {
		case err == io.EOF:
			return bw.Flush()
		case err == bufio.ErrBufferFull:
			return fmt.Errorf("a line is longer than %d bytes", br.Size())
		case err != nil:
			return err
		}
	}
}
