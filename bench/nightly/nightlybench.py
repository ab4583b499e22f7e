#!/usr/bin/env python3
"""Nightly series benchmark (issue 6): `custody collect --config CASE --state-dir DIR` against
custody-sim's Salesforce org on loopback.

Phases (each starts its own simulator; seed 7, `--gzip never`, data window from 2026-04-01):

  idle    A series whose later nights have nothing new. The simulator's data clock is frozen at T
          (`--now T`, T = 02:00 UTC on the day after H days of history). Night 1 collects
          [series start, T); nights 2-4 run with --until T+1min, T+2min, T+3min without advancing
          the clock, so nothing new exists. Measured per nothing-new night: wall clock, CPU, peak
          RSS (GNU time), the summary line's api_calls, new_records, already_sealed,
          log_files_skipped, and the state folder's size. Repeated for several H (history days)
          and two org sizes: "small" (the simulator's default volume, ~2,000 history rows/day,
          2 MiB of event log files/day) and "large" (~100,000 events/day, as in `night`).

  night   One night with about 100,000 new events across all streams, against a plain
          `custody collect --config` (no --state-dir) of exactly the same window and events.
          The data clock is frozen after the end of the data window (every row and every daily
          event log file of the window exists). Night 1 collects [T0 - H days, T0) once; its state
          folder is kept and restored before each repetition of night 2, [T0, T1) = one weekday.
          The plain run collects --since T0 --until T1. So both see the same query rows (the
          nightly run re-reads one hour before T0 and recognises those rows as already sealed)
          and the same event log files (the nightly run lists 72 h back and skips the files
          night 1 sealed). Repetitions alternate nightly / plain. Also, once, for information:
          the same night with an advancing clock (`--now T0`, then POST /__sim/advance 86400 s),
          which is how a real series sees the org (it then picks up the previous day's event log
          files, which only appear the day after).

Usage: nightlybench.py --custody BIN --sim BIN [--phases idle,night] [--reps 3] ...  (run.sh wraps it)
Only 127.0.0.1 is contacted. The access token goes into a file the case file references, never argv.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
import simbench  # noqa: E402  (Sim, /proc helpers, IdleWaiter, machine())

START = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
MIB = 1 << 20

# Org sizes. history-rows is spread over the whole data window, so it is given per day.
SMALL = {"history_per_day": 2000, "extra": []}
LARGE = {"history_per_day": 10000,
         "extra": ["--elf-bytes-per-day", str(19 * MIB), "--users", "600", "--patients", "20000"]}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def org_args(size, days, now):
    return (["--seed", "7", "--gzip", "never", "--start", iso(START), "--days", str(days), "--now", iso(now),
             "--history-rows", str(size["history_per_day"] * days)] + size["extra"])


class Series:
    """A case file, key pair and token file for one simulator; runs custody and measures it."""

    def __init__(self, a, tmp, name, sim):
        self.a, self.sim = a, sim
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = os.path.join(self.dir, "state")
        self.bundles = os.path.join(self.dir, "bundles")
        token = os.path.join(self.dir, "access-token")
        with open(os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(sim.info["access_token"] + "\n")
        subprocess.run([a.custody, "keygen", "--key", self.dir + "/signer.key", "--cert", self.dir + "/signer.pem",
                        "--subject", "CN=nightly bench"], check=True, capture_output=True)
        self.case = os.path.join(self.dir, "case.toml")
        with open(self.case, "w") as f:
            f.write(f"""[case]
id       = "BENCH-NIGHTLY"
examiner = "nightly bench"
out      = "bundles"
key      = "signer.key"
cert     = "signer.pem"

