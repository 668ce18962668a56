"""The shared library of the end-to-end tests (e2e_test.py, scale_test.py): child processes
in their own process groups, a webhook receiver, HTTP and Prometheus API helpers, polling
with deadlines, the event builder with its independently computed expected totals, and the
start-up of agent_exporter, a real Prometheus 2.42 and a real Alertmanager 0.25 on
127.0.0.1 and free ports. Python standard library and PyYAML only.

Nothing here is thread-safe except Webhook (its handler threads append under a lock).
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
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
ZERO_TIME = "0001-01-01T00:00:00Z"


class CheckFailed(Exception):
    pass


class Fatal(CheckFailed):
    """A failure no waiting can fix (a process exited): poll() stops at once."""


def log(msg):
    print("[%s %6.1fs] %s" % (LOG_PREFIX, time.monotonic() - T0, msg), flush=True)


T0 = time.monotonic()
LOG_PREFIX = "e2e"  # each test names itself (run_main)
# Every wait ends by then, so that teardown always runs before CTest's TIMEOUT would kill
# the script and leave its children behind; each test sets its own (run_main).
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
        self.by_source = {"file": 0, "push": 0, "otlp": 0}
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



# --------------------------------------------------------------------------------- stack

class Stack:
    """The processes of one end-to-end test: agent_exporter(s), one Prometheus, one
    Alertmanager and a webhook receiver. A test subclasses it and writes run()."""

    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.procs = {}          # name -> Proc, in start order
        self.webhook = None

    def run_tool(self, *argv):
        r = subprocess.run([self.args.binary, *argv], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise CheckFailed("agent_exporter %s exited %d:\n%s%s" % (
                argv[0], r.returncode, r.stdout, r.stderr))

    def start_exporter(self, config, name="exporter"):
        """`agent_exporter serve` on the config's 127.0.0.1:0; returns its port once the
        `msg=listening` log line names it and /-/ready answers 200."""
        p = Proc(name, [self.args.binary, "serve", "--config.file=" + config],
                 os.path.join(self.tmp, name + ".log"))
        self.procs[name] = p

        def listening():
            if not p.alive():
                raise Fatal("%s exited with %s" % (name, p.proc.returncode))
            with open(p.log_path, "rb") as f:
                m = re.search(rb"msg=listening .*port=(\d+)", f.read())
            return bool(m), int(m.group(1)) if m else None
        port = poll("%s is listening" % name, listening, 30, 0.05)
        poll("%s /-/ready" % name,
             lambda: (http("http://127.0.0.1:%d/-/ready" % port)[0] == 200, None), 30, 0.1)
        return port

    def start_alertmanager(self, config):
        port = free_port()
        self.am = "http://127.0.0.1:%d" % port
        self.procs["alertmanager"] = Proc("alertmanager", [
            self.args.alertmanager, "--config.file=" + config,
            "--storage.path=" + os.path.join(self.tmp, "am-data"),
            "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
            "--log.level=debug"], os.path.join(self.tmp, "alertmanager.log"))
        return port

    def start_prometheus(self, am_port, rules_dir, exporter_ports, exemplars=True):
        """Prometheus from the shipped config/prometheus.yml: only the intervals (1s), the
        rule directory and the addresses are replaced; every exporter port is a target of
        the one job agent_exporter, as replicas behind one scrape job are."""
        port = free_port()
        self.prom = "http://127.0.0.1:%d" % port
        cfg = shipped_prometheus_config(self.args.source_dir)
        cfg["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
        cfg["rule_files"] = [os.path.join(rules_dir, "*.yml")]
        cfg["alerting"]["alertmanagers"][0]["static_configs"] = [
            {"targets": ["127.0.0.1:%d" % am_port]}]
        cfg["scrape_configs"][0]["static_configs"] = [
            {"targets": ["127.0.0.1:%d" % p for p in exporter_ports]}]
        path = os.path.join(self.tmp, "prometheus.yml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        argv = [self.args.prometheus, "--config.file=" + path,
                "--storage.tsdb.path=" + os.path.join(self.tmp, "prom-data"),
                "--web.listen-address=127.0.0.1:%d" % port]
        if exemplars:
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

    def push(self, base, events):
        """POST /v1/events to the exporter at base; every event must be accepted."""
        body = "".join(json.dumps(e) + "\n" for e in events).encode()
        status, _, answer = http(base + "/v1/events", data=body,
                                 headers={"Content-Type": "application/x-ndjson"})
        doc = json.loads(answer)
        if status != 200 or doc.get("accepted") != len(events) or doc.get("rejected") != 0:
            raise CheckFailed("push to %s: HTTP %d %s for %d events" % (base, status, doc, len(events)))

    def query(self, expr, **params):
        return api(self.prom, "/api/v1/query", query=expr, **params)["result"]

    def scalar_sum(self, expr):
        r = self.query(expr)
        return float(r[0]["value"][1]) if r else None

    def check_exact_sums(self, ev):
        """The sums over every target that a user reads, against the totals computed from
        the events alone (ev, an Events); returns the names of the checks made."""
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
           # Every source is exported from the start (at 0).
           {**{"file": 0.0, "push": 0.0, "otlp": 0.0, "transcript": 0.0},
            **{k: float(v) for k, v in ev.by_source.items()}})
        eq("sum(agent_exporter_unpriced_tokens_total)",
           self.scalar_sum("sum(agent_exporter_unpriced_tokens_total)"), ev.expect_unpriced())
        cost, want = self.scalar_sum("sum(agent_cost_usd_total)"), ev.expect_cost()
        checks.append("sum(agent_cost_usd_total)")
        if cost is None or abs(cost - want) > 1e-9 * max(1.0, want):
            raise CheckFailed("exact values: sum(agent_cost_usd_total) = %s, want %s" % (cost, want))
        return checks

    def alerts(self, alertname, state="firing"):
        return [a for a in api(self.prom, "/api/v1/alerts")["alerts"]
                if a["labels"].get("alertname") == alertname and a["state"] == state]

    def teardown(self, failed):
        """Stops everything (Prometheus and Alertmanager first, then the exporters); returns
        ({name: exit code}, [names whose process group is left])."""
        codes = {}
        names = [n for n in ("prometheus", "alertmanager") if n in self.procs] + \
            [n for n in self.procs if n not in ("prometheus", "alertmanager")]
        for name in names:
            codes[name] = self.procs[name].stop()
        if self.webhook:
            self.webhook.close()
        if failed:
            for name in names:
                print("\n----- %s log (tail) -----\n%s" % (name, self.procs[name].tail()), flush=True)
            if self.webhook:
                print("\n----- notifications received -----\n%s" % self.webhook.summary(), flush=True)
        stray = [n for n, p in self.procs.items() if not p.group_gone()]
        return codes, stray

    def exit_code_failure(self, codes):
        """A message when an exit code is wrong, else None; tests say what they expect."""
        return None


def run_main(test_class, description, prefix, time_bound):
    """Parses `BINARY --source-dir REPO [--prometheus BIN] [--alertmanager BIN]`, runs
    test_class(args, tmp).run() and tears everything down on success, failure and
    SIGTERM/SIGINT. Returns the process exit code."""
    global LOG_PREFIX, TIME_BOUND
    import argparse
    LOG_PREFIX, TIME_BOUND = prefix, time_bound
    ap = argparse.ArgumentParser(description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
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

    tmp = tempfile.mkdtemp(prefix="agx-%s-" % prefix)
    test = test_class(args, tmp)
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
    if failure is None:
        failure = test.exit_code_failure(codes)
    if failure:
        print("\n%s FAILED: %s" % (prefix.upper(), failure), flush=True)
        return 1
    log("PASSED; all processes stopped (exit codes %s)" % codes)
    return 0


def exporter_config(state_dir, webhook, files=(), alert_rules=None):
    """The `agent_exporter serve` config of the tests, as a dict: 127.0.0.1:0, the given
    files tailed from the beginning every 100ms, its own state dir, PRICE for PRICED_MODEL,
    the alert tunables given (shortened windows; the shipped rules are never edited) and
    both Alertmanager receivers pointed at the webhook, with 1s grouping."""
    return {
        "web": {"listen_address": "127.0.0.1:0"},
        "ingest": {"files": list(files), "poll_interval": "100ms", "start_at": "beginning"},
        "state": {"dir": state_dir, "snapshot_interval": "5s"},
        "pricing": [{"match": "claude-sonnet-4*", "input": PRICE["input"],
                     "output": PRICE["output"], "cache_read": PRICE["cache_read"],
                     "cache_write": PRICE["cache_creation"]}],
        "alerts": {"rules": dict(alert_rules or {})},
        "alertmanager": {
            "pager_webhook_url": webhook.url("/pager"),
            "chat_webhook_url": webhook.url("/chat"),
            "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h",
        },
    }
