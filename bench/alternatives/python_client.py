#!/usr/bin/env python3
"""The "script it yourself" alternative: agent events to Prometheus metrics in Python with
Debian's python3-prometheus-client, as the source article does it, written to be fair and
reasonably fast.

Reads native event files (docs/events.md) once, line by line with json.loads, updates the
metrics of the agent_exporter catalogue (same names, labels and buckets; exemplars with
trace_id and span_id on the metrics docs/events.md marks; tokens priced from the pricing
table of config/agent_exporter.yml, unpriced tokens counted), and prints the exposition.
Label children are cached in dicts so that the per-event cost is a dict lookup, not a
labels() call. Not done: the sliding-window gauges of `task` events, and most validation
(lines that are not JSON objects with a type and an agent_id are skipped and counted).

  python_client.py [--format openmetrics|text] [--config FILE] EVENTS.jsonl...
"""
import argparse
import json
import os
import sys

import yaml
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as text_latest
from prometheus_client.openmetrics.exposition import generate_latest as om_latest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REQUEST_BUCKETS = (0.5, 1, 2, 5, 10, 20, 60, 120)
MODEL_BUCKETS = (0.1, 0.3, 0.5, 1, 2, 5, 10, 20, 60)
TOOL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
STEP_BUCKETS = (1, 2, 3, 5, 8, 12, 20)
TOOLS_PER_RUN_BUCKETS = (1, 2, 5, 10, 15, 25, 40)
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TOKEN_FIELDS = (("input_tokens", "input", "input"), ("output_tokens", "output", "output"),
                ("cache_read_tokens", "cache_read", "cache_read"),
                ("cache_creation_tokens", "cache_creation", "cache_write"))


def load_pricing(path):
    with open(path, encoding="utf-8") as f:
        return (yaml.safe_load(f) or {}).get("pricing") or []


def find_price(pricing, model):
    """Exact match first, else the longest prefix ending in '*' (docs/events.md#cost)."""
    best = None
    for p in pricing:
        m = p["match"]
        if m == model:
            return p
        if m.endswith("*") and model.startswith(m[:-1]) and (best is None or len(m) > len(best["match"])):
            best = p
    return best


