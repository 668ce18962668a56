"""A scripted fake of the Anthropic Messages API for running the real Claude Code offline.

POST /v1/messages answers from a script chosen by a marker "[[scn:NAME]]" at the start of a
text block of the conversation's last prompt that carries one; the step is the number of
assistant messages after that prompt, so a sub-agent (whose prompt carries its own marker),
a resumed session (whose history carries earlier markers) and retries (same step again) all
get the right answer. A request without a marker (an auxiliary call of the CLI) gets a short
text answer and is recorded as auxiliary.

It records the truth: every response (message id, model, usage, stop reason, tool_use blocks
sent, delay), every error response, and the tool results that came back (is_error). Only the
standard library; one thread per connection (ThreadingHTTPServer).
"""

import http.server
import itertools
import json
import re
import threading
import time

MARKER = re.compile(r"^\[\[scn:([a-z0-9_-]+)\]\]")


def _blocks(message):
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content if isinstance(content, list) else []


def _marker_of(message):
    if message.get("role") != "user":
        return None
    found = None  # the CLI merges consecutive user messages: the last prompt wins
    for b in _blocks(message):
        if b.get("type") == "text":
            m = MARKER.match(b.get("text", "").lstrip())
            if m:
                found = m.group(1)
    return found


class Truth:
    """What the server did; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.responses = []  # one per message sent
        self.errors = []  # one per error response
        self.tool_results = {}  # tool_use_id -> is_error (first sighting)
        self.tool_uses = {}  # tool_use_id -> name
        self.unknown_requests = []

    def as_json(self):
        with self.lock:
            return {
                "responses": list(self.responses),
                "errors": list(self.errors),
                "tool_uses": dict(self.tool_uses),
                "tool_results": dict(self.tool_results),
                "unknown_requests": list(self.unknown_requests),
            }


class FakeAnthropic:
    """scripts: {name: [step, ...]}; a step is {"errors": [status, ...] (attempts answered
    with these statuses first; "always": [status] answers every attempt), "delay": seconds
    before the answer, "content": [blocks], "stop_reason", "usage": {...}}."""

    def __init__(self, scripts):
        self.scripts = scripts
        self.truth = Truth()
        self.attempts = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def next_id(self, prefix):
        with self.lock:
            return "%s_%024d" % (prefix, next(self.ids))

    def plan(self, body):
        """(script name, step index, step) for a request, or (None, None, None)."""
        messages = body.get("messages") or []
        for i in range(len(messages) - 1, -1, -1):
            name = _marker_of(messages[i])
            if name is not None:
                if name not in self.scripts:
                    return None, None, None
                step = sum(1 for m in messages[i + 1:] if m.get("role") == "assistant")
                steps = self.scripts[name]
                if step >= len(steps):
                    return name, step, {"content": [{"type": "text", "text": "Done."}]}
                return name, step, steps[step]
        return None, None, None

    def record_results(self, body):
        with self.truth.lock:
            for m in body.get("messages") or []:
                for b in _blocks(m):
                    if b.get("type") == "tool_result":
                        tid = b.get("tool_use_id")
                        if tid in self.truth.tool_uses and tid not in self.truth.tool_results:
                            self.truth.tool_results[tid] = b.get("is_error") is True


def _usage(step, aux):
    u = {"input_tokens": 12 if aux else 100, "output_tokens": 3 if aux else 20,
         "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    u.update(step.get("usage") or {})
    return u


def make_handler(fake):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _json(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", fake.next_id("req"))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            with fake.truth.lock:
                fake.truth.unknown_requests.append("GET " + self.path)
            self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                       "message": "not found"}})

        do_HEAD = do_GET

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?")[0]
            if path.endswith("/count_tokens"):
                self._json(200, {"input_tokens": 100})
                return
            if not path.endswith("/v1/messages"):
                with fake.truth.lock:
                    fake.truth.unknown_requests.append("POST " + self.path)
                self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                           "message": "not found"}})
                return
            body = json.loads(raw or b"{}")
            fake.record_results(body)
            name, index, step = fake.plan(body)
            aux = name is None
            if aux:
                step = {"content": [{"type": "text", "text": "OK."}]}
            model = body.get("model", "unknown")
            key = (name, index, len(body.get("messages") or []))
            with fake.lock:
                attempt = fake.attempts.get(key, 0)
                fake.attempts[key] = attempt + 1
            errors = step.get("errors") or []
            status = None
            if step.get("always"):
                status = step["always"][0]
            elif attempt < len(errors):
                status = errors[attempt]
            if status is not None:
                with fake.truth.lock:
                    fake.truth.errors.append({"script": name, "step": index,
                                              "attempt": attempt, "status": status,
                                              "model": model})
                etype = "overloaded_error" if status == 529 else "api_error"
                self._json(status, {"type": "error", "error": {"type": etype,
                                                               "message": "scripted failure"}})
                return
            delay = step.get("delay", 0)
            if delay:
                time.sleep(delay)
            self.answer(body, name, index, step, model, delay, aux)

        def answer(self, body, name, index, step, model, delay, aux):
            msg_id = fake.next_id("msg")
            usage = _usage(step, aux)
            content = []
            for b in step.get("content") or []:
                b = dict(b)
                if b["type"] == "tool_use":
                    b["id"] = fake.next_id("toolu")
                content.append(b)
            stop = step.get("stop_reason") or (
                "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn")
            with fake.truth.lock:
                fake.truth.responses.append({
                    "id": msg_id, "script": name, "step": index, "auxiliary": aux,
                    "model": model, "usage": usage, "stop_reason": stop, "delay_s": delay,
                    "stream": bool(body.get("stream")),
                    "tool_uses": [{"id": b["id"], "name": b["name"]} for b in content
                                  if b["type"] == "tool_use"]})
                for b in content:
                    if b["type"] == "tool_use":
                        fake.truth.tool_uses[b["id"]] = b["name"]
            if not body.get("stream"):
                self._json(200, {"id": msg_id, "type": "message", "role": "assistant",
                                 "model": model, "content": content, "stop_reason": stop,
                                 "stop_sequence": None, "usage": usage})
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("request-id", fake.next_id("req"))
            self.send_header("connection", "close")
            self.end_headers()
            start_usage = dict(usage, output_tokens=1)

            def event(kind, data):
                data["type"] = kind
                self.wfile.write(("event: %s\ndata: %s\n\n" % (kind, json.dumps(data))).encode())
                self.wfile.flush()

            event("message_start", {"message": {
                "id": msg_id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": start_usage}})
            for i, b in enumerate(content):
                if b["type"] == "text":
                    event("content_block_start", {"index": i,
                                                  "content_block": {"type": "text", "text": ""}})
                    event("content_block_delta", {"index": i, "delta": {
                        "type": "text_delta", "text": b["text"]}})
                else:
                    event("content_block_start", {"index": i, "content_block": {
                        "type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}})
                    event("content_block_delta", {"index": i, "delta": {
                        "type": "input_json_delta", "partial_json": json.dumps(b["input"])}})
                event("content_block_stop", {"index": i})
            event("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                                    "usage": usage})
            event("message_stop", {})
            self.close_connection = True

    return Handler


def serve(scripts):
    """Starts the server on 127.0.0.1 (port chosen by the kernel); returns (fake, server)."""
    fake = FakeAnthropic(scripts)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
