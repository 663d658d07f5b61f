// Command sqs-lambda is a Lambda function behind an SQS queue (an event
// source mapping with ReportBatchItemFailures): it runs each message's body
// through a Weir pipeline (a Substation config), writes the results of the
// messages that succeeded, gzip NDJSON, to S3, and reports the others so
// that only they are received again. It writes with the AWS SDK's S3
// client directly, so that a batch delivered again overwrites its object.
// README.md has the build and deploy commands.
//
//	WEIR_CONFIG          the pipeline file (default: pipeline.json in $LAMBDA_TASK_ROOT)
//	WEIR_OUTPUT_BUCKET   where results go (required)
//	WEIR_OUTPUT_PREFIX   key prefix (default sqs/)
//	WEIR_WORKERS         pipeline workers (default GOMAXPROCS)
//	WEIR_S3_PATH_STYLE   "true" for path-style addresses (S3-compatible servers)
//	AWS_LAMBDA_LOG_LEVEL DEBUG, INFO (default), WARN or ERROR
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/weirhq/weir/transform"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	h, closePipeline, err := setup(context.Background(), log)
	if err != nil {
		log.Error("init failed", "error", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.Handle, lambda.WithEnableSIGTERM(func() {
		if err := closePipeline(); err != nil {
			log.Error("closing the pipeline", "error", err)
		}
	}))
}

func setup(ctx context.Context, log *slog.Logger) (*Handler, func() error, error) {
	opts := Options{OutputBucket: os.Getenv("WEIR_OUTPUT_BUCKET"), OutputPrefix: os.Getenv("WEIR_OUTPUT_PREFIX"), Logger: log}
	if v := os.Getenv("WEIR_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, nil, fmt.Errorf("WEIR_WORKERS=%q: want a non-negative integer", v)
		}
		opts.Workers = n
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	pathStyle := os.Getenv("WEIR_S3_PATH_STYLE") == "true"
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	path := os.Getenv("WEIR_CONFIG")
	if path == "" {
		path = filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), "pipeline.json")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	p, err := transform.Load(ctx, &transform.Env{Logger: log}, f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	h, err := NewHandler(client, p, opts)
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	return h, p.Close, nil
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("AWS_LAMBDA_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
