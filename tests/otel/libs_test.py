#!/usr/bin/env python3
"""Real GenAI instrumentation libraries against a real `agent_exporter serve`, counts exact.

  libs_test.py --exporter AGENT_EXPORTER_BINARY --work-dir DIR [--only LIB,..] [--keep]

Each library of tests/otel/libs (the real npm packages pinned in its package-lock.json:
OpenAI and Anthropic SDKs with the official OTel, Traceloop and OpenInference
instrumentations, the Vercel AI SDK, the Anthropic SDK's own spans, the source article's
hand-written spans) runs its agents against the scripted fake provider and exports to one
exporter with no span configuration at all. The expected values come from the ground truth
(what the provider answered, which tools ran, which runs ended how), never from the spans:
LLM calls by status, tokens by direction, cost, tool calls by status, runs, and exemplars
whose trace ids are those of the calls that fed each series.

Where a library cannot carry something, its spans decide and LIMITS says so (FINDINGS.md
has the evidence): e.g. the OpenAI-side instrumentations report no cached tokens, so the
cached ones count as input; Traceloop's OpenAI instrumentation never ends the span of a
failed call, so that call cannot be counted.

Also, with the same binary and no npm: the committed fixtures of the double-span library
(Traceloop around the Anthropic SDK's own spans) sent span by span with a SIGKILL and a
restart in the middle count exactly as the truth says, and `explain-otlp` explains every span
of all fixtures together.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.request

from otel_harness import (Exporter, Fail, find_price, fmt_labels, parse_exposition, prepare_npm,
                          require_tools, run_checked, tolerance)

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = os.path.join(HERE, "libs")
FIXTURES = os.path.join(LIBS, "fixtures")

PRICING = [
    {"match": "gpt-4o-mini", "input": 0.15, "output": 0.6, "cache_read": 0.075, "cache_write": 0.0},
    {"match": "gpt-4o", "input": 2.5, "output": 10.0, "cache_read": 1.25, "cache_write": 0.0},
    {"match": "claude-sonnet-4*", "input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
    {"match": "claude-haiku-4-5", "input": 1.0, "output": 5.0, "cache_read": 0.1, "cache_write": 1.25},
]
DIRECTIONS = ("input", "output", "cache_read", "cache_creation")
ALL_SCENARIOS = ["cached", "stream", "error", "tools", "stream_tools", "object"]

# What each library's spans cannot carry (FINDINGS.md), so the expectation follows the spans:
#   no_cache_attr     prompt tokens include the cached ones and no attribute tells them:
#                     input = uncached + cache read, no cache read counted
#   raw_anthropic     input excludes the cache and no cache attribute: no cache counted
#   failed_call_lost  the span of a failed call never ends: not exported, not counted
#   stream_no_usage   streamed calls carry no token counts (the call still counts)
#   failed_run_lost   a failed call loses its whole run's spans (call, tools, run)
#   failed_tool_lost  a throwing tool's span never ends
#   scenarios         the scenarios run (traceloop-workflow's SDK estimates streamed tokens
#                     with tiktoken instead of reading the usage: not exact, not run)
#   processor, batch_delay_ms   how the app exports (see below)
LIMITS = {
    "otel-openai": {"no_cache_attr": True},
    "traceloop-openai": {"no_cache_attr": True, "failed_call_lost": True, "stream_no_usage": True},
    "traceloop-workflow": {"no_cache_attr": True, "failed_run_lost": True, "failed_tool_lost": True,
                           "scenarios": ["cached", "error", "tools"]},
    "openinference-openai": {"failed_call_lost": True, "stream_no_usage": True},
    # One export per span: the two spans of each call reach the exporter in separate
    # requests (the dedup across requests).
    "traceloop-anthropic+sdk": {"processor": "simple"},
    # The article's gen_ai.chat spans carry no model: their run's, exported with them, gives
    # it (a batch holding whole runs, as a short-lived script's final flush does).
    "seed002": {"raw_anthropic": True, "batch_delay_ms": 60000},
}
LIBRARIES = ["otel-openai", "vercel-ai", "traceloop-openai", "traceloop-workflow",
             "traceloop-anthropic", "traceloop-anthropic+sdk", "anthropic-sdk",
             "openinference-openai", "openinference-anthropic", "openinference-anthropic+sdk",
             "seed002"]


def agent_names(lib):
    return ["%s.support-bot" % lib, "%s.research-bot" % lib]


def plan_for(lib, endpoint, protocol, otlp_file):
    lim = LIMITS.get(lib, {})
    scen = lim.get("scenarios", ALL_SCENARIOS)
    a, b = agent_names(lib)
    plan = {"endpoint": endpoint, "protocol": protocol, "processor": lim.get("processor", "batch"),
            "otlp_json_file": otlp_file,
            "agents": [
                {"name": a, "service_name": a, "openai_model": "gpt-4o-mini",
                 "anthropic_model": "claude-sonnet-4-6", "scenarios": scen},
                {"name": b, "service_name": b, "openai_model": "gpt-4o",
                 "anthropic_model": "claude-haiku-4-5",
                 "scenarios": [s for s in ["cached", "stream", "tools"] if s in scen]}]}
    if "batch_delay_ms" in lim:
        plan["batch_delay_ms"] = lim["batch_delay_ms"]
    return plan


class Expect:
    """Series of agent_exporter's metrics the truth implies (docs/events.md, mapping to metrics)."""

    def __init__(self):
        self.counters = {}  # family -> {labels: value}
        self.exemplar_traces = {}  # (family, labels) -> set of trace ids
        self.agents = set()

    def add(self, family, labels, v, trace=None):
        d = self.counters.setdefault(family, {})
        d[labels] = d.get(labels, 0.0) + v
        if trace:
            self.exemplar_traces.setdefault((family, labels), set()).add(trace)

    def from_truth(self, lib, truth):
        lim = LIMITS.get(lib, {})
        lost_scenarios = set()
        if lim.get("failed_run_lost"):
            lost_scenarios = {c["scenario"] for c in truth["calls"] if c["status"] == "failure"}
        for c in truth["calls"]:
            a, m = c["agent"], c["model"]
            self.agents.add(a)
            if c["scenario"] in lost_scenarios:
                continue
            if c["status"] == "failure" and lim.get("failed_call_lost"):
                continue
            u = dict(c["usage"] or {})
            tokens = {}
            if u and not (c["stream"] and lim.get("stream_no_usage")):
                tokens = {"input": u["input_uncached"], "output": u["output"],
                          "cache_read": u["cache_read"], "cache_creation": u["cache_creation"]}
                if lim.get("no_cache_attr"):
                    tokens["input"] += tokens["cache_read"]
                    tokens["cache_read"] = 0
                if lim.get("raw_anthropic"):
                    tokens["cache_read"] = tokens["cache_creation"] = 0
            self.add("agent_llm_calls_total", (("agent_id", a), ("model", m), ("status", c["status"])),
                     1, c["trace_id"])
            for d, v in tokens.items():
                self.add("agent_tokens_consumed_total", (("agent_id", a), ("direction", d), ("model", m)), v)
            price = find_price(PRICING, m)
            usd = sum(tokens.get(d, 0) * price[d if d != "cache_creation" else "cache_write"]
                      for d in DIRECTIONS) / 1e6
            self.add("agent_cost_usd_total", (("agent_id", a), ("model", m)), usd)
        for t in truth["tools"]:
            if not t.get("spanned", True) or t["scenario"] in lost_scenarios:
                continue
            if t["status"] == "failure" and lim.get("failed_tool_lost"):
                continue
            self.add("agent_tool_calls_total",
                     (("agent_id", t["agent"]), ("status", t["status"]), ("tool_name", t["tool_name"])),
                     1, t["trace_id"])
        for r in truth["runs"]:
            if not r.get("spanned", True) or r["scenario"] in lost_scenarios:
                continue
            self.add("agent_requests_total", (("agent_id", r["agent"]), ("status", r["status"])), 1,
                     r["trace_id"])


