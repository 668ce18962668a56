#!/usr/bin/env python3
"""A fake OpenAI Responses API (POST /v1/responses, streamed as server-sent events) for
running the real Codex CLI offline. Standard library only.

It answers each request with the next step of a script (a JSON list, see record.py):

  {"items": [...], "usage": {...}, "delay_ms": 0}   a streamed response: response.created,
      response.output_item.added/done per item, then response.completed with the usage;
      delay_ms is slept after response.created (the time the "model" takes).
  {"error": 500, "message": "..."}                  an HTTP error answer (no stream).

and records the truth, one JSON object per request, in the truth file: the path, the model
of the request, the request kind Codex puts in x-codex-turn-metadata, the response id and
usage it sent (or the error status), the tool calls it asked for (with the status the script
expects of each), the delay, and the tool outputs the request carried back (so that a test
can check the expected statuses against what Codex sent the model).

Usage: fake_responses.py --script S.json --truth T.jsonl --port-file P  (binds 127.0.0.1:0)
"""
import argparse
import http.server
import json
import os
import threading
import time


class State:
    def __init__(self, script, truth_path):
        self.script = script
        self.next = 0
        self.lock = threading.Lock()
        self.truth_path = truth_path
        self.responses = 0

    def take(self):
        with self.lock:
            if self.next >= len(self.script):
                return None, None
            step = self.script[self.next]
            self.next += 1
            self.responses += 1
            return step, "resp_%04d" % self.responses

    def record(self, entry):
        with self.lock:
            with open(self.truth_path, "a") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")


def tool_outputs(body):
    """The tool outputs a request sends back: call_id -> output text (cut)."""
    out = {}
    for item in body.get("input", []) if isinstance(body, dict) else []:
        if not isinstance(item, dict):
            continue
        if item.get("type") in ("function_call_output", "custom_tool_call_output"):
            o = item.get("output")
            if not isinstance(o, str):
                o = json.dumps(o)
            out[item.get("call_id")] = o[:400]
    return out


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body, ctype="application/json"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            state.record({"method": "GET", "path": self.path})
            self.answer(404, json.dumps({"error": {"message": "not found"}}))

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            try:
                meta = json.loads(self.headers.get("x-codex-turn-metadata", "{}"))
            except ValueError:
                meta = {}
            entry = {"method": "POST", "path": self.path, "model": body.get("model"),
                     "request_kind": meta.get("request_kind"), "turn_id": meta.get("turn_id"),
                     "tool_outputs": tool_outputs(body), "t_request": time.time()}
            if not self.path.startswith("/v1/responses"):
                entry["status"] = 404
                state.record(entry)
                self.answer(404, json.dumps({"error": {"message": "not found"}}))
                return
            step, rid = state.take()
            if step is None:
                entry["status"] = 500
                entry["note"] = "script exhausted"
                state.record(entry)
                self.answer(500, json.dumps({"error": {"message": "fake server: script exhausted"}}))
                return
            entry["label"] = step.get("label")
            if "error" in step:
                entry["status"] = step["error"]
                state.record(entry)
                self.answer(step["error"], json.dumps(
                    {"error": {"message": step.get("message", "fake error"), "type": "server_error"}}))
                return
            self.stream(step, rid, body, entry)

        def stream(self, step, rid, body, entry):
            items = []
            calls = []
            for i, it in enumerate(step.get("items", [])):
                it = dict(it)
                expect = it.pop("expect", None)
                it.setdefault("id", "%s_item%d" % (rid, i))
                if it["type"] in ("function_call", "custom_tool_call", "local_shell_call"):
                    it.setdefault("status", "completed")
                    calls.append({"type": it["type"], "name": it.get("name", "local_shell"),
                                  "call_id": it["call_id"], "expect": expect})
                if it["type"] == "web_search_call" and it.get("status") in ("completed", "failed"):
                    calls.append({"type": it["type"], "name": "web_search", "call_id": it["id"],
                                  "expect": "success" if it["status"] == "completed" else "failure"})
                if it["type"] == "message":
                    it.setdefault("role", "assistant")
                    it.setdefault("status", "completed")
                items.append(it)
            usage = step["usage"]
            full = {
                "input_tokens": usage["input"],
                "input_tokens_details": dict({"cached_tokens": usage.get("cached", 0)},
                                             **({"cache_write_tokens": usage["cache_write"]}
                                                if "cache_write" in usage else {})),
                "output_tokens": usage["output"],
                "output_tokens_details": {"reasoning_tokens": usage.get("reasoning", 0)},
                "total_tokens": usage["input"] + usage["output"],
            }
            model = body.get("model")
            base = {"id": rid, "object": "response", "model": model, "status": "in_progress",
                    "created_at": int(time.time())}
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()

            def send(event, data):
                data = dict(data, type=event)
                self.wfile.write(("event: %s\ndata: %s\n\n" % (event, json.dumps(data))).encode())
                self.wfile.flush()

            try:
                send("response.created", {"response": base})
                if step.get("hang"):
                    self.hang(entry)
                    return
            except OSError:
                entry["status"] = "client_closed"
                state.record(entry)
                return
            delay = step.get("delay_ms", 0)
            if delay:
                time.sleep(delay / 1000.0)
            for i, it in enumerate(items):
                added = dict(it)
                if added["type"] == "message":
                    added["content"] = []
                send("response.output_item.added", {"output_index": i, "item": added})
                send("response.output_item.done", {"output_index": i, "item": it})
            done = dict(base, status="completed", output=items, usage=full)
            send("response.completed", {"response": done})
            entry.update({"status": 200, "response_id": rid, "usage": full, "tool_calls": calls,
                          "delay_ms": delay, "t_completed": time.time()})
            state.record(entry)
            self.close_connection = True

        def hang(self, entry):
            """Never answers: tells the harness (a file beside the truth) and waits for the
            client to go away (an interrupted turn), at most 120 s."""
            with open(state.truth_path + ".hang", "w") as f:
                f.write(str(entry.get("turn_id")))
            deadline = time.time() + 120
            try:
                while time.time() < deadline:
                    time.sleep(0.2)
                    self.wfile.write(b": waiting\n\n")
                    self.wfile.flush()
                entry["status"] = "hang_timeout"
            except OSError:
                entry["status"] = "client_closed"
            state.record(entry)
            self.close_connection = True

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    with open(args.script) as f:
        script = json.load(f)
    state = State(script, args.truth)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
