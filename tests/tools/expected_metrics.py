#!/usr/bin/env python3
"""Independent oracle: computes, from native event files, the metric values agent_exporter
must expose (docs/events.md), and compares them with an OpenMetrics exposition.

  expected_metrics.py --config CONFIG.yml --exposition OUT.om EVENTS.jsonl...

It shares no code with the exporter: it parses the events with Python's json module, prices
tokens from the config with its own reading of the pricing rules, and parses the exposition
with prometheus_client's strict OpenMetrics parser. Exit status 0 when every counter, every
histogram count, sum and bucket, and the rejected-line total match; 1 otherwise.
"""
import argparse
import collections
import json
import math
import sys

import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families

ENUMS = {
    ("run", "status"): {"success", "failure"},
    ("llm_call", "status"): {"success", "failure"},
    ("tool_call", "status"): {"success", "failure", "timeout"},
    ("step", "outcome"): {"completed", "tool_call_failed", "hallucination", "recovery",
                          "max_steps", "safety_blocked"},
    ("approval", "result"): {"approved", "denied", "timeout", "overridden"},
    ("task", "outcome"): {"completed", "failed", "abandoned", "escalated"},
}
REQUIRED = {
    "run": ["status"], "llm_call": ["model"], "tool_call": ["tool_name", "status"],
    "step": ["outcome"], "hallucination": ["hallucination_type"], "recovery": ["strategy"],
    "approval": ["result"], "task": ["task_type", "outcome"], "feedback": ["score"],
    "eval": ["evaluator", "score"],
}
NUMBERS = ["duration_ms", "steps", "tool_calls", "input_tokens", "output_tokens",
           "cache_read_tokens", "cache_creation_tokens", "cost_usd", "score", "step"]


def valid(ev):
    """A deliberately simple validity check, enough for generated streams."""
    if not isinstance(ev, dict) or ev.get("type") not in REQUIRED or not ev.get("agent_id"):
        return False
    for f in REQUIRED[ev["type"]]:
        if f not in ev or ev[f] in ("", None):
            return False
    for (t, f), allowed in ENUMS.items():
        if ev["type"] == t and f in ev and ev[f] not in allowed:
            return False
    for f in NUMBERS:
        if f in ev:
            v = ev[f]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v):
                return False
    return True


def price_for(pricing, model):
    for p in pricing:
        if p["match"] == model:
            return p
    best = None
    for p in pricing:
        m = p["match"]
        if m.endswith("*") and model.startswith(m[:-1]) and (best is None or len(m) > len(best["match"])):
            best = p
    return best


class Expect:
    def __init__(self):
        self.counters = collections.defaultdict(float)   # (name, labels tuple) -> value
        self.hist = collections.defaultdict(list)         # (name, labels tuple) -> values
        self.rejected = 0

    def inc(self, name, labels, v=1.0):
        self.counters[(name, tuple(sorted(labels.items())))] += v

    def obs(self, name, labels, v):
        self.hist[(name, tuple(sorted(labels.items())))].append(v)


def expected_from(files, pricing):
    e = Expect()
    for path in files:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            for raw in f:
                line = raw.rstrip("\n").rstrip("\r")
                if not line.strip():
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    e.rejected += 1
                    continue
                if not valid(ev):
                    e.rejected += 1
                    continue
                apply(e, ev, pricing)
    return e


