#!/usr/bin/env python3
"""Overload: twice the sustainable push rate against a real `agent_exporter serve`
(state.dir set, every 200 fsynced): the exporter stays up, memory stays bounded, 429 and 503
replies carry Retry-After, and every event it acknowledged is counted, exactly.

  overload_test.py --exporter AGENT_EXPORTER [--closed-seconds S] [--open-seconds S]
                   [--batch B] [--senders K] [--rss-limit-mb MB] [--keep]

1. Closed loop: C = web.max_concurrent_ingest clients each POST an NDJSON batch of B valid
   events and send the next one as soon as the previous is answered, for --closed-seconds.
   The events acknowledged per second are the sustainable rate R (what this machine and
   build can do; it is measured, never asserted).
2. Open loop: batches are scheduled at a fixed rate of 2R events/s for --open-seconds and
   sent by K senders (K > web.max_concurrent_ingest, so the admission limit is reached: a
   slot whose time has come is sent as soon as a sender is free, whatever the answers; the
   generator is bounded by K, so the rate it reached is reported).
Then, with no request in flight: agent_exporter_events_total{source="push"} equals the
events of the batches answered 200, agent_exporter_push_requests_total{code} equals the
answers seen, and every agent_* series of the load equals what its 200 batches carried
(each sender has its own agent_id). No other outcome than 200, 429 and 503 is allowed, and
every request must get an answer.

Requests use one connection each (Connection: close): a keep-alive connection holds a
civetweb worker while idle, so more keep-alive clients than web.threads would queue
instead of meeting the admission limit.

Memory bound: 64 MiB + web.threads x 4 x (one batch as sent) = 64 + 8 x 4 x 0.5 MiB =
80 MiB (--rss-limit-mb or AGX_HARDENING_RSS_MB override it; under sanitizers
exporter_proc.ASAN_EXTRA_MIB is added). Why: at most web.max_concurrent_ingest requests
read their bodies at once (a 429 is sent before the body is read), each holding its body,
the split lines and its write-ahead log record (about 2x the body); each of the web.threads
workers' malloc arenas may keep about that much after its request ended. The 64 MiB cover
the binary, the registry, thread stacks and slack. VmRSS is sampled every 100 ms.
"""
import argparse
import itertools
import json
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

THREADS = 8         # web.threads
MAX_INGEST = 4      # web.max_concurrent_ingest
BASE_MIB = 64


def batch_body(agent, b):
    """B valid events for `agent`: per 10 events 4 runs (2 success, 2 failure), 4 LLM calls
    (10 input and 5 output tokens each) and 2 tool calls. Returns (body, {family labels:
    value} one batch adds)."""
    lines, add = [], {}

    def count(family, v=1, **labels):
        key = (family, tuple(sorted(labels.items())))
        add[key] = add.get(key, 0) + v

    for i in range(b):
        k = i % 10
        if k < 4:
            status = "success" if k < 2 else "failure"
            lines.append({"type": "run", "agent_id": agent, "status": status, "duration_ms": 250,
                          "trace_id": "%032x" % (i + 1)})
            count("agent_requests_total", agent_id=agent, status=status)
            count("agent_exporter_events_total", source="push", type="run")
        elif k < 8:
            lines.append({"type": "llm_call", "agent_id": agent, "model": "load-model",
                          "input_tokens": 10, "output_tokens": 5, "duration_ms": 80})
            count("agent_llm_calls_total", agent_id=agent, model="load-model", status="success")
            count("agent_tokens_consumed_total", 10, agent_id=agent, model="load-model", direction="input")
            count("agent_tokens_consumed_total", 5, agent_id=agent, model="load-model", direction="output")
            count("agent_exporter_events_total", source="push", type="llm_call")
        else:
            lines.append({"type": "tool_call", "agent_id": agent, "tool_name": "search",
                          "status": "success", "duration_ms": 40})
            count("agent_tool_calls_total", agent_id=agent, tool_name="search", status="success")
            count("agent_exporter_events_total", source="push", type="tool_call")
    body = "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines).encode()
    return body, add


