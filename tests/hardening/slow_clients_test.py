#!/usr/bin/env python3
"""Slow clients against a real `agent_exporter serve`: connections that hold a worker
thread without finishing a request are cut after web.request_timeout, each is counted by
reason, and the exporter answers again at once afterwards; valid pushes beside them are
counted exactly.

  slow_clients_test.py --exporter AGENT_EXPORTER [--keep]

civetweb serves a connection on one worker thread (web.threads of them) until it ends, so
a client that opens connections and sends slowly can hold every worker; the bound is
web.request_timeout per connection. Three kinds, 2 x web.threads connections each, all
open at once (more than the workers, so later ones wait in civetweb's queue):
  1. slow heads: a request line and one header, then a header byte every 100 ms, never
     the blank line: each gets 400 and is closed, counted in
     agent_exporter_http_rejected_total{reason="bad_request"};
  2. silent connections: connect and send nothing: each is closed, counted in
     agent_exporter_http_rejected_total{reason="no_request"};
  3. slow bodies: a push announcing 1000 body bytes, sending 10 and stalling: the ones that
     got an ingest slot (web.max_concurrent_ingest at a time) get 408 once request_timeout
     has passed since their head, and their slot is freed; the others get 429 at once
     (their bodies are never read); counted in agent_exporter_push_requests_total{code}.
Checked for each kind: every connection is closed by the server within its deadline
(queueing included: ceil(N / threads) x request_timeout, plus slack), the counts are exact,
GET /healthz answers within 2 s once they are gone, and a valid push then gets 200 and is
counted exactly. The longest a /healthz waited while the slow clients held the workers is
printed (it is about request_timeout: what a proxy in front would avoid).
"""
import argparse
import json
import math
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import exporter_proc as ep  # noqa: E402
from exporter_proc import Fail  # noqa: E402

THREADS = 4            # web.threads
MAX_INGEST = 2         # web.max_concurrent_ingest
TIMEOUT_S = 1.5        # web.request_timeout
N = 2 * THREADS        # connections of each kind
SLACK_S = 5.0          # scheduling on a loaded 2-core machine (sanitizers included)


class SlowConnection:
    """One connection driven by a thread: sends `first`, then `drip` every 100 ms (if any)
    until the server closes it. Records when it was closed and what it received."""

    def __init__(self, port, first, drip):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.first, self.drip = first, drip
        self.received = b""
        self.closed_after = None
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            if self.first:
                self.sock.sendall(self.first)
            self.sock.settimeout(0.1)
            while True:
                try:
                    data = self.sock.recv(65536)
                    if not data:
                        break
                    self.received += data
                except socket.timeout:
                    if self.drip:
                        self.sock.sendall(self.drip)
        except OSError:
            pass  # reset by the server: closed as well
        self.closed_after = time.monotonic() - self.started
        self.sock.close()

    def join(self, deadline_s):
        self.thread.join(max(0.0, self.started + deadline_s - time.monotonic()))
        return not self.thread.is_alive()


def push_body(agent, n):
    return "".join(json.dumps({"type": "run", "agent_id": agent, "status": "success",
                               "duration_ms": 10}) + "\n" for _ in range(n)).encode()


def healthz_wait(port):
    t0 = time.monotonic()
    status = ep.request(port, "GET", "/healthz", timeout=60)[0]
    if status != 200:
        raise Fail("GET /healthz answered %d" % status)
    return time.monotonic() - t0


