#!/usr/bin/env python3
"""Runs the real OpenAI Codex CLI (npm @openai/codex, pinned in package-lock.json) offline
against a fake Responses API (fake_responses.py) and records what it wrote: the session
transcripts and the API's truth (every response's usage and model, the tool calls it asked
for, the errors, the delays, the interrupted request), summed the way agent_exporter's
metrics sum them, into OUT/<codex version>/:

  sessions/YYYY/MM/DD/rollout-*.jsonl   as Codex wrote them under $CODEX_HOME/sessions
  truth.json                            what the mapper must count (see build_truth)

The scenarios (SCENARIOS below) cover: several turns with tools in code mode (the default
model's custom tool `exec`: a command that succeeds, one that fails, a script that throws),
cached and reasoning tokens, a cache write, a retried 5xx then success, a server-side web
search, a final API failure, a resumed session with another model (a compaction call billed
to the old one, then parallel function tools `exec_command`, one failing), an interrupted
turn, and a second session started with that model in another project.

Codex runs with CODEX_HOME in a temporary directory, inside a loopback-only network
namespace (`unshare -n`, then `ip link set lo up`): nothing it tries can leave the machine.
If unshare is not permitted, it runs without it with HTTPS_PROXY/HTTP_PROXY pointing at a
closed local port (logged, and noted in truth.json).

  record.py --out tests/transcripts/codex/recorded          # regenerate the committed files
  record.py --out /tmp/x --npm-dir build/codex-npm            # a fresh recording elsewhere

Exit status: 0 recorded; 1 Codex or the harness failed; 77 the npm packages could not be
installed (the caller may skip).
"""
import argparse
import fcntl
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_FILES = ("package.json", "package-lock.json")
DEFAULT_MODEL = "gpt-6.2-sol"   # code mode: the custom tool `exec`
FUNCTION_MODEL = "gpt-5.5"      # function tool `exec_command`; another compaction hash

# ------------------------------------------------------------------------------ scenarios


def js(cmd, show_exit=True):
    """A code-mode cell that runs one shell command and prints its exit code."""
    body = "const r = await tools.exec_command({cmd: %s});\ntext(r.output);" % json.dumps(cmd)
    if show_exit:
        body += "\ntext('exit_code=' + r.exit_code);"
    return body


def custom(call_id, code, expect):
    return {"type": "custom_tool_call", "name": "exec", "call_id": call_id, "input": code,
            "expect": expect}


def function(call_id, cmd, expect):
    return {"type": "function_call", "name": "exec_command", "call_id": call_id,
            "arguments": json.dumps({"cmd": cmd}), "expect": expect}


def message(text):
    return {"type": "message", "content": [{"type": "output_text", "text": text}]}


REASONING = {"type": "reasoning", "summary": [{"type": "summary_text", "text": "planning"}]}

# Each run is one `codex exec` invocation; `steps` are the fake API's answers to its
# requests, in order. Runs of session "alpha" come first, so the API's order is the order of
# the llm_call events when the files are mapped alpha then beta.
SCENARIOS = [
    {"session": "alpha", "args": [], "prompt": "Look around the project.", "steps": [
        {"items": [REASONING, custom("call_a1", js("echo hello"), "success")],
         "usage": {"input": 2400, "cached": 0, "output": 120, "reasoning": 64}, "delay_ms": 150},
        {"items": [custom("call_a2", js("ls /nonexistent-dir"), "failure")],
         "usage": {"input": 3100, "cached": 2048, "output": 60, "reasoning": 20}, "delay_ms": 300},
        {"items": [custom("call_a3", "throw new Error('boom');", "failure")],
         "usage": {"input": 3300, "cached": 2944, "output": 40}},
        {"items": [message("Looked around.")],
         "usage": {"input": 3500, "cached": 3200, "output": 30, "reasoning": 10}},
    ]},
    {"session": "alpha", "args": ["resume", "--last"], "prompt": "Search the web.", "steps": [
        {"error": 500, "message": "overloaded, retry"},
        {"items": [{"type": "web_search_call", "status": "completed",
                    "action": {"type": "search", "query": "codex transcripts"}},
                   message("Found it.")],
         "usage": {"input": 3800, "cached": 3456, "output": 50}},
    ]},
    {"session": "alpha", "args": ["resume", "--last"], "prompt": "Try again.", "steps": [
        {"error": 400, "message": "invalid request"},
    ]},
    {"session": "alpha", "args": ["resume", "--last", "-m", FUNCTION_MODEL],
     "prompt": "Run two commands.", "steps": [
        # The model switch first compacts the history with the old model.
        {"items": [message("Summary of the work so far.")],
         "usage": {"input": 4000, "cached": 3000, "cache_write": 256, "output": 200,
                   "reasoning": 80}},
        {"items": [function("call_b1", "echo hi", "success"),
                   function("call_b2", "exit 3", "failure")],
         "usage": {"input": 5000, "cached": 1000, "output": 90, "reasoning": 30}, "delay_ms": 200},
        {"items": [message("One failed.")], "usage": {"input": 5200, "cached": 4800, "output": 20}},
    ]},
    {"session": "alpha", "args": ["resume", "--last", "-m", FUNCTION_MODEL],
     "prompt": "Take your time.", "interrupt": True, "steps": [
        {"hang": True, "items": [], "usage": {"input": 0, "output": 0}},
    ]},
    {"session": "beta", "args": ["-m", FUNCTION_MODEL], "prompt": "Say hello.", "steps": [
        {"items": [function("call_c1", "echo beta", "success")],
         "usage": {"input": 900, "cached": 0, "output": 30}},
        {"items": [message("Hello.")], "usage": {"input": 1000, "cached": 800, "output": 12}},
    ]},
]

