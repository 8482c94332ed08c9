#!/usr/bin/env bash
# Validates Specs/openapi.yaml against the OpenAPI specification. The validator comes from PyPI and
# is installed once into .data/venv; later runs reuse it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
spec="$root/Specs/openapi.yaml"
venv="$root/.data/venv"
# Written after a successful install, so an interrupted one is redone rather than trusted.
venv_complete="$venv/.installed"
validator_requirement='openapi-spec-validator==0.9.0'

say() { printf 'check-openapi: %s\n' "$*" >&2; }

if [ ! -f "$spec" ]; then
    say "SKIPPED: $spec does not exist yet"
    exit 0
fi

make_venv() {
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >/dev/null 2>&1
}

if [ ! -f "$venv_complete" ]; then
    say "installing $validator_requirement into $venv"
    if ! make_venv; then
        # Debian's python3 has no ensurepip until python3-venv is installed.
        [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 \
            || { say "error: 'python3 -m venv' failed; install python3-venv"; exit 1; }
        say "installing python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 install -y --no-install-recommends python3-venv >/dev/null
        make_venv || { say "error: 'python3 -m venv' still fails"; exit 1; }
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$validator_requirement"
    touch "$venv_complete"
fi

"$venv/bin/openapi-spec-validator" "$spec"
