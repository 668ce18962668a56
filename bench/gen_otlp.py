#!/usr/bin/env python3
"""OTLP/HTTP trace export bodies for the benchmark's OTLP rows (bench/README.md).

Writes N ExportTraceServiceRequest bodies, protobuf or JSON, of GenAI spans following the
OpenTelemetry GenAI semantic conventions, as an SDK's batch span processor would send them:
whole traces of one agent run each (an `invoke_agent` span, 2-4 `chat` spans with model,
token usage and finish reasons, and an `execute_tool` span between two calls), at most 512
spans a body, one resource (service.name and the SDK's attributes) and one scope.

The load client (bench_otlp_load) sends the bodies again and again, so the exporter would
take resent spans for duplicates (it remembers span ids, docs/otlp.md): the first 4 bytes
of every trace, span and parent span id are a placeholder (FE ED FA CE, in JSON the hex
`feedface`) that the client overwrites with a number of its own for every request sent.

Output file: for each body, one ASCII line `<body bytes> <spans> <offset>,<offset>,...`
(the offsets of the placeholders in the body), then the body.

  gen_otlp.py --encoding protobuf|json --bodies 64 --seed 42 --out FILE
"""
import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "hardening"))
import otlp_build as ob  # noqa: E402  (the tests' hand-written OTLP encoder)

MARK = bytes.fromhex("feedface")
MAX_SPANS = 512  # the OpenTelemetry SDKs' default max_export_batch_size

AGENTS = [("support-agent", "anthropic", ["claude-sonnet-4-5", "claude-haiku-4-5"]),
          ("research-agent", "openai", ["gpt-4o", "gpt-4o-mini"]),
          ("coding-agent", "anthropic", ["claude-opus-4-1", "claude-sonnet-4-5"]),
          ("billing-agent", "openai", ["gpt-4.1", "gpt-4.1-mini"]),
          ("triage-agent", "gcp.gemini", ["gemini-2.5-flash", "gemini-2.5-pro"])]
TOOLS = [("search_docs", "Full-text search over the product documentation"),
         ("get_order", "Look up an order by id"),
         ("run_sql", "Run a read-only SQL query"),
         ("web_fetch", "Fetch a web page"),
         ("send_email", "Send an email to the customer"),
         ("read_file", "Read a file of the repository")]
SERVERS = {"anthropic": "api.anthropic.com", "openai": "api.openai.com",
           "gcp.gemini": "generativelanguage.googleapis.com"}


def trace_spans(rng, agent, provider, models, now_ns, body_i, trace_i, first_span):
    """The spans of one agent run, as otlp_build descriptions plus a parent id each."""
    trace_id = (MARK + body_i.to_bytes(4, "big") + trace_i.to_bytes(4, "big") + rng.randbytes(4)).hex()
    n = first_span

    def sid():
        nonlocal n
        n += 1
        return (MARK + (n & 0xFFFFFFFF).to_bytes(4, "big")).hex()

    conv = "conv-%08x" % rng.getrandbits(32)
    model = rng.choice(models)
    run_id = sid()
    t = now_ns - rng.randrange(60, 600) * 10**9
    run_start = t
    spans = []
    calls = rng.randint(2, 4)
    for c in range(calls):
        dur = rng.randrange(300, 9000) * 10**6
        failed = rng.random() < 0.02
        attrs = [("gen_ai.operation.name", ("s", "chat")), ("gen_ai.provider.name", ("s", provider)),
                 ("gen_ai.request.model", ("s", model)), ("gen_ai.request.max_tokens", ("i", 4096)),
                 ("gen_ai.request.temperature", ("d", 0.2)), ("gen_ai.conversation.id", ("s", conv)),
                 ("server.address", ("s", SERVERS[provider])), ("server.port", ("i", 443))]
        if failed:
            attrs.append(("error.type", ("s", "rate_limit_exceeded")))
        else:
            cache = rng.choice([0, 0, rng.randrange(1000, 20000)])
            attrs += [("gen_ai.response.model", ("s", model + "-20250929")),
                      ("gen_ai.response.id", ("s", "msg_%024x" % rng.getrandbits(96))),
                      ("gen_ai.response.finish_reasons", ("arr", [("s", "tool_calls" if c < calls - 1 else "stop")])),
                      ("gen_ai.usage.input_tokens", ("i", cache + rng.randrange(200, 12000))),
                      ("gen_ai.usage.output_tokens", ("i", rng.randrange(20, 2000)))]
            if cache:
                attrs.append(("gen_ai.usage.cache_read.input_tokens", ("i", cache)))
        spans.append((ob.span("chat " + model, attrs, trace_id, sid(), t, t + dur, 2 if failed else 0), run_id, 3))
        t += dur
        if c < calls - 1:
            tool, desc = rng.choice(TOOLS)
            dur = rng.randrange(5, 3000) * 10**6
            failed = rng.random() < 0.03
            attrs = [("gen_ai.operation.name", ("s", "execute_tool")), ("gen_ai.tool.name", ("s", tool)),
                     ("gen_ai.tool.call.id", ("s", "toolu_%020x" % rng.getrandbits(80))),
                     ("gen_ai.tool.type", ("s", "function")), ("gen_ai.tool.description", ("s", desc))]
            if failed:
                attrs.append(("error.type", ("s", rng.choice(["timeout", "ToolError"]))))
            spans.append((ob.span("execute_tool " + tool, attrs, trace_id, sid(), t, t + dur, 2 if failed else 0),
                          run_id, 1))
            t += dur
    run_attrs = [("gen_ai.operation.name", ("s", "invoke_agent")), ("gen_ai.provider.name", ("s", provider)),
                 ("gen_ai.agent.name", ("s", agent)), ("gen_ai.agent.id", ("s", "asst_" + agent)),
                 ("gen_ai.request.model", ("s", model)), ("gen_ai.conversation.id", ("s", conv))]
    # Spans end child first: the batch holds the run after its calls, as an SDK exports it.
    spans.append((ob.span("invoke_agent " + agent, run_attrs, trace_id, run_id, run_start, t + 10**6), None, 1))
    return spans, n


