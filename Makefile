# redoflow build targets. Every target says what it does; see README.md.
GO       ?= go
FUZZTIME ?= 30s
# BENCHFLAGS: flags of internal/benchreport, e.g. -quick for a reduced run
BENCHFLAGS ?=

.PHONY: build test test-integration fuzz bench lint tidy

## build: compile every package
build:
	$(GO) build ./...

# NORACE_PKGS: packages with tests built only without the race detector
# (files tagged //go:build !race, each saying why); make test runs them in a
# second pass so that they run in CI too.
NORACE_PKGS = ./oraclesim/tns

## test: the whole suite with the race detector, then the race-free pass (this is what CI runs)
test:
	$(GO) test -race -count=1 -shuffle=on -timeout 30m ./...
	$(GO) test -count=1 -timeout 10m -run 'TestCancelRunningCall' $(NORACE_PKGS)

## test-integration: only the tests that start real processes (ZooKeeper, the simulator's listener)
test-integration:
	$(GO) test -race -count=1 -timeout 30m -run 'Integration' ./...

## fuzz: run every fuzz target for FUZZTIME each (crashers land in testdata/fuzz/)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: run the whole benchmark suite (about 15 minutes on 2 cores) and rewrite
## docs/benchmarks.md from its output; the raw output lands in bench.out.
## No timing is ever asserted in tests: benchmarks stay out of make test.
bench:
	@bash -o pipefail -c '$(GO) run ./internal/benchreport -out docs/benchmarks.md $(BENCHFLAGS) 2>&1 | tee bench.out'

## lint: go vet, gofmt and staticcheck must all be clean
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...
