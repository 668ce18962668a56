#!/usr/bin/env python3
"""The standing hostile-input memory test: every input family that once cost large or lasting
memory, sent to a real `agent_exporter serve` with the shipped default limits (and a state
directory, so the write-ahead log and snapshots run too), one request at a time. The
exporter's peak RSS must stay under the documented budget (docs/reliability.md, "Memory
budget"), the exporter must stay up, and the valid events sent after each family must all be
counted exactly.

  memory_budget_test.py --exporter AGENT_EXPORTER_BINARY [--budget-mib N] [--only FAMILY,..]

Families (each a few MiB on the wire at most, gzip where the attack used it):
  push_long_values      NDJSON events whose agent_id / model / tool_name / task_type are
                        512 KiB long, all distinct (label values, handle cache, windows)
  otlp_long_attributes  OTLP JSON and protobuf: a 512 KiB service.name x 1000 spans (agent id
                        copied into every mapped event)
  otlp_item_flood       OTLP protobuf with millions of empty spans and of empty log records,
                        OTLP JSON with hundreds of thousands of empty spans (gzip, under the
                        decompressed limit)
  otlp_json_body        OTLP JSON bodies of 48 and 10 MiB (numbers in an ignored field): the
                        JSON index takes ~14x a body, so otlp.decode_memory_bytes refuses the
                        first (413) and admits the second
  push_item_flood       a JSON array push of 30 million one-byte elements (gzip)
  cardinality           100 000 distinct values of every label and window key (agent_id,
                        model, tool_name, hallucination_type, strategy, task_type, ...)
  cumulative_keys       Claude Code cumulative token metrics (claude_code_usage: metrics) with
                        100 000 series of long attributes
  gzip_bombs            bodies that inflate past web.max_decompressed_bytes (push and OTLP)
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp_build as ob  # noqa: E402
from exporter_proc import ExporterProc, Fail, RssSampler, request, rss_bound_mib, total, value  # noqa: E402

BUDGET_MIB = 256  # docs/reliability.md and README "Limits": the documented budget
LONG = 512 * 1024
VALID_PER_FAMILY = 25  # valid runs sent before and after each family, agent "mem-valid-<family>"

NDJSON = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}
PROTO = {"Content-Type": "application/x-protobuf"}


def gz(headers):
    return dict(headers, **{"Content-Encoding": "gzip"})


def zipped(data):
    return gzip.compress(data, compresslevel=1)  # fast: the bodies are repetitive


class Budget:
    def __init__(self, binary, tmp, budget_mib, only):
        self.binary, self.tmp, self.only = binary, tmp, only
        self.bound_mib = rss_bound_mib(budget_mib)
        self.results = []  # (family, peak MiB, after MiB)
        self.valid_sent = {}

    def exporter(self, name, extra=""):
        state = os.path.join(self.tmp, name + "-state")
        # The shipped defaults for every limit; only the address, the state directory and
        # what a family needs (extra) are set.
        cfg = "web:\n  listen_address: 127.0.0.1:0\nstate:\n  dir: %s\n%s" % (state, extra)
        e = ExporterProc(self.binary, self.tmp, cfg, name=name)
        e.start()
        return e

    def send(self, e, path, body, headers, want=None, what=""):
        status, _, reply = request(e.port, "POST", path, body=body, headers=headers, timeout=120)
        if want is not None and status not in want:
            raise Fail("%s: %s answered %d (want %s): %s" % (what, path, status, want, reply[:300]))
        return status

    def valid(self, e, family):
        agent = "mem-valid-" + family
        body = "".join(json.dumps({"type": "run", "agent_id": agent, "status": "success",
                                   "duration_ms": 5}) + "\n" for _ in range(VALID_PER_FAMILY))
        self.send(e, "/v1/events", body.encode(), NDJSON, want=(200,), what=family + " valid events")
        self.valid_sent[agent] = self.valid_sent.get(agent, 0) + VALID_PER_FAMILY

    def run(self, family, fn, extra=""):
        if self.only and family not in self.only:
            return
        started = time.time()
        e = self.exporter(family, extra)
        try:
            with RssSampler(e, interval=0.05) as s:
                # Valid events before (their series exist before a cardinality flood fills
                # the limits) and after the family.
                self.valid(e, family)
                fn(e)
                e.check_up(family)
                self.valid(e, family)
                time.sleep(0.3)  # let a sample land after the last request
            samples = e.scrape()
            got = value(samples, "agent_requests_total", agent_id="mem-valid-" + family, status="success")
            if got != 2 * VALID_PER_FAMILY:
                raise Fail("%s: valid events around it: %r counted, want %d" % (family, got, 2 * VALID_PER_FAMILY))
            peak, after = s.peak_kb / 1024.0, s.last_kb / 1024.0
            self.results.append((family, peak, after))
            print("memory_budget: %-22s peak %6.1f MiB, after %6.1f MiB (budget %d MiB), %.1f s" % (
                family, peak, after, self.bound_mib, time.time() - started))
            if peak > self.bound_mib:
                raise Fail("%s: peak RSS %.1f MiB over the budget of %d MiB" % (family, peak, self.bound_mib))
            errors = e.log_errors()
            if errors:
                raise Fail("%s: the log has errors:\n%s" % (family, "\n".join(errors[:5])))
        except Exception:
            print("---- %s log ----\n%s" % (family, e.tail()))
            raise
        finally:
            e.stop()

    # ---- families

    def push_long_values(self, e):
        fields = ("agent_id", "model", "tool_name", "task_type")
        for r in range(16):  # 384 distinct values of 512 KiB: 192 MiB if kept uncut
            lines = []
            for i in range(24):
                long_value = ("%d-%d-" % (r, i)) + "v" * LONG
                f = fields[i % len(fields)]
                ev = {"type": "llm_call", "agent_id": "mem-long", "model": "m", "input_tokens": 1}
                if f == "tool_name":
                    ev = {"type": "tool_call", "agent_id": "mem-long", "tool_name": "t", "status": "success"}
                elif f == "task_type":
                    ev = {"type": "task", "agent_id": "mem-long", "task_type": "t", "outcome": "completed",
                          "cost_usd": 0.01}
                ev[f] = long_value
                lines.append(json.dumps(ev))
            self.send(e, "/v1/events", zipped(("\n".join(lines) + "\n").encode()), gz(NDJSON),
                      want=(200, 413), what="push long values")

    def otlp_long_attributes(self, e):
        name = "svc-" + "n" * LONG
        for k, protobuf in enumerate((False, True, False, True)):
            spans = [ob.span("chat", [("gen_ai.operation.name", ("s", "chat")),
                                      ("gen_ai.request.model", ("s", "m"))],
                             "%032x" % (k + 1), "%016x" % (k * 10000 + i + 1)) for i in range(1000)]
            req = ob.export_request("traces", [("service.name", ("s", name + str(k)))], spans)
            body, h = (ob.to_protobuf(req), PROTO) if protobuf else (ob.to_json(req), JSON)
            self.send(e, "/v1/traces", zipped(body), gz(h), want=(200, 413), what="otlp long attributes")

    def otlp_item_flood(self, e):
        empty_span = ob.pb_len(2, b"")  # ScopeSpans.spans: one empty Span
        scope_spans = ob.pb_len(2, empty_span * (24 * 1024 * 1024))  # 48 MiB: 24M spans
        body = ob.pb_len(1, scope_spans)  # ExportTraceServiceRequest.resource_spans
        self.send(e, "/v1/traces", zipped(body), gz(PROTO), want=(200, 413), what="empty spans")
        empty_log = ob.pb_len(2, b"")  # ScopeLogs.log_records
        body = ob.pb_len(1, ob.pb_len(2, empty_log * (24 * 1024 * 1024)))
        self.send(e, "/v1/logs", zipped(body), gz(PROTO), want=(200, 413), what="empty log records")
        spans = ",".join(["{}"] * 3_000_000)
        body = ('{"resourceSpans":[{"scopeSpans":[{"spans":[%s]}]}]}' % spans).encode()
        self.send(e, "/v1/traces", zipped(body), gz(JSON), want=(200, 413), what="empty JSON spans")

    def otlp_json_body(self, e):
        # A JSON body is indexed whole by simdjson (about 14 times its size): 48 MiB of
        # numbers in a field the decoder ignores, then a body just under the decode budget.
        for mib in (48, 10):
            n = mib * 1024 * 1024 // 2
            body = ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}]}]}],"ignored":[' +
                    "1," * n + '1]}').encode()
            self.send(e, "/v1/traces", zipped(body), gz(JSON), want=(200, 413), what="large JSON body")

    def push_item_flood(self, e):
        body = b"[" + b"1," * 30_000_000 + b"1]"
        self.send(e, "/v1/events", zipped(body), gz(JSON), want=(200, 400, 413), what="JSON array flood")

    def cardinality(self, e):
        n = 100_000
        per_request = 20_000
        for start in range(0, n, per_request):
            lines = []
            for i in range(start, start + per_request):
                v = "c%06d-" % i + "x" * 200
                kind = i % 6
                if kind == 0:
                    ev = {"type": "run", "agent_id": v, "status": "success"}
                elif kind == 1:
                    ev = {"type": "llm_call", "agent_id": "mem-card", "model": v, "input_tokens": 3}
                elif kind == 2:
                    ev = {"type": "tool_call", "agent_id": "mem-card", "tool_name": v, "status": "success"}
                elif kind == 3:
                    ev = {"type": "hallucination", "agent_id": "mem-card", "hallucination_type": v}
                elif kind == 4:
                    ev = {"type": "recovery", "agent_id": "mem-card", "strategy": v}
                else:
                    ev = {"type": "task", "agent_id": v, "task_type": v, "outcome": "completed",
                          "cost_usd": 0.01}
                lines.append(json.dumps(ev))
            self.send(e, "/v1/events", zipped(("\n".join(lines) + "\n").encode()), gz(NDJSON),
                      want=(200,), what="cardinality")
        # A scrape in between: the windows and overflow are exercised on the read side too.
        e.scrape()

    def cumulative_keys(self, e):
        long_attr = "a" * 2048
        for start in range(0, 100_000, 10_000):
            points = [([("model", ("s", "m")), ("type", ("s", "input")),
                        ("session.id", ("s", "%d-%s" % (i, long_attr)))], 5)
                      for i in range(start, start + 10_000)]
            metric = ob.sum_metric("claude_code.token.usage", points, temporality=2)
            req = ob.export_request("metrics", [("service.name", ("s", "mem-cc"))], [metric])
            self.send(e, "/v1/metrics", zipped(ob.to_protobuf(req)), gz(PROTO), want=(200, 413),
                      what="cumulative keys")

    def gzip_bombs(self, e):
        bomb = zipped(b"\0" * (80 * 1024 * 1024))  # past the 64 MiB decompressed limit
        self.send(e, "/v1/events", bomb, gz(NDJSON), want=(413,), what="push gzip bomb")
        self.send(e, "/v1/traces", bomb, gz(PROTO), want=(413,), what="OTLP gzip bomb")
        self.send(e, "/v1/logs", bomb, gz(JSON), want=(413,), what="OTLP JSON gzip bomb")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--budget-mib", type=int, default=BUDGET_MIB)
    ap.add_argument("--only", help="comma-separated families")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-membudget-")
    b = Budget(args.exporter, tmp, args.budget_mib, set(args.only.split(",")) if args.only else None)
    families = [("push_long_values", b.push_long_values, ""),
                ("otlp_long_attributes", b.otlp_long_attributes, ""),
                ("otlp_item_flood", b.otlp_item_flood, ""),
                ("otlp_json_body", b.otlp_json_body, ""),
                ("push_item_flood", b.push_item_flood, ""),
                ("cardinality", b.cardinality, ""),
                ("cumulative_keys", b.cumulative_keys, "otlp:\n  claude_code_usage: metrics\n"),
                ("gzip_bombs", b.gzip_bombs, "")]
    failures = []
    for name, fn, extra in families:  # every family runs, each against its own exporter
        try:
            b.run(name, fn, extra)
        except Fail as e:
            failures.append(str(e))
        except Exception:
            failures.append("%s: unexpected error:\n%s" % (name, traceback.format_exc()))
    failed = bool(failures)
    for f in failures:
        print("FAIL: %s" % f)
    if failed:
        print("memory_budget: files kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if not failed:
        worst = max(b.results, key=lambda r: r[1]) if b.results else ("-", 0, 0)
        print("memory_budget: %d families within %d MiB; the highest peak %.1f MiB (%s)" % (
            len(b.results), b.bound_mib, worst[1], worst[0]))
    print("%d passed, %d failed" % (0 if failed else 1, 1 if failed else 0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
