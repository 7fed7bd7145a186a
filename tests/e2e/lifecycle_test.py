#!/usr/bin/python3
"""End-to-end: the gap life cycle with covgapd and the covgap CLI as processes.

1. Dead-signal viettel LTE measurements at two places (three samples each, one 100 m cell) are
   ingested and analysed: two viettel gaps, A and B.
2. `covgap watch --json` runs in the background with the authority's token.
3. With an operator token (`covgap token create --role operator:viettel`): clearing before planning
   is refused with what to do; plan and clear A and B (--date 2026-10-01). A vnpt token cannot plan
   them; the authority cannot either.
4. `covgap verify` (authority): both awaiting_measurement (no samples after the clearance).
5. Good samples in A and still-bad samples in B, dated after the clearance, are ingested:
   `covgap verify` -> A verified, B reopened with the figures in the reason; `covgap gap B` shows
   the note; `covgap gap history A` lists the events.
6. The watch saw new, planned, cleared, awaiting_measurement, verified and reopened in order;
   `covgap audit` lists gap.plan, gap.clear and gap.verify.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import e2e_support
from e2e_support import FAILURES, fail

ARGS = None
CLEARED = "2026-10-01"
A = (21.300000, 106.300000)
B = (21.350000, 106.400000)


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


class Daemon:
    def __init__(self, data_dir, token_file):
        self.port_file = data_dir + ".port"
        self.log_path = data_dir + ".log"
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [ARGS.covgapd, "--data", data_dir, "--listen", "127.0.0.1:0", "--port-file",
             self.port_file, "--bootstrap-token-file", token_file], stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file) or not os.path.getsize(self.port_file):
            if self.proc.poll() is not None:
                fail("covgapd exited at start:\n" + open(self.log_path).read())
            if time.time() > deadline:
                fail("covgapd did not start within 30 s")
            time.sleep(0.02)
        time.sleep(0.05)
        with open(self.port_file) as f:
            self.address = "127.0.0.1:" + f.read().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc


def cli(address, token, *args):
    env = dict(os.environ, COVGAP_TOKEN=token, COVGAP_SERVER=address)
    return subprocess.run([ARGS.covgap, "--server", address, *args], env=env,
                          capture_output=True, text=True, timeout=120)


def describe(p):
    return f"exit {p.returncode}: {(p.stdout + p.stderr).strip()[:400]}"


def write_csv(path, rows):
    with open(path, "w") as f:
        f.write("operator,tech,lat,lon,signal_dbm,timestamp,source,device_id\n")
        for op, (lat, lon), dbm, when in rows:
            f.write(f"{op},LTE,{lat:.6f},{lon:.6f},{dbm},{when},drive,e2e\n")


def three(op, place, dbm, day):
    return [(op, place, dbm - i, f"{day}T{8 + i:02d}:00:00Z") for i in range(3)]


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ARGS = ap.parse_args()
    work = tempfile.mkdtemp(prefix="covgap_e2e_life_")
    daemon = None
    watch = None
    try:
        token_file = os.path.join(work, "authority.token")
        daemon = Daemon(os.path.join(work, "data"), token_file)
        authority = open(token_file).read().strip()
        addr = daemon.address

        dead = os.path.join(work, "dead.csv")
        write_csv(dead, three("viettel", A, -121, "2026-06-01") +
                  three("viettel", B, -122, "2026-06-01"))
        p = cli(addr, authority, "ingest", dead)
        if not check(p.returncode == 0, "dead-signal measurements ingested (" + describe(p) + ")"):
            fail("cannot go on without measurements")
        p = cli(addr, authority, "analyse")
        if not check(p.returncode == 0, "analysis ran (" + describe(p) + ")"):
            fail("cannot go on without an analysis")
        p = cli(addr, authority, "gaps", "--operator", "viettel", "--kind", "operator", "--json")
        gaps = json.loads(p.stdout)["gaps"] if p.returncode == 0 else []
        if not check(len(gaps) == 2, f"two viettel gaps found ({describe(p)})"):
            fail("cannot go on without the two gaps")
        # A is the one further south (lower latitude): ids end with _<cell y>.
        gaps.sort(key=lambda g: int(g["gap_id"].rsplit("_", 1)[1]))
        gap_a, gap_b = gaps[0]["gap_id"], gaps[1]["gap_id"]
        print(f"gaps: A={gap_a} B={gap_b}")

        tokens = {}
        for role in ("operator:viettel", "operator:vnpt"):
            p = cli(addr, authority, "token", "create", "--role", role, "--json")
            if not check(p.returncode == 0, f"token for {role} created ({describe(p)})"):
                fail("cannot go on without operator tokens")
            tokens[role] = json.loads(p.stdout)["token"]
        viettel, vnpt = tokens["operator:viettel"], tokens["operator:vnpt"]

        watch_out = open(os.path.join(work, "watch.jsonl"), "w")
        watch = subprocess.Popen(
            [ARGS.covgap, "--server", addr, "watch", "--json"],
            env=dict(os.environ, COVGAP_TOKEN=authority), stdout=watch_out,
            stderr=subprocess.PIPE, text=True)

        p = cli(addr, viettel, "gap", "clear", gap_a, "--date", CLEARED)
        check(p.returncode != 0 and "file a plan first: covgap gap plan " + gap_a in p.stderr,
              "clearing before planning is refused with what to do (" + describe(p) + ")")
        p = cli(addr, vnpt, "gap", "plan", gap_a, "--action", "x", "--target", "2026-12-31")
        check(p.returncode == 4 and "not allowed" in p.stderr,
              "vnpt's token cannot plan viettel's gap, exit 4 (" + describe(p) + ")")
        p = cli(addr, authority, "gap", "plan", gap_a, "--action", "x", "--target", "2026-12-31")
        check(p.returncode == 4, "the authority cannot plan an operator's gap (" + describe(p) + ")")
        for gap in (gap_a, gap_b):
            p = cli(addr, viettel, "gap", "plan", gap, "--action", "Trạm BTS mới", "--target",
                    "2026-12-31")
            check(p.returncode == 0 and "is planned" in p.stdout,
                  f"viettel plans {gap} ({describe(p)})")
            p = cli(addr, viettel, "gap", "clear", gap, "--note", "BTS on air", "--date", CLEARED)
            check(p.returncode == 0 and "is cleared" in p.stdout,
                  f"viettel clears {gap} as of {CLEARED} ({describe(p)})")

        p = cli(addr, viettel, "verify")
        check(p.returncode == 4, "an operator cannot verify (" + describe(p) + ")")
        p = cli(addr, authority, "verify", "--json")
        results = {r["gap_id"]: r for r in json.loads(p.stdout)["results"]} \
            if p.returncode == 0 else {}
        check(results.get(gap_a, {}).get("status") == "awaiting_measurement" and
              results.get(gap_b, {}).get("status") == "awaiting_measurement",
              "without samples after the clearance both await measurement (" + describe(p) + ")")
        check("0 samples after " + CLEARED + ", 1 needed" in results.get(gap_a, {}).get(
            "reason", ""), "the reason gives the figures: " + results.get(gap_a, {}).get(
            "reason", "?"))

        later = os.path.join(work, "later.csv")
        write_csv(later, three("viettel", A, -80, "2026-10-15") +
                  three("viettel", B, -119, "2026-10-15"))
        p = cli(addr, authority, "ingest", later)
        check(p.returncode == 0, "measurements after the clearance ingested (" + describe(p) + ")")
        p = cli(addr, authority, "verify", gap_a, gap_b)
        check(p.returncode == 0 and gap_a + ": awaiting_measurement -> verified" in p.stdout and
              gap_b + ": awaiting_measurement -> open (reopened)" in p.stdout,
              "verify: A verified, B reopened (" + describe(p) + ")")
        check("0 of 1 measured cells good" in p.stdout, "the reopen reason gives the figures")
        p = cli(addr, authority, "gap", gap_b, "--json")
        b = json.loads(p.stdout) if p.returncode == 0 else {}
        check(b.get("status") == "open" and "0 of 1 measured cells good" in b.get(
            "status_note", ""), "`covgap gap B` shows it open with the note (" + describe(p) + ")")
        p = cli(addr, authority, "gap", gap_a)
        check(p.returncode == 0 and "verified" in p.stdout and "cleared    " + CLEARED in p.stdout,
              "`covgap gap A` shows verified and the cleared date (" + describe(p) + ")")
        p = cli(addr, viettel, "gap", "history", gap_a, "--json")
        types = [e["type"] for e in json.loads(p.stdout)["events"]] if p.returncode == 0 else []
        check(types == ["new", "planned", "cleared", "awaiting_measurement", "verified"],
              f"the history of A: {types}")

        # The watch saw everything, in order.
        want = [("new", gap_a), ("new", gap_b), ("planned", gap_a), ("cleared", gap_a),
                ("planned", gap_b), ("cleared", gap_b), ("awaiting_measurement", gap_a),
                ("awaiting_measurement", gap_b), ("verified", gap_a), ("reopened", gap_b)]
        deadline = time.time() + 10
        seen = []
        while time.time() < deadline:
            with open(watch_out.name) as f:
                seen = [(e["type"], e["gap_id"]) for e in map(json.loads, f.read().splitlines())
                        if e["gap_id"] in (gap_a, gap_b)]
            if len(seen) >= len(want):
                break
            time.sleep(0.1)
        # Each gap's events in order; one verify call handles the gaps by rank, so the two
        # gaps' verification events may interleave either way.
        in_order = all([x for x in seen if x[1] == g] == [x for x in want if x[1] == g]
                       for g in (gap_a, gap_b))
        check(in_order and sorted(seen) == sorted(want) and seen[:6] == want[:6],
              f"`covgap watch --json` saw the events in order: {seen}")
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=10)
        watch_out.close()

        p = cli(addr, authority, "audit", "--json")
        actions = [(e["action"], e["target"]) for e in json.loads(p.stdout)["entries"]] \
            if p.returncode == 0 else []
        for action, gap in (("gap.plan", gap_a), ("gap.clear", gap_a), ("gap.verify", gap_a),
                            ("gap.plan", gap_b), ("gap.clear", gap_b), ("gap.verify", gap_b)):
            check((action, "gap " + gap) in actions, f"`covgap audit` lists {action} of {gap}")

        # covgapd stops promptly with a watch open.
        watch = subprocess.Popen([ARGS.covgap, "--server", addr, "watch"],
                                 env=dict(os.environ, COVGAP_TOKEN=viettel),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        t0 = time.time()
        rc = daemon.stop()
        daemon = None
        check(rc == 0 and time.time() - t0 < 10,
              f"covgapd stops (exit {rc}) in {time.time() - t0:.1f} s with a watch open")
        try:
            watch.wait(timeout=10)
            check(watch.returncode != 0, "the watch ends when covgapd stops (exit "
                  f"{watch.returncode})")
        except subprocess.TimeoutExpired:
            check(False, "the watch ends when covgapd stops")
    finally:
        if watch is not None and watch.poll() is None:
            watch.kill()
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        fail(f"{len(FAILURES)} check(s) failed")
    print("all lifecycle checks passed")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
