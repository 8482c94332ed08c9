# The two commands: `make run` serves the ledger on 127.0.0.1:8080, `make test` runs every test.
# Both install what is missing and start their own Postgres and Redis (see scripts/services.sh).

SHELL := /bin/bash

SWIFT ?= swift
CONFIG ?= debug
SWIFT_BUILD_FLAGS ?= -c $(CONFIG)
# Which private server pair services-up/-down/-status act on: run or test.
PROFILE ?= run
# `make test FILTER=LedgerCoreTests` runs only the matching tests.
FILTER ?=
# `make proptest SEED=42 ITERATIONS=1000` replays or deepens the property tests.
SEED ?=
ITERATIONS ?=

export SWIFT SWIFT_BUILD_FLAGS

.PHONY: help deps build run test proptest migrate services-up services-down services-status clean-data

help:
	@echo 'make run              serve on 127.0.0.1:8080 (private Postgres 5433, Redis 6380)'
	@echo 'make test             every test (private Postgres 5434, Redis 6381, stopped afterwards)'
	@echo 'make proptest SEED=n ITERATIONS=n   the property tests only'
	@echo 'make build            swift build ($(SWIFT_BUILD_FLAGS))'
	@echo 'make migrate          apply the migrations (run profile unless DATABASE_URL is set)'
	@echo 'make services-up|services-down|services-status PROFILE=run|test'
	@echo 'make clean-data       stop every private server and delete .data/'

deps:
	@scripts/services.sh deps

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

run:
	@scripts/run.sh

test:
	@scripts/test.sh $(if $(FILTER),--filter '$(FILTER)')

proptest:
	@$(if $(SEED),PROPTEST_SEED='$(SEED)') $(if $(ITERATIONS),PROPTEST_ITERATIONS='$(ITERATIONS)') \
		scripts/test.sh --filter Propert

migrate: deps
	@if [ -z "$$DATABASE_URL" ]; then \
		scripts/services.sh up run >/dev/null && eval "$$(scripts/services.sh env run)"; \
	fi && \
	$(SWIFT) run $(SWIFT_BUILD_FLAGS) ledger migrate

services-up:
	@scripts/services.sh up $(PROFILE)

services-down:
	@scripts/services.sh down $(PROFILE)

services-status:
	@scripts/services.sh status $(PROFILE)

clean-data:
	@scripts/services.sh down run
	@scripts/services.sh down test
	rm -rf .data

# ==============================================================================================
# loadtest / bench — appended block (PRODUCT.md §7). Everything the two targets need is below.
#
#   make loadtest   a 30 s run of one scenario against a release ledgerd on the run profile's
#                   Postgres and Redis; reports in .data/loadtest/ (report.json, report.html)
#   make bench      uniform and hot at 1/16/64 connections (15 s each) plus batch; reports and
#                   summary.txt in .data/bench/
#
# Both build with `swift build -c release`, migrate, make an API key with `ledger keys create`,
# start ledgerd on 127.0.0.1:$(LOADTEST_PORT) in the background (PID in ledgerd.pid next to the
# reports) and always stop it at the end. Exit status: 0 when every books check passed.
# Knobs: LOADTEST_SCENARIO, LOADTEST_DURATION, LOADTEST_CONCURRENCY, LOADTEST_ARGS (more flags
# for every loadtest run), LOADTEST_PORT, BENCH_DURATION, LOADTEST_KEY_FLAGS (the key's limits).
# ==============================================================================================

LOADTEST_PORT ?= 8090
LOADTEST_SCENARIO ?= uniform
LOADTEST_DURATION ?= 30s
LOADTEST_CONCURRENCY ?= 16
LOADTEST_ARGS ?=
BENCH_DURATION ?= 15s
# The key's own rate limit would otherwise be what a run measures.
LOADTEST_KEY_FLAGS ?= --rate 1000000 --burst 1000000

.PHONY: loadtest bench

loadtest:
	@LOADTEST_MODE=loadtest bash -c "$$LOADTEST_SCRIPT"

bench:
	@LOADTEST_MODE=bench bash -c "$$LOADTEST_SCRIPT"

