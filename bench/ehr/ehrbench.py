#!/usr/bin/env python3
"""EHR-side collector benchmark: is custody ever the bottleneck when it pages 500,000 FHIR
AuditEvents and 500,000 Mirth server events out of custody-sim?

Per phase (fhir, mirth), against its own simulator started with fixed seed and flags:
  drain    a minimal client (Python, one keep-alive connection) pages through every event the way
           custody does (FHIR: the search with _count and next links; Mirth: a session login and
           keyset pages under a frozen maxEventId), doing nothing with the bodies but finding the
           next page. What it measures is the simulator: its CPU seconds per event when drained.
  custody  `custody collect fhir|mirth` over the same window: capture, SHA-256, normalize, merged
           timeline, seal. Wall clock, user+system CPU, peak RSS (GNU time), and the simulator's CPU.

The target (issue 5): custody at least 3x faster than the simulator can serve, i.e. custody's CPU
seconds per event at most a third of the simulator's; peak RSS under 128 MiB. CPU seconds, not
wall clock, are compared, because on a shared 2-core machine the two processes take turns.

Usage: ehrbench.py --custody BIN --sim BIN [--events N] [--phases fhir,mirth]  (run.sh wraps it)
Only 127.0.0.1 is contacted. Secrets go through the environment, never argv.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
import simbench  # noqa: E402  (Sim, /proc helpers, machine())

SINCE = "2026-04-01T00:00:00Z"
UNTIL = "2026-04-08T00:00:00Z"
ORG = ["--seed", "7", "--start", SINCE, "--days", "7", "--now", "2026-04-10T00:00:00Z", "--history-rows", "1000",
       "--patients", "100", "--elf-bytes-per-day", "10000"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600), u


def drain_fhir(info, page):
    f = info["fhir"]
    conn, u = connect(f["base_url"])
    path = (u.path + "/AuditEvent?" + urllib.parse.urlencode(
        [("date", "ge" + SINCE), ("date", "lt" + UNTIL), ("_count", str(page)), ("_sort", "date")]))
    headers = {"Authorization": "Bearer " + f["access_token"], "Accept": "application/fhir+json"}
    events = pages = nbytes = 0
    next_re = re.compile(rb'"relation"\s*:\s*"next"\s*,\s*"url"\s*:\s*"([^"]+)"')
    while path:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"FHIR drain: {r.status} {body[:200]!r}")
        pages += 1
        nbytes += len(body)
        events += body.count(b'"resourceType":"AuditEvent"')
        m = next_re.search(body)
        path = None
        if m:
            nxt = urllib.parse.urlsplit(m.group(1).decode())
            path = nxt.path + ("?" + nxt.query if nxt.query else "")
    return {"events": events, "pages": pages, "bytes": nbytes}


def drain_mirth(info, page):
    m = info["mirth"]
    conn, u = connect(m["base_url"])
    base = u.path
    form = urllib.parse.urlencode({"username": m["username"], "password": m["password"]})
    conn.request("POST", base + "/users/_login", body=form,
                 headers={"X-Requested-With": "bench", "Content-Type": "application/x-www-form-urlencoded",
                          "Accept": "application/json"})
    r = conn.getresponse()
    r.read()
    cookie = r.getheader("Set-Cookie", "").split(";")[0]
    headers = {"X-Requested-With": "bench", "Accept": "application/json", "Cookie": cookie}
    conn.request("GET", base + "/events/maxEventId", headers=headers)
    r = conn.getresponse()
    top = int(re.search(rb"\d+", r.read()).group(0))
    start = "2026-04-01T00:00:00.000+0000"
    end = "2026-04-07T23:59:59.999+0000"
    events = pages = nbytes = 0
    cursor = top
    id_re = re.compile(rb'"id":(\d+),"eventTime"')
    while True:
        q = urllib.parse.urlencode({"startDate": start, "endDate": end, "maxEventId": cursor, "limit": page + 1})
        conn.request("GET", base + "/events?" + q, headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"Mirth drain: {r.status} {body[:200]!r}")
        pages += 1
        nbytes += len(body)
        ids = [int(x) for x in id_re.findall(body)]
        got = min(len(ids), page)
        events += got
        if len(ids) <= page:
            break
        cursor = ids[page - 1] - 1
    return {"events": events, "pages": pages, "bytes": nbytes}


def measured(cmd, env, tmp, name, sim):
    tfile = os.path.join(tmp, name + ".time")
    out = os.path.join(tmp, name + ".out")
    err = os.path.join(tmp, name + ".err")
    sim0 = sim.cpu()
    t0 = time.perf_counter()
    with open(out, "wb") as o, open(err, "wb") as e:
        rc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", tfile, "--"] + cmd, stdout=o, stderr=e,
                            stdin=subprocess.DEVNULL, env=env, timeout=3600).returncode
    wall = time.perf_counter() - t0
    rss, user, system = open(tfile).read().strip().splitlines()[-1].split()
    text = open(out).read()
    if rc != 0:
        raise RuntimeError(f"{name} exited {rc}: {text[-800:]} {open(err).read()[-800:]}")
    m = re.search(r"collected\s+(\d+) records", text)
    return {"wall_s": wall, "cpu_s": float(user) + float(system), "rss_kib": int(rss), "sim_cpu_s": sim.cpu() - sim0,
            "records": int(m.group(1)) if m else 0}


def phase(a, tmp, kind):
    args = ORG + (["--fhir", "--fhir-events", str(a.events), "--fhir-max-count", str(a.page), "--fhir-paging", "cursor"]
                  if kind == "fhir" else
                  ["--mirth", "--mirth-events", str(a.events), "--mirth-messages", "0"])
    log(f"[{kind}] starting custody-sim with {a.events} events")
    sim = simbench.Sim(a.sim, args, tmp, kind)
    try:
        info = sim.info
        cpu0, t0 = sim.cpu(), time.perf_counter()
        d = drain_fhir(info, a.page) if kind == "fhir" else drain_mirth(info, a.page)
        d["wall_s"] = time.perf_counter() - t0
        d["sim_cpu_s"] = sim.cpu() - cpu0
        log(f"[{kind}] drain: {d['events']} events, {d['pages']} pages in {d['wall_s']:.1f} s, "
            f"sim CPU {d['sim_cpu_s']:.1f} s")
        keys = os.path.join(tmp, kind + "-keys")
        os.makedirs(keys, exist_ok=True)
        subprocess.run([a.custody, "keygen", "--key", keys + "/k.pem", "--cert", keys + "/c.pem", "--subject",
                        "CN=bench"], check=True, capture_output=True)
        common = ["--since", SINCE, "--until", UNTIL, "--case", "BENCH", "--examiner", "bench", "--key",
                  keys + "/k.pem", "--cert", keys + "/c.pem", "--out", os.path.join(tmp, kind + ".tar"),
                  "--page-size", str(a.page)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": tmp}
        if kind == "fhir":
            f = info["fhir"]
            cmd = [a.custody, "collect", "fhir", "--base-url", f["base_url"], "--auth", "token", "--no-export"] + common
            env["FHIR_ACCESS_TOKEN"] = f["access_token"]
        else:
            m = info["mirth"]
            cmd = [a.custody, "collect", "mirth", "--base-url", m["base_url"], "--username", m["username"],
                   "--streams", "server-events"] + common
            env["MIRTH_PASSWORD"] = m["password"]
        log(f"[{kind}] custody collect {kind}")
        c = measured(cmd, env, tmp, kind + "-custody", sim)
        log(f"[{kind}] custody: {c['records']} records in {c['wall_s']:.1f} s, CPU {c['cpu_s']:.1f} s, "
            f"RSS {c['rss_kib'] / 1024:.0f} MiB")
        return {"kind": kind, "drain": d, "custody": c}
    finally:
        sim.stop()


def report(results, a):
    print("| source | events | sim CPU s/1k events (drained) | custody CPU s/1k events | custody faster by | "
          "custody wall s | drain wall s | custody peak RSS | targets |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        d, c = r["drain"], r["custody"]
        n = max(d["events"], 1)
        sim_per = d["sim_cpu_s"] / n * 1000
        cus_per = c["cpu_s"] / max(c["records"], 1) * 1000
        ratio = sim_per / cus_per if cus_per > 0 else float("inf")
        rss = c["rss_kib"] / 1024
        ok = "met" if ratio >= 3 and rss < 128 and c["records"] == d["events"] else "MISSED"
        print(f"| {r['kind']} | {d['events']} (custody: {c['records']}) | {sim_per:.3f} | {cus_per:.3f} | "
              f"{ratio:.2f}x | {c['wall_s']:.1f} | {d['wall_s']:.1f} | {rss:.0f} MiB | {ok} (>=3x, <128 MiB) |")
    m = simbench.machine()
    print(f"\nMachine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, load {' '.join(m['loadavg'])}, {m['date']}.")
    print(f"Command: bench/ehr/run.sh --events {a.events} --page {a.page}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--custody", required=True)
    p.add_argument("--sim", required=True)
    p.add_argument("--events", type=int, default=500000)
    p.add_argument("--page", type=int, default=1000)
    p.add_argument("--phases", default="fhir,mirth")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ehrbench.") as tmp:
        results = [phase(a, tmp, k) for k in a.phases.split(",")]
        report(results, a)


if __name__ == "__main__":
    main()