def compare(expect, samples):
    """Mismatches over the families Expect fills, on the series of expect's agents only."""
    problems = []
    for family, want_all in sorted(expect.counters.items()):
        want = {k: v for k, v in want_all.items() if v != 0}
        got = {labels: v for labels, (v, _) in samples.get(family, {}).items()
               if dict(labels).get("agent_id") in expect.agents and v != 0}
        for labels in sorted(set(want) | set(got)):
            w, g = want.get(labels, 0.0), got.get(labels, 0.0)
            if abs(w - g) > tolerance(family) * max(1.0, abs(w)):
                problems.append("%s%s: expected %r, got %r" % (family, fmt_labels(labels), w, g))
    for (family, labels), traces in sorted(expect.exemplar_traces.items()):
        got = samples.get(family, {}).get(labels)
        if got is None:
            continue  # reported above
        ex = got[1]
        if ex is None:
            problems.append("%s%s: no exemplar" % (family, fmt_labels(labels)))
        elif ex[0].get("trace_id") not in traces:
            problems.append("%s%s: exemplar trace %s is none of the calls that fed it %s" % (
                family, fmt_labels(labels), ex[0].get("trace_id"), sorted(traces)))
    return problems


def exporter_config(tmp, name, state=True):
    path = os.path.join(tmp, name + ".yml")
    cfg = {"web": {"listen_address": "127.0.0.1:0"}, "pricing": PRICING}
    if state:
        cfg["state"] = {"dir": os.path.join(tmp, name + "-state")}
    with open(path, "w") as f:
        json.dump(cfg, f)  # JSON is YAML
    return path


