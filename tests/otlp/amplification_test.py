#!/usr/bin/env python3
"""Small OTLP requests that would expand into far more memory than they take, against a real
`agent_exporter serve` (state.dir set): each is answered as documented (docs/otlp.md,
"Limits of a request"), the valid items beside it are all counted, and the growth of the
process's peak memory (VmHWM in /proc/PID/status) stays under a budget far below what the
same request took before the limits.

  amplification_test.py --exporter AGENT_EXPORTER [--only SCENARIO] [--keep]

Scenarios (one exporter each, so that its VmHWM is the scenario's own):
  long_attribute  a 256 KiB service.name above 1000 LLM spans (2 KB gzip'd protobuf): each
                  mapped event copied it whole, about 500 MiB in all (1 GB for 512 KiB).
                  Now cut near registry.label_value_max_bytes before it is copied: 200,
                  all 1000 calls counted under the cut agent_id, growth under 48 MiB.
  item_count      4 million empty spans, then log records (8 MiB protobuf each, 8 KB
                  gzip'd), 3 million empty spans in JSON (9 MiB), a push of 8 million
                  one-byte JSON array elements and one of 8 million NDJSON lines (16 MiB
                  each): each took 150 MiB to 1 GB and was answered 200 or 400. Now 413
                  (otlp.max_items_per_request, ingest.max_events_per_push, 100 000 each)
                  before the items are stored, growth under 64 MiB in all; then 1000 valid
                  LLM spans and 1000 pushed events are all counted.
  cumulative      otlp.claude_code_usage: metrics; 1000 cumulative token-usage series under
                  a resource with a 256 KiB attribute (3.5 KB gzip'd): the state that turns
                  cumulative points into deltas kept every attribute of every series, 256 MB
                  that stayed. Now 16 bytes a series: VmRSS after it under 16 MiB more, peak
                  under 48 MiB more; the same series sent again with 5 tokens more count
                  exactly 5000 tokens.

Budgets are growth of VmHWM over the started process, derived from what one request may
hold (its body, inflated body, decoded form and mapped lines, docs/otlp.md) plus the
allocator's slack; under sanitizers exporter_proc.ASAN_EXTRA_MIB is added (see there).
Python standard library only (the helpers of tests/hardening).
"""
import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hardening"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import exporter_proc as ep  # noqa: E402
import otlp_build as ob  # noqa: E402
from exporter_proc import Fail  # noqa: E402

PROTO_GZIP = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
JSON_GZIP = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
NDJSON_GZIP = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
LABEL_MAX = 128  # registry.label_value_max_bytes (default)


