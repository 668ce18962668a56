#!/usr/bin/env python3
"""End to end: agent_exporter, a real Prometheus 2.42 and a real Alertmanager 0.25.

  e2e_test.py AGENT_EXPORTER_BINARY --source-dir REPO [--prometheus BIN] [--alertmanager BIN]

Starts, on 127.0.0.1 and free ports only:
  - `agent_exporter serve` with a temporary config that tails a file and keeps a state dir,
    and whose `alerts.rules` shortens AgentErrorRateSpike (window 1m, for 5s) and whose
    `alertmanager` section points the pager and chat receivers at a local webhook;
  - the rule files and the Alertmanager config generated from that config
    (`agent_exporter rules|alertmanager`), never edited;
  - Prometheus (scrape and evaluation every 1s, --enable-feature=exemplar-storage) and
    Alertmanager (clustering off), plus a webhook receiver (http.server) that records every
    notification.
Then feeds events both ways (appending to the tailed file and POST /v1/events), in two
phases so that every rate() of the dashboards sees an increase, and checks through the
Prometheus and Alertmanager HTTP APIs what a user would check: the target is up and scraped
as OpenMetrics, exact counter and histogram-count sums, exemplars carrying only sent trace
ids, every query of every shipped dashboard panel, every generated rule healthy, and a burst
of failed runs firing AgentErrorRateSpike all the way to the pager and chat webhooks.

Every wait polls with a deadline. Everything started is torn down on success and failure
(each process in its own process group, SIGTERM then SIGKILL); the test asserts that none of
those process groups is left. A failed check names itself and prints the tails of the
exporter, Prometheus and Alertmanager logs and the notifications received.

Fault injection, only to prove that the test catches a break (never set it in CI):
  AGX_E2E_BREAK=exemplars   run Prometheus WITHOUT --enable-feature=exemplar-storage; the
                            exemplar check (and so the test) must then fail.
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

# Prometheus 2.42's scrape Accept header (scrape/scrape.go, scrapeAcceptHeader).
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
BREAKS = {"exemplars"}
AGENTS = ["support-bot", "research-bot"]
BURST_AGENT = "support-bot"
PRICED_MODEL, UNPRICED_MODEL = "claude-sonnet-4-5", "acme-internal-llm"
# USD per million tokens for PRICED_MODEL, written into the test config.
PRICE = {"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_creation": 3.75}
# Histograms and the event field that feeds each (docs/events.md, mapping to metrics).
HISTOGRAMS = {
    "agent_request_duration_seconds": ("run", "duration_ms"),
    "agent_reasoning_steps": ("run", "steps"),
    "agent_tool_calls_per_run": ("run", "tool_calls"),
    "agent_model_latency_seconds": ("llm_call", "duration_ms"),
    "agent_tool_duration_seconds": ("tool_call", "duration_ms"),
    "agent_user_feedback_score": ("feedback", "score"),
    "agent_eval_score": ("eval", "score"),
}
# Metrics that carry the event's exemplar (docs/events.md), as Prometheus names the series.
EXEMPLAR_SERIES = {"agent_requests_total", "agent_llm_calls_total", "agent_tool_calls_total",
                   "agent_hallucination_total"} | {h + "_bucket" for h in HISTOGRAMS}
# Dashboard panel queries that may legitimately return no data with the events fed here,
# as (dashboard file, exact query after substitution) -> why. Every metric the dashboards
# read is fed (an unpriced model too), so the list is empty; a panel query that returns no
# data fails the test unless it is listed here with its reason.
NO_DATA_ALLOWED = {}
ZERO_TIME = "0001-01-01T00:00:00Z"


class CheckFailed(Exception):
    pass


class Fatal(CheckFailed):
    """A failure no waiting can fix (a process exited): poll() stops at once."""


def log(msg):
    print("[e2e %6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


T0 = time.monotonic()
# Every wait ends by then, so that teardown always runs before CTest's TIMEOUT (300 s)
# would kill this script and leave its children behind. A passing run takes about 20 s.
TIME_BOUND = 180


# ----------------------------------------------------------------------------- processes

class Proc:
    """A child process in its own process group, output to a log file."""

    def __init__(self, name, argv, log_path, env=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        self.pgid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM the group, SIGKILL it after 15s; returns the exit code of the leader."""
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # the leader is gone; kill anything it left in its group
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode

    def group_gone(self):
        try:
            os.killpg(self.pgid, 0)
            return False
        except ProcessLookupError:
            return True

    def tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().splitlines()[-n:]
        except OSError as e:
            return "(no log: %s)" % e
        return "\n".join(l.decode("utf-8", "replace") for l in lines)


