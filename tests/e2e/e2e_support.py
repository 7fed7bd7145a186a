"""Shared helpers of the end-to-end tests: checks that print `ok:`/`FAIL:` lines, and the
deterministic measurement CSV they ingest."""
import random
import sys

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
