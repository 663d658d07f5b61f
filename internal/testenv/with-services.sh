#!/usr/bin/env bash
# Runs a command with the protocol servers the tests need, started on free
# loopback ports and stopped when the command ends:
#
#   WEIR_DYNAMODB_ENDPOINT  dynalite (DynamoDB API, in memory)
#   WEIR_S3_ENDPOINT        s3rver (S3 API, path-style, files in a temp dir)
#   WEIR_KINESIS_ENDPOINT   kinesis-local (kinesis-mock's Node build; Kinesis API,
#                           in memory; account 000000000000, us-east-1)
#   WEIR_LAMBDA_ENDPOINT    AWS's runtime interface emulator (aws-lambda-rie, a Go
#                           tool of this module) running internal/lambdatest/handler,
#                           which appends each payload to WEIR_LAMBDA_RECORD
#   WEIR_NODE_MODULES       the installed npm packages (aws-kinesis-agg, the
#                           awslabs KPL module the aggregate tests compare with)
#
# `make test` wraps `go test` in this script, so under make nothing that needs
# a server is skipped (WEIR_REQUIRE_SERVICES=1 turns a skip into a failure).
# A server that does not start fails the run. Needs Node.js and npm; the npm
# packages are pinned in package-lock.json and installed on first use.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

if [ ! -x "$here/node_modules/.bin/dynalite" ] || [ ! -x "$here/node_modules/.bin/s3rver" ] ||
  [ ! -f "$here/node_modules/kinesis-local/main.js" ] || [ ! -d "$here/node_modules/aws-kinesis-agg" ]; then
  command -v npm >/dev/null 2>&1 || { echo "with-services: npm not found (install Node.js and npm)" >&2; exit 1; }
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

# free_port asks the kernel for an unused loopback port.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

pids=()
logdir="$(mktemp -d)"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$logdir"
}
trap cleanup EXIT INT TERM

# wait_http waits until url answers any HTTP response, or fails after ~20 s.
wait_http() {
  local name=$1 url=$2 pid=$3 log=$4
  for _ in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "with-services: $name exited while starting:" >&2; cat "$log" >&2; exit 1
    fi
    if node -e 'require("http").get(process.argv[1],r=>process.exit(0)).on("error",()=>process.exit(1))' "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "with-services: $name did not answer at $url:" >&2; cat "$log" >&2; exit 1
}

port="$(free_port)"
"$here/node_modules/.bin/dynalite" --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 >"$logdir/dynalite.log" 2>&1 &
pids+=($!)
wait_http dynalite "http://127.0.0.1:$port/" "${pids[-1]}" "$logdir/dynalite.log"
export WEIR_DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
export WEIR_REQUIRE_SERVICES=1
export WEIR_NODE_MODULES="$here/node_modules"
# No test may reach the EC2 instance metadata service (a link-local address
# off this machine): the SDK's default chain falls back to it when a test
# leaves no other credentials.
export AWS_EC2_METADATA_DISABLED=true
echo "with-services: dynalite at $WEIR_DYNAMODB_ENDPOINT" >&2

port="$(free_port)"
mkdir "$logdir/s3"
"$here/node_modules/.bin/s3rver" --directory "$logdir/s3" --address 127.0.0.1 --port "$port" --silent --no-vhost-buckets >"$logdir/s3rver.log" 2>&1 &
pids+=($!)
wait_http s3rver "http://127.0.0.1:$port/" "${pids[-1]}" "$logdir/s3rver.log"
export WEIR_S3_ENDPOINT="http://127.0.0.1:$port"
echo "with-services: s3rver at $WEIR_S3_ENDPOINT" >&2

# kinesis-local has no setting for its listening address: loopback.cjs
# confines it to 127.0.0.1. It runs from its package folder, where it finds
# its certificate (server.json) for the TLS port, which tests do not use.
port="$(free_port)"
tls_port="$(free_port)"
(cd "$here/node_modules/kinesis-local" &&
  exec env KINESIS_MOCK_PLAIN_PORT="$port" KINESIS_MOCK_TLS_PORT="$tls_port" LOG_LEVEL=WARN \
    CREATE_STREAM_DURATION=10ms DELETE_STREAM_DURATION=10ms SHOULD_PERSIST_DATA=false \
    node -r "$here/loopback.cjs" main.js) >"$logdir/kinesis.log" 2>&1 &
pids+=($!)
wait_http kinesis-local "http://127.0.0.1:$port/" "${pids[-1]}" "$logdir/kinesis.log"
export WEIR_KINESIS_ENDPOINT="http://127.0.0.1:$port"
echo "with-services: kinesis-local at $WEIR_KINESIS_ENDPOINT" >&2

# The Lambda runtime interface emulator and its handler, built from the
# module (go.mod pins the emulator as a tool). It serves one function,
# "function".
root="$(cd "$here/../.." && pwd)"
(cd "$root" && "${GO:-go}" build -o "$logdir/aws-lambda-rie" github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie &&
  "${GO:-go}" build -o "$logdir/lambda-handler" ./internal/lambdatest/handler) >&2
port="$(free_port)"
api_port="$(free_port)"
export WEIR_LAMBDA_RECORD="$logdir/lambda-payloads.ndjson"
# The examples' end-to-end tests run their own handlers under this build.
export WEIR_LAMBDA_RIE="$logdir/aws-lambda-rie"
"$logdir/aws-lambda-rie" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api_port" \
  "$logdir/lambda-handler" >"$logdir/lambda.log" 2>&1 &
pids+=($!)
wait_http aws-lambda-rie "http://127.0.0.1:$port/" "${pids[-1]}" "$logdir/lambda.log"
export WEIR_LAMBDA_ENDPOINT="http://127.0.0.1:$port"
echo "with-services: aws-lambda-rie at $WEIR_LAMBDA_ENDPOINT" >&2

"$@"
