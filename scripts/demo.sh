#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, starts covgapd on a temporary
# data directory (embedded store), generates the Bắc Giang demo scenario, ingests it, imports the
# real boundaries and the scenario's schools, households and sites, runs the gap analysis, prints
# the top 10 gaps, an operator's to-do list and the schools without signal, takes one gap through
# its life cycle (plan, clear, verification by a re-measurement), writes the progress report
# (table, HTML rendered to PNG, CSV) and the GIS exports to ./out/, screenshots the browser
# dashboard (covgapd --http; its URL with the token is printed) to out/dashboard.png and stops
# the server.
# Usage: scripts/demo.sh [--seed N] [--measurements N] [--keep] [--serve]
#   --keep   leave covgapd's data directory in place (its path is printed)
#   --serve  keep covgapd and its dashboard running at the end, until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."

seed=42
measurements=300000
keep=0
serve=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --measurements) measurements=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --serve) serve=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }

step "dependencies and build"
scripts/deps.sh --demo
build_dir=$(scripts/build.sh --demo | tail -n 1)
covgapd="$build_dir/server/covgapd/covgapd"
covgap="$build_dir/server/cli/covgap"

out=out
scenario="$out/scenario"
stamp="seed=$seed measurements=$measurements gen=$(sha256sum scripts/gen_demo.py | cut -c1-16)"
mkdir -p "$scenario"
if [ "$(cat "$scenario/.stamp" 2>/dev/null)" != "$stamp" ]; then
  step "generating the Bắc Giang demo scenario (seed $seed, $measurements measurements)"
  /usr/bin/python3 scripts/gen_demo.py --out "$scenario" --seed "$seed" \
    --measurements "$measurements" --invalid 12
  echo "$stamp" > "$scenario/.stamp"
else
  step "demo scenario up to date in $scenario (seed $seed)"
fi

step "starting covgapd (gRPC, and HTTP for the dashboard and the OGC API)"
data=$(mktemp -d /tmp/covgap-demo.XXXXXX)
# The dashboard on 127.0.0.1:8080 when that port is free, else on a port covgapd picks.
http_address=127.0.0.1:0
if /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 8080))' \
     2>/dev/null; then
  http_address=127.0.0.1:8080
fi
"$covgapd" --data "$data" --listen 127.0.0.1:0 --port-file "$data/port" \
  --http "$http_address" --http-port-file "$data/http_port" --deadline 2021-12-20 \
  --bootstrap-token-file "$data/authority.token" 2> "$out/covgapd.log" &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ "$keep" = 1 ]; then echo "data directory kept: $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT
for _ in $(seq 200); do [ -s "$data/port" ] && [ -s "$data/http_port" ] && break; sleep 0.05; done
[ -s "$data/http_port" ] || { echo "covgapd did not start; see $out/covgapd.log" >&2; exit 1; }
server="127.0.0.1:$(cat "$data/port")"
export COVGAP_TOKEN_FILE="$data/authority.token"   # the authority token covgapd created
# as_of: the progress figures as of the demo's day, like the report below.
dashboard="http://127.0.0.1:$(cat "$data/http_port")/?as_of=2021-12-12&token=$(cat "$data/authority.token")"
echo "covgapd serving on $server, data in $data (log: $out/covgapd.log)"
echo "dashboard (authority): $dashboard"

step "ingesting measurements ($scenario/measurements.csv)"
"$covgap" --server "$server" ingest "$scenario/measurements.csv" --rejects "$out/rejects.csv"

step "ingesting the same file again (nothing changes: every row is a duplicate)"
"$covgap" --server "$server" ingest "$scenario/measurements.csv"

step "measurements per operator and technology"
"$covgap" --server "$server" stats

step "importing the Bắc Giang boundaries (province, districts, 2009 communes), schools, households"
"$covgap" --server "$server" import areas data/bacgiang/province.geojson --level province
"$covgap" --server "$server" import areas data/bacgiang/districts.geojson --level district
"$covgap" --server "$server" import areas data/bacgiang/communes.geojson --level commune
"$covgap" --server "$server" import schools "$scenario/schools.csv"
"$covgap" --server "$server" import households "$scenario/households.csv"

step "importing the operators' sites (base stations), and the last of them"
"$covgap" --server "$server" import sites "$scenario/sites.csv"
"$covgap" --server "$server" sites | tail -n 3

step "gap analysis (hybrid: measured cells as measured, the calibrated prediction elsewhere; 100 m cells, as of 2021-12-01)"
"$covgap" --server "$server" analyse --as-of 2021-12-01T00:00:00Z

step "how good is the prediction? 5-fold block cross-validation (2 km blocks), Viettel"
"$covgap" --server "$server" validate --operator viettel --as-of 2021-12-01T00:00:00Z

