// Command s3-lambda is a Lambda function for S3 event notifications: when
// CloudTrail (or anything else) writes a {"Records": [...]} file, gzip or
// plain, to a bucket, S3 invokes the function, which reads the object, runs
// every record through a Weir pipeline (a Substation config) and writes the
// normalized events, gzip NDJSON, to an output bucket, with the records the
// pipeline failed on in an errors/ object beside them.
//
// It writes with the AWS SDK's S3 client directly, one output object per
// input object under a key derived from the input key, so a second delivery
// of a notification overwrites instead of duplicating (send_aws_s3 names its
// objects by time and UUID). README.md has the build and deploy commands.
// Settings are environment variables:
//
//	WEIR_CONFIG          the pipeline file (default: pipeline.json in $LAMBDA_TASK_ROOT)
//	WEIR_OUTPUT_BUCKET   where results go (required)
//	WEIR_OUTPUT_PREFIX   key prefix of the results (default normalized/)
//	WEIR_ERROR_PREFIX    key prefix of the failed records (default errors/)
//	WEIR_WORKERS         pipeline workers (default GOMAXPROCS)
//	WEIR_S3_PATH_STYLE   "true" for path-style addresses (S3-compatible servers)
//	AWS_LAMBDA_LOG_LEVEL DEBUG, INFO (default), WARN or ERROR
//
// The S3 client is configured as the AWS SDK's default chain finds it
// (AWS_REGION, the function's role, AWS_ENDPOINT_URL_S3, …).
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
	opts := Options{
		OutputBucket: os.Getenv("WEIR_OUTPUT_BUCKET"),
		OutputPrefix: os.Getenv("WEIR_OUTPUT_PREFIX"),
		ErrorPrefix:  os.Getenv("WEIR_ERROR_PREFIX"),
		Logger:       log,
	}
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
	// A zero Env has every built-in type that runs locally; pass all.Env()
	// (package transform/all) for types that call AWS, DNS, jq or Parquet.
	p, err := transform.Load(ctx, &transform.Env{Logger: log}, f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	h, err := NewHandler(client, p, opts)
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	log.Info("pipeline loaded", "config", path, "transforms", len(p.Transforms()), "outputBucket", opts.OutputBucket)
	return h, p.Close, nil
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("AWS_LAMBDA_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
