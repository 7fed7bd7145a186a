#!/usr/bin/env bash
# Configures (once) and builds covgap. Usage: scripts/build.sh [--sanitize] [BUILD_DIR]
#   --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build (default dir build-asan)
# Prints the build directory on stdout's last line.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir=""
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=ON ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) build_dir="$arg" ;;
  esac
done
if [ -z "$build_dir" ]; then
  if [ "$sanitize" = ON ]; then build_dir=build-asan; else build_dir=build; fi
fi

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCOVGAP_SANITIZE="$sanitize" -DCOVGAP_WERROR=ON >&2
fi
cmake --build "$build_dir" -j "$(nproc)" >&2
echo "$build_dir"