def apply(e, ev, pricing):
    t, a = ev["type"], ev["agent_id"]
    e.inc("agent_exporter_events_total", {"source": "file", "type": t})
    if t == "run":
        e.inc("agent_requests_total", {"agent_id": a, "status": ev["status"]})
        if "duration_ms" in ev:
            e.obs("agent_request_duration_seconds", {"agent_id": a}, ev["duration_ms"] / 1000.0)
        if "steps" in ev:
            e.obs("agent_reasoning_steps", {"agent_id": a}, ev["steps"])
        if "tool_calls" in ev:
            e.obs("agent_tool_calls_per_run", {"agent_id": a}, ev["tool_calls"])
    elif t == "llm_call":
        m = ev["model"]
        e.inc("agent_llm_calls_total", {"agent_id": a, "model": m, "status": ev.get("status", "success")})
        price = price_for(pricing, m)
        cost, tokens = 0.0, 0.0
        for field, direction, pkey in [("input_tokens", "input", "input"), ("output_tokens", "output", "output"),
                                       ("cache_read_tokens", "cache_read", "cache_read"),
                                       ("cache_creation_tokens", "cache_creation", "cache_write")]:
            n = ev.get(field)
            if n is None:
                continue
            tokens += n
            if n > 0:
                e.inc("agent_tokens_consumed_total", {"agent_id": a, "model": m, "direction": direction}, n)
            if price:
                cost += n * price.get(pkey, 0) / 1e6
        if "cost_usd" in ev:
            e.inc("agent_cost_usd_total", {"agent_id": a, "model": m}, ev["cost_usd"])
        elif price:
            e.inc("agent_cost_usd_total", {"agent_id": a, "model": m}, cost)
        elif tokens > 0:
            e.inc("agent_exporter_unpriced_tokens_total", {"model": m}, tokens)
        if "duration_ms" in ev:
            e.obs("agent_model_latency_seconds", {"agent_id": a, "model": m}, ev["duration_ms"] / 1000.0)
    elif t == "tool_call":
        e.inc("agent_tool_calls_total", {"agent_id": a, "tool_name": ev["tool_name"], "status": ev["status"]})
        if "duration_ms" in ev:
            e.obs("agent_tool_duration_seconds", {"agent_id": a, "tool_name": ev["tool_name"]},
                  ev["duration_ms"] / 1000.0)
    elif t == "step":
        e.inc("agent_step_outcomes_total", {"agent_id": a, "outcome": ev["outcome"]})
    elif t == "hallucination":
        e.inc("agent_hallucination_total", {"agent_id": a, "hallucination_type": ev["hallucination_type"]})
    elif t == "recovery":
        e.inc("agent_recovery_attempts_total", {"agent_id": a, "recovery_strategy": ev["strategy"]})
    elif t == "approval":
        e.inc("agent_approvals_total", {"agent_id": a, "result": ev["result"]})
    elif t == "task":
        e.inc("agent_tasks_total", {"agent_id": a, "task_type": ev["task_type"], "outcome": ev["outcome"]})
    elif t == "feedback":
        e.obs("agent_user_feedback_score", {"agent_id": a, "task_type": ev.get("task_type") or "unknown"},
              ev["score"])
    elif t == "eval":
        e.obs("agent_eval_score", {"agent_id": a, "evaluator": ev["evaluator"]}, ev["score"])


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def compare(expect, text, source="file", include=lambda labels: True):
    got_counters, got_hist = {}, collections.defaultdict(dict)
    rejected = 0.0
    exemplar_traces = set()
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if not include(s.labels):
                continue
            key = tuple(sorted(s.labels.items()))
            if s.exemplar is not None:
                exemplar_traces.add(s.exemplar.labels.get("trace_id"))
            if fam.type == "counter" and s.name.endswith("_total"):
                if fam.name == "agent_exporter_events_rejected":
                    if s.labels.get("source") == source:
                        rejected += s.value
                    continue
                got_counters[(s.name, key)] = s.value
            elif fam.type == "histogram":
                base = tuple(kv for kv in key if kv[0] != "le")
                h = got_hist[(fam.name, base)]
                if s.name.endswith("_bucket"):
                    h.setdefault("buckets", {})[float(s.labels["le"])] = s.value
                elif s.name.endswith("_count"):
                    h["count"] = s.value
                elif s.name.endswith("_sum"):
                    h["sum"] = s.value
    problems = []
    for k, v in expect.counters.items():
        g = got_counters.get(k)
        if g is None or not close(g, v):
            problems.append("counter %s%s: want %r got %r" % (k[0], dict(k[1]), v, g))
    checked_names = {k[0] for k in expect.counters}
    for k, g in got_counters.items():
        if k[0] in checked_names and k not in expect.counters and g != 0:
            problems.append("unexpected counter %s%s = %r" % (k[0], dict(k[1]), g))
    for k, values in expect.hist.items():
        h = got_hist.get(k)
        if h is None:
            problems.append("histogram %s%s missing" % (k[0], dict(k[1])))
            continue
        if h.get("count") != len(values):
            problems.append("histogram %s%s count: want %d got %r" % (k[0], dict(k[1]), len(values), h.get("count")))
        if not close(h.get("sum", float("nan")), math.fsum(values)):
            problems.append("histogram %s%s sum: want %r got %r" % (k[0], dict(k[1]), math.fsum(values), h.get("sum")))
        for le, n in h.get("buckets", {}).items():
            want = sum(1 for v in values if v <= le)
            if n != want:
                problems.append("histogram %s%s le=%r: want %d got %r" % (k[0], dict(k[1]), le, want, n))
    if rejected != expect.rejected:
        problems.append("rejected lines: want %d got %r" % (expect.rejected, rejected))
    return problems, exemplar_traces


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--exposition", required=True)
    ap.add_argument("events", nargs="+")
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as f:
        pricing = (yaml.safe_load(f) or {}).get("pricing", [])
    expect = expected_from(args.events, pricing)
    with open(args.exposition, encoding="utf-8") as f:
        text = f.read()
    problems, traces = compare(expect, text)
    sent_traces = set()
    for path in args.events:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    sent_traces.add(json.loads(line).get("trace_id"))
                except (ValueError, AttributeError):
                    pass
    unknown = traces - sent_traces
    if not traces:
        problems.append("no exemplars in the exposition")
    if unknown:
        problems.append("exemplar trace ids never sent: %s" % sorted(unknown)[:5])
    n_series = len(expect.counters) + len(expect.hist)
    if problems:
        print("MISMATCH (%d problems):" % len(problems))
        for p in problems[:50]:
            print("  " + p)
        return 1
    print("OK: %d counter series, %d histograms, %d rejected lines, %d exemplar traces all match"
          % (len(expect.counters), len(expect.hist), expect.rejected, len(traces)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
