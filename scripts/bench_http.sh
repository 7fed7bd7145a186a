#!/usr/bin/env bash
# Feature-API load benchmark: a store with N gaps (build/bench-data/http-store-N, made once by
# build/bench/http_bench fill), covgapd --http on loopback, then C concurrent clients paging
# /collections/gaps/items (100 features a page, random offsets, gzip, keep-alive) for S seconds.
# Usage: scripts/bench_http.sh [--gaps N] [--clients C] [--seconds S] [--limit L]
#        (defaults: 10000 gaps, 32 clients, 20 s, 100 per page)
# Two runs: pages as clients ask for them (repeated pages come from the page cache), then
# queries no cache can answer (each with a new min_score). Prints, per run, requests/s, latency
# p50/p90/p99/max and errors, then covgapd's peak RSS. The first request (which encodes the
# run's geometries once) is made before the clock starts.
set -euo pipefail
cd "$(dirname "$0")/.."
gaps=10000 clients=32 seconds=20 limit=100
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    --gaps) gaps=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    *) echo "bench_http.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

scripts/deps.sh
build_dir=$(scripts/build.sh | tail -n 1)
cmake --build "$build_dir" --target http_bench >/dev/null
covgapd="$build_dir/server/covgapd/covgapd"
bench="$build_dir/bench/http_bench"
store="build/bench-data/http-store-$gaps"
if [ ! -s "$store/covgap.sqlite" ]; then
  rm -rf "$store"
  mkdir -p build/bench-data
  "$bench" fill "$store" "$gaps" >&2
fi
data=$(mktemp -d /tmp/covgap-httpbench.XXXXXX)
trap 'rm -rf "$data"' EXIT
cp "$store/covgap.sqlite" "$data/"
"$covgapd" --data "$data" --listen 127.0.0.1:0 --port-file "$data/port" --log-level warn \
  --http 127.0.0.1:0 --http-port-file "$data/http" --bootstrap-token-file "$data/token" &
pid=$!
for _ in $(seq 300); do [ -s "$data/http" ] && break; sleep 0.05; done
port=$(cat "$data/http")
token=$(cat "$data/token")
# Warm-up: the run's geometries are encoded on the first request.
"$bench" load "$port" "$token" 1 0.5 "$gaps" "$limit" >/dev/null
result=$("$bench" load "$port" "$token" "$clients" "$seconds" "$gaps" "$limit") || status=$?
echo "$gaps gaps: $result"
result=$("$bench" load "$port" "$token" "$clients" "$seconds" "$gaps" "$limit" distinct) ||
  status=$?
echo "$gaps gaps: $result"
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" || true
echo "covgapd peak RSS $((rss_kb / 1024)) MiB"
exit "${status:-0}"
