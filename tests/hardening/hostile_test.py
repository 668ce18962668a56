#!/usr/bin/env python3
"""Hostile input against a real `agent_exporter serve` (state.dir set): nothing crashes,
memory stays bounded, every rejection is counted by reason, and every valid event sent
beside the bad ones is counted exactly, also after a restart.

  hostile_test.py --exporter AGENT_EXPORTER [--tool-names N] [--rss-limit-mb MB] [--keep]

Inputs (docs/events.md and docs/otlp.md are the contract; every expected number is
computed here from what was sent):
  - POST /v1/events (NDJSON and JSON arrays) and a tailed file: truncated lines, lines over
    ingest.max_line_bytes (one of 5 MB), deep nesting (30 000 and 100 000 '['), invalid
    UTF-8 (bad bytes, overlong forms, surrogates, cut sequences), wrong types, huge numbers
    (1e400, 1e309, -1e400; 2^64 and 1.7e308, over the per-event maxima), NaN / Infinity
    literals, NUL bytes, non-objects, trailing content, unknown types, missing fields, label
    values far over the length limit;
  - request level, push and OTLP: empty bodies, bodies over web.max_body_bytes
    (Content-Length and chunked), gzip bombs inflating past web.max_decompressed_bytes,
    corrupt and truncated gzip, unknown encodings, wrong content types;
  - /v1/traces, /v1/logs, /v1/metrics in JSON and protobuf: truncated bodies, protobuf
    garbage (bad varints, wire types, lengths, groups, field 0), 100 000 '[' and 200- /
    2 000-level kvlist nesting, invalid UTF-8, wrong JSON types, 1e400 and 2^64 literals,
    NaN literals, and items with "NaN" / infinite / negative / 2^62 numbers, missing fields
    and too many attributes next to valid items;
  - a million distinct tool names (pushed gzip-compressed in batches): the series limit
    holds and agent_exporter_series_overflow_total counts every update past it.
Every bad request or line is followed by valid events. After each step the process must
be alive and answer /healthz; VmRSS is sampled every 50 ms. At the end the exporter is
stopped with SIGTERM and started again on the same state dir: every count must survive.

Memory bound: peak VmRSS <= 64 MiB + web.threads x 2 x (web.max_body_bytes +
web.max_decompressed_bytes) = 64 + 4 x 2 x 9 = 136 MiB (--rss-limit-mb or the environment
variable AGX_HARDENING_RSS_MB override it). Why: one request is in
flight at a time and holds at most its body (1 MiB) and its inflated form (8 MiB, grown by
doubling) plus the lines split from it; the malloc arenas keep request-sized buffers in
the heap (src/common/allocator.h: blocks under 4 MiB, up to 16 MiB free per heap), so every
arena may keep up to about twice one request's buffers after the request ended (measured:
34 MiB in the runs of 2026-12-06; 40-110 MiB before that day's allocator tuning). The 64 MiB cover the binary, the
registry at registry.series_limit (1000) series per metric plus the overflow series,
thread stacks and slack. Without the limits the million tool names alone (about 75 MB of
label text and a million series objects per metric) would exceed the bound several times.
Under sanitizers the bound gets exporter_proc.ASAN_EXTRA_MIB on top (see there).
"""
import argparse
import gzip
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import exporter_proc as ep  # noqa: E402
import otlp_build as ob  # noqa: E402
from exporter_proc import Fail  # noqa: E402

MAX_BODY = 1 << 20          # web.max_body_bytes
MAX_INFLATED = 8 << 20      # web.max_decompressed_bytes
MAX_LINE = 64 << 10         # ingest.max_line_bytes
SERIES_LIMIT = 1000         # registry.series_limit
LABEL_MAX = 128             # registry.label_value_max_bytes (default)
MAX_ATTRIBUTES = 16         # otlp.max_attributes
THREADS = 4                 # web.threads
MIB = 1 << 20
# The memory bound (see the docstring): everything but request buffers, plus what each
# worker thread's malloc arena may keep of one request at the limits.
BASE_MIB = 64
RSS_BOUND_MIB = BASE_MIB + THREADS * 2 * (MAX_BODY + MAX_INFLATED) // MIB
NDJSON = {"Content-Type": "application/x-ndjson"}
CHECKED = [  # families compared series by series with what was sent
    "agent_exporter_events_total", "agent_exporter_events_rejected_total",
    "agent_exporter_push_requests_total", "agent_exporter_otlp_requests_total",
    "agent_exporter_otlp_dropped_total", "agent_exporter_series_overflow_total",
    "agent_exporter_label_values_truncated_total", "agent_requests_total",
    "agent_llm_calls_total", "agent_tokens_consumed_total", "agent_tool_calls_total",
]
BOMB_AGENT = "bomb"
OVERFLOW = "__overflow__"


def j(obj):
    return json.dumps(obj, separators=(",", ":"))


# ------------------------------------------------------------------ bad native lines

