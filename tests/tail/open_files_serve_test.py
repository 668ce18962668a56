#!/usr/bin/env python3
"""ingest.max_open_files reaches the tailer of a real `agent_exporter serve`: 40 session files
below a `**` pattern with max_open_files 3 are all counted, the process never holds more than
3 of them open (/proc/PID/fd, sampled while it reads), and a line appended to a file it had
closed is counted once.

  open_files_serve_test.py AGENT_EXPORTER_BINARY
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

FILES = 40
MAX_OPEN = 3


def event(i, n):
    return json.dumps({"type": "tool_call", "agent_id": "a%d" % i, "tool_name": "t", "status": "success",
                       "duration_ms": 1.0, "ts": 1763700000.0 + n}) + "\n"


def events_total(port):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
               if line.startswith("agent_exporter_events_total{") and 'source="file"' in line)


def open_session_files(pid, root):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(root + "/"):
                n += 1
        except OSError:
            pass  # closed meanwhile
    return n


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "projects")
        paths = []
        for i in range(FILES):
            d = os.path.join(root, "p%d" % (i % 5), "s" if i % 2 else "")
            os.makedirs(d, exist_ok=True)
            paths.append(os.path.join(d, "f%d.jsonl" % i))
            with open(paths[-1], "w") as f:
                f.write(event(i, 0))
        config = os.path.join(tmp, "c.yml")
        with open(config, "w") as f:
            f.write("web:\n  listen_address: 127.0.0.1:0\n"
                    "ingest:\n  files: ['%s/**/*.jsonl']\n  poll_interval: 20ms\n"
                    "  scan_interval: 50ms\n  max_open_files: %d\n" % (root, MAX_OPEN))
        log_path = os.path.join(tmp, "log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([binary, "serve", "--config.file=" + config], stdout=log, stderr=log)
        try:
            port, most_open = None, 0
            deadline = time.time() + 30
            while time.time() < deadline and port is None:
                m = re.search(r"msg=listening .*port=(\d+)", open(log_path).read())
                port = int(m.group(1)) if m else None
                most_open = max(most_open, open_session_files(proc.pid, root))
                time.sleep(0.01)
            assert port is not None, "exporter did not start:\n" + open(log_path).read()

            def wait_for(want):
                nonlocal most_open
                deadline = time.time() + 30
                while time.time() < deadline:
                    most_open = max(most_open, open_session_files(proc.pid, root))
                    if events_total(port) >= want:
                        break
                    time.sleep(0.02)
                time.sleep(0.3)  # several polls more: nothing may be counted twice
                return events_total(port)

            got = wait_for(FILES)
            assert got == FILES, "counted %s events, want %d" % (got, FILES)
            with open(paths[0], "a") as f:  # long closed: the others were read after it
                f.write(event(0, 1))
            got = wait_for(FILES + 1)
            assert got == FILES + 1, "counted %s events, want %d" % (got, FILES + 1)
            assert most_open <= MAX_OPEN, "%d session files open at once, want at most %d" % (
                most_open, MAX_OPEN)
            print("ok: %d events, at most %d of %d files open" % (got, most_open, FILES))
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
