#!/usr/bin/env python3
"""A flood of wrong Basic-auth passwords against a real `agent_exporter serve` with
--web.config.file (bcrypt at cost 10, as people configure it): a Prometheus whose
credentials are already verified still gets its scrapes answered with 200 while the flood
runs, and every flood request is answered (401 or 429) and counted.

  auth_flood_test.py --exporter AGENT_EXPORTER [--keep]

FLOOD clients (256, as in the security review), each on a thread, send GET /metrics with
the right user and a new wrong password every time, one request per connection, until the
checks are done. bcrypt takes 50-100 ms at cost 10: when each of those requests waited for
its check, they held every worker thread (web.threads, 16) and the valid scrape waited
behind all of them (13.8 s in the review). Checked:
  1. once every flood client has sent its first request, SCRAPES valid scrapes in a row
     (credentials cached by a scrape before the flood) each get 200 within SCRAPE_BOUND_S
     (a generous bound, not a latency target), and the flood is still running afterwards;
  2. a user whose password was never checked gets 200 or 429 (never 401) during the flood,
     and 200 once it is over; pushes with wrong passwords get 401 or 429 with Retry-After;
  3. every flood request got 401 (its password checked) or 429 (every bcrypt slot busy,
     not checked), none failed, both happened, and
     agent_exporter_auth_rejected_total{reason} counts exactly those.
The slowest valid scrape is printed (informational).
"""
import argparse
import base64
import json
import os
import shutil
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

FLOOD = 256
SCRAPES = 5
SCRAPE_BOUND_S = 5.0
# bcrypt cost 10, made with python3's crypt.crypt(password, crypt.mksalt(METHOD_BLOWFISH,
# rounds=1 << 10)).
USERS = {
    "prometheus": ("scrape secret", "$2b$10$yNWWfEm/At1dstjTocOVCunutJ7hG.4frQv326id2ctWm/lncf2v."),
    "late": ("late secret", "$2b$10$.8t6M03Njx.VkinlqnL7KOYGc6f/MGtFZwfhYVAHOWGXk7Pa12JmK"),
}


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def scrape(port, user, password, timeout=60):
    return ep.request(port, "GET", "/metrics", headers={"Authorization": basic(user, password)},
                      timeout=timeout)[0]


