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
