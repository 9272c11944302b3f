# The switch's build, test and run targets. Everything a target needs is
# installed by the target itself (Go modules into ./.bin), so a fresh
# machine with Go, gcc and apt-get is enough.

SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/.bin
STATICCHECK := $(BIN)/staticcheck
FUZZTIME    ?= 3s
PKGS        := ./...

.PHONY: all build run test lint vet staticcheck unit fuzz fuzz-short bench clean

all: build

build:
	$(GO) build $(PKGS)

## run: start the switch on its embedded defaults with the demo portfolio.
run:
	$(GO) run ./cmd/switchd --demo

## test: vet, staticcheck, the race-enabled tests and a short fuzz pass.
test: lint unit fuzz-short

lint: vet staticcheck

vet:
	$(GO) vet $(PKGS)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 8m $(PKGS)

## fuzz-short: every fuzz target for $(FUZZTIME) (make test); fuzz: longer.
fuzz-short:
	FUZZTIME=$(FUZZTIME) ./.ci/fuzz.sh

fuzz:
	FUZZTIME=60s ./.ci/fuzz.sh

## bench: Go benchmarks of the hot paths.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf $(BIN)
