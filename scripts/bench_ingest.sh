#!/usr/bin/env bash
# Ingestion benchmark: N generated measurements through the covgap CLI into a fresh covgapd
# (embedded SQLite store, durable commits), end to end on loopback.
# Usage: scripts/bench_ingest.sh [N ...]      (default: 1000000)
# Prints, per N: rows/s end to end, per-call acknowledgement latency (p50/p90/p99/max), covgapd's
# peak RSS and the store size. Generated CSVs are cached in build/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && { sed -n '2,6p' "$0"; exit 0; }
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000)

scripts/deps.sh
build_dir=$(scripts/build.sh | tail -n 1)
covgapd="$build_dir/server/covgapd/covgapd"
covgap="$build_dir/server/cli/covgap"
mkdir -p build/bench-data

for n in "${sizes[@]}"; do
  csv="build/bench-data/measurements-$n.csv"
  if [ ! -s "$csv" ]; then
    echo "generating $n measurements ..." >&2
    tmp=$(mktemp -d)
    /usr/bin/python3 scripts/gen_demo.py --out "$tmp" --seed 1 --measurements "$n" >&2
    mv "$tmp/measurements.csv" "$csv"
    rm -rf "$tmp"
  fi
  data=$(mktemp -d /tmp/covgap-bench.XXXXXX)
  "$covgapd" --data "$data" --listen 127.0.0.1:0 --port-file "$data/port" --log-level warn \
    --bootstrap-token-file "$data/authority.token" &
  pid=$!
  for _ in $(seq 300); do [ -s "$data/port" ] && break; sleep 0.05; done
  port=$(cat "$data/port")
  result=$("$covgap" --server "127.0.0.1:$port" --token-file "$data/authority.token" ingest "$csv" --json)
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  store_mb=$(du -sm "$data" | cut -f1)
  rm -rf "$data"
  /usr/bin/python3 - "$n" "$rss_kb" "$store_mb" "$result" <<'PY'
import json, sys
n, rss_kb, store_mb, doc = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
lat = doc["call_latency_ms"]
print(f"ingest {n:>10,} rows: {doc['rows_per_second']:>10,.0f} rows/s end to end "
      f"({doc['seconds']:.2f} s, accepted {doc['accepted']:,}, rejected {doc['rejected']:,}); "
      f"ack latency per call of {doc['rows'] // max(doc['calls'], 1):,} rows: "
      f"p50 {lat['p50']:.0f} ms, p90 {lat['p90']:.0f} ms, p99 {lat['p99']:.0f} ms, "
      f"max {lat['max']:.0f} ms; covgapd peak RSS {rss_kb / 1024:.0f} MiB; store {store_mb} MiB")
PY
done
