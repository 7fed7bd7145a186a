#!/usr/bin/python3
"""End-to-end: covgapd's OGC API - Features (docs/web.md) read by real GIS clients.

A small generated Bắc Giang scenario (scripts/gen_demo.py, 20,000 measurements) is ingested with
the real district boundaries and schools, analysed, and exported as a GeoPackage with the CLI.
Then, over HTTP on loopback:
- GDAL's OAPIF driver (ogrinfo) lists every collection, reads `gaps` with an attribute filter
  (sent to the server as ?status=open because /api declares it) and gets the GeoPackage's count;
- PyQGIS (Debian python3-qgis, QT_QPA_PLATFORM=offscreen) opens every collection through the
  OAPIF provider, with the token in the URL; `gaps` has the same feature ids and the same
  attribute values as the GeoPackage export; a bbox request and a filter expression get the
  export's features in that box / with that value;
- HTTPS: covgapd with --tls-cert/--tls-key serves the same API over TLS only.
Skipped (exit 77) only when python3-qgis is not installed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import e2e_support
from e2e_support import FAILURES

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
ARGS = None

# Runs in a child /usr/bin/python3 (QGIS wants its own process): prints one JSON document.
QGIS_SCRIPT = r"""
import json, sys
from qgis.core import (QgsApplication, QgsVectorLayer, QgsFeatureRequest, QgsRectangle,
                       QgsExpression)
base, token, gpkg, bbox = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = QgsApplication([], False)
app.initQgis()
out = {"layers": {}}
def layer(typename):
    uri = (f"url='{base}/?token={token}' typename='{typename}' version='OGC_API_FEATURES' "
           "pagingEnabled='true' restrictToRequestBBOX='0'")
    return QgsVectorLayer(uri, typename, "OAPIF")
def attrs(f, names):
    vals = {}
    for n in names:
        v = f[n]
        if v is None or (hasattr(v, "isNull") and v.isNull()):
            vals[n] = None
        elif hasattr(v, "toString") and not isinstance(v, str):
            vals[n] = v.toString("yyyy-MM-dd")
        else:
            vals[n] = v
    return vals
for typename in sys.argv[5].split(","):
    lyr = layer(typename)
    info = {"valid": lyr.isValid()}
    if lyr.isValid():
        names = [f.name() for f in lyr.fields()]
        feats = {}
        for f in lyr.getFeatures():
            feats[str(f["gap_id"] if "gap_id" in names else f.id())] = attrs(f, names)
        info["fields"] = names
        info["count"] = len(feats)
        info["features"] = feats if typename == "gaps" else {}
        if typename == "gaps":
            r = QgsFeatureRequest().setFilterRect(QgsRectangle(*bbox))
            info["bbox_ids"] = sorted(str(f["gap_id"]) for f in lyr.getFeatures(r))
            r = QgsFeatureRequest(QgsExpression("\"operator\" = 'viettel'"))
            info["viettel_ids"] = sorted(str(f["gap_id"]) for f in lyr.getFeatures(r))
    out["layers"][typename] = info
ref = QgsVectorLayer(gpkg, "export", "ogr")
names = [f.name() for f in ref.fields() if f.name() != "fid"]
out["export"] = {str(f["gap_id"]): attrs(f, names) for f in ref.getFeatures()}
out["export_bbox_ids"] = sorted(
    str(f["gap_id"]) for f in ref.getFeatures(QgsFeatureRequest().setFilterRect(QgsRectangle(*bbox))))
