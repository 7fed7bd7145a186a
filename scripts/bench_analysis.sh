#!/usr/bin/env bash
# Analysis benchmark: the demo generator's measurements (N each, cached in build/bench-data/)
# loaded into a fresh embedded store, then one analysis — scan, grid, gaps, attribution to the
# real Bắc Giang areas, schools and households, ranking — timed per stage, with peak RSS.
# Each size is stored once (build/bench-data/store-N_1, kept), then analysed in four separate
# processes (so each peak RSS is its own): one piece and tiled (--tile-cells, default 64), each
# with 1 and 2 threads. Equal "gaps digest" values mean identical gaps.
# With --method predicted|hybrid the demo scenario's sites are loaded and the coverage model is
# fitted and predicted (one piece, 1 and 2 threads; the model lines show the fit); --validate
# adds the held-out block cross-validation of the model against the textbook baseline.
# Usage: scripts/bench_analysis.sh [--tile-cells T] [--method M] [--validate] [N ...]
#        (default method binned; default sizes 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
tile=64
method=binned
extra=()
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    --tile-cells) tile=$2; shift 2 ;;
    --method)
      case "${2:-}" in binned|predicted|hybrid) method=$2 ;;
        *) echo "bench_analysis.sh: --method takes binned, predicted or hybrid" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --validate) extra+=(--validate); shift ;;
    -*) echo "bench_analysis.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 10000000)

scripts/deps.sh
build_dir=$(scripts/build.sh | tail -n 1)
mkdir -p build/bench-data
scenario=build/bench-data/scenario
if [ ! -s "$scenario/schools.csv" ]; then
  /usr/bin/python3 scripts/gen_demo.py --out "$scenario" --seed 1 --measurements 1000 >&2
fi
args=(--areas data/bacgiang --schools "$scenario/schools.csv" --households "$scenario/households.csv")
modes=("0 1" "0 2" "$tile 1" "$tile 2")
if [ "$method" != binned ]; then
  args+=(--method "$method" --sites "$scenario/sites.csv" "${extra[@]}")
  modes=("0 1" "0 2")
  [ ${#extra[@]} -gt 0 ] && modes=("0 2")  # the validation refits per fold: once is enough
elif [ ${#extra[@]} -gt 0 ]; then
  echo "bench_analysis.sh: --validate needs --method predicted or hybrid" >&2; exit 2
fi
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
  for mode in "${modes[@]}"; do
    set -- $mode
    "$build_dir/bench/analysis_bench" "${args[@]}" --csv "$csv" --store "$store" \
      --tile-cells "$1" --threads "$2"
  done
done
