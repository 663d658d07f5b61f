# `make test` is the single entry point CI uses (see .ci/run).
GO ?= go
SAMPLE_RUN = $(GO) run ./cmd/weir run -config testdata/sample/pipeline.json testdata/sample/cloudtrail.ndjson

.PHONY: test fmt vet race kafka-million bench bench-smoke bench-w1 run fuzz

test: fmt vet bench-smoke race kafka-million

# Fails listing the files gofmt would change.
fmt:
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$files" ]; then echo "gofmt would change these files:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

# Tests run with the protocol servers they need (dynalite for DynamoDB),
# started on free loopback ports by internal/testenv/with-services.sh.
WITH_SERVICES = bash internal/testenv/with-services.sh

# -timeout 20m: examples/kinesis-lambda's 100,000 records through kinesis-local
# took 8.5 of go test's default 10 minutes on a busy 2-vCPU machine.
race:
	$(WITH_SERVICES) $(GO) test -race -count=1 -timeout 20m ./...

# The Kafka consumer group's one-million-event run (issue 16), without -race
# (race runs it at 20,000): about 10-30 s on 2 vCPUs.
kafka-million:
	$(GO) test -count=1 -run '^TestGroup$$' -v ./examples/kafka-consumer -kafka.events=1000000

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Runs every benchmark once (one op each) so that none can rot: a benchmark
# that no longer builds, fails its setup checks or lacks a built-in's config
# fails the build. Takes seconds; prints the output only when it fails.
bench-smoke:
	@out=$$($(WITH_SERVICES) $(GO) test -run '^$$' -bench . -benchtime=1x ./... 2>&1) || { echo "$$out"; exit 1; }; \
	echo "bench-smoke: every benchmark ran once"

# Workload W1 for Weir and its peers in one sitting, with the ratios
# (bench/README.md). About ten minutes; needs ../shared/peerbench for the peers.
bench-w1:
	bash bench/run.sh

# Runs the README's main job: the sample CloudTrail-to-ECS pipeline.
run:
	$(SAMPLE_RUN)

# Runs every fuzz target of the module, one after the other, for FUZZTIME
# each (e.g. make fuzz FUZZTIME=1m). A failing input is written to the
# package's testdata/fuzz, where `go test` replays it from then on.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$t ($(FUZZTIME))"; \
			if out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); then \
				echo "$$out" | grep -E '^fuzz: elapsed' | tail -n 1; \
			else echo "$$out" | tail -n 60; exit 1; fi; \
		done; \
	done
