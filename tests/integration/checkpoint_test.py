#!/usr/bin/env python3
"""Checkpoint by log size: a real agent_exporter with a small write-ahead log
(state.max_wal_bytes 2 MiB, state.checkpoint_wal_bytes 256 KiB) and an interval snapshot
that never comes during the test (state.snapshot_interval 1h) is pushed several times
max_wal_bytes in distinct batches.

Checked: every batch is acknowledged (a batch answered 503 is sent again after a short
pause, a bounded number of times: without checkpoints by size the log stays full for the
hour and the batch gives up); snapshots were triggered by the log's size and none by the
interval (agent_exporter_state_snapshot_triggers_total{reason}); the log stays under
max_wal_bytes. Then a push thread runs while the exporter is killed with SIGKILL (during a
checkpoint or between two), and the restarted exporter must count every acknowledged event
exactly once (an unacknowledged batch cut by the kill: once or not at all).

  checkpoint_test.py AGENT_EXPORTER_BINARY
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BATCH = 200  # events per push, about 30 KB
MAX_WAL = 2 << 20
CHECKPOINT = 256 << 10
PUSHES = 400  # about 12 MB: six times max_wal_bytes
RETRIES = 300  # 503s in a row before a batch gives up (with 20 ms pauses: seconds)


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def http(port, method, path, body=None, headers=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
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
                raise Fail("exporter exited with %s:\n%s" % (self.proc.returncode, self.log_text()[-3000:]))
            time.sleep(0.02)
        raise Fail("exporter did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
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


def body(n):
    # Distinct batches (each event differs), few series: task_type from a small set.
    lines = [json.dumps({"type": "run", "agent_id": "ckpt-agent", "status": "success",
                         "duration_ms": 100 + i, "task_type": "t%d" % (i % 4),
                         "run_id": "b%d-e%d" % (n, i), "note": "x" * 64})
             for i in range(BATCH)]
    return ("\n".join(lines) + "\n").encode()


def push(port, n, stats):
    """Pushes batch n until acknowledged. \return True when acknowledged, False when the
    connection failed (the exporter was killed)."""
    data = body(n)
    for _ in range(RETRIES):
        try:
            status, headers, text = http(port, "POST", "/v1/events", data,
                                         {"Content-Type": "application/x-ndjson"})
        except (urllib.error.URLError, ConnectionError, OSError):
            return False
        if status == 200:
            check(json.loads(text)["accepted"] == BATCH, "batch %d: %s" % (n, text))
            return True
        check(status == 503, "push answered %d: %s" % (status, text))
        check(headers.get("Retry-After"), "503 without Retry-After")
        stats["503"] += 1
        time.sleep(0.02)
    raise Fail("batch %d answered 503 %d times in a row: the write-ahead log stays full "
               "(no checkpoint by size)" % (n, RETRIES))


def events(text):
    return sample(text, 'agent_exporter_events_total{source="push",type="run"}') or 0


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="agx-checkpoint-")
    config = os.path.join(tmp, "config.yml")
    with open(config, "w") as f:
        f.write("web:\n  listen_address: 127.0.0.1:0\n"
                "state:\n  dir: %s/state\n  snapshot_interval: 1h\n"
                "  max_wal_bytes: %d\n  checkpoint_wal_bytes: %d\n" % (tmp, MAX_WAL, CHECKPOINT))
    exporter = Exporter(binary, config, os.path.join(tmp, "exporter.log"))
    ok = False
    try:
        exporter.start()
        stats = {"503": 0}
        for n in range(PUSHES):
            check(push(exporter.port, n, stats), "connection failed on batch %d" % n)
        m = exporter.metrics()
        acked = PUSHES * BATCH
        check(events(m) == acked, "events_total %s, %d acknowledged" % (events(m), acked))
        by_size = sample(m, 'agent_exporter_state_snapshot_triggers_total{reason="wal_size"}') or 0
        by_interval = sample(m, 'agent_exporter_state_snapshot_triggers_total{reason="interval"}')
        check(by_size >= 1, "no snapshot triggered by the log's size:\n%s" % m)
        check(by_interval == 0, "interval snapshots: %s (interval is 1h)" % by_interval)
        wal = sample(m, "agent_exporter_wal_bytes")
        check(wal is not None and wal < MAX_WAL, "agent_exporter_wal_bytes %s" % wal)
        print("phase 1: %d batches (%d MB) acknowledged, %d checkpoints by size, %d answers 503"
              % (PUSHES, PUSHES * len(body(0)) >> 20, by_size, stats["503"]))

        # kill -9 while pushes (and the checkpoints they trigger) run.
        for k in range(5):
            before = int(events(exporter.metrics()))
            acked_here, tried = [], []
            stop = threading.Event()

            def pusher():
                n = 100000 * (k + 1)
                while not stop.is_set():
                    tried.append(n)
                    if not push(exporter.port, n, {"503": 0}):
                        return
                    acked_here.append(n)
                    n += 1

            t = threading.Thread(target=pusher)
            t.start()
            # Kill after some checkpoints by size have started (or on a liveness deadline).
            want = (sample(exporter.metrics(),
                           'agent_exporter_state_snapshot_triggers_total{reason="wal_size"}') or 0) + 2
            deadline = time.time() + 60
            while time.time() < deadline and t.is_alive():
                m = exporter.metrics()
                if (sample(m, 'agent_exporter_state_snapshot_triggers_total{reason="wal_size"}') or 0) >= want:
                    break
                time.sleep(0.005)
            exporter.kill9()
            stop.set()
            t.join()
            exporter.start()
            after = int(events(exporter.metrics()))
            got = after - before
            lo, hi = len(acked_here) * BATCH, len(tried) * BATCH
            check(lo <= got <= hi and got % BATCH == 0,
                  "kill %d: %d events counted, %d acknowledged, %d sent" % (k, got, lo, hi))
        print("phase 2: 5 kills during checkpoints, nothing acknowledged lost or doubled")
        ok = True
    except Fail as e:
        print("FAIL:", e)
        try:
            print(exporter.log_text()[-4000:])
        except OSError:
            pass
    finally:
        exporter.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
