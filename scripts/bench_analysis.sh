#!/usr/bin/env bash
# Analysis benchmark: the demo generator's measurements (N each, cached in build/bench-data/)
# loaded into a fresh embedded store, then one analysis — scan, grid, gaps, attribution to the
# real Bắc Giang areas, schools and households, ranking — timed per stage, with peak RSS.
# Each size is stored once (build/bench-data/store-N_1, kept), then analysed in four separate
# processes (so each peak RSS is its own): one piece and tiled (--tile-cells, default 64), each
# with 1 and 2 threads. Equal "gaps digest" values mean identical gaps.
# Usage: scripts/bench_analysis.sh [--tile-cells T] [N ...]   (default: 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && { sed -n '2,9p' "$0"; exit 0; }
tile=64
if [ "${1:-}" = "--tile-cells" ]; then tile=$2; shift 2; fi
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 10000000)

scripts/deps.sh
build_dir=$(scripts/build.sh | tail -n 1)
mkdir -p build/bench-data
scenario=build/bench-data/scenario
if [ ! -s "$scenario/schools.csv" ]; then
  /usr/bin/python3 scripts/gen_demo.py --out "$scenario" --seed 1 --measurements 1000 >&2
fi
args=(--areas data/bacgiang --schools "$scenario/schools.csv" --households "$scenario/households.csv")
for n in "${sizes[@]}"; do
  csv="build/bench-data/measurements-$n.csv"
  if [ ! -s "$csv" ]; then
    echo "generating $n measurements ..." >&2
    tmp=$(mktemp -d)
    /usr/bin/python3 scripts/gen_demo.py --out "$tmp" --seed 1 --measurements "$n" >&2
    mv "$tmp/measurements.csv" "$csv"
    rm -rf "$tmp"
  fi
  store="build/bench-data/store-$n"
  "$build_dir/bench/analysis_bench" "${args[@]}" --csv "$csv" --store "$store" --fill-only
  for mode in "0 1" "0 2" "$tile 1" "$tile 2"; do
    set -- $mode
    "$build_dir/bench/analysis_bench" "${args[@]}" --csv "$csv" --store "$store" \
      --tile-cells "$1" --threads "$2"
  done
done
