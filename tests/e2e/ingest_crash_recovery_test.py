#!/usr/bin/python3
"""End-to-end: covgapd and the covgap CLI as real processes on loopback.

1. health check and server reflection answer on the TCP port;
2. an ingest is interrupted by SIGKILL of covgapd; after a restart every batch the CLI saw
   acknowledged is stored, and re-running the same ingest completes the rest with no row twice;
3. a third run changes nothing (all duplicates);
4. SIGTERM during an ingest stops covgapd cleanly (exit 0) without losing acknowledged rows.
Exits non-zero with a message on the first failed check.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import e2e_support  # noqa: E402
from e2e_support import check, fail, write_measurements_csv as write_csv  # noqa: E402

ARGS = None


def Daemon(data_dir):
    return e2e_support.Daemon(ARGS.covgapd, data_dir)


def cli(address, *args, check_rc=None):
    p = subprocess.run([ARGS.covgap, "--server", address, *args], capture_output=True, text=True,
                       timeout=600)
    if check_rc is not None and p.returncode != check_rc:
        fail(f"covgap {' '.join(args)} exited {p.returncode}, expected {check_rc}:\n"
             f"{p.stdout}\n{p.stderr}")
    return p


def stats(address):
    p = cli(address, "stats", "--json", check_rc=0)
    doc = json.loads(p.stdout)
    return {(c["operator"], c["tech"]): c["count"] for c in doc["counts"]}, doc["total"]


def check_health_and_reflection(address):
    try:
        import grpc
    except ImportError:
        fail("python3-grpcio is missing (scripts/test.sh installs it)")
    channel = grpc.insecure_channel(address)
    health = channel.unary_unary("/grpc.health.v1.Health/Check")
    reply = health(b"", timeout=10)  # HealthCheckRequest{} -> HealthCheckResponse{status}
    check(reply == b"\x08\x01", "health check answers SERVING")
    reflection = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    # ServerReflectionRequest{list_services: ""} is field 7, an empty string.
    replies = list(reflection(iter([b"\x3a\x00"]), timeout=10))
    check(len(replies) == 1 and b"covgap.v1.MeasurementService" in replies[0]
          and b"grpc.health.v1.Health" in replies[0],
          "server reflection lists covgap.v1.MeasurementService and the health service")
    channel.close()


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--covgapd", required=True)
    ap.add_argument("--covgap", required=True)
    ap.add_argument("--rows", type=int, default=600000)
    ARGS = ap.parse_args()
    # covgapd creates its first authority token from this; the CLI sends it.
    token = "cgp_e2e" + os.urandom(4).hex() + "_" + os.urandom(24).hex()
    os.environ["COVGAP_BOOTSTRAP_TOKEN"] = token
    os.environ["COVGAP_TOKEN"] = token

    work = tempfile.mkdtemp(prefix="covgap_e2e_")
    try:
        csv = os.path.join(work, "m.csv")
        expected, invalid = write_csv(csv, ARGS.rows)
        valid = sum(expected.values())
        data = os.path.join(work, "data")

        d = Daemon(data)
        check_health_and_reflection(d.address)

        # Ingest in the background; SIGKILL covgapd once some batches are stored.
        ingest = subprocess.Popen(
            [ARGS.covgap, "--server", d.address, "ingest", csv, "--json", "--batch-size", "2000",
             "--batches-per-call", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while True:
            _, total = stats(d.address)
            if total > 0:
                break
            if ingest.poll() is not None or time.time() > deadline:
                fail("the ingest ended before covgapd could be killed; raise --rows")
            time.sleep(0.01)
        d.kill(signal.SIGKILL)
        out, err = ingest.communicate(timeout=120)
        check(ingest.returncode == 3, f"the interrupted ingest exits 3 (got {ingest.returncode})")
        check("covgapd" in err and "re-run" in err and "StatusCode" not in err,
              "the CLI says the connection to covgapd was lost, in one sentence: " + err.strip())
        acked = json.loads(out)
        check(not acked["ok"] and acked["accepted"] < valid,
              f"the CLI reports {acked['accepted']} rows acknowledged before the kill")

        d = Daemon(data)
        _, total = stats(d.address)
        stored_after_restart = total
        check(total >= acked["accepted"],
              f"after restart the store holds {total} rows >= {acked['accepted']} acknowledged")
        check(total < valid, "the kill really happened in the middle of the ingest")

        p = cli(d.address, "ingest", csv, "--json", "--batch-size", "2000",
                "--batches-per-call", "5", check_rc=0)
        rerun = json.loads(p.stdout)
        counts, total = stats(d.address)
        check(total == valid, f"after the re-run the store holds exactly {valid} rows (got {total})")
        check(counts == {(op, t): n for (op, t), n in expected.items()},
              "per operator/technology counts equal the file's valid rows")
        check(rerun["accepted"] + rerun["duplicate"] + rerun["rejected"] == ARGS.rows,
              "the re-run accounts for every row once")
        check(rerun["accepted"] == valid - stored_after_restart,
              f"the re-run accepted exactly the {valid - stored_after_restart} missing rows")

        p = cli(d.address, "ingest", csv, "--json", "--batch-size", "2000",
                "--batches-per-call", "5", check_rc=0)
        third = json.loads(p.stdout)
        check(third["accepted"] == 0 and third["rejected"] == 0 and
              third["duplicate"] == ARGS.rows, "a third run changes nothing: every row duplicate")
        check(stats(d.address)[1] == valid, "the store still holds exactly the valid rows")

        # SIGTERM during an ingest: clean stop, acknowledged rows kept.
        csv2 = os.path.join(work, "m2.csv")
        expected2, _ = write_csv(csv2, ARGS.rows, seed=8)
        ingest = subprocess.Popen(
            [ARGS.covgap, "--server", d.address, "ingest", csv2, "--json", "--batch-size",
             "2000", "--batches-per-call", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        while stats(d.address)[1] == valid and ingest.poll() is None:
            time.sleep(0.01)
        rc = d.kill(signal.SIGTERM)
        check(rc == 0, "covgapd exits 0 on SIGTERM")
        out, _ = ingest.communicate(timeout=120)
        acked2 = json.loads(out)["accepted"]
        d = Daemon(data)
        check(stats(d.address)[1] >= valid + acked2,
              "after SIGTERM every acknowledged row of the second file is stored")
        d.kill(signal.SIGTERM)
        print("e2e ingest crash recovery: all checks passed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
