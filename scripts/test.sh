#!/usr/bin/env bash
# `make test`: every test against a private Postgres and Redis (the `test` profile of
# scripts/services.sh), started from an empty cluster and always stopped at the end, also when a
# step fails or the run is interrupted. The exit code is the tests' own.
#
#   scripts/test.sh                  build, run every test, validate Specs/openapi.yaml and run
#                                    the load generator's self-test
#   scripts/test.sh ARGS...          build, run `swift test --skip-build ARGS...` only
#
# SWIFT (default swift) and SWIFT_BUILD_FLAGS (e.g. `-c release`) come from the Makefile.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
swift=${SWIFT:-swift}
read -ra build_flags <<<"${SWIFT_BUILD_FLAGS:-}"

say() { printf 'test: %s\n' "$*" >&2; }

stop_services() {
    local rc=$?
    # A second Ctrl-C must not cut the shutdown short and leave servers behind.
    trap '' INT TERM HUP
    scripts/services.sh down test || rc=$(( rc == 0 ? 1 : rc ))
    exit "$rc"
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Each run starts from an empty cluster, so nothing a previous run left behind can matter.
scripts/services.sh clean test
scripts/services.sh up test
eval "$(scripts/services.sh env test)"

if [ -z "${LEDGER_TEST_SCHEMA_XSD:-}" ]; then
    for xsd in "$root/../shared/camt.053.001.08.xsd" "$root/Specs/camt.053.001.08.xsd"; do
        if [ -f "$xsd" ]; then
            LEDGER_TEST_SCHEMA_XSD="$(cd "$(dirname "$xsd")" && pwd -P)/$(basename "$xsd")"
            export LEDGER_TEST_SCHEMA_XSD
            break
        fi
    done
    [ -n "${LEDGER_TEST_SCHEMA_XSD:-}" ] || say "no camt.053.001.08.xsd in ../shared or Specs; LEDGER_TEST_SCHEMA_XSD is unset"
fi

"$swift" build "${build_flags[@]}" --build-tests
LEDGER_BIN_DIR=$("$swift" build "${build_flags[@]}" --show-bin-path)
export LEDGER_BIN_DIR

tests_rc=0
"$swift" test "${build_flags[@]}" --skip-build "$@" || tests_rc=$?

openapi_rc=0
harness_rc=0
if [ $# -eq 0 ]; then
    scripts/check-openapi.sh || openapi_rc=$?
    # The load generator's own checks: its plans, ids, books check and reports (no server needed).
    "$LEDGER_BIN_DIR/loadtest" --self-test || harness_rc=$?
fi

if [ "$tests_rc" -ne 0 ]; then
    say "swift test failed (exit $tests_rc)"
    exit "$tests_rc"
fi
if [ "$openapi_rc" -ne 0 ]; then
    say "Specs/openapi.yaml is not a valid OpenAPI document"
    exit "$openapi_rc"
fi
if [ "$harness_rc" -ne 0 ]; then
    say "loadtest --self-test failed (exit $harness_rc)"
    exit "$harness_rc"
fi
