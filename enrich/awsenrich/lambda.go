package awsenrich

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/tidwall/gjson"
)

// LambdaInvoker is the part of the aws-sdk-go-v2 Lambda client that
// [Lambda] uses; *lambda.Client implements it. It must be safe for
// concurrent use.
type LambdaInvoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// FunctionError is the error of a [Lambda] invocation whose function
// failed: the function ran and returned an error (or crashed). Message is
// the errorMessage of its payload, Type its errorType.
type FunctionError struct {
	Function string
	Kind     string // the FunctionError field of the response ("Unhandled", …)
	Type     string
	Message  string
}

// Error implements error.
func (e *FunctionError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("enrich: lambda %s: %s: %s", e.Function, e.Type, e.Message)
	}
	return fmt.Sprintf("enrich: lambda %s: %s", e.Function, e.Message)
}

// LambdaConfig configures [NewLambda].
type LambdaConfig struct {
	// Client invokes the function. Required.
	Client LambdaInvoker
	// Function is the function's name or ARN (a qualified ARN or
	// "name:alias" selects a version). Required.
	Function string
}

// Lambda invokes an AWS Lambda function synchronously for "custom data
// processing": a payload in, the function's response out. It is safe for
// concurrent use.
type Lambda struct {
	client   LambdaInvoker
	function string
}

// NewLambda returns a Lambda configured by cfg.
func NewLambda(cfg LambdaConfig) (*Lambda, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("enrich: lambda: no client")
	case cfg.Function == "":
		return nil, errors.New("enrich: lambda: no function")
	}
	return &Lambda{client: cfg.Client, function: cfg.Function}, nil
}

// Invoke calls the function with payload (a JSON document) and returns its
// response payload. A function that failed is a *[FunctionError]; the
// client's own errors (network, throttling after the SDK's retries,
// permissions) are returned wrapped.
func (l *Lambda) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := l.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(l.function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return nil, fmt.Errorf("enrich: lambda %s: %w", l.function, err)
	}
	if out.FunctionError != nil {
		r := gjson.ParseBytes(out.Payload)
		return nil, &FunctionError{
			Function: l.function,
			Kind:     aws.ToString(out.FunctionError),
			Type:     r.Get("errorType").String(),
			Message:  r.Get("errorMessage").String(),
		}
	}
	return out.Payload, nil
}
