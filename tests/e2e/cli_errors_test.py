#!/usr/bin/python3
"""End to end: every CLI mistake a first-time user makes gets one line that says what to do.

Walks the commands with wrong input against a real covgapd (docs/troubleshooting.md "Error
messages"): server down, missing file, wrong format, wrong CRS, unknown operator, bad date, no
analysis yet, no / wrong / revoked / expired token, a role that may not do it, unknown commands
and options. For each case: the exit status documented in `covgap --help` (1 error, 2 bad command
line, 3 unreachable, 4 no valid token or not allowed), exactly one line on stderr that starts with
"covgap" and matches what it must say (the cause and the action), and nothing on stdout.
Then the same commands succeed once the cause is fixed, so the checks cannot pass by accident.
"""
import argparse
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402

ARGS = None
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DISTRICTS = os.path.join(REPO, "data", "bacgiang", "districts.geojson")


def run(address, token, *args, env_extra=None):
    env = dict(os.environ)
    for k in ("COVGAP_TOKEN", "COVGAP_TOKEN_FILE", "COVGAP_SERVER", "COVGAP_TLS_CA"):
        env.pop(k, None)
    if token is not None:
        env["COVGAP_TOKEN"] = token
    env.update(env_extra or {})
    return subprocess.run([ARGS.covgap, "--server", address, "--connect-timeout", "3", *args],
                          env=env, capture_output=True, text=True, timeout=300)


def expect(address, token, case, args, code, pattern, stdout_empty=True):
    """One case: exit `code`, one stderr line matching `pattern`, nothing on stdout."""
    p = run(address, token, *args)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    line = lines[0] if lines else ""
    ok = (p.returncode == code and len(lines) == 1 and line.startswith("covgap") and
          re.search(pattern, line) is not None and (not stdout_empty or not p.stdout.strip()))
    e2e_support.check(ok, f"{case}: exit {p.returncode} (want {code}), {len(lines)} line(s): "
                          f"{line!r}" + ("" if ok else f"; stdout {p.stdout[:200]!r}; "
                                                       f"stderr {p.stderr[:600]!r}"),
                      keep_going=True)
    return line


