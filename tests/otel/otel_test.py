#!/usr/bin/env python3
"""The official OpenTelemetry JS SDK against a real `agent_exporter serve`, counts exact.

  otel_test.py --exporter AGENT_EXPORTER_BINARY --work-dir DIR [--seed N] [--keep]

What it proves (docs/otlp.md is the contract; every expected value is computed here from
the plan, independently of the exporter's code):
  - send.mjs, with the exact SDK packages pinned in package-lock.json, sends GenAI spans
    (chat / text_completion / generate_content, execute_tool, invoke_agent, plus non-GenAI
    spans), Claude-Code-shaped log events (the user's and automatic tool decisions
    included) and delta claude_code.* metrics over both http/json and http/protobuf, with
    and without gzip;
  - agent_exporter answers every export with success, and its exposition then holds exactly
    the LLM calls, tokens (semconv input minus cached tokens), cost, tool calls, runs,
    approvals by result (the user's tool decisions), latency histograms, applied /
    rejected / dropped item counts and request counts the plan implies;
  - exemplars carry the trace and span ids the SDK generated, on the series of the span
    they came from;
  - `otlp.claude_code_usage` counts Claude Code's tokens and cost once: from the log events
    (default `logs`) or from the metrics (`metrics`); the exporter runs once with each.

npm: package.json and package-lock.json are copied into DIR and `npm ci` runs there only
when they changed (a stamp holds their sha256), so node_modules is never written into the
source tree. node and npm are required: their absence fails the test (install nodejs and
npm, see README.md).

Everything started is torn down on success and failure. A failure prints the mismatches
(expected vs actual, per series) and the exporter's log.
"""
import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback

from otel_harness import (Exporter, Fail, find_price, fmt_labels, parse_exposition, prepare_npm,
                          require_tools, run_checked, tolerance)

HERE = os.path.dirname(os.path.abspath(__file__))
SENDER = "send.mjs"