class Webhook:
    """Records every POST (path, JSON body) made to it: stands in for the pager and chat."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {"_unparsable": body.decode("utf-8", "replace")}
                with hook.lock:
                    hook.posts.append((self.path, doc))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def alerts(self, path):
        """Every alert notified on path, as (status, labels) pairs."""
        with self.lock:
            posts = list(self.posts)
        return [(a.get("status"), a.get("labels", {}))
                for p, doc in posts if p == path for a in doc.get("alerts", [])]

    def summary(self):
        with self.lock:
            return "\n".join("%s %s" % (p, json.dumps(
                [(a.get("status"), a.get("labels")) for a in d.get("alerts", [])]))
                for p, d in self.posts) or "(no notification received)"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- HTTP

def http(url, data=None, headers=None, timeout=10):
    """(status, headers, body bytes); HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api(base, path, **params):
    """GET a Prometheus/Alertmanager JSON API; returns `data`, raises CheckFailed on error."""
    url = base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    status, _, body = http(url)
    try:
        doc = json.loads(body)
    except ValueError:
        raise CheckFailed("%s: HTTP %d, not JSON: %r" % (url, status, body[:300]))
    if isinstance(doc, dict) and "status" in doc:
        if doc["status"] != "success" or status != 200:
            raise CheckFailed("%s: HTTP %d %s: %s" % (url, status, doc.get("errorType"),
                                                      doc.get("error")))
        return doc.get("data")
    return doc


def poll(what, fn, timeout, interval=0.5):
    """Calls fn until it returns (ok, detail) with ok true; raises CheckFailed naming `what`
    with the last detail at the deadline (or at the test's overall bound, whichever comes
    first). fn may raise CheckFailed while things settle."""
    deadline = min(time.monotonic() + timeout, T0 + TIME_BOUND)
    detail = None
    while True:
        try:
            ok, detail = fn()
        except Fatal:
            raise
        except (CheckFailed, OSError) as e:
            ok, detail = False, "error: %s" % e
        if ok:
            return detail
        if time.monotonic() > deadline:
            bound = " (at the test's overall %ds bound)" % TIME_BOUND \
                if deadline == T0 + TIME_BOUND else ""
            raise CheckFailed("%s: not true after %.0fs%s; last: %s" % (what, timeout, bound, detail))
        time.sleep(interval)


# -------------------------------------------------------------------------------- events

