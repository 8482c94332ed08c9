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
#   make bench      uniform and hot at 1/16/64 connections (15 s each) plus batch, with random
#                   and with time-ordered ids; reports and summary.txt in .data/bench/. Without
#                   DATABASE_URL it runs on a database made fresh for it (ledger_bench), as the
#                   baselines' pgbench scripts do.
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
    if [ "$LOADTEST_MODE" = bench ]; then
        # The baselines' pgbench scripts start from fresh tables, and so does the bench: on the
        # run profile's books, each run would inherit every earlier run's rows and the figures
        # would drift down from run to run. FORCE ends sessions an interrupted run left behind.
        base=${DATABASE_URL%/*}
        psql -X -q -v ON_ERROR_STOP=1 -d "$base/postgres" \
            -c "DROP DATABASE IF EXISTS ledger_bench WITH (FORCE)" -c "CREATE DATABASE ledger_bench"
        DATABASE_URL="$base/ledger_bench"
        say "fresh database ledger_bench on the run profile's server"
    fi
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
# The same with ids that grow with time, as clients are advised to send: new transfers and
# entries then land at the right edge of their id indexes instead of on random pages.
run_one "batch-c16-ordered" --scenario batch --concurrency 16 --batch-size 100 --ids time-ordered
"$bin/loadtest" --summarize "${reports[@]}" | tee "$out/summary.txt"
say "reports and summary.txt in $out"
exit "$status"
endef
export LOADTEST_SCRIPT := $(value LOADTEST_SCRIPT_TEXT)
export LOADTEST_PORT LOADTEST_SCENARIO LOADTEST_DURATION LOADTEST_CONCURRENCY LOADTEST_ARGS BENCH_DURATION LOADTEST_KEY_FLAGS
# ==============================================================================================
# end of the loadtest / bench block
# ==============================================================================================

# ==== bench-statement (LedgerAudit) ===========================================================
# `make bench-statement` exports a statement of BENCH_STATEMENT_ENTRIES entries in every format
# with the release `ledger` and reports wall time and peak RSS (/usr/bin/time -v, or VmHWM from
# /proc/self/status where it is missing). The entries are seeded once, through the committer,
# into the database ledger_bench_statement on DATABASE_URL's server (the `run` profile's server
# when DATABASE_URL is unset) by a test that runs only when asked. Files go to BENCH_STATEMENT_DIR.
BENCH_STATEMENT_ENTRIES ?= 1000000
BENCH_STATEMENT_FORMATS ?= csv json camt053
BENCH_STATEMENT_DIR ?= .build/bench-statement

.PHONY: bench-statement
bench-statement: deps
	@set -euo pipefail; \
	if [ -z "$${DATABASE_URL:-}" ]; then \
		scripts/services.sh up run >/dev/null && eval "$$(scripts/services.sh env run)"; \
	fi; \
	export DATABASE_URL; \
	dir='$(BENCH_STATEMENT_DIR)'; mkdir -p "$$dir"; \
	echo "bench-statement: seeding $(BENCH_STATEMENT_ENTRIES) entries through the committer (once per database)" >&2; \
	$(SWIFT) build --build-tests >"$$dir/build.log" 2>&1 || { tail -30 "$$dir/build.log" >&2; exit 1; }; \
	LEDGER_BENCH_STATEMENT_ENTRIES='$(BENCH_STATEMENT_ENTRIES)' LEDGER_BENCH_URL_FILE="$$dir/url" \
		$(SWIFT) test --skip-build --filter StatementBenchmark >"$$dir/seed.log" 2>&1 \
		|| { tail -30 "$$dir/seed.log" >&2; exit 1; }; \
	url=$$(cat "$$dir/url"); \
	$(SWIFT) build -c release --product ledger >>"$$dir/build.log" 2>&1 || { tail -30 "$$dir/build.log" >&2; exit 1; }; \
	ledger="$$($(SWIFT) build -c release --show-bin-path)/ledger"; \
	for format in $(BENCH_STATEMENT_FORMATS); do \
		file="$$dir/statement.$$format"; [ "$$format" = camt053 ] && file="$$dir/statement.camt053.xml"; \
		args=(statement --database-url "$$url" --account bench:statement:wallet --from 2000-01-01 --to 2999-12-31 \
			--format "$$format" --output "$$file"); \
		log="$$dir/time.$$format"; \
		if [ -x /usr/bin/time ]; then \
			echo "+ /usr/bin/time -v $$ledger $${args[*]}" >&2; \
			/usr/bin/time -v "$$ledger" "$${args[@]}" 2>"$$log" || { cat "$$log" >&2; exit 1; }; \
			wall=$$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$$log"); \
			rss_kb=$$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$$log"); \
		else \
			echo "+ $$ledger $${args[*]} --report-peak-memory" >&2; \
			start=$$(date +%s%N); \
			"$$ledger" "$${args[@]}" --report-peak-memory 2>"$$log" || { cat "$$log" >&2; exit 1; }; \
			wall="$$(( ($$(date +%s%N) - start) / 1000000 )) ms"; \
			rss_kb=$$(sed -n 's/.*peak RSS \([0-9]*\) kB.*/\1/p' "$$log"); \
		fi; \
		entries=$$(sed -n 's/^ledger statement: \([0-9]*\) entries.*/\1/p' "$$log"); \
		bytes=$$(stat -c %s "$$file"); \
		printf 'bench-statement: %-8s %s entries  wall %s  peak RSS %s MiB  %s bytes written\n' \
			"$$format" "$$entries" "$$wall" "$$(awk -v k="$$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')" "$$bytes"; \
	done
# ==== end bench-statement =====================================================================
