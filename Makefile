# redoflow build targets. Every target says what it does; see README.md.
GO       ?= go
FUZZTIME ?= 30s
BENCHTIME ?= 1s
BENCHCOUNT ?= 6

.PHONY: build test test-integration fuzz bench lint tidy

## build: compile every package
build:
	$(GO) build ./...

## test: the whole suite with the race detector (this is what CI runs)
test:
	$(GO) test -race -count=1 -shuffle=on -timeout 30m ./...

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

## bench: run the micro-benchmarks (no timing is ever asserted in tests)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./... | tee bench.out

## lint: go vet, gofmt and staticcheck must all be clean
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...
