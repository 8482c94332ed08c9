#!/usr/bin/env bash
# `make run`: starts the private `run` profile Postgres and Redis (unless DATABASE_URL and
# REDIS_URL are both set), builds, migrates, makes a development API key once, and then becomes
# ledgerd. The servers stay up afterwards; `make services-down` stops them.
#
# SWIFT (default swift) and SWIFT_BUILD_FLAGS (e.g. `-c release`) come from the Makefile.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"
swift=${SWIFT:-swift}
read -ra build_flags <<<"${SWIFT_BUILD_FLAGS:-}"

key_file="$root/.data/run/dev-api-key"
key_scopes='accounts:write,transfers:write,read,audit'

say() { printf 'run: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
    scripts/services.sh deps
    say "using DATABASE_URL and REDIS_URL from the environment"
else
    # Whichever of the two the caller did set is kept; the other comes from the run profile.
    given_database_url=${DATABASE_URL:-}
    given_redis_url=${REDIS_URL:-}
    scripts/services.sh up run
    eval "$(scripts/services.sh env run)"
    [ -n "$given_database_url" ] && DATABASE_URL=$given_database_url
    [ -n "$given_redis_url" ] && REDIS_URL=$given_redis_url
fi
export DATABASE_URL REDIS_URL
export LEDGER_HOST=${LEDGER_HOST:-127.0.0.1}
export LEDGER_PORT=${LEDGER_PORT:-8080}

# Only the two binaries this needs: the load-test harness has dependencies of its own.
"$swift" build "${build_flags[@]}" --product ledger
"$swift" build "${build_flags[@]}" --product ledgerd
bin_dir=$("$swift" build "${build_flags[@]}" --show-bin-path)

"$bin_dir/ledger" migrate

if [ ! -s "$key_file" ]; then
    mkdir -p "$(dirname "$key_file")"
    created=$("$bin_dir/ledger" keys create --name dev --scopes "$key_scopes")
    # The secret is alone on the first line; whatever follows is for people.
    key=${created%%$'\n'*}
    [[ "$key" =~ ^[^[:space:]]+$ ]] || die "'ledger keys create' printed no key on its first line: '$key'"
    (umask 077 && printf '%s\n' "$key" >"$key_file.tmp")
    mv "$key_file.tmp" "$key_file"
    chmod 600 "$key_file"
    say "created a development API key (scopes $key_scopes) in $key_file"
fi
key=$(head -n 1 "$key_file")

case "$LEDGER_HOST" in
    0.0.0.0|::|'[::]') curl_host=127.0.0.1 ;;
    *:*) curl_host="[$LEDGER_HOST]" ;;
    *) curl_host=$LEDGER_HOST ;;
esac
cat <<EOF

Development API key (in .data/run/dev-api-key, scopes $key_scopes):
  $key
Try it:
  curl -s -H "Authorization: Bearer $key" http://$curl_host:$LEDGER_PORT/v1/accounts

EOF

exec "$bin_dir/ledgerd"