class Metrics:
    """The catalogue's agent metrics on one CollectorRegistry, with cached label children."""

    def __init__(self, pricing):
        r = self.registry = CollectorRegistry(auto_describe=False)
        self.pricing = pricing
        self.requests = Counter("agent_requests_total", "Agent runs (requests) finished, by status.",
                                ["agent_id", "status"], registry=r)
        self.request_duration = Histogram("agent_request_duration_seconds",
                                          "End-to-end duration of agent runs in seconds.", ["agent_id"],
                                          buckets=REQUEST_BUCKETS, registry=r)
        self.llm_calls = Counter("agent_llm_calls_total", "LLM calls made by agents, by model and status.",
                                 ["agent_id", "model", "status"], registry=r)
        self.tokens = Counter("agent_tokens_consumed_total", "Tokens consumed by LLM calls, by direction.",
                              ["agent_id", "model", "direction"], registry=r)
        self.model_latency = Histogram("agent_model_latency_seconds", "Latency of LLM calls in seconds.",
                                       ["agent_id", "model"], buckets=MODEL_BUCKETS, registry=r)
        self.cost = Counter("agent_cost_usd_total", "Spend on LLM calls in US dollars.",
                            ["agent_id", "model"], registry=r)
        self.tool_calls = Counter("agent_tool_calls_total", "Tool calls made by agents, by tool and status.",
                                  ["agent_id", "tool_name", "status"], registry=r)
        self.tool_duration = Histogram("agent_tool_duration_seconds", "Duration of tool calls in seconds.",
                                       ["agent_id", "tool_name"], buckets=TOOL_BUCKETS, registry=r)
        self.reasoning_steps = Histogram("agent_reasoning_steps", "Reasoning steps per agent run.",
                                         ["agent_id"], buckets=STEP_BUCKETS, registry=r)
        self.tool_calls_per_run = Histogram("agent_tool_calls_per_run", "Tool calls per agent run.",
                                            ["agent_id"], buckets=TOOLS_PER_RUN_BUCKETS, registry=r)
        self.step_outcomes = Counter("agent_step_outcomes_total", "Reasoning step outcomes.",
                                     ["agent_id", "outcome"], registry=r)
        self.hallucinations = Counter("agent_hallucination_total", "Detected hallucinations, by type.",
                                      ["agent_id", "hallucination_type"], registry=r)
        self.recoveries = Counter("agent_recovery_attempts_total", "Recovery attempts, by strategy.",
                                  ["agent_id", "recovery_strategy"], registry=r)
        self.approvals = Counter("agent_approvals_total", "Human approval requests, by result.",
                                 ["agent_id", "result"], registry=r)
        self.tasks = Counter("agent_tasks_total", "Tasks ended, by task type and outcome.",
                             ["agent_id", "task_type", "outcome"], registry=r)
        self.feedback = Histogram("agent_user_feedback_score", "User feedback scores (0 to 1).",
                                  ["agent_id", "task_type"], buckets=SCORE_BUCKETS, registry=r)
        self.eval_score = Histogram("agent_eval_score", "Evaluator scores (0 to 1).",
                                    ["agent_id", "evaluator"], buckets=SCORE_BUCKETS, registry=r)
        self.events = Counter("agent_exporter_events_total", "Events applied, by source and event type.",
                              ["source", "type"], registry=r)
        self.rejected = Counter("agent_exporter_events_rejected_total", "Lines rejected, by source and reason.",
                                ["source", "reason"], registry=r)
        self.unpriced = Counter("agent_exporter_unpriced_tokens_total", "Tokens of models with no price.",
                                ["model"], registry=r)
        self.cache = {}      # (metric, label values...) -> child
        self.prices = {}     # model -> price entry or None
        self.handlers = {"run": self.run, "llm_call": self.llm_call, "tool_call": self.tool_call,
                         "step": self.step, "hallucination": self.hallucination, "recovery": self.recovery,
                         "approval": self.approval, "task": self.task, "feedback": self.feedback_event,
                         "eval": self.eval_event}

    def child(self, metric, *labels):
        key = (id(metric),) + labels
        c = self.cache.get(key)
        if c is None:
            c = self.cache[key] = metric.labels(*labels)
        return c

    @staticmethod
    def exemplar(ev):
        trace = ev.get("trace_id")
        if not trace:
            return None
        span = ev.get("span_id")
        return {"trace_id": trace, "span_id": span} if span else {"trace_id": trace}

    def apply(self, ev):
        handler = self.handlers.get(ev.get("type"))
        if handler is None or not ev.get("agent_id"):
            self.child(self.rejected, "file", "invalid").inc()
            return
        handler(ev, ev["agent_id"])
        self.child(self.events, "file", ev["type"]).inc()

    def run(self, ev, a):
        ex = self.exemplar(ev)
        self.child(self.requests, a, ev["status"]).inc(1, ex)
        d = ev.get("duration_ms")
        if d is not None:
            self.child(self.request_duration, a).observe(d / 1000.0, ex)
        n = ev.get("steps")
        if n is not None:
            self.child(self.reasoning_steps, a).observe(n, ex)
        n = ev.get("tool_calls")
        if n is not None:
            self.child(self.tool_calls_per_run, a).observe(n, ex)

    def llm_call(self, ev, a):
        ex = self.exemplar(ev)
        m = ev["model"]
        self.child(self.llm_calls, a, m, ev.get("status", "success")).inc(1, ex)
        if m in self.prices:
            price = self.prices[m]
        else:
            price = self.prices[m] = find_price(self.pricing, m)
        cost = tokens = 0
        for field, direction, pkey in TOKEN_FIELDS:
            n = ev.get(field)
            if n:
                tokens += n
                self.child(self.tokens, a, m, direction).inc(n)
                if price:
                    cost += n * price.get(pkey, 0) / 1e6
        if "cost_usd" in ev:
            self.child(self.cost, a, m).inc(ev["cost_usd"])
        elif price:
            self.child(self.cost, a, m).inc(cost)
        elif tokens:
            self.child(self.unpriced, m).inc(tokens)
        d = ev.get("duration_ms")
        if d is not None:
            self.child(self.model_latency, a, m).observe(d / 1000.0, ex)

    def tool_call(self, ev, a):
        ex = self.exemplar(ev)
        t = ev["tool_name"]
        self.child(self.tool_calls, a, t, ev["status"]).inc(1, ex)
        d = ev.get("duration_ms")
        if d is not None:
            self.child(self.tool_duration, a, t).observe(d / 1000.0, ex)

    def step(self, ev, a):
        self.child(self.step_outcomes, a, ev["outcome"]).inc()

    def hallucination(self, ev, a):
        self.child(self.hallucinations, a, ev["hallucination_type"]).inc(1, self.exemplar(ev))

    def recovery(self, ev, a):
        self.child(self.recoveries, a, ev["strategy"]).inc()

    def approval(self, ev, a):
        self.child(self.approvals, a, ev["result"]).inc()

    def task(self, ev, a):
        self.child(self.tasks, a, ev["task_type"], ev["outcome"]).inc()

    def feedback_event(self, ev, a):
        self.child(self.feedback, a, ev.get("task_type") or "unknown").observe(ev["score"], self.exemplar(ev))

    def eval_event(self, ev, a):
        self.child(self.eval_score, a, ev["evaluator"]).observe(ev["score"], self.exemplar(ev))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--format", choices=["openmetrics", "text"], default="openmetrics")
    ap.add_argument("--config", default=os.path.join(ROOT, "config", "agent_exporter.yml"),
                    help="YAML file whose pricing table prices the tokens")
    args = ap.parse_args()
    metrics = Metrics(load_pricing(args.config))
    apply, loads = metrics.apply, json.loads
    for path in args.files:
        with open(path, "rb") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    ev = loads(line)
                except ValueError:
                    metrics.child(metrics.rejected, "file", "invalid_json").inc()
                    continue
                if type(ev) is not dict:
                    metrics.child(metrics.rejected, "file", "invalid_json").inc()
                    continue
                try:
                    apply(ev)
                except (KeyError, TypeError, ValueError):
                    metrics.child(metrics.rejected, "file", "invalid").inc()
    out = om_latest(metrics.registry) if args.format == "openmetrics" else text_latest(metrics.registry)
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
