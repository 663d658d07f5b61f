// Command conserve checks that `weir run` accounts for every event while
// the services its pipeline calls misbehave: it runs N CloudTrail records
// (internal/ctgen) through the real weir binary with -errors and -stats,
// and checks, event by event, that
//
//	read = delivered + dropped by a rule + reported in the -errors file
//
// with no event in two of those and none delivered twice.
//
// The pipeline (see pipelineConfig) enriches events by reverse DNS, by an
// HTTP API and from DynamoDB, drops S3 data events (eventName GetObject) by
// a rule, and sends the rest with send_http_post. Every server is on
// loopback and injects faults:
//
//   - DNS (miekg/dns, in this process): per source address, fixed by a
//     hash of the name: queries never answered (timeouts), SERVFAIL,
//     NXDOMAIN, and a first query dropped with the retry answered;
//   - HTTP enrichment (in this process): per event ID, fixed by a hash:
//     requests that hang past the timeout on every attempt or only the
//     first, 503 on every attempt, 404, and 429, 500 or a closed connection
//     on the first attempt only;
//   - DynamoDB: dynalite (WEIR_DYNAMODB_ENDPOINT, as
//     internal/testenv/with-services.sh starts it) behind a proxy in this
//     process that throttles (ProvisionedThroughputExceededException) a
//     share of requests and every request during regular throttling
//     storms, answers 500 and 503, slows requests down and closes
//     connections unanswered, at random from a seeded generator.
//
// The destination of the send (in this process) counts what it receives
// by event ID: delivered is what arrived there. It never fails, unless
// -sink-fail K makes it refuse (503, on every attempt) K request bodies in
// 10,000: the events of those batches were emitted by weir run and must
// then be reported in -errors as undelivered. Events are identified by
// their eventID, unique in the input.
//
// Usage:
//
//	bash internal/testenv/with-services.sh go run ./bench/cmd/conserve [-n 1000000] [-workers 256] [-sink-fail K] [-json]
//
// It builds cmd/weir with `go build` unless -weir names a binary, and exits
// 1 if anything is not accounted for. bench/README.md has the figures of
// a run at 1,000,000 events.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func main() {
	n := flag.Int("n", 1_000_000, "events to run")
	seed := flag.Uint64("seed", 42, "ctgen seed of the input, and of the DynamoDB faults")
	workers := flag.Int("workers", 256, "weir run -workers")
	weirBin := flag.String("weir", "", "the weir binary (default: go build ./cmd/weir)")
	dir := flag.String("dir", "", "where to keep the input, config and -errors file (default: a temporary folder, removed)")
	stormEvery := flag.Duration("storm-every", 30*time.Second, "a DynamoDB throttling storm this often (0: none)")
	stormFor := flag.Duration("storm-for", 3*time.Second, "how long each storm lasts")
	sinkFail := flag.Int("sink-fail", 0, "the send's destination refuses this many request bodies in 10,000")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	flag.Parse()

	if err := mainErr(*n, *seed, *workers, *weirBin, *dir, *stormEvery, *stormFor, *sinkFail, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "conserve:", err)
		os.Exit(1)
	}
}

// defaultFaults are the DynamoDB proxy's fault rates, per 10,000 requests.
func defaultFaults(seed uint64, every, length time.Duration) dynamoFaults {
	return dynamoFaults{
		Throttle: 200, Error500: 30, Unavailable: 20, Drop: 20, Slow: 100,
		SlowBy: 150 * time.Millisecond, StormEvery: every, StormFor: length, Seed: seed,
	}
}

func mainErr(n int, seed uint64, workers int, weirBin, dir string, every, length time.Duration, sinkFail int, asJSON bool) error {
	endpoint := os.Getenv("WEIR_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		return fmt.Errorf("WEIR_DYNAMODB_ENDPOINT is not set: run under internal/testenv/with-services.sh, which starts dynalite")
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "conserve-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if weirBin == "" {
		weirBin = filepath.Join(dir, "weir")
		if err := buildWeir(weirBin); err != nil {
			return err
		}
	}
	res, err := run(context.Background(), options{
		N: n, Seed: seed, Workers: workers, Weir: weirBin, Dir: dir, DynamoDB: endpoint,
		Faults: defaultFaults(seed, every, length), SinkFail: sinkFail, Progress: os.Stderr,
	})
	if err != nil {
		return err
	}
	if asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Println(string(b))
	} else {
		res.summary(os.Stdout)
	}
	if !res.Conserved {
		return fmt.Errorf("%d events not accounted for", res.AnomalyCount)
	}
	return nil
}

// buildWeir builds cmd/weir into out, from the module this program is in.
func buildWeir(out string) error {
	cmd := exec.Command("go", "build", "-o", out, "github.com/weirhq/weir/cmd/weir")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/weir: %w", err)
	}
	return nil
}