# The shell script both targets run. It is kept verbatim ($(value ...)), so it reads as bash.
define LOADTEST_SCRIPT_TEXT
set -euo pipefail
say() { printf '%s: %s\n' "$LOADTEST_MODE" "$*" >&2; }
swift_cmd=${SWIFT:-swift}
out="$PWD/.data/$LOADTEST_MODE"
mkdir -p "$out"

if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
    scripts/services.sh deps
else
    scripts/services.sh up run >/dev/null
    eval "$(scripts/services.sh env run)"
fi
export DATABASE_URL REDIS_URL

say "building (release)"
"$swift_cmd" build -c release
bin=$("$swift_cmd" build -c release --show-bin-path)
"$bin/ledger" migrate >/dev/null
read -r -a key_flags <<<"${LOADTEST_KEY_FLAGS:-}"
created=$("$bin/ledger" keys create --name loadtest --scopes accounts:write,transfers:write,read,audit "${key_flags[@]}")
key=${created%%$'\n'*}
[[ "$key" =~ ^[^[:space:]]+$ ]] || { say "ledger keys create printed no key on its first line"; exit 2; }

if (exec 3<>"/dev/tcp/127.0.0.1/$LOADTEST_PORT") 2>/dev/null; then
    say "port $LOADTEST_PORT is taken; set LOADTEST_PORT"; exit 2
fi
LEDGER_HOST=127.0.0.1 LEDGER_PORT=$LOADTEST_PORT LEDGER_LOG_LEVEL=${LEDGER_LOG_LEVEL:-warning} \
    "$bin/ledgerd" >"$out/ledgerd.log" 2>&1 &
pid=$!
echo "$pid" >"$out/ledgerd.pid"
stop_ledgerd() {
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$out/ledgerd.pid"
}
trap stop_ledgerd EXIT

url="http://127.0.0.1:$LOADTEST_PORT"
for attempt in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { say "ledgerd exited; its log:"; tail -n 20 "$out/ledgerd.log" >&2; exit 2; }
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break
    elif (exec 3<>"/dev/tcp/127.0.0.1/$LOADTEST_PORT") 2>/dev/null; then
        break
    fi
    [ "$attempt" -lt 600 ] || { say "ledgerd not ready after 60 s"; exit 2; }
    sleep 0.1
done

common=(--url "$url" --api-key "$key" --database-url "$DATABASE_URL")
read -r -a extra <<<"${LOADTEST_ARGS:-}"
if [ "$LOADTEST_MODE" = loadtest ]; then
    "$bin/loadtest" "${common[@]}" --scenario "$LOADTEST_SCENARIO" --duration "$LOADTEST_DURATION" \
        --concurrency "$LOADTEST_CONCURRENCY" --json "$out/report.json" --html "$out/report.html" "${extra[@]}"
    say "reports: $out/report.json $out/report.html"
    exit 0
fi

status=0
reports=()
run_one() {
    local name=$1; shift
    say "$name"
    "$bin/loadtest" "${common[@]}" --quiet --duration "$BENCH_DURATION" \
        --json "$out/$name.json" --html "$out/$name.html" "$@" "${extra[@]}" >"$out/$name.txt" || status=1
    tail -n 1 "$out/$name.txt" >&2
    reports+=("$out/$name.json")
}
for scenario in uniform hot; do
    for connections in 1 16 64; do
        run_one "$scenario-c$connections" --scenario "$scenario" --concurrency "$connections"
    done
done
run_one "batch-c16" --scenario batch --concurrency 16 --batch-size 100
"$bin/loadtest" --summarize "${reports[@]}" | tee "$out/summary.txt"
say "reports and summary.txt in $out"
exit "$status"
endef
export LOADTEST_SCRIPT := $(value LOADTEST_SCRIPT_TEXT)
export LOADTEST_PORT LOADTEST_SCENARIO LOADTEST_DURATION LOADTEST_CONCURRENCY LOADTEST_ARGS BENCH_DURATION LOADTEST_KEY_FLAGS
# ==============================================================================================
# end of the loadtest / bench block
# ==============================================================================================
