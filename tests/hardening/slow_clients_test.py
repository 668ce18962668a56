#!/usr/bin/env python3
"""Slow and idle clients against a real `agent_exporter serve`, on the plain port and on a
TLS port with mutual TLS: a scrape, the health endpoints and a valid push are answered
while dozens of connections that send their request slowly, or nothing, are held open;
those are then cut at web.request_timeout, each counted by reason.

  slow_clients_test.py --exporter AGENT_EXPORTER [--keep]

civetweb serves a connection on one worker thread (web.threads of them) until it ends.
Before the front end (src/http/front_end.h), a connection sending its request head slowly
held a worker until web.request_timeout, so 40 of them delayed a scrape by 59.6 s, and 64
idle connections on the TLS port made it refuse a valid client at once. Now a connection
reaches a worker only once its first request head is complete.

Plain port (web.threads 4, web.max_concurrent_ingest 3, web.request_timeout 8 s), held
all at once, 50 connections (12 x the workers):
  - 24 slow heads: a request line and one header, then a header byte every 100 ms, never
    the blank line: each gets 400 at the timeout, counted in
    agent_exporter_http_rejected_total{reason="bad_request"};
  - 24 silent connections: connect, send nothing: closed at the timeout, counted in
    agent_exporter_http_rejected_total{reason="no_request"};
  - 2 slow bodies: a push announcing 1000 body bytes, sending 10 and stalling: each holds
    an ingest slot and a worker, and gets 408 at the timeout
    (agent_exporter_push_requests_total{code="408"}); civetweb then waits once more for
    the announced body before it closes the connection.
TLS port (RequireAndVerifyClientCert, same settings), held all at once, 64 connections
(the old bound): 48 that never start a handshake (counted in
agent_exporter_tls_connections_total{result="handshake_failed"} at the timeout), 8 that
complete it and send nothing (no_request), 8 that complete it and send a head slowly
(bad_request, 400 over TLS).
While they are held: GET /metrics, /healthz and /-/ready answer 200 (on the TLS port with a
client certificate) within the client's own timeout (web.request_timeout), and none of the
held connections has been closed yet; a valid push gets 200. Afterwards: every held
connection closed by the server within web.request_timeout plus slack, the counts exact,
the valid pushes counted exactly, nothing logged as an error. No timing is asserted below
the timeout; the figures are printed.
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
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
MAX_INGEST = 3         # web.max_concurrent_ingest
TIMEOUT_S = 8.0        # web.request_timeout
SLACK_S = 6.0          # scheduling on a loaded 2-core machine (sanitizers included)


class SlowConnection:
    """One connection driven by a thread: sends `first`, then `drip` every 100 ms (if any)
    until the server closes it. Records when it was closed and what it received."""

    def __init__(self, sock, first, drip):
        self.sock = sock
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
                except (socket.timeout, ssl.SSLWantReadError):
                    if self.drip:
                        self.sock.sendall(self.drip)
        except OSError:
            pass  # reset by the server: closed as well
        self.closed_after = time.monotonic() - self.started
        try:
            self.sock.close()
        except OSError:
            pass

    def is_open(self):
        return self.thread.is_alive()

    def join(self, deadline_s):
        self.thread.join(max(0.0, self.started + deadline_s - time.monotonic()))
        return not self.thread.is_alive()


def plain_socket(port):
    return socket.create_connection(("127.0.0.1", port), timeout=60)


def push_body(agent, n):
    return "".join(json.dumps({"type": "run", "agent_id": agent, "status": "success",
                               "duration_ms": 10}) + "\n" for _ in range(n)).encode()


SLOW_HEAD = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "
SLOW_BODY = (b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
             b"Content-Length: 1000\r\n\r\n" + b'{"type":"')


def answered_while_held(what, held, get):
    """Runs `get` (returns an HTTP status) while `held` are open: it must answer 200 within
    its own timeout (web.request_timeout) and every held connection must still be open
    afterwards (it was not answered only once they had been cut). Returns the seconds."""
    t0 = time.monotonic()
    try:
        status = get()
    except (OSError, http.client.HTTPException) as e:
        raise Fail("%s while %d slow connections were held: %r after %.1f s"
                   % (what, len(held), e, time.monotonic() - t0))
    took = time.monotonic() - t0
    if status != 200:
        raise Fail("%s while slow connections were held: HTTP %d" % (what, status))
    closed = [c for c in held if not c.is_open()]
    if closed:
        raise Fail("%s was answered after %.1f s, but only once %d of the %d held connections "
                   "had been closed by the server" % (what, took, len(closed), len(held)))
    return took


def wait_closed(what, conns, expect, timeouts=1):
    """Waits until the server closed every one of `conns`, `timeouts` x web.request_timeout
    (plus slack) after it was opened at the latest, and checks what each received."""
    limit = timeouts * TIMEOUT_S + SLACK_S
    for i, c in enumerate(conns):
        if not c.join(limit):
            raise Fail("%s: connection %d still open %.1f s after it was opened" % (what, i, limit))
        expect(c)
    return max(c.closed_after for c in conns)


def got_400(c):
    if b" 400 " not in c.received[:64]:
        raise Fail("slow head: expected a 400, got %r" % c.received[:120])


def got_nothing(c):
    if c.received:
        raise Fail("silent connection: expected no reply, got %r" % c.received[:120])


def got_408(c):
    if b" 408 " not in c.received[:64]:
        raise Fail("slow body: expected a 408, got %r" % c.received[:120])


def check_counts(samples, want):
    for (name, labels), n in want.items():
        got = ep.value(samples, name, **dict(labels))
        if got != n:
            raise Fail("%s%r = %g, want %d" % (name, dict(labels), got, n))


def plain_phase(binary, tmp, figures):
    exporter = ep.ExporterProc(binary, tmp, (
        "web:\n  listen_address: 127.0.0.1:0\n  threads: %d\n  max_concurrent_ingest: %d\n"
        "  request_timeout: %dms\nstate:\n  dir: %s/state\n")
        % (THREADS, MAX_INGEST, int(TIMEOUT_S * 1000), tmp), name="plain")
    try:
        exporter.start()
        port = exporter.port
        pushed = 0

        def valid_push(what):
            nonlocal pushed
            status, _, body = ep.request(port, "POST", "/v1/events", push_body("valid", 25),
                                         {"Content-Type": "application/x-ndjson"},
                                         timeout=TIMEOUT_S)
            if status != 200 or json.loads(body).get("accepted") != 25:
                raise Fail("valid push %s: HTTP %d %r" % (what, status, body[:200]))
            pushed += 25

        valid_push("at start")
        heads = [SlowConnection(plain_socket(port), SLOW_HEAD, b"a") for _ in range(24)]
        silent = [SlowConnection(plain_socket(port), b"", b"") for _ in range(24)]
        bodies = [SlowConnection(plain_socket(port), SLOW_BODY, b"") for _ in range(2)]
        held = heads + silent
        time.sleep(0.5)  # all of them accepted, the slow bodies holding their slots
        took = {}
        for path in ("/metrics", "/healthz", "/-/ready"):
            took[path] = answered_while_held(
                "GET " + path, held,
                lambda path=path: ep.request(port, "GET", path, timeout=TIMEOUT_S)[0])
        took["push"] = answered_while_held("a valid push", held,
                                           lambda: (valid_push("while held"), 200)[1])
        closed_within = max(wait_closed("slow heads", heads, got_400),
                            wait_closed("silent", silent, got_nothing),
                            # After its 408 civetweb waits once more for the announced
                            # body before it closes.
                            wait_closed("slow bodies", bodies, got_408, timeouts=2))
        valid_push("afterwards")
        samples = exporter.scrape()
        check_counts(samples, {
            ("agent_exporter_http_rejected_total", (("reason", "bad_request"),)): 24,
            ("agent_exporter_http_rejected_total", (("reason", "no_request"),)): 24,
            ("agent_exporter_http_rejected_total", (("reason", "too_many_connections"),)): 0,
            ("agent_exporter_push_requests_total", (("code", "408"),)): 2,
            ("agent_exporter_push_requests_total", (("code", "429"),)): 0,
        })
        counted = ep.total(samples, "agent_exporter_events_total", source="push")
        if counted != pushed or ep.value(samples, "agent_requests_total", agent_id="valid",
                                         status="success") != pushed:
            raise Fail("valid pushes: %g counted, %d acknowledged" % (counted, pushed))
        bad = exporter.log_errors()
        if bad:
            raise Fail("log has errors:\n" + "\n".join(bad[:10]))
        figures["plain"] = {"held": len(held) + len(bodies),
                            "answered while held (s)": {k: round(v, 3) for k, v in took.items()},
                            "all closed within s": round(closed_within, 1),
                            "valid events counted": pushed}
    except Fail:
        print("--- plain exporter log:\n%s" % exporter.tail(), file=sys.stderr)
        raise
    finally:
        exporter.stop()


def make_certs(d):
    def sh(cmd):
        r = subprocess.run(cmd, cwd=d, shell=True, capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail("%s: %s" % (cmd, r.stderr))
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout ca.key -out ca.crt -days 2 -subj /CN=agx-slow-test-ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s.key "
           "-out %s.csr -subj /CN=%s" % (name, name, name))
        sh("openssl x509 -req -in %s.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out %s.crt "
           "-days 2 -extfile %s.ext" % (name, name, name))


def tls_phase(binary, tmp, figures):
    d = os.path.join(tmp, "tls")
    os.makedirs(d)
    make_certs(d)
    with open(os.path.join(d, "web.yml"), "w") as f:
        f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n")
    config = os.path.join(d, "agent_exporter.yml")
    with open(config, "w") as f:
        f.write("web:\n  listen_address: 127.0.0.1:0\n  threads: %d\n  max_concurrent_ingest: %d\n"
                "  request_timeout: %dms\n" % (THREADS, MAX_INGEST, int(TIMEOUT_S * 1000)))
    log_path = os.path.join(d, "exporter.log")
    proc = subprocess.Popen([binary, "serve", "--config.file=" + config,
                             "--web.config.file=" + os.path.join(d, "web.yml")],
                            stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
    ctx.load_cert_chain(os.path.join(d, "client.crt"), os.path.join(d, "client.key"))

    def https_get(port, path):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=TIMEOUT_S)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            return r.status, body
        finally:
            conn.close()

    try:
        port = None
        deadline = time.time() + 60
        while port is None:
            if proc.poll() is not None or time.time() > deadline:
                raise Fail("TLS exporter did not start: " + open(log_path).read()[-2000:])
            for line in open(log_path):
                if "msg=listening" in line and "tls=true" in line:
                    port = int(line.split("port=")[1].split()[0])
            time.sleep(0.05)
        while True:  # ready
            try:
                if https_get(port, "/-/ready")[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if time.time() > deadline:
                raise Fail("TLS exporter not ready")
            time.sleep(0.05)

        def tls_socket():
            return ctx.wrap_socket(plain_socket(port), server_hostname="127.0.0.1")

        idle = [SlowConnection(plain_socket(port), b"", b"") for _ in range(48)]
        quiet = [SlowConnection(tls_socket(), b"", b"") for _ in range(8)]
        heads = [SlowConnection(tls_socket(), SLOW_HEAD, b"a") for _ in range(8)]
        held = idle + quiet + heads
        time.sleep(0.5)
        took = {}
        for path in ("/metrics", "/healthz", "/-/ready"):
            took[path] = answered_while_held("GET %s over TLS with a client certificate" % path,
                                             held, lambda path=path: https_get(port, path)[0])
        closed_within = max(wait_closed("idle (no handshake)", idle, got_nothing),
                            wait_closed("TLS, silent", quiet, got_nothing),
                            wait_closed("TLS, slow heads", heads, got_400))
        status, body = https_get(port, "/metrics")
        if status != 200:
            raise Fail("scrape over TLS afterwards: HTTP %d" % status)
        samples = ep.parse_exposition(body.decode())
        check_counts(samples, {
            ("agent_exporter_tls_connections_total", (("result", "handshake_failed"),)): 48,
            ("agent_exporter_tls_connections_total", (("result", "refused"),)): 0,
            ("agent_exporter_http_rejected_total", (("reason", "no_request"),)): 8,
            ("agent_exporter_http_rejected_total", (("reason", "bad_request"),)): 8,
        })
        errors = [l for l in open(log_path) if "level=error" in l]
        if errors:
            raise Fail("TLS exporter logged errors: %s" % errors[:5])
        figures["tls"] = {"held": len(held),
                          "answered while held (s)": {k: round(v, 3) for k, v in took.items()},
                          "all closed within s": round(closed_within, 1)}
    except Fail:
        print("--- TLS exporter log:\n%s" % open(log_path).read()[-4000:], file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-slow-")
    ok = False
    figures = {}
    try:
        plain_phase(args.exporter, tmp, figures)
        tls_phase(args.exporter, tmp, figures)
        print("slow_clients: OK %s" % json.dumps({"request_timeout s": TIMEOUT_S,
                                                    "threads": THREADS, **figures}))
        ok = True
    except Fail as e:
        print("slow_clients: FAIL: %s" % e, file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        if args.keep or not ok:
            print("kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
