# webhookguard: verified webhooks from Webex, Qiscus and SignalWire on AWS.
GO        ?= go
FUZZTIME  ?= 3s

.PHONY: test vet unit fuzz-smoke

## test: everything CI runs
test: vet unit fuzz-smoke

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

fuzz-smoke:
	@for t in FuzzParseForm FuzzCandidates FuzzVerifyHeaders FuzzSignVerifyRoundTrip; do \
		$(GO) test ./shared/verify -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) || exit 1; \
	done