# -------------------------------------------------------------------------------- helpers


class Fail(Exception):
    pass


def log(msg):
    print("record.py: " + msg, file=sys.stderr, flush=True)


def prepare_npm(npm_dir):
    """npm ci of the pinned packages into npm_dir (skipped when already done); returns the
    native codex binary. Raises SystemExit(77) when the packages cannot be installed."""
    npm = shutil.which("npm")
    if npm is None:
        log("SKIP: npm not found (Debian: apt-get install nodejs npm)")
        raise SystemExit(77)
    os.makedirs(npm_dir, exist_ok=True)
    digest = hashlib.sha256()
    for name in NPM_FILES:
        with open(os.path.join(HERE, name), "rb") as f:
            digest.update(f.read())
    stamp = os.path.join(npm_dir, ".npm-ci.sha256")
    with open(os.path.join(npm_dir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = False
        try:
            with open(stamp) as f:
                done = f.read().strip() == digest.hexdigest()
        except FileNotFoundError:
            pass
        if not done:
            for name in NPM_FILES:
                shutil.copyfile(os.path.join(HERE, name), os.path.join(npm_dir, name))
            p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
                               cwd=npm_dir, capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                log("SKIP: npm ci of @openai/codex failed (exit %d):\n%s%s"
                    % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
                raise SystemExit(77)
            with open(stamp, "w") as f:
                f.write(digest.hexdigest() + "\n")
    found = glob.glob(os.path.join(npm_dir, "node_modules", "@openai", "codex-linux-*",
                                   "vendor", "*", "bin", "codex"))
    if not found:
        log("SKIP: the native codex binary is not in the installed packages (platform?)")
        raise SystemExit(77)
    return found[0]


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def codex_version(binary):
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip().split()[-1]


# ----------------------------------------------------------------------------- recording


def run_scenarios(binary, work, network):
    """Runs every scenario against one fake server; returns the truth entries."""
    home = os.path.join(work, "codex-home")
    os.makedirs(home)
    truth_path = os.path.join(work, "api-truth.jsonl")
    script = [dict(s) for sc in SCENARIOS for s in sc["steps"]]
    with open(os.path.join(work, "script.json"), "w") as f:
        json.dump(script, f)
    port_file = os.path.join(work, "port")
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_responses.py"),
                               "--script", os.path.join(work, "script.json"),
                               "--truth", truth_path, "--port-file", port_file],
                              stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if time.time() > deadline or server.poll() is not None:
                raise Fail("the fake API did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            port = int(f.read())
        with open(os.path.join(home, "config.toml"), "w") as f:
            f.write('model = "%s"\nmodel_provider = "fake"\n\n[model_providers.fake]\n'
                    'name = "fake"\nbase_url = "http://127.0.0.1:%d/v1"\nenv_key = "FAKE_API_KEY"\n'
                    'wire_api = "responses"\nrequest_max_retries = 2\nstream_max_retries = 1\n'
                    % (DEFAULT_MODEL, port))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OPENAI", "CODEX", "HTTP", "HTTPS", "ALL_PROXY", "NO_PROXY"))}
        env.update({"CODEX_HOME": home, "FAKE_API_KEY": "fake", "NO_COLOR": "1",
                    "HOME": os.path.join(work, "home")})
        os.makedirs(env["HOME"], exist_ok=True)
        if network == "proxy":
            proxy = "http://127.0.0.1:%d" % closed_port()
            env.update({"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "ALL_PROXY": proxy,
                        "NO_PROXY": "127.0.0.1,localhost"})
        for i, sc in enumerate(SCENARIOS):
            cwd = os.path.join(work, "projects", "proj-" + sc["session"])
            os.makedirs(cwd, exist_ok=True)
            argv = [binary, "exec", "--skip-git-repo-check",
                    "--dangerously-bypass-approvals-and-sandbox"] + sc["args"] + [sc["prompt"]]
            hang = truth_path + ".hang"
            if os.path.exists(hang):
                os.unlink(hang)
            with open(os.path.join(work, "codex-%d.log" % i), "w") as out:
                p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT)
                if sc.get("interrupt"):
                    deadline = time.time() + 60
                    while not os.path.exists(hang):
                        if time.time() > deadline or p.poll() is not None:
                            p.kill()
                            raise Fail("run %d: the request to interrupt never came" % i)
                        time.sleep(0.05)
                    time.sleep(0.3)  # let Codex write what it writes while streaming
                    p.send_signal(signal.SIGINT)
                try:
                    rc = p.wait(timeout=180)
                except subprocess.TimeoutExpired:
                    p.kill()
                    raise Fail("run %d (%s) did not finish" % (i, " ".join(argv[1:])))
            if rc != 0 and not sc.get("interrupt") and not any("error" in s for s in sc["steps"]):
                with open(os.path.join(work, "codex-%d.log" % i)) as f:
                    raise Fail("run %d exited %d:\n%s" % (i, rc, f.read()[-3000:]))
            log("run %d (%s %s): exit %d" % (i, sc["session"], " ".join(sc["args"]) or "new", rc))
        # the interrupted request is recorded when the server notices the closed connection
        deadline = time.time() + 30
        while True:
            entries = [json.loads(l) for l in open(truth_path)]
            if len(entries) >= len(script) or time.time() > deadline:
                break
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return home, entries


def output_failed(text):
    """What a tool output sent back to the API says about the call (the check of the
    scenario's expectations; independent of the mapper)."""
    if text.startswith("[") and "Script failed" in text:
        return True
    for marker in ("Process exited with code ", "exit_code="):
        at = text.find(marker)
        if at >= 0:
            digits = ""
            for c in text[at + len(marker):]:
                if not c.isdigit():
                    break
                digits += c
            return digits != "0"
    return None


def build_truth(entries):
    """Sums the API's truth like the metrics: llm calls by model/status ("model|status"),
    tokens by model/direction (input without cached and cache-write tokens, cache_read,
    cache_creation, output with reasoning), tool calls by tool/status, runs by status, the
    steps and tool calls of all runs; and `responses`, each successful response as sent:
    id, model, request kind, delay, usage {input, cached, cache_write, output, reasoning}
    as the API counts them, and the tool calls it asked for (name, call_id, failed)."""
    llm, tokens, tools, runs = {}, {}, {}, {}
    responses, steps, run_tools = [], 0, 0
    outputs = {}
    for e in entries:
        outputs.update(e.get("tool_outputs") or {})
    turns = {}  # turn_id -> [entries] in order
    for e in entries:
        if e.get("method") != "POST":
            continue
        turns.setdefault(e.get("turn_id"), []).append(e)

    def add(m, k, n=1):
        m[k] = m.get(k, 0) + n

    for turn_id, reqs in turns.items():
        turn_calls = 0
        turn_tools = 0
        for e in reqs:
            if e["status"] != 200:
                continue
            model = e["model"]
            u = e["usage"]
            cached = u["input_tokens_details"].get("cached_tokens", 0)
            write = u["input_tokens_details"].get("cache_write_tokens", 0)
            add(llm, model + "|success")
            add(tokens, model + "|input", u["input_tokens"] - cached - write)
            add(tokens, model + "|cache_read", cached)
            add(tokens, model + "|output", u["output_tokens"])
            if write:
                add(tokens, model + "|cache_creation", write)
            response = {"response_id": e["response_id"], "model": model,
                        "delay_ms": e.get("delay_ms", 0), "request_kind": e["request_kind"],
                        "usage": {"input": u["input_tokens"], "cached": cached,
                                  "cache_write": write, "output": u["output_tokens"],
                                  "reasoning": u["output_tokens_details"].get("reasoning_tokens", 0)},
                        "tool_calls": []}
            responses.append(response)
            turn_calls += 1
            if e["request_kind"] == "compaction":
                continue  # its items are history, not calls to run
            for c in e["tool_calls"]:
                response["tool_calls"].append({"name": c["name"], "call_id": c["call_id"],
                                               "failed": c["expect"] == "failure"})
                if c["type"] != "web_search_call":
                    seen = outputs.get(c["call_id"])
                    if seen is None:
                        raise Fail("tool call %s: no output came back" % c["call_id"])
                    failed = output_failed(seen)
                    if failed is None or failed != (c["expect"] == "failure"):
                        raise Fail("tool call %s expected %s, its output says %r"
                                   % (c["call_id"], c["expect"], seen[:200]))
                add(tools, c["name"] + "|" + c["expect"])
                turn_tools += 1
        last = reqs[-1]["status"]
        if last == "client_closed":
            continue  # the user interrupted the turn: no run (docs/transcripts.md, "Runs")
        failed_turn = last != 200
        if isinstance(last, int) and last != 200:
            add(llm, reqs[-1]["model"] + "|failure")  # the turn's request failed for good
            # (not a step of the run: steps are the model's answers)
        add(runs, "failure" if failed_turn else "success")
        steps += turn_calls
        run_tools += turn_tools
    return {"llm_calls": llm, "tokens": tokens, "tool_calls": tools, "runs": runs,
            "run_steps": steps, "run_tool_calls": run_tools, "responses": responses}


def record(binary, out_root, network):
    version = codex_version(binary)
    work = tempfile.mkdtemp(prefix="codex-record-")
    try:
        home, entries = run_scenarios(binary, work, network)
        truth = build_truth(entries)
        out = os.path.join(out_root, version)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.makedirs(out)
        sessions = []
        src = os.path.join(home, "sessions")
        files = sorted(glob.glob(os.path.join(src, "**", "rollout-*.jsonl"), recursive=True),
                       key=lambda p: open(p).readline())  # session start order
        for path in files:
            rel = os.path.relpath(path, src)
            dest = os.path.join(out, "sessions", rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(path, dest)
            sessions.append(os.path.join("sessions", rel))
        truth.update({"codex_version": version, "network": network,
                      "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      "sessions": sessions, "api_requests": len(entries)})
        with open(os.path.join(out, "truth.json"), "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write("\n")
        log("recorded %d session files, %d API requests into %s" % (len(sessions), len(entries), out))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory that receives <version>/")
    ap.add_argument("--npm-dir", help="where `npm ci` installs the pinned CLI "
                    "(default: a cache directory in the system temp dir)")
    ap.add_argument("--codex-bin", help="use this codex binary instead of the npm one")
    ap.add_argument("--inside", choices=["netns", "proxy"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    try:
        if args.inside is None:
            binary = args.codex_bin or prepare_npm(
                os.path.abspath(args.npm_dir or os.path.join(tempfile.gettempdir(), "agx-codex-npm")))
            me = [sys.executable, os.path.abspath(__file__), "--out", out, "--codex-bin", binary]
            unshare = shutil.which("unshare")
            probe = subprocess.run([unshare, "-n", "true"], capture_output=True) if unshare else None
            if probe is not None and probe.returncode == 0:
                inner = "ip link set lo up && exec \"$@\""
                return subprocess.call([unshare, "-n", "sh", "-c", inner, "sh"] + me + ["--inside", "netns"])
            log("unshare -n is not permitted here (%s): running without a network namespace, "
                "HTTPS_PROXY/HTTP_PROXY pointing at a closed local port"
                % (probe.stderr.decode().strip() if probe else "unshare not found"))
            return subprocess.call(me + ["--inside", "proxy"])
        record(args.codex_bin, out, args.inside)
        return 0
    except Fail as e:
        log("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
