# `make test` is the single entry point CI uses (see .ci/run).
GO ?= go
SAMPLE_RUN = $(GO) run ./cmd/weir run -config testdata/sample/pipeline.json testdata/sample/cloudtrail.ndjson

.PHONY: test fmt vet race bench run

test: fmt vet race

# Fails listing the files gofmt would change.
fmt:
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$files" ]; then echo "gofmt would change these files:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Runs the README's main job: the sample CloudTrail-to-ECS pipeline.
run:
	$(SAMPLE_RUN)