print(json.dumps(out, default=str), flush=True)
# QGIS 3.22 may crash in exitQgis() once the OAPIF provider's download threads ran: leave now.
import os
os._exit(0)
"""


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


def cli(address, *args, expect=0):
    p = subprocess.run([ARGS.covgap, "--server", address, *args], capture_output=True, text=True,
                       timeout=300)
    if expect is not None and p.returncode != expect:
        e2e_support.fail(f"covgap {' '.join(args)} exited {p.returncode}, not {expect}:\n"
                         f"{p.stderr}")
    return p


def http_port(daemon):
    """The HTTP port covgapd wrote (after the gRPC one the Daemon waited for)."""
    path = daemon.data_dir + ".http"
    deadline = time.time() + 30
    while not (os.path.exists(path) and os.path.getsize(path)):
        if time.time() > deadline:
            e2e_support.fail("covgapd wrote no HTTP port within 30 s:\n" + daemon.log_tail())
        time.sleep(0.02)
    with open(path) as f:
        return int(f.read().strip())


def get_json(url, token, context=None):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token,
                                               "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=60, context=context) as r:
        return json.loads(r.read().decode())


def close_enough(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-6 * (1 + abs(float(b)))
    return str(a) == str(b)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    try:
        import importlib.util
        if importlib.util.find_spec("qgis") is None:
            print("SKIP: python3-qgis is not installed (scripts/deps.sh installs it)")
            return 77
    except ImportError:
        return 77
    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_BOOTSTRAP_TOKEN"] = token
    os.environ["COVGAP_TOKEN"] = token
    work = tempfile.mkdtemp(prefix="covgap_web_e2e_")
    daemons = []
    try:
        scenario = os.path.join(work, "scenario")
        subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "gen_demo.py"),
                        "--out", scenario, "--seed", "9", "--measurements", "20000", "--data",
                        os.path.join(SOURCE, "data", "bacgiang")], check=True,
                       capture_output=True, timeout=300)
        data = os.path.join(work, "data")
        d = e2e_support.Daemon(ARGS.covgapd, data, "--http", "127.0.0.1:0", "--http-port-file",
                               data + ".http")
        daemons.append(d)
        bg = os.path.join(SOURCE, "data", "bacgiang")
        cli(d.address, "ingest", os.path.join(scenario, "measurements.csv"))
        cli(d.address, "import", "areas", os.path.join(bg, "province.geojson"), "--level",
            "province")
        cli(d.address, "import", "areas", os.path.join(bg, "districts.geojson"), "--level",
            "district")
        cli(d.address, "import", "schools", os.path.join(scenario, "schools.csv"))
        cli(d.address, "analyse", "--method", "binned", "--as-of", "2021-12-01T00:00:00Z")
        gpkg = os.path.join(work, "gaps.gpkg")
        cli(d.address, "export", "--format", "gpkg", "-o", gpkg)
        base = f"http://127.0.0.1:{http_port(d)}"

        collections = [c["id"] for c in get_json(base + "/collections", token)["collections"]]
        check("gaps" in collections and "schools" in collections and "districts" in collections
              and any(c.startswith("gaps-viettel-") for c in collections)
              and any(c.startswith("gaps-common-") for c in collections),
              f"the collections: {', '.join(collections)}")
        export_count = int(subprocess.run(
            ["ogrinfo", "-ro", "-so", "-al", gpkg], capture_output=True, text=True,
            check=True).stdout.split("Feature Count: ")[1].split()[0])
        open_count = int(subprocess.run(
            ["ogrinfo", "-ro", "-so", "-al", "-where", "status = 'open'", gpkg],
            capture_output=True, text=True, check=True).stdout.split("Feature Count: ")[1]
            .split()[0])
        check(export_count > 10, f"the export has {export_count} gaps")

        # GDAL's OAPIF driver.
        env = dict(os.environ, CPL_DEBUG="ON")
        p = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{base}/?token={token}"],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0 and all(f": {c} (" in p.stdout for c in collections),
              "ogrinfo OAPIF: lists every collection")
        p = subprocess.run(["ogrinfo", "-ro", "-al", "-q", "-where", "status = 'open'",
                            f"OAPIF:{base}/?token={token}", "gaps"], capture_output=True,
                           text=True, timeout=300, env=env)
        got = p.stdout.count("OGRFeature(gaps)")
        check(p.returncode == 0 and got == open_count,
              f"ogrinfo OAPIF -where status = 'open': {got} features, the export has "
              f"{open_count}")
        check("status=open" in p.stderr,
              "GDAL sent the attribute filter to the server (status=open in its requests)")

        # PyQGIS through the OAPIF provider.
        some = next(iter(get_json(base + "/collections/gaps/items?limit=1", token)["features"]))
        ring = some["geometry"]["coordinates"][0][0]
        lon, lat = ring[0]
        bbox = [lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05]
        script = os.path.join(work, "qgis_check.py")
        with open(script, "w") as f:
            f.write(QGIS_SCRIPT)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=work,
                   HOME=work)
        p = subprocess.run(["/usr/bin/python3", script, base, token, gpkg, json.dumps(bbox),
                            ",".join(collections)], capture_output=True, text=True, timeout=600,
                           env=env)
        if p.returncode != 0:
            FAILURES.append("pyqgis")
            e2e_support.fail(f"the PyQGIS check exited {p.returncode}:\n{p.stderr[-3000:]}\n"
                             f"{p.stdout[-2000:]}")
        q = json.loads(p.stdout.strip().splitlines()[-1])
        for c in collections:
            info = q["layers"][c]
            check(info["valid"] and info.get("count", 0) > 0,
                  f"QGIS opens {c}: {info.get('count')} features")
        gaps = q["layers"]["gaps"]
        export = q["export"]
        check(set(gaps["features"]) == set(export),
              f"QGIS gets the export's {len(export)} gap ids")
        fields = [n for n in export[next(iter(export))]]
        check(all(n in gaps["fields"] for n in fields), "QGIS has every field of the export")
        differing = [(gid, n, gaps["features"][gid].get(n), v)
                     for gid, row in export.items() if gid in gaps["features"]
                     for n, v in row.items()
                     if not close_enough(gaps["features"][gid].get(n), v)]
        check(not differing, "QGIS's attribute values equal the export's" +
              (f" (first differences: {differing[:5]})" if differing else ""))
        check(gaps["bbox_ids"] and set(gaps["bbox_ids"]) == set(q["export_bbox_ids"]),
              f"a bbox request gets the export's {len(q['export_bbox_ids'])} gaps in the box")
        viettel = sorted(gid for gid, row in export.items() if row.get("operator") == "viettel")
        check(gaps["viettel_ids"] == viettel,
              f"a filter expression gets the export's {len(viettel)} viettel gaps")

        # HTTPS with the gRPC certificate.
        certs = os.path.join(work, "certs")
        os.makedirs(certs)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key",
                        "-out", "server.pem", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       cwd=certs, check=True, capture_output=True)
        t = e2e_support.Daemon(ARGS.covgapd, os.path.join(work, "tls-data"), "--http",
                               "127.0.0.1:0", "--http-port-file",
                               os.path.join(work, "tls-data") + ".http", "--tls-cert",
                               os.path.join(certs, "server.pem"), "--tls-key",
                               os.path.join(certs, "server.key"))
        daemons.append(t)
        import ssl
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "server.pem"))
        tls_base = f"https://127.0.0.1:{http_port(t)}"
        landing = get_json(tls_base + "/", token, context=ctx)
        check(any(l["href"].startswith(tls_base) for l in landing["links"]),
              "HTTPS: the landing page links stay on https://")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http_port(t)}/", timeout=10)
            check(False, "HTTPS only: plaintext is refused")
        except Exception:
            check(True, "HTTPS only: plaintext is refused")
    finally:
        for d in daemons:
            d.stop()
        if not FAILURES:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work} for inspection", file=sys.stderr)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
