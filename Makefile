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