class Flood:
    """FLOOD threads sending wrong passwords until stop(); counts the answers by status."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.statuses = {}    # status -> count, guarded by lock
        self.errors = []      # OSError texts, guarded by lock
        self.sent_first = 0   # threads that have sent their first request, guarded by lock
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(FLOOD)]

    def _run(self, i):
        n = 0
        while not self.stopping.is_set():
            n += 1
            password = "wrong-%d-%d-%s" % (i, n, os.urandom(4).hex())  # never the same twice
            if n == 1:
                with self.lock:
                    self.sent_first += 1
            try:
                status = scrape(self.port, "prometheus", password)
            except OSError as e:
                with self.lock:
                    self.errors.append(str(e))
                continue
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1

    def start(self):
        for t in self.threads:
            t.start()

    def answered(self):
        with self.lock:
            return sum(self.statuses.values())

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(120)
        if any(t.is_alive() for t in self.threads):
            raise Fail("flood threads still waiting for answers 120 s after the stop")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-authflood-")
    web = os.path.join(tmp, "web.yml")
    with open(web, "w") as f:
        f.write("basic_auth_users:\n" + "".join("  %s: %s\n" % (u, h) for u, (_, h) in USERS.items()))
    exporter = ep.ExporterProc(args.exporter, tmp, "web:\n  listen_address: 127.0.0.1:0\n",
                               extra_args=["--web.config.file=" + web])
    flood = None
    ok = False
    try:
        exporter.start()
        port = exporter.port
        prom_password = USERS["prometheus"][0]
        if scrape(port, "prometheus", prom_password) != 200:  # verified and cached
            raise Fail("valid scrape before the flood was not answered 200")

        flood = Flood(port)
        flood.start()
        while True:
            with flood.lock:
                if flood.sent_first == FLOOD:
                    break
            time.sleep(0.01)

        # 1. Valid scrapes while the flood runs.
        slowest = 0.0
        for i in range(SCRAPES):
            t0 = time.monotonic()
            try:
                status = scrape(port, "prometheus", prom_password, timeout=SCRAPE_BOUND_S)
            except OSError as e:  # socket.timeout included
                raise Fail("valid scrape %d during the flood: no answer within %g s (%s); "
                           "flood answers so far: %d" % (i, SCRAPE_BOUND_S, e, flood.answered()))
            slowest = max(slowest, time.monotonic() - t0)
            if status != 200:
                raise Fail("valid scrape %d during the flood answered %d" % (i, status))
        answered_then = flood.answered()

        # 2. A user never checked before: 200 or 429, never 401.
        late = []
        for _ in range(3):
            try:
                late.append(scrape(port, "late", USERS["late"][0], timeout=SCRAPE_BOUND_S))
            except OSError as e:
                raise Fail("uncached valid user during the flood: no answer within %g s (%s)"
                           % (SCRAPE_BOUND_S, e))
        if any(s not in (200, 429) for s in late):
            raise Fail("uncached valid user during the flood answered %r (want 200 or 429)" % late)

        # A push whose credentials were never checked: 401 or 429, a 429 with Retry-After.
        pushes = []
        for i in range(3):
            status, headers, body = ep.request(
                port, "POST", "/v1/events", b'{"type":"run","agent_id":"a","status":"success"}\n',
                {"Content-Type": "application/x-ndjson",
                 "Authorization": basic("late", "wrong push %d" % i)}, timeout=SCRAPE_BOUND_S)
            pushes.append(status)
            if status not in (401, 429) or (status == 429 and headers.get("retry-after") != "1"):
                raise Fail("push with a wrong password during the flood: %d %r %r"
                           % (status, headers, body[:200]))

        # The flood was still running after the valid scrapes.
        deadline = time.monotonic() + 60
        while flood.answered() <= answered_then:
            if time.monotonic() > deadline:
                raise Fail("the flood stopped being answered")
            time.sleep(0.01)
        flood.stop()

        if scrape(port, "late", USERS["late"][0]) != 200:
            raise Fail("uncached valid user after the flood was not answered 200")

        # 3. Every flood request answered, and counted.
        if flood.errors:
            raise Fail("%d flood requests failed, e.g. %s" % (len(flood.errors), flood.errors[0]))
        other = {s: n for s, n in flood.statuses.items() if s not in (401, 429)}
        if other:
            raise Fail("flood answered with unexpected statuses %r" % other)
        got401, got429 = flood.statuses.get(401, 0), flood.statuses.get(429, 0)
        if got401 == 0 or got429 == 0:
            raise Fail("flood: %d answered 401 and %d 429, want both" % (got401, got429))
        status, _, body = ep.request(port, "GET", "/metrics", headers={
            "Authorization": basic("prometheus", prom_password), "Accept": ep.OPENMETRICS})
        if status != 200:
            raise Fail("final scrape answered %d" % status)
        samples = ep.parse_exposition(body.decode("utf-8"))
        late429 = late.count(429)
        want = {"invalid": got401 + pushes.count(401),
                "busy": got429 + late429 + pushes.count(429), "missing": 0}
        for reason, n in want.items():
            got = ep.value(samples, "agent_exporter_auth_rejected_total", reason=reason)
            if got != n:
                raise Fail("agent_exporter_auth_rejected_total{reason=%r} = %g, want %d"
                           % (reason, got, n))
        for code in (401, 429):
            got = ep.value(samples, "agent_exporter_push_requests_total", code=str(code))
            if got != pushes.count(code):
                raise Fail("agent_exporter_push_requests_total{code=%d} = %g, want %d"
                           % (code, got, pushes.count(code)))
        bad = exporter.log_errors()
        if bad:
            raise Fail("log has errors:\n" + "\n".join(bad[:10]))
        print("auth_flood: OK %s" % json.dumps({
            "flood clients": FLOOD, "flood answered 401": got401, "flood answered 429": got429,
            "slowest valid scrape during the flood s": round(slowest, 3),
            "uncached user during the flood": late, "wrong-password pushes": pushes}))
        ok = True
    except Fail as e:
        print("auth_flood: FAIL: %s\n--- exporter log:\n%s" % (e, exporter.tail()), file=sys.stderr)
    except Exception:
        traceback.print_exc()
        print("--- exporter log:\n%s" % exporter.tail(), file=sys.stderr)
    finally:
        if flood is not None:
            flood.stopping.set()
        exporter.stop()
        if args.keep:
            print("kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