step "where Viettel should measure next (LTE, 60 km budget): the most uncertain schools and cells"
"$covgap" --server "$server" campaign --operator viettel --tech LTE --budget-km 60 \
  --as-of 2021-12-01T00:00:00Z | head -n 12
"$covgap" --server "$server" campaign --operator viettel --tech LTE --budget-km 60 \
  --as-of 2021-12-01T00:00:00Z --format geojson -o "$out/campaign-viettel-lte.geojson"

step "top 10 gaps to clear first"
"$covgap" --server "$server" gaps --limit 10

step "Viettel's to-do list: the common gaps (no operator covers) first, then its own LTE gaps"
"$covgap" --server "$server" gaps --operator viettel --tech LTE --limit 8

step "schools in white zones (no operator good indoors, 10 dB margin), Lục Ngạn district"
"$covgap" --server "$server" schools --district "Lục Ngạn" --uncovered | tail -n 12

step "life cycle: Viettel plans and clears its top LTE gap; the authority verifies by re-measurement"
"$covgap" --server "$server" token create --role operator:viettel --label "demo Viettel" --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' > "$data/viettel.token"
gap=$("$covgap" --server "$server" gaps --operator viettel --only-own --tech LTE --limit 1 --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["gaps"][0]["gap_id"])')
viettel=(--server "$server" --token-file "$data/viettel.token")
"$covgap" "${viettel[@]}" gap plan "$gap" --action "Trạm BTS mới / new 4G site" --target 2021-12-15
"$covgap" "${viettel[@]}" gap clear "$gap" --note "site on air" --date 2021-12-10
"$covgap" --server "$server" verify "$gap"     # no measurement after the clearance yet
"$covgap" --server "$server" export --format geojson --operator viettel -o "$data/viettel.geojson"
/usr/bin/python3 scripts/demo_remeasure.py "$data/viettel.geojson" "$gap" \
  --time 2021-12-12T03:00:00Z --dbm -88 --out "$out/remeasure.csv"
"$covgap" "${viettel[@]}" ingest "$out/remeasure.csv"
"$covgap" --server "$server" verify "$gap"     # the drive test after the clearance decides
"$covgap" --server "$server" gap history "$gap"

step "progress report for the Chairman: deadline 2021-12-20, as of 2021-12-12"
"$covgap" --server "$server" report --deadline 2021-12-20 --as-of 2021-12-12
"$covgap" --server "$server" report --deadline 2021-12-20 --as-of 2021-12-12 --format html \
  -o "$out/report.html"
"$covgap" --server "$server" report --deadline 2021-12-20 --as-of 2021-12-12 --format csv \
  -o "$out/report.csv"
scripts/render_report.sh "$out/report.html" "$out/report.png"
echo "rendered with headless Chromium: $out/report.png"

step "the browser dashboard: screenshot with headless Chromium (nothing fetched but covgapd)"
node tests/e2e/dashboard_check.mjs --mode screenshot --url "$dashboard" \
  --screenshot "$out/dashboard.png" > /dev/null
echo "dashboard (authority): $dashboard"
echo "screenshot: $out/dashboard.png"

step "exports for QGIS/ArcGIS"
for f in shp:zip gpkg:gpkg geojson:geojson csv:csv kml:kml; do
  "$covgap" --server "$server" export --format "${f%%:*}" -o "$out/gaps.${f#*:}"
done
"$covgap" --server "$server" export --format gpkg --crs EPSG:9214 -o "$out/gaps-vn2000.gpkg"
"$covgap" --server "$server" export --format tif --layer p_good --operator viettel --tech LTE \
  --as-of 2021-12-01T00:00:00Z -o "$out/viettel-lte-p_good.tif"

echo
echo "rejected rows with their reasons: $out/rejects.csv"
echo "scenario files (sites, schools, households): $scenario/"
echo "progress report: $out/report.html (print it: A4), $out/report.csv, $out/report.png"
echo "gap layers: $out/gaps.zip (Shapefile), $out/gaps.gpkg, $out/gaps.geojson, $out/gaps.csv, $out/gaps.kml, $out/gaps-vn2000.gpkg"
echo "coverage raster (P(good), Viettel LTE): $out/viettel-lte-p_good.tif; drive-test plan: $out/campaign-viettel-lte.geojson"
echo "dashboard screenshot: $out/dashboard.png"
if [ "$serve" = 1 ]; then
  echo
  echo "dashboard (authority): $dashboard"
  echo "  Viettel's: ${dashboard%%\?*}?token=$(cat "$data/viettel.token")"
  echo "serving until Ctrl-C"
  wait "$pid" || true
fi
