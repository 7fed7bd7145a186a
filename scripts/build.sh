#!/usr/bin/env bash
# Configures (once) and builds covgap. Usage: scripts/build.sh [--sanitize] [--demo] [BUILD_DIR]
#   --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build (default dir build-asan)
#   --demo       only covgapd and the CLI (what scripts/demo.sh runs); a new build directory is
#                configured without tests and benchmarks, an existing one keeps them configured
# Without --demo everything is built, tests and benchmarks included (a directory configured by
# --demo is reconfigured with them). Prints the build directory on stdout's last line.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
demo=0
build_dir=""
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=ON ;;
    --demo) demo=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    -*) echo "build.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) build_dir="$arg" ;;
  esac
done
if [ -z "$build_dir" ]; then
  if [ "$sanitize" = ON ]; then build_dir=build-asan; else build_dir=build; fi
fi

configure() {
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCOVGAP_SANITIZE="$sanitize" -DCOVGAP_WERROR=ON "$@" >&2
}
if [ "$demo" = 1 ]; then
  [ -f "$build_dir/build.ninja" ] || configure -DCOVGAP_BUILD_TESTS=OFF -DCOVGAP_BUILD_BENCH=OFF
  cmake --build "$build_dir" -j "$(nproc)" --target covgapd covgap >&2
else
  if [ ! -f "$build_dir/build.ninja" ] ||
     grep -Eq '^COVGAP_BUILD_(TESTS|BENCH):BOOL=OFF' "$build_dir/CMakeCache.txt"; then
    configure -DCOVGAP_BUILD_TESTS=ON -DCOVGAP_BUILD_BENCH=ON
  fi
  cmake --build "$build_dir" -j "$(nproc)" >&2
fi
echo "$build_dir"
