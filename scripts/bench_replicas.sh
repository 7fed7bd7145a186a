#!/usr/bin/env bash
# Replica benchmark: ingestion rate and analysis time, embedded store vs PostgreSQL with one and
# with two covgapd replicas (two CLIs ingesting the two halves of the file into two replicas at
# once), end to end through covgapd and the covgap CLI on loopback; peak RSS of each covgapd.
# Usage: scripts/bench_replicas.sh [--store postgresql://...] [N ...]   (default N: 1000000)
# Without --store a throwaway cluster is started with scripts/pg_cluster.sh (stopped at the end).
# Every PostgreSQL measurement runs on a fresh database (created and dropped here). Generated
# CSVs are cached in build/bench-data/ (the same files as scripts/bench_ingest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { sed -n '2,8p' "$0"; }
store=""
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --store) [ $# -ge 2 ] || { echo "bench_replicas.sh: --store needs a postgresql:// URL" >&2; exit 2; }
             store="$2"; shift 2 ;;
    --store=*) store="${1#--store=}"; shift ;;
    -*) echo "bench_replicas.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ "$1" =~ ^[0-9]+$ ]] || { echo "bench_replicas.sh: N must be a number, got '$1'" >&2; exit 2; }
       sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000)
if [ -n "$store" ] && [[ ! "$store" =~ ^postgres(ql)?:// ]]; then
  echo "bench_replicas.sh: --store must be a postgresql:// URL, got '$store'" >&2; exit 2
fi

scripts/deps.sh
build_dir=$(scripts/build.sh | tail -n 1)
covgapd="$build_dir/server/covgapd/covgapd"
covgap="$build_dir/server/cli/covgap"
mkdir -p build/bench-data
work=$(mktemp -d /tmp/covgap-bench-replicas.XXXXXX)
chmod 755 "$work"  # pg_cluster.sh runs the cluster as `postgres` when we are root
cluster=""
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$cluster" ]; then scripts/pg_cluster.sh stop "$cluster" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$store" ]; then
  [ -x scripts/pg_cluster.sh ] || { echo "bench_replicas.sh: scripts/pg_cluster.sh is missing; give --store postgresql://..." >&2; exit 1; }
  cluster="$work/cluster"
  store=$(scripts/pg_cluster.sh start "$cluster" | grep -E '^postgres(ql)?://' | tail -n 1)
  [ -n "$store" ] || { echo "bench_replicas.sh: scripts/pg_cluster.sh start printed no postgresql:// URL" >&2; exit 1; }
fi
token="cgp_bench000_$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$token" > "$work/token"

# A database URL: $store with its database name replaced.
db_url() { /usr/bin/python3 -c 'import sys, urllib.parse as u; s = u.urlsplit(sys.argv[1]); print(u.urlunsplit((s.scheme, s.netloc, "/" + sys.argv[2], s.query, s.fragment)))' "$store" "$1"; }

# start_daemon NAME STORE_ARGS... -> sets $port; appends the pid to pids
start_daemon() {
  local name=$1; shift
  rm -f "$work/$name.port"
  "$covgapd" "$@" --listen 127.0.0.1:0 --port-file "$work/$name.port" --log-level warn \
    --bootstrap-token-file "$work/token" 2>>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 600); do [ -s "$work/$name.port" ] && break; sleep 0.05; done
  [ -s "$work/$name.port" ] || { echo "covgapd $name did not start:" >&2; tail -n 20 "$work/$name.log" >&2; exit 1; }
  port=$(cat "$work/$name.port")
}
rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
stop_all() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }
ingest() { "$covgap" --server "127.0.0.1:$1" --token-file "$work/token" ingest "$2" --json; }
analyse() { "$covgap" --server "127.0.0.1:$1" --token-file "$work/token" analyse --as-of 2021-12-01T00:00:00Z --json; }
now() { date +%s.%N; }
# The real areas and the generated schools and households, as scripts/bench_analysis.sh uses.
scenario=build/bench-data/scenario
if [ ! -s "$scenario/schools.csv" ]; then
  /usr/bin/python3 scripts/gen_demo.py --out "$scenario" --seed 1 --measurements 1000 >&2
