#!/usr/bin/env bash
# Format check and clang-tidy (run by scripts/test.sh before the tests; CI runs it on every stop).
#   scripts/lint.sh [--all] [--fix]
# clang-format (.clang-format) checks every tracked C++ file: fast, and style is never partial.
# clang-tidy (.clang-tidy) checks the C++ sources a change touches: the files changed since
# $COVGAP_LINT_BASE (default: the commit before HEAD), plus uncommitted ones; --all checks every
# source (minutes). Generated code (build directories, *.pb.*) is never checked. Needs a
# configured build/ (compile_commands.json); scripts/test.sh builds it first.
# Commit messages since the same base: a subject of at most 72 characters, then a blank line
# and a body that says why (merge commits excepted).
#   --fix   rewrite the files with clang-format instead of failing on them
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
fix=0
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    --fix) fix=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "lint.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done
build_dir=${COVGAP_LINT_BUILD:-build}

mapfile -t sources < <(git ls-files '*.h' '*.cpp' | grep -v '\.pb\.')
if [ "$fix" = 1 ]; then
  clang-format -i "${sources[@]}"
  echo "lint.sh: formatted ${#sources[@]} files"
  exit 0
fi
if ! clang-format --dry-run --Werror "${sources[@]}" 2> /tmp/covgap-format.$$; then
  grep -E '^[^ ].*(warning|error):' /tmp/covgap-format.$$ | cut -d: -f1 | sort -u |
    sed 's/^/  not formatted: /' >&2
  rm -f /tmp/covgap-format.$$
  echo "lint.sh: run scripts/lint.sh --fix (clang-format -i) and commit the result" >&2
  exit 1
fi
rm -f /tmp/covgap-format.$$
echo "lint.sh: format ok (${#sources[@]} files)" >&2

base=${COVGAP_LINT_BASE:-HEAD~1}
git rev-parse -q --verify "$base^{commit}" > /dev/null || base=$(git rev-list --max-parents=0 HEAD)
bad_commits=0
while read -r sha; do
  subject=$(git log -1 --format=%s "$sha")
  body=$(git log -1 --format=%b "$sha" | sed '/^[[:space:]]*$/d')
  if [ ${#subject} -gt 72 ]; then
    echo "  commit ${sha:0:10}: subject of ${#subject} characters (at most 72): $subject" >&2
    bad_commits=1
  fi
  if [ -z "$body" ]; then
    echo "  commit ${sha:0:10}: no body saying why: $subject" >&2
    bad_commits=1
  fi
done < <(git rev-list --no-merges "$base..HEAD")
[ "$bad_commits" = 0 ] || { echo "lint.sh: commit messages need fixing (git commit --amend / rebase)" >&2; exit 1; }
echo "lint.sh: commit messages ok" >&2

if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "lint.sh: no $build_dir/compile_commands.json: run scripts/build.sh first" >&2
  exit 1
fi
if [ "$all" = 1 ]; then
  mapfile -t tidy < <(git ls-files '*.cpp' | grep -v '\.pb\.')
else
  mapfile -t tidy < <({ git diff --name-only --diff-filter=d "$base" -- '*.cpp';
                        git ls-files --others --exclude-standard -- '*.cpp'; } |
                      grep -v '\.pb\.' | sort -u)
fi
# Only files the build compiles (a new file not yet in CMake, or a fuzz target, is skipped).
checked=()
for f in "${tidy[@]}"; do
  grep -q "\"file\": \"$(pwd)/$f\"" "$build_dir/compile_commands.json" && checked+=("$f")
done
if [ ${#checked[@]} -eq 0 ]; then
  echo "lint.sh: clang-tidy: no changed source to check" >&2
  exit 0
fi
echo "lint.sh: clang-tidy on ${#checked[@]} file(s) ..." >&2
failed=0
for f in "${checked[@]}"; do
  if ! out=$(clang-tidy -p "$build_dir" --quiet "$f" 2>/dev/null); then
    printf '%s\n' "$out" | grep -E '(warning|error):' >&2 || printf '%s\n' "$out" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || { echo "lint.sh: clang-tidy found problems (see above)" >&2; exit 1; }
echo "lint.sh: clang-tidy ok" >&2
