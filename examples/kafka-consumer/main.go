// Command kafka-consumer is a member of a Kafka consumer group that
// normalizes the records of an input topic with a Weir pipeline (a
// Substation config) and produces the results to an output topic, with
// at-least-once delivery: a batch's offsets are committed only after the
// brokers acknowledged every result. Run as many as the input topic has
// partitions; they share them, and take over a member's partitions when it
// leaves.
//
//	kafka-consumer -brokers kafka-1:9092,kafka-2:9092 -group weir \
//	    -in cloudtrail -out cloudtrail-ecs -errors cloudtrail-errors -config pipeline.json
//
// SIGINT or SIGTERM stop it: the batch in flight is abandoned uncommitted
// (another member consumes it again) and the member leaves the group.
// Logs are log/slog JSON lines on standard error.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/weirhq/weir/transform"
)

func main() {
	var (
		brokers = flag.String("brokers", "127.0.0.1:9092", "seed brokers, comma-separated")
		group   = flag.String("group", "weir", "consumer group")
		in      = flag.String("in", "", "input topic (required)")
		out     = flag.String("out", "", "output topic (required)")
		errs    = flag.String("errors", "", "topic for the records the pipeline fails on (without it, a failure stops the member)")
		config  = flag.String("config", "pipeline.json", "Substation config")
		workers = flag.Int("workers", 0, "pipeline workers (0: GOMAXPROCS)")
		batch   = flag.Int("batch", DefaultMaxPollRecords, "records per poll, committed together")
		debug   = flag.Bool("debug", false, "log every batch")
	)
	flag.Parse()
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(log, *brokers, *group, *in, *out, *errs, *config, *workers, *batch); err != nil {
		log.Error("kafka-consumer failed", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, brokers, group, in, out, errs, config string, workers, batch int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := os.Open(config)
	if err != nil {
		return err
	}
	p, err := transform.Load(ctx, &transform.Env{Logger: log}, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", config, err)
	}
	defer p.Close()
	c, err := NewConsumer(Config{
		Brokers: strings.Split(brokers, ","), Group: group, Input: in, Output: out, Errors: errs,
		Pipeline: p, Workers: workers, MaxPollRecords: batch, Logger: log,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	log.Info("consuming", "group", group, "in", in, "out", out)
	err = c.Run(ctx)
	st := c.Stats()
	log.Info("stopped", "consumed", st.Consumed, "committed", st.Committed, "outputs", st.Outputs,
		"dropped", st.Dropped, "failed", st.Failed, "batches", st.Batches)
	return err
}
