#!/usr/bin/env bash
# Renders a covgap HTML report to a PNG with headless Chromium (docs/report.md "Checking the
# rendering"): a fixed window (default 900x3600 px, the whole report on one tall page), no
# network (every host unresolvable, a dead proxy), a throw-away profile. --no-sandbox because
# the tests run as root.
# Usage: scripts/render_report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
html=$1
png=$2
size=${3:-900x3600}
[ -f "$html" ] || { echo "render_report.sh: no such file: $html" >&2; exit 2; }
[[ "$size" =~ ^[0-9]+x[0-9]+$ ]] || { echo "render_report.sh: size must be WIDTHxHEIGHT, not $size" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "render_report.sh: chromium is not installed (scripts/deps.sh)" >&2; exit 1; }
profile=$(mktemp -d /tmp/covgap-chromium.XXXXXX)
trap 'rm -rf "$profile"' EXIT
abs_html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
rm -f "$png"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --no-first-run --disable-extensions --disable-sync \
  --disable-background-networking --disable-component-update --disable-default-apps \
  --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="127.0.0.1:9" \
  --window-size="${size/x/,}" --screenshot="$png" "file://$abs_html" \
  > "$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
[ -s "$png" ] || { echo "render_report.sh: chromium wrote no PNG" >&2; cat "$profile/chromium.log" >&2; exit 1; }