class Events:
    """Builds events with unique trace ids and keeps the independent expected totals."""

    def __init__(self):
        self.n = 0
        self.sent = []          # every valid event sent, by any source
        self.by_source = {"file": 0, "push": 0}
        self.trace_ids = set()

    def _ids(self):
        self.n += 1
        return "%032x" % (0x4bf92f3577b34da6a3ce929d00000000 + self.n), "%016x" % (0xa000 + self.n)

    def make(self, **fields):
        trace_id, span_id = self._ids()
        ev = dict(fields, trace_id=trace_id, span_id=span_id)
        return ev

    def phase(self):
        """One batch that touches every metric the dashboards read, for both agents."""
        out = []
        for agent in AGENTS:
            m = lambda **f: out.append(self.make(agent_id=agent, **f))  # noqa: E731
            for dur, steps, tools in ((800, 2, 1), (2500, 4, 3), (7000, 7, 6)):
                m(type="run", status="success", duration_ms=dur, steps=steps, tool_calls=tools,
                  task_type="refund")
            m(type="run", status="failure", duration_ms=12000, steps=9, tool_calls=12)
            m(type="llm_call", model=PRICED_MODEL, input_tokens=1200, output_tokens=300,
              cache_read_tokens=800, cache_creation_tokens=100, duration_ms=950)
            m(type="llm_call", model=PRICED_MODEL, input_tokens=400, output_tokens=50,
              duration_ms=4100, status="failure")
            m(type="llm_call", model=UNPRICED_MODEL, input_tokens=700, output_tokens=70,
              duration_ms=230)
            m(type="tool_call", tool_name="web_search", status="success", duration_ms=120)
            m(type="tool_call", tool_name="web_search", status="success", duration_ms=640)
            m(type="tool_call", tool_name="web_search", status="timeout", duration_ms=30000)
            m(type="tool_call", tool_name="issue_refund", status="success", duration_ms=840)
            m(type="tool_call", tool_name="issue_refund", status="failure", duration_ms=75)
            for outcome in ("completed", "tool_call_failed", "recovery"):
                m(type="step", outcome=outcome)
            m(type="hallucination", hallucination_type="fabricated_citation")
            m(type="recovery", strategy="retry")
            m(type="approval", result="approved")
            m(type="approval", result="denied")
            m(type="task", task_type="refund", outcome="completed", cost_usd=0.12)
            m(type="task", task_type="refund", outcome="failed")
            m(type="feedback", score=0.8, task_type="refund")
            m(type="eval", evaluator="faithfulness", score=0.9)
        return out

    def burst(self, n):
        return [self.make(agent_id=BURST_AGENT, type="run", status="failure", duration_ms=3000)
                for _ in range(n)]

    def record(self, events, source):
        self.sent.extend(events)
        self.by_source[source] += len(events)
        self.trace_ids.update(e["trace_id"] for e in events)

    # Expected values, computed from the events alone (docs/events.md).
    def expect_requests(self):
        return float(sum(1 for e in self.sent if e["type"] == "run"))

    def expect_tokens(self):
        out = {}
        for e in self.sent:
            if e["type"] != "llm_call":
                continue
            for d in ("input", "output", "cache_read", "cache_creation"):
                if d + "_tokens" in e:
                    out[d] = out.get(d, 0.0) + e[d + "_tokens"]
        return out

    def expect_tools(self):
        out = {}
        for e in self.sent:
            if e["type"] == "tool_call":
                k = (e["tool_name"], e["status"])
                out[k] = out.get(k, 0.0) + 1
        return out

    def expect_counts(self, hist):
        typ, field = HISTOGRAMS[hist]
        return float(sum(1 for e in self.sent if e["type"] == typ and field in e))

    def expect_cost(self):
        usd = 0.0
        for e in self.sent:
            if e["type"] == "llm_call" and e["model"] == PRICED_MODEL:
                usd += sum(PRICE[d] * e.get(d + "_tokens", 0) for d in PRICE) / 1e6
        return usd

    def expect_unpriced(self):
        return float(sum(e.get("input_tokens", 0) + e.get("output_tokens", 0)
                         for e in self.sent if e["type"] == "llm_call" and e["model"] == UNPRICED_MODEL))


# ---------------------------------------------------------------------------------- test