def run_libraries(args, node, tmp, libs):
    exporter = Exporter(args.exporter, tmp, exporter_config(tmp, "libs"))
    ok = False
    try:
        failures = []
        for i, lib in enumerate(libs):
            protocol = "http/json" if i % 3 == 2 else "http/protobuf"
            plan_path = os.path.join(tmp, lib + ".plan.json")
            with open(plan_path, "w") as f:
                json.dump(plan_for(lib, exporter.base, protocol, os.path.join(tmp, lib + ".otlp.jsonl")), f)
            p = run_checked([node, os.path.join(LIBS, "drive.mjs"), lib, plan_path], args.work_dir, 240,
                            "drive.mjs " + lib)
            env_note = p.stderr[-3000:]
            if p.returncode != 0:
                raise Fail("drive.mjs %s exited %d:\n%s%s" % (lib, p.returncode, p.stdout[-3000:], env_note))
            truth = json.loads(p.stdout)
            expect = Expect()
            expect.from_truth(lib, truth)
            problems = compare(expect, parse_exposition(exporter.scrape()))
            n_series = sum(len(v) for v in expect.counters.values())
            if problems:
                failures.append("%s (%s): %d mismatch(es):\n    %s" % (lib, protocol, len(problems),
                                                                      "\n    ".join(problems)))
            else:
                print("libs_test: %-28s %-14s %3d series exact (%d calls, %d tools, %d runs in the truth)" % (
                    lib, protocol, n_series, len(truth["calls"]), len(truth["tools"]), len(truth["runs"])))
        if failures:
            raise Fail("\n".join(failures))
        ok = True
    finally:
        rc = exporter.stop()
        if not ok:
            print("---- agent_exporter log ----\n%s" % exporter.tail())
    if rc != 0:
        raise Fail("agent_exporter exited %d on SIGTERM" % rc)


