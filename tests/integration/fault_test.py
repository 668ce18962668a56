#!/usr/bin/env python3
"""Faults on the state directory: a real agent_exporter keeps its state on a small ext4
file system (a loop-mounted image, in a private mount namespace) that first fills up, then
turns read-only mid-run (ext4's `abort`, as after an I/O error with errors=remount-ro).

Checked at each fault: the exporter says so loudly (an error in its log, and
agent_exporter_wal_append_failures_total / agent_exporter_state_snapshots_total{result=
"failure"} on /metrics), answers pushes with 503 and Retry-After instead of acknowledging
what it cannot log, and keeps serving /metrics and /healthz. When space is freed, pushes
are acknowledged again without a restart. A file system that went read-only on an error
needs repair: the exporter is killed with SIGKILL, the image is checked with e2fsck and
mounted again, and the restarted exporter must count every acknowledged event exactly
once, and none that was refused.

  fault_test.py AGENT_EXPORTER_BINARY

Needs root (or CAP_SYS_ADMIN) for `unshare --mount` and loop mounts, and e2fsprogs; fails,
never skips, without them.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BATCH = 40  # events per push


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def http(port, method, path, body=None, headers=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def sample(text, series):
    m = re.search(r"^" + re.escape(series) + r" ([0-9.e+-]+)", text, re.M)
    return float(m.group(1)) if m else None


class Exporter:
    def __init__(self, binary, config, log_path):
        self.binary, self.config, self.log_path = binary, config, log_path
        self.proc, self.port = None, None

    def start(self):
        with open(self.log_path, "ab") as f:
            start = f.tell()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--config.file=" + self.config],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                m = re.search(rb"msg=listening .*port=(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise Fail("exporter exited with %s" % self.proc.returncode)
            time.sleep(0.02)
        raise Fail("exporter did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def metrics(self):
        status, _, body = http(self.port, "GET", "/metrics")
        check(status == 200, "/metrics answered %d" % status)
        return body

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class Pusher:
    """Pushes numbered batches; remembers which were acknowledged."""

    def __init__(self):
        self.next = 0
        self.acked = []     # batch numbers answered 200
        self.refused = 0    # batches answered 503

    def body(self, n):
        lines = [json.dumps({"type": "run", "agent_id": "fault-agent", "status": "success",
                             "duration_ms": 100 + i, "task_type": "b%d" % n})
                 for i in range(BATCH)]
        return ("\n".join(lines) + "\n").encode()

    def push(self, exporter):
        n = self.next
        self.next += 1
        status, headers, text = http(exporter.port, "POST", "/v1/events", self.body(n),
                                     {"Content-Type": "application/x-ndjson"})
        if status == 200:
            self.acked.append(n)
        elif status == 503:
            check(headers.get("Retry-After"), "503 without Retry-After")
            self.refused += 1
        else:
            raise Fail("push answered %d: %s" % (status, text))
        return status


def push_until(exporter, pusher, want, limit=400, pause=0.0):
    """Pushes until a push is answered `want`; returns how many pushes that took."""
    for i in range(limit):
        if pusher.push(exporter) == want:
            return i + 1
        time.sleep(pause)
    raise Fail("no push was answered %d after %d tries" % (want, limit))


def wait_for(pred, what, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise Fail("timed out waiting for " + what)


def fill(path):
    """Writes a filler file until the filesystem is full."""
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def run(binary):
    work = tempfile.mkdtemp(prefix="agx-fault-")
    fs = os.path.join(work, "fs")
    image = os.path.join(work, "state.img")
    os.makedirs(fs)
    with open(image, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True)
    subprocess.run(["mount", "-o", "loop,errors=remount-ro", image, fs], check=True)
    config = os.path.join(work, "config.yml")
    with open(config, "w") as f:
        f.write("web:\n  listen_address: 127.0.0.1:0\n"
                "state:\n  dir: %s\n  snapshot_interval: 300ms\n" % os.path.join(fs, "state"))
    exporter = Exporter(binary, config, os.path.join(work, "exporter.log"))
    pusher = Pusher()
    figures = {}
    try:
        exporter.start()
        for _ in range(10):
            check(pusher.push(exporter) == 200, "push before any fault")

        # 1. Disk full.
        fill(os.path.join(fs, "filler"))
        tries = push_until(exporter, pusher, 503)
        figures["full: pushes until the first 503"] = tries
        for _ in range(5):
            check(pusher.push(exporter) == 503, "a push was acknowledged on a full disk")
        m = exporter.metrics()
        check((sample(m, 'agent_exporter_wal_append_failures_total{reason="io_error"}') or 0) >= 5,
              "WAL failures not counted")
        check(http(exporter.port, "GET", "/healthz")[0] == 200, "/healthz while full")
        wait_for(lambda: (sample(exporter.metrics(),
                                 'agent_exporter_state_snapshots_total{result="failure"}') or 0) > 0,
                 "a failed snapshot to be counted")
        check("write-ahead log failing" in exporter.log_text(), "no error logged for the full disk")
        os.remove(os.path.join(fs, "filler"))
        push_until(exporter, pusher, 200, pause=0.05)
        for _ in range(5):
            check(pusher.push(exporter) == 200, "push after space was freed")
        check("write-ahead log writable again" in exporter.log_text(), "no recovery logged")

        # 2. Read-only: ext4 aborts (as on an I/O error) and turns the mount read-only.
        figures["full: pushes refused"] = pusher.refused
        subprocess.run(["mount", "-o", "remount,abort", fs], check=True)
        push_until(exporter, pusher, 503)
        for _ in range(5):
            check(pusher.push(exporter) == 503, "a push was acknowledged on a read-only disk")
        failures = sample(exporter.metrics(), 'agent_exporter_state_snapshots_total{result="failure"}')
        wait_for(lambda: sample(exporter.metrics(),
                                'agent_exporter_state_snapshots_total{result="failure"}') > failures,
                 "snapshot failures on the read-only disk")
        check(http(exporter.port, "GET", "/healthz")[0] == 200, "/healthz while read-only")
        figures["read-only: pushes refused"] = pusher.refused - figures["full: pushes refused"]

        # 3. Repair and restart, as an operator would: exactly the acknowledged batches count.
        exporter.kill9()
        subprocess.run(["umount", fs], check=True)
        fsck = subprocess.run(["e2fsck", "-fy", image], capture_output=True)
        check(fsck.returncode in (0, 1), "e2fsck failed: %s" % fsck.stdout.decode()[-500:])
        subprocess.run(["mount", "-o", "loop,errors=remount-ro", image, fs], check=True)
        exporter.start()
        for _ in range(5):
            check(pusher.push(exporter) == 200, "push after the repair")
        m = exporter.metrics()
        want = len(pusher.acked) * BATCH
        got = sample(m, 'agent_requests_total{agent_id="fault-agent",status="success"}')
        check(got == want, "after kill -9: %s runs counted, %d acknowledged (%d batches refused)"
              % (got, want, pusher.refused))
        check(sample(m, 'agent_exporter_events_total{source="push",type="run"}') == want,
              "events_total differs from the acknowledged events")
        figures["batches acknowledged"] = len(pusher.acked)
        figures["batches refused with 503"] = pusher.refused
        print("fault_test: OK", json.dumps(figures, sort_keys=True))
        return 0
    except Fail as e:
        print("FAULT TEST FAILED:", e, file=sys.stderr)
        print("---- exporter log ----", file=sys.stderr)
        print(exporter.log_text()[-6000:], file=sys.stderr)
        return 1
    finally:
        exporter.stop()
        subprocess.run(["umount", "-l", fs], check=False)
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if "--in-namespace" not in sys.argv:
        # A private mount namespace: the tmpfs and its remounts are invisible outside and
        # vanish with the test.
        try:
            return subprocess.run(["unshare", "--mount", "--propagation", "private",
                                   sys.executable, os.path.abspath(__file__), binary,
                                   "--in-namespace"]).returncode
        except FileNotFoundError:
            print("FAULT TEST FAILED: unshare(1) not found (util-linux)", file=sys.stderr)
            return 1
    return run(binary)


if __name__ == "__main__":
    sys.exit(main())