def post(port, body, timeout=120):
    """POST /v1/events on a new connection; the whole body is sent even when the server
    answers first (it drains what it does not read). Returns (status, headers, reply)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        head = ("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                "Content-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            sock.sendall(head.encode() + body)
        except OSError:
            pass  # answered (429) and closed before the body was read: the reply is there
        return ep.read_response(sock)
    finally:
        sock.close()


class Tally:
    """What the senders saw. Thread-safe (one lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {}
        self.acked_events = 0
        self.expect = {}
        self.problems = []
        self.sent = 0

    def record(self, status, headers, reply, batch, add, what):
        with self.lock:
            self.sent += 1
            self.codes[status] = self.codes.get(status, 0) + 1
            if status == 200:
                r = json.loads(reply)
                if r.get("accepted") != batch or r.get("rejected") != 0:
                    self.problems.append("%s: 200 with %r, want %d accepted" % (what, reply[:200], batch))
                self.acked_events += batch
                for k, v in add.items():
                    self.expect[k] = self.expect.get(k, 0) + v
            elif status in (429, 503):
                ra = headers.get("retry-after", "")
                if not ra.isdigit() or int(ra) < 1:
                    self.problems.append("%s: %d without a valid Retry-After (%r)" % (what, status, ra))
            else:
                self.problems.append("%s: unexpected status %d (%r)" % (what, status, reply[:200]))

    def error(self, what, e):
        with self.lock:
            self.sent += 1
            self.problems.append("%s: no answer: %s" % (what, e))


def closed_loop(exporter, tally, seconds, batch, clients):
    bodies = [batch_body("closed-%d" % c, batch) for c in range(clients)]
    stop = time.time() + seconds
    acked = [0] * clients

    def client(c):
        body, add = bodies[c]
        while time.time() < stop:
            try:
                status, headers, reply = post(exporter.port, body)
            except OSError as e:
                tally.error("closed loop client %d" % c, e)
                return
            tally.record(status, headers, reply, batch, add, "closed loop client %d" % c)
            if status == 200:
                acked[c] += batch

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.time() - t0
    return sum(acked) / elapsed, elapsed


def open_loop(exporter, tally, seconds, batch, senders, rate_events):
    """Slots every batch/rate_events seconds for `seconds`; each sender takes the next slot,
    waits for its time (or sends at once when late). Returns (slots sent, elapsed)."""
    interval = batch / rate_events
    bodies = [batch_body("open-%d" % s, batch) for s in range(senders)]
    n_slots = int(seconds / interval)
    slots = itertools.count()
    lock = threading.Lock()
    t0 = time.time() + 0.2
    sent = [0]

    def sender(s):
        body, add = bodies[s]
        while True:
            with lock:
                i = next(slots)
            if i >= n_slots:
                return
            delay = t0 + i * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            try:
                status, headers, reply = post(exporter.port, body)
            except OSError as e:
                tally.error("open loop sender %d" % s, e)
                continue
            tally.record(status, headers, reply, batch, add, "open loop sender %d" % s)
            with lock:
                sent[0] += 1

    threads = [threading.Thread(target=sender, args=(s,), daemon=True) for s in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    return n_slots, time.time() - t0


def main():
    default_bound = BASE_MIB + THREADS * 4 * 0.5
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", required=True, help="the agent_exporter binary")
    ap.add_argument("--closed-seconds", type=float, default=3)
    ap.add_argument("--open-seconds", type=float, default=10)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--senders", type=int, default=16)
    ap.add_argument("--rss-limit-mb", type=float, default=ep.rss_bound_mib(default_bound),
                    help="peak VmRSS bound (default %d MiB; see exporter_proc.rss_bound_mib)"
                    % default_bound)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    if args.senders <= MAX_INGEST:
        ap.error("--senders must exceed web.max_concurrent_ingest (%d)" % MAX_INGEST)

    tmp = tempfile.mkdtemp(prefix="agx-overload-")
    config = ("web:\n  listen_address: 127.0.0.1:0\n  threads: %d\n  max_concurrent_ingest: %d\n"
              "state:\n  dir: %s/state\n  snapshot_interval: 1s\n  max_wal_bytes: 256MiB\n"
              % (THREADS, MAX_INGEST, tmp))
    exporter = ep.ExporterProc(args.exporter, tmp, config)
    tally = Tally()
    problems, ok, rss = [], False, None
    figures = {}
    t_start = time.time()
    try:
        exporter.start()
        with ep.RssSampler(exporter, 0.1) as rss:
            rate, elapsed = closed_loop(exporter, tally, args.closed_seconds, args.batch, MAX_INGEST)
            exporter.check_up("the closed loop")
            if rate <= 0:
                raise Fail("closed loop: nothing acknowledged in %.1f s: %s" % (elapsed, tally.problems[:5]))
            figures["sustainable"] = rate
            figures["codes_closed"] = dict(tally.codes)
            sent_before = tally.sent
            n_slots, elapsed = open_loop(exporter, tally, args.open_seconds, args.batch,
                                         args.senders, 2 * rate)
            figures["offered"] = n_slots * args.batch / args.open_seconds
            figures["open_elapsed"] = elapsed
            figures["open_sent"] = tally.sent - sent_before
            exporter.check_up("the open loop")
            samples = exporter.scrape()
        problems += tally.problems
        # Every request has been answered: the counters are final.
        got_events = ep.total(samples, "agent_exporter_events_total", source="push")
        if got_events != tally.acked_events:
            problems.append("agent_exporter_events_total{source=\"push\"} = %d, events in batches "
                            "answered 200 = %d" % (got_events, tally.acked_events))
        rejected = ep.total(samples, "agent_exporter_events_rejected_total", source="push")
        if rejected != 0:
            problems.append("%d pushed events rejected; all were valid" % rejected)
        for code, n in tally.codes.items():
            got = ep.value(samples, "agent_exporter_push_requests_total", code=str(code))
            if got != n:
                problems.append("agent_exporter_push_requests_total{code=\"%d\"} = %d, answers seen = %d"
                                % (code, got, n))
        for labels, v in samples.get("agent_exporter_push_requests_total", {}).items():
            code = int(dict(labels)["code"])
            if code not in tally.codes and v != 0:
                problems.append("agent_exporter_push_requests_total{code=\"%d\"} = %d, never seen" % (code, v))
        families = {f for f, _ in tally.expect}
        for family in sorted(families):
            got = samples.get(family, {})
            for labels in set(got) | {l for f, l in tally.expect if f == family}:
                d = dict(labels)
                if family != "agent_exporter_events_total" and not d.get("agent_id", "").startswith(("open-", "closed-")):
                    continue
                want = tally.expect.get((family, labels), 0)
                if abs(got.get(labels, 0) - want) > 1e-6:
                    problems.append("%s%s = %r, batches answered 200 carried %r"
                                    % (family, ep_fmt(labels), got.get(labels, 0), want))
        if tally.codes.get(429, 0) + tally.codes.get(503, 0) == 0:
            problems.append("no 429 or 503 at all: the open loop never exceeded the admission limit")
        if rss.peak_kb > args.rss_limit_mb * 1024:
            problems.append("peak VmRSS %.1f MiB over the bound of %.0f MiB" % (rss.peak_kb / 1024, args.rss_limit_mb))
        rc = exporter.stop()
        if rc != 0:
            problems.append("SIGTERM: exit code %s" % rc)
        problems += ["exporter log: " + line for line in exporter.log_errors()[:10]]
        ok = not problems
    except Fail as e:
        problems.append(str(e))
    except Exception:
        problems.append("unexpected error:\n%s" % traceback.format_exc())
    finally:
        exporter.stop()
    summary = ("sustainable %.0f events/s (closed loop, %d clients, batches of %d); open loop "
               "offered %.0f events/s for %.0f s with %d senders: %d requests sent in %.1f s, "
               "answered %s; %d events acknowledged in all and counted; peak VmRSS %.1f MiB "
               "(bound %.0f MiB, %d samples); %.1f s"
               % (figures.get("sustainable", 0), MAX_INGEST, args.batch, figures.get("offered", 0),
                  args.open_seconds, args.senders, figures.get("open_sent", 0),
                  figures.get("open_elapsed", 0),
                  json.dumps({str(k): v - figures.get("codes_closed", {}).get(k, 0)
                              for k, v in sorted(tally.codes.items())}),
                  tally.acked_events, (rss.peak_kb if rss else 0) / 1024, args.rss_limit_mb,
                  rss.samples if rss else 0, time.time() - t_start))
    if not ok:
        print("FAIL: %d problem(s):\n  %s" % (len(problems), "\n  ".join(problems[:60])))
        print("---- agent_exporter log (%s) ----\n%s" % (exporter.log_path, exporter.tail()))
        print(summary)
        print("(temp dir kept: %s)" % tmp)
        return 1
    print("OK: overload: " + summary)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def ep_fmt(labels):
    return "{" + ",".join('%s="%s"' % kv for kv in labels) + "}"


if __name__ == "__main__":
    sys.exit(main())
