#!/usr/bin/python3
"""End-to-end gap analysis through covgapd and the covgap CLI on loopback.

Generates a small Bắc Giang scenario with scripts/gen_demo.py, ingests it, imports the real
boundaries, schools, households and sites, runs `covgap analyse`, and checks:
- every generated site is imported, `covgap sites` lists them by operator, technology and id,
  and its --csv output imports again as it is (all updates);
- with --method binned, per operator/technology cell classes and gap counts equal the generator's independent Python
  implementation of the binned method (scenario.json "reference_binned": pyproj + numpy);
- every operator gap lies in a district of Bắc Giang; students without a device inside gaps add
  up to no more than the directive's totals; ranks run 1..n per operator and technology;
- `covgap gaps` filters by operator, technology, kind and district (short name); with
  --operator it is the to-do list (common gaps first), --only-own drops the common gaps;
- `covgap schools`: per school and operator/technology the indoor class, samples and nearest
  good cell equal an independent brute-force computation (pyproj + numpy), white zones agree;
- exports open with ogrinfo with the expected feature count, fields and CRS, Vietnamese names
  intact, for shp (zip), gpkg, geojson, csv and kml, and in EPSG:32648 and EPSG:9214;
- without --method the run is hybrid (sites and districts are imported), on the same samples.
"""
import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from e2e_support import check, fail  # noqa: E402

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p.stdout


def cli(address, *args):
    return run([ARGS.covgap, "--server", address, *args])


