// Command firehose-transform is an Amazon Data Firehose data-transformation
// Lambda function: Firehose invokes it with a batch of records, it runs each
// through a Weir pipeline (a Substation config) and answers each record Ok
// with the transformed data, Dropped, or ProcessingFailed, within
// Lambda's 6 MB response limit.
//
// Deploy it as a bootstrap binary on the provided.al2023 runtime with its
// pipeline beside it (README.md has the commands). Its settings are
// environment variables:
//
//	WEIR_CONFIG                        the pipeline file (default: pipeline.json
//	                                   in $LAMBDA_TASK_ROOT, or the working directory)
//	WEIR_FIREHOSE_MAX_RESPONSE_BYTES   the response limit (default 6000000)
//	WEIR_FIREHOSE_DELIMITER            written after each output message:
//	                                   "newline" (default) or "none"
//	WEIR_WORKERS                       pipeline workers (default GOMAXPROCS)
//	AWS_LAMBDA_LOG_LEVEL               DEBUG, INFO (default), WARN or ERROR
//
// Logs are JSON lines (log/slog) on standard error, which Lambda sends to
// CloudWatch Logs.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/weirhq/weir/transform"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	h, closePipeline, err := setup(log)
	if err != nil {
		// Failing the init phase makes Lambda report the error on every
		// invocation, with this message in the logs.
		log.Error("init failed", "error", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.Handle, lambda.WithEnableSIGTERM(func() {
		if err := closePipeline(); err != nil {
			log.Error("closing the pipeline", "error", err)
		}
	}))
}

// setup reads the settings and the pipeline.
func setup(log *slog.Logger) (*Handler, func() error, error) {
	path := os.Getenv("WEIR_CONFIG")
	if path == "" {
		path = filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), "pipeline.json")
	}
	opts := Options{Logger: log}
	var err error
	if opts.MaxResponseBytes, err = intEnv("WEIR_FIREHOSE_MAX_RESPONSE_BYTES"); err != nil {
		return nil, nil, err
	}
	if opts.Workers, err = intEnv("WEIR_WORKERS"); err != nil {
		return nil, nil, err
	}
	switch d := os.Getenv("WEIR_FIREHOSE_DELIMITER"); d {
	case "", "newline":
	case "none":
		opts.Delimiter = []byte{}
	default:
		return nil, nil, fmt.Errorf("WEIR_FIREHOSE_DELIMITER=%q: want newline or none", d)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// A zero Env has every built-in type that runs locally. For types that
	// call AWS, DNS, jq or Parquet, pass all.Env() (package
	// github.com/weirhq/weir/transform/all) instead.
	p, err := transform.Load(context.Background(), &transform.Env{Logger: log}, f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	log.Info("pipeline loaded", "config", path, "transforms", len(p.Transforms()))
	return NewHandler(p, opts), p.Close, nil
}

func intEnv(name string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a non-negative integer", name, v)
	}
	return n, nil
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("AWS_LAMBDA_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
