#!/usr/bin/python3
"""End-to-end fault injection: covgapd and the covgap CLI as real processes on 127.0.0.1.

1. Crash loop during ingestion: covgapd is SIGKILLed (>= 20 times) at a random moment 0-300 ms
   after `covgap ingest` starts (stratified so that early kills, before the first acknowledgement,
   happen too). After every restart the store holds every row acknowledged so far and never more
   rows than the file has; a final run completes the file exactly (total and per
   operator/technology), and the store passes `PRAGMA integrity_check` and its own bookkeeping
   (batches = chunks = counts).
2. Kill during analysis: with the real Bac Giang province and district boundaries, covgapd is
   SIGKILLed at random moments of `covgap analyse` (>= 5 kills). After each restart the latest
   run is the last one that completed (or, if the kill came after its commit, the killed one) and
   is whole: `covgap gaps` total = GetLatestRun's gaps = the run's gap rows in the store; before
   any completed run there is none (NOT_FOUND, total 0). Then a full run completes.
3. Disk full: covgapd runs with RLIMIT_FSIZE a bit above the store size (SIGXFSZ ignored); an
   ingest of more than fits fails with a non-zero exit and a message, covgapd keeps serving reads
   and stops cleanly; restarted without the limit, the store is intact, holds every acknowledged
   row and ingestion works again.
4. Snapshot: an ingest that runs while an analysis runs does not change that analysis's input:
   the analysis reports the M measurements stored when it started.

Every check prints "ok: ..." or "FAIL: ..."; independent checks go on after a failure and the run
exits 1 at the end if any failed.
"""
import argparse
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import e2e_support

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
from e2e_support import FAILURES, fail, write_measurements_csv  # noqa: E402

REPORT = []  # numbers for the summary at the end
DAEMONS = []  # every covgapd started, killed at exit if still running


def check(cond, msg):
    return e2e_support.check(cond, msg, keep_going=True)


def write_csv(path, n_rows, seed, invalid_every=50000):
    return write_measurements_csv(path, n_rows, seed, invalid_every)[0]


def note(msg):
    print("  .. " + msg)
    REPORT.append(msg)


