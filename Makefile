# webhookguard: verified webhooks from Cisco Webex, Qiscus and SignalWire on
# AWS Lambda. `make help` lists the targets.

SHELL        := /bin/bash
GO           ?= go
# Every folder under functions/ is a function of template.yaml. Its logical
# id is its name without dashes, in any case, followed by Function:
# functions/signalwire is SignalWireFunction, functions/webex-rotation
# WebexRotationFunction. Adding a function needs no change here.
FUNCTIONS    := $(notdir $(patsubst %/,%,$(wildcard functions/*/)))
# Deployed binaries: linux/arm64 (Graviton), static, no legacy RPC path.
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -buildvcs=false -ldflags '-s -w'
# make run: the address moto_server listens on. 0.0.0.0 lets containers
# (sam local on Linux) reach it; see the README.
MOTO_HOST    ?= 127.0.0.1
# moto_server and cfn-lint (with the SAM translator the template test uses)
# come from the system when it has them, else from the virtual environment
# make tools creates here (PEP 668: nothing is installed into the system's
# Python). Its commands come first on the PATH of every recipe.
VENV         := .venv
ifeq ($(OS),Windows_NT)
VENV_BIN     := $(VENV)/Scripts
else
VENV_BIN     := $(VENV)/bin
endif
export PATH  := $(CURDIR)/$(VENV_BIN):$(PATH)
# fuzz-smoke runs each target for a count of inputs, not a wall-clock time:
# a time budget races go test's fuzz coordinator at its deadline and can
# fail a target that found nothing ("context deadline exceeded").
FUZZTIME     ?= 3000x
LONGFUZZ     ?= 2m
BENCHTIME    ?= 1s
# Cold starts per function (each against a start of the floor) in make bench.
COLDSTARTS   ?= 30

.PHONY: help build test tools fmt-check vet unit fuzz-smoke lint run events bench fuzz clean

help: ## list the targets
	@grep -E '^[a-zA-Z%-]+:.*## ' "$(strip $(MAKEFILE_LIST))" | sed 's/:.*## /\t/' | expand -t 28

## Build ---------------------------------------------------------------------

build: ## build every function into bin/<folder>/bootstrap (linux/arm64)
	@for pkg in $(FUNCTIONS); do \
		echo "build bin/$$pkg/bootstrap"; \
		$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "bin/$$pkg/bootstrap" "./functions/$$pkg" || exit 1; \
	done

# sam build runs build-<LogicalId> (BuildMethod: makefile) with ARTIFACTS_DIR
# in the environment (make build-X ARTIFACTS_DIR=... puts it there too). The
# recipe reads it from the shell, quoted, so that a path with spaces or
# quotes arrives whole.
build-%: ## sam build target: build-<LogicalId> writes $(ARTIFACTS_DIR)/bootstrap
	@id='$*'; want=$$(printf '%s' "$${id%Function}" | tr 'A-Z' 'a-z'); pkg=; \
	for f in $(FUNCTIONS); do [ "$$(printf '%s' "$$f" | tr -d -)" = "$$want" ] && pkg=$$f; done; \
	if [ -z "$$pkg" ]; then echo "no folder under functions/ for $*" >&2; exit 1; fi; \
	if [ -z "$${ARTIFACTS_DIR:-}" ]; then echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; fi; \
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$$ARTIFACTS_DIR/bootstrap" "./functions/$$pkg"

## Test ----------------------------------------------------------------------

test: tools fmt-check vet build unit fuzz-smoke lint ## everything CI runs
	@echo "make test: all checks passed"

tools: ## moto_server and cfn-lint: the system's, else installed once into .venv
	@if command -v moto_server >/dev/null && command -v cfn-lint >/dev/null; then :; else \
		echo "installing moto[server] and cfn-lint into $(VENV) (python3 -m venv; needs PyPI)"; \
		if [ ! -d "$(VENV)" ]; then python3 -m venv "$(VENV)" || { \
			echo "error: python3 -m venv failed (Debian/Ubuntu: sudo apt install python3-venv)" >&2; exit 1; }; fi; \
		"$(VENV_BIN)/python" -m pip install --quiet 'moto[server]' cfn-lint || { \
			echo "error: moto_server and cfn-lint are needed; see the README (Run it and test it)" >&2; exit 1; }; \
	fi
	@$(GO) mod download

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

unit: ## unit, integration (moto_server) and end-to-end tests, race detector on
	CI=$${CI:-1} $(GO) test -race -count=1 ./...

# Each run's output goes to a temporary file, shown only on failure and
# removed however the recipe ends.
fuzz-smoke: ## run every fuzz target briefly
	@log=$$(mktemp) || exit 1; trap 'rm -f "$$log"' EXIT; \
	for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test $$pkg -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) >"$$log" 2>&1 || { cat "$$log"; exit 1; }; \
		done; \
	done

fuzz: ## run every fuzz target for LONGFUZZ each (default 2m)
	@$(MAKE) --no-print-directory fuzz-smoke FUZZTIME=$(LONGFUZZ)

lint: ## cfn-lint the SAM templates: the main one (the template test in internal/project checks what it produces) and the examples'
	cfn-lint template.yaml examples/*/template.yaml

## Run -----------------------------------------------------------------------

# Flags go through ARGS: make run ARGS="-bot -envelopes -addr 127.0.0.1:4000".
# go run ./cmd/localapi -h lists them.
run: ## serve the functions on http://127.0.0.1:8080 (no Docker), with moto_server behind them; ARGS=... passes flags
	$(GO) run ./cmd/localapi -moto-host '$(MOTO_HOST)' $(ARGS)

events: ## write events/*.json and env.json for sam local invoke / start-api
	$(GO) run ./cmd/webhookctl events

# make bench writes its report under BENCH_DIR, ignored by git, so a run
# leaves the tracked files as they were; make bench BENCH_DIR=bench
# refreshes the committed report the README quotes.
BENCH_DIR    ?= .bench

bench: build ## run the benchmarks; write $(BENCH_DIR)/REPORT.md and raw.txt (BENCH_DIR=bench: the committed report)
	@mkdir -p '$(BENCH_DIR)'
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./shared/verify ./shared/webhook > '$(BENCH_DIR)/raw.txt'
	CI=1 $(GO) test -run='^$$' -bench=ColdStart -benchtime=$(COLDSTARTS)x -timeout=30m ./internal/testenv/functest >> '$(BENCH_DIR)/raw.txt'
	$(GO) run ./cmd/benchreport -bench '$(BENCH_DIR)/raw.txt' -bin bin > '$(BENCH_DIR)/REPORT.md'
	@cat '$(BENCH_DIR)/REPORT.md'

clean: ## remove build outputs (not .venv)
	rm -rf bin .aws-sam