def bad_lines():
    """(line bytes, reason) pairs, each rejected by the reason docs/events.md gives."""
    run = b'{"type":"run","agent_id":"bad","status":"success"'
    L = []

    def add(reason, *lines):
        L.extend((x, reason) for x in lines)

    add("invalid_json",
        run[:20],                                                   # truncated
        b'{"type":"run","agent_id":"bad","status":"succ',          # cut inside a string
        b'{"type":"llm_call","agent_id":"bad","model":"m","input_tokens":12',
        b'{"type":"run","agent_id":"bad\\',                         # cut after a backslash
        b"[" * 30000,                                               # deep, under the line limit
        b'{"a":' * 10000,
        run + b',"x":' + b"[" * 100 + b"]" * 100 + b"}",            # 101 levels
        run + b',"duration_ms":NaN}',
        run + b',"duration_ms":Infinity}',
        run + b',"duration_ms":-Infinity}',
        run + b',"duration_ms":nan}',
        run + b',"x":NaN}',                                         # even in an ignored field
        b"[1]", b'"run"', b"5", b"null", b"{}{}",
        run + b"}" + b"{",                                          # trailing content
        run + b"}\x00",                                             # a NUL after the object
        run[:-1] + b'\x00"}',                                       # a raw NUL inside a string
        b'{"type":"run","agent_id":"bad","status":"success",}',
        b'{"type":"run" "agent_id":"bad"}')
    add("line_too_long",
        b"[" * 100000,
        run + b',"pad":"' + b"x" * MAX_LINE + b'"}')
    add("invalid_utf8",
        b'{"type":"run","agent_id":"\xff\xfe","status":"success"}',
        b'{"type":"run","agent_id":"bad","status":"success","x":"\xc0\xaf"}',   # overlong '/'
        b'{"type":"run","agent_id":"bad","status":"success","x":"\xed\xa0\x80"}',  # surrogate
        b'{"type":"run","agent_id":"bad","status":"success","x":"\xe2\x82"}',   # cut sequence
        b'{"type":"run","agent_id":"bad","status":"success","x":"\xf4\x90\x80\x80"}')  # > U+10FFFF
    add("wrong_type",
        b'{"type":"run","agent_id":"bad","status":5}',
        b'{"type":"run","agent_id":7,"status":"success"}',
        b'{"type":"run","agent_id":"bad","status":"success","duration_ms":"5"}',
        b'{"type":"run","agent_id":"bad","status":"success","duration_ms":"NaN"}',
        b'{"type":"llm_call","agent_id":"bad","model":null}',
        b'{"type":"tool_call","agent_id":"bad","tool_name":[],"status":"success"}',
        b'{"type":"tool_call","agent_id":"bad","tool_name":"t","status":{}}',
        b'{"type":"run","agent_id":"bad","status":true}',
        b'{"type":5,"agent_id":"bad"}')
    add("invalid_value",
        run + b',"duration_ms":1e400}',
        run + b',"duration_ms":1e309}',                             # 1e308 * 10
        run + b',"duration_ms":-1e400}',
        run + b',"duration_ms":-1}',
        run + b',"steps":1.5}',
        b'{"type":"llm_call","agent_id":"bad","model":"m","input_tokens":1e400}',
        b'{"type":"llm_call","agent_id":"bad","model":"m","input_tokens":-18446744073709551616}',
        b'{"type":"eval","agent_id":"bad","evaluator":"e","score":1e308}',
        # Over the per-event maxima (docs/events.md): 1.7e308 twice would make sums +Inf.
        run + b',"steps":18446744073709551616}',                     # 2^64 steps
        b'{"type":"llm_call","agent_id":"bad","model":"m","input_tokens":1.7e308,"cost_usd":1.7e308}',
        b'{"type":"llm_call","agent_id":"bad","model":"m","input_tokens":1.7e308,"cost_usd":1.7e308}',
        b'{"type":"run","agent_id":"bad","status":"Success"}',
        b'{"type":"run","agent_id":"bad","status":"success","trace_id":"00000000000000000000000000000000"}',
        b'{"type":"run","agent_id":"bad","status":"success","ts":"2026-02-30T00:00:00Z"}')
    add("unknown_type",
        b'{"type":"Run","agent_id":"bad","status":"success"}',
        b'{"type":"' + b"z" * 5000 + b'","agent_id":"bad"}')
    add("missing_field",
        b'{"agent_id":"bad","status":"success"}',
        b'{"type":"run","status":"success"}',
        b'{"type":"run","agent_id":"","status":"success"}',
        b'{"type":"tool_call","agent_id":"bad","status":"success"}')
    return L


# ----------------------------------------------------------------------- expectations

class Expect:
    """What the exposition must hold: {family: {labels tuple: value}}."""

    def __init__(self):
        self.m = {f: {} for f in CHECKED}

    def add(self, family, v=1.0, **labels):
        key = tuple(sorted(labels.items()))
        self.m[family][key] = self.m[family].get(key, 0.0) + v

    def event(self, source, typ):
        self.add("agent_exporter_events_total", source=source, type=typ)

    def rejected(self, source, reason, n=1):
        self.add("agent_exporter_events_rejected_total", n, source=source, reason=reason)


def compare(expect, samples, skip=lambda family, labels: False):
    problems = []
    for family in CHECKED:
        want, got = expect.m[family], samples.get(family, {})
        for labels in sorted(set(want) | set(got)):
            if skip(family, labels):
                continue
            w, g = want.get(labels, 0.0), got.get(labels, 0.0)
            if abs(w - g) > 1e-9 * max(1.0, abs(w)):
                problems.append("%s%s: want %r, got %r" % (family, fmt(labels), w, g))
    return problems


def fmt(labels):
    return "{" + ",".join('%s="%s"' % (k, v[:40] + ("..." if len(v) > 40 else ""))
                          for k, v in labels) + "}"


# ------------------------------------------------------------------------ valid events