def limit_file_size(n):
    """preexec_fn: files the child writes may not grow beyond n bytes; writes past it fail with
    EFBIG instead of killing the process."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return apply


def Daemon(data_dir, preexec_fn=None):
    d = e2e_support.Daemon(ARGS.covgapd, data_dir, preexec_fn=preexec_fn)
    DAEMONS.append(d)
    return d


def cli(address, *args, check_rc=None, timeout=600):
    p = subprocess.run([ARGS.covgap, "--server", address, *args], capture_output=True, text=True,
                       timeout=timeout)
    if check_rc is not None and p.returncode != check_rc:
        fail(f"covgap {' '.join(args)} exited {p.returncode}, expected {check_rc}:\n"
             f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p


def stats(address):
    doc = json.loads(cli(address, "stats", "--json", check_rc=0).stdout)
    return {(c["operator"], c["tech"]): c["count"] for c in doc["counts"]}, doc["total"]


def json_or_none(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def store_path(data):
    return os.path.join(data, "covgap.sqlite")


def integrity_check(data):
    """'ok' from PRAGMA integrity_check (the sqlite3 CLI when there is one)."""
    if shutil.which("sqlite3"):
        p = subprocess.run(["sqlite3", store_path(data), "PRAGMA integrity_check"],
                           capture_output=True, text=True, timeout=300)
        return (p.stdout + p.stderr).strip()
    db = sqlite3.connect(store_path(data))
    try:
        return "\n".join(r[0] for r in db.execute("PRAGMA integrity_check"))
    finally:
        db.close()


def query(data, sql):
    """Rows of a read-only query on the store (safe while covgapd runs: WAL)."""
    db = sqlite3.connect(f"file:{store_path(data)}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def bookkeeping(data):
    """(sum of batches.accepted, sum of chunk rows, sum of measurement_counts)."""
    (a,), = query(data, "SELECT coalesce(sum(accepted), 0) FROM batches")
    (c,), = query(data, "SELECT coalesce(sum(n), 0) FROM measurement_chunks")
    (n,), = query(data, "SELECT coalesce(sum(n), 0) FROM measurement_counts")
    return a, c, n


# --- GetLatestRun through python-grpc (the CLI has no command for it) ------------------------

def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def pb_fields(buf):
    """{field number: [values]} of a protobuf message: ints for varints, bytes otherwise."""
    out, i = {}, 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(field, []).append(value)
    return out


def latest_run(address, token):
    """(run_id, gaps, measurements) of GetLatestRun, or None on NOT_FOUND."""
    import grpc
    channel = grpc.insecure_channel(address)
    try:
        call = channel.unary_unary("/covgap.v1.AnalysisService/GetLatestRun")
        reply = call(b"", timeout=30, metadata=[("authorization", "Bearer " + token)])
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.NOT_FOUND:
            return None
        fail(f"GetLatestRun failed: {e.code().name}: {e.details()}")
    finally:
        channel.close()
    f = pb_fields(reply)  # AnalysisRunInfo: run_id 1, measurements 4, gaps 5
    return f.get(1, [0])[0], f.get(5, [0])[0], f.get(4, [0])[0]


# --- 1. crash loop during ingestion ----------------------------------------------------------

def crash_loop(work, data, csv, expected):
    valid = sum(expected.values())
    rng = random.Random(ARGS.seed)
    d = Daemon(data)
    stored = 0        # the store's total at the last restart
    acked = 0         # rows acknowledged (accepted) over all runs
    kinds = {"before the CLI had connected": 0,
             "connected, before the first acknowledgement": 0, "after >= 1 acknowledgement": 0,
             "after the ingest had finished": 0}
    unacked_max = 0   # rows committed but not acknowledged when covgapd died
    for i in range(ARGS.kills):
        # Stratified: kill i falls in the ((i % 10) / 10 .. (i % 10 + 1) / 10) part of 0-300 ms.
        delay = ((i % 10) + rng.random()) * 0.030
        start = time.monotonic()
        ingest = subprocess.Popen(
            [ARGS.covgap, "--server", d.address, "ingest", csv, "--json", "--batch-size", "1000",
             "--batches-per-call", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(max(0.0, start + delay - time.monotonic()))
        rc = d.kill(signal.SIGKILL)
        if rc != -signal.SIGKILL:
            check(False, f"kill {i + 1}: covgapd had already exited {rc} before SIGKILL:\n" +
                  d.log_tail())
        out, err = ingest.communicate(timeout=120)
        doc = json_or_none(out)
        if doc is None:
            check(False, f"kill {i + 1}: the CLI printed no JSON document (exit "
                  f"{ingest.returncode}): {out[-500:]!r} {err[-500:]!r}")
            doc = {"accepted": 0, "ok": False, "calls": 0}
        if ingest.returncode == 0:
            kinds["after the ingest had finished"] += 1
        elif not check(ingest.returncode == 3 and not doc["ok"] and "covgapd" in err,
                       f"kill {i + 1} after {delay * 1000:.0f} ms: the ingest exits 3 saying "
                       f"covgapd was lost (exit {ingest.returncode}: {err.strip()[-300:]!r})"):
            pass
        elif "cannot reach covgapd" in err:
            kinds["before the CLI had connected"] += 1
        elif doc.get("calls", 0) == 0 and doc["accepted"] == 0:
            kinds["connected, before the first acknowledgement"] += 1
        else:
            kinds["after >= 1 acknowledgement"] += 1
        acked += doc["accepted"]

        d = Daemon(data)
        _, total = stats(d.address)
        check(stored + doc["accepted"] <= total <= valid,
              f"kill {i + 1} ({delay * 1000:.0f} ms): {doc['accepted']} rows acknowledged, "
              f"store {stored} -> {total} (>= {stored + doc['accepted']}, <= {valid})")
        check(total >= acked, f"kill {i + 1}: nothing acknowledged is lost ({total} >= "
              f"{acked} acknowledged in all runs)")
        unacked_max = max(unacked_max, total - stored - doc["accepted"])
        stored = total
    check(sum(kinds.values()) == ARGS.kills and ARGS.kills >= 20,
          f"{ARGS.kills} SIGKILLs of covgapd during ingests: " +
          ", ".join(f"{n} {k}" for k, n in kinds.items()))
    note(f"ingest crash loop: {ARGS.kills} SIGKILLs (seed {ARGS.seed}); " +
         ", ".join(f"{n} {k}" for k, n in kinds.items()) +
         f"; {acked} rows acknowledged in total before the final run; store held {stored} rows; "
         f"at most {unacked_max} rows were committed but unacknowledged at a kill")

    p = cli(d.address, "ingest", csv, "--json", "--batch-size", "1000", "--batches-per-call", "3")
    final = json_or_none(p.stdout) or {}
    check(p.returncode == 0 and final.get("accepted") == valid - stored,
          f"the final ingest completes: exit {p.returncode}, accepted {final.get('accepted')} "
          f"= the {valid - stored} missing rows")
    counts, total = stats(d.address)
    check(total == valid, f"the store holds exactly the file's {valid} valid rows (got {total})")
    check(counts == expected, "per operator/technology counts equal the file's")
    result = integrity_check(data)
    check(result == "ok", f"PRAGMA integrity_check after {ARGS.kills} kills: {result!r}")
    a, c, n = bookkeeping(data)
    check(a == c == n == valid, f"the store's bookkeeping agrees: batches.accepted {a}, chunk "
          f"rows {c}, measurement_counts {n}")
    return d


# --- 2. kill during analysis -----------------------------------------------------------------

def run_gaps(data, run_id):
    (n,), = query(data, f"SELECT count(*) FROM gaps WHERE run_id = {int(run_id)}")
    return n


def verify_runs(d, data, token, last, label):
    """After a restart: the latest run is whole and is `last` (or the one after it, when a kill
    came after the new run's commit). Returns the latest (run_id, gaps) or None."""
    info = latest_run(d.address, token)
    p = cli(d.address, "gaps", "--limit", "1", "--order", "score", "--json")
    if info is None:
        check(last is None and p.returncode == 1 and "no analysis" in p.stderr,
              f"{label}: no stored run (GetLatestRun NOT_FOUND) and `covgap gaps` says so "
              f"(exit {p.returncode}: {p.stderr.strip()}; last completed run {last})")
        return None
    if p.returncode != 0:
        fail(f"covgap gaps exited {p.returncode}: {p.stderr.strip()}")
    total = json.loads(p.stdout)["total"]
    run_id, gaps, _ = info
    in_store = run_gaps(data, run_id)
    (stored_gaps,), = query(data, f"SELECT gaps FROM analysis_runs WHERE run_id = {run_id}")
    check(total == gaps == in_store == stored_gaps,
          f"{label}: run {run_id} is whole: `covgap gaps` total {total} = GetLatestRun gaps "
          f"{gaps} = analysis_runs.gaps {stored_gaps} = its gap rows {in_store}")
    if last is None:
        check(run_id == 1, f"{label}: before any completed run only the killed run can be there "
              f"(it committed just before the kill): run {run_id}")
    elif run_id == last[0]:
        check(gaps == last[1], f"{label}: the latest run is still run {run_id} as `analyse` "
              f"reported it: {gaps} gaps (reported {last[1]})")
    else:
        check(run_id == last[0] + 1, f"{label}: the latest run is the last completed one "
              f"({last[0]}) or the killed one that had committed ({last[0] + 1}); got {run_id}")
    return run_id, gaps


def kill_during_analysis(work, data, d, token):
    bg = os.path.join(SOURCE, "data", "bacgiang")
    for name, level in (("province", "province"), ("districts", "district")):
        p = cli(d.address, "import", "areas", os.path.join(bg, name + ".geojson"), "--level",
                level, "--json", check_rc=0)
        doc = json.loads(p.stdout)
        check(doc["rejected"] == 0 and doc["inserted"] + doc["updated"] > 0,
              f"imported {doc['inserted'] + doc['updated']} {level} boundary(ies) from "
              f"data/bacgiang/{name}.geojson")
    rng = random.Random(ARGS.seed + 1)
    cell_sizes = [300, 280, 320, 260, 340, 290, 310, 270, 330, 300, 285, 315]
    base = ["analyse", "--as-of", "2021-12-01T00:00:00Z", "--min-samples", "1", "--json"]

    def attempt(n, delay):
        """One `covgap analyse`; covgapd is SIGKILLed after `delay` s unless it is done by then.
        Returns (killed, the analyse JSON if it completed, the new daemon)."""
        nonlocal d
        args = base + ["--cell-size", str(cell_sizes[n % len(cell_sizes)])]
        start = time.monotonic()
        an = subprocess.Popen([ARGS.covgap, "--server", d.address, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = False
        wal = store_path(data) + "-wal"
        wal_before = os.stat(wal).st_mtime_ns if os.path.exists(wal) else 0
        while time.monotonic() < start + delay:
            if an.poll() is not None:
                break
            time.sleep(0.005)
        if an.poll() is None:
            rc = d.kill(signal.SIGKILL)
            killed = True
            check(rc == -signal.SIGKILL, f"covgapd was running until the SIGKILL (exit {rc})")
            # Nothing but the run's store write writes to the store during an analysis: if the
            # WAL was written, the kill came during or after that write.
            wrote = os.path.exists(wal) and os.stat(wal).st_mtime_ns > wal_before
        else:
            wrote = False
        out, err = an.communicate(timeout=300)
        done = json_or_none(out) if an.returncode == 0 else None
        if killed and an.returncode != 0:
            check(an.returncode == 3 and "covgapd" in err,
                  f"the killed analysis exits 3 saying covgapd was lost (exit {an.returncode}: "
                  f"{err.strip()[-200:]!r})")
            lost_messages.add(err.strip().rsplit("\n", 1)[-1].replace(d.address, "HOST:PORT"))
        elif not killed:
            check(an.returncode == 0 and done is not None,
                  f"the analysis completes (exit {an.returncode}: {err.strip()[-300:]!r})")
        if killed:
            d = Daemon(data)
        return killed and wrote, killed, done, time.monotonic() - start

    last = None
    kills = []
    lost_messages = set()
    mid_write = []
    # Kills before any run has completed (the analysis takes ~1-2 s here).
    for n in range(2):
        delay = rng.uniform(0.1, 0.6)
        wrote, killed, done, _ = attempt(n, delay)
        if done:
            last = (done["run_id"], done["gaps"])
        if killed:
            kills.append(delay)
        latest = verify_runs(d, data, token, last, f"after a kill at {delay:.2f} s, no run yet")
        last = latest if latest else last
    # One full run, to learn how long an analysis takes.
    _, _, done, duration = attempt(2, 1e9)
    if done is None:
        fail("a full analysis did not complete")
    last = (done["run_id"], done["gaps"])
    check(done["measurements"] == ARGS.rows - ARGS.rows // 50000,
          f"a full analysis: run {done['run_id']}, {done['measurements']} measurements, "
          f"{done['gaps']} gaps in {duration:.2f} s")
    latest = verify_runs(d, data, token, last, "after the full run")
    # The run's own figure ends when the gaps are ready; then covgapd stores them (one
    # transaction) and answers: the window where a kill could leave half a run.
    store_from = min(done["seconds"], duration * 0.9)
    note(f"analysis: a run takes {duration:.2f} s, its store write and reply the last "
         f"{duration - store_from:.2f} s")
    # Kills spread over the whole run (stratified), then some aimed at the store write.
    n = 3
    plan = [duration * (0.05 + 0.95 * (k + rng.random()) / ARGS.analysis_kills)
            for k in range(ARGS.analysis_kills)]
    plan += [store_from + rng.random() * (duration - store_from) for _ in range(3)]
    for delay in plan:
        wrote, killed, done, _ = attempt(n, delay)
        n += 1
        if done:
            last = (done["run_id"], done["gaps"])
        if killed:
            kills.append(delay)
        latest = verify_runs(d, data, token, last,
                             f"after {'a kill' if killed else 'no kill'} at {delay:.2f} s "
                             f"({delay / duration:.0%} of a run)")
        if latest and latest != last:
            note(f"analysis kill at {delay:.2f} s came after run {latest[0]} had committed")
        elif wrote:
            mid_write.append(delay)
        last = latest or last
    check(len(kills) >= 5, f"covgapd was SIGKILLed {len(kills)} times during an analysis "
          f"(at {', '.join(f'{k:.2f}' for k in kills)} s; a run takes {duration:.2f} s)")
    # DescribeRpcError (server/cli/cli_common.cpp) words a lost connection for ingest only.
    check(not any("batches acknowledged" in m or "send the rest" in m for m in lost_messages),
          "the message of an analysis cut off by a covgapd crash is about the analysis, not about "
          f"re-sending ingest batches: {sorted(lost_messages)}")
    _, _, done, _ = attempt(n, 1e9)
    check(done is not None and done["run_id"] > last[0],
          f"after the kills a full analysis completes: run {done and done['run_id']}, "
          f"{done and done['gaps']} gaps")
    if done:
        verify_runs(d, data, token, (done["run_id"], done["gaps"]), "after the final run")
    result = integrity_check(data)
    check(result == "ok", f"PRAGMA integrity_check after the analysis kills: {result!r}")
    note(f"analysis: {len(kills)} SIGKILLs at {', '.join(f'{k:.2f}' for k in kills)} s "
         f"(a full run takes {duration:.2f} s); {len(mid_write)} of them inside the store write "
         f"(the WAL was written but the run not committed: at {', '.join(f'{k:.2f}' for k in mid_write)} s)")
    return d


# --- 3. disk full ----------------------------------------------------------------------------

def dir_size(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def disk_full(work):
    data = os.path.join(work, "data-full")
    base_csv, big_csv = os.path.join(work, "base.csv"), os.path.join(work, "big.csv")
    base = write_csv(base_csv, 100000, seed=ARGS.seed + 31)
    big = write_csv(big_csv, 400000, seed=ARGS.seed + 32)
    base_valid, big_valid = sum(base.values()), sum(big.values())
    d = Daemon(data)
    cli(d.address, "ingest", base_csv, "--json", check_rc=0)
    check(d.stop() == 0, "covgapd stopped cleanly after the base ingest")
    limit = dir_size(data) + 2 * 1024 * 1024
    d = Daemon(data, preexec_fn=limit_file_size(limit))
    p = cli(d.address, "ingest", big_csv, "--json", "--batch-size", "2000", "--batches-per-call",
            "5")
    doc = json_or_none(p.stdout) or {"accepted": 0}
    message = p.stderr.strip()
    note(f"disk full (RLIMIT_FSIZE {limit} bytes, store {limit - 2 * 1024 * 1024} bytes): "
         f"ingest exit {p.returncode}, {doc['accepted']} rows acknowledged before the failure, "
         f"message {message!r}")
    check(p.returncode != 0 and not doc.get("ok", True),
          f"an ingest of more than fits fails (exit {p.returncode}, {doc['accepted']} of "
          f"{big_valid} rows acknowledged)")
    check(p.returncode == 1, f"... with exit 1 (an error, not 'unreachable') (got {p.returncode})")
    clear = any(w in message.lower() for w in ("disk", "full", "space", "too large", "file size"))
    check(clear, f"... with a message about the disk: {message!r}")
    alive = d.proc.poll() is None
    if not alive and d.proc.returncode == -signal.SIGXFSZ:
        check(False, "covgapd died from SIGXFSZ although it was ignored")
    check(alive, f"covgapd stays up after the failed write (exit {d.proc.returncode})")
    if alive:
        p2 = cli(d.address, "stats", "--json")
        check(p2.returncode == 0, "covgapd still answers stats under the limit" +
              ("" if p2.returncode == 0 else f": {p2.stderr.strip()!r}"))
        if p2.returncode == 0:
            total = json.loads(p2.stdout)["total"]
            check(base_valid + doc["accepted"] <= total <= base_valid + big_valid,
                  f"... and counts every acknowledged row ({total} >= "
                  f"{base_valid + doc['accepted']})")
        p3 = cli(d.address, "ingest", big_csv, "--json", "--batch-size", "2000",
                 "--batches-per-call", "5")
        check(p3.returncode == 1 and d.proc.poll() is None,
              f"a second ingest under the limit fails the same way (exit {p3.returncode}: "
              f"{p3.stderr.strip()[-200:]!r}) and covgapd is still up")
        doc3 = json_or_none(p3.stdout) or {"accepted": 0}
        doc["accepted"] += doc3["accepted"]
    rc = d.stop()
    check(rc == 0, f"covgapd under the limit stops cleanly on SIGTERM (exit {rc})")

    d = Daemon(data)
    result = integrity_check(data)
    check(result == "ok", f"restarted without the limit, PRAGMA integrity_check: {result!r}")
    counts, total = stats(d.address)
    check(base_valid + doc["accepted"] <= total <= base_valid + big_valid,
          f"every acknowledged row is stored: {total} >= {base_valid} + {doc['accepted']}, "
          f"<= {base_valid + big_valid}")
    a, c, n = bookkeeping(data)
    check(a == c == n == total, f"nothing half-written: batches.accepted {a} = chunk rows {c} = "
          f"measurement_counts {n} = stats {total}")
    p = cli(d.address, "ingest", big_csv, "--json", "--batch-size", "2000", "--batches-per-call",
            "5")
    check(p.returncode == 0, f"ingestion works again without the limit (exit {p.returncode}: "
          f"{p.stderr.strip()[-200:]!r})")
    counts, total = stats(d.address)
    want = {k: base.get(k, 0) + big.get(k, 0) for k in set(base) | set(big)}
    check(total == base_valid + big_valid and counts == want,
          f"the store then holds exactly both files' {base_valid + big_valid} valid rows "
          f"(got {total})")
    d.stop()


# --- 4. snapshot -----------------------------------------------------------------------------

def snapshot(work, data, d):
    _, m = stats(d.address)
    csv2 = os.path.join(work, "during.csv")
    extra = write_csv(csv2, 300000, seed=ARGS.seed + 41)
    k = sum(extra.values())
    log_start = os.path.getsize(d.log_path)
    an = subprocess.Popen(
        [ARGS.covgap, "--server", d.address, "analyse", "--as-of", "2021-12-01T00:00:00Z",
         "--cell-size", "300", "--min-samples", "1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # covgapd logs "analysis started by ..." right before it reads the measurements.
    deadline = time.time() + 60
    while True:
        with open(d.log_path, errors="replace") as f:
            f.seek(log_start)
            if "analysis started by" in f.read():
                break
        if an.poll() is not None or time.time() > deadline:
            fail("the analysis did not start:\n" + an.communicate()[1])
        time.sleep(0.002)
    ingest = subprocess.Popen(
        [ARGS.covgap, "--server", d.address, "ingest", csv2, "--json", "--batch-size", "5000",
         "--batches-per-call", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Evidence that the race happened: rows of the ingest are stored before the analysis ends.
    seen_during = m
    while an.poll() is None and seen_during == m:
        seen_during = stats(d.address)[1]
        time.sleep(0.005)
    out, err = an.communicate(timeout=600)
    ing_out, ing_err = ingest.communicate(timeout=600)
    doc = json_or_none(out) if an.returncode == 0 else None
    ing = json_or_none(ing_out) or {}
    check(ingest.returncode == 0 and ing.get("accepted") == k,
          f"an ingest of {k} rows during the analysis completes (exit {ingest.returncode}: "
          f"{ing_err.strip()[-200:]!r})")
    check(seen_during > m, f"the ingest committed while the analysis was running (stats showed "
          f"{seen_during - m} of its rows before the analysis finished)")
    if not check(doc is not None, f"the analysis completes (exit {an.returncode}: "
                 f"{err.strip()[-300:]!r})"):
        return
    check(doc["measurements"] == m, f"the analysis counted the {m} measurements stored when it "
          f"started, none of the {k} ingested during it (got {doc['measurements']})")
    _, total = stats(d.address)
    check(total == m + k, f"the store then holds {m} + {k} rows (got {total})")
    p = cli(d.address, "analyse", "--as-of", "2021-12-01T00:00:00Z", "--cell-size", "1000",
            "--json", check_rc=0)
    check(json.loads(p.stdout)["measurements"] == m + k,
          "the next analysis counts them all")
    note(f"snapshot: analysis of {m} rows; an ingest of {k} rows started once it had begun "
         f"reading, {seen_during - m} of them were stored while it ran; the analysis reported "
         f"{doc['measurements']}")
    snapshot_mid_scan(work, d)


def batch_prefix_counts(path, batch_size):
    """Valid rows per (operator, tech) stored after each whole batch of the file: a list whose
    item p is the counts after the first p batches (rows with swapped coordinates excluded)."""
    with open(path) as f:
        f.readline()
        rows = [line.split(",", 4) for line in f]
    out, cur = [{}], {}
    for i, r in enumerate(rows):
        if float(r[2]) < 90:  # lat first: valid (the invalid rows have 106.2 there)
            cur[(r[0], r[1])] = cur.get((r[0], r[1]), 0) + 1
        if (i + 1) % batch_size == 0 or i + 1 == len(rows):
            out.append(dict(cur))
    return out


def snapshot_mid_scan(work, d):
    """Commits that land while the analysis reads: a long ingest call (authorised before the
    analysis starts) keeps committing while the analysis scans. The analysis must see one
    consistent state: its per operator/technology samples equal the store before plus the same
    whole-batch prefix of the file for every operator and technology."""
    base, m = stats(d.address)
    csv3 = os.path.join(work, "streaming.csv")
    extra = write_csv(csv3, 400000, seed=ARGS.seed + 42)
    batch = 2000
    prefixes = batch_prefix_counts(csv3, batch)
    ingest = subprocess.Popen(
        [ARGS.covgap, "--server", d.address, "ingest", csv3, "--json", "--batch-size",
         str(batch), "--batches-per-call", "1000"],  # one call: authorised once, at its start
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while stats(d.address)[1] == m:
        if ingest.poll() is not None or time.time() > deadline:
            fail("the streaming ingest stored nothing:\n" + ingest.communicate()[1])
        time.sleep(0.005)
    p = cli(d.address, "analyse", "--as-of", "2021-12-01T00:00:00Z", "--cell-size", "1000",
            "--json")
    out, err = ingest.communicate(timeout=600)
    check(ingest.returncode == 0, f"the streaming ingest completes (exit {ingest.returncode}: "
          f"{err.strip()[-200:]!r})")
    if not check(p.returncode == 0, f"the analysis during the streaming ingest completes (exit "
                 f"{p.returncode}: {p.stderr.strip()[-300:]!r})"):
        return
    doc = json.loads(p.stdout)
    samples = {(g["operator"], g["tech"]): g["samples"] for g in doc["grids"]
               if g["kind"] == "operator"}
    keys = set(base) | set(extra)
    matches = [i for i, pre in enumerate(prefixes)
               if all(samples.get(k, 0) == base.get(k, 0) + pre.get(k, 0) for k in keys)]
    seen = doc["measurements"] - m
    check(len(matches) > 0 and sum(prefixes[matches[0]].values()) == seen,
          f"the analysis saw one consistent state: the store before plus the first "
          f"{matches[0] if matches else '?'} of {len(prefixes) - 1} batches of the file being "
          f"ingested, for every operator and technology ({seen} of its rows)")
    note(f"snapshot during commits: the analysis scanned while a single ingest call was "
         f"committing; it saw {seen} of {sum(extra.values())} rows of that call"
         + (" (the race was not caught: the scan came before or after all of its commits)"
            if seen in (0, sum(extra.values())) else ""))
    _, total = stats(d.address)
    check(total == m + sum(extra.values()), f"then the store holds all {total} rows")


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ap.add_argument("--rows", type=int, default=300000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--analysis-kills", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20211130)
    ap.add_argument("--only", default="1234", help="which parts to run, e.g. 13")
    ARGS = ap.parse_args()
    try:
        import grpc  # noqa: F401
    except ImportError:
        fail("python3-grpcio is missing")
    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_BOOTSTRAP_TOKEN"] = token
    os.environ["COVGAP_TOKEN"] = token
    for var in ("COVGAP_TLS_CA", "COVGAP_TOKEN_FILE", "COVGAP_SERVER"):
        os.environ.pop(var, None)

    work = tempfile.mkdtemp(prefix="covgap_faults_")
    started = time.monotonic()
    try:
        data = os.path.join(work, "data")
        csv = os.path.join(work, "m.csv")
        expected = write_csv(csv, ARGS.rows, seed=ARGS.seed)
        d = None
        if "1" in ARGS.only:
            print(f"== 1. crash loop during ingestion ({time.monotonic() - started:.1f} s)")
            d = crash_loop(work, data, csv, expected)
        if "2" in ARGS.only:
            print(f"== 2. kill during analysis ({time.monotonic() - started:.1f} s)")
            if d is None:
                d = Daemon(data)
                cli(d.address, "ingest", csv, "--json", check_rc=0)
            d = kill_during_analysis(work, data, d, token)
        if "4" in ARGS.only:
            print(f"== 4. snapshot ({time.monotonic() - started:.1f} s)")
            if d is None:
                d = Daemon(data)
                cli(d.address, "ingest", csv, "--json", check_rc=0)
            snapshot(work, data, d)
        if d is not None:
            check(d.stop() == 0, "covgapd exits 0 on SIGTERM")
        if "3" in ARGS.only:
            print(f"== 3. disk full ({time.monotonic() - started:.1f} s)")
            disk_full(work)
        print(f"\nsummary ({time.monotonic() - started:.1f} s):")
        for r in REPORT:
            print("  " + r)
        if FAILURES:
            print(f"\n{len(FAILURES)} check(s) failed:", file=sys.stderr)
            for f in FAILURES:
                print("  FAIL: " + f, file=sys.stderr)
            sys.exit(1)
        print("e2e faults: all checks passed")
    finally:
        for dm in DAEMONS:
            if dm.proc.poll() is None:
                dm.proc.kill()
                dm.proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
