#!/usr/bin/python3
"""End-to-end: two covgapd replicas on one PostgreSQL database (docs/deployment.md).

Needs COVGAP_TEST_PG (a libpq URL or key=value string of a server where it may create
databases, e.g. the throwaway cluster of scripts/pg_cluster.sh; scripts/test.sh sets it); without
it the test is skipped (exit 77). Each run creates a fresh database and drops it afterwards.

1. Replicas A and B start together on the empty database with the same --bootstrap-token-file:
   one authority token exists afterwards, and it works through both.
2. Concurrent ingestion: part 1 of a generated scenario into A, part 2 into B, and part 3 into
   both at once. Every row is stored once (stats through A and B: the file's rows, per operator
   and technology; part 3's accepted rows of A and B add up to its rows).
3. One analysis through A: `covgap gaps --json` through A and through B equal, field by field
   (id, cells, area, rank, score, ...), those of a third covgapd on the embedded store (--data)
   that ingested the same files and ran the same analysis.
4. An operator token created through B plans a gap through A: B shows it planned at once, and
   `covgap watch --json` on B prints the `planned` event.
5. A is SIGKILLed in the middle of an ingest while B ingests another file: B finishes and
   keeps serving; the killed client's ingest, re-run against B, completes; the store holds every
   acknowledged row and no row twice (stats equal the files' valid rows). A restarted replica
   serves the same data.
6. `covgap analyse` started on two replicas at the same moment, over all the data: both
   succeed, one after the other (the intervals between "analysis started" and "stored" in the
   two logs do not overlap).
"""
import argparse
import csv
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import e2e_support
from e2e_support import FAILURES, fail, write_measurements_csv

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
AS_OF = "2021-12-01T00:00:00Z"
SKIP = 77


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


def cli(address, *args, timeout=600):
    return subprocess.run([ARGS.covgap, "--server", address, *args], capture_output=True,
                          text=True, timeout=timeout)


def cli_ok(address, *args):
    p = cli(address, *args)
    if p.returncode != 0:
        fail(f"covgap {' '.join(args)} on {address} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p.stdout


def describe(p):
    return f"exit {p.returncode}: {(p.stdout + p.stderr).strip()[:400]}"


def stats(address):
    doc = json.loads(cli_ok(address, "stats", "--json"))
    return {(c["operator"], c["tech"]): c["count"] for c in doc["counts"]}, doc["total"]


def database_url(base, name):
    """`base` with its database replaced by `name` (URL or key=value form)."""
    if base.startswith(("postgresql://", "postgres://")):
        u = urllib.parse.urlsplit(base)
        return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))
    return base + f" dbname={name}"


def psql(url, sql):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail(f"psql {sql!r} failed: {p.stderr.strip()}")


