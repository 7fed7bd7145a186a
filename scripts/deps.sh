#!/usr/bin/env bash
# Installs the Debian 12 packages covgap needs, skipping those present, then the dashboard's
# vendored JavaScript (Leaflet, and playwright-core for its browser test) with `npm ci` in
# server/http/dashboard when node_modules is missing or older than its package-lock.json (the
# build embeds Leaflet from there; nothing is fetched at build, test or run time).
# Usage: scripts/deps.sh [--demo]   (as root, or with sudo available)
#   (default)  everything to build, test and run (tests, benchmarks, PostgreSQL, PostGIS)
#   --demo     only what scripts/demo.sh needs: the build tools and libraries of covgapd and the
#              CLI, the demo generator's Python packages and Chromium for the report's PNG and the
#              dashboard's screenshot
set -euo pipefail

DEMO_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgdal-dev libgeos-dev libproj-dev libeigen3-dev libnanoflann-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsqlite3-dev libssl-dev libicu-dev libpq-dev libcpp-httplib-dev zlib1g-dev
  prometheus-cpp-dev
  python3 python3-numpy python3-shapely python3-pyproj
  chromium
)
TEST_PACKAGES=(
  git gdal-bin openssl sqlite3
  postgresql-15 postgresql-15-postgis-3
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy
  python3-grpcio python3-qgis
)

case "${1:-}" in
  --demo) PACKAGES=("${DEMO_PACKAGES[@]}") ;;
  "") PACKAGES=("${DEMO_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "deps.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm (with Node.js) only when there is none: another installation is as good.
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The dashboard's JavaScript, exactly as package-lock.json pins it (versions and integrity
# hashes). The lock file's hash is kept in node_modules to tell when it changed.
dashboard="$(dirname "$0")/../server/http/dashboard"
lock_hash=$(sha256sum "$dashboard/package-lock.json" | cut -d' ' -f1)
stamp="$dashboard/node_modules/.covgap-lock-sha256"
if [ ! -f "$dashboard/node_modules/leaflet/dist/leaflet.js" ] ||
   [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  echo "deps.sh: npm ci in server/http/dashboard (Leaflet, playwright-core)" >&2
  (cd "$dashboard" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  echo "$lock_hash" > "$stamp"
fi
