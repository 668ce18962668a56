#!/usr/bin/env python3
"""Runs the real Claude Code CLI (package.json pins it) offline against fake_anthropic.py and
records what it wrote: the whole ~/.claude/projects tree plus truth.json (what the fake API
sent) into recorded/<cli version>/, or into --out.

    npm ci                      # once, in this folder (installs the CLI and Node >= 22)
    ./record.py                 # regenerates recorded/<version>/
    ./record.py --out DIR       # records into DIR (the integration test does this)
    ./record.py --packages DIR  # uses DIR/node_modules (where `npm ci` ran) instead of ./

Everything runs inside a loopback-only network namespace (unshare -n; lo up) so nothing the
CLI tries can leave the machine. Where unshare is not permitted it runs without one, with
HTTPS_PROXY/HTTP_PROXY pointing at a closed local port, and says so.
"""

import argparse
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
sys.path.insert(0, HERE)
import fake_anthropic  # noqa: E402

MAIN_MODEL = "claude-sonnet-4-5-20250929"


# `sleep` alone is refused by the CLI's Bash tool ("Blocked: standalone sleep").
SLOW_COMMAND = 'python3 -c "import time; time.sleep(60)"'


def text(t):
    return {"type": "text", "text": t}


def tool(name, **inp):
    return {"type": "tool_use", "name": name, "input": inp}


# Each invocation is one `claude -p` run (one prompt); all continue one session.
SCRIPTS = {
    # Parallel tool uses (Bash success, Read of a missing file), a retried 529 and 500,
    # a failing Bash, cache creation then cache reads.
    "tools": [
        {"delay": 0.4, "content": [text("Running two tools."),
                                   tool("Bash", command="echo hello", description="say hello"),
                                   tool("Read", file_path="/nonexistent/agx/missing.txt")],
         "usage": {"input_tokens": 1200, "output_tokens": 80,
                   "cache_creation_input_tokens": 5000}},
        {"errors": [529, 500], "delay": 0.2,
         "content": [tool("Bash", command="exit 3", description="fail on purpose")],
         "usage": {"input_tokens": 300, "output_tokens": 40, "cache_read_input_tokens": 5000}},
        {"delay": 0.3, "content": [text("All done with tools.")],
         "usage": {"input_tokens": 150, "output_tokens": 25, "cache_read_input_tokens": 5200,
                   "cache_creation_input_tokens": 300}},
    ],
    # A sub-agent (Agent tool, haiku) that runs a tool itself.
    "agent": [
        {"delay": 0.2, "content": [tool("Agent", description="echo in a sub-agent",
                                        prompt="[[scn:sub]] Run echo from the sub-agent.",
                                        subagent_type="general-purpose", model="haiku")],
         "usage": {"input_tokens": 500, "output_tokens": 60, "cache_read_input_tokens": 5200}},
        {"delay": 0.1, "content": [text("The sub-agent is working.")],
         "usage": {"input_tokens": 90, "output_tokens": 12, "cache_read_input_tokens": 5700}},
        {"delay": 0.1, "content": [text("The sub-agent finished.")],
         "usage": {"input_tokens": 110, "output_tokens": 14, "cache_read_input_tokens": 5800}},
    ],
    "sub": [
        {"delay": 0.5, "content": [tool("Bash", command="echo from-sub", description="echo")],
         "usage": {"input_tokens": 700, "output_tokens": 30,
                   "cache_creation_input_tokens": 2000}},
        {"delay": 1.0, "content": [text("Sub-agent result: printed from-sub.")],
         "usage": {"input_tokens": 40, "output_tokens": 10, "cache_read_input_tokens": 2000}},
    ],
    # Every attempt fails: the CLI gives up after its retries.
    "fail": [{"always": [500]}],
    # A last good turn after the failure, resumed by session id.
    "after": [
        {"delay": 0.2, "content": [text("Back again.")],
         "usage": {"input_tokens": 60, "output_tokens": 9, "cache_read_input_tokens": 6000}},
    ],
    # A long tool the user interrupts (SIGINT while it runs), then a new prompt.
    "interrupt": [
        {"delay": 0.1, "content": [tool("Bash", command=SLOW_COMMAND, description="wait")],
         "usage": {"input_tokens": 70, "output_tokens": 15, "cache_read_input_tokens": 6000}},
    ],
    "next": [
        {"delay": 0.1, "content": [text("Ready for the next task.")],
         "usage": {"input_tokens": 80, "output_tokens": 8, "cache_read_input_tokens": 6100}},
    ],
}