def run_kind(exporter, kind, make, deadline_s, expect):
    """Opens N connections of one kind, waits until the server closed them all, measures
    /healthz meanwhile and afterwards, and returns the figures."""
    conns = [make() for _ in range(N)]
    waited = healthz_wait(exporter.port)  # queued behind the slow ones
    for i, c in enumerate(conns):
        if not c.join(deadline_s):
            raise Fail("%s: connection %d still open after %.1f s (deadline)" % (kind, i, deadline_s))
    worst = max(c.closed_after for c in conns)
    for c in conns:
        expect(c)
    after = healthz_wait(exporter.port)
    if after > 2.0:
        raise Fail("%s: /healthz took %.2f s after the slow clients were gone" % (kind, after))
    return {"connections": N, "closed within s": round(worst, 2),
            "healthz waited s": round(waited, 2), "healthz after s": round(after, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-slow-")
    exporter = ep.ExporterProc(args.exporter, tmp, (
        "web:\n  listen_address: 127.0.0.1:0\n  threads: %d\n  max_concurrent_ingest: %d\n"
        "  request_timeout: %dms\nstate:\n  dir: %s/state\n")
        % (THREADS, MAX_INGEST, int(TIMEOUT_S * 1000), tmp))
    ok = False
    try:
        exporter.start()
        port = exporter.port
        # Queued connections wait for a worker: at most ceil(N / THREADS) timeouts in a row.
        deadline = math.ceil(N / THREADS) * TIMEOUT_S + SLACK_S
        pushed = 0
        figures = {}

        def valid_push(what):
            nonlocal pushed
            status, _, body = ep.request(port, "POST", "/v1/events", push_body("valid", 25),
                                         {"Content-Type": "application/x-ndjson"})
            if status != 200 or json.loads(body).get("accepted") != 25:
                raise Fail("valid push after %s: HTTP %d %r" % (what, status, body[:200]))
            pushed += 25

        valid_push("start")

        def got_400(c):
            if b" 400 " not in c.received[:64]:
                raise Fail("slow head: expected a 400, got %r" % c.received[:120])

        figures["slow heads"] = run_kind(
            exporter, "slow heads",
            lambda: SlowConnection(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a"),
            deadline, got_400)
        valid_push("slow heads")

        def got_nothing(c):
            if c.received:
                raise Fail("silent connection: expected no reply, got %r" % c.received[:120])

        figures["silent connections"] = run_kind(
            exporter, "silent connections", lambda: SlowConnection(port, b"", b""),
            deadline, got_nothing)
        valid_push("silent connections")

        head = (b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                b"Content-Length: 1000\r\n\r\n" + b'{"type":"')
        # Only max_concurrent_ingest of them hold an ingest slot; the others get 429 at once.
        timed_out = []

        def slow_body(c):
            status = c.received[:64]
            if b" 408 " in status:
                timed_out.append(c)
            elif b" 429 " not in status:
                raise Fail("slow body: expected a 408 or a 429, got %r" % c.received[:120])

        figures["slow bodies"] = run_kind(
            exporter, "slow bodies", lambda: SlowConnection(port, head, b""), deadline, slow_body)
        figures["slow bodies"]["timed out (408)"] = len(timed_out)
        figures["slow bodies"]["refused (429)"] = N - len(timed_out)
        valid_push("slow bodies")

        samples = exporter.scrape()
        checks = {
            ("agent_exporter_http_rejected_total", "bad_request"): N,
            ("agent_exporter_http_rejected_total", "no_request"): N,
            ("agent_exporter_http_rejected_total", "other"): 0,
        }
        for (name, reason), want in checks.items():
            got = ep.value(samples, name, reason=reason)
            if got != want:
                raise Fail("%s{reason=%r} = %g, want %d" % (name, reason, got, want))
        got408 = ep.value(samples, "agent_exporter_push_requests_total", code="408")
        got429 = ep.value(samples, "agent_exporter_push_requests_total", code="429")
        if got408 != len(timed_out) or got429 != N - len(timed_out):
            raise Fail("push_requests_total 408=%g 429=%g, want %d and %d"
                       % (got408, got429, len(timed_out), N - len(timed_out)))
        if not timed_out:
            raise Fail("no slow body took an ingest slot")
        counted = ep.total(samples, "agent_exporter_events_total", source="push")
        if counted != pushed:
            raise Fail("agent_exporter_events_total{source=push} = %g, want %d" % (counted, pushed))
        if ep.value(samples, "agent_requests_total", agent_id="valid", status="success") != pushed:
            raise Fail("agent_requests_total of the valid pushes is not %d" % pushed)
        bad = exporter.log_errors()
        if bad:
            raise Fail("log has errors:\n" + "\n".join(bad[:10]))
        print("slow_clients: OK %s" % json.dumps({"request_timeout s": TIMEOUT_S, "threads": THREADS,
                                                    **figures, "valid events counted": pushed}))
        ok = True
    except Fail as e:
        print("slow_clients: FAIL: %s\n--- exporter log:\n%s" % (e, exporter.tail()), file=sys.stderr)
    except Exception:
        traceback.print_exc()
        print("--- exporter log:\n%s" % exporter.tail(), file=sys.stderr)
    finally:
        exporter.stop()
        if args.keep:
            print("kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
