#!/usr/bin/python3
"""End-to-end: `covgap report` against covgapd (docs/report.md).

A small generated Bắc Giang scenario (scripts/gen_demo.py, 30,000 measurements) is ingested with
the real district boundaries, schools and households; viettel plans two gaps and clears one with
its own token (covgap gap plan|clear). Checks: before any analysis the report is
refused with a clear message (exit 1); after two analyses the report comes in every format —
table on stdout, JSON (days left from --as-of to covgapd's --deadline, ten districts, the baseline
is the first run, 17,049 students without a device in the readiness total), CSV (five sections,
each with one header line), HTML written with -o (self-contained, bilingual, a map); --deadline
on the command line overrides covgapd's; a viewer token may build it, an operator token gets exit
4; a bad date is exit 2; no household id appears in any format.
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import e2e_support
from e2e_support import FAILURES

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
ARGS = None


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


def cli(address, *args, token=None, expect=0):
    env = dict(os.environ)
    if token:
        env["COVGAP_TOKEN"] = token
    p = subprocess.run([ARGS.covgap, "--server", address, *args], capture_output=True, text=True,
                       timeout=300, env=env)
    if expect is not None and p.returncode != expect:
        e2e_support.fail(f"covgap {' '.join(args)} exited {p.returncode}, not {expect}:\n"
                         f"{p.stderr}")
    return p


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_BOOTSTRAP_TOKEN"] = token
    os.environ["COVGAP_TOKEN"] = token
    work = tempfile.mkdtemp(prefix="covgap_report_e2e_")
    proc = None
    try:
        scenario = os.path.join(work, "scenario")
        subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "gen_demo.py"),
                        "--out", scenario, "--seed", "5", "--measurements", "30000", "--data",
                        os.path.join(SOURCE, "data", "bacgiang")], check=True,
                       capture_output=True, timeout=300)
        data = os.path.join(work, "data")
        port_file = os.path.join(work, "port")
        log = open(os.path.join(work, "covgapd.log"), "w")
        proc = subprocess.Popen([ARGS.covgapd, "--data", data, "--listen", "127.0.0.1:0",
                                 "--port-file", port_file, "--deadline", "2021-12-20"],
                                stderr=log)
        for _ in range(600):
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                break
            time.sleep(0.02)
        with open(port_file) as f:
            address = "127.0.0.1:" + f.read().strip()

        cli(address, "ingest", os.path.join(scenario, "measurements.csv"))
        bg = os.path.join(SOURCE, "data", "bacgiang")
        cli(address, "import", "areas", os.path.join(bg, "province.geojson"), "--level",
            "province")
        cli(address, "import", "areas", os.path.join(bg, "districts.geojson"), "--level",
            "district")
        cli(address, "import", "schools", os.path.join(scenario, "schools.csv"))
        cli(address, "import", "households", os.path.join(scenario, "households.csv"))
        with open(os.path.join(scenario, "households.csv"), encoding="utf-8") as f:
            household_ids = [row["household_id"] for row in csv.DictReader(f)][:200]

        p = cli(address, "report", expect=1)
        check("no analysis" in p.stderr, "before any analysis the report is refused: " +
              p.stderr.strip())

        cli(address, "analyse", "--as-of", "2021-12-01T00:00:00Z")
        cli(address, "analyse", "--as-of", "2021-12-01T00:00:00Z")

        # The life cycle through the operator's own CLI: two plans (one target already passed
        # on the as-of day, one after the deadline) and one gap marked cleared.
        operator = json.loads(cli(address, "token", "create", "--role", "operator:viettel",
                                  "--label", "e2e op", "--json").stdout)["token"]
        own = json.loads(cli(address, "gaps", "--operator", "viettel", "--only-own", "--limit",
                             "3", "--json").stdout)["gaps"]
        check(len(own) == 3, "viettel has at least three gaps of its own")
        cli(address, "gap", "plan", own[0]["gap_id"], "--action", "BTS mới", "--target",
            "2021-12-05", token=operator)
        cli(address, "gap", "plan", own[1]["gap_id"], "--action", "BTS mới", "--target",
            "2022-01-15", token=operator)
        cli(address, "gap", "plan", own[2]["gap_id"], "--action", "Tăng công suất", "--target",
            "2021-12-15", token=operator)
        cli(address, "gap", "clear", own[2]["gap_id"], "--note", "xong", token=operator)

        outputs = {}
        table = cli(address, "report", "--as-of", "2021-12-10").stdout
        outputs["table"] = table
        check("days left 10" in table and "By district" in table and "Huyện Lục Ngạn" in table,
              "table on stdout: days left 10, the district table")
        check("schools_no_data  schools_covered  schools_uncertain" in table,
              "table: covered and uncertain schools next to the no-data schools")

        doc_text = cli(address, "report", "--as-of", "2021-12-10", "--format", "json").stdout
        outputs["json"] = doc_text
        doc = json.loads(doc_text)
        check(doc["days_left"] == 10 and doc["deadline"] == "2021-12-20",
              "JSON: deadline from covgapd --deadline, 10 days left")
        check(doc["baseline_run_id"] == 1 and doc["latest_run_id"] == 2,
              "JSON: the baseline is the first run, the latest the second")
        check(len(doc["districts"]) == 10, f"JSON: {len(doc['districts'])} districts (10)")
        check(doc["readiness_total"]["students_nodev"] == 17049,
              "JSON: 17,049 students without a device, as the directive counts")
        check(doc["readiness_total"]["schools"] == 529, "JSON: 529 schools")
        ready = doc["readiness_total"]
        check(ready["schools_uncertain"] == 0 and ready["schools_covered"] > 0 and
              ready["schools_covered"] + ready["schools_white_zone"] + ready["schools_no_data"] ==
              ready["schools"],
              f"JSON: binned runs predict nothing, so no school is uncertain and the "
              f"{ready['schools_covered']} covered, {ready['schools_white_zone']} white-zone and "
              f"{ready['schools_no_data']} no-data schools make up the 529")
        check(all(sum(d[k] for d in doc["readiness"]) == ready[k]
                  for k in ("schools_covered", "schools_uncertain")),
              "JSON: covered and uncertain schools of the districts add up to the total")
        total = doc["total"]
        check((total["gaps"]["planned"], total["gaps"]["cleared"]) == (2, 1) and
              total["gaps"]["open"] == total["gaps"]["total"] - 3,
              f"JSON: of {total['gaps']['total']} operator gaps 2 planned, 1 cleared, the rest open")
        check((total["overdue_plans"], total["plans_after_deadline"]) == (1, 1),
              "JSON: one plan overdue on 2021-12-10, one with a target after 2021-12-20")
        viettel = [o for o in doc["operators"] if o["operator_id"] == "viettel"]
        check(viettel and viettel[0]["gaps"]["planned"] == 2 and viettel[0]["overdue_plans"] == 1,
              "JSON: the plans are viettel's")
        check(total["students_start"] == total["students_now"],
              "JSON: nothing verified, so students in common gaps now = at the start "
              f"({total['students_now']})")
        check(sum(d["students_now"] for d in doc["districts"]) == total["students_now"],
              "JSON: the district rows add up to the total")

        csv_path = os.path.join(work, "report.csv")
        cli(address, "report", "--as-of", "2021-12-10", "--format", "csv", "--deadline",
            "2021-12-31", "--output", csv_path)
        with open(csv_path, encoding="utf-8", newline="") as f:
            csv_text = f.read()
        outputs["csv"] = csv_text
        sections = [s for s in csv_text.split("\r\n\r\n") if s.strip()]
        headers = [line for line in csv_text.split("\r\n") if line.startswith("section,")]
        check(len(sections) == 5 and len(headers) == 5, "CSV: five sections, one header each")
        rows = list(csv.reader(io.StringIO(sections[0])))
        check(["summary", "days_left", "21"] in rows,
              "CSV: --deadline 2021-12-31 on the command line overrides covgapd's (21 days)")
        readiness_rows = list(csv.reader(io.StringIO(sections[3])))
        readiness_columns = ["section", "district", "schools", "schools_white_zone",
                             "schools_no_data", "schools_covered", "schools_uncertain",
                             "students", "students_nodev", "students_white_zone",
                             "students_nodev_white_zone"]
        check(readiness_rows[0] == readiness_columns,
              f"CSV: the readiness header ({readiness_rows[0]})")
        csv_total = dict(zip(readiness_columns, readiness_rows[-1]))
        check(csv_total["section"] == "readiness_total" and
              all(int(csv_total[k]) == ready[k] for k in readiness_columns[2:]),
              "CSV: the readiness total, covered and uncertain schools included, equals JSON's")

        html_path = os.path.join(work, "report.html")
        p = cli(address, "report", "--as-of", "2021-12-10", "--format", "html", "-o", html_path)
        with open(html_path, encoding="utf-8") as f:
            html = f.read()
        outputs["html"] = html
        check(html.startswith("<!DOCTYPE html>") and "<svg" in html and
              "Huyện / <span class=\"en\">District</span>" in html,
              f"HTML written to -o ({len(html)} bytes): bilingual, with the map")
        check(not any(s in html for s in ("<script", "src=", "href=", "@import", "url(")),
              "HTML: self-contained")
        check("Covered schools" in html and "Uncertain schools" in html,
              "HTML: the readiness table has covered and uncertain schools")

        viewer = json.loads(cli(address, "token", "create", "--role", "viewer", "--label",
                                "e2e viewer", "--json").stdout)["token"]
        p = cli(address, "report", token=viewer)
        check("By operator" in p.stdout, "a viewer token may build the report")
        p = cli(address, "report", token=operator, expect=4)
        check("may not call BuildReport" in p.stderr, "an operator token is refused (exit 4)")
        cli(address, "report", "--deadline", "20/12/2021", expect=2)
        check(True, "a date that is not YYYY-MM-DD is exit 2")

        leaked = [h for h in household_ids if any(h in text for text in outputs.values())]
        check(not leaked, "no household id in any format")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        if FAILURES:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("report e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