[[source]]
name         = "sf"
type         = "salesforce"
instance_url = "{sim.info['instance_url']}"
auth         = "token"
access_token = {{ file = "access-token" }}
streams      = ["field-history", "logins", "exports"]
""")
        self.last_start = 0

    def run(self, label, extra):
        """custody collect --config CASE EXTRA, under GNU time. Returns the measurements."""
        # Bundles of a series are named by the run's start time in whole seconds (a second run in
        # the same second gets a suffix); one run per second keeps the names plain.
        while int(time.time()) <= self.last_start:
            time.sleep(0.05)
        os.sync()
        simbench.IDLE.wait(label)
        cmd = [self.a.custody, "collect", "--config", self.case] + extra
        tfile, out, err = (os.path.join(self.dir, "last." + x) for x in ("time", "out", "err"))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": self.dir, "LC_ALL": "C"}
        busy0, sim0 = simbench.system_busy_seconds(), self.sim.cpu()
        self.last_start = int(time.time())
        started_utc = time.strftime("%H:%M:%S", time.gmtime())
        t0 = time.perf_counter()
        with open(out, "wb") as o, open(err, "wb") as e:
            rc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", tfile, "--"] + cmd, stdout=o, stderr=e,
                                stdin=subprocess.DEVNULL, env=env, cwd=self.dir, timeout=7200).returncode
        wall = time.perf_counter() - t0
        busy = simbench.system_busy_seconds() - busy0
        sim_cpu = self.sim.cpu() - sim0
        rss, user, system = open(tfile).read().strip().splitlines()[-1].split()
        text = open(out).read()
        if rc != 0:
            raise RuntimeError(f"{label}: custody exited {rc}:\n{text[-1500:]}\n{open(err).read()[-1500:]}")
        cpu = float(user) + float(system)
        r = {"label": label, "utc": started_utc, "wall_s": wall, "cpu_s": cpu, "rss_kib": int(rss), "sim_cpu_s": sim_cpu,
             "others_cpu": max(0.0, (busy - cpu - sim_cpu) / wall) if wall > 0 else 0.0,
             "records": sum(int(n) for n in re.findall(r"^collected\s+(\d+) records", text, re.M))}
        last = text.strip().splitlines()[-1] if text.strip() else ""
        if last.startswith("{"):
            s = json.loads(last)
            r["summary"] = s
            for k in ("new_records", "already_sealed", "log_files_skipped", "supplements", "api_calls", "duration_ms"):
                r[k] = s[k]
            r["bundle"] = s.get("bundle")
        else:
            m = re.search(r"in (\d+) requests", text)
            r["api_calls"] = int(m.group(1)) if m else None
            m = re.search(r"^bundle\s+(\S+)", text, re.M)
            r["bundle"] = os.path.join(self.dir, m.group(1)) if m else None
        if r.get("bundle") and os.path.exists(r["bundle"]):
            r["bundle_bytes"] = os.path.getsize(r["bundle"])
        if os.path.isdir(self.state):
            r["seen_bytes"] = size_of(os.path.join(self.state, "seen.bin"))
            r["state_json_bytes"] = size_of(os.path.join(self.state, "state.json"))
        log(f"  {label}: {wall:.2f} s wall, CPU {cpu:.2f} s, RSS {int(rss) / 1024:.0f} MiB, "
            f"records {r.get('new_records', r['records'])}"
            + (f" (+{r['already_sealed']} already sealed)" if "already_sealed" in r else "")
            + f", API calls {r.get('api_calls')}, others' CPU {100 * r['others_cpu']:.0f}%")
        return r

    def nightly(self, label, until, since=None):
        extra = ["--state-dir", self.state, "--until", iso(until)]
        if since is not None:
            extra += ["--since", iso(since)]
        return self.run(label, extra)

    def plain(self, label, since, until):
        out = os.path.join(self.dir, "plain.tar")
        r = self.run(label, ["--since", iso(since), "--until", iso(until), "--out", out, "--force"])
        return r

    def snapshot(self):
        snap = os.path.join(self.dir, "snapshot")
        shutil.rmtree(snap, ignore_errors=True)
        shutil.copytree(self.state, os.path.join(snap, "state"))
        # Night 2 does not read earlier bundles (no --keep-days, no pending commit): hard links do.
        shutil.copytree(self.bundles, os.path.join(snap, "bundles"), copy_function=os.link)

    def restore(self):
        snap = os.path.join(self.dir, "snapshot")
        for d in (self.state, self.bundles):
            shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(os.path.join(snap, "state"), self.state)
        shutil.copytree(os.path.join(snap, "bundles"), self.bundles, copy_function=os.link)


def size_of(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def advance(sim, seconds):
    u = urllib.parse.urlsplit(sim.info["instance_url"])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request("POST", f"/__sim/advance?seconds={seconds}", body=b"",
                 headers={"X-Sim-Admin": sim.info["admin_token"], "Content-Type": "text/plain"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    if r.status // 100 != 2:
        raise RuntimeError(f"/__sim/advance: HTTP {r.status}: {body[:300]!r}")


# --- idle: nights with nothing new ---------------------------------------------------------------


def phase_idle(a, tmp):
    results = []
    for size_name, size, days_list in (("small", SMALL, a.idle_days), ("large", LARGE, a.idle_large_days)):
        for h in days_list:
            t = START + dt.timedelta(days=h, hours=2)
            name = f"idle-{size_name}-{h}d"
            log(f"[idle] {size_name} org, {h} days of history: data clock frozen at {iso(t)}")
            sim = simbench.Sim(a.sim, org_args(size, h + 1, t), tmp, name + "-sim")
            try:
                s = Series(a, tmp, name, sim)
                first = s.nightly(f"{name} night 1 [{iso(START)}, {iso(t)})", t, since=START)
                quiet = []
                for i in range(a.reps):
                    quiet.append(s.nightly(f"{name} nothing-new night {i + 2}", t + dt.timedelta(minutes=i + 1)))
                results.append({"size": size_name, "days": h, "first": first, "quiet": quiet,
                                "sim_rss_kib": sim.hwm_kib()})
            finally:
                sim.stop()
                shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)
    return results


# --- night: ~100,000 new events, nightly vs plain ------------------------------------------------


def phase_night(a, tmp):
    t0 = dt.datetime.fromisoformat(a.night_t0.replace("Z", "+00:00"))
    t1 = t0 + dt.timedelta(days=1)
    since = t0 - dt.timedelta(days=a.night_history_days)
    window_days = (t1 - START).days + 5
    frozen = START + dt.timedelta(days=window_days + 1)  # after the window: every daily file exists
    res = {"t0": iso(t0), "t1": iso(t1), "since": iso(since), "history_days": a.night_history_days,
           "nightly": [], "plain": []}
    log(f"[night] large org, data clock frozen at {iso(frozen)}; night 1 [{iso(since)}, {iso(t0)}), "
        f"night 2 [{iso(t0)}, {iso(t1)})")
    sim = simbench.Sim(a.sim, org_args(LARGE, window_days, frozen), tmp, "night-sim")
    try:
        s = Series(a, tmp, "night", sim)
        res["first"] = s.nightly("night 1", t0, since=since)
        s.snapshot()
        for i in range(a.reps):
            s.restore()
            res["nightly"].append(s.nightly(f"nightly night 2, run {i + 1}", t1))
            os.remove(res["nightly"][-1]["bundle"])
            res["plain"].append(s.plain(f"plain collect [{iso(t0)}, {iso(t1)}), run {i + 1}", t0, t1))
        res["sim_rss_kib"] = sim.hwm_kib()
    finally:
        sim.stop()
        shutil.rmtree(os.path.join(tmp, "night"), ignore_errors=True)

    if a.advancing:
        log(f"[night] advancing clock: data clock at {iso(t0)}, then +86400 s")
        sim = simbench.Sim(a.sim, org_args(LARGE, window_days, t0), tmp, "adv-sim")
        try:
            s = Series(a, tmp, "adv", sim)
            res["adv_first"] = s.nightly("advancing: night 1", t0, since=since)
            advance(sim, 86400)
            res["adv_night"] = s.nightly("advancing: night 2 (+24 h)", t1)
            res["adv_plain"] = s.plain(f"advancing: plain collect [{iso(t0)}, {iso(t1)})", t0, t1)
        finally:
            sim.stop()
            shutil.rmtree(os.path.join(tmp, "adv"), ignore_errors=True)
    return res


# --- report --------------------------------------------------------------------------------------


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def mib(kib):
    return kib / 1024.0


def fmt_int(n):
    return "" if n is None else f"{n:,}"


def report(a, idle, night, m):
    out = []
    p = out.append
    p(f"Machine: `nproc` = {m['nproc']}, CPU {m['cpu']}, kernel {m['kernel']}, python {m['python']}; "
      f"load average at the start {' '.join(m['loadavg'])}; finished {m['date']}; "
      f"waited {simbench.IDLE.waited:.0f} s in all for idle CPUs (budget {a.wait_idle:.0f} s).")
    p("")
    if idle:
        p("### Nights with nothing new")
        p("")
        p(f"Median of {a.reps} nothing-new nights each (API calls were the same in every one); "
          "history = days night 1 collected.")
        p("")
        p("| org | history | night 1 records | night 1 wall | nothing-new wall | CPU | peak RSS | api_calls | "
          "new | already sealed | log files skipped | seen.bin | state.json | others' CPU |")
        p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in idle:
            q = r["quiet"]
            calls = sorted({x["api_calls"] for x in q})
            p(f"| {r['size']} | {r['days']} d | {fmt_int(r['first']['new_records'])} | {r['first']['wall_s']:.1f} s | "
              f"**{med(q, 'wall_s'):.2f} s** | {med(q, 'cpu_s'):.2f} s | {mib(max(x['rss_kib'] for x in q)):.0f} MiB | "
              f"**{'/'.join(str(c) for c in calls)}** | {max(x['new_records'] for x in q)} | "
              f"{fmt_int(int(med(q, 'already_sealed')))} | {fmt_int(int(med(q, 'log_files_skipped')))} | "
              f"{q[-1]['seen_bytes'] / MIB:.1f} MiB | {q[-1]['state_json_bytes'] / 1024:.0f} KiB | "
              f"{100 * med(q, 'others_cpu'):.0f}% |")
        p("")
    if night:
        n, pl = night["nightly"], night["plain"]
        p("### One night with about 100,000 new events")
        p("")
        f = night["first"]
        p(f"Night 1 [{night['since']}, {night['t0']}): {fmt_int(f['new_records'])} records, {f['wall_s']:.1f} s, "
          f"peak RSS {mib(f['rss_kib']):.0f} MiB, {f['api_calls']} API calls; its state folder: seen.bin "
          f"{f['seen_bytes'] / MIB:.1f} MiB, state.json {f['state_json_bytes'] / 1024:.0f} KiB.")
        p("")
        p(f"Night 2 [{night['t0']}, {night['t1']}), {a.reps} runs each, alternating:")
        p("")
        p("| run | command | wall | CPU | peak RSS | records | already sealed | API calls | bundle | others' CPU |")
        p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for i in range(len(n)):
            for kind, r in (("nightly (--state-dir)", n[i]), ("plain collect --config", pl[i])):
                p(f"| {r['utc']} | {kind} | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s | {mib(r['rss_kib']):.0f} MiB | "
                  f"{fmt_int(r.get('new_records', r['records']))} | {fmt_int(r.get('already_sealed'))} | "
                  f"{r['api_calls']} | {r.get('bundle_bytes', 0) / MIB:.0f} MiB | {100 * r['others_cpu']:.0f}% |")
        ratio = med(n, "wall_s") / med(pl, "wall_s")
        p("")
        p(f"| median | nightly | plain | ratio (target <= 1.5x) |")
        p("| --- | ---: | ---: | ---: |")
        p(f"| wall | {med(n, 'wall_s'):.2f} s | {med(pl, 'wall_s'):.2f} s | **{ratio:.2f}x** |")
        p(f"| CPU (user+sys) | {med(n, 'cpu_s'):.2f} s | {med(pl, 'cpu_s'):.2f} s | {med(n, 'cpu_s') / med(pl, 'cpu_s'):.2f}x |")
        p(f"| peak RSS | {mib(med(n, 'rss_kib')):.0f} MiB | {mib(med(pl, 'rss_kib')):.0f} MiB | "
          f"{med(n, 'rss_kib') / med(pl, 'rss_kib'):.2f}x |")
        same = all(x.get("new_records") == y["records"] for x, y in zip(n, pl))
        p(f"| new records | {fmt_int(n[0].get('new_records'))} | {fmt_int(pl[0]['records'])} | "
          f"{'same events' if same else 'DIFFERENT'} |")
        p("")
        if "adv_night" in night:
            an, ap = night["adv_night"], night["adv_plain"]
            p(f"Advancing clock (info, one run): night 2 after `POST /__sim/advance?seconds=86400`: "
              f"{fmt_int(an['new_records'])} new records (+{fmt_int(an['already_sealed'])} already sealed), "
              f"{an['wall_s']:.2f} s, CPU {an['cpu_s']:.2f} s, peak RSS {mib(an['rss_kib']):.0f} MiB, "
              f"{an['api_calls']} API calls; plain collect of [{night['t0']}, {night['t1']}) on the same clock: "
              f"{fmt_int(ap['records'])} records, {ap['wall_s']:.2f} s, peak RSS {mib(ap['rss_kib']):.0f} MiB. "
              "The nightly run holds more: the previous day's event log files, which appear only the day after.")
            p("")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--custody", required=True)
    p.add_argument("--sim", required=True)
    p.add_argument("--phases", default="idle,night")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each measured night (default 3)")
    p.add_argument("--idle-days", default="1,3,7,14,28", help="history days, small org (default 1,3,7,14,28)")
    p.add_argument("--idle-large-days", default="1,7,14", help="history days, large org (default 1,7,14)")
    p.add_argument("--night-t0", default="2026-04-14T00:00:00Z", help="start of the measured night (a Tuesday)")
    p.add_argument("--night-history-days", type=int, default=10, help="days night 1 collects (default 10)")
    p.add_argument("--no-advancing", dest="advancing", action="store_false",
                   help="skip the advancing-clock night (info only)")
    p.add_argument("--wait-idle", type=float, default=float(os.environ.get("WAIT_IDLE", 120)),
                   help="seconds in all to wait for idle CPUs before measurements (default 120)")
    p.add_argument("--json", help="also write every measurement to this file")
    a = p.parse_args()
    a.idle_days = [int(x) for x in a.idle_days.split(",") if x]
    a.idle_large_days = [int(x) for x in a.idle_large_days.split(",") if x]
    simbench.IDLE.budget = a.wait_idle
    phases = a.phases.split(",")
    with tempfile.TemporaryDirectory(prefix="nightlybench.") as tmp:
        idle = phase_idle(a, tmp) if "idle" in phases else None
        night = phase_night(a, tmp) if "night" in phases else None
    m = simbench.machine()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": m, "idle": idle, "night": night}, f, indent=1, default=str)
    print(report(a, idle, night, m))
    print("\nCommand: `bench/nightly/run.sh" + "".join(" " + shlex.quote(x) for x in sys.argv[5:]) + "`")


if __name__ == "__main__":
    main()