def vm_hwm_kb(exporter):
    with open("/proc/%d/status" % exporter.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise Fail("no VmHWM in /proc/%d/status" % exporter.proc.pid)


def kv(key, value):
    """A KeyValue with a string value, protobuf."""
    return ob.pb_str(1, key) + ob.pb_len(2, ob.pb_str(1, value))


def span_id(i):
    return ob.pb_len(2, i.to_bytes(8, "big"))


def trace_request(resource_attrs, spans):
    """ExportTraceServiceRequest{resource_spans{resource{attributes}, scope_spans{spans}}}."""
    resource = ob.pb_len(1, b"".join(ob.pb_len(1, a) for a in resource_attrs))
    scope = ob.pb_len(2, b"".join(ob.pb_len(2, s) for s in spans))
    return ob.pb_len(1, resource + scope)


def llm_span(i, model="m"):
    return (span_id(i) + ob.pb_str(5, "chat") + ob.pb_len(9, kv("gen_ai.operation.name", "chat")) +
            ob.pb_len(9, kv("gen_ai.request.model", model)))


class Scenario:
    """One exporter, one hostile request (and valid ones); checks collected in `problems`."""

    config = ""

    def __init__(self, args, tmp):
        self.args = args
        cfg = ("web:\n  listen_address: 127.0.0.1:0\nstate:\n  dir: %s\n%s"
               % (os.path.join(tmp, "state"), self.config))
        self.exporter = ep.ExporterProc(args.exporter, tmp, cfg, name=self.name)
        self.problems = []
        self.growth_mib = 0.0

    def check(self, cond, what):
        if not cond:
            self.problems.append(what)

    def post(self, path, body, headers):
        status, _, reply = ep.request(self.exporter.port, "POST", path, body=body,
                                      headers=headers, timeout=300)
        return status, reply

    def measure(self, fn):
        """Runs fn() and returns its result; self.growth_mib is the VmHWM growth meanwhile."""
        before = vm_hwm_kb(self.exporter)
        result = fn()
        self.exporter.check_up(self.name)
        self.growth_mib = (vm_hwm_kb(self.exporter) - before) / 1024
        return result

    def check_growth(self, budget_mib):
        bound = ep.rss_bound_mib(budget_mib)
        self.check(self.growth_mib <= bound, "VmHWM grew by %.1f MiB, over the budget of %.0f MiB"
                   % (self.growth_mib, bound))

    def run(self):
        self.exporter.start()
        try:
            self.scenario()
            self.check(not self.exporter.log_errors(), "errors logged: %s" % self.exporter.log_errors())
        finally:
            self.exporter.stop()


class LongAttribute(Scenario):
    name = "long_attribute"

    def scenario(self):
        name = "s" * (256 * 1024)
        body = gzip.compress(trace_request([kv("service.name", name)],
                                           [llm_span(i + 1) for i in range(1000)]))
        status, reply = self.measure(lambda: self.post("/v1/traces", body, PROTO_GZIP))
        self.check(status == 200, "the request got %d %r" % (status, reply[:300]))
        m = self.exporter.scrape()
        cut = name[:LABEL_MAX]
        self.check(ep.value(m, "agent_llm_calls_total", agent_id=cut, model="m", status="success")
                   == 1000, "agent_llm_calls_total under the cut agent_id is %s, want 1000"
                   % ep.value(m, "agent_llm_calls_total", agent_id=cut, model="m", status="success"))
        self.check(ep.value(m, "agent_exporter_label_values_truncated_total",
                            metric="agent_llm_calls_total") == 1000,
                   "agent_exporter_label_values_truncated_total{metric=agent_llm_calls_total} is %s"
                   % ep.value(m, "agent_exporter_label_values_truncated_total",
                              metric="agent_llm_calls_total"))
        self.check_growth(48)
        self.summary = "%d bytes sent" % len(body)


class ItemCount(Scenario):
    name = "item_count"

    def scenario(self):
        empty = b"\x12\x00" * 4_000_000  # scope_spans / scope_logs{4M empty items}
        requests = [
            ("/v1/traces", ob.pb_len(1, ob.pb_len(2, empty)), PROTO_GZIP, b"more than 100000 items"),
            ("/v1/logs", ob.pb_len(1, ob.pb_len(2, empty)), PROTO_GZIP, b"more than 100000 items"),
            ("/v1/traces", b'{"resourceSpans":[{"scopeSpans":[{"spans":[' +
             b",".join([b"{}"] * 3_000_000) + b"]}]}]}", JSON_GZIP, b"more than 100000 items"),
            ("/v1/events", b"[" + b",".join([b"1"] * 8_000_000) + b"]", JSON_GZIP,
             b"more than 100000 events"),
            ("/v1/events", b"1\n" * 8_000_000, NDJSON_GZIP, b"more than 100000 events"),
        ]
        bodies = [(path, gzip.compress(body), headers, want) for path, body, headers, want in requests]
        sent = sum(len(b) for _, b, _, _ in bodies)

        def send_all():
            for path, body, headers, want in bodies:
                status, reply = self.post(path, body, headers)
                self.check(status == 413 and want in reply,
                           "%s (%d bytes gzip'd) got %d %r, want 413 naming the limit"
                           % (path, len(body), status, reply[:200]))
        self.measure(send_all)
        self.check_growth(64)

        # Valid requests beside them: every item counts.
        status, reply = self.post("/v1/traces", gzip.compress(
            trace_request([kv("service.name", "svc")], [llm_span(i + 1) for i in range(1000)])),
            PROTO_GZIP)
        self.check(status == 200, "1000 valid spans got %d %r" % (status, reply[:200]))
        events = b"\n".join(b'{"type":"tool_call","agent_id":"a","tool_name":"t","status":"success"}'
                             for _ in range(1000))
        status, reply = self.post("/v1/events", gzip.compress(events), NDJSON_GZIP)
        self.check(status == 200, "1000 valid events got %d %r" % (status, reply[:200]))
        m = self.exporter.scrape()
        got = ep.value(m, "agent_llm_calls_total", agent_id="svc", model="m", status="success")
        self.check(got == 1000, "agent_llm_calls_total is %s, want 1000" % got)
        got = ep.value(m, "agent_tool_calls_total", agent_id="a", tool_name="t", status="success")
        self.check(got == 1000, "agent_tool_calls_total is %s, want 1000" % got)
        for signal, n in (("traces", 2), ("logs", 1)):
            got = ep.value(m, "agent_exporter_otlp_requests_total", signal=signal, code="413")
            self.check(got == n, "otlp_requests_total{%s,413} is %s, want %d" % (signal, got, n))
        got = ep.value(m, "agent_exporter_push_requests_total", code="413")
        self.check(got == 2, "push_requests_total{413} is %s, want 2" % got)
        self.summary = "%d bytes sent in 5 hostile requests" % sent


def usage_points(first_value):
    """1000 cumulative claude_code.token.usage points, one series each (attribute k)."""
    pts = b""
    for i in range(1000):
        pts += ob.pb_len(1, ob.pb_len(7, kv("model", "m")) + ob.pb_len(7, kv("type", "input")) +
                         ob.pb_len(7, kv("k", str(i))) + ob.pb_fixed64(2, 1) +
                         ob.pb_fixed64(3, 2) + ob.pb_fixed64(6, first_value))
    # Sum{data_points, aggregation_temporality: cumulative (2), is_monotonic}
    return ob.pb_str(1, "claude_code.token.usage") + ob.pb_len(7, pts + ob.pb_varint(2, 2) +
                                                               ob.pb_varint(3, 1))


class Cumulative(Scenario):
    name = "cumulative"
    config = "otlp:\n  claude_code_usage: metrics\n"

    def scenario(self):
        big = kv("big", "x" * (256 * 1024))
        resource = ob.pb_len(1, ob.pb_len(1, kv("service.name", "svc")) + ob.pb_len(1, big))

        def request(value):
            return gzip.compress(ob.pb_len(1, resource + ob.pb_len(2, ob.pb_len(2, usage_points(value)))))

        rss_before = self.exporter.rss_kb()
        # The series started before the exporter: the first points only set the baseline.
        status, reply = self.measure(lambda: self.post("/v1/metrics", request(5), PROTO_GZIP))
        self.check(status == 200, "the request got %d %r" % (status, reply[:200]))
        stays_mib = (self.exporter.rss_kb() - rss_before) / 1024
        self.check(stays_mib <= ep.rss_bound_mib(16), "VmRSS stayed %.1f MiB higher, over 16 MiB"
                   % stays_mib)
        self.check_growth(48)
        status, reply = self.post("/v1/metrics", request(10), PROTO_GZIP)
        self.check(status == 200, "the second request got %d %r" % (status, reply[:200]))
        m = self.exporter.scrape()
        got = ep.value(m, "agent_exporter_otlp_dropped_total", signal="metrics",
                       reason="cumulative_baseline")
        self.check(got == 1000, "cumulative_baseline drops are %s, want 1000" % got)
        got = ep.value(m, "agent_tokens_consumed_total", agent_id="svc", model="m", direction="input")
        self.check(got == 5000, "agent_tokens_consumed_total is %s, want 5000" % got)
        self.summary = "%d bytes sent, VmRSS +%.1f MiB after" % (len(request(5)), stays_mib)


SCENARIOS = [LongAttribute, ItemCount, Cumulative]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", required=True, help="the agent_exporter binary")
    ap.add_argument("--only", choices=[s.name for s in SCENARIOS], help="run one scenario")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-amplification-")
    failed = 0
    for cls in SCENARIOS:
        if args.only and cls.name != args.only:
            continue
        t0 = time.time()
        os.makedirs(os.path.join(tmp, cls.name))
        s = cls(args, os.path.join(tmp, cls.name))
        try:
            s.run()
        except Fail as e:
            s.problems.append(str(e))
        except Exception:
            s.problems.append("unexpected error:\n%s" % traceback.format_exc())
        line = "%s: VmHWM +%.1f MiB, %.1f s, %s" % (cls.name, s.growth_mib, time.time() - t0,
                                                     getattr(s, "summary", ""))
        if s.problems:
            failed += 1
            print("FAIL: " + line + "\n  " + "\n  ".join(s.problems))
            print("---- agent_exporter log (%s) ----\n%s" % (s.exporter.log_path, s.exporter.tail()))
        else:
            print("OK: " + line)
    if failed:
        print("(temp dir kept for inspection: %s)" % tmp)
        return 1
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
