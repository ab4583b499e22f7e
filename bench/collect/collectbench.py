#!/usr/bin/env python3
"""custody collect benchmark: custody against jsforce and curl, on custody-sim over loopback.

Phases (each against its own simulator, started with fixed seed and flags):
  history  1,000,000 field-history rows through REST paging (queryAll):
           `custody collect salesforce --streams field-history --bulk-threshold 0` (capture +
           normalize + seal, the whole command) against jsforce (autoFetch, scanAll, one NDJSON line
           per record) running exactly the SOQL custody recorded in the bundle's
           metadata/collection.json. Wall clock, peak RSS, rows each got, API calls, bundle size.
  logfile  one ~1 GiB EventLogFile CSV:
           (a) custody_bench_logfile_fetch (custody's lib/http + lib/capture: to disk, SHA-256,
               fsync) against `curl -o FILE` of the same LogFile URL;
           (b) `custody collect salesforce --streams exports` (the big file is all it downloads:
               the org has neither Event Monitoring nor Shield) against curl of that file.

Usage: collectbench.py --custody BIN --sim BIN [options]  (bench/collect/run.sh is the wrapper)
Every request goes to 127.0.0.1 only. Tokens go through the environment or a 0600 header file,
never argv. Progress on stderr, the Markdown report on stdout.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
import simbench  # noqa: E402  (Sim, IdleWaiter, /proc helpers, machine())

SINCE = "2026-04-01T00:00:00Z"
UNTIL = "2026-04-10T00:00:00Z"
FROZEN = ["--seed", "7", "--start", SINCE, "--now", UNTIL]
MIB = 1024.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- running one measured command ---------------------------------------------------------------


class DirWatcher(threading.Thread):
    """Polls a collect run's work folder and output folder (every 50 ms) and notes when each of
    custody's phases starts. Since f24fc16 each stream normalizes its captures in its own thread as
    they land (capture and normalization interleave), so from outside a run has three phases:
    "streams" (token, discovery, every capture to disk with SHA-256, each normalized right after it
    landed into the shared timeline's sorted runs; it ends when payload/normalized/timeline.jsonl
    appears, the streams having joined and the timeline's last run been spilled), "merge" (until
    the bundle's temporary file appears beside --out: the runs merged into that file; since
    1994e90 the file is an empty stand-in and this phase is empty) and "seal" (hash + tar; since
    1994e90 it also merges the runs, straight into the bundle).
    For the exports stream it also notes "download_done": the LogFile's sidecar
    (<file>.csv.http.json, written when the body is complete and hashed) appears, after which the
    stream thread normalizes that file. It also notes the most timeline run files and run bytes
    seen under scratch/timeline-runs/."""

    def __init__(self, work_dir, out_path, t0, logfile_glob=None):
        super().__init__(daemon=True)
        self.work = work_dir
        self.out_dir = os.path.dirname(out_path)
        self.tmp_prefix = "." + os.path.basename(out_path) + ".tmp-"
        self.t0 = t0
        self.logfile_glob = logfile_glob
        self.seen = {}
        self.max_runs = 0
        self.max_run_bytes = 0
        self.stop_flag = threading.Event()

    def _mark(self, key):
        if key not in self.seen:
            self.seen[key] = time.perf_counter() - self.t0

    def run(self):
        import glob
        normalized = os.path.join(self.work, "payload", "normalized")
        runs = os.path.join(self.work, "scratch", "timeline-runs")
        sidecars = os.path.join(self.work, "payload", self.logfile_glob) if self.logfile_glob else None
        while not self.stop_flag.is_set():
            try:
                if sidecars and "download_done" not in self.seen and glob.glob(sidecars):
                    self._mark("download_done")
                if "merge" not in self.seen and os.path.exists(os.path.join(normalized, "timeline.jsonl")):
                    # The timeline's stand-in (or, with --keep-work-dir, the file) is made once
                    # the streams have joined and the timeline is closed.
                    self._mark("merge")
                if "merge" not in self.seen and os.path.isdir(runs):
                    n, b = 0, 0
                    for e in os.scandir(runs):
                        try:
                            b += e.stat().st_size
                            n += 1
                        except OSError:
                            pass
                    self.max_runs = max(self.max_runs, n)
                    self.max_run_bytes = max(self.max_run_bytes, b)
                if "seal" not in self.seen and any(n.startswith(self.tmp_prefix) for n in os.listdir(self.out_dir)):
                    self._mark("seal")
            except OSError:
                pass
            time.sleep(0.05)

    def stop(self):
        self.stop_flag.set()
        self.join()


def run_measured(cmd, env, stdout_path, stderr_path, sim, timeout, watcher=None, stderr_lines=None):
    """Runs cmd under /usr/bin/time (peak RSS, user and system CPU); wall clock by perf_counter.
    stderr_lines: when a list, custody's stderr is read live and each line is stamped with its
    arrival time (seconds since start)."""
    tfile = stdout_path + ".time"
    full = ["/usr/bin/time", "-f", "%M %U %S", "-o", tfile, "--"] + cmd
    srv0, busy0 = sim.cpu(), simbench.system_busy_seconds()
    t0 = time.perf_counter()
    if watcher is not None:
        watcher.t0 = t0
        watcher.start()
    with open(stdout_path, "wb") as out:
        if stderr_lines is None:
            with open(stderr_path, "wb") as err:
                proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
                rc = proc.wait(timeout=timeout)
        else:
            proc = subprocess.Popen(full, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
            with open(stderr_path, "wb") as err:
                for line in proc.stderr:
                    stderr_lines.append((time.perf_counter() - t0, line.decode("utf-8", "replace").rstrip("\n")))
                    err.write(line)
            rc = proc.wait(timeout=timeout)
    wall = time.perf_counter() - t0
    if watcher is not None:
        watcher.stop()
    srv = sim.cpu() - srv0
    busy = simbench.system_busy_seconds() - busy0
    with open(tfile) as f:
        last = f.read().strip().splitlines()[-1].split()
    rss_kib, user, system = int(last[0]), float(last[1]), float(last[2])
    os.unlink(tfile)
    return {
        "rc": rc, "wall_s": wall, "rss_kib": rss_kib, "user_s": user, "sys_s": system,
        "cpu_pct": 100.0 * (user + system) / wall, "sim_cpu_pct": 100.0 * srv / wall,
        "others_cpu_pct": max(0.0, 100.0 * (busy - srv - user - system) / wall),
    }


def sim_api_calls(sim):
    req = urllib.request.Request(sim.info["instance_url"] + "/__sim/state",
                                 headers={"X-Sim-Admin": sim.info["admin_token"]})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["api_calls_total"]


def read_collection_json(bundle):
    with tarfile.open(bundle, "r|") as tf:
        for m in tf:
            if m.isfile() and m.name.endswith("/metadata/collection.json") and m.name.count("/") == 2:
                return json.load(tf.extractfile(m))
    raise RuntimeError(f"{bundle}: no metadata/collection.json")


def tool_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SF_")}
    env.update(extra)
    return env


def keygen(custody, tmp):
    key, cert = os.path.join(tmp, "bench.key"), os.path.join(tmp, "bench.pem")
    r = subprocess.run([custody, "keygen", "--key", key, "--cert", cert, "--subject",
                        "CN=Bench Examiner,O=custody collect benchmark", "--days", "2"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"custody keygen failed ({r.returncode}): {r.stderr.strip()}")
    return key, cert


def collect(a, sim, key, cert, tmp, name, streams, extra=(), logfile_glob=None):
    """One `custody collect salesforce` run, measured, with its phases; the bundle is read for
    collection.json and then deleted."""
    out = os.path.join(tmp, name + ".tar")
    cmd = [a.custody, "collect", "salesforce", "--instance-url", sim.info["instance_url"], "--auth", "token",
           "--since", SINCE, "--until", UNTIL, "--streams", streams, *extra,
           "--case", "BENCH-" + name, "--examiner", "Bench Examiner", "--key", key, "--cert", cert,
           "--out", out, "--log-format", "json"]
    env = tool_env(SF_ACCESS_TOKEN=sim.info["access_token"])
    calls0 = sim_api_calls(sim)
    watcher = DirWatcher(out + ".work", out, 0.0, logfile_glob)
    lines = []
    r = run_measured(cmd, env, os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".err"), sim,
                     a.timeout, watcher, lines)
    r["sim_api_calls"] = sim_api_calls(sim) - calls0
    with open(os.path.join(tmp, name + ".out")) as f:
        r["stdout"] = f.read()
    if r["rc"] != 0:
        raise RuntimeError(f"custody collect exited {r['rc']}:\n{r['stdout']}\n" + "\n".join(l for _, l in lines[-20:]))
    r["bundle_bytes"] = os.path.getsize(out)
    r["collection"] = read_collection_json(out)
    os.unlink(out)
    m = re.search(r"collected\s+(\d+) records .* in (\d+) requests", r["stdout"])
    r["records"], r["requests"] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    # Phases: streams (capture with normalization interleaved) until payload/normalized/ appears,
    # then merge (timeline.jsonl), then seal. For exports, the streams phase splits at the
    # LogFile's sidecar into "download" (listing + the file to disk) and "normalize" (the file's
    # rows, then the stream's few small queries).
    seen = dict(watcher.seen)
    end = r["wall_s"]
    merge = seen.get("merge", seen.get("seal", end))
    seal = seen.get("seal", end)
    phases = {"streams": merge, "merge": seal - merge, "seal": end - seal}
    if "download_done" in seen:
        phases["download"] = seen["download_done"]
        phases["normalize"] = merge - seen["download_done"]
    r["phases"] = phases
    r["marks"] = seen
    r["timeline_runs"] = watcher.max_runs
    r["timeline_run_bytes"] = watcher.max_run_bytes
    r["log_lines"] = lines
    return r


def fmt_phases(p):
    order = ["streams", "download", "normalize", "merge", "seal"]
    return ", ".join(f"{k} {p[k]:.1f}" for k in order if k in p)


# --- history ------------------------------------------------------------------------------------


def phase_history(a, tmp, key, cert):
    args = FROZEN + ["--days", "7", "--history-rows", str(a.history_rows), "--elf-bytes-per-day", "100000",
                     "--gzip", "never"]
    sim = simbench.Sim(a.sim, args, tmp, "history-sim")
    try:
        res = {"phase": "history", "sim_args": args, "custody": [], "jsforce": []}
        soql_file = os.path.join(tmp, "history.soql")
        for rep in range(a.repeat):
            simbench.IDLE.wait(f"custody collect (history, run {rep + 1})")
            log(f"  history run {rep + 1}/{a.repeat}: custody collect --streams field-history --bulk-threshold 0 ...")
            c = collect(a, sim, key, cert, tmp, f"history-{rep + 1}", "field-history", ["--bulk-threshold", "0"])
            src = c["collection"]["collection"]["sources"][0]
            items = [i for s in src["streams"] for i in s["items"] if i["method"] == "rest-queryAll"]
            if not items:
                raise RuntimeError("collection.json lists no rest-queryAll item")
            c["items"] = [{"object": i["object"], "soql": i["soql"], "expected": i["expected"],
                           "received": i["received"], "pages": i["pages"], "status": i["status"]} for i in items]
            c["rows"] = sum(i["received"] for i in items)
            c["collection_requests"] = src.get("requests")
            c["api_usage"] = src.get("api_usage")
            c["tool"] = c["collection"].get("tool")
            del c["collection"]
            res["custody"].append(c)
            log(f"    custody: {c['wall_s']:.2f} s, peak RSS {c['rss_kib'] / MIB:.1f} MiB, {c['rows']:,} rows, "
                f"{c['requests']} requests ({c['sim_api_calls']} counted by the simulator), bundle "
                f"{c['bundle_bytes']:,} bytes; phases (s): {fmt_phases(c['phases'])}; CPU {c['cpu_pct']:.0f}%, "
                f"simulator {c['sim_cpu_pct']:.0f}%, others {c['others_cpu_pct']:.0f}%")
            with open(soql_file, "w") as f:
                f.write("".join(i["soql"] + "\n" for i in c["items"]))

            simbench.IDLE.wait(f"jsforce (history, run {rep + 1})")
            log(f"  history run {rep + 1}/{a.repeat}: jsforce query (autoFetch, scanAll) of the same "
                f"{len(c['items'])} SOQL queries ...")
            out_file = os.path.join(tmp, f"jsforce-{rep + 1}.ndjson")
            env = tool_env(JSFORCE_DIR=a.jsforce_dir, SF_INSTANCE_URL=sim.info["instance_url"],
                           SF_ACCESS_TOKEN=sim.info["access_token"], SF_API_VERSION=sim.info["api_version"],
                           SOQL_FILE=soql_file, OUT_FILE=out_file)
            calls0 = sim_api_calls(sim)
            j = run_measured([a.node, os.path.join(HERE, "jsforce-query.mjs")], env,
                             os.path.join(tmp, f"jsforce-{rep + 1}.out"), os.path.join(tmp, f"jsforce-{rep + 1}.err"),
                             sim, a.timeout)
            j["sim_api_calls"] = sim_api_calls(sim) - calls0
            with open(os.path.join(tmp, f"jsforce-{rep + 1}.out")) as f:
                text = f.read()
            if j["rc"] != 0:
                with open(os.path.join(tmp, f"jsforce-{rep + 1}.err")) as f:
                    raise RuntimeError(f"jsforce exited {j['rc']}: {text[-1000:]} {f.read()[-2000:]}")
            j["report"] = json.loads(text.strip().splitlines()[-1])
            lines = 0
            with open(out_file, "rb") as f:
                while True:
                    b = f.read(1 << 22)
                    if not b:
                        break
                    lines += b.count(b"\n")
            j["ndjson_lines"] = lines
            j["ndjson_bytes"] = os.path.getsize(out_file)
            os.unlink(out_file)
            j["rows"] = j["report"]["rows"]
            res["jsforce"].append(j)
            log(f"    jsforce: {j['wall_s']:.2f} s, peak RSS {j['rss_kib'] / MIB:.1f} MiB, {j['rows']:,} rows "
                f"({lines:,} NDJSON lines, {j['ndjson_bytes']:,} bytes), {j['report']['pages']} pages, "
                f"{j['sim_api_calls']} API calls; CPU {j['cpu_pct']:.0f}%, simulator {j['sim_cpu_pct']:.0f}%, "
                f"others {j['others_cpu_pct']:.0f}%")
            # Same rows, object by object.
            by_obj = {q["object"]: q["rows"] for q in j["report"]["queries"]}
            res.setdefault("mismatches", [])
            for i in c["items"]:
                if by_obj.get(i["object"]) != i["received"]:
                    res["mismatches"].append(f"run {rep + 1} {i['object']}: custody {i['received']}, "
                                             f"jsforce {by_obj.get(i['object'])}")
            if lines != j["rows"]:
                res["mismatches"].append(f"run {rep + 1}: jsforce reported {j['rows']} rows but wrote {lines} lines")
        res["sim_hwm_mib"] = sim.hwm_kib() / MIB
        res["sim_exit"] = sim.stop()
        return res
    except BaseException:
        sim.stop()
        raise


# --- LogFile ------------------------------------------------------------------------------------


def phase_logfile(a, tmp, key, cert):
    args = FROZEN + ["--days", "1", "--history-rows", "1000", "--no-shield", "--no-event-monitoring",
                     "--elf-bytes-per-day", str(a.elf_bytes_per_day), "--gzip", "never"]
    sim = simbench.Sim(a.sim, args, tmp, "logfile-sim")
    try:
        records, _ = simbench.largest_logfile(sim)
        big = records[0]
        length = int(big["LogFileLength"])
        url = f"{sim.info['instance_url']}{sim.base}/sobjects/EventLogFile/{big['Id']}/LogFile"
        res = {"phase": "logfile", "sim_args": args, "file": big, "bytes": length,
               "listing": [{k: r[k] for k in ("Id", "EventType", "LogFileLength")} for r in records],
               "fetch": [], "curl": [], "curl_sync": [], "collect": []}
        log(f"  largest LogFile: {big['EventType']} {big['Id']}, {length:,} bytes ({len(records)} files listed)")
        hdr = os.path.join(tmp, "auth-header")
        fd = os.open(hdr, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("Authorization: Bearer " + sim.info["access_token"] + "\n")
        curl_sha = None
        fetch_sha = None
        for i in range(a.downloads):
            order = ["fetch", "curl"] if i % 2 == 0 else ["curl", "fetch"]
            for who in order:
                if who == "fetch" and not a.logfile_fetch:
                    continue
                simbench.IDLE.wait(f"LogFile download ({who}, run {i + 1})")
                if who == "fetch":
                    d = os.path.join(tmp, f"fetch-{i}")
                    r = run_measured([a.logfile_fetch, url, d, str(length)],
                                     tool_env(SF_ACCESS_TOKEN=sim.info["access_token"]),
                                     os.path.join(tmp, f"fetch-{i}.out"), os.path.join(tmp, f"fetch-{i}.err"),
                                     sim, a.timeout)
                    with open(os.path.join(tmp, f"fetch-{i}.out")) as f:
                        out = f.read().strip()
                    if r["rc"] != 0:
                        with open(os.path.join(tmp, f"fetch-{i}.err")) as f:
                            raise RuntimeError(f"custody_bench_logfile_fetch exited {r['rc']}: {out} {f.read()}")
                    r["report"] = json.loads(out.splitlines()[-1])
                    if r["report"]["bytes"] != length:
                        raise RuntimeError(f"logfile_fetch got {r['report']['bytes']} bytes, want {length}")
                    fetch_sha = r["report"]["sha256"]
                    shutil.rmtree(d)
                    res["fetch"].append(r)
                    log(f"    custody logfile_fetch run {i + 1}: {r['wall_s']:.3f} s "
                        f"({length / 1e6 / r['wall_s']:.0f} MB/s), peak RSS {r['rss_kib'] / MIB:.1f} MiB, "
                        f"CPU {r['cpu_pct']:.0f}%, simulator {r['sim_cpu_pct']:.0f}%, others {r['others_cpu_pct']:.0f}%")
                else:
                    path = os.path.join(tmp, f"curl-{i}.csv")
                    r = run_measured(["curl", "-sS", "--fail", "-H", "@" + hdr, "-o", path, url], tool_env(),
                                     os.path.join(tmp, f"curl-{i}.out"), os.path.join(tmp, f"curl-{i}.err"),
                                     sim, a.timeout)
                    if r["rc"] != 0:
                        with open(os.path.join(tmp, f"curl-{i}.err")) as f:
                            raise RuntimeError(f"curl exited {r['rc']}: {f.read()}")
                    size = os.path.getsize(path)
                    if size != length:
                        raise RuntimeError(f"curl got {size} bytes, want {length}")
                    t = time.perf_counter()
                    subprocess.run(["sync", path], check=True)
                    sync_s = time.perf_counter() - t
                    if curl_sha is None:
                        h = hashlib.sha256()
                        with open(path, "rb") as f:
                            while True:
                                b = f.read(1 << 22)
                                if not b:
                                    break
                                h.update(b)
                        curl_sha = h.hexdigest()
                    os.unlink(path)
                    res["curl"].append(r)
                    res["curl_sync"].append(r["wall_s"] + sync_s)
                    log(f"    curl -o FILE run {i + 1}: {r['wall_s']:.3f} s ({length / 1e6 / r['wall_s']:.0f} MB/s), "
                        f"then sync FILE {sync_s:.3f} s; peak RSS {r['rss_kib'] / MIB:.1f} MiB, CPU {r['cpu_pct']:.0f}%, "
                        f"simulator {r['sim_cpu_pct']:.0f}%, others {r['others_cpu_pct']:.0f}%")
        res["curl_sha256"] = curl_sha
        res["fetch_sha256"] = fetch_sha
        if fetch_sha is not None and fetch_sha != curl_sha:
            raise RuntimeError(f"SHA-256 differs: custody {fetch_sha}, curl {curl_sha}")

        for i in range(a.collect_repeat):
            simbench.IDLE.wait(f"custody collect (exports, run {i + 1})")
            log(f"  exports run {i + 1}/{a.collect_repeat}: custody collect --streams exports ...")
            c = collect(a, sim, key, cert, tmp, f"exports-{i + 1}", "exports",
                        logfile_glob=os.path.join("raw", "*", "exports", "EventLogFile", "*", "*.csv.http.json"))
            src = c["collection"]["collection"]["sources"][0]
            items = [it for s in src["streams"] for it in s["items"]]
            elf = [it for it in items if it["object"].startswith("EventLogFile:")]
            c["logfile_bytes"] = sum(it["received"] for it in elf)
            c["logfile_items"] = [{"object": it["object"], "received": it["received"], "expected": it["expected"],
                                   "status": it["status"]} for it in elf]
            c["items"] = [{"object": it["object"], "status": it["status"], "received": it["received"],
                           "unit": it.get("unit")} for it in items]
            c["normalized_records"] = c["collection"]["collection"].get("normalized", {})
            del c["collection"]
            # The LogFile alone: from the listing's progress line (stamped on arrival by the driver)
            # to the file's sidecar appearing (the body is then complete and hashed). custody's own
            # "EventLogFile <type> <id>: N bytes" line now comes after the file is normalized.
            t_list = next((t for t, l in c["log_lines"] if "EventLogFile page" in l), None)
            t_done = c["marks"].get("download_done")
            c["logfile_download_s"] = (t_done - t_list) if t_list is not None and t_done is not None else None
            res["collect"].append(c)
            log(f"    custody collect exports: {c['wall_s']:.2f} s, peak RSS {c['rss_kib'] / MIB:.1f} MiB, "
                f"{c['records']:,} records, LogFile bytes {c['logfile_bytes']:,}, {c['requests']} requests, bundle "
                f"{c['bundle_bytes']:,} bytes; phases (s): {fmt_phases(c['phases'])}; the LogFile itself "
                f"~{c['logfile_download_s'] or 0:.1f} s; CPU {c['cpu_pct']:.0f}%, simulator {c['sim_cpu_pct']:.0f}%, "
                f"others {c['others_cpu_pct']:.0f}%")
            if c["logfile_bytes"] != length:
                log(f"    note: the exports stream downloaded {c['logfile_bytes']:,} LogFile bytes, not only the "
                    f"{length:,} of the big file")
        res["sim_hwm_mib"] = sim.hwm_kib() / MIB
        res["sim_exit"] = sim.stop()
        return res
    except BaseException:
        sim.stop()
        raise


# --- report ------------------------------------------------------------------------------------


def med(xs):
    return statistics.median(xs) if xs else None


def verdict(ok):
    return "**MET**" if ok else "**MISSED**"


def report(res, a):
    L = []
    m = res["machine"]
    L.append(f"machine: {m['nproc']} cores ({m['cpu']}), kernel {m['kernel']}, {m['curl'].split(' (')[0]}, "
             f"python {m['python']}"
             + (f", node {res['node_version']}, jsforce {res.get('jsforce_version', '?')}" if res.get("node_version") else "")
             + "; "
             f"load average at start {' '.join(m['loadavg'])}; {m['date']}; commit {res.get('commit', '?')}; "
             f"waited {res.get('waited_idle_s', 0):.0f} s in all for idle CPUs")
    tool = next((c.get("tool") for p in res["phases"] for c in p.get("custody", []) if c.get("tool")), None)
    if tool:
        L.append("")
        L.append(f"custody binary: {tool.get('name')} {tool.get('version')}, commit {tool.get('git_commit')}, "
                 f"{tool.get('compiler')}, binary sha256 {tool.get('binary_sha256', '')[:16]}...")
    targets = []
    h = next((p for p in res["phases"] if p["phase"] == "history"), None)
    if h:
        L.append("")
        L.append(f"### 1. Field history: {a.history_rows:,} rows through REST paging (queryAll)")
        L.append("")
        L.append("| run | wall s | peak RSS | CPU (user+sys) | simulator CPU | others' CPU | rows | API calls | output |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for i, (c, j) in enumerate(zip(h["custody"], h["jsforce"])):
            L.append(f"| custody collect, run {i + 1} | {c['wall_s']:.2f} | {c['rss_kib'] / MIB:.1f} MiB | "
                     f"{c['user_s'] + c['sys_s']:.1f} s ({c['cpu_pct']:.0f}%) | {c['sim_cpu_pct']:.0f}% | "
                     f"{c['others_cpu_pct']:.0f}% | {c['rows']:,} | {c['requests']} ({c['sim_api_calls']} counted by the "
                     f"simulator) | sealed bundle {c['bundle_bytes']:,} bytes |")
            L.append(f"| jsforce query, run {i + 1} | {j['wall_s']:.2f} | {j['rss_kib'] / MIB:.1f} MiB | "
                     f"{j['user_s'] + j['sys_s']:.1f} s ({j['cpu_pct']:.0f}%) | {j['sim_cpu_pct']:.0f}% | "
                     f"{j['others_cpu_pct']:.0f}% | {j['rows']:,} | {j['sim_api_calls']} | NDJSON {j['ndjson_bytes']:,} "
                     f"bytes, {j['ndjson_lines']:,} lines |")
        L.append("")
        L.append("Where custody's time goes (seconds; from the work folder: streams = token, discovery and every "
                 "page captured, each normalized by its connection's thread right after it landed, into the "
                 "timeline's sorted runs; merge = the runs merged into normalized/timeline.jsonl (empty since "
                 "1994e90); seal = hash + tar + sign, and since 1994e90 the runs' merge, straight into the bundle; runs = the most timeline run files seen in scratch/timeline-runs):")
        L.append("")
        L.append("| run | streams (capture + normalize) | merge | seal | total | timeline runs |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for i, c in enumerate(h["custody"]):
            p = c["phases"]
            L.append(f"| custody collect, run {i + 1} | {p.get('streams', 0):.1f} | {p.get('merge', 0):.1f} | "
                     f"{p.get('seal', 0):.1f} | {c['wall_s']:.1f} | {c.get('timeline_runs', 0)} "
                     f"({c.get('timeline_run_bytes', 0) / 1e6:,.0f} MB) |")
        L.append("")
        L.append("| object | SOQL (custody's, given to jsforce as is) | custody rows | jsforce rows |")
        L.append("| --- | --- | ---: | ---: |")
        jq = {q["object"]: q for q in h["jsforce"][-1]["report"]["queries"]}
        for i in h["custody"][-1]["items"]:
            L.append(f"| {i['object']} | `{i['soql']}` | {i['received']:,} | {jq.get(i['object'], {}).get('rows', 0):,} |")
        cw, jw = med([c["wall_s"] for c in h["custody"]]), med([j["wall_s"] for j in h["jsforce"]])
        cr, jr = max(c["rss_kib"] for c in h["custody"]) / MIB, max(j["rss_kib"] for j in h["jsforce"]) / MIB
        rows_c = {c["rows"] for c in h["custody"]}
        rows_j = {j["rows"] for j in h["jsforce"]}
        same = not h.get("mismatches") and rows_c == rows_j
        targets.append(("custody at least 3x faster wall-clock than jsforce (1M field-history rows)",
                        f"jsforce / custody = {jw:.2f} s / {cw:.2f} s = **{jw / cw:.2f}x** (medians)", jw / cw >= 3.0))
        targets.append(("custody peak RSS under a quarter of jsforce's",
                        f"{cr:.1f} MiB / {jr:.1f} MiB = **{cr / jr:.2f}** (largest of the runs)", cr < jr / 4))
        targets.append(("custody peak RSS under 128 MiB (1M rows)", f"**{cr:.1f} MiB**", cr < 128))
        targets.append(("both got the same rows", f"custody {', '.join(f'{x:,}' for x in sorted(rows_c))}, jsforce "
                        f"{', '.join(f'{x:,}' for x in sorted(rows_j))}; per object "
                        f"{'equal' if not h.get('mismatches') else '; '.join(h['mismatches'])}", same))
    g = next((p for p in res["phases"] if p["phase"] == "logfile"), None)
    if g:
        n = g["bytes"]
        L.append("")
        L.append(f"### 2. One EventLogFile of {n:,} bytes ({n / (1 << 30):.2f} GiB, {g['file']['EventType']})")
        L.append("")
        L.append("| download | runs | median s | min s | MB/s (median) | peak RSS | CPU | simulator CPU | others' CPU |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

        def row(name, runs):
            w = [r["wall_s"] for r in runs]
            L.append(f"| {name} | {len(runs)} | {med(w):.3f} | {min(w):.3f} | {n / 1e6 / med(w):.0f} | "
                     f"{max(r['rss_kib'] for r in runs) / MIB:.1f} MiB | {med([r['cpu_pct'] for r in runs]):.0f}% | "
                     f"{med([r['sim_cpu_pct'] for r in runs]):.0f}% | {med([r['others_cpu_pct'] for r in runs]):.0f}% |")
        if g["fetch"]:
            row("(a) custody_bench_logfile_fetch: lib/http + CaptureFile (disk, SHA-256, sidecar)", g["fetch"])
        if g["fetch"]:
            tr = med([r["report"]["transport_total_ms"] / 1000.0 for r in g["fetch"]])
            fin = med([r["report"]["seconds"] - r["report"]["transport_total_ms"] / 1000.0 for r in g["fetch"]])
            L.append(f"| (a) of which the transfer (request to last byte, hashed and written) | {len(g['fetch'])} | "
                     f"{tr:.3f} | | {n / 1e6 / tr:.0f} | | | | |")
            L.append(f"| (a) of which closing + sidecar after the last byte (no fsync since 1964536) | {len(g['fetch'])} | "
                     f"{fin:.3f} | | | | | | |")
        row("`curl -o FILE`", g["curl"])
        if g["curl_sync"]:
            w = g["curl_sync"]
            L.append(f"| `curl -o FILE` then `sync FILE` (for scale) | {len(w)} | {med(w):.3f} | "
                     f"{min(w):.3f} | {n / 1e6 / med(w):.0f} | | | | |")
        for i, c in enumerate(g["collect"]):
            L.append(f"| (b) custody collect --streams exports, run {i + 1} (whole command) | 1 | {c['wall_s']:.3f} | "
                     f"{c['wall_s']:.3f} | {n / 1e6 / c['wall_s']:.0f} | {c['rss_kib'] / MIB:.1f} MiB | "
                     f"{c['cpu_pct']:.0f}% | {c['sim_cpu_pct']:.0f}% | {c['others_cpu_pct']:.0f}% |")
        L.append("")
        if g["fetch"]:
            L.append(f"SHA-256 of the file: custody {g['fetch_sha256']}, curl (hashed afterwards) {g['curl_sha256']}: "
                     f"{'equal' if g['fetch_sha256'] == g['curl_sha256'] else 'DIFFERENT'}.")
            L.append("")
        if g["collect"]:
            L.append("| custody collect --streams exports | streams | of which listing + LogFile download | "
                     "of which normalize (+ small queries after) | merge | seal | total | the LogFile download itself | "
                     "records | LogFile bytes | requests | timeline runs | sealed bundle |")
            L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for i, c in enumerate(g["collect"]):
                p = c["phases"]
                dl = f"{c['logfile_download_s']:.1f}" if c["logfile_download_s"] is not None else "?"
                f1 = lambda k: f"{p[k]:.1f}" if k in p else "?"
                L.append(f"| run {i + 1} | {p.get('streams', 0):.1f} | {f1('download')} | {f1('normalize')} | "
                         f"{p.get('merge', 0):.1f} | {p.get('seal', 0):.1f} | {c['wall_s']:.1f} | {dl} | "
                         f"{c['records']:,} | {c['logfile_bytes']:,} | {c['requests']} | {c.get('timeline_runs', 0)} "
                         f"({c.get('timeline_run_bytes', 0) / 1e6:,.0f} MB) | {c['bundle_bytes']:,} bytes |")
        cu = med([r["wall_s"] for r in g["curl"]])
        if g["fetch"]:
            fw = med([r["wall_s"] for r in g["fetch"]])
            targets.append(("(a) raw download with hashing within 1.2x of `curl -o FILE` (1 GiB LogFile)",
                            f"{fw:.3f} s / {cu:.3f} s = **{fw / cu:.2f}x** (medians of {len(g['fetch'])})", fw / cu <= 1.2))
        else:
            targets.append(("(a) raw download with hashing within 1.2x of `curl -o FILE`",
                            "not measured (no custody_bench_logfile_fetch binary)", None))
        if g["collect"]:
            cw = med([c["wall_s"] for c in g["collect"]])
            extra = g["collect"][0]["logfile_bytes"] != n
            targets.append(("(b) download + normalize + seal (`collect --streams exports`) within 2x of curl",
                            f"{cw:.2f} s / {cu:.3f} s = **{cw / cu:.1f}x**" +
                            (" (the stream also downloaded other LogFiles)" if extra else ""), cw / cu <= 2.0))
        rss = [r["rss_kib"] / MIB for r in g["fetch"]] + [c["rss_kib"] / MIB for c in g["collect"]]
        if rss:
            targets.append(("peak RSS under 128 MiB with the 1 GiB LogFile",
                            f"logfile_fetch {max((r['rss_kib'] / MIB for r in g['fetch']), default=0):.1f} MiB, "
                            f"collect {max((c['rss_kib'] / MIB for c in g['collect']), default=0):.1f} MiB", max(rss) < 128))
    L.append("")
    L.append("### Targets")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("| --- | --- | --- |")
    for t, meas, ok in targets:
        L.append(f"| {t} | {meas} | {'not measured' if ok is None else verdict(ok)} |")
    if h:
        c = h["custody"][-1]
        L.append("")
        st = med([x["phases"].get("streams", 0) for x in h["custody"]])
        jw = med([j["wall_s"] for j in h["jsforce"]])
        L.append(f"Info: custody's streams phase (start to the last page captured and normalized, before the "
                 f"timeline merge and the seal): {st:.1f} s median, {jw / st:.2f}x jsforce's {jw:.1f} s (jsforce / "
                 f"custody). Capture alone is no longer separable from outside: each page is normalized by its "
                 f"connection's thread before the next is requested.")
        L.append("")
        L.append(f"Info: custody's API calls for (1): **{c['requests']}** requests (its own count; the simulator counted "
                 f"{c['sim_api_calls']} billable calls), sealed bundle **{c['bundle_bytes']:,} bytes** "
                 f"({c['bundle_bytes'] / (1 << 30):.2f} GiB) for {c['rows']:,} rows.")
    L.append("")
    L.append("| simulator | peak RSS (VmHWM) | exit status after SIGTERM | flags |")
    L.append("| --- | ---: | ---: | --- |")
    for p in res["phases"]:
        L.append(f"| {p['phase']} | {p['sim_hwm_mib']:.1f} MiB | {p['sim_exit']} | `{' '.join(p['sim_args'])}` |")
    return "\n".join(L)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--custody", required=True)
    p.add_argument("--sim", required=True)
    p.add_argument("--logfile-fetch", default="", help="custody_bench_logfile_fetch binary; empty: skip (a)")
    p.add_argument("--node", default="node", help="node >= 22 for jsforce")
    p.add_argument("--jsforce-dir", default="", help="folder whose node_modules holds jsforce")
    p.add_argument("--work", required=True, help="a folder for temporary files (several GiB)")
    p.add_argument("--phases", default="history,logfile")
    p.add_argument("--history-rows", type=int, default=1000000)
    p.add_argument("--repeat", type=int, default=3, help="custody + jsforce runs in the history phase")
    p.add_argument("--elf-bytes-per-day", type=int, default=2129000000,
                   help="simulator flag; 2129000000 gives one ApiTotalUsage LogFile of ~1 GiB")
    p.add_argument("--downloads", type=int, default=3, help="(a): timed downloads each of custody and curl")
    p.add_argument("--collect-repeat", type=int, default=2, help="(b): custody collect --streams exports runs")
    p.add_argument("--timeout", type=float, default=1800, help="seconds any one command may take")
    p.add_argument("--wait-idle", type=float, default=float(os.environ.get("WAIT_IDLE", 120)),
                   help="total seconds the run may spend waiting for idle CPUs (0: never)")
    p.add_argument("--json", help="also write the raw results here")
    p.add_argument("--commit", default="")
    p.add_argument("--report-from", help="print the report of a --json file again, measuring nothing")
    a = p.parse_args()
    if a.report_from:
        with open(a.report_from) as f:
            print(report(json.load(f), a))
        return 0
    simbench.IDLE.budget = a.wait_idle
    phases = [x for x in a.phases.split(",") if x]
    for x in phases:
        if x not in ("history", "logfile"):
            log(f"unknown phase {x}")
            return 2
    if "history" in phases and not a.jsforce_dir:
        log("the history phase needs --jsforce-dir")
        return 2
    res = {"machine": simbench.machine(), "argv": sys.argv, "phases": [], "commit": a.commit}
    if "history" in phases:
        v = subprocess.run([a.node, "--version"], capture_output=True, text=True)
        res["node_version"] = v.stdout.strip()
        try:
            with open(os.path.join(a.jsforce_dir, "node_modules", "jsforce", "package.json")) as f:
                res["jsforce_version"] = json.load(f)["version"]
        except OSError:
            pass
    os.makedirs(a.work, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="run.", dir=a.work)
    try:
        free = shutil.disk_usage(tmp).free
        if free < 20 * (1 << 30):
            log(f"warning: only {free / (1 << 30):.1f} GiB free under {tmp}; the exports run needs ~10 GiB")
        key, cert = keygen(a.custody, tmp)
        for ph in phases:
            log(f"phase {ph}")
            res["phases"].append(phase_history(a, tmp, key, cert) if ph == "history" else
                                 phase_logfile(a, tmp, key, cert))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["waited_idle_s"] = simbench.IDLE.waited
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
    print(report(res, a))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, subprocess.SubprocessError, json.JSONDecodeError) as e:
        log(f"could not measure: {e}")
        sys.exit(1)
