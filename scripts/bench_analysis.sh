#!/usr/bin/env bash
# Analysis benchmark: the demo generator's measurements (N each, cached in build/bench-data/)
# loaded into a fresh embedded store, then one analysis — scan, grid, gaps, attribution to the
# real Bắc Giang areas, schools and households, ranking — timed per stage, with peak RSS.
# Usage: scripts/bench_analysis.sh [N ...]      (default: 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && { sed -n '2,6p' "$0"; exit 0; }
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
  args+=(--csv "$csv")
done
"$build_dir/bench/analysis_bench" "${args[@]}"