class Valid:
    """Valid native events for one source (agent valid-<source>), with the metrics they
    must add. Only label sets created in the first round are ever used again, so that
    they never reach the series limit."""

    def __init__(self, expect, source):
        self.expect, self.source, self.agent = expect, source, "valid-" + source
        self.n = 0

    def lines(self, k=4):
        out = []
        for _ in range(k):
            self.n += 1
            i = self.n
            kind = i % 3
            if kind == 0:
                status = "success" if i % 2 else "failure"
                out.append(j({"type": "run", "agent_id": self.agent, "status": status,
                              "duration_ms": 12.5, "trace_id": "%032x" % (i + 1)}))
                self.expect.add("agent_requests_total", agent_id=self.agent, status=status)
                self.expect.event(self.source, "run")
            elif kind == 1:
                out.append(j({"type": "llm_call", "agent_id": self.agent, "model": "hm-native",
                              "input_tokens": 100, "output_tokens": 20}))
                self.expect.add("agent_llm_calls_total", agent_id=self.agent, model="hm-native",
                                status="success")
                self.expect.add("agent_tokens_consumed_total", 100, agent_id=self.agent,
                                model="hm-native", direction="input")
                self.expect.add("agent_tokens_consumed_total", 20, agent_id=self.agent,
                                model="hm-native", direction="output")
                self.expect.event(self.source, "llm_call")
            else:
                status = ("success", "failure", "timeout")[(i // 3) % 3]
                out.append(j({"type": "tool_call", "agent_id": self.agent,
                              "tool_name": "web_search", "status": status}))
                self.expect.add("agent_tool_calls_total", agent_id=self.agent,
                                tool_name="web_search", status=status)
                self.expect.event(self.source, "tool_call")
        return [x.encode() for x in out]

    def odd_but_valid(self):
        """Lines that look hostile but are valid by docs/events.md."""
        a = self.agent
        lines = [
            # Steps at their maximum (docs/events.md).
            b'{"type":"run","agent_id":"%s","status":"success","steps":1000000}' % a.encode(),
            # Unknown fields are ignored; their values only need to be valid JSON.
            b'{"type":"run","agent_id":"%s","status":"success","x":1e400,"y":[[[[-1e999]]]]}' % a.encode(),
            # Underflows to 0.
            b'{"type":"run","agent_id":"%s","status":"success","duration_ms":1e-400}' % a.encode(),
            # CRLF line end; escapes decoded.
            b'{"type":"run","agent_id":"\\u0076alid-%s","status":"success"}\r' % self.source.encode(),
        ]
        for _ in range(4):
            self.expect.add("agent_requests_total", agent_id=a, status="success")
            self.expect.event(self.source, "run")
        # A label value of 5000 bytes is cut to registry.label_value_max_bytes.
        lines.append(j({"type": "tool_call", "agent_id": a, "tool_name": "L" * 5000,
                        "status": "success"}).encode())
        self.expect.add("agent_tool_calls_total", agent_id=a, tool_name="L" * LABEL_MAX,
                        status="success")
        self.expect.add("agent_exporter_label_values_truncated_total",
                        metric="agent_tool_calls_total")
        self.expect.event(self.source, "tool_call")
        return lines


# ------------------------------------------------------------------------- the test

class HostileTest:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.expect = Expect()
        self.push_valid = Valid(self.expect, "push")
        self.file_valid = Valid(self.expect, "file")
        self.file_path = os.path.join(tmp, "events.jsonl")
        self.file_lines = 0  # complete lines written to the tailed file
        self.steps = 0
        config = (
            "web:\n  listen_address: 127.0.0.1:0\n  max_body_bytes: %d\n"
            "  max_decompressed_bytes: %d\n  threads: %d\n"
            "ingest:\n  files: ['%s/events*.jsonl']\n  poll_interval: 20ms\n  max_line_bytes: %d\n"
            "state:\n  dir: %s/state\n  snapshot_interval: 500ms\n"
            "registry:\n  series_limit: %d\n"
            "otlp:\n  claude_code_usage: metrics\n  max_attributes: %d\n"
            % (MAX_BODY, MAX_INFLATED, THREADS, tmp, MAX_LINE, tmp, SERIES_LIMIT, MAX_ATTRIBUTES))
        self.exporter = ep.ExporterProc(args.exporter, tmp, config)
        self.rss = None
        self.problems = []

    # -- sending

    def check(self, cond, what):
        if not cond:
            self.problems.append(what)

    def step_done(self, what):
        self.steps += 1
        self.exporter.check_up(what)
        if os.environ.get("AGX_HARDENING_TRACE"):
            print("step %d: %s: VmRSS %s KiB" % (self.steps, what, self.exporter.rss_kb()))

    def push(self, body, headers, want_status, what, accepted=None, rejected=None):
        port = self.exporter.port
        status, _, reply = ep.request(port, "POST", "/v1/events", body, headers)
        self.expect.add("agent_exporter_push_requests_total", code=str(status))
        self.check(status == want_status, "push %s: status %d, want %d (%r)"
                   % (what, status, want_status, reply[:200]))
        if accepted is not None:  # a per-line answer is expected
            try:
                r = json.loads(reply)
                got = (r["accepted"], r["rejected"])
            except (ValueError, KeyError, TypeError):
                got = None
            self.check(got == (accepted, rejected),
                       "push %s: accepted/rejected %r, want %r (%r)"
                       % (what, got, (accepted, rejected), reply[:160]))
        self.step_done("push " + what)
        return status, reply

    def push_valid_batch(self):
        lines = self.push_valid.lines()
        self.push(b"\n".join(lines) + b"\n", NDJSON, 200, "valid batch", len(lines), 0)

    def push_raw(self, fn, want_status, what):
        """A request the http.client framing cannot make (no body, chunked, raw header bytes)."""
        status, headers, reply = fn(self.exporter.port)
        self.expect.add("agent_exporter_push_requests_total", code=str(status))
        self.check(status == want_status, "push %s: status %d, want %d (%r)"
                   % (what, status, want_status, reply[:200]))
        self.step_done("push " + what)

    def otlp(self, signal, body, headers, want_status, what, rejected=None, raw=None):
        port = self.exporter.port
        path = ob.SIGNAL_PATHS[signal]
        if raw is not None:
            status, _, reply = raw(port, path)
        else:
            status, _, reply = ep.request(port, "POST", path, body, headers)
        self.expect.add("agent_exporter_otlp_requests_total", signal=signal, code=str(status))
        self.check(status == want_status, "%s %s: status %d, want %d (%r)"
                   % (path, what, status, want_status, reply[:200]))
        if rejected is not None and status == 200:
            got = partial_rejected(reply, headers.get("Content-Type") == "application/x-protobuf")
            self.check(got == rejected, "%s %s: partialSuccess rejected %r, want %d"
                       % (path, what, got, rejected))
        self.step_done("%s %s" % (path, what))

    def append_file(self, data):
        with open(self.file_path, "ab") as f:
            f.write(data)
        self.file_lines += data.count(b"\n")

    def wait_file_drained(self, what):
        """Every complete line written is applied or rejected (bounded poll)."""
        deadline = time.time() + 60
        while True:
            s = self.exporter.scrape()
            seen = (ep.total(s, "agent_exporter_events_total", source="file")
                    + ep.total(s, "agent_exporter_events_rejected_total", source="file"))
            if seen >= self.file_lines:
                self.check(seen == self.file_lines, "file: %d lines counted, %d written (%s)"
                           % (seen, self.file_lines, what))
                return
            if time.time() > deadline:
                raise Fail("file: only %d of %d lines counted after 60 s (%s)"
                           % (seen, self.file_lines, what))
            self.exporter.check_up("waiting for the tailed file")
            time.sleep(0.05)

    # -- the cases

    def native_push_cases(self):
        bad = bad_lines()
        # One NDJSON body: every bad line between valid ones, blank lines skipped.
        body, n_valid = [], 0
        for line, reason in bad:
            v = self.push_valid.lines(1)
            body += v + [line, b"", b"  "]
            n_valid += 1
            self.expect.rejected("push", reason)
        odd = self.push_valid.odd_but_valid()
        body += odd
        n_valid += len(odd)
        self.push(b"\n".join(body) + b"\n", NDJSON, 200, "bad lines between valid ones",
                  n_valid, len(bad))
        self.push_valid_batch()
        # Each bad line alone: 400, still counted by reason.
        for line, reason in bad:
            self.expect.rejected("push", reason)
            self.push(line + b"\n", NDJSON, 400, "bad line alone (%s)" % reason, 0, 1)
            self.push_valid_batch()
        # NDJSON whose first line is not an object (docs/events.md: the content type says
        # NDJSON, so it is a line like any other and the valid lines after it count).
        v = self.push_valid.lines(2)
        self.expect.rejected("push", "invalid_json")
        self.push(b"[1]\n" + b"\n".join(v) + b"\n", NDJSON, 200,
                  "NDJSON starting with an array line", 2, 1)
        self.push_valid_batch()
        # A JSON array: each element checked like a line.
        v = self.push_valid.lines(3)
        elements = b"[" + b",".join(v[:2] + [b'{"type":"run","agent_id":"bad","status":5}',
                                             b"7", b'"x"', b"[1]", b"null"] + v[2:]) + b"]"
        self.expect.rejected("push", "wrong_type")
        self.expect.rejected("push", "invalid_json", 4)
        self.push(elements, {"Content-Type": "application/json"}, 200, "JSON array", 3, 5)
        self.push_valid_batch()
        # A bad element alone: rejected like a line, never a crash (a 1000-deep element once
        # overflowed a 100 KB HTTP worker stack when elements were re-serialized).
        for what, element, reason in [
            ("NaN", b'{"type":"run","agent_id":"bad","status":"success","x":NaN}', "invalid_json"),
            ("1e400 duration", b'{"type":"run","agent_id":"bad","status":"success","duration_ms":1e400}',
             "invalid_value"),
            ("invalid UTF-8", b'{"type":"run","agent_id":"bad","status":"\xff"}', "invalid_utf8"),
            ("1000 levels", b'{"type":"run","agent_id":"bad","status":"success","x":' + b"[" * 1000 +
             b"]" * 1000 + b"}", "invalid_json"),
            ("100000 levels", b"[" * 100000 + b"]" * 100000, "line_too_long"),  # > max_line_bytes
        ]:
            self.expect.rejected("push", reason)
            self.push(b"[" + element + b"]", {"Content-Type": "application/json"}, 400,
                      "JSON array element with " + what, 0, 1)
            self.push_valid_batch()

        # Valid lines in bodies that are refused as a whole: not expected anywhere.
        valid_body = b"\n".join(Valid(Expect(), "push").lines(2)) + b"\n"
        # Request-level rejections: nothing of the body is applied.
        request_cases = [
            ("empty body", b"", NDJSON, 400),
            ("blank lines only", b"\n \r\n\t\n", NDJSON, 400),
            ("JSON array cut", b"[" + valid_body.split(b"\n")[0], {"Content-Type": "application/json"}, 400),
            ("JSON array 100000 deep", b"[" * 100000, {"Content-Type": "application/json"}, 400),
            ("JSON array cut in a string", b'[{"type":"run","agent_id":"b', {"Content-Type": "application/json"}, 400),
            ("text/html", valid_body, {"Content-Type": "text/html"}, 415),
            ("protobuf content type", valid_body, {"Content-Type": "application/x-protobuf"}, 415),
            ("no content type", valid_body, {}, 415),
            ("br encoding", valid_body, dict(NDJSON, **{"Content-Encoding": "br"}), 415),
            ("over max_body_bytes", b"\n" * (MAX_BODY + 1), NDJSON, 413),
            ("gzip bomb", zip_bomb(), dict(NDJSON, **{"Content-Encoding": "gzip"}), 413),
            ("corrupt gzip", b"\x1f\x8b\x08\x00garbage-garbage", dict(NDJSON, **{"Content-Encoding": "gzip"}), 400),
            ("truncated gzip", gzip.compress(valid_body)[:-12], dict(NDJSON, **{"Content-Encoding": "gzip"}), 400),
        ]
        for what, body, headers, want in request_cases:
            self.push(body, headers, want, what)
            self.push_valid_batch()
        raw_cases = [
            ("over max_body_bytes, head only",
             lambda port: ep.request_head_only(port, "/v1/events", NDJSON, 64 << 20), 413),
            ("over max_body_bytes, chunked",
             lambda port: ep.request_chunked(port, "/v1/events", NDJSON,
                                             [b"\n" * 65536] * (MAX_BODY // 65536 + 4)), 413),
            ("Content-Encoding with invalid UTF-8",
             lambda port: raw_post(port, "/v1/events", b"Content-Type: application/x-ndjson\r\n"
                                   b"Content-Encoding: br\xff\xfe\r\n", valid_body), 415),
        ]
        for what, fn, want in raw_cases:
            self.push_raw(fn, want, what)
            self.push_valid_batch()
        # A gzip body of valid events is applied.
        lines = self.push_valid.lines(8)
        self.push(gzip.compress(b"\n".join(lines) + b"\n"), dict(NDJSON, **{"Content-Encoding": "gzip"}),
                  200, "gzip valid", len(lines), 0)

    def file_cases(self):
        bad = bad_lines()
        data = []
        for line, reason in bad:
            data += self.file_valid.lines(1) + [line]
            self.expect.rejected("file", reason)
        data += self.file_valid.odd_but_valid()
        self.append_file(b"\n".join(data) + b"\n")
        # A 5 MB line, written in pieces (the tailer sees it grow without a newline).
        self.expect.rejected("file", "line_too_long")
        for _ in range(5):
            self.append_file(b"y" * (1 << 20))
            time.sleep(0.03)
        self.append_file(b"\n" + b"\n".join(self.file_valid.lines(3)) + b"\n")
        self.wait_file_drained("bad lines")
        # Half a valid line: nothing until the rest arrives, then counted once.
        line = self.file_valid.lines(1)[0]
        self.append_file(line[:len(line) // 2])
        time.sleep(0.1)
        self.append_file(line[len(line) // 2:] + b"\n")
        self.wait_file_drained("a line written in two halves")
        self.step_done("tailed file")

    def next_span_id(self):
        """A span id of its own for each span sent: a span sent again is counted once
        (docs/otlp.md, One operation, one count)."""
        self.span_seq = getattr(self, "span_seq", 0) + 1
        return "b7ad6b71%08x" % self.span_seq

    def otlp_valid_items(self, signal):
        """Valid items of `signal` and the metrics they add (agent otlp-valid)."""
        e, a = self.expect, "otlp-valid"
        if signal == "traces":
            items = [
                ob.span("chat hm", [("gen_ai.operation.name", ("s", "chat")),
                                    ("gen_ai.request.model", ("s", "hm-otlp")),
                                    ("gen_ai.usage.input_tokens", ("i", 10)),
                                    ("gen_ai.usage.output_tokens", ("d", 5.0))],
                        "0af7651916cd43dd8448eb211c80319c", self.next_span_id(),
                        1_700_000_000_000_000_000, 1_700_000_000_005_000_000),
                ob.span("execute_tool otlp_tool", [("gen_ai.operation.name", ("s", "execute_tool")),
                                                   ("gen_ai.tool.name", ("s", "otlp_tool"))]),
                ob.span("invoke_agent", [("gen_ai.operation.name", ("s", "invoke_agent"))]),
            ]
            e.add("agent_llm_calls_total", agent_id=a, model="hm-otlp", status="success")
            e.add("agent_tokens_consumed_total", 10, agent_id=a, model="hm-otlp", direction="input")
            e.add("agent_tokens_consumed_total", 5, agent_id=a, model="hm-otlp", direction="output")
            e.add("agent_tool_calls_total", agent_id=a, tool_name="otlp_tool", status="success")
            e.add("agent_requests_total", agent_id=a, status="success")
            for t in ("llm_call", "tool_call", "run"):
                e.event("otlp", t)
        elif signal == "logs":
            items = [
                ob.log_record("claude_code.tool_result", [("tool_name", ("s", "cc_tool")),
                                                          ("success", ("s", "true"))], 1),
                ob.log_record("claude_code.api_request", [("model", ("s", "hm-otlp"))], 1),
            ]
            e.add("agent_tool_calls_total", agent_id=a, tool_name="cc_tool", status="success")
            e.add("agent_llm_calls_total", agent_id=a, model="hm-otlp", status="success")
            e.event("otlp", "tool_call")
            e.event("otlp", "llm_call")
        else:
            items = [ob.sum_metric("claude_code.token.usage",
                                   [([("model", ("s", "hm-otlp")), ("type", ("s", "output"))], 7)])]
            e.add("agent_tokens_consumed_total", 7, agent_id=a, model="hm-otlp", direction="output")
            e.event("otlp", "usage")
        return items

    def otlp_bad_items(self, signal):
        """Invalid and dropped items of `signal`: (items, rejected count)."""
        e = self.expect
        many = [("k%d" % i, ("i", i)) for i in range(MAX_ATTRIBUTES + 24)]
        if signal == "traces":
            chat = [("gen_ai.operation.name", ("s", "chat")), ("gen_ai.request.model", ("s", "hm-otlp"))]
            tok = "gen_ai.usage.input_tokens"
            bad = [
                (ob.span("nan", chat + [(tok, ("d", float("nan")))]), "invalid_value"),
                (ob.span("inf", chat + [(tok, ("d", float("inf")))]), "invalid_value"),
                (ob.span("neg", chat + [(tok, ("i", -5))]), "invalid_value"),
                (ob.span("2^62", chat + [(tok, ("i", 1 << 62))]), "invalid_value"),
                (ob.span("frac", chat + [(tok, ("d", 1.5))]), "invalid_value"),
                (ob.span("text", chat + [(tok, ("s", "lots"))]), "wrong_type"),
                (ob.span("bool", chat + [(tok, ("b", True))]), "wrong_type"),
                (ob.span("model not text", [("gen_ai.operation.name", ("s", "chat")),
                                            ("gen_ai.request.model", ("i", 4))]), "wrong_type"),
                (ob.span("no tool", [("gen_ai.operation.name", ("s", "execute_tool"))]), "missing_field"),
                (ob.span("many", chat + many), "too_many_attributes"),
            ]
            dropped = [(ob.span("GET /", [("http.request.method", ("s", "GET"))]), "not_genai")]
        elif signal == "logs":
            tool = [("tool_name", ("s", "cc_tool")), ("success", ("s", "true"))]
            bad = [
                (ob.log_record("claude_code.tool_result", tool + [("duration_ms", ("d", float("nan")))], 1), "invalid_value"),
                (ob.log_record("claude_code.tool_result", tool + [("duration_ms", ("d", float("-inf")))], 1), "invalid_value"),
                (ob.log_record("claude_code.tool_result", tool + [("duration_ms", ("s", "soon"))], 1), "wrong_type"),
                (ob.log_record("claude_code.api_request", [], 1), "missing_field"),
                (ob.log_record("claude_code.tool_result", tool + many, 1), "too_many_attributes"),
            ]
            dropped = [(ob.log_record("claude_code.user_prompt", [], 1), "unknown_event")]
        else:
            pt = [("model", ("s", "hm-otlp")), ("type", ("s", "output"))]
            usage = "claude_code.token.usage"
            bad = [
                (ob.sum_metric(usage, [(pt, float("nan"))]), "invalid_value"),
                (ob.sum_metric(usage, [(pt, float("inf"))]), "invalid_value"),
                (ob.sum_metric(usage, [(pt, -1.0)]), "invalid_value"),
                (ob.sum_metric(usage, [(pt, 2.5)]), "invalid_value"),
                (ob.sum_metric(usage, [([("model", ("s", "hm-otlp"))], 3)]), "missing_field"),
                (ob.sum_metric(usage, [(pt + many, 3)]), "too_many_attributes"),
            ]
            dropped = [(ob.gauge_metric(usage, [(pt, 1.0)]), "unsupported_point"),
                       (ob.sum_metric("process.cpu.time", [([], 1)]), "unknown_metric")]
        for _, reason in bad:
            e.rejected("otlp", reason)
        for _, reason in dropped:
            e.add("agent_exporter_otlp_dropped_total", signal=signal, reason=reason)
        return [x for x, _ in bad] + [x for x, _ in dropped], len(bad)

    def otlp_valid_request(self, signal, protobuf):
        items = self.otlp_valid_items(signal)
        req = ob.export_request(signal, [("service.name", ("s", "otlp-valid"))], items)
        body, ct = (ob.to_protobuf(req), "application/x-protobuf") if protobuf else \
            (ob.to_json(req), "application/json")
        self.otlp(signal, body, {"Content-Type": ct}, 200, "valid", rejected=0)

    def otlp_cases(self):
        for signal in ("traces", "logs", "metrics"):
            top = ob.TOP_KEYS[signal][0]
            for protobuf in (False, True):
                ct = "application/x-protobuf" if protobuf else "application/json"
                enc = ob.to_protobuf if protobuf else ob.to_json
                h = {"Content-Type": ct}
                hz = dict(h, **{"Content-Encoding": "gzip"})
                # Valid items beside invalid and dropped ones: 200 with partialSuccess.
                bad_items, n_bad = self.otlp_bad_items(signal)
                good = self.otlp_valid_items(signal)
                items = []
                for k in range(max(len(good), len(bad_items))):
                    items += good[k:k + 1] + bad_items[k:k + 1]
                mixed = enc(ob.export_request(signal, [("service.name", ("s", "otlp-valid"))], items))
                self.otlp(signal, mixed, h, 200, "valid and invalid items", rejected=n_bad)
                self.otlp_valid_request(signal, not protobuf)
                # A valid request, sent whole once (its items count), then broken below.
                sample = enc(ob.export_request(signal, [("service.name", ("s", "otlp-valid"))],
                                               self.otlp_valid_items(signal)))
                self.otlp(signal, sample, h, 200, "valid", rejected=0)
                cases = [
                    ("truncated", sample[:len(sample) // 2], h, 400),
                    ("empty body", b"", h, 200),
                    ("text/plain", sample, {"Content-Type": "text/plain"}, 415),
                    ("NDJSON content type", sample, NDJSON, 415),
                    ("no content type", sample, {}, 415),
                    ("br encoding", sample, dict(h, **{"Content-Encoding": "br"}), 415),
                    ("over max_body_bytes", b"\x00" * (MAX_BODY + 1), h, 413),
                    ("gzip bomb", zip_bomb(), hz, 413),
                    ("corrupt gzip", b"\x1f\x8b\x08\x00garbage-garbage", hz, 400),
                    ("truncated gzip", gzip.compress(sample)[:-12], hz, 400),
                ]
                if protobuf:
                    cases += [
                        ("nesting 2000 deep", ob.nested_kvlist_protobuf(signal, 2000), h, 400),
                        ("invalid UTF-8 string", ob.pb_len(1, ob.pb_len(1, ob.pb_len(1, ob.pb_str(1, b"k\xff")))), h, 400),
                        ("wrong wire type", b"\x08\x01", h, 400),
                        ("0xff garbage", b"\xff" * 64, h, 400),
                        ("overlong varint", b"\x0a" + b"\xff" * 11 + b"\x01", h, 400),
                        ("length past the end", b"\x0a\x7f" + b"\x00" * 10, h, 400),
                        ("truncated fixed64", b"\x09\x01\x02", h, 400),
                        ("group", b"\x0b\x0c", h, 400),
                        ("wire type 6", b"\x0e\x00", h, 400),
                        ("field 0", b"\x00" * 16, h, 400),
                    ]
                else:
                    cases += [
                        ("100000 [", b"[" * 100000, h, 400),
                        ("kvlist 200 deep", ob.nested_kvlist_json(signal, 200), h, 400),
                        ("invalid UTF-8", ('{"%s":[{"resource":{"attributes":[{"key":"k","value":'
                                           '{"stringValue":"' % top).encode() + b'\xff"}}]}}]}', h, 400),
                        ("wrong type", ('{"%s":5}' % top).encode(), h, 400),
                        ("wrong value type", ('{"%s":[{"resource":{"attributes":[{"key":"k","value":'
                                              '{"intValue":true}}]}}]}' % top).encode(), h, 400),
                        ("NaN literal", ('{"%s":[{"resource":{"attributes":[{"key":"k","value":'
                                         '{"doubleValue":NaN}}]}}]}' % top).encode(), h, 400),
                        ("1e400", ('{"%s":[{"resource":{"attributes":[{"key":"k","value":'
                                   '{"doubleValue":1e400}}]}}]}' % top).encode(), h, 400),
                        ("2^64", ('{"%s":[{"resource":{"attributes":[{"key":"k","value":'
                                  '{"intValue":"18446744073709551616"}}]}}]}' % top).encode(), h, 400),
                        ("not an object", b"[]", h, 400),
                    ]
                for what, body, headers, want in cases:
                    self.otlp(signal, body, headers, want, what)
                    self.otlp_valid_request(signal, protobuf)
                for what, raw in [
                        ("over max_body_bytes, head only",
                         lambda port, path: ep.request_head_only(port, path, h, 64 << 20)),
                        ("over max_body_bytes, chunked",
                         lambda port, path: ep.request_chunked(port, path, h, [b"\x00" * 65536] * (MAX_BODY // 65536 + 4)))]:
                    self.otlp(signal, None, h, 413, what, raw=raw)
                    self.otlp_valid_request(signal, protobuf)

    def tool_name_bomb(self):
        """`--tool-names` distinct tool names, pushed in gzip batches between valid events."""
        before = self.exporter.scrape()
        rss_before = self.rss.sample()
        series = before.get("agent_tool_calls_total", {})
        existing = len(series)
        self.check(existing < SERIES_LIMIT and all(OVERFLOW not in dict(l).values() for l in series),
                   "before the tool names: %d tool series (overflow present?)" % existing)
        n, batch = self.args.tool_names, 25000
        peak_kb = rss_before
        for start in range(0, n, batch):
            count = min(batch, n - start)
            body = "".join('{"type":"tool_call","agent_id":"%s","tool_name":"t%07d","status":"success"}\n'
                           % (BOMB_AGENT, i) for i in range(start, start + count)).encode()
            self.push(gzip.compress(body, 1), dict(NDJSON, **{"Content-Encoding": "gzip"}), 200,
                      "tool names %d.." % start, count, 0)
            peak_kb = max(peak_kb, self.rss.sample())
            self.expect.add("agent_exporter_events_total", count, source="push", type="tool_call")
            if (start // batch) % 4 == 0:  # valid events of every source in between
                self.push_valid_batch()
                self.append_file(b"\n".join(self.file_valid.lines(3)) + b"\n")
                self.otlp_valid_request(("traces", "logs", "metrics")[(start // batch) % 3],
                                        (start // batch) % 2 == 1)
        self.bomb_new_series = min(n, SERIES_LIMIT - existing)
        self.bomb_overflow = n - self.bomb_new_series
        self.expect.add("agent_exporter_series_overflow_total", self.bomb_overflow,
                        metric="agent_tool_calls_total")
        self.wait_file_drained("during the tool names")
        # Reported, not asserted: worker threads' malloc arenas keep freed request buffers
        # (see the docstring), so growth depends on which thread took which batch.
        self.bomb_growth_kb = max(peak_kb, self.rss.sample()) - rss_before

    def check_bomb(self, samples, when):
        series = samples.get("agent_tool_calls_total", {})
        overflow = tuple(sorted({"agent_id": OVERFLOW, "tool_name": OVERFLOW, "status": OVERFLOW}.items()))
        bomb = {l: v for l, v in series.items() if dict(l).get("agent_id") == BOMB_AGENT}
        self.check(len(series) <= SERIES_LIMIT + 1,
                   "%s: %d agent_tool_calls_total series, limit %d + 1 overflow"
                   % (when, len(series), SERIES_LIMIT))
        self.check(len(bomb) == self.bomb_new_series and all(v == 1 for v in bomb.values()),
                   "%s: %d series of the tool names (want %d, each 1)"
                   % (when, len(bomb), self.bomb_new_series))
        self.check(series.get(overflow) == self.bomb_overflow,
                   "%s: overflow series %r, want %d" % (when, series.get(overflow), self.bomb_overflow))

    def skip_bomb(self, family, labels):
        return family == "agent_tool_calls_total" and dict(labels).get("agent_id") in (BOMB_AGENT, OVERFLOW)

    def final_check(self, when):
        samples = self.exporter.scrape()
        for p in compare(self.expect, samples, self.skip_bomb):
            self.problems.append("%s: %s" % (when, p))
        self.check_bomb(samples, when)
        return samples

    def run(self):
        self.exporter.start()
        with ep.RssSampler(self.exporter, 0.05) as rss:
            self.rss = rss
            self.push_valid_batch()
            self.native_push_cases()
            self.file_cases()
            self.otlp_cases()
            self.tool_name_bomb()
            before = self.final_check("before restart")
        rc = self.exporter.stop()
        self.check(rc == 0, "SIGTERM: exit code %s" % rc)
        self.exporter.start()
        after = self.final_check("after restart")
        for family in CHECKED:
            if before.get(family, {}) != after.get(family, {}):
                self.problems.append("%s changed across the restart" % family)
        self.exporter.check_up("restart")
        rc = self.exporter.stop()
        self.check(rc == 0, "second SIGTERM: exit code %s" % rc)
        for line in self.exporter.log_errors()[:10]:
            self.problems.append("exporter log: " + line)
        limit_kb = self.args.rss_limit_mb * 1024
        self.check(rss.peak_kb <= limit_kb, "peak VmRSS %.1f MiB over the bound of %.0f MiB"
                   % (rss.peak_kb / 1024, self.args.rss_limit_mb))
        return before


# ------------------------------------------------------------------------------ helpers

_BOMB = None


def zip_bomb():
    """gzip of 64 MiB of newlines: ~64 KiB sent, 8x web.max_decompressed_bytes inflated."""
    global _BOMB
    if _BOMB is None:
        _BOMB = gzip.compress(b"\n" * (64 << 20), 9)
        assert len(_BOMB) < MAX_BODY
    return _BOMB


def raw_post(port, path, header_bytes, body):
    """A POST with header bytes as given (invalid UTF-8 included)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Length: %d\r\n" % len(body) + header_bytes + b"\r\n" + body)
        return ep.read_response(sock)
    finally:
        sock.close()


def partial_rejected(reply, protobuf):
    """rejected_* of an Export*ServiceResponse's partial_success (0 when absent)."""
    if not protobuf:
        ps = json.loads(reply or b"{}").get("partialSuccess", {})
        for k in ("rejectedSpans", "rejectedLogRecords", "rejectedDataPoints"):
            if k in ps:
                return int(ps[k])
        return 0
    fields = pb_fields(reply)
    if 1 not in fields:
        return 0
    inner = pb_fields(fields[1])
    return inner.get(1, 0)


def pb_fields(data):
    """{field number: last value} of a protobuf message (varints and length-delimited)."""
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            out[field], i = read_varint(data, i)
        elif wt == 2:
            n, i = read_varint(data, i)
            out[field], i = data[i:i + n], i + n
        elif wt == 1:
            out[field], i = struct.unpack("<Q", data[i:i + 8])[0], i + 8
        elif wt == 5:
            out[field], i = struct.unpack("<I", data[i:i + 4])[0], i + 4
        else:
            raise Fail("unexpected wire type %d in a reply" % wt)
    return out


def read_varint(data, i):
    v, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", required=True, help="the agent_exporter binary")
    ap.add_argument("--tool-names", type=int, default=1_000_000)
    ap.add_argument("--rss-limit-mb", type=float, default=ep.rss_bound_mib(RSS_BOUND_MIB),
                    help="peak VmRSS bound (default %d MiB; see exporter_proc.rss_bound_mib)"
                    % RSS_BOUND_MIB)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-hostile-")
    t0 = time.time()
    test = HostileTest(args, tmp)
    ok = False
    try:
        test.run()
        if test.problems:
            print("FAIL: %d problem(s):\n  %s" % (len(test.problems), "\n  ".join(test.problems[:80])))
        else:
            ok = True
    except Fail as e:
        print("FAIL: %s" % e)
    except Exception:
        print("FAIL: unexpected error:\n%s" % traceback.format_exc())
    finally:
        test.exporter.stop()
    rss = test.rss
    summary = ("%d requests and steps, %d bad native lines x 3 (push body, push alone, file), "
               "%d tool names (%d overflowed, VmRSS +%.1f MiB meanwhile), "
               "peak VmRSS %.1f MiB (bound %.0f MiB, %d samples), %.1f s"
               % (test.steps, len(bad_lines()), args.tool_names, getattr(test, "bomb_overflow", 0),
                  getattr(test, "bomb_growth_kb", 0) / 1024,
                  (rss.peak_kb if rss else 0) / 1024, args.rss_limit_mb,
                  rss.samples if rss else 0, time.time() - t0))
    if not ok:
        print("---- agent_exporter log (%s) ----\n%s" % (test.exporter.log_path, test.exporter.tail()))
        print(summary)
        if not args.keep:
            print("(temp dir kept for inspection: %s)" % tmp)
        return 1
    print("OK: hostile input: " + summary)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
