#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the hub's integration tests (and bench:hub).
# Installs Debian's postgresql when missing, initialises a cluster owned by user postgres in a temp
# folder, starts it on 127.0.0.1:$HALLMARK_PG_PORT (default 55432), creates database hallmark_test and
# prints its URL on the last line. Reuses a cluster already answering on that port. `postgres.sh stop` stops it.
# Tests take the URL from HALLMARK_TEST_DATABASE_URL and create a schema of their own per run.
set -euo pipefail
PORT="${HALLMARK_PG_PORT:-55432}"
DIR="${HALLMARK_PG_DIR:-${TMPDIR:-/tmp}/hallmark-pg-$PORT}"
URL="postgres://postgres@127.0.0.1:$PORT/hallmark_test"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  echo "installing Debian's postgresql" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
BIN="$(bindir)"
as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
  else "$@"  # a developer's own user owns its cluster
  fi
}
if [ "${1:-}" = stop ]; then
  [ -f "$DIR/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null || true
  exit 0
fi
PGUSER_NAME=postgres
[ "$(id -u)" = 0 ] || [ "$(id -un)" = postgres ] || { PGUSER_NAME="$(id -un)"; URL="postgres://$PGUSER_NAME@127.0.0.1:$PORT/hallmark_test"; }

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  if [ ! -f "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_pg "$BIN/initdb" -D "$DIR" -U "$PGUSER_NAME" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # No unix socket in a system folder we may not own; loopback TCP only; small and fast (fsync off: test data).
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$DIR' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
fi
"$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U "$PGUSER_NAME" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='hallmark_test'" | grep -q 1 \
  || "$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U "$PGUSER_NAME" -d postgres -c "CREATE DATABASE hallmark_test" >/dev/null
echo "$URL"