def must(address, token, *args):
    p = run(address, token, *args)
    if p.returncode != 0:
        e2e_support.fail(f"covgap {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    work = tempfile.mkdtemp(prefix="covgap_e2e_errors_")
    daemon = None
    try:
        # Inputs: a measurement file, a schools file, and wrong files of every kind.
        measurements = os.path.join(work, "m.csv")
        e2e_support.write_measurements_csv(measurements, 3000, invalid_every=10 ** 9)
        schools = write(os.path.join(work, "schools.csv"),
                        "school_id,name,level,lat,lon,students,students_without_device\n"
                        "S1,Trường A,primary,21.30,106.30,300,12\n")
        missing = os.path.join(work, "no-such-file.csv")
        png = write(os.path.join(work, "photo.png"), b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
                    "wb")
        notes = write(os.path.join(work, "notes.csv"), "what,when\nlunch,noon\n")
        projected = write(os.path.join(work, "utm.geojson"), """{"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": {"name": "Huyện X"}, "geometry":
          {"type": "Polygon", "coordinates": [[[600000, 2350000], [610000, 2350000],
          [610000, 2360000], [600000, 2360000], [600000, 2350000]]]}}]}""")
        folder = os.path.join(work, "no-such-folder", "gaps.gpkg")

        # 1. covgapd is not running.
        down = f"127.0.0.1:{free_port()}"
        for args in (["gaps"], ["stats"], ["ingest", measurements], ["report"],
                     ["import", "schools", schools], ["analyse"]):
            expect(down, None, f"server down: covgap {args[0]}", args, 3,
                   r"cannot reach covgapd at 127\.0\.0\.1:\d+ .*is covgapd running\? use "
                   r"--server HOST:PORT")

        # Command-line mistakes are caught before any server is needed.
        expect(down, None, "unknown command", ["gapz"], 2,
               r"unknown command 'gapz': use one of ingest, stats, .*gaps.* \(covgap --help\)")
        expect(down, None, "unknown option", ["gaps", "--sort", "score"], 2,
               r"covgap gaps: unknown option --sort \(covgap help gaps\)")
        expect(down, None, "unexpected argument", ["stats", "now"], 2,
               r"covgap stats: unexpected argument 'now' \(covgap help stats\)")
        expect(down, None, "a number that is not one", ["gaps", "--limit", "ten"], 2,
               r"--limit must be a whole number .*not 'ten'")
        expect(down, None, "a bad --connect-timeout", ["--connect-timeout", "soon", "gaps"], 2,
               r"--connect-timeout must be 1\.\.3600 seconds, not 'soon'")
        expect(down, None, "import without a kind", ["import", schools], 2,
               r"name a KIND \(areas, schools, households, sites\) and a FILE")
        expect(down, None, "import of measurements", ["import", "measurements", measurements], 2,
               r"unknown kind 'measurements'.*go in with covgap ingest")
        expect(down, None, "import areas without a level", ["import", "areas", DISTRICTS], 2,
               r"--level must be province, district or commune")
        expect(down, None, "export without -o", ["export", "--format", "gpkg"], 2,
               r"give --format .* and -o PATH")
        expect(down, None, "a bad --tech", ["gaps", "--tech", "WiFi"], 2,
               r"--tech must be LTE, UMTS, GSM or NR, not 'WiFi'")
        expect(down, None, "a bad report format", ["report", "--format", "pdf"], 2,
               r"--format must be table, json, csv or html, not 'pdf'")

        # Bad dates.
        expect(down, None, "bad date: report --deadline", ["report", "--deadline", "31/12/2021"],
               2, r"--deadline must be a date YYYY-MM-DD \(e\.g\. 2021-12-31\), not '31/12/2021'")
        expect(down, None, "bad date: report --as-of", ["report", "--as-of", "yesterday"], 2,
               r"--as-of must be a date YYYY-MM-DD or an ISO 8601 time, not 'yesterday'")
        expect(down, None, "bad date: analyse --as-of", ["analyse", "--as-of", "2021-13-01"], 2,
               r"--as-of '2021-13-01' is not an ISO 8601 time \(e\.g\. 2021-12-15")
        expect(down, None, "bad date: gap plan --target",
               ["gap", "plan", "viettel-LTE-1_1", "--action", "new site", "--target", "tomorrow"],
               2, r"--target must be a date YYYY-MM-DD \(e\.g\. 2021-12-31\), not 'tomorrow'")
        expect(down, None, "bad date: gap clear --date",
               ["gap", "clear", "viettel-LTE-1_1", "--date", "12/10"], 2,
               r"--date must be YYYY-MM-DD or YYYY-MM-DDTHH:MM \(UTC\), not '12/10'")
        expect(down, None, "bad date: token create --expires",
               ["token", "create", "--role", "viewer", "--expires", "soon"], 2,
               r"--expires must be a date YYYY-MM-DD, a number of days such as 30d")

        # Missing files (before anything is sent).
        expect(down, None, "missing file: import", ["import", "schools", missing], 1,
               r"no-such-file\.csv: no such file; check the path")
        expect(down, None, "missing file: ingest", ["ingest", missing], 1,
               r"no-such-file\.csv: no such file; check the path")
        expect(down, None, "missing file: --token-file", ["--token-file", missing, "gaps"], 2,
               r"--token-file .*no-such-file\.csv: no such file or not readable; give the file "
               r"holding your token")
        expect(down, None, "missing file: --weights", ["analyse", "--weights", missing], 2,
               r"--weights .*no such file or not readable; give a file of `key = value` lines")
        expect(down, None, "missing file: --columns",
               ["import", "schools", schools, "--columns", missing], 1,
               r"--columns .*no such file or not readable; give the path of a `field = column`")
        expect(down, None, "wrong format: ingest a file that is not measurements", ["ingest", notes],
               1, r"notes\.csv: .*(column|header)")

        # 2. covgapd up, nothing analysed yet.
        token_file = os.path.join(work, "authority.token")
        daemon = e2e_support.Daemon(ARGS.covgapd, os.path.join(work, "data"),
                                    "--bootstrap-token-file", token_file)
        authority = open(token_file).read().strip()
        addr = daemon.address

        # Tokens.
        expect(addr, None, "no token", ["gaps"], 4,
               r"no token: send .*covgap --token-file / COVGAP_TOKEN")
        expect(addr, "cgp_nobody00_0123456789abcdef0123456789abcdef01234567", "unknown token",
               ["gaps"], 4, r"refused the token \(unknown token\): ask the authority for a valid "
                            r"one \(covgap token create\) and pass it with --token-file FILE or "
                            r"COVGAP_TOKEN")
        expect(addr, "garbage", "malformed token", ["stats"], 4,
               r"refused the token \(malformed token\): ask the authority")
        viewer = must(addr, authority, "token", "create", "--role", "viewer").strip()
        expect(addr, viewer, "a viewer may not analyse", ["analyse"], 4,
               r"not allowed: viewer .* may not call .*; use a token whose role may do this "
               r"\(covgap doctor shows yours")
        revoked = must(addr, authority, "token", "create", "--role", "viewer").strip()
        must(addr, authority, "token", "revoke", revoked.split("_")[1])
        expect(addr, revoked, "revoked token", ["gaps"], 4,
               r"was revoked on .*: ask the authority for a valid one")
        soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3))
        expiring = must(addr, authority, "token", "create", "--role", "viewer", "--expires",
                        soon.strftime("%Y-%m-%dT%H:%M:%SZ")).strip()
        e2e_support.check(run(addr, expiring, "stats").returncode == 0,
                          "a token that expires in 3 s works now", keep_going=True)
        deadline = time.time() + 30
        while run(addr, expiring, "stats").returncode == 0 and time.time() < deadline:
            time.sleep(0.2)
        expect(addr, expiring, "expired token", ["gaps"], 4,
               r"token tok_\w+ expired on 20\d\d-.*: ask the authority for a new one "
               r"\(covgap token create\)")
        expect(addr, authority, "an expiry in the past",
               ["token", "create", "--role", "viewer", "--expires", "2021-01-01"], 1,
               r"the expiry .* is not in the future: give a later --expires")
        listed = must(addr, authority, "token", "list")
        e2e_support.check("expires" in listed.splitlines()[0] and
                          soon.strftime("%Y-%m-%dT%H:%M:%S") in listed,
                          "covgap token list shows the expiry", keep_going=True)

        # Unknown operators.
        expect(addr, authority, "unknown operator: gaps", ["gaps", "--operator", "viettell"], 1,
               r"'viettell' is not a registered operator: use one of .*viettel")
        expect(addr, authority, "unknown operator: sites", ["sites", "--operator", "vinaphone"], 1,
               r"'vinaphone' is not a registered operator: use one of")
        expect(addr, authority, "unknown operator: token",
               ["token", "create", "--role", "operator:fpt"], 1,
               r"'fpt' is not a registered operator: use one of")
        expect(addr, authority, "unknown operator: export",
               ["export", "--format", "gpkg", "-o", os.path.join(work, "g.gpkg"), "--operator",
                "x"], 1, r"'x' is not a registered operator")

        # No analysis yet.
        for args in (["gaps"], ["gap", "viettel-LTE-1_1"], ["schools"],
                     ["report", "--deadline", "2021-12-31"], ["verify"],
                     ["export", "--format", "gpkg", "-o", os.path.join(work, "g.gpkg")]):
            expect(addr, authority, f"no analysis yet: covgap {args[0]}", args, 1,
                   r"no analysis has been run yet.*: run covgap analyse first$")
        e2e_support.check(not os.path.exists(os.path.join(work, "g.gpkg")) and
                          not os.path.exists(os.path.join(work, "g.gpkg.part")),
                          "a refused export leaves no file behind", keep_going=True)

        # Wrong formats and CRS (the server reads the upload).
        expect(addr, authority, "wrong format: a PNG as schools", ["import", "schools", png], 1,
               r"photo\.png")
        expect(addr, authority, "wrong format: a CSV without school columns",
               ["import", "schools", notes], 1,
               r"missing required column.*(accepted|--columns)")
        expect(addr, authority, "wrong CRS: metres in a GeoJSON (which is degrees)",
               ["import", "areas", projected, "--level", "district"], 1,
               r"out of longitude/latitude range: the CRS is wrong\. Pass the CRS of the data "
               r"\(--crs")
        expect(addr, authority, "wrong CRS: an unknown --crs",
               ["import", "areas", DISTRICTS, "--level", "district", "--crs", "EPSG:999999"], 1,
               r"EPSG:999999")
        expect(addr, authority, "wrong format: export --format pdf",
               ["export", "--format", "pdf", "-o", os.path.join(work, "g.pdf")], 1,
               r"unknown export format 'pdf': use shp, gpkg, geojson, csv or kml")

        # Fixed: the same commands work, so the errors above came from the causes named.
        must(addr, authority, "ingest", measurements)
        must(addr, authority, "import", "areas", DISTRICTS, "--level", "district")
        must(addr, authority, "import", "schools", schools)
        must(addr, authority, "analyse", "--method", "binned", "--as-of", "2021-12-01")
        for args in (["gaps"], ["schools"], ["report", "--deadline", "2021-12-31"],
                     ["export", "--format", "gpkg", "-o", os.path.join(work, "g.gpkg")],
                     ["gaps", "--operator", "viettel"]):
            must(addr, authority, *args)
        e2e_support.check(True, "after the fixes every command above succeeds")
        expect(addr, authority, "unknown gap id", ["gap", "viettel-LTE-1_1"], 1,
               r"no gap 'viettel-LTE-1_1' in the latest analysis: covgap gaps lists its gap ids")
        expect(addr, authority, "an output folder that does not exist",
               ["export", "--format", "gpkg", "-o", folder], 1,
               r"cannot write .*gaps\.gpkg: its folder does not exist or is not writable")

        # The server stops while a command runs: the connection is lost.
        daemon.stop()
        daemon = None
        expect(addr, authority, "covgapd stopped after the analysis", ["gaps"], 3,
               r"cannot reach covgapd at .*is covgapd running\?")
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    if e2e_support.FAILURES:
        print(f"{len(e2e_support.FAILURES)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("e2e cli errors: all checks passed")


if __name__ == "__main__":
    main()
