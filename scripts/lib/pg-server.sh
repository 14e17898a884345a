# shellcheck shell=bash
# A throwaway PostgreSQL server on loopback for the tests (sourced by scripts/test and the
# replica scripts). start_test_postgres finds Debian's postgresql binaries, creates a cluster
# in a temporary directory (as the `postgres` user when run as root: initdb refuses root),
# starts it on 127.0.0.1 on a free port with trust authentication for a `papertide` role, and
# exports PAPERTIDE_TEST_POSTGRES (the admin URL the tests create their databases from). The
# server is stopped and its directory removed when the calling shell exits.

pg_bin_dir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Runs a command as the postgres user when we are root, else as ourselves.
as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_test_postgres() {
  local bin
  bin="$(pg_bin_dir)" || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
  PG_TEST_DIR="$(mktemp -d /tmp/papertide-pg.XXXXXX)"
  chmod 755 "$PG_TEST_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_TEST_DIR"
  PG_TEST_PORT="$(free_port)"
  as_pg_user "$bin/initdb" -D "$PG_TEST_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { cat "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  # Tests trade durability for speed; PG_TEST_DURABLE=1 (benchmarks) keeps the defaults.
  local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ -n "${PG_TEST_DURABLE:-}" ] && fast=""
  as_pg_user "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c max_connections=300 $fast" \
    start >/dev/null || { cat "$PG_TEST_DIR/server.log" >&2; return 1; }
  PG_TEST_BIN="$bin"
  trap stop_test_postgres EXIT
  "$bin/psql" -q -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d postgres \
    -c "CREATE ROLE papertide LOGIN CREATEDB" >/dev/null
  export PAPERTIDE_TEST_POSTGRES="postgres://papertide@127.0.0.1:$PG_TEST_PORT/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$PG_TEST_PORT"
}

stop_test_postgres() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  as_pg_user "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
  PG_TEST_DIR=""
}
