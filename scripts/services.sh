#!/usr/bin/env bash
# Private PostgreSQL and Redis servers for this checkout, one pair per profile.
#
#   scripts/services.sh deps                 install what is missing (apt-get), nothing else
#   scripts/services.sh up     run|test      install, initialise and start both servers
#   scripts/services.sh down   run|test      stop both servers (by PID)
#   scripts/services.sh status run|test      exit 0 when both are up, 3 otherwise
#   scripts/services.sh env    run|test      print `export DATABASE_URL=... REDIS_URL=...` lines
#   scripts/services.sh clean  run|test      stop both servers and delete the profile's data
#
# Profiles: `run` is durable (fsync and synchronous_commit on), `test` trades durability for speed.
# Ports default to 5433/6380 (run) and 5434/6381 (test); PG_PORT and REDIS_PORT override them at
# `up`; `env` and `status` report the ports the running servers actually use.
# Layout: .data/PROFILE/pg is the Postgres data directory (its socket and server.log live in it),
# .data/PROFILE/redis.pid and .data/PROFILE/redis.log belong to Redis.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
data_root="$root/.data"

# Seconds to wait for a server to accept connections, or to exit when asked to stop.
start_timeout_seconds=60
stop_timeout_seconds=30
# A Unix socket path longer than this does not fit in sockaddr_un; Postgres then listens on TCP only.
socket_path_bytes_max=100

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------
# Installation

package_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

# The newest installed PostgreSQL server's bin directory (Debian keeps each major version apart).
find_pg_bin() {
    local dir best="" best_major=0 major
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/psql" ] || continue
        major=${dir#/usr/lib/postgresql/}; major=${major%/bin}
        if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -gt "$best_major" ]; then
            best=$dir; best_major=$major
        fi
    done
    printf '%s' "$best"
}

ensure_packages() {
    local missing=()
    [ -n "$(find_pg_bin)" ] || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    local pkg
    for pkg in libpq-dev libhiredis-dev libssl-dev; do
        package_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or install them yourself"
    command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get to install them"
    say "installing ${missing[*]}"
    # Another apt run on the same machine holds the lock for a while; wait for it rather than fail.
    local apt=(apt-get -q -o DPkg::Lock::Timeout=300)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >/dev/null
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Profile settings

set_profile() {
    profile=${1:-}
    case "$profile" in
        run)  pg_port=${PG_PORT:-5433}; redis_port=${REDIS_PORT:-6380}; database=ledger ;;
        test) pg_port=${PG_PORT:-5434}; redis_port=${REDIS_PORT:-6381}; database=ledger_test ;;
        *) usage ;;
    esac
    profile_dir="$data_root/$profile"
    pg_data="$profile_dir/pg"
    redis_pidfile="$profile_dir/redis.pid"
    redis_logfile="$profile_dir/redis.log"
    set_urls
}

set_urls() {
    database_url="postgresql://ledger@127.0.0.1:$pg_port/$database"
    redis_url="redis://127.0.0.1:$redis_port/0"
}

# A running server's own port wins over PG_PORT/REDIS_PORT, so `env` is right without them.
adopt_running_ports() {
    local pid
    if pid=$(pg_running_pid 2>/dev/null); then pg_port=$(pg_running_port); fi
    if pid=$(redis_running_pid 2>/dev/null); then redis_port=$(redis_running_port "$pid"); fi
    set_urls
}

print_urls() {
    printf 'DATABASE_URL=%s\nREDIS_URL=%s\n' "$database_url" "$redis_url"
}

# True when something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp needs no tools).
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when process $1 is alive and its working directory is $2. Both servers chdir into their
# own directory, so this tells our server from an unrelated process that reused a stale PID.
process_in_dir() {
    local pid=$1 dir=$2
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -d "/proc/$pid" ] || return 1
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$dir" 2>/dev/null && pwd -P)" ]
}

# Prints the PID in pid file $1 when that process is our server running in directory $2. A pid
# file left behind by a crash or a reboot is removed, so that nothing ever signals a stranger.
running_pid() {
    local pidfile=$1 dir=$2 pid
    [ -f "$pidfile" ] || return 1
    pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
    if process_in_dir "$pid" "$dir"; then
        printf '%s' "$pid"
        return 0
    fi
    say "removing stale $pidfile (PID ${pid:-?} is not this server)"
    rm -f "$pidfile"
    return 1
}

