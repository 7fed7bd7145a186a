#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the whole test suite (ctest).
# Usage: scripts/test.sh [--sanitize] [--no-lint] [extra ctest arguments]
#   --sanitize   run the suite from the ASan+UBSan build (build-asan/) instead of build/
#   --no-lint    skip scripts/lint.sh (format check of every file, clang-tidy of the changed ones);
#                otherwise a lint failure fails the run, after the tests have run
# Starts a throwaway PostgreSQL cluster (scripts/pg_cluster.sh) for the PostgreSQL store tests
# and stops it afterwards, unless COVGAP_TEST_PG names one already.
set -euo pipefail
cd "$(dirname "$0")/.."

build_args=()
ctest_args=()
lint=1
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_args+=(--sanitize) ;;
    --no-lint) lint=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) ctest_args+=("$arg") ;;
  esac
done

scripts/deps.sh
build_dir=$(scripts/build.sh "${build_args[@]}" | tail -n 1)
lint_status=0
if [ "$lint" = 1 ]; then
  COVGAP_LINT_BUILD="$build_dir" scripts/lint.sh || lint_status=$?
fi
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
if [ "$lint_status" != 0 ]; then
  echo "test.sh: the tests passed but scripts/lint.sh failed (see above)" >&2
  exit "$lint_status"
fi