fi
registry() {
  local c=("$covgap" --server "127.0.0.1:$1" --token-file "$work/token")
  "${c[@]}" import areas data/bacgiang/province.geojson --level province >/dev/null
  "${c[@]}" import areas data/bacgiang/districts.geojson --level district >/dev/null
  "${c[@]}" import areas data/bacgiang/communes.geojson --level commune >/dev/null
  "${c[@]}" import schools "$scenario/schools.csv" >/dev/null
  "${c[@]}" import households "$scenario/households.csv" >/dev/null
}

report() {  # label n seconds analysis_json rss...
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
label, n, secs, analysis = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
rss = " + ".join(f"{r} MiB" for r in sys.argv[5:])
stages = ", ".join(f"{k} {v:.2f}" for k, v in analysis["stages"].items())
print(f"{label:<28} {n:>11,} rows: ingest {n / secs:>10,.0f} rows/s ({secs:.1f} s); "
      f"analysis {analysis['seconds']:.2f} s ({stages}); {analysis['gaps']} gaps; peak RSS {rss}")
PY
}

for n in "${sizes[@]}"; do
  csv="build/bench-data/measurements-$n.csv"
  if [ ! -s "$csv" ]; then
    echo "generating $n measurements ..." >&2
    tmp=$(mktemp -d)
    /usr/bin/python3 scripts/gen_demo.py --out "$tmp" --seed 1 --measurements "$n" >&2
    mv "$tmp/measurements.csv" "$csv"
    rm -rf "$tmp"
  fi
  half=$(( (n + 1) / 2 ))
  awk -v h="$half" -v f1="$work/half1.csv" -v f2="$work/half2.csv" \
    'NR == 1 { print > f1; print > f2; next } NR - 1 <= h { print > f1; next } { print > f2 }' "$csv"

  # Embedded store, one covgapd.
  rm -rf "$work/data"
  start_daemon embedded --data "$work/data"
  t0=$(now); ingest "$port" "$csv" >/dev/null; t1=$(now)
  registry "$port"
  a=$(analyse "$port")
  report "embedded (SQLite)" "$n" "$(echo "$t1 - $t0" | bc)" "$a" "$(rss_mib "${pids[0]}")"
  stop_all

  # PostgreSQL, one replica.
  db="covgap_bench_$$_1"
  psql -X -q -d "$store" -c "CREATE DATABASE $db" >/dev/null
  start_daemon pg1 --store "$(db_url "$db")" --data "$work/scratch1"
  t0=$(now); ingest "$port" "$csv" >/dev/null; t1=$(now)
  registry "$port"
  a=$(analyse "$port")
  report "PostgreSQL, 1 replica" "$n" "$(echo "$t1 - $t0" | bc)" "$a" "$(rss_mib "${pids[0]}")"
  stop_all
  psql -X -q -d "$store" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null

  # PostgreSQL, two replicas, two CLIs at once (one half each).
  db="covgap_bench_$$_2"
  psql -X -q -d "$store" -c "CREATE DATABASE $db" >/dev/null
  start_daemon pg2a --store "$(db_url "$db")" --data "$work/scratch2a"; port_a=$port
  start_daemon pg2b --store "$(db_url "$db")" --data "$work/scratch2b"; port_b=$port
  t0=$(now)
  ingest "$port_a" "$work/half1.csv" >"$work/i1.json" & i1=$!
  ingest "$port_b" "$work/half2.csv" >"$work/i2.json" & i2=$!
  wait "$i1"; wait "$i2"
  t1=$(now)
  stored=$("$covgap" --server "127.0.0.1:$port_b" --token-file "$work/token" stats --json |
           /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
  [ "$stored" -eq "$n" ] || { echo "two replicas stored $stored rows, expected $n" >&2; exit 1; }
  registry "$port_a"
  a=$(analyse "$port_a")
  report "PostgreSQL, 2 replicas" "$n" "$(echo "$t1 - $t0" | bc)" "$a" \
    "$(rss_mib "${pids[0]}")" "$(rss_mib "${pids[1]}")"
  stop_all
  psql -X -q -d "$store" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
done
