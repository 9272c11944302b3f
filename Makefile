# The switch's build, test and run targets. Everything a target needs is
# installed by the target itself (Go modules into ./.bin), so a fresh
# machine with Go, gcc and apt-get is enough.

SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/.bin
STATICCHECK := $(BIN)/staticcheck
FUZZTIME    ?= 2s
PKGS        := ./...

FEED        ?= file

.PHONY: all build run test lint vet staticcheck unit fuzz fuzz-short bench bench-quick bench-go netsim clean

all: build

build:
	$(GO) build $(PKGS)

## run: start the switch on its embedded defaults with the demo portfolio.
## FEED=nats also starts a NATS server with JetStream (nats-server/v2 as a
## process) and publishes the feed to it.
run:
ifeq ($(FEED),nats)
	mkdir -p data/nats
	$(GO) build -o $(BIN)/natsrun ./feed/natsrun
	$(BIN)/natsrun -dir data/nats -port 4222 & pid=$$!; trap "kill $$pid" EXIT INT TERM; \
	  $(GO) run ./cmd/switchd --demo --feed=nats --nats-url=nats://127.0.0.1:4222
else
	$(GO) run ./cmd/switchd --demo
endif

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

## bench: the standard load profile against a freshly started switch;
## writes bench/results/<date>.{json,md}, the plots and latest.*
bench:
	mkdir -p bench/results/tmp
	$(GO) build -o $(BIN)/switchd ./cmd/switchd
	$(GO) build -o $(BIN)/bench ./cmd/bench
	$(BIN)/bench --spawn $(BIN)/switchd --switch-log bench/results/tmp/switchd.log --out bench/results

## bench-quick: the same with 100k cards and short runs.
bench-quick:
	mkdir -p bench/results/tmp
	$(GO) build -o $(BIN)/switchd ./cmd/switchd
	$(GO) build -o $(BIN)/bench ./cmd/bench
	$(BIN)/bench --profile quick --spawn $(BIN)/switchd --switch-log bench/results/tmp/switchd.log --out bench/results

## netsim: the simulator's flow mix and scenarios against a fresh switch.
netsim:
	mkdir -p bench/results/tmp
	$(GO) build -o $(BIN)/switchd ./cmd/switchd
	$(GO) run ./cmd/netsim gen --seed 1 --cards 50000 --out bench/results/tmp/netsim-portfolio.jsonl
	$(GO) run ./cmd/netsim run --spawn $(BIN)/switchd --portfolio bench/results/tmp/netsim-portfolio.jsonl \
		--scenario bench/scenarios/lifecycle.yaml --scenario bench/scenarios/declines.yaml --count 20000

## bench-go: Go benchmarks of the hot paths.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf $(BIN)