def post_json(base, body):
    req = urllib.request.Request(base + "/v1/traces", data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            raise Fail("POST /v1/traces answered %d" % r.status)


def split_per_span(line):
    """One OTLP JSON request per span, in the request's order (what SimpleSpanProcessor sends)."""
    req = json.loads(line)
    for rs in req.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                yield json.dumps({"resourceSpans": [{"resource": rs.get("resource", {}), "scopeSpans": [
                    {"scope": ss.get("scope", {}), "spans": [span]}]}]})


def run_restart(args, tmp):
    """The double-span fixture, span by span, with kill -9 and a restart halfway."""
    lib = "traceloop-anthropic+sdk"
    with open(os.path.join(FIXTURES, lib + ".otlp.jsonl")) as f:
        requests = [r for line in f if line.strip() for r in split_per_span(line)]
    with open(os.path.join(FIXTURES, lib + ".truth.json")) as f:
        truth = json.load(f)
    config = exporter_config(tmp, "restart")
    half = len(requests) // 2
    exporter = Exporter(args.exporter, tmp, config)
    try:
        for body in requests[:half]:
            post_json(exporter.base, body)
    finally:
        exporter.kill()  # acknowledged means on disk: the WAL holds the span memory too
    exporter = Exporter(args.exporter, tmp, config)
    ok = False
    try:
        for body in requests[half:]:
            post_json(exporter.base, body)
        for body in requests[half - 3:half]:  # sent again (a client retrying after the crash)
            post_json(exporter.base, body)
        expect = Expect()
        expect.from_truth(lib, truth)
        problems = compare(expect, parse_exposition(exporter.scrape()))
        if problems:
            raise Fail("%s span by span with a SIGKILL after %d of %d requests: %d mismatch(es):\n    %s" % (
                lib, half, len(requests), len(problems), "\n    ".join(problems)))
        print("libs_test: %s fixture, %d single-span requests, SIGKILL and restart after %d, 3 "
              "sent again: exact" % (lib, len(requests), half))
        ok = True
    finally:
        exporter.stop()
        if not ok:
            print("---- agent_exporter log ----\n%s" % exporter.tail())


def run_explain(args, tmp):
    """explain-otlp over every fixture at once: one explanation per span, each decided."""
    mixed = os.path.join(tmp, "mixed.otlp.jsonl")
    n_spans = 0
    with open(mixed, "w") as out:
        for name in sorted(os.listdir(FIXTURES)):
            if name.endswith(".otlp.jsonl"):
                with open(os.path.join(FIXTURES, name)) as f:
                    for line in f:
                        if line.strip():
                            out.write(line if line.endswith("\n") else line + "\n")
                            n_spans += sum(len(ss.get("spans", [])) for rs in json.loads(line)["resourceSpans"]
                                           for ss in rs.get("scopeSpans", []))
    p = subprocess.run([args.exporter, "explain-otlp", "--format", "json", mixed],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise Fail("explain-otlp exited %d: %s" % (p.returncode, p.stderr))
    rows = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    if len(rows) != n_spans:
        raise Fail("explain-otlp: %d explanations for %d spans" % (len(rows), n_spans))
    outcomes = {}
    for r in rows:
        key = r["outcome"] + (":" + r["reason"] if r["reason"] else "")
        outcomes[key] = outcomes.get(key, 0) + 1
        if r["outcome"] in ("llm_call", "tool_call", "run"):
            if not r["rule"] or r["event"]["type"] != r["outcome"]:
                raise Fail("explain-otlp: counted span without its rule or event: %r" % r)
        elif not r["detail"]:
            raise Fail("explain-otlp: %s span without a reason: %r" % (r["outcome"], r))
        if r["outcome"] == "dropped" and r["reason"] == "not_genai":
            raise Fail("explain-otlp: a span of a GenAI library matched no rule: %r" % r)
    text = subprocess.run([args.exporter, "explain-otlp", mixed], capture_output=True, text=True,
                          timeout=60).stdout
    if not text.splitlines()[-1].startswith("summary: "):
        raise Fail("explain-otlp text output has no summary line")
    print("libs_test: explain-otlp: %d spans of %d libraries explained: %s" % (
        n_spans, len(LIBRARIES), ", ".join("%s %d" % kv for kv in sorted(outcomes.items()))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--work-dir", required=True, help="where node_modules is installed")
    ap.add_argument("--only", help="comma-separated libraries (default: all)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.work_dir = os.path.abspath(args.work_dir)
    libs = args.only.split(",") if args.only else LIBRARIES
    tmp = tempfile.mkdtemp(prefix="agx-libs-")
    failed = False
    try:
        run_explain(args, tmp)
        run_restart(args, tmp)
        node, npm = require_tools()
        prepare_npm(npm, LIBS, args.work_dir)
        os.environ["LIBS_MODULES_DIR"] = args.work_dir
        os.environ["OTEL_NODE_RESOURCE_DETECTORS"] = "none"
        run_libraries(args, node, tmp, libs)
    except Fail as e:
        failed = True
        print("FAIL: %s" % e)
    except Exception:
        failed = True
        print("FAIL: unexpected error:\n%s" % traceback.format_exc())
    finally:
        if failed or args.keep:
            print("libs_test: files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (0 if failed else 1, 1 if failed else 0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
