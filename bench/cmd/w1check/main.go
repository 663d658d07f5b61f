// Command w1check checks W1 outputs against the reference output
// (w1_reference.py's), record by record, as parsed JSON: key order, string
// escaping and the spelling of numbers (1.0 and 1) do not count.
//
// It checks either an output file another engine wrote (a peer harness):
//
//	w1check -want w1-2k.ndjson -got floor-2k.ndjson -name peer-floor
//
// or Weir's own engines, which it runs on the input records:
//
//	w1check -want w1-2k.ndjson -in ct-2k.ndjson -engine config,typed,floor
//
// It prints one "VERIFY <name> OK|FAIL" line per check, with the first
// differences, and exits 1 if any check fails. bench/run.sh uses it before
// timing anything.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/bench"
	"github.com/weirhq/weir/transform"
)

func main() {
	want := flag.String("want", "", "reference output, NDJSON (required)")
	got := flag.String("got", "", "output to check, NDJSON")
	name := flag.String("name", "", "name of the checked output in the report (default: the -got file)")
	in := flag.String("in", "", "input records, NDJSON: run Weir's engines on them")
	engines := flag.String("engine", "config,typed,floor", "with -in: Weir's engines to check, comma-separated")
	flag.Parse()
	if *want == "" || (*got == "") == (*in == "") {
		fmt.Fprintln(os.Stderr, "usage: w1check -want REF (-got OUT [-name N] | -in IN [-engine config,typed,floor])")
		os.Exit(2)
	}
	ref, err := readLines(*want)
	if err != nil {
		fatal(err)
	}
	ok := true
	if *got != "" {
		out, err := readLines(*got)
		if err != nil {
			fatal(err)
		}
		n := *name
		if n == "" {
			n = *got
		}
		ok = report(n, out, ref)
	} else {
		recs, err := readLines(*in)
		if err != nil {
			fatal(err)
		}
		for _, e := range strings.Split(*engines, ",") {
			out, err := runEngine(e, recs)
			if err != nil {
				fmt.Printf("VERIFY weir-%-12s FAIL: %v\n", e, err)
				ok = false
				continue
			}
			ok = report("weir-"+e, out, ref) && ok
		}
	}
	if !ok {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "w1check:", err)
	os.Exit(1)
}

// readLines returns the non-empty lines of an NDJSON file.
func readLines(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	return out, nil
}

// runEngine runs one of Weir's W1 engines on every record.
func runEngine(name string, recs [][]byte) ([][]byte, error) {
	ctx := context.Background()
	var t transform.Transformer
	var err error
	switch name {
	case "config":
		t, err = bench.NewW1FromConfig(ctx)
	case "typed":
		t, err = bench.NewW1Typed()
	case "floor":
		out := make([][]byte, len(recs))
		for i, r := range recs {
			out[i] = bench.W1Floor(nil, r)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown engine %q (want config, typed or floor)", name)
	}
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(recs))
	for i, r := range recs {
		msgs, err := t.Transform(ctx, weir.NewMessage(bytes.Clone(r)))
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		if len(msgs) != 1 {
			return nil, fmt.Errorf("record %d: %d messages, want 1", i+1, len(msgs))
		}
		out[i] = msgs[0].Data()
	}
	return out, nil
}

// report compares got with want record by record, prints the verdict and
// up to three differences, and says whether all records are equal.
func report(name string, got, want [][]byte) bool {
	if len(got) != len(want) {
		fmt.Printf("VERIFY %-16s FAIL: %d records, the reference has %d\n", name, len(got), len(want))
		return false
	}
	bad := 0
	for i := range got {
		err := equalJSON(got[i], want[i])
		if err == nil {
			continue
		}
		if bad < 3 {
			fmt.Printf("VERIFY %-16s record %d: %v\n  got:  %.400s\n  want: %.400s\n", name, i+1, err, got[i], want[i])
		}
		bad++
	}
	if bad > 0 {
		fmt.Printf("VERIFY %-16s FAIL: %d of %d records differ from the reference\n", name, bad, len(got))
		return false
	}
	fmt.Printf("VERIFY %-16s OK: %d/%d records equal the reference (parsed JSON)\n", name, len(got), len(want))
	return true
}

// equalJSON reports how a and b differ as JSON values, or nil.
func equalJSON(a, b []byte) error {
	va, err := decode(a)
	if err != nil {
		return fmt.Errorf("output is not JSON: %w", err)
	}
	vb, err := decode(b)
	if err != nil {
		return fmt.Errorf("reference is not JSON: %w", err)
	}
	return diff("", va, vb)
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one value")
	}
	return v, nil
}

// diff names the first path at which a and b (decoded with UseNumber)
// differ. Numbers compare by value.
func diff(path string, a, b any) error {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: object, reference has %T", at(path), b)
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok {
				return fmt.Errorf("%s: not in the reference", at(path+"."+k))
			}
			if err := diff(path+"."+k, av, bv); err != nil {
				return err
			}
		}
		for k := range bm {
			if _, ok := a[k]; !ok {
				return fmt.Errorf("%s: missing", at(path+"."+k))
			}
		}
		return nil
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return fmt.Errorf("%s: array of %d, reference has %v", at(path), len(a), b)
		}
		for i := range a {
			if err := diff(fmt.Sprintf("%s[%d]", path, i), a[i], ba[i]); err != nil {
				return err
			}
		}
		return nil
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return fmt.Errorf("%s: %s, reference has %v", at(path), a, b)
		}
		ra, oka := new(big.Rat).SetString(string(a))
		rb, okb := new(big.Rat).SetString(string(bn))
		if !oka || !okb || ra.Cmp(rb) != 0 {
			return fmt.Errorf("%s: %s, reference has %s", at(path), a, bn)
		}
		return nil
	default: // string, bool, nil
		if a != b {
			return fmt.Errorf("%s: %v, reference has %v", at(path), a, b)
		}
		return nil
	}
}

func at(path string) string {
	if path == "" {
		return "top level"
	}
	return strings.TrimPrefix(path, ".")
}
