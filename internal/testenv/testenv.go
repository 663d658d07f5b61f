// Package testenv connects tests to the protocol servers that
// with-services.sh (in this folder; `make test` runs the tests under it)
// starts, through the environment variables that hold their addresses.
package testenv

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// EnvRequire names the variable that, when set (`make test` sets it),
// turns a test's skip for a missing server into a failure.
const EnvRequire = "WEIR_REQUIRE_SERVICES"

// Endpoint returns the value of the variable env, the URL of the server
// named server. When env is not set it skips t with a message naming env
// and `make test`, or fails t if [EnvRequire] is set.
func Endpoint(t testing.TB, env, server string) string {
	t.Helper()
	ep := os.Getenv(env)
	if ep == "" {
		msg := env + " is not set: run `make test`, which starts " + server + " and sets it"
		if os.Getenv(EnvRequire) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return ep
}

// Main runs a package's tests (call it from TestMain) with the AWS SDK kept
// on this machine: AWS_EC2_METADATA_DISABLED is set, so that a client
// whose test leaves it no other credentials fails at once instead of
// asking the EC2 instance metadata service, a link-local address that tests
// must never reach. It then verifies that no goroutine leaked, as
// goleak.VerifyTestMain does, when leaks is true.
func Main(m *testing.M, leaks bool) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if leaks {
		goleak.VerifyTestMain(m)
		return
	}
	os.Exit(m.Run())
}
