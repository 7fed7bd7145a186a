#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang in build-fuzz/ and runs each for a bounded
# time. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60; docs/importing.md "Fuzzing")
#   Installs clang and libclang-rt-14-dev (libFuzzer) when missing. The committed seeds are copied
#   into build-fuzz/fuzz-work/<target>/corpus, which keeps growing from run to run (delete it to
#   start over). A crash, leak, timeout or OOM is copied to tests/fuzz/regressions/<target>/ and
#   the script exits non-zero naming it; fix it, keep the file: fuzz_regressions_test replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    ''|*[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, got '$arg'" >&2; exit 2 ;;
    *) seconds="$arg" ;;
  esac
done

TARGETS=(measurement_csv importer)  # tests/fuzz/<target>_fuzzer.cpp, corpus/<target>/
BUILD_DIR=build-fuzz
WORK_DIR="$BUILD_DIR/fuzz-work"

# ---- toolchain: the project's packages, then clang and the libFuzzer runtime
scripts/deps.sh
missing=()
for p in clang libclang-rt-14-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "fuzz.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "fuzz.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- build (only the fuzzers; the libraries come instrumented with them)
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCOVGAP_FUZZ=ON -DCOVGAP_BUILD_TESTS=ON -DCOVGAP_BUILD_BENCH=OFF >&2
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${TARGETS[@]/%/_fuzzer}" >&2

# ---- run
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=()
failures=()
for target in "${TARGETS[@]}"; do
  work="$WORK_DIR/$target"
  mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
  rm -f "$work/artifacts/"*
  cp -n tests/fuzz/corpus/"$target"/* "$work/corpus/"
  if [ -d "tests/fuzz/regressions/$target" ]; then
    find "tests/fuzz/regressions/$target" -type f -exec cp -n {} "$work/corpus/" \;
  fi
  dict=()
  [ -f "tests/fuzz/$target.dict" ] && dict=("-dict=tests/fuzz/$target.dict")
  log="$work/fuzz.log"
  echo "fuzz.sh: ${target}_fuzzer for ${seconds}s (log: $log)" >&2
  status=0
  # TMPDIR: the measurement fuzzer's temporary input file stays in the work dir even on a crash.
  TMPDIR="$PWD/$work/tmp" "$BUILD_DIR/tests/fuzz/${target}_fuzzer" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" >"$log" 2>&1 || status=$?

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  coverage=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -n 1 |
             grep -oE '(cov|ft|corp): [0-9]+(/[0-9]+[a-zA-Z]*)?' | paste -sd' ' -)
  summary+=("$(printf '%-16s executions %-10s (%s/s)  %s' "$target" "${execs:-?}" "${rate:-?}" "${coverage:-no coverage line}")")

  if [ "$status" -ne 0 ] || compgen -G "$work/artifacts/*" >/dev/null; then
    mkdir -p "tests/fuzz/regressions/$target"
    found=0
    for artifact in "$work/artifacts/"*; do
      [ -f "$artifact" ] || continue
      case "$(basename "$artifact")" in slow-unit-*) continue ;; esac
      cp "$artifact" "tests/fuzz/regressions/$target/"
      failures+=("tests/fuzz/regressions/$target/$(basename "$artifact")")
      found=1
    done
    if [ "$found" -eq 0 ]; then
      failures+=("$target: libFuzzer exited with $status and left no artifact, see $log")
    fi
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|broken invariant' "$log" \
      | head -n 3 >&2 || true
  fi
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "fuzz.sh: FAILED; inputs saved (replay: $BUILD_DIR/tests/fuzz/<target>_fuzzer FILE):" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