class E2E:
    def __init__(self, args, tmp, breaks):
        self.args, self.tmp, self.breaks = args, tmp, breaks
        self.procs = {}
        self.webhook = None
        self.events = Events()
        self.events_file = os.path.join(tmp, "events", "agent.jsonl")
        os.makedirs(os.path.dirname(self.events_file))
        open(self.events_file, "w").close()

    # ---- setup

    def write_exporter_config(self):
        cfg = {
            "web": {"listen_address": "127.0.0.1:0"},
            "ingest": {"files": [self.events_file], "poll_interval": "100ms",
                       "start_at": "beginning"},
            "state": {"dir": os.path.join(self.tmp, "state"), "snapshot_interval": "5s"},
            "pricing": [{"match": "claude-sonnet-4*", "input": PRICE["input"],
                         "output": PRICE["output"], "cache_read": PRICE["cache_read"],
                         "cache_write": PRICE["cache_creation"]}],
            "alerts": {"rules": {
                # Failed runs over 1m above half the runs: a burst of failures fires it within
                # seconds, while the fed phases (1 failure in 4 runs) stay below.
                "AgentErrorRateSpike": {"window": "1m", "for": "5s", "threshold": 0.5,
                                        "min_rate": 0.001},
            }},
            "alertmanager": {
                "pager_webhook_url": self.webhook.url("/pager"),
                "chat_webhook_url": self.webhook.url("/chat"),
                "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h",
            },
        }
        path = os.path.join(self.tmp, "agent_exporter.yml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        return path

    def run_tool(self, *argv):
        r = subprocess.run([self.args.binary, *argv], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise CheckFailed("agent_exporter %s exited %d:\n%s%s" % (
                argv[0], r.returncode, r.stdout, r.stderr))

    def start_exporter(self, config):
        p = Proc("exporter", [self.args.binary, "serve", "--config.file=" + config],
                 os.path.join(self.tmp, "exporter.log"))
        self.procs["exporter"] = p

        def listening():
            if not p.alive():
                raise Fatal("exporter exited with %s" % p.proc.returncode)
            with open(p.log_path, "rb") as f:
                m = re.search(rb"msg=listening .*port=(\d+)", f.read())
            return bool(m), int(m.group(1)) if m else None
        self.exporter_port = poll("exporter is listening", listening, 30, 0.05)
        self.exporter = "http://127.0.0.1:%d" % self.exporter_port
        poll("exporter /-/ready", lambda: (http(self.exporter + "/-/ready")[0] == 200, None), 30, 0.1)

    def start_alertmanager(self, config):
        port = free_port()
        self.am = "http://127.0.0.1:%d" % port
        self.procs["alertmanager"] = Proc("alertmanager", [
            self.args.alertmanager, "--config.file=" + config,
            "--storage.path=" + os.path.join(self.tmp, "am-data"),
            "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
            "--log.level=debug"], os.path.join(self.tmp, "alertmanager.log"))
        return port

    def start_prometheus(self, am_port, rules_dir):
        port = free_port()
        self.prom = "http://127.0.0.1:%d" % port
        cfg = shipped_prometheus_config(self.args.source_dir)
        cfg["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
        cfg["rule_files"] = [os.path.join(rules_dir, "*.yml")]
        cfg["alerting"]["alertmanagers"][0]["static_configs"] = [
            {"targets": ["127.0.0.1:%d" % am_port]}]
        cfg["scrape_configs"][0]["static_configs"] = [
            {"targets": ["127.0.0.1:%d" % self.exporter_port]}]
        path = os.path.join(self.tmp, "prometheus.yml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        argv = [self.args.prometheus, "--config.file=" + path,
                "--storage.tsdb.path=" + os.path.join(self.tmp, "prom-data"),
                "--web.listen-address=127.0.0.1:%d" % port]
        if "exemplars" in self.breaks:
            log("AGX_E2E_BREAK=exemplars: Prometheus runs WITHOUT exemplar storage")
        else:
            argv.append("--enable-feature=exemplar-storage")
        self.procs["prometheus"] = Proc("prometheus", argv, os.path.join(self.tmp, "prometheus.log"))

    def wait_ready(self):
        for name, base in (("prometheus", self.prom), ("alertmanager", self.am)):
            p = self.procs[name]

            def ready():
                if not p.alive():
                    raise Fatal("%s exited with %s" % (name, p.proc.returncode))
                return http(base + "/-/ready", timeout=2)[0] == 200, None
            poll("%s /-/ready" % name, ready, 60, 0.1)

    # ---- feeding

    def feed_file(self, events):
        with open(self.events_file, "a") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        self.events.record(events, "file")

    def feed_push(self, events):
        body = "".join(json.dumps(e) + "\n" for e in events).encode()
        status, _, answer = http(self.exporter + "/v1/events", data=body,
                                 headers={"Content-Type": "application/x-ndjson"})
        doc = json.loads(answer)
        if status != 200 or doc.get("accepted") != len(events) or doc.get("rejected") != 0:
            raise CheckFailed("push: HTTP %d %s for %d events" % (status, doc, len(events)))
        self.events.record(events, "push")

    def query(self, expr):
        return api(self.prom, "/api/v1/query", query=expr)["result"]

    def scalar_sum(self, expr):
        r = self.query(expr)
        return float(r[0]["value"][1]) if r else None

    def wait_ingested(self, what):
        want = float(len(self.events.sent))
        poll(what + ": Prometheus sees every event applied",
             lambda: (lambda v: (v == want, "sum(agent_exporter_events_total)=%s, want %s" % (v, want)))(
                 self.scalar_sum("sum(agent_exporter_events_total)")), 30, 0.25)

    # ---- checks

    def check_target(self):
        def up():
            targets = api(self.prom, "/api/v1/targets")["activeTargets"]
            mine = [t for t in targets if t["labels"].get("job") == "agent_exporter"]
            return (len(mine) == 1 and mine[0]["health"] == "up",
                    [(t["scrapeUrl"], t["health"], t["lastError"]) for t in mine])
        poll("target agent_exporter is up in /api/v1/targets", up, 30)
        status, headers, body = http(self.exporter + "/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
        ctype = headers.get("Content-Type", "")
        if status != 200 or not ctype.startswith("application/openmetrics-text") \
                or "version=1.0.0" not in ctype or not body.rstrip().endswith(b"# EOF"):
            raise CheckFailed("OpenMetrics negotiation: with Prometheus's Accept header the "
                              "exporter answered HTTP %d, Content-Type %r" % (status, ctype))
        log("target up; exporter answers Prometheus's Accept with %s" % ctype)

    def check_exact(self):
        ev = self.events
        checks = []

        def eq(name, got, want):
            checks.append(name)
            if got != want:
                raise CheckFailed("exact values: %s = %s, want %s" % (name, got, want))

        eq("sum(agent_requests_total)", self.scalar_sum("sum(agent_requests_total)"),
           ev.expect_requests())
        eq("sum by (direction) (agent_tokens_consumed_total)",
           {r["metric"]["direction"]: float(r["value"][1])
            for r in self.query("sum by (direction) (agent_tokens_consumed_total)")},
           ev.expect_tokens())
        eq("sum by (tool_name, status) (agent_tool_calls_total)",
           {(r["metric"]["tool_name"], r["metric"]["status"]): float(r["value"][1])
            for r in self.query("sum by (tool_name, status) (agent_tool_calls_total)")},
           ev.expect_tools())
        for h in sorted(HISTOGRAMS):
            eq("sum(%s_count)" % h, self.scalar_sum("sum(%s_count)" % h), ev.expect_counts(h))
        eq("sum by (source) (agent_exporter_events_total)",
           {r["metric"]["source"]: float(r["value"][1])
            for r in self.query("sum by (source) (agent_exporter_events_total)")},
           # Every source is exported from the start (at 0); nothing came over OTLP here.
           {**{"file": 0.0, "push": 0.0, "otlp": 0.0, "transcript": 0.0},
            **{k: float(v) for k, v in ev.by_source.items()}})
        eq("agent_exporter_events_rejected_total (the one bad line)",
           {(r["metric"]["source"], r["metric"]["reason"]): float(r["value"][1])
            for r in self.query("agent_exporter_events_rejected_total > 0")},
           {("file", "invalid_json"): 1.0})
        eq("sum(agent_exporter_unpriced_tokens_total)",
           self.scalar_sum("sum(agent_exporter_unpriced_tokens_total)"), ev.expect_unpriced())
        cost, want = self.scalar_sum("sum(agent_cost_usd_total)"), ev.expect_cost()
        checks.append("sum(agent_cost_usd_total)")
        if cost is None or abs(cost - want) > 1e-9 * max(1.0, want):
            raise CheckFailed("exact values: sum(agent_cost_usd_total) = %s, want %s" % (cost, want))
        log("exact values match: %s" % ", ".join(checks))

    def check_exemplars(self, start):
        data = api(self.prom, "/api/v1/query_exemplars", query='{__name__=~"agent_.+"}',
                   start="%.3f" % (start - 60), end="%.3f" % (time.time() + 60))
        seen, names = set(), set()
        for series in data or []:
            for ex in series.get("exemplars", []):
                seen.add(ex["labels"].get("trace_id"))
                names.add(series["seriesLabels"]["__name__"])
        if not seen:
            raise CheckFailed("exemplars: /api/v1/query_exemplars returned no exemplar (is "
                              "exemplar storage on, and was the target scraped as OpenMetrics?)")
        foreign = seen - self.events.trace_ids
        if foreign:
            raise CheckFailed("exemplars: trace_ids never sent: %s" % sorted(foreign)[:5])
        missing = EXEMPLAR_SERIES - names
        if missing:
            raise CheckFailed("exemplars: none stored for %s (got %s)" % (sorted(missing), sorted(names)))
        log("exemplars: %d distinct sent trace_ids on %d metrics, none foreign" % (len(seen), len(names)))

    def check_dashboards(self):
        files = sorted(glob.glob(os.path.join(self.args.source_dir, "dashboards", "*.json")))
        if not files:
            raise CheckFailed("dashboards: no dashboards/*.json in %s" % self.args.source_dir)
        n_queries, allowed_empty = 0, []
        for path in files:
            name = os.path.basename(path)
            dash = json.load(open(path))
            self.check_dashboard_variables(name, dash)
            for panel in walk_panels(dash.get("panels", [])):
                for target in panel.get("targets", []):
                    expr = target.get("expr")
                    if not expr:
                        continue
                    for agent in (".+", BURST_AGENT):
                        q = fill_variables(expr, agent)
                        where = "dashboard %s panel %r query %s" % (name, panel.get("title"), q)
                        if "$" in q:
                            raise CheckFailed("%s: a variable is left unfilled" % where)
                        try:
                            result = self.query(q)
                        except CheckFailed as e:
                            raise CheckFailed("%s: query failed: %s" % (where, e))
                        n_queries += 1
                        finite = [r for r in result if math.isfinite(float(r["value"][1]))]
                        if not finite:
                            if (name, q) in NO_DATA_ALLOWED:
                                allowed_empty.append(where)
                                continue
                            raise CheckFailed("%s: no data (%d series, none finite) although its "
                                              "metrics were fed" % (where, len(result)))
        log("dashboards: %d panel queries from %d dashboards ran, all returned data%s" % (
            n_queries, len(files),
            "" if not allowed_empty else " except the allowed %s" % allowed_empty))

    def check_dashboard_variables(self, name, dash):
        """Grafana's label_values(metric{...}, label) variables, via the label values API."""
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q)
            if not m:
                raise CheckFailed("dashboard %s variable %s: unexpected query %r" % (name, var["name"], q))
            selector = fill_variables(m.group(1), ".+")
            values = api(self.prom, "/api/v1/label/%s/values" % m.group(2), **{"match[]": selector})
            if not values:
                raise CheckFailed("dashboard %s variable %s: %s lists no value" % (name, var["name"], q))

    def generated_rules(self, rules_dir):
        names = []
        for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
            for group in yaml.safe_load(open(path))["groups"]:
                names += [(group["name"], r.get("alert") or r.get("record")) for r in group["rules"]]
        return names

    def check_rules(self, rules_dir, fed_at):
        """Every rule must have been evaluated after all the data was in (fed_at, Unix time),
        so that errors that only show with data (many-to-many matches) are seen."""
        want = self.generated_rules(rules_dir)

        def all_evaluated():
            groups = api(self.prom, "/api/v1/rules")["groups"]
            rules = [(g["name"], r) for g in groups for r in g["rules"]]
            stale = [r["name"] for _, r in rules
                     if parse_time(r.get("lastEvaluation", ZERO_TIME)) <= fed_at]
            return len(rules) == len(want) and not stale, (len(rules), len(want), stale[:5], rules)
        rules = poll("every generated rule loaded and evaluated with the data "
                     "(/api/v1/rules)", all_evaluated, 30)[3]
        got = sorted((g, r["name"]) for g, r in rules)
        if got != sorted(want):
            raise CheckFailed("rules: Prometheus loaded %s, generated %s" % (got, sorted(want)))
        bad = ["%s/%s: health=%s lastError=%r" % (g, r["name"], r.get("health"), r.get("lastError"))
               for g, r in rules if r.get("health") != "ok" or r.get("lastError")]
        if bad:
            raise CheckFailed("rules: not healthy after evaluation:\n  " + "\n  ".join(bad))
        log("rules: all %d generated rules evaluated, health ok" % len(rules))

    def firing(self, alertname):
        return [a for a in api(self.prom, "/api/v1/alerts")["alerts"]
                if a["labels"].get("alertname") == alertname and a["state"] == "firing"]

    def check_alert_path(self):
        name = "AgentErrorRateSpike"
        early = self.firing(name) + [l for s, l in self.webhook.alerts("/pager") if l.get("alertname") == name]
        if early:
            raise CheckFailed("alert: %s fired before the burst: %s" % (name, early))
        self.feed_push(self.events.burst(40))
        log("pushed 40 failed runs of %s" % BURST_AGENT)
        alerts = poll("alert: %s firing in Prometheus (/api/v1/alerts)" % name,
                      lambda: (lambda a: (bool(a), a))(self.firing(name)), 60)
        agents = sorted(a["labels"].get("agent_id") for a in alerts)
        if agents != [BURST_AGENT] or alerts[0]["labels"].get("severity") != "P1":
            raise CheckFailed("alert: %s firing for %s, want only agent_id=%s severity=P1" % (
                name, [a["labels"] for a in alerts], BURST_AGENT))
        log("%s firing in Prometheus for %s" % (name, BURST_AGENT))

        def routed():
            am = api(self.am, "/api/v2/alerts", filter='alertname="%s"' % name)
            recv = sorted(r["name"] for a in am for r in a.get("receivers", []))
            return recv == ["chat", "pager"], recv
        poll("alert: Alertmanager routes %s to the pager and chat receivers" % name, routed, 30)
        for path in ("/pager", "/chat"):
            def received():
                got = [(s, l) for s, l in self.webhook.alerts(path) if l.get("alertname") == name]
                ok = any(s == "firing" and l.get("agent_id") == BURST_AGENT and l.get("severity") == "P1"
                         for s, l in got)
                return ok, got
            poll("alert: the %s webhook receives %s with agent_id=%s severity=P1" % (
                path[1:], name, BURST_AGENT), received, 30, 0.2)
        log("%s notified to the pager and chat webhooks with agent_id and severity" % name)

    # ---- the scenario

    def run(self):
        self.webhook = Webhook()
        config = self.write_exporter_config()
        rules_dir = os.path.join(self.tmp, "rules")
        am_config = os.path.join(self.tmp, "alertmanager.yml")
        self.run_tool("check-config", "--config.file=" + config)
        self.run_tool("rules", "--config.file=" + config, "--output=" + rules_dir)
        self.run_tool("alertmanager", "--config.file=" + config, "--output=" + am_config)
        if not glob.glob(os.path.join(rules_dir, "*.yml")):
            raise CheckFailed("agent_exporter rules wrote no rule file in %s" % rules_dir)
        self.start_exporter(config)
        am_port = self.start_alertmanager(am_config)
        self.start_prometheus(am_port, rules_dir)
        self.wait_ready()
        log("exporter :%d, prometheus %s, alertmanager %s, webhook :%d up" % (
            self.exporter_port, self.prom, self.am, self.webhook.port))
        self.check_target()

        start = time.time()
        # Phase 1 creates every series; phase 2 increases each one, so rate() sees it.
        for phase in (1, 2):
            self.feed_file(self.events.phase())
            if phase == 1:
                with open(self.events_file, "a") as f:
                    f.write('{"type":"run","agent_id":\n')   # one bad line: rejected, counted
            self.feed_push(self.events.phase())
            self.wait_ingested("phase %d" % phase)
            log("phase %d: %d events applied and scraped" % (phase, len(self.events.sent)))

        fed_at = time.time()
        self.check_exact()
        self.check_exemplars(start)
        self.check_dashboards()
        self.check_rules(rules_dir, fed_at)
        self.check_alert_path()

    def teardown(self, failed):
        codes = {}
        for name in ("prometheus", "alertmanager", "exporter"):
            if name in self.procs:
                codes[name] = self.procs[name].stop()
        if self.webhook:
            self.webhook.close()
        if failed:
            for name in ("exporter", "prometheus", "alertmanager"):
                if name in self.procs:
                    print("\n----- %s log (tail) -----\n%s" % (name, self.procs[name].tail()), flush=True)
            if self.webhook:
                print("\n----- notifications received -----\n%s" % self.webhook.summary(), flush=True)
        stray = [n for n, p in self.procs.items() if not p.group_gone()]
        return codes, stray


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def fill_variables(expr, agent):
    """Grafana's substitution for an instant query: `.+` for the All of a multi-value
    variable (the dashboards' allValue) or the given agent; built-in intervals fixed."""
    values = {"agent_id": agent, "model": ".+", "tool_name": ".+",
              "__rate_interval": "1m", "__range": "1h", "__interval": "15s"}
    for k, v in values.items():
        expr = expr.replace("${%s}" % k, v)
    return re.sub(r"\$(__rate_interval|__range|__interval|agent_id|model|tool_name)\b",
                  lambda m: values[m.group(1)], expr)


def shipped_prometheus_config(source_dir):
    """config/prometheus.yml, the file users run, checked for what the test relies on."""
    path = os.path.join(source_dir, "config", "prometheus.yml")
    cfg = yaml.safe_load(open(path))
    try:
        jobs = [j["job_name"] for j in cfg["scrape_configs"]]
        ok = (jobs == ["agent_exporter"] and cfg["rule_files"]
              and len(cfg["alerting"]["alertmanagers"]) == 1
              and cfg["storage"]["exemplars"]["max_exemplars"] > 0 and "global" in cfg)
    except (KeyError, TypeError, IndexError) as e:
        ok, jobs = False, "missing %s" % e
    if not ok:
        raise CheckFailed("%s: want one scrape job agent_exporter (got %s), rule_files, one "
                          "alertmanager and storage.exemplars.max_exemplars" % (path, jobs))
    return cfg


def parse_time(rfc3339):
    """Unix time of an RFC 3339 time as Prometheus writes it (nanoseconds, Z or offset)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", rfc3339)
    if not m:
        raise CheckFailed("unparsable time %r" % rfc3339)
    base = datetime.datetime.fromisoformat(m.group(1) + m.group(3).replace("Z", "+00:00"))
    return base.timestamp() + float("0." + (m.group(2) or "0"))


def which(explicit, *names):
    for n in ([explicit] if explicit else []) + list(names):
        path = shutil.which(n)
        if path:
            return path
    raise SystemExit("e2e: none of %s found: install the Debian packages prometheus and "
                     "prometheus-alertmanager (.ci/install-deps)" % ([explicit] if explicit else list(names)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--prometheus")
    ap.add_argument("--alertmanager")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.prometheus = which(args.prometheus, "prometheus")
    args.alertmanager = which(args.alertmanager, "prometheus-alertmanager", "alertmanager")

    def on_signal(signum, frame):  # SIGTERM/SIGINT: still tear everything down
        raise CheckFailed("interrupted by signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    breaks = set(filter(None, os.environ.get("AGX_E2E_BREAK", "").split(",")))
    if breaks - BREAKS:
        raise SystemExit("AGX_E2E_BREAK: unknown %s (known: %s)" % (sorted(breaks - BREAKS), sorted(BREAKS)))

    tmp = tempfile.mkdtemp(prefix="agx-e2e-")
    test = E2E(args, tmp, breaks)
    failure = None
    try:
        test.run()
    except CheckFailed as e:
        failure = str(e)
    except Exception as e:  # noqa: BLE001 - an unexpected error is a failure too, with logs
        import traceback
        failure = "unexpected error: %s\n%s" % (e, traceback.format_exc())
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # let teardown finish
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        codes, stray = test.teardown(failed=failure is not None)
        shutil.rmtree(tmp, ignore_errors=True)
    if stray:
        failure = (failure + "\n" if failure else "") + "teardown: processes left behind in " \
            "the groups of %s" % stray
    if failure is None and codes.get("exporter") != 0:
        failure = "teardown: agent_exporter exited %s on SIGTERM, want 0" % codes.get("exporter")
    if failure:
        print("\nE2E FAILED: %s" % failure, flush=True)
        return 1
    log("PASSED; all processes stopped (exit codes %s)" % codes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
