# webhookguard: verified webhooks from Cisco Webex, Qiscus and SignalWire on
# AWS Lambda. `make help` lists the targets.

SHELL        := /bin/bash
GO           ?= go
FUNCTIONS    := webex qiscus signalwire
# Deployed binaries: linux/arm64 (Graviton), static, no legacy RPC path.
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags '-s -w'
FUZZTIME     ?= 3s
LONGFUZZ     ?= 2m
BENCHTIME    ?= 1s

.PHONY: help build test tools fmt-check vet unit fuzz-smoke lint run events bench fuzz clean \
	build-WebexFunction build-QiscusFunction build-SignalWireFunction

help: ## list the targets
	@grep -E '^[a-zA-Z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 28

## Build ---------------------------------------------------------------------

build: ## build every function into bin/<function>/bootstrap (linux/arm64)
	@for f in $(FUNCTIONS); do \
		echo "build bin/$$f/bootstrap"; \
		$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o bin/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# Targets `sam build` runs for BuildMethod: makefile; SAM sets ARTIFACTS_DIR.
build-WebexFunction: ## sam build target (writes $(ARTIFACTS_DIR)/bootstrap)
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/webex
build-QiscusFunction: ## sam build target
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/qiscus
build-SignalWireFunction: ## sam build target
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/signalwire

## Test ----------------------------------------------------------------------

test: tools fmt-check vet build unit fuzz-smoke lint ## everything CI runs
	@echo "make test: all checks passed"

tools: ## install moto_server and cfn-lint when missing
	@command -v moto_server >/dev/null && command -v cfn-lint >/dev/null || { \
		echo "installing moto[server] and cfn-lint with pip"; \
		python3 -m pip install --quiet 'moto[server]' cfn-lint || { \
			echo "error: moto_server and cfn-lint are needed: pip install 'moto[server]' cfn-lint"; exit 1; }; }
	@$(GO) mod download

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

unit: ## unit, integration (moto_server) and end-to-end tests, race detector on
	CI=$${CI:-1} $(GO) test -race -count=1 ./...

fuzz-smoke: ## run every fuzz target briefly
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test $$pkg -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) >/tmp/fuzz.$$$$.log 2>&1 || { cat /tmp/fuzz.$$$$.log; exit 1; }; \
		done; \
	done

fuzz: ## run every fuzz target for LONGFUZZ each (default 2m)
	@$(MAKE) --no-print-directory fuzz-smoke FUZZTIME=$(LONGFUZZ)

lint: ## cfn-lint the SAM template
	cfn-lint template.yaml

## Run -----------------------------------------------------------------------

run: ## serve the three functions locally (no Docker), with moto_server behind them
	$(GO) run ./cmd/localapi

events: ## write events/*.json and env.json for sam local invoke / start-api
	$(GO) run ./cmd/webhookctl events

bench: build ## run the benchmarks and write bench/REPORT.md (raw output in bench/raw.txt)
	@mkdir -p bench
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./shared/verify ./shared/webhook > bench/raw.txt
	CI=1 $(GO) test -run='^$$' -bench=ColdStart -benchtime=10x ./shared/functest ./functions/... >> bench/raw.txt
	$(GO) run ./cmd/benchreport -bench bench/raw.txt -bin bin > bench/REPORT.md
	@cat bench/REPORT.md

clean: ## remove build outputs
	rm -rf bin .aws-sam
