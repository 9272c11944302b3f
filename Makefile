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

.PHONY: all build run test lint vet staticcheck unit fuzz fuzz-short bench bench-quick bench-go netsim \
	soak ledger-soak portfolio-1m rules-10m clean

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

# The end-to-end tests that run switchd as a process share one binary,
# built after vet has compiled its packages.
unit:
	$(GO) build -o $(BIN)/switchd ./cmd/switchd
	AUTHSWITCH_SWITCHD=$(BIN)/switchd $(GO) test -race -count=1 -timeout 8m $(PKGS)

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

## soak: the long checks that do not fit make test's ten minutes.
soak: ledger-soak portfolio-1m

## ledger-soak: 10^6 random ledger steps with restarts, 100 SIGKILL rounds,
## memory per account at 10M accounts (~5.5 GB), restart time at 1M accounts.
ledger-soak:
	LEDGER_RANDOM_STEPS=1000000 $(GO) test -count=1 -run TestRandomSequence -timeout 30m ./ledger
	LEDGER_CRASH_ROUNDS=100 $(GO) test -count=1 -run 'TestCrash$$' -timeout 30m ./ledger
	LEDGER_MEMORY_ACCOUNTS=10000000 $(GO) test -count=1 -run TestMemoryPerAccount -v -timeout 30m ./ledger
	LEDGER_RESTART_ACCOUNTS=1000000 $(GO) test -count=1 -run TestRestartTime -v -timeout 30m ./ledger

## portfolio-1m: load a million-card portfolio and report time and memory.
portfolio-1m:
	RULES_PORTFOLIO_1M=1 $(GO) test -count=1 -run TestLoadMillionCards -v -timeout 20m ./rules/

## rules-10m: the decision's cost at 10M cards against 1k (~8 min, 4 GB).
rules-10m:
	RULES_BENCH_10M=1 $(GO) test -run '^$$' -bench PortfolioSize -benchtime 300000x -timeout 2h ./rules/

clean:
	rm -rf $(BIN)
