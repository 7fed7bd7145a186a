#!/usr/bin/python3
"""Writes a re-measurement drive test over one gap, for the demo's verification step.

After an operator marks a gap cleared, only measurements taken after the clearance can verify it
(docs/gaps.md "Life cycle and verification"). This reads the gap from a GeoJSON export of covgap
(EPSG:4326), and writes a measurement CSV (the native format of docs/ingestion.md) with a drive
test over the gap: N samples per 100 m x 100 m cell on a regular grid inside the gap's polygons,
at the given signal level, taken at the given time.

Usage: demo_remeasure.py GAPS.geojson GAP_ID --time 2021-12-12T03:00:00Z --dbm -85 --out F.csv
"""
import argparse
import csv
import json
import math
import sys

from shapely.geometry import Point, shape


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("geojson", help="a covgap GeoJSON export in EPSG:4326 that contains the gap")
    ap.add_argument("gap_id")
    ap.add_argument("--time", required=True, help="UTC time of the drive test, ISO 8601")
    ap.add_argument("--dbm", type=int, default=-85, help="signal level to record (default -85)")
    ap.add_argument("--per-cell", type=int, default=3, help="samples per 100 m cell (default 3)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.geojson, encoding="utf-8") as f:
        features = json.load(f)["features"]
    gap = next((x for x in features if x["properties"].get("gap_id") == args.gap_id), None)
    if gap is None:
        sys.exit(f"demo_remeasure.py: no gap {args.gap_id} in {args.geojson}")
    props = gap["properties"]
    if not props.get("operator"):
        sys.exit(f"demo_remeasure.py: {args.gap_id} is a common gap; pick an operator's gap")
    geom = shape(gap["geometry"])
    minx, miny, maxx, maxy = geom.bounds
    lat0 = (miny + maxy) / 2
    step_lat = 100 / 111320 / 2  # half a cell: every cell gets points
    step_lon = 100 / (111320 * math.cos(math.radians(lat0))) / 2
    rows = 0
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["operator", "tech", "lat", "lon", "signal_dbm", "timestamp", "source",
                    "device_id"])
        lat = miny + step_lat / 2
        while lat < maxy:
            lon = minx + step_lon / 2
            while lon < maxx:
                if geom.contains(Point(lon, lat)):
                    for k in range(args.per_cell):
                        w.writerow([props["operator"], props["tech"], f"{lat:.6f}", f"{lon:.6f}",
                                    args.dbm, args.time, "drive", "dt-verify-01"])
                        rows += 1
                lon += step_lon
            lat += step_lat
    print(f"{rows} samples over {args.gap_id} ({props['operator']} {props['tech']}, "
          f"{props['area_m2'] / 1e6:.2f} km²) at {args.time}, {args.dbm} dBm -> {args.out}")


if __name__ == "__main__":
    main()
