#!/usr/bin/python3
"""End to end: `covgap doctor` walks a new installation from nothing to a first analysis.

1. covgapd not running: exit 3, one ✗ server line that says how to start it.
2. No token, then a wrong one: exit 4, the token line says where a token comes from.
3. A new store with the authority's token: exit 1; ✗ store, areas and schools with the command
   to run each; ! sites (analyses would be binned) and ! latest run (none yet).
4. After ingest and the imports of districts, schools, households and viettel's sites: exit 0,
   "ready: an analysis now is hybrid", the sites line names the operators without sites.
5. After `covgap analyse`: latest run ✓ with its method; new measurements afterwards make it !.
6. An operator's token: no households line, its own sites only, analyses are the authority's.
--json is checked at each step against the table.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402

ARGS = None
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


def doctor(address, token, *extra):
    env = dict(os.environ, COVGAP_SERVER=address)
    env.pop("COVGAP_TOKEN", None)
    env.pop("COVGAP_TOKEN_FILE", None)
    if token is not None:
        env["COVGAP_TOKEN"] = token
    p = subprocess.run([ARGS.covgap, "--server", address, "--connect-timeout", "2", "doctor",
                        *extra], env=env, capture_output=True, text=True, timeout=120)
    return p


def lines_of(p):
    """{check name: (mark, detail, fix)} of the table output."""
    out = {}
    last = None
    for line in p.stdout.splitlines():
        if line[:1] in ("✓", "!", "✗") and len(line) > 2:
            mark, rest = line[0], line[2:]
            name, detail = rest[:11].strip(), rest[11:].strip()
            out[name] = [mark, detail, ""]
            last = name
        elif line.strip().startswith("→") and last:
            out[last][2] = line.strip()[1:].strip()
    return out


def as_json(address, token):
    p = doctor(address, token, "--json")
    doc = json.loads(p.stdout)
    return p.returncode, {c["name"]: c for c in doc["checks"]}, doc


def cli(address, token, *args):
    env = dict(os.environ, COVGAP_TOKEN=token, COVGAP_SERVER=address)
    p = subprocess.run([ARGS.covgap, "--server", address, *args], env=env, capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        e2e_support.fail(f"covgap {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    work = tempfile.mkdtemp(prefix="covgap_e2e_doctor_")
    daemon = None
    try:
        # 1. Nothing listening.
        down = f"127.0.0.1:{free_port()}"
        p = doctor(down, None)
        rows = lines_of(p)
        check(p.returncode == 3 and rows.get("server", ["?"])[0] == "✗" and
              "covgapd --data" in rows["server"][2] and list(rows) == ["server"],
              f"covgapd down: exit 3, one ✗ server line saying how to start it ({p.stdout!r})")

        token_file = os.path.join(work, "authority.token")
        daemon = e2e_support.Daemon(ARGS.covgapd, os.path.join(work, "data"),
                                    "--bootstrap-token-file", token_file)
        authority = open(token_file).read().strip()
        addr = daemon.address

        # 2. Tokens.
        p = doctor(addr, None)
        rows = lines_of(p)
        check(p.returncode == 4 and rows["server"][0] == "✓" and rows["token"][0] == "✗" and
              "COVGAP_TOKEN" in rows["token"][2],
              f"no token: exit 4, the fix says where a token comes from ({rows.get('token')})")
        p = doctor(addr, "cgp_nobody00_0123456789abcdef0123456789abcdef01234567")
        rows = lines_of(p)
        check(p.returncode == 4 and "new one" in rows["token"][2],
              f"a wrong token: exit 4, ask the authority for a new one ({rows.get('token')})")

        # 3. A new store.
        p = doctor(addr, authority)
        rows = lines_of(p)
        check(p.returncode == 1, f"a new store is not ready: exit 1 ({p.returncode})")
        check(rows["token"][0] == "✓" and rows["token"][1].startswith("authority"),
              f"the token line names the role: {rows['token'][1]}")
        for name, command in (("store", "covgap ingest"), ("areas", "covgap import areas"),
                              ("schools", "covgap import schools")):
            check(rows.get(name, [""])[0] == "✗" and command in rows[name][2],
                  f"✗ {name}, fix: {rows.get(name, ['', '', ''])[2]}")
        check(rows["households"][0] == "!" and rows["sites"][0] == "!" and
              "binned" in rows["sites"][1] and "covgap import sites" in rows["sites"][2],
              f"! households and ! sites (binned without them): {rows['sites']}")
        check(rows["latest run"][0] == "!" and "no analysis yet" in rows["latest run"][1],
              "! latest run: no analysis yet")
        check("not ready: 3 things missing" in p.stdout, "the verdict counts what is missing")
        code, checks, doc = as_json(addr, authority)
        check(code == 1 and not doc["ready"] and checks["schools"]["status"] == "missing" and
              checks["sites"]["status"] == "warn" and checks["server"]["status"] == "ok",
              "--json says the same")

        # 4. Ingest and imports.
        scenario = os.path.join(work, "scenario")
        subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "gen_demo.py"), "--out",
                        scenario, "--seed", "3", "--measurements", "20000"], check=True,
                       capture_output=True)
        cli(addr, authority, "ingest", os.path.join(scenario, "measurements.csv"))
        cli(addr, authority, "import", "areas", os.path.join(REPO, "data", "bacgiang",
                                                             "districts.geojson"),
            "--level", "district")
        cli(addr, authority, "import", "schools", os.path.join(scenario, "schools.csv"))
        cli(addr, authority, "import", "households", os.path.join(scenario, "households.csv"))
        viettel_sites = os.path.join(work, "viettel-sites.csv")
        with open(os.path.join(scenario, "sites.csv")) as src, open(viettel_sites, "w") as dst:
            for i, line in enumerate(src):
                if i == 0 or line.split(",")[1] == "viettel":
                    dst.write(line)
        cli(addr, authority, "import", "sites", viettel_sites)
        p = doctor(addr, authority)
        rows = lines_of(p)
        check(p.returncode == 0 and "ready: an analysis now is hybrid" in p.stdout,
              f"after the imports: exit 0, ready for a hybrid analysis ({p.stdout[-200:]!r})")
        check(rows["store"][0] == "✓" and "viettel LTE" in rows["store"][1],
              f"✓ store with counts per group: {rows['store'][1][:80]}")
        check(rows["areas"][0] == "!" and "--level province and --level commune" in rows["areas"][2],
              f"districts only: ! areas, import communes ({rows['areas']})")
        check(rows["sites"][0] == "!" and "mobifone" in rows["sites"][1] and
              "vnpt" in rows["sites"][1], f"the operators without sites are named: {rows['sites']}")

        # 5. An analysis, then newer measurements.
        cli(addr, authority, "analyse", "--as-of", "2021-12-01T00:00:00Z")
        rows = lines_of(doctor(addr, authority))
        check(rows["latest run"][0] == "✓" and "(hybrid)" in rows["latest run"][1],
              f"✓ latest run with its method: {rows['latest run'][1]}")
        late = os.path.join(work, "late.csv")
        with open(late, "w") as f:
            f.write("operator,tech,lat,lon,signal_dbm,timestamp,source,device_id\n"
                    f"viettel,LTE,21.3,106.3,-90,2021-12-02T08:00:00Z,drive,late\n")
        cli(addr, authority, "ingest", late)
        rows = lines_of(doctor(addr, authority))
        check(rows["latest run"][0] == "!" and "came after it" in rows["latest run"][1] and
              "covgap analyse" in rows["latest run"][2],
              f"measurements after the run: ! latest run, analyse again ({rows['latest run']})")

        # 6. An operator's view.
        viettel = json.loads(cli(addr, authority, "token", "create", "--role", "operator:viettel",
                                 "--json"))["token"]
        p = doctor(addr, viettel)
        rows = lines_of(p)
        check("households" not in rows, "an operator gets no households line")
        check(rows["sites"][0] == "✓" and "vnpt" not in rows["sites"][1],
              f"an operator sees its own sites only: {rows['sites']}")
        check("authority" in rows["latest run"][2] and "operator viettel" in rows["token"][1],
              f"an operator is told analyses are the authority's: {rows['latest run']}")
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    if e2e_support.FAILURES:
        sys.exit(1)
    print("e2e doctor: all checks passed")


if __name__ == "__main__":
    main()
