// Package lambdatest runs a Lambda handler binary as Lambda would, under
// AWS's Lambda runtime interface emulator (aws-lambda-rie), on loopback,
// and invokes it over HTTP with real event payloads.
//
// The emulator is a Go program:
//
//	go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d
//
// (.ci/run does this). It is looked up on PATH, then in $(go env GOPATH)/bin.
// Without it a test that needs it is skipped with a message that says how
// to install it; with WEIR_REQUIRE_SERVICES=1 (set by `make test`) it
// fails instead.
package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/internal/testenv"
)

// InstallCommand is the command that installs the emulator.
const InstallCommand = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// InvokePath is the emulator's invocation endpoint, the path of Lambda's
// Invoke API.
const InvokePath = "/2015-03-31/functions/function/invocations"

// Emulator returns the path of aws-lambda-rie: the one with-services.sh
// built (WEIR_LAMBDA_RIE), or one installed on PATH or in GOPATH/bin. It
// skips t (fails it under WEIR_REQUIRE_SERVICES=1) when there is none.
func Emulator(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("WEIR_LAMBDA_RIE"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if out, err := exec.Command(goCmd(), "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "aws-lambda-rie")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	msg := "aws-lambda-rie is not installed: run `" + InstallCommand + "` (.ci/run does)"
	if os.Getenv(testenv.EnvRequire) != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func goCmd() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// Build compiles the main package pkg (a directory, e.g. ".") into a file
// named bootstrap in a temporary directory, as it would be deployed on a
// provided.al2023 runtime, and returns its path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(goCmd(), "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lambdatest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Function is a handler binary running under the emulator.
type Function struct {
	// URL is the invocation endpoint, http://127.0.0.1:PORT + InvokePath.
	URL string

	client *http.Client
	logs   *syncBuffer
}

// Options configure Start.
type Options struct {
	// Env is added to the test process's environment for the emulator and
	// the handler ("KEY=value").
	Env []string
	// Timeout is the function's timeout (AWS_LAMBDA_FUNCTION_TIMEOUT); 0
	// means 60 seconds.
	Timeout time.Duration
}

// Start runs bootstrap under the emulator on two free loopback ports (its
// HTTP endpoint and the Runtime API the handler polls) and waits until the
// endpoint accepts connections. The emulator is stopped when t ends, and
// its output (the handler's logs included) is logged if t failed.
//
// The ports are found free by binding them and letting them go, so another
// process may take one before the emulator binds it; an emulator that
// exits while starting is started again on new ports, up to three times.
func Start(t testing.TB, bootstrap string, o Options) *Function {
	t.Helper()
	rie := Emulator(t)
	const attempts = 3
	for i := 1; ; i++ {
		f, logs := start(t, rie, bootstrap, o)
		if f != nil {
			return f
		}
		if i == attempts {
			t.Fatalf("lambdatest: aws-lambda-rie exited while starting, %d times; last output:\n%s", attempts, logs)
		}
		t.Logf("lambdatest: aws-lambda-rie exited while starting (attempt %d), trying new ports:\n%s", i, logs)
	}
}

// start makes one attempt of Start. It returns nil and the emulator's
// output if the emulator exited before its endpoint accepted a connection
// (having stopped it).
func start(t testing.TB, rie, bootstrap string, o Options) (*Function, string) {
	t.Helper()
	addr, apiAddr := freeAddr(t), freeAddr(t)
	timeout := o.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		"--log-level", "error",
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Env = append(cmd.Env,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(timeout/time.Second)),
		"AWS_LAMBDA_FUNCTION_NAME=weir-test",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("lambdatest: start %s: %v", rie, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		killGroup(cmd)
		<-done
	}
	// A generous deadline: on a busy machine the emulator and the handler
	// may take seconds to start.
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			stop()
			return nil, logs.String()
		default:
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("lambdatest: aws-lambda-rie did not listen on %s in a minute:\n%s", addr, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		stop()
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", logs.String())
		}
	})
	return &Function{URL: "http://" + addr + InvokePath, client: &http.Client{Transport: tr}, logs: logs}, ""
}

// Invoke posts payload to the function and returns the HTTP status and the
// body: the handler's response, or Lambda's error object
// ({"errorMessage": …, "errorType": …}) when the handler returned an error.
func (f *Function) Invoke(t testing.TB, payload []byte) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("lambdatest: %v", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("lambdatest: invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("lambdatest: read response: %v", err)
	}
	return resp.StatusCode, body
}

// Logs returns what the emulator and the handler have printed so far.
func (f *Function) Logs() string { return f.logs.String() }

// IsFunctionError reports whether body is Lambda's error object, which
// the emulator answers when the handler returned an error, and returns
// its errorMessage.
func IsFunctionError(body []byte) (string, bool) {
	var e struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    string  `json:"errorType"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.ErrorMessage == nil {
		return "", false
	}
	return *e.ErrorMessage, true
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("lambdatest: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
