#!/usr/bin/python3
"""End-to-end: covgapd's browser dashboard (docs/web.md "Dashboard") in headless Chromium.

covgapd runs with --http on port 0 (--http-port-file) and --deadline 2021-12-20 over a small
generated Bắc Giang scenario (scripts/gen_demo.py, 30,000 measurements) with the real district
boundaries, schools and households, analysed once. Viettel plans one of its gaps, plans and
clears another; the authority reopens a third after Viettel planned it: the map then holds open,
planned, cleared and reopened gaps. Checks over HTTP: a browser gets the dashboard at `/`, QGIS
and GDAL (Accept: application/json) the OGC landing page; the API's roles (an operator's to-do
list holds its own and common gaps, the progress figures are refused to it and match `covgap
report --format json` for the authority). Then tests/e2e/dashboard_check.mjs drives
/usr/bin/chromium through playwright-core with every request off 127.0.0.1 aborted: the map shows
the gap polygons, a district filter narrows the table, a click on a row pans the map and opens
the gap's panel with its history, and the screenshot holds the four status colours. The same with
the operator's token: only its own and common gaps on the map.

Skipped (exit 77, with the reason) only when /usr/bin/chromium, node or the dashboard's
node_modules (scripts/deps.sh) are absent.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import e2e_support
from e2e_support import FAILURES

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
NODE_MODULES = os.path.join(SOURCE, "server", "http", "dashboard", "node_modules")
ARGS = None


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


def skip_reason():
    if not os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium is not installed (Debian package chromium; scripts/deps.sh)"
    if not shutil.which("node"):
        return "node is not installed (Debian package nodejs; scripts/deps.sh)"
    for module in ("playwright-core", "leaflet"):
        if not os.path.isdir(os.path.join(NODE_MODULES, module)):
            return f"{NODE_MODULES}/{module} is missing: run scripts/deps.sh (npm ci)"
    return None


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


def get(base, path, token=None, accept="application/json"):
    """(status, headers, body text) of GET base+path."""
    req = urllib.request.Request(base + path, headers={"Accept": accept})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.headers, res.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8")


def get_json(base, path, token):
    status, _, body = get(base, path, token)
    if status != 200:
        e2e_support.fail(f"GET {path}: {status} {body}")
    return json.loads(body)


def browser_check(url, screenshot, *extra):
    """Runs dashboard_check.mjs; returns (exit code, what it saw, stderr)."""
    p = subprocess.run(["node", os.path.join(HERE, "dashboard_check.mjs"), "--url", url,
                        "--screenshot", screenshot, *extra], capture_output=True, text=True,
                       timeout=300)
    seen = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            seen = json.loads(line)
    return p.returncode, seen, p.stderr


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    reason = skip_reason()
    if reason:
        print("SKIP: " + reason)
        return 77
    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_BOOTSTRAP_TOKEN"] = token
    os.environ["COVGAP_TOKEN"] = token
    work = tempfile.mkdtemp(prefix="covgap_dashboard_e2e_")
    proc = None
    try:
        scenario = os.path.join(work, "scenario")
        subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "gen_demo.py"),
                        "--out", scenario, "--seed", "5", "--measurements", "30000", "--data",
                        os.path.join(SOURCE, "data", "bacgiang")], check=True,
                       capture_output=True, timeout=300)
        port_file = os.path.join(work, "port")
        http_port_file = os.path.join(work, "http_port")
        log = open(os.path.join(work, "covgapd.log"), "w")
        proc = subprocess.Popen([ARGS.covgapd, "--data", os.path.join(work, "data"), "--listen",
                                 "127.0.0.1:0", "--port-file", port_file, "--http",
                                 "127.0.0.1:0", "--http-port-file", http_port_file,
                                 "--deadline", "2021-12-20"], stderr=log)
        deadline = time.time() + 30
        while not all(os.path.exists(f) and os.path.getsize(f) for f in
                      (port_file, http_port_file)):
            if proc.poll() is not None or time.time() > deadline:
                e2e_support.fail("covgapd did not start with --http")
            time.sleep(0.02)
        with open(port_file) as f:
            address = "127.0.0.1:" + f.read().strip()
        with open(http_port_file) as f:
            base = "http://127.0.0.1:" + f.read().strip()

        bg = os.path.join(SOURCE, "data", "bacgiang")
        cli(address, "ingest", os.path.join(scenario, "measurements.csv"))
        cli(address, "import", "areas", os.path.join(bg, "province.geojson"), "--level",
            "province")
        cli(address, "import", "areas", os.path.join(bg, "districts.geojson"), "--level",
            "district")
        cli(address, "import", "schools", os.path.join(scenario, "schools.csv"))
        cli(address, "import", "households", os.path.join(scenario, "households.csv"))
        cli(address, "analyse", "--as-of", "2021-12-01T00:00:00Z")

        operator = json.loads(cli(address, "token", "create", "--role", "operator:viettel",
                                  "--label", "e2e op", "--json").stdout)["token"]
        todo = get_json(base, "/dashboard/api/todo", token)["gaps"]
        own = [g for g in todo if g["operator_id"] == "viettel"][:3]
        check(len(own) == 3 and all(g["bbox"] and len(g["bbox"]) == 4 for g in own),
              "the to-do list has viettel gaps, each with its CRS84 bbox")
        planned, cleared, reopened = (g["gap_id"] for g in own)
        cli(address, "gap", "plan", planned, "--action", "BTS mới", "--target", "2021-12-15",
            token=operator)
        cli(address, "gap", "plan", cleared, "--action", "BTS mới", "--target", "2021-12-10",
            token=operator)
        cli(address, "gap", "clear", cleared, "--note", "xong", token=operator)
        cli(address, "gap", "plan", reopened, "--action", "Tăng công suất", "--target",
            "2021-12-18", token=operator)
        cli(address, "gap", "reopen", reopened, "--reason", "chưa đo kiểm")

        # `/` for a browser and for GIS clients.
        status, headers, body = get(base, "/", accept="text/html,application/xhtml+xml,*/*")
        check(status == 200 and "/dashboard/app.js" in body and
              "default-src 'self'" in headers.get("Content-Security-Policy", ""),
              "a browser gets the dashboard at / (no token needed for the page), with a CSP")
        status, _, body = get(base, "/?token=" + token, accept="application/json")
        check(status == 200 and '"conformance"' in body,
              "QGIS/GDAL (Accept: application/json) get the OGC landing page at /")
        status, _, body = get(base, "/?f=html&token=" + token, accept="text/html")
        check(status == 200 and "/collections" in body and "app.js" not in body,
              "/?f=html stays the OGC landing page")

        # The API's roles.
        shown = {g["gap_id"]: g["shown_status"] for g in
                 get_json(base, "/dashboard/api/todo", token)["gaps"]}
        check((shown[planned], shown[cleared], shown[reopened]) ==
              ("planned", "cleared", "reopened"), "statuses shown: planned, cleared, reopened")
        op_todo = get_json(base, "/dashboard/api/todo", operator)
        check(op_todo["order"] == "todo" and op_todo["gaps"] and
              all(g["kind"] == "common" or g["operator_id"] == "viettel"
                  for g in op_todo["gaps"]),
              f"viettel's to-do list ({len(op_todo['gaps'])} gaps) holds its own and common gaps")
        status, _, _ = get(base, "/dashboard/api/todo?operator=vnpt", operator)
        check(status == 403, "viettel may not list vnpt's gaps (403)")
        status, _, _ = get(base, "/dashboard/api/progress", operator)
        check(status == 403, "the progress figures are refused to an operator (403)")
        status, headers, _ = get(base, "/dashboard/api/me")
        check(status == 401 and "WWW-Authenticate" not in headers,
              "no token: 401 without a Basic challenge (no browser password dialog)")
        progress = get_json(base, "/dashboard/api/progress?as_of=2021-12-10", token)
        report = json.loads(cli(address, "report", "--as-of", "2021-12-10", "--format",
                                "json").stdout)
        check(progress == report, "the progress figures are covgap report's, number for number")
        history = get_json(base, f"/dashboard/api/gaps/{reopened}/history", operator)
        check([e["type"] for e in history["events"]] == ["new", "planned", "reopened"],
              "the reopened gap's history: new, planned, reopened")
        schools = get_json(base, "/dashboard/api/schools", token)
        check(schools["total_schools"] == len(schools["schools"]) > 0,
              f"per-school coverage of {schools['total_schools']} schools")

        # The page in Chromium, every request off 127.0.0.1 blocked.
        district = next(g["district"] for g in todo if g["district"])
        shot = os.path.join(work, "dashboard.png")
        rc, seen, err = browser_check(base + "/?token=" + token, shot, "--gap", reopened,
                                      "--district", district,
                                      "--statuses", "open,planned,cleared,reopened")
        print("browser (authority): " + json.dumps(seen, ensure_ascii=False))
        check(rc == 0, "the dashboard in Chromium: map, filter, table click, colours" +
              ("" if rc == 0 else ":\n" + err))
        check(seen.get("gap_paths", 0) == len(todo),
              f"every gap of the authority's list is on the map ({seen.get('gap_paths')})")
        check(seen.get("blocked_requests") == [], "no request left 127.0.0.1")
        check(seen.get("history", [])[:3] == ["new", "planned", "reopened"],
              "the panel shows the clicked gap's history")

        rc, seen, err = browser_check(base + "/?token=" + operator,
                                      os.path.join(work, "operator.png"))
        print("browser (operator): " + json.dumps(seen, ensure_ascii=False))
        check(rc == 0 and seen.get("gap_paths") == len(op_todo["gaps"]),
              "viettel's dashboard maps its own and the common gaps only" +
              ("" if rc == 0 else ":\n" + err))
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
    print("dashboard e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
