#!/usr/bin/env python3
"""custody-sim throughput benchmark (python3 standard library and curl only).

Measures, each against its own freshly started simulator on loopback:
  query   query results served per second: 2,000-row pages of a big field-history result, followed
          through nextRecordsUrl by keep-alive clients (1 client, then N parallel clients over
          independent cursors), with and without gzip; client CPU vs server CPU.
  logfile EventLogFile LogFile download MB/s of the largest file, `curl -o /dev/null`, identity and
          gzip (decoded by curl --compressed, and the gzip bytes as sent).
  Peak RSS of the simulator (VmHWM from /proc/<pid>/status) after each.

Usage: simbench.py [options]  (see --help; bench/sim/run.sh is the wrapper)
       simbench.py client ...  (internal: one query client process)

Every request goes to 127.0.0.1 only; every loop is bounded in time and count.
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

CLK_TCK = os.sysconf("SC_CLK_TCK")
FROZEN = ["--seed", "1", "--start", "2026-04-01T00:00:00Z", "--now", "2026-04-10T00:00:00Z"]


# --- /proc helpers ------------------------------------------------------------------------------


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def system_busy_seconds():
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / CLK_TCK


def mib(kib):
    return kib / 1024.0


class IdleWaiter:
    """Before each measurement, waits (within a total budget of seconds for the whole run) until
    other processes leave the CPUs nearly idle: two consecutive 1-second samples under `threshold`
    cores busy. This machine is shared; the CPU others used is reported for every measurement."""

    def __init__(self, budget, threshold=0.3):
        self.budget = budget
        self.threshold = threshold
        self.waited = 0.0

    def wait(self, what):
        quiet = 0
        started = time.perf_counter()
        while self.waited < self.budget:
            b0, t0 = system_busy_seconds(), time.perf_counter()
            time.sleep(1.0)
            busy = (system_busy_seconds() - b0) / (time.perf_counter() - t0)
            self.waited += time.perf_counter() - t0
            quiet = quiet + 1 if busy < self.threshold else 0
            if quiet >= 2:
                break
        spent = time.perf_counter() - started
        if spent > 2.5:
            log(f"  waited {spent:.0f} s for idle CPUs before {what}"
                + ("" if quiet >= 2 else f" (budget of {self.budget:.0f} s used up; measuring under load)"))


IDLE = IdleWaiter(0)


# --- the simulator ------------------------------------------------------------------------------


class Sim:
    def __init__(self, binary, args, tmp, name):
        self.name = name
        self.dir = os.path.join(tmp, name)
        self.out_path = os.path.join(tmp, name + ".json")
        self.err_path = os.path.join(tmp, name + ".err")
        self.args = [binary, "--dir", self.dir] + args
        started = time.perf_counter()
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.time() + 600
        line = b""
        while True:
            with open(self.out_path, "rb") as f:
                line = f.readline()
            if line.endswith(b"\n"):
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"custody-sim ({name}) exited with {self.proc.returncode}: {self.stderr()}")
            if time.time() > deadline:
                self.proc.kill()
                raise RuntimeError(f"custody-sim ({name}) printed no startup line in 600 s")
            time.sleep(0.05)
        self.startup_seconds = time.perf_counter() - started
        self.info = json.loads(line)
        self.pid = self.proc.pid
        self.rss_after_startup_kib = proc_status_kib(self.pid, "VmHWM")
        u = urllib.parse.urlsplit(self.info["instance_url"])
        self.host, self.port = u.hostname, u.port
        self.base = f"/services/data/v{self.info['api_version']}"
        self.token = self._client_credentials()

    def stderr(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode("utf-8", "replace").strip()[-2000:]
        except OSError:
            return ""

    def _client_credentials(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        body = urllib.parse.urlencode({
            "grant_type": "client_credentials",
            "client_id": self.info["client_id"],
            "client_secret": self.info["client_secret"],
        })
        conn.request("POST", "/services/oauth2/token", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if r.status != 200:
            raise RuntimeError(f"client_credentials: HTTP {r.status}: {data[:300]!r}")
        return json.loads(data)["access_token"]

    def get_json(self, path, timeout=900):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if r.status != 200:
            raise RuntimeError(f"GET {path[:200]}: HTTP {r.status}: {data[:500]!r}")
        if r.getheader("Content-Encoding") == "gzip":
            data = zlib.decompress(data, 47)
        return json.loads(data)

    def query_all_pages(self, soql, max_pages=100000):
        path = self.base + "/query?q=" + urllib.parse.quote(soql)
        records = []
        for _ in range(max_pages):
            page = self.get_json(path)
            records.extend(page["records"])
            if page.get("done", True):
                return records, page["totalSize"]
            path = page["nextRecordsUrl"]
        raise RuntimeError(f"{soql}: more than {max_pages} pages")

    def cpu(self):
        return proc_cpu_seconds(self.pid)

    def hwm_kib(self):
        return proc_status_kib(self.pid, "VmHWM")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(f"custody-sim ({self.name}) did not exit within 30 s of SIGTERM")
        return self.proc.returncode


# --- query clients --------------------------------------------------------------------------------


def client_main(argv):
    """One keep-alive client: repeats `soql` (a new cursor each time) following nextRecordsUrl
    until `seconds` have passed. Prints one JSON line of counters."""
    p = argparse.ArgumentParser(prog="simbench.py client")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--soql", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--start-at", type=float, required=True)
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--validate-pages", type=int, default=3, help="json-parse this many pages fully")
    p.add_argument("--max-pages", type=int, default=200000)
    a = p.parse_args(argv)

    headers = {"Authorization": "Bearer " + a.token, "Accept": "application/json"}
    if a.gzip:
        headers["Accept-Encoding"] = "gzip"
    else:
        headers["Accept-Encoding"] = "identity"
    first = a.base + "/query?q=" + urllib.parse.quote(a.soql)
    conn = http.client.HTTPConnection(a.host, a.port, timeout=300)
    while time.time() < a.start_at:
        time.sleep(0.001)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    rows = pages = wire = body_bytes = gz_pages = 0
    completed = 0
    page_sizes = set()
    parse_all = False
    path = first
    query_rows = 0
    total = None
    errors = []
    while pages < a.max_pages:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        if r.status != 200:
            errors.append(f"HTTP {r.status} on {path[:120]}: {raw[:200]!r}")
            break
        wire += len(raw)
        body = raw
        if r.getheader("Content-Encoding") == "gzip":
            body = zlib.decompress(raw, 47)
            gz_pages += 1
        body_bytes += len(body)
        n = body.count(b'{"attributes":')
        head = body[:1024]
        if parse_all or pages < a.validate_pages:
            doc = json.loads(body)
            if len(doc["records"]) != n:
                parse_all = True  # records not rendered as expected: count by parsing from now on
                n = len(doc["records"])
            done = doc["done"]
            next_url = doc.get("nextRecordsUrl")
            if total is None:
                total = doc["totalSize"]
        else:
            done = b'"done":true' in head
            next_url = None
            if not done:
                i = head.find(b'"nextRecordsUrl":"')
                if i < 0:
                    doc = json.loads(body)
                    next_url = doc.get("nextRecordsUrl")
                    parse_all = True
                else:
                    j = head.index(b'"', i + 18)
                    next_url = head[i + 18:j].decode()
            if total is None:
                i = head.find(b'"totalSize":')
                j = i + 12
                while head[j:j + 1].isdigit():
                    j += 1
                total = int(head[i + 12:j])
        rows += n
        query_rows += n
        pages += 1
        page_sizes.add(n)
        if done:
            if query_rows != total:
                errors.append(f"query ended after {query_rows} rows, totalSize {total}")
                break
            completed += 1
            query_rows = 0
            total = None
            if time.perf_counter() - t0 >= a.seconds:
                break
            path = first
        else:
            if time.perf_counter() - t0 >= a.seconds:
                break
            path = next_url
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    conn.close()
    print(json.dumps({
        "rows": rows, "pages": pages, "wire_bytes": wire, "json_bytes": body_bytes, "gzip_pages": gz_pages,
        "completed_queries": completed, "seconds": elapsed, "cpu_seconds": cpu,
        "page_sizes": sorted(page_sizes)[-3:], "parsed_all": parse_all, "errors": errors,
    }))


def run_query_phase(sim, soqls, clients, seconds, gzip):
    """`clients` parallel client processes, client i running soqls[i % len(soqls)]."""
    me = os.path.abspath(__file__)
    start_at = time.time() + 1.0
    procs = []
    for i in range(clients):
        cmd = [sys.executable, me, "client", "--host", sim.host, "--port", str(sim.port), "--token", sim.token,
               "--base", sim.base, "--soql", soqls[i % len(soqls)], "--seconds", str(seconds),
               "--start-at", repr(start_at)]
        if gzip:
            cmd.append("--gzip")
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    while time.time() < start_at - 0.05:
        time.sleep(0.01)
    srv0, sys0, t0 = sim.cpu(), system_busy_seconds(), time.perf_counter()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 600)
        if proc.returncode != 0:
            raise RuntimeError(f"client failed ({proc.returncode}): {err.decode()[-2000:]}")
        results.append(json.loads(out))
    wall = time.perf_counter() - t0
    srv = sim.cpu() - srv0
    busy = system_busy_seconds() - sys0
    errors = [e for r in results for e in r["errors"]]
    if errors:
        raise RuntimeError("query clients: " + "; ".join(errors[:5]))
    window = max(r["seconds"] for r in results)
    rows = sum(r["rows"] for r in results)
    pages = sum(r["pages"] for r in results)
    client_cpu = sum(r["cpu_seconds"] for r in results)
    return {
        "clients": clients, "gzip": gzip, "seconds": window, "rows": rows, "pages": pages,
        "rows_per_s": rows / window, "pages_per_s": pages / window,
        "json_mb_per_s": sum(r["json_bytes"] for r in results) / 1e6 / window,
        "wire_mb_per_s": sum(r["wire_bytes"] for r in results) / 1e6 / window,
        "completed_queries": sum(r["completed_queries"] for r in results),
        "gzip_pages": sum(r["gzip_pages"] for r in results),
        "page_sizes": sorted({s for r in results for s in r["page_sizes"]}),
        "client_cpu_pct": 100.0 * client_cpu / window,
        "client_cpu_pct_max": max(100.0 * r["cpu_seconds"] / r["seconds"] for r in results),
        "server_cpu_pct": 100.0 * srv / window,
        "rows_per_server_cpu_s": rows / srv if srv > 0 else 0.0,
        "others_cpu_pct": max(0.0, 100.0 * (busy - srv - client_cpu) / wall),
        "parsed_all": any(r["parsed_all"] for r in results),
    }


# --- LogFile downloads ----------------------------------------------------------------------------


def curl_download(sim, urls, mode):
    """Downloads `urls` at once, one curl each, to /dev/null. mode: identity | gzip-decoded
    (curl --compressed) | gzip-raw (Accept-Encoding: gzip, not decoded)."""
    base = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total} %{time_starttransfer}",
            "-H", "Authorization: Bearer " + sim.token]
    if mode == "gzip-decoded":
        base.append("--compressed")
    elif mode == "gzip-raw":
        base += ["-H", "Accept-Encoding: gzip"]
    else:
        base += ["-H", "Accept-Encoding: identity"]
    srv0, sys0 = sim.cpu(), system_busy_seconds()
    t0 = time.perf_counter()
    procs = [subprocess.Popen(base + [u], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for u in urls]
    sizes = []
    client_cpu = 0.0
    curl_seconds = []
    for proc, url in zip(procs, urls):
        out = proc.stdout.read()
        err = proc.stderr.read()
        _, status, ru = os.wait4(proc.pid, 0)
        if status != 0:
            raise RuntimeError(f"curl failed ({status}): {err.decode()[-500:]}")
        code, size, total, _ttfb = out.decode().split()
        if code != "200":
            raise RuntimeError(f"curl: HTTP {code} for {url}")
        sizes.append(int(size))
        curl_seconds.append(float(total))
        client_cpu += ru.ru_utime + ru.ru_stime
    wall = time.perf_counter() - t0
    srv = sim.cpu() - srv0
    busy = system_busy_seconds() - sys0
    return {
        "sizes": sizes, "size_download": sum(sizes),
        # One file: curl's own time_total; several: first start to last end.
        "seconds": curl_seconds[0] if len(urls) == 1 else wall,
        "client_cpu_pct": 100.0 * client_cpu / wall, "server_cpu_pct": 100.0 * srv / wall,
        "server_cpu_seconds": srv,
        "others_cpu_pct": max(0.0, 100.0 * (busy - srv - client_cpu) / wall),
    }


def decoded_length(sim, url, mode):
    """Length of the body as a client sees it (not timed): curl [--compressed] | byte count."""
    cmd = ["curl", "-sS", "-H", "Authorization: Bearer " + sim.token]
    cmd += ["--compressed"] if mode == "gzip-decoded" else ["-H", "Accept-Encoding: identity"]
    cmd.append(url)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    n = 0
    while True:
        chunk = proc.stdout.read(1 << 20)
        if not chunk:
            break
        n += len(chunk)
    if proc.wait() != 0:
        raise RuntimeError("curl failed while counting the body")
    return n


def largest_logfile(sim):
    records, total = sim.query_all_pages("SELECT Id, EventType, LogDate, LogFileLength FROM EventLogFile")
    if not records:
        raise RuntimeError("no EventLogFile rows")
    records.sort(key=lambda r: r["LogFileLength"], reverse=True)
    return records, total


# --- phases ---------------------------------------------------------------------------------------


def history_objects(sim):
    glob = sim.get_json(sim.base + "/sobjects")
    names = [o["name"] for o in glob["sobjects"] if o.get("queryable") and o["name"].endswith("History")]
    sizes = {}
    for n in names:
        sizes[n] = sim.get_json(sim.base + "/query?q=" + urllib.parse.quote(f"SELECT COUNT() FROM {n}"))["totalSize"]
    return sizes


def select_all_fields(sim, obj):
    d = sim.get_json(f"{sim.base}/sobjects/{obj}/describe")
    return "SELECT " + ", ".join(f["name"] for f in d["fields"]) + f" FROM {obj}"


def phase_query(a, tmp, gzip):
    name = "query-gzip" if gzip else "query"
    sim = Sim(a.sim, FROZEN + ["--days", str(a.query_days), "--history-rows", str(a.history_rows),
                               "--gzip", "always" if gzip else "never"], tmp, name)
    try:
        sizes = history_objects(sim)
        ranked = sorted(sizes.items(), key=lambda kv: -kv[1])
        wanted = [n for n in ("ContactHistory", "AccountHistory") if sizes.get(n, 0) > 0] or [ranked[0][0]]
        soqls = [select_all_fields(sim, n) for n in wanted]
        runs = []
        for c in a.clients:
            IDLE.wait(f"{name} with {c} client(s)")
            r = run_query_phase(sim, soqls, c, a.query_seconds, gzip)
            r["hwm_mib"] = mib(sim.hwm_kib())
            runs.append(r)
            log(f"  {name}: {c} client(s): {r['rows_per_s']:,.0f} rows/s, {r['pages_per_s']:.1f} pages/s, "
                f"{r['json_mb_per_s']:.1f} MB/s JSON ({r['wire_mb_per_s']:.1f} MB/s on the wire), client CPU "
                f"{r['client_cpu_pct']:.0f}%, server CPU {r['server_cpu_pct']:.0f}%, others {r['others_cpu_pct']:.0f}%, "
                f"page sizes {r['page_sizes']}, peak RSS {r['hwm_mib']:.1f} MiB")
        return {
            "phase": name, "startup_seconds": sim.startup_seconds, "rss_after_startup_mib": mib(sim.rss_after_startup_kib),
            "history_sizes": sizes, "objects": wanted, "soql": soqls, "runs": runs,
            "hwm_mib": mib(sim.hwm_kib()), "exit": sim.stop(), "args": sim.args[3:],
        }
    except BaseException:
        sim.stop()
        raise


def phase_logfile(a, tmp, gzip):
    name = "logfile-gzip" if gzip else "logfile"
    sim = Sim(a.sim, FROZEN + ["--days", str(a.elf_days), "--elf-bytes-per-day", str(a.elf_bytes_per_day),
                               "--history-rows", "1000", "--gzip", "always" if gzip else "never"], tmp, name)
    try:
        t0 = time.perf_counter()
        records, total = largest_logfile(sim)
        listing_seconds = time.perf_counter() - t0
        big = records[0]
        length = int(big["LogFileLength"])

        def url_of(rec):
            return f"{sim.info['instance_url']}{sim.base}/sobjects/EventLogFile/{rec['Id']}/LogFile"

        url = url_of(big)
        if gzip:
            modes = [("gzip-decoded", [big]), ("gzip-raw", [big])]
        else:
            modes = [("identity", [big])]
            if a.parallel_downloads > 1 and len(records) >= a.parallel_downloads:
                modes.append((f"identity x{a.parallel_downloads} files at once", records[:a.parallel_downloads]))
        out = {"phase": name, "startup_seconds": sim.startup_seconds, "rss_after_startup_mib": mib(sim.rss_after_startup_kib),
               "files": total, "listing_seconds": listing_seconds, "largest": big, "modes": {}, "args": sim.args[3:]}
        for mode, recs in modes:
            kind = mode.split(" ")[0]
            if len(recs) == 1 and kind != "gzip-raw":
                seen = decoded_length(sim, url, kind)
                if seen != length:
                    raise RuntimeError(f"{mode}: the body has {seen} bytes, LogFileLength {length}")
            want = [int(r["LogFileLength"]) for r in recs]
            runs = []
            for _ in range(a.downloads):
                IDLE.wait(f"{name} {mode} download")
                runs.append(curl_download(sim, [url_of(r) for r in recs], kind))
            if kind == "identity" and any(r["sizes"] != want for r in runs):
                raise RuntimeError(f"{mode}: downloaded {runs[0]['sizes']} bytes, LogFileLength {want}")
            secs = statistics.median(r["seconds"] for r in runs)
            m = {
                "files": [r["Id"] for r in recs], "event_types": [r["EventType"] for r in recs], "csv_bytes": sum(want),
                "runs": runs, "median_seconds": secs, "decoded_mb_per_s": sum(want) / 1e6 / secs,
                "wire_bytes": runs[0]["size_download"], "wire_mb_per_s": runs[0]["size_download"] / 1e6 / secs,
                "client_cpu_pct": statistics.median(r["client_cpu_pct"] for r in runs),
                "server_cpu_pct": statistics.median(r["server_cpu_pct"] for r in runs),
                "others_cpu_pct": statistics.median(r["others_cpu_pct"] for r in runs),
                "csv_mb_per_server_cpu_s": sum(want) / 1e6 / statistics.median(r["server_cpu_seconds"] for r in runs),
                "hwm_mib": mib(sim.hwm_kib()),
            }
            out["modes"][mode] = m
            log(f"  {name}: {mode}: {sum(want):,} bytes in {secs:.3f} s median of {a.downloads} = "
                f"{m['decoded_mb_per_s']:.0f} MB/s of CSV ({m['wire_bytes']:,} bytes on the wire), curl CPU "
                f"{m['client_cpu_pct']:.0f}%, server CPU {m['server_cpu_pct']:.0f}%, others {m['others_cpu_pct']:.0f}%, "
                f"peak RSS {m['hwm_mib']:.1f} MiB")
        out["hwm_mib"] = mib(sim.hwm_kib())
        out["exit"] = sim.stop()
        return out
    except BaseException:
        sim.stop()
        raise


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return {
        "nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(), "python": platform.python_version(),
        "curl": curl, "loadavg": open("/proc/loadavg").read().split()[:3],
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }


def report(res):
    lines = []
    m = res["machine"]
    lines.append(f"machine: {m['nproc']} cores ({m['cpu']}), kernel {m['kernel']}, {m['curl'].split(' (')[0]}, "
                 f"python {m['python']}; load average at start {' '.join(m['loadavg'])}; {m['date']}; "
                 f"waited {res.get('waited_idle_s', 0):.0f} s in all for idle CPUs")
    query = [ph for ph in res["phases"] if ph["phase"].startswith("query")]
    logfile = [ph for ph in res["phases"] if ph["phase"].startswith("logfile")]
    if query:
        lines.append("")
        lines.append("| query run | clients | rows/s | pages/s | ms per page (each client) | JSON MB/s | wire MB/s | "
                     "client CPU | server CPU | others' CPU | rows per server CPU-s | rows | peak RSS |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for ph in query:
            for r in ph["runs"]:
                lines.append(f"| {ph['phase']} ({'/'.join(ph['objects'])}) | {r['clients']} | {r['rows_per_s']:,.0f} | "
                             f"{r['pages_per_s']:.1f} | {1000.0 * r['clients'] / r['pages_per_s']:.1f} | "
                             f"{r['json_mb_per_s']:.1f} | {r['wire_mb_per_s']:.1f} | "
                             f"{r['client_cpu_pct']:.0f}% | {r['server_cpu_pct']:.0f}% | {r['others_cpu_pct']:.0f}% | "
                             f"{r['rows_per_server_cpu_s']:,.0f} | {r['rows']:,} | {r['hwm_mib']:.1f} MiB |")
    if logfile:
        lines.append("")
        lines.append("| LogFile download | bytes (CSV) | on the wire | median s | CSV MB/s | wire MB/s | curl CPU | "
                     "server CPU | others' CPU | CSV MB per server CPU-s | peak RSS |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for ph in logfile:
            for mode, r in ph["modes"].items():
                lines.append(f"| {mode} ({'+'.join(r['event_types'])}) | {r['csv_bytes']:,} | {r['wire_bytes']:,} | "
                             f"{r['median_seconds']:.3f} | {r['decoded_mb_per_s']:,.0f} | {r['wire_mb_per_s']:,.0f} | "
                             f"{r['client_cpu_pct']:.0f}% | {r['server_cpu_pct']:.0f}% | {r['others_cpu_pct']:.0f}% | "
                             f"{r['csv_mb_per_server_cpu_s']:,.0f} | {r['hwm_mib']:.1f} MiB |")
    lines.append("")
    lines.append("| simulator | startup s | RSS after startup | peak RSS (VmHWM) at the end | exit status after SIGTERM | flags |")
    lines.append("| --- | ---: | ---: | ---: | ---: | --- |")
    for ph in res["phases"]:
        lines.append(f"| {ph['phase']} | {ph['startup_seconds']:.2f} | {ph['rss_after_startup_mib']:.1f} MiB | "
                     f"{ph['hwm_mib']:.1f} MiB | {ph['exit']} | `{' '.join(a for a in ph['args'] if not a.startswith('/'))}` |")
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        client_main(sys.argv[2:])
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--sim", default=os.environ.get("CUSTODY_SIM", os.path.join(here, "..", "..", "build", "bin", "custody-sim")))
    p.add_argument("--phases", default="query,query-gzip,logfile,logfile-gzip")
    p.add_argument("--history-rows", type=int, default=2000000)
    p.add_argument("--query-days", type=int, default=7)
    p.add_argument("--query-seconds", type=float, default=20.0, help="length of each query measurement")
    p.add_argument("--clients", default="1,2,4", help="parallel client counts to measure")
    p.add_argument("--elf-bytes-per-day", type=int, default=1 << 30)
    p.add_argument("--elf-days", type=int, default=1)
    p.add_argument("--downloads", type=int, default=3, help="timed downloads per mode (median reported)")
    p.add_argument("--parallel-downloads", type=int, default=2,
                   help="identity: also download this many of the largest files at once (0 or 1: skip)")
    p.add_argument("--wait-idle", type=float, default=float(os.environ.get("WAIT_IDLE", 300)),
                   help="total seconds the run may spend waiting for idle CPUs before measurements (0: never)")
    p.add_argument("--json", help="also write the raw results here")
    a = p.parse_args()
    IDLE.budget = a.wait_idle
    a.sim = os.path.abspath(a.sim)
    a.clients = [int(x) for x in a.clients.split(",") if x]
    if not os.access(a.sim, os.X_OK):
        log(f"no custody-sim binary at {a.sim}")
        return 2
    if shutil.which("curl") is None and any(ph.startswith("logfile") for ph in a.phases.split(",")):
        log("curl not found")
        return 2
    res = {"machine": machine(), "argv": sys.argv, "phases": []}
    tmp = tempfile.mkdtemp(prefix="simbench.")
    try:
        for ph in a.phases.split(","):
            log(f"phase {ph}")
            if ph in ("query", "query-gzip"):
                res["phases"].append(phase_query(a, tmp, ph == "query-gzip"))
            elif ph in ("logfile", "logfile-gzip"):
                res["phases"].append(phase_logfile(a, tmp, ph == "logfile-gzip"))
            else:
                log(f"unknown phase {ph}")
                return 2
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["waited_idle_s"] = IDLE.waited
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    print(report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
