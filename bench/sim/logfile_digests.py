#!/usr/bin/env python3
"""SHA-256 and length of every EventLogFile LogFile custody-sim serves, for a fixed set of
configurations, so a change to the CSV generator or the LogFile serving path can be checked to
produce the same bytes as before ("same seed, same scenario: the same data, byte for byte").

  logfile_digests.py --sim BIN --out FILE      record the digests
  logfile_digests.py --sim BIN --check FILE    record them again and compare; exit 1 on a difference

Each configuration starts its own simulator (temporary --dir, 127.0.0.1 only), lists the files
with SOQL on EventLogFile, downloads each LogFile with `Accept-Encoding: identity`, checks the body
length equals LogFileLength, and stops the simulator with SIGTERM. Standard library only.
"""

import argparse
import hashlib
import http.client
import os
import sys
import tempfile
import time

COMMON = ["--start", "2026-04-01T00:00:00Z", "--gzip", "never", "--history-rows", "1000"]

# name, flags. --days 3: the first two days are ApiVersion 61.0 files, the third 62.0.
CONFIGS = [
    ("seed1-10MB", ["--seed", "1", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                    "--elf-bytes-per-day", "10000000"]),
    ("seed7-10MB-hourly", ["--seed", "7", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                           "--elf-bytes-per-day", "10000000", "--hourly-elf"]),
    ("seed1-200MB", ["--seed", "1", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                     "--elf-bytes-per-day", "200000000"]),
    ("seed7-200MB-hourly", ["--seed", "7", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                            "--elf-bytes-per-day", "200000000", "--hourly-elf"]),
    ("seed3-report-exfiltration", ["--seed", "3", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                                   "--elf-bytes-per-day", "10000000", "--scenario", "report-exfiltration"]),
    ("seed5-bulk-exfiltration-hourly", ["--seed", "5", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                                        "--elf-bytes-per-day", "10000000", "--scenario", "bulk-exfiltration",
                                        "--hourly-elf"]),
    ("seed2-foreign-login-mass-update", ["--seed", "2", "--days", "3", "--now", "2026-04-10T00:00:00Z",
                                         "--elf-bytes-per-day", "20000000", "--scenario",
                                         "foreign-login-mass-update", "--users", "200"]),
    # The data clock inside the window: today's files are partial, some hourly files late.
    ("seed9-midwindow-hourly", ["--seed", "9", "--days", "3", "--now", "2026-04-03T13:30:00Z",
                                "--elf-bytes-per-day", "30000000", "--hourly-elf"]),
    ("seed4-free-only", ["--seed", "4", "--days", "2", "--now", "2026-04-10T00:00:00Z",
                         "--elf-bytes-per-day", "10000000", "--no-event-monitoring"]),
]


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import simbench  # noqa: E402  (its Sim starts the simulator, gets a token, pages queries, stops it)


class Sim(simbench.Sim):
    def digest(self, file_id):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=900)
        conn.request("GET", f"{self.base}/sobjects/EventLogFile/{file_id}/LogFile",
                     headers={"Authorization": "Bearer " + self.token, "Accept-Encoding": "identity"})
        r = conn.getresponse()
        if r.status != 200:
            raise RuntimeError(f"LogFile {file_id}: HTTP {r.status}")
        h = hashlib.sha256()
        n = 0
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
        conn.close()
        return n, h.hexdigest()


def digests(binary, only):
    lines = []
    with tempfile.TemporaryDirectory(prefix="elf-digests-") as tmp:
        for name, flags in CONFIGS:
            if only and name not in only:
                continue
            started = time.time()
            sim = Sim(binary, COMMON + flags, tmp, name)
            try:
                hourly = "--hourly-elf" in flags
                fields = "Id, EventType, LogDate, ApiVersion, LogFileLength" + (", Interval, Sequence" if hourly else "")
                recs, _ = sim.query_all_pages(f"SELECT {fields} FROM EventLogFile")
                recs.sort(key=lambda r: (r["LogDate"], r["EventType"], r.get("Sequence") or 0, r["Id"]))
                total = 0
                for r in recs:
                    n, d = sim.digest(r["Id"])
                    want = int(r["LogFileLength"])
                    if n != want:
                        raise RuntimeError(f"{name} {r['Id']}: {n} bytes served, LogFileLength {want}")
                    total += n
                    lines.append(" ".join([name, r["Id"], r["EventType"], r["LogDate"], str(r["ApiVersion"]),
                                           str(r.get("Interval") or "Daily"), str(r.get("Sequence") or 0),
                                           str(n), d]))
            finally:
                rc = sim.stop()
            if rc != 0:
                raise RuntimeError(f"{name}: exit status {rc} after SIGTERM")
            print(f"{name}: {len(recs)} files, {total:,} bytes, {time.time() - started:.1f} s", file=sys.stderr)
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sim", required=True, help="custody-sim binary")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", help="write the digests here")
    g.add_argument("--check", help="compare with the digests in this file")
    p.add_argument("--only", action="append", help="run only this configuration (repeatable)")
    a = p.parse_args()
    lines = digests(os.path.abspath(a.sim), a.only)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{len(lines)} files recorded in {a.out}", file=sys.stderr)
        return 0
    with open(a.check) as f:
        want = [line for line in f.read().splitlines() if line]
    if a.only:
        want = [line for line in want if line.split(" ", 1)[0] in a.only]
    if lines == want:
        print(f"all {len(lines)} LogFiles identical (length and SHA-256)", file=sys.stderr)
        return 0
    got_set, want_set = set(lines), set(want)
    for line in want:
        if line not in got_set:
            print("- " + line, file=sys.stderr)
    for line in lines:
        if line not in want_set:
            print("+ " + line, file=sys.stderr)
    print(f"DIFFERENT: {len(lines)} files now, {len(want)} recorded", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