as_postgres() {
    # The caller's working directory may be unreadable for postgres (a clone under /root).
    (cd / && runuser -u postgres -- "$@")
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_running_pid() {
    running_pid "$pg_data/postmaster.pid" "$pg_data"
}

# The port of the running postmaster: the fourth line of postmaster.pid.
pg_running_port() {
    sed -n 4p "$pg_data/postmaster.pid" 2>/dev/null
}

# Postgres runs as the postgres user, which must be able to walk down to its data directory.
# A clone under /root (mode 700) or a restrictive umask blocks that; grant search (x) only, never
# read, on each directory in the way.
ensure_traversable() {
    local target=$1 path="" comp comps
    as_postgres test -x "$target" && return 0
    IFS=/ read -ra comps <<<"${target#/}"
    for comp in "${comps[@]}"; do
        path="$path/$comp"
        if ! as_postgres test -x "$path"; then
            say "granting search permission (o+x) on $path so the postgres user can reach its data"
            chmod o+x "$path"
        fi
    done
    as_postgres test -x "$target" || die "the postgres user cannot reach $target"
}

pg_write_config() {
    local socket_dirs="'$pg_data'"
    if [ $(( ${#pg_data} + ${#pg_port} + 10 )) -gt $socket_path_bytes_max ]; then
        say "path too long for a Unix socket; Postgres listens on TCP 127.0.0.1:$pg_port only"
        socket_dirs="''"
    fi
    local durability memory
    if [ "$profile" = test ]; then
        durability="fsync = off
synchronous_commit = off
full_page_writes = off"
        memory="shared_buffers = 256MB"
    else
        durability="fsync = on
synchronous_commit = on
full_page_writes = on"
        # The ledger's indexes are keyed by random ids, so writes touch pages all over them: keep
        # them in Postgres's own cache, and checkpoint less often so that fewer first-touch page
        # images are written to the WAL under load. Commits stay durable.
        memory="shared_buffers = 1GB
max_wal_size = 4GB
checkpoint_timeout = 30min"
    fi
    cat >"$pg_data/ledger.conf" <<EOF
# Written by scripts/services.sh on every 'up' (profile $profile): change the script, not this file.
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = $socket_dirs
max_connections = 200
$memory
max_pred_locks_per_transaction = 256
$durability
EOF
    # Trust, on loopback and the private socket only: these are single-user development servers.
    cat >"$pg_data/pg_hba.conf" <<'EOF'
# Written by scripts/services.sh: trust on loopback and the private Unix socket only.
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
EOF
    chown postgres:postgres "$pg_data/ledger.conf" "$pg_data/pg_hba.conf"
}

pg_init() {
    local pg_bin=$1
    if [ -f "$pg_data/PG_VERSION" ]; then
        local have want
        have=$(cat "$pg_data/PG_VERSION")
        want=${pg_bin#/usr/lib/postgresql/}; want=${want%/bin}
        [ "$have" = "$want" ] || die "$pg_data holds a PostgreSQL $have cluster but $pg_bin is $want; run 'make clean-data'"
        return 0
    fi
    # No PG_VERSION means nothing or a half-made cluster from an interrupted initdb: start afresh.
    rm -rf "$pg_data"
    mkdir -p "$pg_data"
    chown postgres:postgres "$pg_data"
    chmod 700 "$pg_data"
    ensure_traversable "$pg_data"
    say "initialising $pg_data"
    if ! as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --locale=C.UTF-8 --encoding=UTF8 \
            --auth-local=trust --auth-host=trust >"$profile_dir/initdb.log" 2>&1; then
        cat "$profile_dir/initdb.log" >&2
        die "initdb failed"
    fi
    printf "\ninclude 'ledger.conf'\n" >>"$pg_data/postgresql.conf"
}

pg_psql() {
    local pg_bin=$1; shift
    "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"
}

pg_ensure_role_and_database() {
    local pg_bin=$1
    # CREATEROLE: the migrations create the read-only auditor role. CREATEDB: tests make databases.
    pg_psql "$pg_bin" -d postgres <<'EOF'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger') THEN
        CREATE ROLE ledger LOGIN CREATEDB CREATEROLE;
    ELSE
        ALTER ROLE ledger LOGIN CREATEDB CREATEROLE;
    END IF;
    -- The auditor role belongs to the whole cluster. The migration creates it too, but made
    -- here once, before any migration runs, parallel test databases never race to create it.
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger_auditor') THEN
        CREATE ROLE ledger_auditor LOGIN;
    END IF;
END
$$;
EOF
    if [ -z "$(pg_psql "$pg_bin" -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
        pg_psql "$pg_bin" -d postgres -c "CREATE DATABASE $database OWNER ledger"
    fi
}

pg_up() {
    local pg_bin pid
    pg_bin=$(find_pg_bin)
    [ -n "$pg_bin" ] || die "no PostgreSQL server under /usr/lib/postgresql"
    pg_init "$pg_bin"
    ensure_traversable "$pg_data"
    if pid=$(pg_running_pid); then
        local port
        port=$(pg_running_port)
        [ "$port" = "$pg_port" ] || die "postgres ($profile) is already up on port $port, not $pg_port: run 'down' first, or use PG_PORT=$port"
        say "postgres already up (pid $pid)"
    else
        port_in_use "$pg_port" && die "port $pg_port on 127.0.0.1 is taken by another process; stop it or set PG_PORT"
        pg_write_config
        # A crash or reboot leaves the socket and its lock file; the lock's PID may now be anyone's.
        rm -f "$pg_data"/.s.PGSQL.*
        if ! as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t "$start_timeout_seconds" start >/dev/null; then
            tail -n 20 "$pg_data/server.log" >&2 || true
            die "postgres did not start (log: $pg_data/server.log)"
        fi
        say "postgres up on 127.0.0.1:$pg_port ($profile profile, pid $(pg_running_pid))"
    fi
    pg_ensure_role_and_database "$pg_bin"
}

pg_down() {
    local pid pg_bin
    if ! pid=$(pg_running_pid); then
        say "postgres already down"
        return 0
    fi
    pg_bin=$(find_pg_bin)
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t "$stop_timeout_seconds" stop >/dev/null
    say "postgres stopped (pid $pid)"
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_running_pid() {
    running_pid "$redis_pidfile" "$profile_dir"
}

# The port of running redis-server $1, which shows "redis-server 127.0.0.1:PORT" as its title.
redis_running_port() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed -nE 's/.*:([0-9]+).*/\1/p'
}

redis_up() {
    local pid i
    if pid=$(redis_running_pid); then
        local port
        port=$(redis_running_port "$pid")
        [ "$port" = "$redis_port" ] || die "redis ($profile) is already up on port $port, not $redis_port: run 'down' first, or use REDIS_PORT=$port"
        say "redis already up (pid $pid)"
        return 0
    fi
    port_in_use "$redis_port" && die "port $redis_port on 127.0.0.1 is taken by another process; stop it or set REDIS_PORT"
    # Nothing is ever persisted: the ledger keeps its truth in Postgres, Redis only rate limits.
    redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
        --daemonize yes --dir "$profile_dir" --pidfile "$redis_pidfile" --logfile "$redis_logfile"
    # A daemonised redis-server forks before it binds, so its exit code says nothing about the port.
    # The pid file is only read here: while redis writes it, it may briefly be empty.
    for (( i = 0; i < start_timeout_seconds * 10; i++ )); do
        pid=$(head -n 1 "$redis_pidfile" 2>/dev/null || true)
        if process_in_dir "$pid" "$profile_dir" \
                && [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]; then
            say "redis up on 127.0.0.1:$redis_port ($profile profile, pid $pid)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$redis_logfile" >&2 || true
    die "redis did not start (log: $redis_logfile)"
}

redis_down() {
    local pid i
    if ! pid=$(redis_running_pid); then
        say "redis already down"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < stop_timeout_seconds * 10; i++ )); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then
        say "redis (pid $pid) ignored SIGTERM for ${stop_timeout_seconds}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$redis_pidfile"
    say "redis stopped (pid $pid)"
}

# ---------------------------------------------------------------------------------------------

status() {
    local rc=0 pid
    if pid=$(pg_running_pid 2>/dev/null); then
        printf '%s\n' "$profile: postgres up   (pid $pid, 127.0.0.1:$pg_port, data $pg_data)"
    else
        printf '%s\n' "$profile: postgres down"; rc=3
    fi
    if pid=$(redis_running_pid 2>/dev/null); then
        printf '%s\n' "$profile: redis up      (pid $pid, 127.0.0.1:$redis_port)"
    else
        printf '%s\n' "$profile: redis down"; rc=3
    fi
    return $rc
}

command=${1:-}
case "$command" in
    deps)
        ensure_packages
        ;;
    up)
        set_profile "${2:-}"
        ensure_packages
        mkdir -p "$profile_dir"
        pg_up
        redis_up
        print_urls
        ;;
    down)
        set_profile "${2:-}"
        redis_down
        pg_down
        ;;
    status)
        set_profile "${2:-}"
        adopt_running_ports
        status
        ;;
    env)
        set_profile "${2:-}"
        adopt_running_ports
        printf "export DATABASE_URL='%s'\nexport REDIS_URL='%s'\n" "$database_url" "$redis_url"
        ;;
    clean)
        set_profile "${2:-}"
        redis_down
        pg_down
        rm -rf "$profile_dir"
        say "removed $profile_dir"
        ;;
    *)
        usage
        ;;
esac
