#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/.

Deterministic (same files on every run); the output is committed, so run it again only
when a source below changes:
  - event_parser:  every example line of docs/events.md, plus lines breaking each rule of
                   its "Rejections" table;
  - otlp_json:     tests/otlp/testdata/*.json, each line of collector_file.jsonl, GenAI
                   spans and Claude Code events (tool decisions too) / metrics for every
                   mapped route, bad bodies;
  - otlp_protobuf: the same OTLP requests encoded as protobuf by the small OTLP encoder
                   below (opentelemetry-proto v1.11.0 field numbers), plus malformed wire data;
  - gzip:          gzip members (one, two concatenated, empty, truncated, bad CRC, trailing
                   garbage) and plain bytes for the round trip;
  - config:        config/agent_exporter*.yml and small snippets of each section, bad ones too;
  - claude_code_mapper: runs of consecutive lines (under 4 KiB each) of the recorded real
                   Claude Code transcripts (tests/transcripts/claude_code/recorded/), sub-agent
                   lines marked with a leading 0x01, plus a few hostile lines and the
                   cases the recording lacks (usage growth, sidechain copies).
  - codex_mapper:  runs of consecutive lines (under 4 KiB each) of the recorded real Codex CLI
                   transcripts (tests/transcripts/codex/recorded/), the second file's lines
                   marked with a leading 0x01, plus a few hostile lines.
  - container_log: CRI and Docker json-file logs (a format and limit byte, a read-size
                   byte, then the file): events split into partial records, stdout and
                   stderr interleaved, app lines, malformed records, a line over the limit.

Usage: fuzz/make_seeds.py   (from anywhere; writes next to this file)
"""
import base64
import glob
import gzip
import json
import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------
# Native events (docs/events.md)

def event_seeds():
    docs = open(os.path.join(ROOT, "docs", "events.md"), encoding="utf-8").read()
    examples = re.findall(r"```json\n(.*?)\n```", docs, re.S)
    n = 0
    for ex in examples:
        for line in ex.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "type" in obj:
                write("event_parser", "doc-%02d-%s" % (n, obj["type"]), line)
                n += 1
    good = '{"type":"tool_call","agent_id":"a","tool_name":"t","status":"success"}'
    bad = {
        # one per rejection reason, in the order of the table
        "invalid_utf8": b'{"type":"step","agent_id":"a\xc3\x28","outcome":"completed"}',
        "invalid_utf8_overlong": b'{"type":"step","agent_id":"\xc0\xaf","outcome":"completed"}',
        "invalid_utf8_surrogate": b'{"type":"step","agent_id":"\xed\xa0\x80","outcome":"completed"}',
        "invalid_json_array": '[{"type":"step"}]',
        "invalid_json_string": '"run"',
        "invalid_json_trailing": good + ' {}',
        "invalid_json_bad_escape": '{"type":"step","agent_id":"a\\q","outcome":"completed"}',
        "invalid_json_number": '{"type":"run","agent_id":"a","status":"success","steps":01}',
        "invalid_json_minus": '{"type":"run","agent_id":"a","status":"success","steps":-}',
        "invalid_json_tru": '{"type":"step","agent_id":"a","outcome":"completed","x":tru}',
        "invalid_json_unterminated": '{"type":"step","agent_id":"a"',
        "invalid_json_deep": '{"type":"step","agent_id":"a","x":' + "[" * 70 + "]" * 70 + "}",
        "unknown_type": '{"type":"Run","agent_id":"a","status":"success"}',
        "missing_field": '{"type":"tool_call","agent_id":"a","status":"success"}',
        "missing_agent": '{"type":"step","agent_id":"","outcome":"completed"}',
        "wrong_type_null": '{"type":"run","agent_id":"a","status":null}',
        "wrong_type_string_number": '{"type":"run","agent_id":"a","status":"success","duration_ms":"5"}',
        "wrong_type_object": '{"type":"eval","agent_id":"a","evaluator":{},"score":0.5}',
        "invalid_value_negative": '{"type":"run","agent_id":"a","status":"success","duration_ms":-1}',
        "invalid_value_fraction": '{"type":"llm_call","agent_id":"a","model":"m","input_tokens":1.5}',
        "invalid_value_huge": '{"type":"llm_call","agent_id":"a","model":"m","cost_usd":1e400}',
        "invalid_value_score": '{"type":"feedback","agent_id":"a","score":1.0001}',
        "invalid_value_enum": '{"type":"approval","agent_id":"a","result":"Approved"}',
        "invalid_value_empty_status": '{"type":"llm_call","agent_id":"a","model":"m","status":""}',
        "invalid_value_ts_feb30": '{"type":"step","agent_id":"a","ts":"2026-02-30T00:00:00Z","outcome":"completed"}',
        "invalid_value_ts_1969": '{"type":"step","agent_id":"a","ts":"1969-12-31T23:59:59Z","outcome":"completed"}',
        "invalid_value_ts_negative": '{"type":"step","agent_id":"a","ts":-1,"outcome":"completed"}',
        "invalid_value_trace_zero": '{"type":"step","agent_id":"a","trace_id":"00000000000000000000000000000000","outcome":"completed"}',
        "invalid_value_span_short": '{"type":"step","agent_id":"a","span_id":"00f067aa0ba902b","outcome":"completed"}',
        # accepted edge cases
        "ok_crlf": good + "\r",
        "ok_escapes": '{"type":"tool_call","agent_id":"caf\\u00e9 \\"bot\\"","tool_name":"w\\n\\t\\\\","status":"failure"}',
        "ok_surrogate_pair": '{"type":"tool_call","agent_id":"\\ud83d\\ude00","tool_name":"t","status":"success"}',
        "ok_type_last": '{"agent_id":"a","tool_name":"t","status":"timeout","type":"tool_call"}',
        "ok_duplicate_key": '{"type":"step","agent_id":"a","outcome":"bad","outcome":"max_steps"}',
        "ok_unknown_keys": '{"type":"step","agent_id":"a","outcome":"recovery","extra":{"x":[1,2,{"y":null}]},"model":7}',
        "ok_ts_offset": '{"type":"step","agent_id":"a","ts":"2026-11-22 05:59:13.123456789+02:00","outcome":"completed"}',
        "ok_ts_number": '{"type":"step","agent_id":"a","ts":1795319953.123,"outcome":"safety_blocked"}',
        "ok_exp_count": '{"type":"run","agent_id":"a","status":"failure","steps":1e3,"tool_calls":0}',
        "ok_upper_trace": '{"type":"hallucination","agent_id":"a","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00F067AA0BA902B7","hallucination_type":"x"}',
        "ok_whitespace": '  \t{ "type" : "recovery" , "agent_id" : "a" , "strategy" : "retry" }  ',
        "ok_task_cost": '{"type":"task","agent_id":"a","task_type":"refund","outcome":"completed","cost_usd":0}',
        "ok_usage": '{"type":"usage","agent_id":"a","model":"m","input_tokens":9007199254740992,"cache_read_tokens":0,"cache_creation_tokens":3}',
        "empty": "",
    }
    for name, line in bad.items():
        write("event_parser", name, line)


# ---------------------------------------------------------------------------------------
# OTLP requests as JSON objects (also encoded as protobuf below)

def kv(key, value):
    if isinstance(value, bool):
        v = {"boolValue": value}
    elif isinstance(value, int):
        v = {"intValue": str(value)}
    elif isinstance(value, float):
        v = {"doubleValue": value}
    elif isinstance(value, list):
        v = {"arrayValue": {"values": [kv("", x)["value"] for x in value]}}
    else:
        v = {"stringValue": value}
    return {"key": key, "value": v}


def attrs(d):
    return [kv(k, v) for k, v in d.items()]


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def spans_request(spans, resource=None):
    return {"resourceSpans": [{
        "resource": {"attributes": attrs(resource or {"service.name": "support-bot"})},
        "scopeSpans": [{"scope": {"name": "genai"}, "spans": spans}]}]}


def span(op, a, status_code=0, start="1795319952000000000", end="1795319953500000000"):
    s = {"traceId": TRACE, "spanId": SPAN, "name": op, "kind": 3,
         "startTimeUnixNano": start, "endTimeUnixNano": end,
         "attributes": attrs(dict({"gen_ai.operation.name": op}, **a))}
    if status_code:
        s["status"] = {"code": status_code, "message": "boom"}
    return s


def logs_request(records, resource=None):
    return {"resourceLogs": [{
        "resource": {"attributes": attrs(resource or {"service.name": "claude-code"})},
        "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"},
                       "logRecords": records}]}]}


def record(event, a, body=True):
    r = {"timeUnixNano": "1795319953123000000", "observedTimeUnixNano": "1795319953124000000",
         "severityNumber": 9, "attributes": attrs(dict({"event.name": event}, **a))}
    if body:
        r["body"] = {"stringValue": "claude_code." + event}
    return r


def metrics_request(metrics):
    return {"resourceMetrics": [{
        "resource": {"attributes": attrs({"service.name": "claude-code"})},
        "scopeMetrics": [{"scope": {"name": "com.anthropic.claude_code"}, "metrics": metrics}]}]}


def usage_metric(name, points, temporality=1, monotonic=True):
    return {"name": name, "unit": "tokens", "sum": {
        "aggregationTemporality": temporality, "isMonotonic": monotonic, "dataPoints": points}}


def point(value, a, start="1795319950000000000", time="1795319953000000000"):
    p = {"startTimeUnixNano": start, "timeUnixNano": time, "attributes": attrs(a)}
    if isinstance(value, int):
        p["asInt"] = str(value)
    else:
        p["asDouble"] = value
    return p


def otlp_requests():
    """(name, signal, request) of every hand-made OTLP request."""
    llm = {"gen_ai.provider.name": "anthropic", "gen_ai.agent.name": "support-bot",
           "gen_ai.request.model": "claude-sonnet-4-5",
           "gen_ai.usage.input_tokens": 2000, "gen_ai.usage.cache_read.input_tokens": 800,
           "gen_ai.usage.cache_write.input_tokens": 100, "gen_ai.usage.output_tokens": 350,
           "gen_ai.response.finish_reasons": ["stop"]}
    yield "spans_chat", "traces", spans_request([span("chat", llm)])
    yield "spans_text_completion_old_names", "traces", spans_request([span("text_completion", {
        "gen_ai.system": "openai", "gen_ai.response.model": "gpt-4o",
        "gen_ai.usage.prompt_tokens": "1200", "gen_ai.usage.completion_tokens": 80.0,
        "gen_ai.usage.cache_creation.input_tokens": "200"})])
    yield "spans_generate_content_error", "traces", spans_request([span("generate_content", {
        "gen_ai.request.model": "gemini-2.5-pro", "error.type": "overloaded"}, status_code=2)])
    yield "spans_execute_tool", "traces", spans_request([
        span("execute_tool", {"gen_ai.tool.name": "web_search"}),
        span("execute_tool", {"gen_ai.tool.name": "fetch", "error.type": "ReadTimeout"}),
        span("execute_tool", {})])
    yield "spans_invoke_agent", "traces", spans_request([
        span("invoke_agent", {"gen_ai.agent.id": "agent-7"}, start="5", end="1")],
        resource={"host.name": "h"})
    yield "spans_bad_tokens", "traces", spans_request([
        span("chat", {"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": -12}),
        span("chat", {"gen_ai.request.model": "m", "gen_ai.usage.output_tokens": 1.5}),
        span("chat", {"gen_ai.request.model": "m", "gen_ai.usage.output_tokens": True}),
        span("chat", {})])
    yield "spans_not_genai", "traces", spans_request([
        {"traceId": "", "spanId": "", "name": "claude_code.interaction"}])

    yield "logs_api_request", "logs", logs_request([record("api_request", {
        "model": "claude-opus-4-6[1m]", "input_tokens": "12", "output_tokens": 300,
        "cache_read_tokens": "0", "cache_creation_tokens": 5.0, "cost_usd": "0.0144",
        "duration_ms": "2312"})])
    yield "logs_api_error", "logs", logs_request([record("api_error", {
        "model": "claude-sonnet-4-5", "duration_ms": 120, "status_code": "529"})])
    yield "logs_tool_result", "logs", logs_request([
        record("tool_result", {"tool_name": "Bash", "success": "true", "duration_ms": "88"}),
        record("tool_result", {"tool_name": "Edit", "success": False}, body=False),
        record("tool_result", {"success": "maybe"})])
    yield "logs_tool_decision", "logs", logs_request([
        record("tool_decision", {"tool_name": "Bash", "decision": "accept",
                                 "source": "user_temporary"}),
        record("tool_decision", {"tool_name": "Edit", "decision": "reject",
                                 "source": "user_reject"}, body=False),
        record("tool_decision", {"tool_name": "Read", "decision": "accept", "source": "config"}),
        record("tool_decision", {"tool_name": "Bash", "decision": "reject", "source": "hook"}),
        record("tool_decision", {"tool_name": "Bash", "decision": "accept",
                                 "source": "user_abort"}),
        record("tool_decision", {"tool_name": "Bash", "decision": "maybe", "source": "config"}),
        record("tool_decision", {"tool_name": "Bash", "source": "user_permanent"})])
    evn = record("user_prompt", {"prompt_length": "12"})
    evn["eventName"] = "claude_code.user_prompt"
    evn["traceId"] = TRACE
    evn["spanId"] = SPAN
    yield "logs_event_name_unknown", "logs", logs_request([evn])

    yield "metrics_usage_delta", "metrics", metrics_request([
        usage_metric("claude_code.token.usage", [
            point(100, {"model": "claude-sonnet-4-5", "type": "input"}),
            point(50, {"model": "claude-sonnet-4-5", "type": "output"}),
            point(7, {"model": "claude-sonnet-4-5", "type": "cacheRead"}),
            point(3, {"model": "claude-sonnet-4-5", "type": "cacheCreation"}),
            point(1, {"model": "claude-sonnet-4-5", "type": "other"})]),
        usage_metric("claude_code.cost.usage", [point(0.25, {"model": "claude-opus-4-6[1m]"})])])
    yield "metrics_usage_cumulative", "metrics", metrics_request([
        usage_metric("claude_code.token.usage", [
            point(100, {"model": "m", "type": "input"}),
            point(150, {"model": "m", "type": "input"}, time="1795319954000000000"),
            point(20, {"model": "m", "type": "input"}, time="1795319955000000000"),
            point(30, {"model": "m", "type": "input"}, start="1700000000000000000")],
            temporality=2),
        usage_metric("claude_code.cost.usage", [point(-1.0, {"model": "m"})], monotonic=False),
        {"name": "claude_code.token.usage", "gauge": {"dataPoints": [point(1, {"model": "m"})]}},
        {"name": "claude_code.session.count", "sum": {"dataPoints": [point(1, {})]}}])


def library_requests():
    """The first export request of each real instrumentation capture (tests/otel/libs), with
    the long content attributes (prompts, messages, stack traces) cut to keep seeds small."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "otel", "libs", "fixtures", "*.otlp.jsonl"))):
        req = json.loads(open(path, encoding="utf-8").readline())
        for rs in req.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    for a in sp.get("attributes", []):
                        v = a.get("value", {})
                        if len(v.get("stringValue", "")) > 64:
                            v["stringValue"] = v["stringValue"][:64]
                    for k in ("events", "links", "droppedEventsCount", "droppedLinksCount"):
                        sp.pop(k, None)
        yield "lib_" + os.path.basename(path).split(".")[0].replace("+", "_"), req


def otlp_json_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "otlp", "testdata", "*.json"))):
        shutil.copyfile(path, os.path.join(CORPUS, "otlp_json", os.path.basename(path)))
    jsonl = os.path.join(ROOT, "tests", "otlp", "testdata", "collector_file.jsonl")
    for i, line in enumerate(open(jsonl, encoding="utf-8").read().splitlines()):
        write("otlp_json", "collector_line_%d.json" % i, line)
    for name, _, req in otlp_requests():
        write("otlp_json", name + ".json", json.dumps(req, separators=(",", ":")))
    for name, req in library_requests():
        write("otlp_json", name + ".json", json.dumps(req, separators=(",", ":")))
    bad = {
        "empty_object.json": "{}",
        "empty.json": "",
        "two_signals.json": '{"resourceSpans":[],"resourceLogs":[]}',
        "wrong_type.json": '{"resourceSpans":{"scopeSpans":7}}',
        "bad_hex_id.json": '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"EEE19B7EC3C1B17"}]}]}]}',
        "huge_ints.json": '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"claude_code.cost.usage","sum":{"isMonotonic":true,"aggregationTemporality":"1","dataPoints":[{"asInt":"18446744073709551616","timeUnixNano":"-1"},{"asInt":"-9223372036854775808","asDouble":1e308}]}}]}]}]}',
        "number_too_large.json": '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asDouble":1e400}]}}]}]}]}',
        "deep.json": '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":' + '{"arrayValue":{"values":[' * 40 + ']}}' * 40 + '}]}]}]}',
        "kvlist.json": '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[{"key":"k","value":{"bytesValue":"AAEC"}}]}}}]}]}]}',
        "invalid_utf8.json": b'{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"\xff"}}]}}]}',
    }
    for name, body in bad.items():
        write("otlp_json", name, body)


# ---------------------------------------------------------------------------------------
# A small OTLP protobuf encoder: JSON mapping -> wire format.
# Each message: {json name: (field number, kind, message name for "msg")}.

F64, SF64, F32, DBL, VARINT, SINT, STR, HEXID, B64, MSG, P_F64, P_DBL, P_VARINT = range(13)

SCHEMA = {
    "AnyValue": {"stringValue": (1, STR), "boolValue": (2, VARINT), "intValue": (3, VARINT),
                 "doubleValue": (4, DBL), "arrayValue": (5, MSG, "ArrayValue"),
                 "kvlistValue": (6, MSG, "KeyValueList"), "bytesValue": (7, B64)},
    "ArrayValue": {"values": (1, MSG, "AnyValue")},
    "KeyValueList": {"values": (1, MSG, "KeyValue")},
    "KeyValue": {"key": (1, STR), "value": (2, MSG, "AnyValue")},
    "Resource": {"attributes": (1, MSG, "KeyValue"), "droppedAttributesCount": (2, VARINT)},
    "Scope": {"name": (1, STR), "version": (2, STR), "attributes": (3, MSG, "KeyValue"),
              "droppedAttributesCount": (4, VARINT)},
    "traces": {"resourceSpans": (1, MSG, "ResourceSpans")},
    "ResourceSpans": {"resource": (1, MSG, "Resource"), "scopeSpans": (2, MSG, "ScopeSpans"),
                      "schemaUrl": (3, STR)},
    "ScopeSpans": {"scope": (1, MSG, "Scope"), "spans": (2, MSG, "Span"), "schemaUrl": (3, STR)},
    "Span": {"traceId": (1, HEXID), "spanId": (2, HEXID), "traceState": (3, STR),
             "parentSpanId": (4, HEXID), "flags": (16, F32), "name": (5, STR), "kind": (6, VARINT),
             "startTimeUnixNano": (7, F64), "endTimeUnixNano": (8, F64),
             "attributes": (9, MSG, "KeyValue"), "droppedAttributesCount": (10, VARINT),
             "status": (15, MSG, "Status")},
    "Status": {"message": (2, STR), "code": (3, VARINT)},
    "logs": {"resourceLogs": (1, MSG, "ResourceLogs")},
    "ResourceLogs": {"resource": (1, MSG, "Resource"), "scopeLogs": (2, MSG, "ScopeLogs"),
                     "schemaUrl": (3, STR)},
    "ScopeLogs": {"scope": (1, MSG, "Scope"), "logRecords": (2, MSG, "LogRecord"),
                  "schemaUrl": (3, STR)},
    "LogRecord": {"timeUnixNano": (1, F64), "observedTimeUnixNano": (11, F64),
                  "severityNumber": (2, VARINT), "severityText": (3, STR),
                  "body": (5, MSG, "AnyValue"), "attributes": (6, MSG, "KeyValue"),
                  "droppedAttributesCount": (7, VARINT), "flags": (8, F32),
                  "traceId": (9, HEXID), "spanId": (10, HEXID), "eventName": (12, STR)},
    "metrics": {"resourceMetrics": (1, MSG, "ResourceMetrics")},
    "ResourceMetrics": {"resource": (1, MSG, "Resource"),
                        "scopeMetrics": (2, MSG, "ScopeMetrics"), "schemaUrl": (3, STR)},
    "ScopeMetrics": {"scope": (1, MSG, "Scope"), "metrics": (2, MSG, "Metric"),
                     "schemaUrl": (3, STR)},
    "Metric": {"name": (1, STR), "description": (2, STR), "unit": (3, STR),
               "gauge": (5, MSG, "Gauge"), "sum": (7, MSG, "Sum"),
               "histogram": (9, MSG, "Histogram")},
    "Gauge": {"dataPoints": (1, MSG, "NumberDataPoint")},
    "Sum": {"dataPoints": (1, MSG, "NumberDataPoint"), "aggregationTemporality": (2, VARINT),
            "isMonotonic": (3, VARINT)},
    "Histogram": {"dataPoints": (1, MSG, "HistogramDataPoint"),
                  "aggregationTemporality": (2, VARINT)},
    "NumberDataPoint": {"attributes": (7, MSG, "KeyValue"), "startTimeUnixNano": (2, F64),
                        "timeUnixNano": (3, F64), "asDouble": (4, DBL), "asInt": (6, SF64),
                        "flags": (8, VARINT)},
    "HistogramDataPoint": {"attributes": (9, MSG, "KeyValue"), "startTimeUnixNano": (2, F64),
                           "timeUnixNano": (3, F64), "count": (4, F64), "sum": (5, DBL),
                           "bucketCounts": (6, P_F64), "explicitBounds": (7, P_DBL),
                           "flags": (10, VARINT), "min": (11, DBL), "max": (12, DBL)},
}


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(number, wire):
    return varint(number << 3 | wire)


def length_delimited(number, payload):
    return tag(number, 2) + varint(len(payload)) + payload


def encode_scalar(number, kind, value):
    if kind == F64:
        return tag(number, 1) + struct.pack("<Q", int(value) & (1 << 64) - 1)
    if kind == SF64:
        return tag(number, 1) + struct.pack("<q", int(value))
    if kind == F32:
        return tag(number, 5) + struct.pack("<I", int(value))
    if kind == DBL:
        return tag(number, 1) + struct.pack("<d", float(value))
    if kind == VARINT:
        return tag(number, 0) + varint(int(value))
    if kind == STR:
        return length_delimited(number, value.encode())
    if kind == HEXID:
        return length_delimited(number, bytes.fromhex(value))
    if kind == B64:
        return length_delimited(number, base64.b64decode(value))
    if kind == P_F64:
        return length_delimited(number, b"".join(struct.pack("<Q", int(v)) for v in value))
    if kind == P_DBL:
        return length_delimited(number, b"".join(struct.pack("<d", float(v)) for v in value))
    raise ValueError(kind)


def encode(message, obj):
    out = bytearray()
    for key, value in obj.items():
        number, kind, *sub = SCHEMA[message][key]  # a KeyError: add the field to SCHEMA
        values = value if isinstance(value, list) and kind not in (P_F64, P_DBL) else [value]
        for v in values:
            if kind == MSG:
                out += length_delimited(number, encode(sub[0], v))
            else:
                out += encode_scalar(number, kind, v)
    return bytes(out)


def signal_of(req):
    return {"resourceSpans": "traces", "resourceLogs": "logs", "resourceMetrics": "metrics"}[
        next(iter(req))]


def otlp_protobuf_seeds():
    requests = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "otlp", "testdata", "*.json"))):
        req = json.load(open(path, encoding="utf-8"))
        requests.append((os.path.splitext(os.path.basename(path))[0], signal_of(req), req))
    requests += list(otlp_requests())
    requests += [(name, "traces", req) for name, req in library_requests()]
    for name, signal, req in requests:
        write("otlp_protobuf", name + ".pb", encode(signal, req))

    # Malformed and edge-case wire data.
    kvs = length_delimited(1, b"service.name") + length_delimited(2, length_delimited(1, b"x"))
    resource = length_delimited(1, length_delimited(1, kvs))
    write("otlp_protobuf", "empty.pb", b"")
    write("otlp_protobuf", "truncated_varint.pb", b"\x0a\xff\xff")
    write("otlp_protobuf", "length_past_end.pb", b"\x0a\x10\x0a\x02")
    write("otlp_protobuf", "wrong_wire_type.pb", tag(1, 0) + varint(5))
    write("otlp_protobuf", "group_wire_type.pb", tag(1, 3) + tag(1, 4) + resource)
    write("otlp_protobuf", "reserved_wire_type.pb", tag(7, 6) + b"\x00")
    write("otlp_protobuf", "field_zero.pb", b"\x02\x00")
    write("otlp_protobuf", "unknown_fields.pb",
          tag(99, 0) + varint(1) + tag(98, 1) + b"\0" * 8 + tag(97, 5) + b"\0" * 4 +
          length_delimited(96, b"skip me") + length_delimited(1, resource))
    write("otlp_protobuf", "invalid_utf8_key.pb", length_delimited(1, length_delimited(
        1, length_delimited(1, length_delimited(1, b"\xff\xfe")))))
    nested = length_delimited(1, b"leaf")
    for _ in range(70):  # AnyValue.arrayValue.values.... deeper than 64
        nested = length_delimited(1, length_delimited(5, nested))
    log = length_delimited(5, nested)
    write("otlp_protobuf", "deep_nesting.pb",
          length_delimited(1, length_delimited(2, length_delimited(2, log))))
    span = (length_delimited(1, b"\x01" * 15) + length_delimited(2, b"\0" * 8) +
            tag(6, 0) + varint(-1) + tag(7, 2) + varint(0))
    write("otlp_protobuf", "bad_span_fields.pb",
          length_delimited(1, length_delimited(2, length_delimited(2, span))))


# ---------------------------------------------------------------------------------------
# gzip

def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def gzip_seeds():
    line = open(os.path.join(CORPUS, "event_parser", "doc-00-run"), "rb").read() + b"\n"
    ndjson = line * 20
    one = gz(ndjson)
    write("gzip", "ndjson.gz", one)
    write("gzip", "two_members.gz", gz(b"first\n") + gz(b"second\n"))
    write("gzip", "empty_member.gz", gz(b""))
    write("gzip", "truncated.gz", one[: len(one) // 2])
    bad_crc = bytearray(one)
    bad_crc[-8] ^= 0xFF
    write("gzip", "bad_crc.gz", bytes(bad_crc))
    bad_size = bytearray(one)
    bad_size[-1] ^= 0x01
    write("gzip", "bad_isize.gz", bytes(bad_size))
    write("gzip", "trailing_garbage.gz", one + b"garbage")
    write("gzip", "trailing_zeros.gz", one + b"\0" * 8)
    # fuzz_gzip inflates with a 256 KiB limit
    write("gzip", "zeros_at_limit.gz", gz(b"\0" * (256 << 10)))
    write("gzip", "zeros_over_limit.gz", gz(b"\0" * ((256 << 10) + 1)))
    write("gzip", "zeros_1mib.gz", gz(b"\0" * (1 << 20)))
    header = bytes([0x1F, 0x8B, 8, 0x1E, 0, 0, 0, 0, 0, 3])  # FEXTRA FNAME FCOMMENT FHCRC
    import zlib
    body = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = body.compress(b"hello") + body.flush()
    extra = b"\x04\x00ab\x01\x00" + b"name\0" + b"comment\0"
    hcrc = struct.pack("<H", zlib.crc32(header + extra) & 0xFFFF)
    write("gzip", "header_fields.gz", header + extra + hcrc + raw +
          struct.pack("<II", zlib.crc32(b"hello"), 5))
    write("gzip", "not_gzip.txt", b"plain text, not gzip\n")
    write("gzip", "zlib_not_gzip.z", zlib.compress(b"zlib stream"))
    write("gzip", "magic_only.gz", b"\x1f\x8b")


# ---------------------------------------------------------------------------------------
# Config

def config_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "config", "agent_exporter*.yml"))):
        shutil.copyfile(path, os.path.join(CORPUS, "config", os.path.basename(path)))
    snippets = {
        "web.yml": "web:\n  listen_address: \"127.0.0.1:9464\"\n  telemetry_path: /metrics\n"
                   "  max_body_bytes: 1048576\n  max_decompressed_bytes: 8388608\n"
                   "  max_concurrent_ingest: 8\n  request_timeout: 30s\n  idle_timeout: 2m\n"
                   "  threads: 4\n  bearer_token_file: token.txt\n",
        "ingest.yml": "ingest:\n  files: [\"/var/log/agents/*.jsonl\", rel/x.jsonl]\n"
                      "  start_at: end\n  poll_interval: 250ms\n  max_line_bytes: 65536\n",
        "state.yml": "state:\n  dir: state\n  snapshot_interval: 1h30m\n  max_wal_bytes: 67108864\n",
        "registry.yml": "registry:\n  window: 1h\n  series_limit: 10000\n  max_series: 100000\n"
                        "  label_value_max_bytes: 128\n  buckets:\n    agent_request_duration_seconds: [0.1, 1, 10]\n",
        "pricing.yml": "pricing:\n  - match: \"claude-sonnet-4*\"\n    input: 3\n    output: 15\n"
                       "    cache_read: 0.3\n    cache_write: 3.75\n  - match: gpt-4o\n    input: 2.5\n    output: 10\n",
        "pricing_missing_output.yml": "pricing:\n  - match: gpt-4o\n    input: 2.5\n",
        "otlp.yml": "otlp:\n  listen_address: \":4318\"\n  agent_id_attributes: [gen_ai.agent.name]\n"
                    "  default_agent_id: unknown\n  claude_code_usage: metrics\n"
                    "  max_attributes: 64\n  files: [otel/*.jsonl]\n",
        "span_rules.yml": "otlp:\n  default_model: unnamed\n  span_memory_entries: 4096\n  span_rules:\n"
                          "    - name: acme\n      match: {span_name: 'llm\\\\..*', scope: acme, "
                          "attributes: {k: [a, 1]}, present: ['gen_ai.*'], any_present: [x], absent: [y], "
                          "root: false, counted_descendants: [run]}\n      event: llm_call\n"
                          "      fields: {model: [m], input_tokens: i, agent_id: [a]}\n"
                          "      input_includes_cache: false\n      twin_group: g\n",
        "span_rules_bad.yml": "otlp:\n  span_rules:\n    - {name: bad, match: {span_name: '(a+)+'}, event: run}\n"
                              "    - {name: bad, event: tool_call, fields: {model: [x]}}\n",
        "alerts.yml": "alerts:\n  slo_objective: 0.995\n  slo_period: 30d\n  rules:\n"
                      "    AgentErrorRateSpike: {enabled: false, severity: P2, for: 5m, threshold: 0.1}\n"
                      "    AgentP99LatencySpike: {baseline: 1h, factor: 3}\n",
        "alerts_unknown_rule.yml": "alerts:\n  rules:\n    NoSuchRule: {severity: P9}\n",
        "dashboards.yml": "dashboards:\n  uid_prefix: agx\n  scrape_interval: 15s\n"
                          "  trace_datasource_uid: tempo\n",
        "alertmanager.yml": "alertmanager:\n  slack_channel: \"#agents\"\n  group_by: [alertname]\n"
                            "  group_wait: 30s\n  repeat_interval: 4h\n",
        "sizes.yml": "web:\n  max_body_bytes: 8MiB\n  max_decompressed_bytes: 64MiB\n"
                     "ingest:\n  max_line_bytes: 1KiB\nstate:\n  max_wal_bytes: 1GiB\n",
        "anchors.yml": "base: &b {window: 1h}\nregistry:\n  <<: *b\n  series_limit: 5\n",
        "two_docs.yml": "web: {}\n---\nweb: {}\n",
        "bad_syntax.yml": "web:\n  listen_address: [\n",
        "bad_types.yml": "web:\n  max_body_bytes: -1\ningest:\n  poll_interval: 5 parsecs\n"
                         "  start_at: middle\nunknown_section: 1\n",
        "tags_and_flow.yml": "!!map {web: !!map {threads: !!int \"4\"}, registry: {window: !!str 1h}}\n",
        "empty.yml": "",
        "scalar.yml": "just a string\n",
        "deep.yml": "a: " + "[" * 60 + "]" * 60 + "\n",
        # Found by fuzz_config: yaml-cpp 0.7.0's LoadAll never returns on these (fuzz/README.md).
        "hang-mapping-then-comma.yml": "{},",
        "hang-scalar-then-comma.yml": "\"a\",",
    }
    for name, text in snippets.items():
        write("config", name, text)


# ---------------------------------------------------------------------------------------
# Claude Code transcripts (tests/transcripts/claude_code/recorded)

def claude_code_seeds():
    target = "claude_code_mapper"
    recorded = os.path.join(ROOT, "tests", "transcripts", "claude_code", "recorded")
    n = 0
    for path in sorted(glob.glob(os.path.join(recorded, "*", "projects", "**", "*.jsonl"),
                             recursive=True)):
        prefix = b"\x01" if "/subagents/" in path else b""
        with open(path, "rb") as f:
            lines = [prefix + l.rstrip(b"\n") for l in f if len(l) < 4096]
        for start in range(0, len(lines), 12):  # overlapping windows keep turns whole
            chunk = b"\n".join(lines[start:start + 24])
            write(target, "recorded-%03d.jsonl" % n, chunk[:16384])
            n += 1
    hostile = {
        "deep.jsonl": b'{"type":"assistant","message":' + b"[" * 2000 + b"]" * 2000 + b"}",
        "huge_numbers.jsonl": b'{"type":"assistant","message":{"id":"m","model":"claude-x",'
                              b'"stop_reason":"end_turn","usage":{"input_tokens":1e300,'
                              b'"output_tokens":18446744073709551616}}}',
        "wrong_types.jsonl": b'{"type":"user","message":{"content":[{"type":"tool_result",'
                             b'"tool_use_id":5,"is_error":"yes"}]}}',
        "bad_utf8.jsonl": b'{"type":"assistant","message":{"id":"m","model":"\xc3\x28"}}',
        # Not in the recording (2.1.337 writes final usage on every streamed line): usage
        # that grows between lines of one message (older releases), priced as usage.
        "growth.jsonl": b'{"type":"user","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/p/x",'
                        b'"message":{"role":"user","content":"go"}}\n'
                        b'{"type":"assistant","timestamp":"2026-01-01T00:00:01.000Z",'
                        b'"message":{"id":"m1","model":"claude-x","stop_reason":null,'
                        b'"usage":{"input_tokens":10,"output_tokens":1}}}\n'
                        b'{"type":"assistant","timestamp":"2026-01-01T00:00:02.000Z",'
                        b'"message":{"id":"m1","model":"claude-x","stop_reason":"end_turn",'
                        b'"usage":{"input_tokens":10,"output_tokens":9,'
                        b'"cache_read_input_tokens":5}}}',
        # A sidechain copy in the parent file (older releases) and an interrupt marker.
        "sidechain.jsonl": b'{"type":"user","isSidechain":true,"message":{"content":"sub"}}\n'
                           b'{"type":"assistant","isSidechain":true,"message":{"id":"s1",'
                           b'"model":"claude-x","stop_reason":"end_turn","usage":'
                           b'{"input_tokens":3,"output_tokens":2}}}\n'
                           b'{"type":"user","message":{"content":[{"type":"text","text":'
                           b'"[Request interrupted by user]"}]}}',
    }
    for name, data in hostile.items():
        write(target, name, data)


# Codex CLI transcripts (tests/transcripts/codex/recorded)

def codex_seeds():
    target = "codex_mapper"
    recorded = os.path.join(ROOT, "tests", "transcripts", "codex", "recorded")
    n = 0
    for version in sorted(os.listdir(recorded)):
        truth = json.load(open(os.path.join(recorded, version, "truth.json")))
        for i, rel in enumerate(truth["sessions"]):  # the order Codex started them
            prefix = b"\x01" if i % 2 else b""
            with open(os.path.join(recorded, version, rel), "rb") as f:
                lines = [prefix + l.rstrip(b"\n") for l in f if len(l) < 4096]
            for start in range(0, len(lines), 12):  # overlapping windows keep turns whole
                chunk = b"\n".join(lines[start:start + 24])
                write(target, "recorded-%03d.jsonl" % n, chunk[:16384])
                n += 1
    usage = b'{"input_tokens":10,"cached_input_tokens":4,"output_tokens":3,"total_tokens":13}'
    hostile = {
        "deep.jsonl": b'{"type":"event_msg","payload":' + b"[" * 2000 + b"]" * 2000 + b"}",
        "huge_numbers.jsonl": b'{"type":"event_msg","payload":{"type":"token_count","info":'
                              b'{"total_token_usage":{"input_tokens":1e300},"last_token_usage":'
                              b'{"output_tokens":18446744073709551616}}}}',
        "wrong_types.jsonl": b'{"type":"response_item","metadata":"x","payload":{"type":'
                             b'"function_call_output","call_id":5,"output":{"a":1}}}',
        "bad_utf8.jsonl": b'{"type":"turn_context","payload":{"model":"\xc3\x28"}}',
        "records_twice.jsonl": b'{"type":"turn_context","payload":{"model":"gpt-5","cwd":"/p/x"}}\n'
                               b'{"type":"token_usage_record","payload":{"response_id":"r1","usage":'
                               + usage + b',"thread_token_usage":' + usage + b'}}\n'
                               b'\x01{"type":"token_usage_record","payload":{"response_id":"r1",'
                               b'"usage":' + usage + b'}}\n'
                               b'{"type":"token_usage_record","payload":{"response_id":"r1","usage":'
                               + usage + b',"thread_token_usage":' + usage + b'}}',
    }
    for name, data in hostile.items():
        write(target, name, data)


# ---------------------------------------------------------------------------------------
# Container logs (fuzz_container_log): byte 0 = format (bit 0: docker_json) and
# max_line_bytes (16 << bits 1-3), byte 1 = read size, then the file.

def container_log_seeds():
    target = "container_log"
    event = b'{"type":"run","agent_id":"a","status":"success","duration_ms":12}'

    def cri(stream, tag, content):
        return b"2024-05-01T10:00:00.123456789Z " + stream + b" " + tag + b" " + content + b"\n"

    def docker(stream, log):
        return json.dumps({"log": log.decode(), "stream": stream.decode(),
                           "time": "2024-05-01T10:00:00.123456789Z"}).encode() + b"\n"

    pieces = [event[i:i + 20] for i in range(0, len(event), 20)]
    split = b"".join(cri(b"stdout", b"P" if i < len(pieces) - 1 else b"F", p)
                     for i, p in enumerate(pieces))
    interleaved = (cri(b"stdout", b"P", pieces[0]) + cri(b"stderr", b"F", event) +
                   cri(b"stderr", b"F", b"level=info msg=started") +
                   b"".join(cri(b"stdout", b"P" if i < len(pieces) - 1 else b"F", p)
                            for i, p in enumerate(pieces) if i > 0))
    hostile = (cri(b"stdout", b"F", b"") + b"not a record\n" + cri(b"stdin", b"F", event) +
               cri(b"stdout", b"X", event) + b"2024-05-01T10:00:00Z stdout F\n" +
               cri(b"stdout", b"P:extra", b"{") + cri(b"stdout", b"F", b"}") + b"\r\n\n")
    # 0x0e: CRI, max_line_bytes 16 << 7 = 2048; 0x0f: the same for docker_json.
    write(target, "cri_split", b"\x0e\x07" + split + cri(b"stdout", b"F", event))
    write(target, "cri_interleaved", b"\x0e\x05" + interleaved)
    write(target, "cri_hostile", b"\x0e\x01" + hostile)
    write(target, "cri_over_limit", b"\x02\x10" + b"".join(cri(b"stdout", b"P", b"{" + b"x" * 30)
                                                          for _ in range(4)) +
          cri(b"stdout", b"F", b"}") + cri(b"stdout", b"F", b"{}"))
    dpieces = [(event + b"\n")[i:i + 25] for i in range(0, len(event) + 1, 25)]
    write(target, "docker_split", b"\x0f\x09" + b"".join(docker(b"stdout", p) for p in dpieces) +
          docker(b"stderr", b"GET /healthz 200\n"))
    write(target, "docker_hostile", b"\x0f\x02" +
          b'{"log":"\\ud83d\\ude00{\\"a\\":1}\\n","stream":"stdout","attrs":{"k":[1,true,null]}}\n'
          b'{"log":"x\\n","stream":"stdin"}\n{"log":"\\ud800","stream":"stdout"}\n'
          b'{"stream":"stdout"}\nplain\n{"log":"{}\\n","stream":"stderr"} x\n')


def main():
    for target in ("event_parser", "otlp_json", "otlp_protobuf", "gzip", "config",
                   "claude_code_mapper", "codex_mapper", "container_log"):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, target))
    event_seeds()
    otlp_json_seeds()
    otlp_protobuf_seeds()
    gzip_seeds()
    config_seeds()
    claude_code_seeds()
    codex_seeds()
    container_log_seeds()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print("%-14s %3d files, %6d bytes" % (target, len(files), size))


if __name__ == "__main__":
    main()
