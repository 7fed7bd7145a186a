"""Shared helpers of the end-to-end tests: checks that print `ok:`/`FAIL:` lines, covgapd as a
process, and the deterministic measurement CSV they ingest."""
import os
import random
import signal
import subprocess
import sys
import time

FAILURES = []  # failed checks of tests that keep going after a failure


def fail(msg):
    """A failure the rest of the test cannot go on from."""
    print("FAIL: " + msg, file=sys.stderr)
    for f in FAILURES:
        print("  (earlier) FAIL: " + f, file=sys.stderr)
    sys.exit(1)


def check(cond, msg, keep_going=False):
    """Prints `ok: msg`; on failure stops the test, or with keep_going records it and goes on."""
    if cond:
        print("ok: " + msg)
        return True
    if not keep_going:
        fail(msg)
    print("FAIL: " + msg)
    FAILURES.append(msg)
    return False


def write_measurements_csv(path, n_rows, seed=7, invalid_every=50000):
    """n_rows rows of the native CSV, every `invalid_every`-th one invalid (lat/lon swapped, so
    the server rejects it). Returns the expected stored counts {(operator, tech): n} and the
    number of invalid rows. Deterministic for a seed."""
    rng = random.Random(seed)
    ops = ["viettel", "vnpt", "mobifone"]
    techs = ["LTE", "UMTS"]
    expected = {}
    invalid = 0
    lines = ["operator,tech,lat,lon,signal_dbm,timestamp,source,device_id\n"]
    for i in range(n_rows):
        op, tech = ops[i % 3], techs[(i // 3) % 2]
        if i % invalid_every == invalid_every - 1:
            lines.append(f"{op},{tech},106.2,21.3,-90,2021-11-30T08:00:00Z,drive,d{i % 97}\n")
            invalid += 1
            continue
        dbm = rng.randint(-118, -60)
        lat = 21.1 + rng.random() * 0.5
        lon = 105.9 + rng.random() * 1.1
        lines.append(f"{op},{tech},{lat:.6f},{lon:.6f},{dbm},2021-11-{1 + i % 29:02d}T08:00:00Z,"
                     f"drive,d{i % 97}\n")
        expected[(op, tech)] = expected.get((op, tech), 0) + 1
    with open(path, "w") as f:
        f.writelines(lines)
    return expected, invalid


class Daemon:
    """covgapd on 127.0.0.1 with a port of its choosing (read from --port-file), stderr to
    DATA_DIR.log; `extra` are further covgapd arguments, `preexec_fn` runs in the child. With
    `store` (a postgresql:// URL) covgapd keeps everything in that database (DATA_DIR is then
    only its scratch directory)."""

    def __init__(self, covgapd, data_dir, *extra, preexec_fn=None, store=None):
        self.data_dir = data_dir
        self.port_file = data_dir + ".port"
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log_path = data_dir + ".log"
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [covgapd, *(["--store", store] if store else []), "--data", data_dir, "--listen",
             "127.0.0.1:0", "--port-file", self.port_file, *extra], stderr=self.log,
            preexec_fn=preexec_fn)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file) or not os.path.getsize(self.port_file):
            if self.proc.poll() is not None:
                fail(f"covgapd exited {self.proc.returncode} at start:\n" + self.log_tail())
            if time.time() > deadline:
                fail("covgapd did not start within 30 s")
            time.sleep(0.01)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.address = f"127.0.0.1:{self.port}"

    def log_tail(self, n=2000):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-n:]

    def kill(self, sig):
        """Sends `sig` and waits for the exit code."""
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        return rc

    def stop(self):
        """SIGTERM (if still running), then the exit code; SIGKILL after 60 s."""
        if self.proc.poll() is not None:
            self.log.close()
            return self.proc.returncode
        try:
            return self.kill(signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            self.log.close()
            return rc
