#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb in DIR, a free port on
# 127.0.0.1 only, its unix socket in DIR, fsync on. Prints the admin conninfo (a URI).
# Usage: scripts/pg_cluster.sh start DIR    (DIR must not exist or be empty)
#        scripts/pg_cluster.sh stop DIR     (stops the cluster and removes DIR)
# PostgreSQL refuses to run as root: as root, the cluster runs as the user `postgres`.
set -euo pipefail

usage() { sed -n '2,6p' "$0" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "pg_cluster.sh: no PostgreSQL server found under /usr/lib/postgresql: install" \
    "postgresql-15 and postgresql-15-postgis-3 (scripts/deps.sh)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -n "$(ls -A "$dir")" ]; then
      echo "pg_cluster.sh: $dir is not empty" >&2
      exit 1
    fi
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_owner "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
          -c fsync=on -c synchronous_commit=on -c max_connections=200 \
          -c shared_buffers=256MB -c max_wal_size=2GB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
