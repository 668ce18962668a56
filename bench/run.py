#!/usr/bin/env python3
"""agent_exporter benchmark: speed and memory against the alternatives, side by side.

One run measures everything (bench/README.md explains each figure):
  1. a seeded event file (bench/gen_events.py), cached by seed and size in the work dir;
  2. replay of the file: agent_exporter replay vs Python + prometheus_client, mtail
     --one_shot, the simdjson parse floor and `wc -l`: events/s, CPU s, peak RSS;
  3. agreement: the counts that agent_exporter, Python and mtail share must be equal
     (exit status 1 otherwise);
  4. push throughput: NDJSON batches over HTTP on 127.0.0.1 with the write-ahead log on,
     sustained (60 s by default, longer than a snapshot interval), with the 503/429 counts;
  5. live-tail lag while a writer appends at a fixed rate;
  6. /metrics render time, size and RSS at 10k and 100k series;
  7. idle RSS;
  8. transcript replay: generated Claude Code and Codex session trees
     (tests/transcripts/gen_transcripts.py) through `agent_exporter replay --input ...`:
     lines/s, events/s, MB/s, peak RSS, and the events applied equal to the generator's truth.
  9. OTLP/HTTP trace ingest (protobuf and JSON): GenAI spans (bench/gen_otlp.py) posted by
     bench_otlp_load with the write-ahead log on: spans/s applied, CPU s per million spans,
     peak RSS, non-2xx answers, the exporter's count equal to the spans acknowledged.
Each figure is the median of --runs runs. The table goes to bench/RESULTS.md (--smoke: a
file in the work dir) and to stdout.

  bench/run [--smoke] [--events N] [--runs N] [--only replay,push,tail,series,idle,transcripts,otlp] ...
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"  # Debian's python: it sees python3-prometheus-client
TIME = "/usr/bin/time"       # GNU time (Debian package `time`): CPU and peak RSS of one child
SECTIONS = ["replay", "push", "tail", "series", "idle", "transcripts", "otlp"]

# The targets of issue 6 (2-core machine).
TARGET_REPLAY_FLOOR_PCT = 50
TARGET_REPLAY_RSS_MB = 25
TARGET_PUSH_EPS = 500_000
TARGET_TAIL_RATE = 300_000
TARGET_TAIL_LAG_S = 1.0
TARGET_RENDER_MS = 100
TARGET_SERIES_RSS_MB = 120
TARGET_IDLE_RSS_MB = 10
# Issue 18: OTLP protobuf GenAI spans/s at least this share of replay's events/s.
TARGET_OTLP_REPLAY_PCT = 40


class BenchError(Exception):
    """A step failed or two readers disagree: the benchmark exits with status 1."""


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------------------------------
# Arguments and environment

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="small sizes, one run each, table to the work dir (CI; no timing checks)")
    ap.add_argument("--events", type=int, help="events in the generated file (1000000; smoke 20000)")
    ap.add_argument("--runs", type=int, help="runs per figure, the median is reported (5; smoke 1)")
    ap.add_argument("--seed", type=int, default=42, help="generator seed")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="comma-separated sections to run: " + ",".join(SECTIONS))
    ap.add_argument("--build-dir", default=os.environ.get("AGX_BUILD_DIR", os.path.join(ROOT, "build-bench")),
                    help="where the binaries are ($AGX_BUILD_DIR, else build-bench)")
    ap.add_argument("--exporter", help="agent_exporter binary (default: BUILD/src/app/agent_exporter)")
    ap.add_argument("--floor", help="bench_simdjson_floor binary (default: BUILD/bench/...)")
    ap.add_argument("--push-load", help="bench_push_load binary (default: BUILD/bench/...)")
    ap.add_argument("--otlp-load", help="bench_otlp_load binary (default: BUILD/bench/...)")
    ap.add_argument("--mtail", default=shutil.which("mtail") or "/usr/bin/mtail", help="mtail binary")
    ap.add_argument("--work-dir", help="event cache and temp dirs (default: BUILD/bench-work)")
    ap.add_argument("--out", help="results file (default bench/RESULTS.md; smoke: WORK/RESULTS.smoke.md)")
    ap.add_argument("--push-connections", type=int, default=4)
    ap.add_argument("--push-batch", type=int, default=2000, help="events per POST")
    ap.add_argument("--push-seconds", type=float, help="push for this long, sustained: the file's batches are sent again"
                    " when it is used up (60, longer than a snapshot interval; smoke 3)")
    ap.add_argument("--push-checkpoint-wal-bytes", type=int,
                    help="state.checkpoint_wal_bytes of the push server (default: the exporter's);"
                         " 1073741824 (max_wal_bytes) compares with snapshots by the interval only")
    ap.add_argument("--tail-rate", type=int, help="writer rate, events/s (300000; smoke 50000)")
    ap.add_argument("--tail-seconds", type=float, help="writer duration (5; smoke 1)")
    ap.add_argument("--series", help="series counts for /metrics (10000,100000; smoke 1000,5000)")
    ap.add_argument("--scrapes", type=int, help="timed scrapes per series count (10; smoke 3)")
    ap.add_argument("--transcript-sessions", type=int,
                    help="generated sessions per coding agent (3000; smoke 100)")
    ap.add_argument("--otlp-connections", type=int, default=4)
    ap.add_argument("--otlp-seconds", type=float, help="OTLP load per encoding and run, s (60; smoke 3)")
    ap.add_argument("--otlp-bodies", type=int, help="distinct request bodies of up to 512 spans (64; smoke 8)")
    a = ap.parse_args()
    smoke = a.smoke
    a.events = a.events or (20_000 if smoke else 1_000_000)
    a.runs = a.runs or (1 if smoke else 5)
    a.push_seconds = a.push_seconds or (3 if smoke else 60)
    a.tail_rate = a.tail_rate or (50_000 if smoke else TARGET_TAIL_RATE)
    a.tail_seconds = a.tail_seconds or (1 if smoke else 5)
    a.series = [int(x) for x in (a.series or ("1000,5000" if smoke else "10000,100000")).split(",")]
    a.scrapes = a.scrapes or (3 if smoke else 10)
    a.transcript_sessions = a.transcript_sessions or (100 if smoke else 3000)
    a.otlp_seconds = a.otlp_seconds or (3 if smoke else 60)
    a.otlp_bodies = a.otlp_bodies or (8 if smoke else 64)
    a.only = [s.strip() for s in a.only.split(",") if s.strip()]
    for s in a.only:
        if s not in SECTIONS:
            ap.error("--only: unknown section %r" % s)
    b = os.path.abspath(a.build_dir)
    a.exporter = a.exporter or os.path.join(b, "src", "app", "agent_exporter")
    a.floor = a.floor or os.path.join(b, "bench", "bench_simdjson_floor")
    a.push_load = a.push_load or os.path.join(b, "bench", "bench_push_load")
    a.otlp_load = a.otlp_load or os.path.join(b, "bench", "bench_otlp_load")
    a.work_dir = os.path.abspath(a.work_dir or os.path.join(b, "bench-work"))
    a.out = a.out or (os.path.join(a.work_dir, "RESULTS.smoke.md") if smoke else os.path.join(HERE, "RESULTS.md"))
    for path in (a.exporter, a.floor, a.push_load, a.otlp_load, a.mtail, TIME):
        if not os.access(path, os.X_OK):
            ap.error("%s: not found or not executable (build it: bench/run builds what it needs)" % path)
    return a


def machine_info(work_dir):
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    fs = subprocess.run(["df", "-T", work_dir], capture_output=True, text=True).stdout.splitlines()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "kernel": os.uname().release,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mem": mem_total_gb(),
        "fs": fs[1].split()[1] if len(fs) > 1 else "?",
    }


def mem_total_gb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return "%.1f GB" % (int(line.split()[1]) / 1024 / 1024)
    return "?"


def dpkg_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout.strip() or "not installed"


def versions(args):
    exp = subprocess.run([args.exporter, "--version"], capture_output=True, text=True).stdout.strip()
    mt = subprocess.run([args.mtail, "--version"], capture_output=True, text=True).stdout.strip()
    m = re.search(r"mtail version (\S+)", mt)
    py = subprocess.run([PYTHON, "--version"], capture_output=True, text=True).stdout.strip()
    tree = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "unknown"
    # Changes other than the results file itself (which the last run rewrote) make it dirty.
    changed = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True).stdout.splitlines()
    if any(not line.endswith("bench/RESULTS.md") for line in changed if line.strip()):
        tree += "-dirty"
    return {
        "agent_exporter": "%s, work tree %s" % (exp.replace("agent_exporter, version ", ""), tree),
        "python3-prometheus-client": dpkg_version("python3-prometheus-client"),
        "python": py.replace("Python ", ""),
        "mtail": m.group(1) if m else mt,
        "simdjson": dpkg_version("libsimdjson-dev"),
    }


# ---------------------------------------------------------------------------------------
# 1. The event file

def events_file(args):
    os.makedirs(args.work_dir, exist_ok=True)
    path = os.path.join(args.work_dir, "events-seed%d-n%d.jsonl" % (args.seed, args.events))
    if not os.path.exists(path):
        log("generating %d events (seed %d) into %s" % (args.events, args.seed, path))
        tmp = path + ".tmp"
        subprocess.check_call([PYTHON, os.path.join(HERE, "gen_events.py"), "--events", str(args.events),
                               "--seed", str(args.seed), "--out", tmp])
        os.rename(tmp, path)
    return path


# ---------------------------------------------------------------------------------------
# 2. Replay

def run_measured(cmd, stdout_path, stderr_path):
    """Runs cmd to completion; returns wall s, CPU s (user+sys) and peak RSS MB of the child."""
    # /usr/bin/time measures the child: the rusage Python would get from wait4 counts this
    # script's own memory in ru_maxrss (a vforked child starts with the parent's high-water mark).
    usage_path = stderr_path + ".time"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.run([TIME, "-o", usage_path, "-f", "%U %S %M"] + cmd, stdout=out, stderr=err)
        wall = time.monotonic() - t0
    if p.returncode != 0:
        raise BenchError("%s exited with %d; stderr:\n%s" % (" ".join(cmd), p.returncode, tail(stderr_path)))
    with open(usage_path) as f:
        user, system, maxrss_kb = f.read().split()[-3:]
    return {"wall": wall, "cpu": float(user) + float(system), "rss_mb": int(maxrss_kb) / 1024.0}


def tail(path, n=30):
    try:
        with open(path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
    except OSError:
        return ""


def readers(args, events):
    return [
        ("agent_exporter", "`agent_exporter replay`", [args.exporter, "replay", events]),
        ("floor", "simdjson On-Demand parse floor", [args.floor, events]),
        ("python", "Python + prometheus_client", [PYTHON, os.path.join(HERE, "alternatives", "python_client.py"), events]),
        ("mtail", "mtail `--one_shot`", [args.mtail, "--one_shot", "--one_shot_format=prometheus",
                                        "--emit_prog_label=false", "--logtostderr",
                                        "--progs", os.path.join(HERE, "alternatives", "agents.mtail"),
                                        "--logs", events]),
        ("wc", "`wc -l` (I/O floor)", ["wc", "-l", events]),
    ]


def bench_replay(args, events, out_dir):
    with open(events, "rb") as f:  # warm the page cache: every reader sees a cached file
        while f.read(8 << 20):
            pass
    results = {}
    for r in range(args.runs):
        for key, _, cmd in readers(args, events):
            log("replay run %d/%d: %s" % (r + 1, args.runs, key))
            m = run_measured(cmd, os.path.join(out_dir, key + ".out"), os.path.join(out_dir, key + ".err"))
            results.setdefault(key, []).append(m)
        if r == 0:
            check_agreement(args, out_dir)
    table = {}
    for key, runs in results.items():
        wall = median([m["wall"] for m in runs])
        table[key] = {"eps": args.events / wall, "wall": wall, "cpu": median([m["cpu"] for m in runs]),
                      "rss_mb": median([m["rss_mb"] for m in runs])}
    return table


# ---------------------------------------------------------------------------------------
# 3. Agreement

SHARED = {
    "agent_requests_total": ("agent_id", "status"),
    "agent_llm_calls_total": ("agent_id", "model", "status"),
    "agent_tokens_consumed_total": ("agent_id", "model", "direction"),
    "agent_tool_calls_total": ("agent_id", "tool_name", "status"),
}


def shared_counts(text, openmetrics):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
    from prometheus_client.parser import text_string_to_metric_families as text_families
    counts = {name: {} for name in SHARED}
    events = 0.0
    for fam in (om_families(text) if openmetrics else text_families(text)):
        for s in fam.samples:
            if s.name in SHARED and s.value != 0:
                key = tuple(s.labels.get(l, "") for l in SHARED[s.name])
                counts[s.name][key] = counts[s.name].get(key, 0) + s.value
            elif s.name == "agent_exporter_events_total" and s.labels.get("source") == "file":
                events += s.value
    return counts, events


def diff_counts(a_name, a, b_name, b):
    problems = []
    for metric in SHARED:
        for key in sorted(set(a[metric]) | set(b[metric])):
            va, vb = a[metric].get(key), b[metric].get(key)
            if va != vb:
                problems.append("%s%s: %s=%s %s=%s" % (metric, dict(zip(SHARED[metric], key)), a_name, va, b_name, vb))
    return problems


def check_agreement(args, out_dir):
    def read(key):
        with open(os.path.join(out_dir, key + ".out"), encoding="utf-8") as f:
            return f.read()
    exp, exp_events = shared_counts(read("agent_exporter"), True)
    py, py_events = shared_counts(read("python"), True)
    mt, _ = shared_counts(read("mtail"), False)
    problems = diff_counts("agent_exporter", exp, "python", py) + diff_counts("agent_exporter", exp, "mtail", mt)
    if exp_events != args.events:
        problems.append("agent_exporter applied %d events, the file has %d" % (exp_events, args.events))
    if py_events != args.events:
        problems.append("python applied %d events, the file has %d" % (py_events, args.events))
    m = re.search(r"lines=(\d+) objects=(\d+) errors=(\d+)", read("floor"))
    if not m or int(m.group(2)) != args.events or int(m.group(3)) != 0:
        problems.append("parse floor: %s" % read("floor").strip())
    if problems:
        raise BenchError("the readers disagree (%d differences):\n  %s" % (len(problems), "\n  ".join(problems[:20])))
    series = sum(len(v) for v in exp.values())
    total = {m: sum(v.values()) for m, v in exp.items()}
    log("agreement: %d shared series equal in agent_exporter, python and mtail (%s)" %
        (series, ", ".join("%s=%d" % (k, v) for k, v in total.items())))
    args.agreement = (series, total)


# ---------------------------------------------------------------------------------------
# Serving: start, scrape, stop

class Server:
    """An `agent_exporter serve` child on 127.0.0.1 and a free port."""

    def __init__(self, args, tmp, config_text=None, extra=()):
        self.log_path = os.path.join(tmp, "exporter.log")
        cmd = [args.exporter, "serve"]
        if config_text is not None:
            cfg = os.path.join(tmp, "config.yml")
            with open(cfg, "w") as f:
                f.write(config_text)
            cmd.append("--config.file=" + cfg)
        cmd += list(extra)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        self.port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                m = re.search(rb"msg=listening .*port=(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise BenchError("agent_exporter serve exited with %s:\n%s" % (self.proc.returncode, tail(self.log_path)))
            time.sleep(0.01)
        self.stop()
        raise BenchError("agent_exporter serve did not start:\n" + tail(self.log_path))

    def status(self, field):
        """A field of /proc/PID/status in MB (VmRSS, VmHWM)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
        raise BenchError("no %s in /proc/%d/status" % (field, self.proc.pid))

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def scrape(self, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise BenchError("GET /metrics: HTTP %d" % r.status)
            return body
        finally:
            if own:
                conn.close()

    def post(self, body, conn):
        conn.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/x-ndjson"})
        r = conn.getresponse()
        reply = r.read()
        if r.status != 200:
            raise BenchError("POST /v1/events: HTTP %d %s" % (r.status, reply[:300]))
        return json.loads(reply)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def events_total(body, source):
    """sum(agent_exporter_events_total{source=SOURCE}) from a text exposition."""
    total = 0.0
    prefix = b"agent_exporter_events_total{"
    needle = b'source="%s"' % source.encode()
    for line in body.split(b"\n"):
        if line.startswith(prefix) and needle in line:
            total += float(line.rsplit(b"}", 1)[1].split()[0])
    return total


# ---------------------------------------------------------------------------------------
# 4. Push throughput

def bench_push(args, events):
    runs = []
    for r in range(args.runs):
        tmp = tempfile.mkdtemp(prefix="push-", dir=args.work_dir)
        state = "state:\n  dir: %s/state\n" % tmp
        if args.push_checkpoint_wal_bytes:
            state += "  checkpoint_wal_bytes: %d\n" % args.push_checkpoint_wal_bytes
        server = Server(args, tmp, "web:\n  listen_address: 127.0.0.1:0\n" + state)
        try:
            log("push run %d/%d: %d connections, %d events a batch, WAL on" %
                (r + 1, args.runs, args.push_connections, args.push_batch))
            cpu0 = server.cpu_seconds()
            out = subprocess.run([args.push_load, "--port", str(server.port), "--file", events,
                                  "--connections", str(args.push_connections), "--batch", str(args.push_batch),
                                  "--seconds", str(args.push_seconds), "--loop"], capture_output=True, text=True)
            if out.returncode != 0:
                raise BenchError("bench_push_load failed: %s" % out.stderr)
            res = json.loads(out.stdout)
            res["server_cpu"] = server.cpu_seconds() - cpu0
            bad = {k: v for k, v in res["statuses"].items() if k not in ("200", "429", "503")}
            if bad or res["acked_events"] == 0:
                raise BenchError("push answers other than 200: %s %s" % (res["statuses"], res["last_error_reply"]))
            scraped = server.scrape()
            counted = events_total(scraped, "push")
            for reason in ("wal_size", "interval"):
                m = re.search(rb'^agent_exporter_state_snapshot_triggers_total\{reason="%s"\} (\S+)' % reason.encode(),
                              scraped, re.M)
                res["snap_" + reason] = float(m.group(1)) if m else 0
            if counted != res["acked_events"]:
                raise BenchError("push: %d events acknowledged but agent_exporter_events_total{source=\"push\"} is %d"
                                 % (res["acked_events"], counted))
            res["hwm_mb"] = server.status("VmHWM")
            runs.append(res)
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    return {"eps": median([x["events_per_s"] for x in runs]),
            "acked": median([x["acked_events"] for x in runs]),
            "seconds": median([x["seconds"] for x in runs]),
            "p50_ms": median([x["latency_ms_p50"] for x in runs]),
            "p99_ms": median([x["latency_ms_p99"] for x in runs]),
            "hwm_mb": median([x["hwm_mb"] for x in runs]),
            "cpu_per_m": median([x["server_cpu"] / x["acked_events"] * 1e6 for x in runs]),
            "retries": sum(x["retries"] for x in runs),
            # Non-2xx answers (each retried until 200): 503 is the write-ahead log at
            # state.max_wal_bytes (or failing), 429 the ingest admission limit.
            "s429": median([x["statuses"].get("429", 0) for x in runs]),
            "s503": median([x["statuses"].get("503", 0) for x in runs]),
            "snap_wal_size": median([x["snap_wal_size"] for x in runs]),
            "snap_interval": median([x["snap_interval"] for x in runs])}


# ---------------------------------------------------------------------------------------
# 5. Live-tail lag

def slice_cuts(data, per_slice):
    """Offsets cutting data after every per_slice-th line: [(end_offset, lines), ...]."""
    cuts, pos, n = [], 0, len(data)
    while pos < n:
        end, lines = pos, 0
        while lines < per_slice and end < n:
            nl = data.find(b"\n", end)
            end = n if nl < 0 else nl + 1
            lines += 1
        cuts.append((end, lines))
        pos = end
    return cuts


def bench_tail(args, events):
    slice_s = 0.01
    per_slice = max(1, int(round(args.tail_rate * slice_s)))
    n_slices = int(round(args.tail_seconds / slice_s))
    with open(events, "rb") as f:
        data = f.read()
    cuts = slice_cuts(data, per_slice)
    view = memoryview(data)
    runs = []
    for r in range(args.runs):
        tmp = tempfile.mkdtemp(prefix="tail-", dir=args.work_dir)
        live = os.path.join(tmp, "live.jsonl")
        open(live, "wb").close()
        server = Server(args, tmp, "web:\n  listen_address: 127.0.0.1:0\ningest:\n  files: ['%s']\n" % live)
        try:
            log("tail run %d/%d: writer at %d events/s for %gs" % (r + 1, args.runs, args.tail_rate, args.tail_seconds))
            marks, polls = [], []          # (time, lines written) and (time, lines counted)
            done = threading.Event()

            def writer():
                with open(live, "ab", buffering=0) as f:
                    written, start, t0 = 0, 0, time.monotonic()
                    for i in range(n_slices):
                        delay = t0 + i * slice_s - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                        k = i % len(cuts)
                        start = 0 if k == 0 else cuts[k - 1][0]
                        f.write(view[start:cuts[k][0]])
                        written += cuts[k][1]
                        marks.append((time.monotonic(), written))
                done.set()

            w = threading.Thread(target=writer)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            t_start = time.monotonic()
            w.start()
            deadline = None
            while True:
                body = server.scrape(conn)
                now = time.monotonic()
                polls.append((now, events_total(body, "file")))
                if done.is_set():
                    target = marks[-1][1]
                    deadline = deadline or now + 30
                    if polls[-1][1] >= target or now > deadline:
                        break
                time.sleep(0.005)
            w.join()
            conn.close()
            t_end_write = marks[-1][0]
            total = marks[-1][1]
            reached = next((t for t, c in polls if c >= total), None)
            lags = []
            j = 0
            for t, c in marks:   # first poll counting every line written by time t
                while j < len(polls) and polls[j][1] < c:
                    j += 1
                lags.append(polls[j][0] - t if j < len(polls) else float("inf"))
            runs.append({"written": total, "rate": total / (t_end_write - t_start),
                         "catch_up": (reached - t_end_write) if reached is not None else float("inf"),
                         "lag_p50": median(lags), "lag_max": max(lags),
                         "hwm_mb": server.status("VmHWM")})
            if polls[-1][1] > total:
                raise BenchError("tail: counted %d events, only %d written" % (polls[-1][1], total))
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    res = {k: median([x[k] for x in runs]) for k in runs[0]}
    res["kept_up_runs"] = sum(1 for x in runs if x["catch_up"] <= 1.0)
    res["runs"] = len(runs)
    res["lag_max_all"] = max(x["lag_max"] for x in runs)
    return res


# ---------------------------------------------------------------------------------------
# 6. /metrics at many series

def bench_series(args):
    tmp = tempfile.mkdtemp(prefix="series-", dir=args.work_dir)
    limit = max(200_000, max(args.series) * 2)
    server = Server(args, tmp, "web:\n  listen_address: 127.0.0.1:0\nregistry:\n  series_limit: %d\n" % limit)
    out = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        have = 0
        for want in sorted(args.series):
            log("series: pushing tool_call events up to %d tool_name series" % want)
            while have < want:
                n = min(5000, want - have)
                body = "".join(
                    '{"type":"tool_call","agent_id":"bench","trace_id":"%032x","span_id":"%016x",'
                    '"tool_name":"tool-%07d","status":"success","ts":1763700000.5}\n' % (i + 1, i + 1, i)
                    for i in range(have, have + n)).encode()
                reply = server.post(body, conn)
                if reply.get("accepted") != n:
                    raise BenchError("series push: %s" % reply)
                have += n
            text = server.scrape(conn)
            series = sum(1 for line in text.split(b"\n") if line.startswith(b"agent_tool_calls_total{"))
            all_series = sum(1 for line in text.split(b"\n") if line and not line.startswith(b"#"))
            if series != want:
                raise BenchError("series: want %d agent_tool_calls_total series, /metrics has %d" % (want, series))
            r = subprocess.run([args.push_load, "--port", str(server.port), "--get", "--repeat", str(args.scrapes),
                                "--accept", "openmetrics"], capture_output=True, text=True)
            if r.returncode != 0:
                raise BenchError("bench_push_load --get failed: %s" % r.stderr)
            res = json.loads(r.stdout)
            if res["status"] != 200:
                raise BenchError("GET /metrics (OpenMetrics): HTTP %d" % res["status"])
            out.append({"series": want, "samples": all_series, "render_ms": median(res["times_ms"]),
                        "render_ms_max": max(res["times_ms"]), "bytes": res["bytes"],
                        "rss_mb": server.status("VmRSS")})
        conn.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------
# 7. Idle RSS

def bench_idle(args):
    rss = []
    for r in range(args.runs):
        tmp = tempfile.mkdtemp(prefix="idle-", dir=args.work_dir)
        server = Server(args, tmp, None, ["--web.listen-address=127.0.0.1:0"])
        try:
            time.sleep(1.0)
            rss.append(server.status("VmRSS"))
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    return {"rss_mb": median(rss)}


# ---------------------------------------------------------------------------------------
# 8. Transcript replay

TRANSCRIPT_FORMATS = [("claude_code", "claude", "Claude Code transcripts"),
                      ("codex", "codex", "Codex CLI transcripts")]


def transcript_tree(args):
    """The generated trees (cached by seed and size) and their truth."""
    path = os.path.join(args.work_dir, "transcripts-seed%d-s%d" % (args.seed, args.transcript_sessions))
    if not os.path.exists(path):
        log("generating %d sessions per agent (seed %d) into %s" % (args.transcript_sessions, args.seed, path))
        tmp = path + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.check_call([PYTHON, os.path.join(ROOT, "tests", "transcripts", "gen_transcripts.py"),
                               "--out", tmp, "--seed", str(args.seed),
                               "--sessions", str(args.transcript_sessions)], stdout=subprocess.DEVNULL)
        os.rename(tmp, path)
    with open(os.path.join(path, "truth.json")) as f:
        return path, json.load(f)


def bench_transcripts(args, out_dir):
    root, truth = transcript_tree(args)
    table, applied = {}, 0
    for fmt, sub, _ in TRANSCRIPT_FORMATS:
        files = sorted(os.path.join(d, n) for d, _, names in os.walk(os.path.join(root, sub))
                       for n in names if n.endswith(".jsonl"))
        size = sum(os.path.getsize(f) for f in files)
        for f in files:  # warm the page cache
            with open(f, "rb") as fh:
                fh.read()
        cmd = [args.exporter, "replay", "--input", fmt] + files
        runs = []
        for r in range(args.runs):
            log("transcript replay run %d/%d: %s" % (r + 1, args.runs, fmt))
            runs.append(run_measured(cmd, os.path.join(out_dir, fmt + ".out"), os.path.join(out_dir, fmt + ".err")))
        with open(os.path.join(out_dir, fmt + ".err"), encoding="utf-8") as f:
            m = re.search(r"(\d+) line\(s\), (\d+) event\(s\) applied", f.read())
        if not m:
            raise BenchError("replay --input %s printed no summary" % fmt)
        lines, events = int(m.group(1)), int(m.group(2))
        if lines != truth["lines"][fmt]:
            raise BenchError("replay --input %s read %d lines, the generator wrote %d" % (fmt, lines, truth["lines"][fmt]))
        applied += events
        wall = median([x["wall"] for x in runs])
        table[fmt] = {"files": len(files), "lines": lines, "events": events, "mb": size / 1e6,
                      "lps": lines / wall, "eps": events / wall, "mbps": size / 1e6 / wall,
                      "cpu": median([x["cpu"] for x in runs]), "rss_mb": median([x["rss_mb"] for x in runs])}
    want = sum(truth["events"].values())
    if applied != want:
        raise BenchError("transcript replay applied %d events, the generator's truth has %d" % (applied, want))
    return table


# ---------------------------------------------------------------------------------------
# 9. OTLP/HTTP trace ingest

OTLP_ENCODINGS = [("protobuf", "OTLP/HTTP protobuf"), ("json", "OTLP/HTTP JSON")]


def bench_otlp(args, out_dir):
    table = {}
    for enc, _ in OTLP_ENCODINGS:
        bodies = os.path.join(out_dir, "otlp-%s.bin" % enc)
        subprocess.check_call([PYTHON, os.path.join(HERE, "gen_otlp.py"), "--encoding", enc,
                               "--bodies", str(args.otlp_bodies), "--seed", str(args.seed), "--out", bodies])
        runs = []
        for r in range(args.runs):
            tmp = tempfile.mkdtemp(prefix="otlp-", dir=args.work_dir)
            server = Server(args, tmp, "web:\n  listen_address: 127.0.0.1:0\nstate:\n  dir: %s/state\n" % tmp)
            try:
                log("otlp run %d/%d: %s, %d connections for %gs, WAL on" %
                    (r + 1, args.runs, enc, args.otlp_connections, args.otlp_seconds))
                cpu0 = server.cpu_seconds()
                out = subprocess.run([args.otlp_load, "--port", str(server.port), "--file", bodies, "--encoding", enc,
                                      "--connections", str(args.otlp_connections),
                                      "--seconds", str(args.otlp_seconds)], capture_output=True, text=True)
                if out.returncode != 0:
                    raise BenchError("bench_otlp_load failed: %s" % out.stderr)
                res = json.loads(out.stdout)
                res["server_cpu"] = server.cpu_seconds() - cpu0
                st = res["statuses"]
                res["n429"], res["n503"] = st.get("429", 0), st.get("503", 0)
                res["other"] = sum(v for k, v in st.items() if k not in ("200", "429", "503"))
                if res["other"] or res["partial"] or res["acked_spans"] == 0:
                    raise BenchError("otlp %s: answers %s, %d partial successes: %s" %
                                     (enc, st, res["partial"], res["last_error_reply"]))
                counted = events_total(server.scrape(), "otlp")
                if counted != res["acked_spans"]:
                    raise BenchError("otlp %s: %d spans acknowledged but agent_exporter_events_total{source=\"otlp\"}"
                                     " is %d" % (enc, res["acked_spans"], counted))
                res["hwm_mb"] = server.status("VmHWM")
                runs.append(res)
            finally:
                server.stop()
                shutil.rmtree(tmp, ignore_errors=True)
        table[enc] = {"sps": median([x["spans_per_s"] for x in runs]),
                      "acked": median([x["acked_spans"] for x in runs]),
                      "seconds": median([x["seconds"] for x in runs]),
                      "requests": median([x["requests"] for x in runs]),
                      "cpu_per_m": median([x["server_cpu"] / x["acked_spans"] * 1e6 for x in runs]),
                      "hwm_mb": median([x["hwm_mb"] for x in runs]),
                      "n429": sum(x["n429"] for x in runs), "n503": sum(x["n503"] for x in runs),
                      "other": sum(x["other"] for x in runs),
                      "abandoned": sum(x["abandoned"] for x in runs)}
    return table


# ---------------------------------------------------------------------------------------
# 10. The table

def fmt_eps(x):
    if x >= 1e6:
        return "%.2f M" % (x / 1e6)
    if x >= 1e3:
        return "%.0f k" % (x / 1e3)
    return "%.0f" % x


def met(ok):
    return "met" if ok else "**not met**"


def render(args, info, vers, res, events_bytes):
    L = []
    title = "# agent_exporter benchmark results" + (" (smoke run: sizes too small to compare)" if args.smoke else "")
    L += [title, "",
          "Produced by `bench/run%s` (bench/README.md explains every figure). Each figure is the median of"
          " %d run%s; shared machines vary by ±20 %%, so compare the ratios, which were measured side by side."
          % (" --smoke" if args.smoke else "", args.runs, "" if args.runs == 1 else "s"), "",
          "- Machine: %d cores (%s), %s RAM, Linux %s, work dir on %s; %s" %
          (info["nproc"], info["cpu"], info["mem"], info["kernel"], info["fs"], info["date"]),
          "- Versions: agent_exporter %s; python3-prometheus-client %s (Python %s); mtail %s; simdjson %s" %
          (vers["agent_exporter"], vers["python3-prometheus-client"], vers["python"], vers["mtail"], vers["simdjson"]),
          "- Input: %d generated events (seed %d), %.0f MB, %.0f bytes a line" %
          (args.events, args.seed, events_bytes / 1e6, events_bytes / args.events), ""]
    targets = []
    rp = res.get("replay")
    if rp:
        ex = rp["agent_exporter"]
        fl = rp["floor"]
        L += ["## Replay of the file (one process, one pass, exposition printed at the end)", "",
              "| Reader | events/s | ÷ agent_exporter | % of parse floor | CPU s | peak RSS |",
              "|---|---:|---:|---:|---:|---:|"]
        for key, label, _ in readers(args, "-"):
            m = rp[key]
            L.append("| %s | %s | %.3f× | %.0f %% | %.2f | %.1f MB |" %
                     (label, fmt_eps(m["eps"]), m["eps"] / ex["eps"], 100 * m["eps"] / fl["eps"], m["cpu"], m["rss_mb"]))
        L += ["",
              "agent_exporter replays **%.1f×** as fast as the Python client and **%.1f×** as fast as mtail, "
              "at **%.0f %%** of the simdjson parse floor, using %.1f× less CPU than Python." %
              (ex["eps"] / rp["python"]["eps"], ex["eps"] / rp["mtail"]["eps"], 100 * ex["eps"] / fl["eps"],
               rp["python"]["cpu"] / ex["cpu"] if ex["cpu"] else float("nan"))]
        series, totals = args.agreement
        L += ["", "Agreement: agent_exporter, Python and mtail report the same value on all %d series they share "
              "(runs %d, LLM calls %d, tokens %d, tool calls %d); agent_exporter and Python applied all %d events."
              % (series, totals["agent_requests_total"], totals["agent_llm_calls_total"],
                 totals["agent_tokens_consumed_total"], totals["agent_tool_calls_total"], args.events), ""]
        pct = 100 * ex["eps"] / fl["eps"]
        targets.append(("replay ≥ %d %% of the parse floor's events/s" % TARGET_REPLAY_FLOOR_PCT,
                        "%.0f %%" % pct, pct >= TARGET_REPLAY_FLOOR_PCT))
        targets.append(("replay peak RSS < %d MB" % TARGET_REPLAY_RSS_MB, "%.1f MB" % ex["rss_mb"],
                        ex["rss_mb"] < TARGET_REPLAY_RSS_MB))
    tr = res.get("transcripts")
    if tr:
        L += ["## Transcript replay (coding-agent session files, `agent_exporter replay --input FORMAT`)", "",
              "Generated trees (`tests/transcripts/gen_transcripts.py`, %d sessions per agent, seed %d, with"
              " sub-agent files, streamed duplicates, tool errors and unknown line types); every line is read,"
              " mapped to native events and applied. Events applied equal the generator's truth." %
              (args.transcript_sessions, args.seed), "",
              "| Input | files | lines | lines/s | events/s | MB/s | CPU s | peak RSS |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
        if rp:
            ex = rp["agent_exporter"]
            L.append("| native events (the replay above) | 1 | %d | %s | %s | %.0f | %.2f | %.1f MB |" %
                     (args.events, fmt_eps(ex["eps"]), fmt_eps(ex["eps"]),
                      events_bytes / 1e6 / ex["wall"], ex["cpu"], ex["rss_mb"]))
        for fmt, _, label in TRANSCRIPT_FORMATS:
            m = tr[fmt]
            L.append("| %s (%.0f MB, %d events) | %d | %d | %s | %s | %.0f | %.2f | %.1f MB |" %
                     (label, m["mb"], m["events"], m["files"], m["lines"], fmt_eps(m["lps"]), fmt_eps(m["eps"]),
                      m["mbps"], m["cpu"], m["rss_mb"]))
        L.append("")
    server_rows = []
    p = res.get("push")
    if p:
        server_rows.append(("Push: NDJSON over HTTP, %d connections × %d events a POST, WAL on (fsync per batch)"
                            % (args.push_connections, args.push_batch),
                            "**%s events/s** acknowledged (%d events in %.2f s; batch latency p50 %.1f ms, p99 %.1f ms;"
                            " exporter CPU %.2f s per M events, peak RSS %.1f MB); non-2xx answers, each retried:"
                            " **%d × 503**, %d × 429; snapshots: %d by log size, %d by interval" %
                            (fmt_eps(p["eps"]), p["acked"], p["seconds"], p["p50_ms"], p["p99_ms"], p["cpu_per_m"],
                             p["hwm_mb"], p["s503"], p["s429"], p["snap_wal_size"], p["snap_interval"])))
        targets.append(("push ≥ %s events/s, WAL on" % fmt_eps(TARGET_PUSH_EPS), fmt_eps(p["eps"]) + " events/s",
                        p["eps"] >= TARGET_PUSH_EPS))
    t = res.get("tail")
    if t:
        server_rows.append(("Live tail: writer appends %s events/s in 10 ms slices for %g s (default poll 250 ms)" %
                            (fmt_eps(args.tail_rate), args.tail_seconds),
                            "lag p50 **%.0f ms**, max **%.0f ms** (worst run %.0f ms); all counted %.0f ms after the "
                            "writer stopped; kept up in %d of %d runs; writer reached %s events/s" %
                            (1000 * t["lag_p50"], 1000 * t["lag_max"], 1000 * t["lag_max_all"], 1000 * t["catch_up"],
                             t["kept_up_runs"], t["runs"], fmt_eps(t["rate"]))))
        ok = t["kept_up_runs"] == t["runs"] and t["lag_max"] < TARGET_TAIL_LAG_S
        if args.tail_rate >= TARGET_TAIL_RATE:  # a slower writer (--smoke) says nothing of the target
            targets.append(("live tail keeps up with %s events/s, lag < %g s" % (fmt_eps(TARGET_TAIL_RATE), TARGET_TAIL_LAG_S),
                            "max lag %.0f ms, writer at %s events/s" % (1000 * t["lag_max"], fmt_eps(t["rate"])),
                            ok and t["rate"] >= 0.95 * TARGET_TAIL_RATE))
    s = res.get("series")
    if s:
        for x in s:
            server_rows.append(("/metrics, OpenMetrics, %d counter series with an exemplar each (%d samples)" %
                                (x["series"], x["samples"]),
                                "**%.1f ms** median (max %.1f ms) for %.1f MB; RSS **%.1f MB**" %
                                (x["render_ms"], x["render_ms_max"], x["bytes"] / 1e6, x["rss_mb"])))
        big = [x for x in s if x["series"] >= 100_000]
        if big:
            x = big[-1]
            targets.append(("/metrics at 100k series < %d ms" % TARGET_RENDER_MS, "%.1f ms" % x["render_ms"],
                            x["render_ms"] < TARGET_RENDER_MS))
            targets.append(("RSS at 100k series < %d MB" % TARGET_SERIES_RSS_MB, "%.1f MB" % x["rss_mb"],
                            x["rss_mb"] < TARGET_SERIES_RSS_MB))
    i = res.get("idle")
    if i:
        server_rows.append(("Idle: `serve`, default config, no input, after 1 s", "RSS **%.1f MB**" % i["rss_mb"]))
        targets.append(("idle RSS < %d MB" % TARGET_IDLE_RSS_MB, "%.1f MB" % i["rss_mb"], i["rss_mb"] < TARGET_IDLE_RSS_MB))
    if server_rows:
        L += ["## Serving (`agent_exporter serve`, 127.0.0.1)", "", "| Figure | Result |", "|---|---|"]
        L += ["| %s | %s |" % row for row in server_rows]
        L.append("")
    o = res.get("otlp")
    if o:
        L += ["## OTLP/HTTP trace ingest (`serve`, 127.0.0.1, WAL on)", "",
              "GenAI spans (`bench/gen_otlp.py`: per trace an `invoke_agent` span, 2–4 `chat` spans with model and"
              " token usage, `execute_tool` spans between them; up to 512 spans a request, every id new) posted to"
              " `/v1/traces` by %d connections for %g s per run. Every span acknowledged was counted"
              " (`agent_exporter_events_total{source=\"otlp\"}` equals the spans of the 200 answers)."
              % (args.otlp_connections, args.otlp_seconds), "",
              "| Encoding | spans/s applied | ÷ replay events/s | CPU s per M spans | peak RSS | requests | 429 | 503 | other non-2xx |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for enc, label in OTLP_ENCODINGS:
            m = o[enc]
            ratio = "%.0f %%" % (100 * m["sps"] / rp["agent_exporter"]["eps"]) if rp else "–"
            L.append("| %s | **%s** (%d spans in %.1f s) | %s | %.2f | %.1f MB | %d%s | %d | %d | %d |" %
                     (label, fmt_eps(m["sps"]), m["acked"], m["seconds"], ratio, m["cpu_per_m"], m["hwm_mb"],
                      m["requests"], " (+%d refused until the end)" % m["abandoned"] if m["abandoned"] else "",
                      m["n429"], m["n503"], m["other"]))
        L.append("")
        if rp:
            pct = 100 * o["protobuf"]["sps"] / rp["agent_exporter"]["eps"]
            targets.append(("OTLP protobuf spans/s ≥ %d %% of replay's events/s, WAL on, no 503 (issue 18)"
                            % TARGET_OTLP_REPLAY_PCT, "%.0f %%, %d × 503" % (pct, o["protobuf"]["n503"]),
                            pct >= TARGET_OTLP_REPLAY_PCT and o["protobuf"]["n503"] == 0))
    if targets:
        L += ["## Targets of issue 6 (2-core machine)", "", "| Target | Measured | |", "|---|---:|---|"]
        L += ["| %s | %s | %s |" % (name, value, met(ok)) for name, value, ok in targets]
        if not all(ok for _, _, ok in targets):
            L += ["", "Where a target is not met, [bench/README.md](README.md#where-the-time-goes) says by how much "
                  "and what the profile shows limits it."]
        L.append("")
    return "\n".join(L)


def main():
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    info, vers = machine_info(args.work_dir), versions(args)
    events = events_file(args)
    res = {}
    out_dir = tempfile.mkdtemp(prefix="replay-", dir=args.work_dir)
    try:
        if "replay" in args.only:
            res["replay"] = bench_replay(args, events, out_dir)
        if "push" in args.only:
            res["push"] = bench_push(args, events)
        if "tail" in args.only:
            res["tail"] = bench_tail(args, events)
        if "series" in args.only:
            res["series"] = bench_series(args)
        if "idle" in args.only:
            res["idle"] = bench_idle(args)
        if "transcripts" in args.only:
            res["transcripts"] = bench_transcripts(args, out_dir)
        if "otlp" in args.only:
            res["otlp"] = bench_otlp(args, out_dir)
    except BenchError as e:
        print("bench: FAILED: %s" % e, file=sys.stderr)
        print("bench: outputs kept in %s" % out_dir, file=sys.stderr)
        return 1
    shutil.rmtree(out_dir, ignore_errors=True)
    text = render(args, info, vers, res, os.path.getsize(events))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    log("results written to %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
