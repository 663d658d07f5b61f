// Command handler is the Lambda function of the send_aws_lambda tests: an
// aws-lambda-go handler that with-services.sh runs under AWS's runtime
// interface emulator (aws-lambda-rie, a tool of this module). It appends
// each payload it receives, as one line, to the file named by
// WEIR_LAMBDA_RECORD, so that a test can read back what arrived, and fails
// an invocation whose payload has "fail": true.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

var mu sync.Mutex

func handle(_ context.Context, payload json.RawMessage) (string, error) {
	var probe struct {
		Fail bool `json:"fail"`
	}
	_ = json.Unmarshal(payload, &probe)
	if probe.Fail {
		return "", errors.New("asked to fail")
	}
	mu.Lock()
	defer mu.Unlock()
	f, err := os.OpenFile(os.Getenv("WEIR_LAMBDA_RECORD"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(append(payload, '\n')); err != nil {
		return "", err
	}
	return "ok", nil
}

func main() { lambda.Start(handle) }
