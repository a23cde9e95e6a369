# Meshwork — run `make help` for the targets.
GO      ?= go
BIN     ?= bin/mesh
SCALE   ?= 1

.PHONY: help build test lint bench demo fuzz clean

help: ## show this help
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: ## build the mesh binary into bin/
	$(GO) build -o $(BIN) ./cmd/mesh

test: ## run the tests with the race detector (the README's test command)
	$(GO) test -race ./...

lint: ## go vet and golangci-lint
	$(GO) vet ./...
	golangci-lint run ./...

bench: build ## run the benchmark at SCALE (default 1) and write docs/benchmarks.md
	$(BIN) bench --scale $(SCALE) --out docs/benchmarks.md

demo: ## serve the demo mesh on http://127.0.0.1:8080
	$(GO) run ./cmd/mesh serve --demo

fuzz: ## fuzz the spec parser and the SQL guard for a minute each
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./internal/spec/
	$(GO) test -run '^$$' -fuzz FuzzGuard -fuzztime 60s ./internal/query/

clean: ## remove build output and the local data directory
	rm -rf bin mesh-data