def resource_attrs(agent, rng):
    return [("service.name", ("s", agent)), ("service.version", ("s", "1.4.2")),
            ("service.instance.id", ("s", "%032x" % rng.getrandbits(128))),
            ("deployment.environment.name", ("s", "production")), ("host.name", ("s", "agents-7f9c")),
            ("telemetry.sdk.name", ("s", "opentelemetry")), ("telemetry.sdk.language", ("s", "python")),
            ("telemetry.sdk.version", ("s", "1.38.0"))]


def pb_span(s, parent, kind):
    out = ob.pb_len(1, bytes.fromhex(s["trace_id"])) + ob.pb_len(2, bytes.fromhex(s["span_id"]))
    if parent:
        out += ob.pb_len(4, bytes.fromhex(parent))
    out += ob.pb_str(5, s["name"]) + ob.pb_varint(6, kind)
    out += ob.pb_fixed64(7, s["start"]) + ob.pb_fixed64(8, s["end"]) + ob._pb_attrs(9, s["attrs"])
    if s["status"]:
        out += ob.pb_len(15, ob.pb_varint(3, s["status"]))
    return out


def json_span(s, parent, kind):
    d = {"traceId": s["trace_id"], "spanId": s["span_id"]}
    if parent:
        d["parentSpanId"] = parent
    d.update({"name": s["name"], "kind": kind, "startTimeUnixNano": str(s["start"]),
              "endTimeUnixNano": str(s["end"]), "attributes": ob._json_attrs(s["attrs"])})
    if s["status"]:
        d["status"] = {"code": s["status"]}
    return d


def body(encoding, resource, spans):
    if encoding == "protobuf":
        items = b"".join(ob.pb_len(2, pb_span(s, p, k)) for s, p, k in spans)
        scoped = ob.pb_len(1, ob.pb_str(1, "agents.instrumentation.genai") + ob.pb_str(2, "0.9.0")) + items
        res = ob.pb_len(1, ob._pb_attrs(1, resource)) + ob.pb_len(2, scoped)
        return ob.pb_len(1, res), MARK
    doc = {"resourceSpans": [{"resource": {"attributes": ob._json_attrs(resource)},
                              "scopeSpans": [{"scope": {"name": "agents.instrumentation.genai", "version": "0.9.0"},
                                              "spans": [json_span(s, p, k) for s, p, k in spans]}]}]}
    return json.dumps(doc, separators=(",", ":")).encode(), MARK.hex().encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoding", choices=["protobuf", "json"], required=True)
    ap.add_argument("--bodies", type=int, default=64)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    now_ns = time.time_ns()
    with open(a.out, "wb") as f:
        for b in range(a.bodies):
            agent, provider, models = AGENTS[b % len(AGENTS)]
            spans, ids, t = [], 0, 0
            while True:
                more, n = trace_spans(rng, agent, provider, models, now_ns, b, t, ids)
                if len(spans) + len(more) > MAX_SPANS:
                    break
                spans += more
                ids, t = n, t + 1
            data, mark = body(a.encoding, resource_attrs(agent, rng), spans)
            offsets, pos = [], data.find(mark)
            while pos >= 0:
                offsets.append(pos)
                pos = data.find(mark, pos + len(mark))
            want = sum(3 if p else 2 for _, p, _ in spans)  # trace id, span id, parent id
            if len(offsets) != want:
                sys.exit("gen_otlp: body %d has %d id placeholders, want %d" % (b, len(offsets), want))
            f.write(b"%d %d %s\n" % (len(data), len(spans), b",".join(b"%d" % o for o in offsets)))
            f.write(data)


if __name__ == "__main__":
    main()