def independent_people_in_gaps(scenario):
    """{(operator, tech): (students_nodev, poor_hh, near_poor_hh)} inside weak/dead cells."""
    import csv
    import math
    from pyproj import Transformer
    to_utm = Transformer.from_crs(4326, 32648, always_xy=True)
    thresholds = {"LTE": (-105, -115), "UMTS": (-95, -105)}
    samples = {}
    with open(os.path.join(scenario, "measurements.csv")) as f:
        for r in csv.DictReader(f):
            samples.setdefault((r["operator"], r["tech"]), ([], [], []))
            lon, lat, dbm = samples[(r["operator"], r["tech"])]
            lon.append(float(r["lon"]))
            lat.append(float(r["lat"]))
            dbm.append(int(r["signal_dbm"]))

    def cell_of(lons, lats):
        xs, ys = to_utm.transform(lons, lats)
        return [(math.floor(x / 100), math.floor(y / 100)) for x, y in zip(xs, ys)]

    gap_cells = {}
    for (op, tech), (lon, lat, dbm) in samples.items():
        per_cell = {}
        for c, v in zip(cell_of(lon, lat), dbm):
            per_cell.setdefault(c, []).append(v)
        good, dead = thresholds[tech]
        cells = set()
        for c, vs in per_cell.items():
            if len(vs) < 3:
                continue
            vs.sort()
            n = len(vs)
            median = vs[n // 2] if n % 2 else (vs[n // 2 - 1] + vs[n // 2]) / 2
            if median < good:
                cells.add(c)
        gap_cells[(op, tech)] = cells

    def read(name):
        with open(os.path.join(scenario, name)) as f:
            rows = list(csv.DictReader(f))
        return rows, cell_of([float(r["lon"]) for r in rows], [float(r["lat"]) for r in rows])

    schools, school_cells = read("schools.csv")
    households, household_cells = read("households.csv")
    result = {}
    for key, cells in gap_cells.items():
        students = sum(int(s["students_nodev"]) for s, c in zip(schools, school_cells)
                       if c in cells)
        students += sum(int(h["students_nodev"]) for h, c in zip(households, household_cells)
                        if c in cells)
        poor = sum(1 for h, c in zip(households, household_cells)
                   if c in cells and h["category"] == "poor")
        near_poor = sum(1 for h, c in zip(households, household_cells)
                        if c in cells and h["category"] == "near_poor")
        result[key] = (students, poor, near_poor)
    return result


def independent_school_coverage(scenario):
    """{school_id: {(operator, tech): (indoor class, samples, nearest good m or None)}}: the
    school's cell judged with the indoor margin (10 dB), and the nearest outdoor-good cell centre
    within 20 km, by brute force with pyproj and numpy."""
    import csv
    import math
    import numpy as np
    from pyproj import Transformer
    to_utm = Transformer.from_crs(4326, 32648, always_xy=True)
    thresholds = {"LTE": (-105, -115), "UMTS": (-95, -105)}
    samples = {}
    with open(os.path.join(scenario, "measurements.csv")) as f:
        for r in csv.DictReader(f):
            lon, lat, dbm = samples.setdefault((r["operator"], r["tech"]), ([], [], []))
            lon.append(float(r["lon"]))
            lat.append(float(r["lat"]))
            dbm.append(int(r["signal_dbm"]))
    with open(os.path.join(scenario, "schools.csv")) as f:
        schools = list(csv.DictReader(f))
    sx, sy = to_utm.transform([float(r["lon"]) for r in schools],
                              [float(r["lat"]) for r in schools])
    sx, sy = np.array(sx), np.array(sy)
    result = {r["school_id"]: {} for r in schools}
    for (op, tech), (lon, lat, dbm) in samples.items():
        xs, ys = to_utm.transform(lon, lat)
        per_cell = {}
        for x, y, v in zip(xs, ys, dbm):
            per_cell.setdefault((math.floor(x / 100), math.floor(y / 100)), []).append(v)
        good, dead = thresholds[tech]
        medians = {}
        for c, vs in per_cell.items():
            vs.sort()
            n = len(vs)
            medians[c] = (n, vs[n // 2] if n % 2 else (vs[n // 2 - 1] + vs[n // 2]) / 2)
        good_cells = [c for c, (n, m) in medians.items() if n >= 3 and m >= good]
        gx = np.array([(c[0] + 0.5) * 100 for c in good_cells])
        gy = np.array([(c[1] + 0.5) * 100 for c in good_cells])
        for i, school in enumerate(schools):
            n, m = medians.get((math.floor(sx[i] / 100), math.floor(sy[i] / 100)), (0, None))
            if n < 3:
                cls = "unmeasured"
            elif m >= good + 10:
                cls = "good"
            elif m < dead + 10:
                cls = "dead"
            else:
                cls = "weak"
            nearest = None
            if len(good_cells):
                d = float(np.min(np.hypot(gx - sx[i], gy - sy[i])))
                nearest = d if d <= 20000 else None
            result[school["school_id"]][(op, tech)] = (cls, n, nearest)
    return result


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    # covgapd creates its first authority token from this; the CLI sends it.
    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_BOOTSTRAP_TOKEN"] = token
    os.environ["COVGAP_TOKEN"] = token
    work = tempfile.mkdtemp(prefix="covgap_gaps_e2e_")
    proc = None
    try:
        scenario = os.path.join(work, "scenario")
        run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "gen_demo.py"), "--out", scenario,
             "--seed", "11", "--measurements", "120000", "--data",
             os.path.join(SOURCE, "data", "bacgiang")])
        with open(os.path.join(scenario, "scenario.json")) as f:
            meta = json.load(f)
        data = os.path.join(work, "data")
        port_file = os.path.join(work, "port")
        log = open(os.path.join(work, "covgapd.log"), "w")
        proc = subprocess.Popen([ARGS.covgapd, "--data", data, "--listen", "127.0.0.1:0",
                                 "--port-file", port_file], stderr=log)
        for _ in range(600):
            if os.path.exists(port_file):
                break
            time.sleep(0.02)
        with open(port_file) as f:
            address = "127.0.0.1:" + f.read().strip()

        doc = json.loads(cli(address, "ingest", os.path.join(scenario, "measurements.csv"),
                             "--json"))
        check(doc["accepted"] == 120000, "all 120,000 generated measurements are accepted")
        bg = os.path.join(SOURCE, "data", "bacgiang")
        for level, name in (("province", "province"), ("district", "districts"),
                            ("commune", "communes")):
            cli(address, "import", "areas", os.path.join(bg, name + ".geojson"), "--level", level)
        schools = json.loads(cli(address, "import", "schools",
                                 os.path.join(scenario, "schools.csv"), "--json"))
        households = json.loads(cli(address, "import", "households",
                                    os.path.join(scenario, "households.csv"), "--json"))
        check(schools["rejected"] == 0 and households["rejected"] == 0,
              f"{schools['inserted']} schools and {households['inserted']} households imported")
        # The same schools under the names a new user brings (issue 13): read without a
        # mapping, and the report says which column was read for which field.
        renamed = os.path.join(work, "schools_renamed.csv")
        with open(os.path.join(scenario, "schools.csv"), encoding="utf-8") as f:
            header, rest = f.read().split("\n", 1)
        header = header.rstrip("\r")
        spelled = {"students_nodev": "students_without_device", "lat": "Vĩ độ",
                   "lon": "Kinh độ", "students": "Số học sinh"}
        with open(renamed, "w", encoding="utf-8") as f:
            f.write(",".join(spelled.get(c, c) for c in header.split(",")) + "\n" + rest)
        again_schools = json.loads(cli(address, "import", "schools", renamed, "--json"))
        used = {c["field"]: c["column"] for c in again_schools["columns"]}
        check(again_schools["updated"] == schools["inserted"] and again_schools["rejected"] == 0
              and used.get("students_nodev") == "students_without_device"
              and used.get("lat") == "Vĩ độ" and not any(c["mapped"] for c in
                                                         again_schools["columns"]),
              "schools headed students_without_device, Vĩ độ, Kinh độ import without a mapping")
        text = cli(address, "import", "schools", renamed)
        check("students_nodev \u2190 students_without_device" in text,
              "the import report prints students_nodev \u2190 students_without_device")
        sites = json.loads(cli(address, "import", "sites", os.path.join(scenario, "sites.csv"),
                               "--json"))
        n_sites = sum(sum(by_tech.values()) for by_tech in meta["counts"]["sites"].values())
        check(sites["rejected"] == 0 and sites["inserted"] == n_sites,
              f"all {n_sites} generated sites imported")
        listed = json.loads(cli(address, "sites", "--json"))["sites"]
        tech_order = {"GSM": 1, "UMTS": 2, "LTE": 3, "NR": 4}
        keys = [(s["operator"], tech_order[s["tech"]], s["site_id"]) for s in listed]
        check(len(listed) == n_sites and keys == sorted(keys),
              "covgap sites lists them all by operator, technology and id")
        again = os.path.join(work, "sites_again.csv")
        with open(again, "w") as f:
            f.write(cli(address, "sites", "--csv"))
        reimport = json.loads(cli(address, "import", "sites", again, "--json"))
        check(reimport["inserted"] == 0 and reimport["updated"] == n_sites and
              reimport["rejected"] == 0, "covgap sites --csv imports again as it is")

        as_of = meta.get("as_of", "2021-12-01T00:00:00Z")
        result = json.loads(cli(address, "analyse", "--as-of", as_of, "--method", "binned",
                                "--json"))
        check(result["method"] == "binned", "--method binned runs the reference method")
        reference = meta["reference_binned"]["by_operator_tech"]
        for grid in result["grids"]:
            if grid["kind"] != "operator":
                continue
            ref = reference[f"{grid['operator']}/{grid['tech']}"]
            mine = {k: grid[k] for k in ("good", "weak", "dead", "unmeasured", "gaps", "samples")}
            theirs = {k: ref[k] for k in ("good", "weak", "dead", "unmeasured", "gaps", "samples")}
            check(mine == theirs,
                  f"{grid['operator']}/{grid['tech']} equals the independent reference: {mine}")
        check(len([g for g in result["grids"] if g["kind"] == "operator"]) == len(reference),
              "every operator/technology of the reference was analysed")

        gaps = json.loads(cli(address, "gaps", "--limit", "0", "--order", "score",
                              "--json"))["gaps"]
        check(len(gaps) == result["gaps"], f"covgap gaps --order score lists all {len(gaps)} gaps")
        # The province's list: one row per place, ranks 1, 2, 3 ... in order; an operator gap
        # inside a common gap is named on the common row instead of repeating the place.
        province = json.loads(cli(address, "gaps", "--limit", "0", "--json"))["gaps"]
        contained = [g for g in gaps if g["common_id"]]
        listed_ids = {g["gap_id"] for g in province}
        check([g["rank"] for g in province] == list(range(1, len(province) + 1)),
              f"the province's list numbers its {len(province)} rows 1..n by rank")
        check(len(province) + len(contained) == len(gaps) and
              all(g["common_id"] in listed_ids and g["gap_id"] not in listed_ids
                  for g in contained),
              f"{len(contained)} operator gaps inside a common gap are folded into its row")
        by_id = {g["gap_id"]: g for g in gaps}
        check(all(by_id[g["common_id"]]["rank"] == g["rank"] for g in contained) and
              all(sorted(filter(None, g["contains"].split(","))) ==
                  sorted(c["operator"] for c in contained if c["common_id"] == g["gap_id"])
                  for g in province),
              "a folded operator gap shares the rank of its common gap, which names its operator")
        districts = set(json.loads(cli(address, "gaps", "--limit", "0", "--kind", "operator",
                                       "--json"))["gaps"][i]["district"]
                        for i in range(3))
        check(all(d.startswith(("Huyện ", "Thành phố ")) for d in districts),
              f"gaps carry Vietnamese district names: {sorted(districts)}")
        check(all(g["province"] == "Tỉnh Bắc Giang" for g in gaps if g["kind"] == "operator"),
              "every operator gap is attributed to Tỉnh Bắc Giang")
        by_group = {}
        for g in gaps:
            by_group.setdefault((g["kind"], g["operator"], g["tech"]), []).append(g["grp_rank"])
        check(all(sorted(r) == list(range(1, len(r) + 1)) for r in by_group.values()),
              "grp_rank runs 1..n within each kind/operator/technology")
        for (kind, op, tech), ranks in by_group.items():
            group = sorted((g for g in gaps if (g["kind"], g["operator"], g["tech"]) ==
                            (kind, op, tech)), key=lambda g: g["grp_rank"])
            scores = [g["score"] for g in group]
            if scores != sorted(scores, reverse=True):
                fail(f"scores of {kind}/{op}/{tech} do not fall with rank")
        print("ok: scores fall with rank in every group")
        # Independent join: a school or household is inside an operator gap exactly when its
        # 100 m cell is weak or dead for that operator and technology (pyproj + median here).
        expected = independent_people_in_gaps(scenario)
        for (op, tech), (students, poor, near_poor) in sorted(expected.items()):
            group = [g for g in gaps if g["kind"] == "operator" and g["operator"] == op and
                     g["tech"] == tech]
            mine = (sum(g["stud_nodev"] for g in group), sum(g["poor_hh"] for g in group),
                    sum(g["npoor_hh"] for g in group))
            check(mine == (students, poor, near_poor),
                  f"{op}/{tech}: students without a device, poor and near-poor households in "
                  f"gaps {mine} equal the independent join")

        viettel_lte = json.loads(cli(address, "gaps", "--operator", "viettel", "--tech", "LTE",
                                     "--only-own", "--limit", "0", "--json"))["gaps"]
        check(viettel_lte and all(g["operator"] == "viettel" and g["tech"] == "LTE"
                                  for g in viettel_lte),
              f"--operator viettel --tech LTE lists {len(viettel_lte)} viettel LTE gaps")
        todo = json.loads(cli(address, "gaps", "--operator", "viettel", "--tech", "LTE",
                              "--limit", "0", "--json"))["gaps"]
        n_common = sum(1 for g in todo if g["kind"] == "common")
        own_rows = [g for g in viettel_lte if not g["common_id"]]
        check(n_common > 0 and len(todo) == n_common + len(own_rows) and
              all(g["kind"] == "common" for g in todo[:n_common]) and
              {g["gap_id"] for g in todo[n_common:]} == {g["gap_id"] for g in own_rows},
              f"--operator viettel is the to-do list: {n_common} common gaps first, then "
              f"{len(own_rows)} of viettel's own ({len(viettel_lte) - len(own_rows)} lie in a "
              f"common gap and are done with it)")

        # Per-school coverage against an independent computation.
        listed = json.loads(cli(address, "schools", "--json"))
        expected_schools = independent_school_coverage(scenario)
        check(listed["totals"]["schools"] == len(expected_schools) == len(listed["schools"]),
              f"covgap schools lists all {len(expected_schools)} schools")
        mismatches = 0
        white = 0
        no_data = 0
        for row in listed["schools"]:
            want = expected_schools[row["school_id"]]
            got = {(c["operator"], c["tech"]): c for c in row["coverage"]}
            if set(got) != set(want):
                mismatches += 1
                continue
            for key, (cls, n, nearest) in want.items():
                c = got[key]
                far = c["nearest_good_m"]
                if (c["indoor_class"], c["samples"]) != (cls, n) or (far is None) != (
                        nearest is None) or (far is not None and abs(far - nearest) > 1e-5 * nearest + 0.006):
                    mismatches += 1
                    if mismatches <= 5:
                        print(f"  {row['school_id']} {key}: covgap {c}, expected "
                              f"{(cls, n, nearest)}")
            classes = [cls for cls, _, _ in want.values()]
            white_want = "good" not in classes and any(c != "unmeasured" for c in classes)
            no_data_want = all(c == "unmeasured" for c in classes)
            mismatches += row["white_zone"] != white_want
            mismatches += row["no_data"] != no_data_want
            white += white_want
            no_data += no_data_want
        check(mismatches == 0,
              f"per-school class, samples and nearest good distance equal the independent "
              f"computation ({white} schools in white zones)")
        check(listed["totals"]["white_zone_schools"] == white and
              listed["totals"]["no_data_schools"] == no_data,
              f"white-zone ({white}) and no-data ({no_data}) totals agree")
        uncovered = json.loads(cli(address, "schools", "--uncovered", "--json"))["schools"]
        check(len(uncovered) == white + no_data and
              all(r["white_zone"] or r["no_data"] for r in uncovered),
              "--uncovered lists the white-zone and no-data schools only")
        table = cli(address, "schools", "--district", "Sơn Động")
        check("schools," in table and ("WHITE ZONE" in table) == any(
            r["white_zone"] and r["district"] == "Huyện Sơn Động" for r in listed["schools"]),
            "covgap schools --district prints the table and totals")

        son_dong = json.loads(cli(address, "gaps", "--district", "Sơn Động", "--limit", "0",
                                  "--json"))["gaps"]
        check(son_dong and all(g["district"] == "Huyện Sơn Động" for g in son_dong),
              f"--district 'Sơn Động' (short name) lists {len(son_dong)} gaps of Huyện Sơn Động")
        common = json.loads(cli(address, "gaps", "--kind", "common", "--limit", "0",
                                "--json"))["gaps"]
        check(common and all(g["kind"] == "common" and g["operator"] == "" for g in common),
              f"--kind common lists {len(common)} common gaps")

        one = json.loads(cli(address, "gap", gaps[0]["gap_id"], "--json"))
        check(one["gap_id"] == gaps[0]["gap_id"] and one["score"] == gaps[0]["score"],
              "covgap gap ID shows the same gap")

        exports = os.path.join(work, "exports")
        os.makedirs(exports)
        fields = ["gap_id", "operator", "tech", "kind", "severity", "area_m2", "n_cells",
                  "n_samples", "median_dbm", "min_dbm", "province", "district", "commune",
                  "schools", "stud_nodev", "poor_hh", "npoor_hh", "score", "rank", "status",
                  "plan", "target_dt", "analysed", "evidence", "p_good", "meas_share",
                  "grp_rank", "common_id", "contains"]
        for fmt, name, crs, ds in (
                ("shp", "gaps.zip", "EPSG:4326", "/vsizip/{p}/gaps.shp"),
                ("shp", "gaps32648.zip", "EPSG:32648", "/vsizip/{p}/gaps.shp"),
                ("gpkg", "gaps.gpkg", "EPSG:9214", "{p}"),
                ("geojson", "gaps.geojson", "EPSG:4326", "{p}"),
                ("csv", "gaps.csv", "EPSG:4326", "{p}"),
                ("kml", "gaps.kml", "EPSG:4326", "{p}")):
            path = os.path.join(exports, name)
            cli(address, "export", "--format", fmt, "--crs", crs, "-o", path)
            info = run(["ogrinfo", "-ro", "-al", "-so", ds.format(p=path)])
            count = int(info.split("Feature Count: ")[1].split()[0])
            check(count == len(gaps), f"{fmt} in {crs}: {count} features")
            if fmt in ("shp", "gpkg", "geojson"):
                missing = [f for f in fields if f"\n{f}: " not in info]
                check(not missing, f"{fmt} has every gap attribute (missing: {missing})")
            if fmt != "csv" and crs != "EPSG:4326":
                code = crs.split(":")[1]
                check(f'ID["EPSG",{code}]' in info, f"{fmt} carries the CRS {crs}")
            if fmt in ("shp", "gpkg"):
                dump = run(["ogrinfo", "-ro", "-al", "-q", ds.format(p=path)])
                check("Huyện Sơn Động" in dump, f"{fmt}: Vietnamese district names intact")
            if fmt == "geojson":
                with open(path, encoding="utf-8") as f:
                    props = [feat["properties"] for feat in json.load(f)["features"]]
                check(props and all(q["evidence"] == "measured" and q["p_good"] == 0 and
                                    q["meas_share"] == 1 for q in props),
                      "geojson: every binned gap is measured, p_good 0, meas_share 1")
            if fmt == "csv":
                with open(path, encoding="utf-8-sig", newline="") as f:
                    rows = list(csv.DictReader(f))
                header = list(rows[0].keys()) if rows else []
                check(header == ["WKT"] + fields,
                      f"csv: WKT then the gap attributes in order, the ranks of one place last ({header})")
                check(all(r["evidence"] == "measured" and float(r["p_good"]) == 0 and
                          float(r["meas_share"]) == 1 for r in rows),
                      "csv: every binned gap is measured, p_good 0, meas_share 1")
        # Partitioned analysis: a second run in tiles of 50 x 50 cells gives the same gaps.
        keys = ("gap_id", "kind", "operator", "tech", "n_cells", "n_samples", "area_m2",
                "severity", "median_dbm", "min_dbm", "score", "rank", "district", "commune",
                "schools", "students_nodev", "poor_hh", "npoor_hh")

        def snapshot():
            listed = json.loads(cli(address, "gaps", "--limit", "0", "--json"))["gaps"]
            path = os.path.join(exports, "snapshot.geojson")
            cli(address, "export", "--format", "geojson", "--crs", "EPSG:32648", "-o", path)
            with open(path, encoding="utf-8") as f:
                shapes = {feat["properties"]["gap_id"]: feat["geometry"]
                          for feat in json.load(f)["features"]}
            os.remove(path)
            return ({g["gap_id"]: {k: g.get(k) for k in keys} for g in listed}, shapes)

        one_piece, one_shapes = snapshot()
        tiled = json.loads(cli(address, "analyse", "--as-of", as_of, "--tile-cells", "50",
                               "--method", "binned", "--json"))
        check(tiled["gaps"] == result["gaps"] and tiled["grids"] == result["grids"],
              f"--tile-cells 50: {tiled['gaps']} gaps, grids equal to the one-piece run")
        tiled_gaps, tiled_shapes = snapshot()
        check(tiled_gaps == one_piece,
              f"--tile-cells 50: the {len(tiled_gaps)} gaps equal the one-piece run's "
              "(ids, cells, areas, figures, ranks)")
        check(tiled_shapes == one_shapes and len(tiled_shapes) == len(one_shapes) > 0,
              "--tile-cells 50: every gap polygon equals the one-piece run's")
        default = json.loads(cli(address, "analyse", "--as-of", as_of, "--json"))
        check(default["method"] == "hybrid",
              "with sites and districts imported, an analysis without --method is hybrid")
        check(sorted((g["operator"], g["tech"], g["samples"]) for g in default["grids"]
                     if g["kind"] == "operator") ==
              sorted((g["operator"], g["tech"], g["samples"]) for g in result["grids"]
                     if g["kind"] == "operator"),
              "the hybrid run uses the same measurements as the binned one")
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=60) == 0, "covgapd stops cleanly")
        proc = None
        print("e2e gap analysis: all checks passed")
    finally:
        if proc is not None:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