INVOCATIONS = [
    ("new", "[[scn:tools]] Run the two tools, then a failing command."),
    ("continue", "[[scn:agent]] Start a sub-agent that runs echo."),
    ("continue", "[[scn:fail]] This request will fail."),
    ("resume", "[[scn:after]] Say you are back."),
    ("interrupt", "[[scn:interrupt]] Wait for a long time."),
    ("continue", "[[scn:next]] Never mind, say you are ready."),
]


PACKAGES = HERE  # the folder whose node_modules holds the CLI


def cli_paths():
    base = os.path.join(PACKAGES, "node_modules", "@anthropic-ai")
    # The native binary of the platform package: runs without Node.
    native = os.path.join(base, "claude-code-linux-x64", "claude")
    if not os.access(native, os.X_OK):
        raise SystemExit("Claude Code is not installed: run `npm ci` in %s" % PACKAGES)
    with open(os.path.join(base, "claude-code", "package.json")) as f:
        version = json.load(f)["version"]
    return native, version


def interrupt(args, work, env, fake):
    """Runs the CLI until its slow tool runs, then interrupts it as Ctrl-C would (SIGINT)."""
    p = subprocess.Popen(args, cwd=work, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        with fake.truth.lock:
            if any(r["script"] == "interrupt" for r in fake.truth.responses):
                break
        time.sleep(0.05)
    time.sleep(2)  # the tool is running
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return subprocess.CompletedProcess(args, p.returncode, out, err)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_all(out_dir, isolated):
    claude, version = cli_paths()
    fake, server = fake_anthropic.serve(SCRIPTS)
    port = server.server_address[1]
    tmp = tempfile.mkdtemp(prefix="agx-cc-")
    home = os.path.join(tmp, "home")
    work = os.path.join(tmp, "demo-project")
    os.makedirs(home)
    os.makedirs(work)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:%d" % port,
        "ANTHROPIC_API_KEY": "sk-ant-fake-key-for-tests",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_MAX_RETRIES": "2",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    if not isolated:
        proxy = "http://127.0.0.1:%d" % closed_port()
        env.update(HTTPS_PROXY=proxy, HTTP_PROXY=proxy, https_proxy=proxy, http_proxy=proxy)
    runs = []
    session = None
    for mode, prompt in INVOCATIONS:
        args = [claude, "-p", prompt, "--output-format", "json", "--model", MAIN_MODEL,
                "--allowedTools", "Bash,Read,Agent"]
        if mode == "continue":
            args.append("-c")
        elif mode == "resume":
            args += ["--resume", session]
        if mode == "interrupt":
            args.append("-c")
            p = interrupt(args, work, env, fake)
        else:
            p = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True,
                               timeout=300, stdin=subprocess.DEVNULL)
        try:
            result = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            result = {"unparsed_stdout": p.stdout[-2000:]}
        session = result.get("session_id", session)
        runs.append({"mode": mode, "prompt": prompt, "exit_code": p.returncode,
                     "interrupted": mode == "interrupt",
                     "is_error": result.get("is_error"), "subtype": result.get("subtype"),
                     "num_turns": result.get("num_turns"),
                     "stderr_tail": p.stderr[-500:]})
    server.shutdown()
    truth = fake.truth.as_json()
    truth.update(cli_version=version, main_model=MAIN_MODEL, isolated_network=isolated,
                 runs=runs)
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    shutil.copytree(os.path.join(home, ".claude", "projects"), os.path.join(out_dir, "projects"))
    with open(os.path.join(out_dir, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")
    shutil.rmtree(tmp, ignore_errors=True)
    print("recorded Claude Code %s into %s (%s)" % (
        version, out_dir, "loopback-only network namespace" if isolated else "NO namespace"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="output folder (default recorded/<cli version>)")
    ap.add_argument("--packages", help="folder with node_modules (default: this folder)")
    ap.add_argument("--no-netns", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    global PACKAGES
    PACKAGES = os.path.abspath(a.packages or HERE)
    _, version = cli_paths()
    out = os.path.abspath(a.out or os.path.join(HERE, "recorded", version))
    if os.environ.get("AGX_IN_NETNS") == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        run_all(out, isolated=True)
        return
    if not a.no_netns and shutil.which("unshare"):
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            env = dict(os.environ, AGX_IN_NETNS="1")
            sys.exit(subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__),
                                     "--out", out, "--packages", PACKAGES], env=env).returncode)
        print("unshare -n is not permitted (%s): running WITHOUT a network namespace, "
              "proxies pointed at a closed local port" % probe.stderr.decode().strip(),
              file=sys.stderr)
    run_all(out, isolated=False)


if __name__ == "__main__":
    main()
