#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the whole test suite (ctest).
# Usage: scripts/test.sh [--sanitize] [extra ctest arguments]
#   --sanitize   run the suite from the ASan+UBSan build (build-asan/) instead of build/
# Starts a throwaway PostgreSQL cluster (scripts/pg_cluster.sh) for the PostgreSQL store tests
# and stops it afterwards, unless COVGAP_TEST_PG names one already.
set -euo pipefail
cd "$(dirname "$0")/.."

build_args=()
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_args+=(--sanitize) ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) ctest_args+=("$arg") ;;
  esac
done

scripts/deps.sh
build_dir=$(scripts/build.sh "${build_args[@]}" | tail -n 1)
if [ -z "${COVGAP_TEST_PG:-}" ]; then
  pg_dir=$(mktemp -d /tmp/covgap-pg.XXXXXX)
  root=$(pwd)
  trap '"$root/scripts/pg_cluster.sh" stop "$pg_dir"' EXIT
  COVGAP_TEST_PG=$(scripts/pg_cluster.sh start "$pg_dir")
  export COVGAP_TEST_PG
  echo "test.sh: PostgreSQL test cluster at $COVGAP_TEST_PG" >&2
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" "${ctest_args[@]}"