def count_rows(path):
    """(operator, tech) -> rows of a generated (all valid) measurement CSV."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["operator"], row["tech"])
            out[key] = out.get(key, 0) + 1
    return out


def add(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def split_csv(path, parts, out_dir):
    with open(path) as f:
        header, rows = f.readline(), f.readlines()
    paths = []
    step = (len(rows) + parts - 1) // parts
    for i in range(parts):
        p = os.path.join(out_dir, f"part{i + 1}.csv")
        with open(p, "w") as f:
            f.write(header)
            f.writelines(rows[i * step:(i + 1) * step])
        paths.append(p)
    return paths


def gaps_json(address):
    doc = json.loads(cli_ok(address, "gaps", "--limit", "0", "--json"))
    gaps = doc["gaps"]
    for g in gaps:
        g.pop("analysed", None)  # the run's time differs from store to store
    return sorted(gaps, key=lambda g: g["gap_id"])


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT[0-9:.]+Z) (.*)$")


def analysis_intervals(log_path):
    """[(started, stored)] of the analyses in a covgapd log, as datetimes."""
    out, start = [], None
    with open(log_path, errors="replace") as f:
        for line in f:
            m = LOG_TIME.match(line.strip())
            if not m:
                continue
            when = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
            if "analysis started by" in m.group(2):
                start = when
            elif re.search(r"analysis \d+ stored", m.group(2)) and start is not None:
                out.append((start, when))
                start = None
    return out


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ap.add_argument("--measurements", type=int, default=90000)
    ap.add_argument("--kill-rows", type=int, default=400000)
    ARGS = ap.parse_args()
    base = os.environ.get("COVGAP_TEST_PG", "")
    if not base:
        print("SKIP: COVGAP_TEST_PG is not set (a PostgreSQL server URL; scripts/test.sh starts a "
              "throwaway cluster with scripts/pg_cluster.sh and sets it)")
        sys.exit(SKIP)

    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_TOKEN"] = token
    os.environ.pop("COVGAP_BOOTSTRAP_TOKEN", None)
    work = tempfile.mkdtemp(prefix="covgap_e2e_replicas_")
    db = f"covgap_e2e_{os.getpid()}_{os.urandom(3).hex()}"
    psql(base, f"CREATE DATABASE {db}")
    url = database_url(base, db)
    daemons = {}
    watch = None
    try:
        token_file = os.path.join(work, "authority.token")
        with open(token_file, "w") as f:
            f.write(token + "\n")

        # 1. Both replicas start at once on the empty database.
        started = {}

        def start(name):
            started[name] = e2e_support.Daemon(ARGS.covgapd, os.path.join(work, name),
                                               "--bootstrap-token-file", token_file, store=url)
        threads = [threading.Thread(target=start, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if set(started) != {"a", "b"}:
            fail("a replica did not start (see the FAIL above)")
        daemons.update(started)
        a, b = daemons["a"].address, daemons["b"].address
        p = cli(a, "token", "list", "--json")
        doc = json.loads(p.stdout) if p.returncode == 0 else {"tokens": []}
        authorities = [t for t in doc["tokens"]
                       if t["role"] == "authority" and not t["revoked"]]
        check(len(authorities) == 1,
              f"one authority token after both replicas started together ({describe(p)})")
        check(cli(b, "stats").returncode == 0, "the bootstrap token works through B too")

        # 2. Concurrent ingestion.
        scenario = os.path.join(work, "scenario")
        subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "gen_demo.py"),
                        "--out", scenario, "--seed", "11", "--measurements",
                        str(ARGS.measurements), "--data",
                        os.path.join(SOURCE, "data", "bacgiang")],
                       check=True, capture_output=True)
        everything = os.path.join(scenario, "measurements.csv")
        part1, part2, part3 = split_csv(everything, 3, work)
        jobs = [("A part 1", a, part1), ("B part 2", b, part2), ("A part 3", a, part3),
                ("B part 3", b, part3)]
        procs = [(name, subprocess.Popen([ARGS.covgap, "--server", addr, "ingest", path, "--json",
                                          "--batch-size", "2000"], stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True))
                 for name, addr, path in jobs]
        results = {}
        for name, proc in procs:
            out, err = proc.communicate(timeout=600)
            check(proc.returncode == 0, f"ingest {name} succeeded (exit {proc.returncode} {err})")
            results[name] = json.loads(out) if proc.returncode == 0 else {}
        want = count_rows(everything)
        rows3 = sum(count_rows(part3).values())
        for name, addr in (("A", a), ("B", b)):
            counts, total = stats(addr)
            check(counts == want and total == ARGS.measurements,
                  f"stats through {name}: every row stored once ({total} of {ARGS.measurements})")
        acc3 = [results.get(n, {}).get("accepted", -1) for n in ("A part 3", "B part 3")]
        dup3 = [results.get(n, {}).get("duplicate", -1) for n in ("A part 3", "B part 3")]
        check(sum(acc3) == rows3 and sum(dup3) == rows3,
              f"part 3 into both: accepted {acc3} and duplicates {dup3} each add up to {rows3}")

        bg = os.path.join(SOURCE, "data", "bacgiang")
        imports = [("areas", os.path.join(bg, "province.geojson"), "--level", "province"),
                   ("areas", os.path.join(bg, "districts.geojson"), "--level", "district"),
                   ("areas", os.path.join(bg, "communes.geojson"), "--level", "commune"),
                   ("schools", os.path.join(scenario, "schools.csv")),
                   ("households", os.path.join(scenario, "households.csv"))]
        for imp in imports:
            cli_ok(b, "import", *imp)

        # 3. One analysis; the gaps equal the embedded store's.
        run = json.loads(cli_ok(a, "analyse", "--as-of", AS_OF, "--json"))
        check(run["measurements"] == ARGS.measurements and run["gaps"] > 0,
              f"analysis through A: {run['gaps']} gaps from {run['measurements']} measurements")
        embedded = e2e_support.Daemon(ARGS.covgapd, os.path.join(work, "embedded"),
                                      "--bootstrap-token-file", token_file)
        daemons["embedded"] = embedded
        e = embedded.address
        cli_ok(e, "ingest", everything)
        for imp in imports:
            cli_ok(e, "import", *imp)
        ref_run = json.loads(cli_ok(e, "analyse", "--as-of", AS_OF, "--json"))
        check(ref_run["grids"] == run["grids"],
              "per operator/technology cell classes and gap counts equal the embedded store's")
        ref = gaps_json(e)
        for name, addr in (("A", a), ("B", b)):
            mine = gaps_json(addr)
            diff = [x["gap_id"] for x, y in zip(mine, ref) if x != y]
            differ = f"; these differ: {diff[:5]}" if diff else ""
            check(len(mine) == len(ref) and not diff,
                  f"the {len(mine)} gaps through {name} equal the embedded store's {len(ref)} "
                  f"(ids, cells, areas, ranks, scores){differ}")
        daemons.pop("embedded").stop()

        # 4. A status change through A is visible through B at once, and B's watch sees it.
        p = cli(b, "token", "create", "--role", "operator:viettel", "--json")
        if not check(p.returncode == 0, f"operator token created through B ({describe(p)})"):
            fail("cannot go on without an operator token")
        viettel = json.loads(p.stdout)["token"]
        gap = next(g["gap_id"] for g in ref if g["operator"] == "viettel" and
                   g["kind"] == "operator")
        watch_path = os.path.join(work, "watch.jsonl")
        watch_out = open(watch_path, "w")
        watch = subprocess.Popen([ARGS.covgap, "--server", b, "watch", "--json"],
                                 stdout=watch_out, stderr=subprocess.PIPE, text=True)
        time.sleep(1)  # the watch has replayed the history and is waiting
        env = dict(os.environ, COVGAP_TOKEN=viettel)
        p = subprocess.run([ARGS.covgap, "--server", a, "gap", "plan", gap, "--action",
                            "Trạm BTS mới", "--target", "2026-12-31"], env=env,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"viettel plans {gap} through A ({describe(p)})")
        planned_at = time.time()
        p = cli(b, "gap", gap, "--json")
        status = json.loads(p.stdout).get("status") if p.returncode == 0 else None
        check(status == "planned", f"B shows {gap} planned at once (status {status})")
        seen, deadline = [], time.time() + 10
        while time.time() < deadline:
            with open(watch_path) as f:
                seen = [(ev["type"], ev["gap_id"]) for ev in map(json.loads, f.read().splitlines())]
            if ("planned", gap) in seen:
                break
            time.sleep(0.02)
        check(("planned", gap) in seen,
              f"`covgap watch` on B printed the plan made through A "
              f"({time.time() - planned_at:.2f} s after it)")
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=10)
        watch_out.close()
        watch = None

        # 5. A dies in the middle of an ingest while B ingests another file.
        _, base_total = stats(b)
        big = os.path.join(work, "big.csv")
        other = os.path.join(work, "other.csv")
        exp_big, _ = write_measurements_csv(big, ARGS.kill_rows, seed=21)
        exp_other, _ = write_measurements_csv(other, ARGS.kill_rows // 2, seed=22)
        valid_big, valid_other = sum(exp_big.values()), sum(exp_other.values())
        ingest_args = ["--json", "--batch-size", "2000", "--batches-per-call", "5"]
        killed = subprocess.Popen([ARGS.covgap, "--server", a, "ingest", big, *ingest_args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while stats(b)[1] < base_total + 20000:  # some of A's batches are stored
            if killed.poll() is not None or time.time() > deadline:
                fail("the ingest into A ended before A could be killed; raise --kill-rows")
            time.sleep(0.02)
        survivor = subprocess.Popen([ARGS.covgap, "--server", b, "ingest", other, *ingest_args],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)  # both ingest now
        if killed.poll() is not None:
            fail("the ingest into A ended before A could be killed; raise --kill-rows")
        daemons["a"].kill(signal.SIGKILL)
        out, err = killed.communicate(timeout=120)
        check(killed.returncode == 3, f"the ingest into the killed A exits 3 ({err.strip()})")
        acked = json.loads(out) if out.strip() else {"accepted": 0}
        check(cli(b, "stats").returncode == 0, "B answers while A is dead")
        out, err = survivor.communicate(timeout=600)
        check(survivor.returncode == 0, f"the ingest into B finished ({err.strip()[:300]})")
        _, total = stats(b)
        check(total >= base_total + valid_other + acked["accepted"],
              f"every acknowledged row is stored: {total} >= {base_total} + {valid_other} + "
              f"{acked['accepted']} acknowledged by A")
        check(total < base_total + valid_other + valid_big, "A really died mid-ingest")
        p = cli(b, "ingest", big, *ingest_args)
        check(p.returncode == 0, f"the killed client's ingest re-run against B ({describe(p)})")
        counts, total = stats(b)
        check(total == base_total + valid_other + valid_big,
              f"nothing lost, nothing twice: {total} rows = {base_total} + {valid_other} + "
              f"{valid_big}")
        check(counts == add(add(want, exp_big), exp_other),
              "per operator/technology counts equal the files' valid rows")
        # A comes back, as a new replica joining the database.
        daemons["b2"] = e2e_support.Daemon(ARGS.covgapd, os.path.join(work, "a2"),
                                           "--bootstrap-token-file", token_file, store=url)
        b2 = daemons["b2"].address
        check(stats(b2) == (counts, total), "a replica started later serves the same data")

        # 6. Analyses started on both replicas at once (on all the data now: long enough to overlap
        # if they could) run one after the other.
        both = [subprocess.Popen([ARGS.covgap, "--server", addr, "analyse", "--as-of", AS_OF,
                                  "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for addr in (b, b2)]
        runs = []
        for proc in both:
            out, err = proc.communicate(timeout=600)
            check(proc.returncode == 0, f"concurrent analysis succeeded ({err.strip()[:300]})")
            runs.append(json.loads(out) if proc.returncode == 0 else {})
        check(len({r.get("run_id") for r in runs}) == 2, "two runs were stored")
        intervals = sorted(analysis_intervals(daemons["b2"].log_path)[-1:] +
                           analysis_intervals(daemons["b"].log_path)[-1:])
        check(len(intervals) == 2 and intervals[0][1] <= intervals[1][0],
              f"the two analyses did not overlap: {[(s.time(), t.time()) for s, t in intervals]}")
        check(gaps_json(b) == gaps_json(b2), "B and B2 list the same gaps after them")

        if FAILURES:
            fail(f"{len(FAILURES)} check(s) failed")
        print("e2e replicas: all checks passed")
    finally:
        if watch is not None:
            watch.kill()
        for d in daemons.values():
            d.stop()
        psql(base, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