# USD per million tokens, written into the exporter's config (replacing the built-in list).
PRICING = [
    {"match": "gpt-4o", "input": 2.5, "output": 10.0, "cache_read": 1.25, "cache_write": 0.0},
    {"match": "gpt-4o-mini", "input": 0.15, "output": 0.6, "cache_read": 0.075, "cache_write": 0.0},
    {"match": "claude-sonnet-4*", "input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
    {"match": "claude-haiku-4-5", "input": 1.0, "output": 5.0, "cache_read": 0.1, "cache_write": 1.25},
    {"match": "claude-opus-4*", "input": 5.0, "output": 25.0, "cache_read": 0.5, "cache_write": 6.25},
]
UNPRICED_MODEL = "acme-local-llm"
SPAN_MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", UNPRICED_MODEL]
CC_MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6"]
TOOLS = ["web_search", "read_file", "run_sql", "send_email"]
CC_TOOLS = ["Read", "Bash", "Edit", "Grep"]
CC_RESOURCE = {"service.name": "claude-code", "service.version": "2.1.220", "os.type": "linux",
               "host.arch": "amd64"}
DIRECTIONS = ("input", "output", "cache_read", "cache_creation")
METRIC_TYPE = {"input": "input", "output": "output", "cacheRead": "cache_read",
               "cacheCreation": "cache_creation"}
API_KIND = {"internal": 0, "server": 1, "client": 2}
STATUS_ERROR = 2  # SpanStatusCode.ERROR (API and OTLP alike)



# ------------------------------------------------------------------------------ the plan

class Planner:
    """Builds the plan send.mjs executes and, item by item, the native events (docs/events.md)
    docs/otlp.md says each item becomes; see Expect for what they add up to."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.base_s = int(time.time()) - 600
        self.clock_ns = 0
        self.items = []  # {"signal", "batch", "kind": "event"|"drop"|"reject", ...}

    # -- time: every item gets its own strictly increasing times

    def times(self, duration_ns):
        self.clock_ns += 1_000_000_000
        start = self.clock_ns
        return start, start + duration_ns

    def hr(self, ns):
        return [self.base_s + ns // 1_000_000_000, ns % 1_000_000_000]

    # -- spans

    def span(self, key, name, kind, attrs, duration_ns, error=None):
        start, end = self.times(duration_ns)
        s = {"key": key, "name": name, "kind": API_KIND[kind], "attributes": attrs,
             "start": self.hr(start), "end": self.hr(end)}
        if error is not None:
            s["status"] = {"code": STATUS_ERROR, "message": error}
        s["_duration_ms"] = duration_ns / 1e6
        return s

    def chat_span(self, b, key, resource, agent_attrs, *, clamp=False, string_tokens=False,
                  no_model=False):
        r = self.rng
        model = r.choice(SPAN_MODELS)
        op = r.choice(["chat"] * 6 + ["text_completion", "generate_content"])
        attrs = {"gen_ai.operation.name": op}
        attrs.update(agent_attrs)
        provider = "anthropic" if model.startswith("claude") else "openai"
        attrs["gen_ai.provider.name" if r.random() < 0.5 else "gen_ai.system"] = provider
        where = r.random()
        if not no_model:
            if where < 0.15:
                attrs["gen_ai.response.model"] = model  # only the response model
            elif where < 0.3:  # both: the request model wins
                attrs["gen_ai.request.model"] = model
                attrs["gen_ai.response.model"] = model + "-2026-01-01"
            else:
                attrs["gen_ai.request.model"] = model
        new_names = r.random() < 0.6
        inp, out = r.randint(50, 6000), r.randint(1, 900)
        cache_read = r.randint(0, inp) if r.random() < 0.4 else None
        cache_creation = r.randint(0, inp // 3) if model.startswith("claude") and r.random() < 0.5 else None
        if clamp:  # cached tokens above the input tokens: input counts 0, never negative
            inp, cache_read, cache_creation = 100, 150, None
        attrs["gen_ai.usage.input_tokens" if new_names else "gen_ai.usage.prompt_tokens"] = \
            str(inp) if string_tokens else inp
        attrs["gen_ai.usage.output_tokens" if new_names else "gen_ai.usage.completion_tokens"] = out
        if cache_read is not None:
            attrs["gen_ai.usage.cache_read.input_tokens"] = cache_read
        if cache_creation is not None:
            key_cc = r.choice(["gen_ai.usage.cache_creation.input_tokens",
                               "gen_ai.usage.cache_write.input_tokens"])
            attrs[key_cc] = cache_creation
        error, failed = None, False
        e = r.random()
        if e < 0.1:
            error, failed = "rate limited", True
            attrs["error.type"] = "rate_limit_exceeded"
        elif e < 0.17:
            attrs["error.type"] = "500"  # error.type alone fails the call
            failed = True
        elif e < 0.24:
            error, failed = "upstream closed", True  # ERROR status alone
        else:
            attrs["gen_ai.response.finish_reasons"] = ["stop"]
        s = self.span(key, "%s %s" % (op, model), "client", attrs,
                      r.randint(40_000_000, 4_000_000_000), error)
        if no_model:  # no model on the span nor above it: otlp.default_model ("unknown")
            model = "unknown"
        cr, cc = cache_read or 0, cache_creation or 0
        ev = {"type": "llm_call", "agent_id": agent_id(agent_attrs, resource), "model": model,
              "status": "failure" if failed else "success",
              "input_tokens": max(0, inp - cr - cc), "output_tokens": out,
              "duration_ms": s["_duration_ms"], "span_key": (b, key)}
        if cache_read is not None:
            ev["cache_read_tokens"] = cache_read
        if cache_creation is not None:
            ev["cache_creation_tokens"] = cache_creation
        self.items.append({"signal": "traces", "batch": b, "kind": "event", "event": ev})
        return s

    def tool_span(self, b, key, resource, agent_attrs, *, force_timeout=False, reject=False):
        r = self.rng
        tool = r.choice(TOOLS)
        attrs = {"gen_ai.operation.name": "execute_tool"}
        attrs.update(agent_attrs)
        if not reject:
            attrs["gen_ai.tool.name"] = tool
        attrs["gen_ai.tool.call.id"] = "call_%d_%s" % (b, key)
        error, status = None, "success"
        e = 0.0 if force_timeout else r.random()
        if e < 0.08:
            attrs["error.type"] = "timeout"
            status = "timeout"
        elif e < 0.14:
            attrs["error.type"] = "ToolTimeoutError"  # contains "timeout" in another case
            error, status = "deadline", "timeout"
        elif e < 0.22:
            error, status = "tool failed", "failure"
        elif e < 0.28:
            attrs["error.type"] = "ValueError"
            status = "failure"
        s = self.span(key, "execute_tool %s" % tool, "internal", attrs,
                      r.randint(1_000_000, 2_000_000_000), error)
        if reject:
            self.items.append({"signal": "traces", "batch": b, "kind": "reject",
                               "reason": "missing_field"})
            return s
        self.items.append({"signal": "traces", "batch": b, "kind": "event",
                           "event": {"type": "tool_call", "agent_id": agent_id(agent_attrs, resource),
                                     "tool_name": tool,
                                     "status": status, "duration_ms": s["_duration_ms"],
                                     "span_key": (b, key)}})
        return s

    def other_span(self, b, key):
        r = self.rng
        choice = r.randrange(3)
        if choice == 0:
            attrs, name, kind = {"http.request.method": "GET", "url.path": "/api/orders",
                                 "http.response.status_code": 200}, "GET /api/orders", "server"
        elif choice == 1:
            attrs, name, kind = {"db.system.name": "postgresql", "db.operation.name": "SELECT"}, \
                "SELECT orders", "client"
        else:  # a GenAI operation agent_exporter does not count: a rule ignores it
            attrs, name, kind = {"gen_ai.operation.name": "embeddings",
                                 "gen_ai.request.model": "text-embedding-3-small",
                                 "gen_ai.usage.input_tokens": 12}, "embeddings", "client"
        reason = "ignored" if "gen_ai.operation.name" in attrs else "not_genai"
        self.items.append({"signal": "traces", "batch": b, "kind": "drop", "reason": reason})
        return self.span(key, name, kind, attrs, r.randint(1_000_000, 50_000_000))

    def traces(self, b):
        r = self.rng
        # Two resources (one provider each); runs carry gen_ai.agent.name, gen_ai.agent.id or
        # no agent attribute (the resource's service.name is the agent id).
        res_a = {"service.name": "otel-sdk-svc", "service.version": "1.2.3"}
        res_b = {"service.name": "planner-svc"}
        groups = [{"resource": res_a, "spans": []}, {"resource": res_b, "spans": []}]
        n = 0

        def key():
            nonlocal n
            n += 1
            return "s%d" % n

        for run in range(r.randint(3, 5)):
            flavour = r.randrange(3)
            if flavour == 0:
                group, run_attrs = groups[1], {"gen_ai.agent.name": "planner"}
            elif flavour == 1:
                group, run_attrs = groups[0], {}
            else:
                group, run_attrs = groups[0], {"gen_ai.agent.id": "agent-7"}
            res = group["resource"]
            # The run starts before its children and ends after them.
            start, _ = self.times(0)
            children = []
            for c in range(r.randint(1, 3)):
                # The agent attribute on some children only: the others fall back to the
                # resource's service.name.
                attrs = run_attrs if r.random() < 0.5 else {}
                first = b == 0 and run == 0 and c == 0
                children.append(self.chat_span(b, key(), res, attrs, clamp=first,
                                               string_tokens=(b == 1 and run == 0 and c == 0)))
            for _ in range(r.randint(0, 3) if not (b == 0 and run == 0) else 1):
                attrs = run_attrs if r.random() < 0.5 else {}
                children.append(self.tool_span(b, key(), res, attrs,
                                               force_timeout=(b == 0 and run == 0)))
            if r.random() < 0.5:
                children.append(self.other_span(b, key()))
            r.shuffle(children)
            # The run spans its children.
            failed = r.random() < 0.25
            run_span_key = key()
            attrs = {"gen_ai.operation.name": "invoke_agent"}
            attrs.update(run_attrs)
            end = self.clock_ns + 1_000_000_000 + r.randint(0, 999_999_999)
            self.clock_ns = end
            s = {"key": run_span_key, "name": "invoke_agent", "kind": API_KIND["internal"],
                 "attributes": attrs, "start": self.hr(start), "end": self.hr(end),
                 "children": children}
            if failed:
                s["status"] = {"code": STATUS_ERROR, "message": "run failed"}
            group["spans"].append(s)
            self.items.append({"signal": "traces", "batch": b, "kind": "event",
                               "event": {"type": "run", "agent_id": agent_id(run_attrs, res),
                                         "status": "failure" if failed else "success",
                                         "duration_ms": (end - start) / 1e6,
                                         "span_key": (b, run_span_key)}})
        # Root spans outside any run: one non-GenAI (dropped) and either an LLM call that
        # names no model (counted under "unknown") or a tool call without its required tool
        # name (rejected: still a 200, with partialSuccess).
        groups[0]["spans"].append(self.other_span(b, key()))
        if b % 2 == 0:
            groups[1]["spans"].append(self.chat_span(b, key(), res_b, {}, no_model=True))
        else:
            groups[1]["spans"].append(self.tool_span(b, key(), res_b, {}, reject=True))
        for g in groups:
            for s in g["spans"]:
                strip_private(s)
        return groups

    # -- Claude Code log events

    def logs(self, b, usage_from):
        r = self.rng
        records = []
        seq = 0

        def record(name, attrs, *, body="full", event_name=None):
            nonlocal seq
            seq += 1
            t, _ = self.times(0)
            a = {"event.name": name, "event.timestamp": "2026-11-22T03:59:%02d.000Z" % (seq % 60),
                 "event.sequence": seq, "session.id": "sess-%d" % b, "user.id": "u-1",
                 "terminal.type": "tmux", "prompt.id": "p-%d" % (seq // 4)}
            a.update(attrs)
            rec = {"attributes": a, "time": self.hr(t)}
            if body == "full":
                rec["body"] = "claude_code." + name
            elif body is not None:
                rec["body"] = body
            if event_name is not None:
                rec["eventName"] = event_name
            records.append(rec)

        def num(v, as_string):
            return str(v) if as_string else v

        for i in range(r.randint(3, 6)):
            model = r.choice(CC_MODELS)
            as_string = r.random() < 0.5
            tokens = {"input_tokens": r.randint(1, 500), "output_tokens": r.randint(1, 2000),
                      "cache_read_tokens": r.randint(0, 50000),
                      "cache_creation_tokens": r.randint(0, 5000)}
            duration = round(r.uniform(300, 20000), 3)
            attrs = {"model": model, "duration_ms": num(duration, as_string),
                     "request_id": "req_%d_%d" % (b, i), "speed": "normal",
                     "query_source": "main"}
            attrs.update({k: num(v, as_string) for k, v in tokens.items()})
            cost = None
            if i != 0:  # the first one has no cost_usd: the pricing table prices it
                cost = round(r.uniform(0.0001, 0.5), 6)
                attrs["cost_usd"] = num(cost, as_string)
                attrs["cost_usd_micros"] = int(round(cost * 1e6))
            # One request is routed on LogRecord.eventName (the body says something else).
            if i == 1:
                record("api_request", attrs, body="API request finished",
                       event_name="claude_code.api_request")
            else:
                record("api_request", attrs)
            ev = {"type": "llm_call", "agent_id": "claude-code", "model": model,
                  "status": "success", "duration_ms": duration}
            if usage_from == "logs":
                ev.update(tokens)
                if cost is not None:
                    ev["cost_usd"] = cost
            else:
                # Tokens and cost come from the metrics: this event's are dropped.
                self.items.append({"signal": "logs", "batch": b, "kind": "drop",
                                   "reason": "other_source"})
            self.items.append({"signal": "logs", "batch": b, "kind": "event", "event": ev})
        for i in range(r.randint(1, 2)):
            model = r.choice(CC_MODELS)
            duration = round(r.uniform(100, 3000), 1)
            record("api_error", {"model": model, "error": "Overloaded", "status_code": "529",
                                 "attempt": str(i + 1), "duration_ms": str(duration)})
            self.items.append({"signal": "logs", "batch": b, "kind": "event",
                               "event": {"type": "llm_call", "agent_id": "claude-code", "model": model,
                                         "status": "failure", "duration_ms": duration}})
        for i in range(r.randint(2, 4)):
            tool = r.choice(CC_TOOLS)
            ok = r.random() < 0.7
            duration = r.randint(1, 5000)
            attrs = {"tool_name": tool, "tool_use_id": "toolu_%d_%d" % (b, i),
                     "decision_type": "accept", "decision_source": "config",
                     "duration_ms": str(duration) if i % 2 else duration}
            attrs["success"] = ok if i == 0 else ("true" if ok else "false")  # boolean once
            if i == 1:  # no body, no eventName: routed on claude_code. + event.name
                record("tool_result", attrs, body=None)
            else:
                record("tool_result", attrs)
            self.items.append({"signal": "logs", "batch": b, "kind": "event",
                               "event": {"type": "tool_call", "agent_id": "claude-code",
                                         "tool_name": tool, "status": "success" if ok else "failure",
                                         "duration_ms": float(duration)}})
        # Tool decisions (docs/otlp.md, Tool decisions): the user's are approvals, accept ->
        # approved and reject -> denied (a human override); a config rule's or a hook's are
        # dropped as ignored. Every kind once, then a few more at random.
        kinds = [("accept", "user_temporary"), ("accept", "user_permanent"),
                 ("reject", "user_temporary"), ("reject", "user_reject"), ("reject", "user_abort"),
                 ("accept", "config"), ("reject", "config"), ("accept", "hook"), ("reject", "hook")]
        picks = kinds + [r.choice(kinds) for _ in range(r.randint(0, 4))]
        r.shuffle(picks)
        for i, (decision, source) in enumerate(picks):
            attrs = {"tool_name": r.choice(CC_TOOLS), "tool_use_id": "toolu_d%d_%d" % (b, i),
                     "decision": decision, "tool_source": "builtin", "source": source}
            if i == 0:  # no body, no eventName: routed on claude_code. + event.name
                record("tool_decision", attrs, body=None)
            else:
                record("tool_decision", attrs)
            if source.startswith("user_"):
                self.items.append({"signal": "logs", "batch": b, "kind": "event",
                                   "event": {"type": "approval", "agent_id": "claude-code",
                                             "result": "approved" if decision == "accept" else "denied"}})
            else:
                self.items.append({"signal": "logs", "batch": b, "kind": "drop", "reason": "ignored"})
        # A decision that is neither accept nor reject is rejected, whoever made it.
        record("tool_decision", {"tool_name": "Bash", "decision": "allow", "source": "user_temporary"})
        self.items.append({"signal": "logs", "batch": b, "kind": "reject", "reason": "invalid_value"})
        record("user_prompt", {"prompt_length": "42", "prompt": "<REDACTED>"})
        self.items.append({"signal": "logs", "batch": b, "kind": "drop", "reason": "unknown_event"})
        return [{"resource": CC_RESOURCE, "scope": "com.anthropic.claude_code.events",
                 "records": records}]

    # -- Claude Code metrics (delta)

    def metrics(self, b, usage_from):
        r = self.rng
        value_type = "int" if b % 2 == 0 else "double"
        flushes = []
        for _ in range(2):
            adds = []
            for model in r.sample(CC_MODELS + ["claude-opus-4-6[1m]"], 2):
                for typ in METRIC_TYPE:
                    for _ in range(r.randint(1, 2)):  # repeated adds sum into one point
                        adds.append({"instrument": "claude_code.token.usage", "type": "counter",
                                     "value_type": value_type, "unit": "tokens",
                                     "value": r.randint(1, 20000),
                                     "attributes": {"type": typ, "model": model,
                                                    "session.id": "sess-%d" % b,
                                                    "query_source": "main"}})
                adds.append({"instrument": "claude_code.cost.usage", "type": "counter",
                             "value_type": "double", "unit": "USD",
                             "value": round(r.uniform(0.001, 0.9), 6),
                             "attributes": {"model": model, "session.id": "sess-%d" % b,
                                            "query_source": "main"}})
            adds.append({"instrument": "claude_code.session.count", "type": "counter",
                         "value_type": "int", "unit": "", "value": 1,
                         "attributes": {"session.id": "sess-%d" % b, "start_type": "fresh"}})
            adds.append({"instrument": "claude_code.lines_of_code.count", "type": "counter",
                         "value_type": "int", "unit": "", "value": r.randint(1, 90),
                         "attributes": {"type": r.choice(["added", "removed"]),
                                        "model": "claude-sonnet-4-5"}})
            r.shuffle(adds)
            flushes.append(adds)
            # One data point per instrument and attribute set per flush (delta: what was
            # added since the previous flush).
            points = {}
            for a in adds:
                k = (a["instrument"], json.dumps(a["attributes"], sort_keys=True))
                points.setdefault(k, {"add": a, "value": 0})
                points[k]["value"] += a["value"]
            for (instrument, _), p in sorted(points.items()):
                a = p["add"]
                if instrument not in ("claude_code.token.usage", "claude_code.cost.usage"):
                    self.items.append({"signal": "metrics", "batch": b, "kind": "drop",
                                       "reason": "unknown_metric"})
                    continue
                if usage_from != "metrics":
                    self.items.append({"signal": "metrics", "batch": b, "kind": "drop",
                                       "reason": "other_source"})
                    continue
                model = re.sub(r"\[[^\]]*\]$", "", a["attributes"]["model"])
                ev = {"type": "usage", "agent_id": "claude-code", "model": model}
                if instrument == "claude_code.token.usage":
                    ev[METRIC_TYPE[a["attributes"]["type"]] + "_tokens"] = p["value"]
                else:
                    ev["cost_usd"] = p["value"]
                self.items.append({"signal": "metrics", "batch": b, "kind": "event", "event": ev})
        return [{"resource": CC_RESOURCE, "scope": "com.anthropic.claude_code", "flushes": flushes}]

    def build(self, usage_from):
        batches = []
        combos = [("http/json", "none"), ("http/protobuf", "none"), ("http/json", "gzip"),
                  ("http/protobuf", "gzip")]
        for b, (protocol, compression) in enumerate(combos):
            batches.append({"protocol": protocol, "compression": compression,
                            "traces": self.traces(b), "logs": self.logs(b, usage_from),
                            "metrics": self.metrics(b, usage_from)})
        return {"batches": batches}


def strip_private(span):
    span.pop("_duration_ms", None)
    for c in span.get("children", []):
        strip_private(c)


def agent_id(attrs, resource):
    """docs/otlp.md, Agent id: the item's attributes, then its resource's, default list."""
    for k in ("gen_ai.agent.name", "gen_ai.agent.id", "service.name"):
        for src in (attrs, resource):
            v = src.get(k)
            if isinstance(v, str) and v:
                return v
    return "unknown"


def count_spans(spans):
    return sum(1 + count_spans(s.get("children", [])) for s in spans)


# ------------------------------------------------------------------------ expectations

class Expect:
    """What the plan's items add up to in the exposition (docs/events.md, Mapping to metrics;
    docs/otlp.md, Dropped and rejected items)."""

    def __init__(self, plan, items):
        self.counters = {}  # family -> {labels tuple: value}
        self.span_series = {}  # (sample name, labels tuple) -> set of span keys
        c = self.counters

        def add(family, labels, v):
            d = c.setdefault(family, {})
            d[labels] = d.get(labels, 0.0) + v

        def from_span(sample, labels, ev):
            if "span_key" in ev:
                self.span_series.setdefault((sample, labels), set()).add(ev["span_key"])

        requests = {"traces": 0, "logs": 0, "metrics": 0}
        for batch in plan["batches"]:
            requests["traces"] += sum(count_spans(g["spans"]) for g in batch["traces"])
            requests["logs"] += sum(len(g["records"]) for g in batch["logs"])
            requests["metrics"] += sum(sum(1 for f in g["flushes"] if f) for g in batch["metrics"])
        for sig, n in requests.items():
            add("agent_exporter_otlp_requests_total", (("code", "200"), ("signal", sig)), n)
        self.total_requests = sum(requests.values())

        for it in items:
            if it["kind"] == "drop":
                add("agent_exporter_otlp_dropped_total",
                    (("reason", it["reason"]), ("signal", it["signal"])), 1)
                continue
            if it["kind"] == "reject":
                add("agent_exporter_events_rejected_total",
                    (("reason", it["reason"]), ("source", "otlp")), 1)
                continue
            e = it["event"]
            a = e["agent_id"]
            add("agent_exporter_events_total", (("source", "otlp"), ("type", e["type"])), 1)
            if e["type"] == "run":
                lab = (("agent_id", a), ("status", e["status"]))
                add("agent_requests_total", lab, 1)
                from_span("agent_requests_total", lab, e)
                add("agent_request_duration_seconds_count", (("agent_id", a),), 1)
                add("agent_request_duration_seconds_sum", (("agent_id", a),), e["duration_ms"] / 1000)
                from_span("agent_request_duration_seconds_bucket", (("agent_id", a),), e)
            elif e["type"] == "approval":
                add("agent_approvals_total", (("agent_id", a), ("result", e["result"])), 1)
            elif e["type"] == "tool_call":
                lab = (("agent_id", a), ("status", e["status"]), ("tool_name", e["tool_name"]))
                add("agent_tool_calls_total", lab, 1)
                from_span("agent_tool_calls_total", lab, e)
                hl = (("agent_id", a), ("tool_name", e["tool_name"]))
                add("agent_tool_duration_seconds_count", hl, 1)
                add("agent_tool_duration_seconds_sum", hl, e["duration_ms"] / 1000)
                from_span("agent_tool_duration_seconds_bucket", hl, e)
            elif e["type"] in ("llm_call", "usage"):
                m = e["model"]
                tokens = {d: e[d + "_tokens"] for d in DIRECTIONS if d + "_tokens" in e}
                for d, v in tokens.items():
                    add("agent_tokens_consumed_total", (("agent_id", a), ("direction", d), ("model", m)), v)
                if e["type"] == "usage":
                    if "cost_usd" in e:
                        add("agent_cost_usd_total", (("agent_id", a), ("model", m)), e["cost_usd"])
                    continue
                lab = (("agent_id", a), ("model", m), ("status", e["status"]))
                add("agent_llm_calls_total", lab, 1)
                from_span("agent_llm_calls_total", lab, e)
                hl = (("agent_id", a), ("model", m))
                add("agent_model_latency_seconds_count", hl, 1)
                add("agent_model_latency_seconds_sum", hl, e["duration_ms"] / 1000)
                from_span("agent_model_latency_seconds_bucket", hl, e)
                price = find_price(PRICING, m)
                if "cost_usd" in e:
                    add("agent_cost_usd_total", hl, e["cost_usd"])
                elif price is not None:
                    usd = sum(tokens.get(d, 0) * price[d if d != "cache_creation" else "cache_write"]
                              for d in DIRECTIONS) / 1e6
                    add("agent_cost_usd_total", hl, usd)
                elif sum(tokens.values()) > 0:
                    add("agent_exporter_unpriced_tokens_total", (("model", m),), sum(tokens.values()))
        # Families compared in full, plus the ones compared on source="otlp" only.
        self.families = sorted(c) + [f for f in ("agent_exporter_otlp_dropped_total",
                                                 "agent_exporter_events_rejected_total",
                                                 "agent_cost_usd_total",
                                                 "agent_exporter_unpriced_tokens_total",
                                                 "agent_tokens_consumed_total") if f not in c]


# ----------------------------------------------------------------------- the exposition

# ------------------------------------------------------------------------------- checks

def compare(expect, samples):
    """Returns (mismatch lines, number of requests answered 429). The SDK sends spans and
    log records concurrently (one request each): when more than web.max_concurrent_ingest
    are in flight the exporter answers 429, nothing of them is applied, and the SDK retries
    them (docs/otlp.md, Replies). Those 429s are allowed and reported; every other code
    must be absent and the 200s exact."""
    problems = []
    throttled = 0
    for family in expect.families:
        want = {k: v for k, v in expect.counters.get(family, {}).items() if v != 0}
        got = {}
        for labels, (v, _) in samples.get(family, {}).items():
            d = dict(labels)
            if family.startswith("agent_exporter_") and "source" in d and d["source"] != "otlp":
                continue
            if family == "agent_exporter_otlp_requests_total" and d.get("code") == "429":
                throttled += v
                continue
            if v != 0:
                got[labels] = v
        tol = tolerance(family)
        for labels in sorted(set(want) | set(got)):
            w, g = want.get(labels, 0.0), got.get(labels, 0.0)
            if abs(w - g) > tol:
                problems.append("%s%s: expected %r, got %r" % (family, fmt_labels(labels), w, g))
    return problems, throttled


def check_exemplars(expect, samples, span_ids):
    """Every series an SDK span fed carries an exemplar whose trace_id and span_id are those
    of one of the spans that fed it."""
    problems = []
    checked = 0
    for (sample, labels), keys in sorted(expect.span_series.items()):
        allowed = {(span_ids[k]["trace_id"], span_ids[k]["span_id"]) for k in keys}
        series = samples.get(sample, {})
        if sample.endswith("_bucket"):
            exemplars = [ex for lab, (_, ex) in series.items()
                         if ex and tuple(x for x in lab if x[0] != "le") == labels]
        else:
            exemplars = [series[labels][1]] if labels in series and series[labels][1] else []
        if not exemplars:
            problems.append("%s%s: no exemplar (expected one of the trace ids %s)" % (
                sample, fmt_labels(labels), sorted(t for t, _ in allowed)[:3]))
            continue
        for ex_labels, _ in exemplars:
            checked += 1
            pair = (ex_labels.get("trace_id"), ex_labels.get("span_id"))
            if pair not in allowed:
                problems.append("%s%s: exemplar %s is not a span that fed this series" % (
                    sample, fmt_labels(labels), ex_labels))
    if checked == 0 and not problems:
        problems.append("no exemplar found at all")
    return problems, checked


def run_mode(args, node, usage_from, tmp):
    planner = Planner(args.seed)
    plan = planner.build(usage_from)
    expect = Expect(plan, planner.items)
    config = os.path.join(tmp, "agent_exporter.yml")
    with open(config, "w") as f:
        # JSON is YAML: no yaml module needed.
        json.dump({"web": {"listen_address": "127.0.0.1:0"},
                   "pricing": PRICING,
                   "otlp": {"claude_code_usage": usage_from}}, f, indent=1)
    exporter = Exporter(args.exporter, tmp, config)
    ok = False
    try:
        plan["endpoint"] = exporter.base
        plan_path = os.path.join(tmp, "plan.json")
        with open(plan_path, "w") as f:
            json.dump(plan, f)
        shutil.copyfile(os.path.join(HERE, SENDER), os.path.join(args.work_dir, SENDER))
        p = run_checked([node, SENDER, plan_path], args.work_dir, 180, "node send.mjs")
        if p.returncode != 0:
            raise Fail("node send.mjs exited %d:\n%s%s" % (p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
        sent = json.loads(p.stdout.strip().splitlines()[-1])
        span_ids = {(s["batch"], s["key"]): s for s in sent["spans"]}
        if len(sent["exports"]) != expect.total_requests:
            raise Fail("send.mjs made %d export calls, the plan implies %d" % (
                len(sent["exports"]), expect.total_requests))
        # Every export was answered (with success) before node exited: the counts are final.
        samples = parse_exposition(exporter.scrape())
        problems, throttled = compare(expect, samples)
        ex_problems, n_exemplars = check_exemplars(expect, samples, span_ids)
        problems += ex_problems
        if problems:
            with open(os.path.join(tmp, "metrics.txt"), "w") as f:
                f.write(exporter.scrape())
            raise Fail("otlp.claude_code_usage=%s: %d mismatch(es):\n  %s" % (
                usage_from, len(problems), "\n  ".join(problems)))
        n_series = sum(len(v) for v in expect.counters.values())
        print("otel_sdk_test: claude_code_usage=%s: %d export requests (and %d answered 429 "
              "then retried by the SDK), %d series and %d exemplars match" % (
                  usage_from, expect.total_requests, int(throttled), n_series, n_exemplars))
        ok = True
    finally:
        rc = exporter.stop()
        if not ok:
            print("---- agent_exporter log (%s, %s) ----\n%s" % (usage_from, exporter.log_path, exporter.tail()))
    if rc != 0:
        raise Fail("agent_exporter exited %d on SIGTERM" % rc)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", required=True, help="the agent_exporter binary")
    ap.add_argument("--work-dir", required=True,
                    help="where node_modules is installed (outside the source tree)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    args.work_dir = os.path.abspath(args.work_dir)
    tmp = tempfile.mkdtemp(prefix="agx-otel-")
    failed = False
    try:
        node, npm = require_tools()
        prepare_npm(npm, HERE, args.work_dir)
        for usage_from in ("logs", "metrics"):
            mode_tmp = os.path.join(tmp, usage_from)
            os.makedirs(mode_tmp)
            run_mode(args, node, usage_from, mode_tmp)
    except Fail as e:
        failed = True
        print("FAIL: %s" % e)
    except Exception:  # a bug here or an unexpected answer: still a clear failure
        failed = True
        print("FAIL: unexpected error:\n%s" % traceback.format_exc())
    finally:
        if (failed and os.listdir(tmp)) or args.keep:
            print("otel_sdk_test: files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (0 if failed else 1, 1 if failed else 0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
