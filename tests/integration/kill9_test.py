#!/usr/bin/env python3
"""Exactly-once under kill -9: a real agent_exporter child is SIGKILLed many times while a
writer appends (and once rotates) a tailed file, another appends events to a container log in
the CRI format as kubelet and containerd write it (long lines split into P records and a final
F, stdout and stderr interleaved, the application's own lines in between, a rotation), another
writes Claude Code and Codex CLI
transcript trees (tests/transcripts/gen_transcripts.py: lines cut anywhere, sessions and day
directories appearing as it goes), and a client pushes batches over HTTP: NDJSON,
JSON arrays of pretty-printed events (raw newlines inside events, a nested event-shaped object
on a line of its own) and OTLP JSON spans, in turn.
After the last restart has drained the files, every counter must equal what the events say,
and every transcript metric the generator's truth: nothing lost, nothing counted twice. Acknowledged pushes must all be there exactly once;
an unacknowledged push (cut by a kill) must be there exactly once or not at all.

  kill9_test.py AGENT_EXPORTER_BINARY [--kills N] [--events N] [--sessions N] [--seed S]
"""
import argparse
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "transcripts"))
import expected_metrics  # noqa: E402
import gen_transcripts  # noqa: E402
from prometheus_client.openmetrics.parser import text_string_to_metric_families  # noqa: E402


class Exporter:
    def __init__(self, binary, config, log_path):
        self.binary, self.config, self.log_path = binary, config, log_path
        self.proc, self.port = None, None

    def start(self):
        self.log = open(self.log_path, "ab")
        start = self.log.tell()
        self.proc = subprocess.Popen([self.binary, "serve", "--config.file=" + self.config],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                m = re.search(rb'msg=listening .*port=(\d+)', f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RuntimeError("exporter exited with %s; log:\n%s" % (self.proc.returncode, tail(self.log_path)))
            time.sleep(0.02)
        raise RuntimeError("exporter did not start; log:\n" + tail(self.log_path))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.port = None

    def term(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def scrape(self):
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % self.port,
                                     headers={"Accept": "application/openmetrics-text;version=1.0.0"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode("utf-8")


def tail(path, n=60):
    with open(path, "rb") as f:
        return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")


def gen(seed, n, out):
    subprocess.check_call([sys.executable, os.path.join(ROOT, "bench", "gen_events.py"),
                           "--events", str(n), "--seed", str(seed), "--out", out, "--bad-every", "97"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--events", type=int, default=40000)
    ap.add_argument("--sessions", type=int, default=6, help="transcript sessions per format")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="agx-kill9-")
    config = os.path.join(tmp, "config.yml")
    trees = os.path.join(tmp, "trees")
    # Transcripts: the directories as users configure them (as transcripts_e2e_test.py).
    # Prices: the generator's, for the events file too.
    pricing = gen_transcripts.PRICING
    with open(config, "w") as f:
        f.write("web:\n  listen_address: 127.0.0.1:0\n"
                "ingest:\n  poll_interval: 20ms\n  scan_interval: 100ms\n"
                "  files:\n    - '%(t)s/events*.jsonl'\n"
                "    - {path: '%(t)s/pods/*/*/*.log*', format: native, container_log: cri}\n"
                "  transcripts:\n"
                "    claude_code: {dirs: ['%(r)s/claude'], agent_id: 'cc-{project}'}\n"
                "    codex: {dirs: ['%(r)s/codex'], agent_id: 'cx-{project}'}\n"
                # A small checkpoint_wal_bytes: kills also land during checkpoints by log size.
                "state:\n  dir: %(t)s/state\n  snapshot_interval: 150ms\n  checkpoint_wal_bytes: 16KiB\n"
                "pricing:\n%(p)s" % {
                    "t": tmp, "r": trees,
                    "p": "".join("  - {match: %s, input: %s, output: %s, cache_read: %s, cache_write: %s}\n"
                                 % (json.dumps(p["match"]), p["input"], p["output"], p["cache_read"],
                                    p["cache_write"]) for p in pricing)})
    contents, others, truth = gen_transcripts.build(args.seed, args.sessions)
    transcript_writer = gen_transcripts.Writer(trees, contents, others, random.Random(args.seed + 1))
    transcripts_done = threading.Event()
    source = os.path.join(tmp, "source.jsonl")
    gen(args.seed, args.events, source)
    with open(source, "rb") as f:
        data = f.read()
    total_lines = data.count(b"\n")
    # The container log's events: JSON lines only (the generator's "not json at all" lines
    # are the application's output there: skipped, not rejected).
    cri_source = os.path.join(tmp, "cri_source.jsonl")
    gen(args.seed + 100, args.events // 4, cri_source)
    with open(cri_source, "rb") as f:
        cri_lines = [l for l in f.read().split(b"\n") if l]
    cri_events = [l for l in cri_lines if l.lstrip().startswith(b"{")]
    cri_json = os.path.join(tmp, "cri_events.jsonl")
    with open(cri_json, "wb") as f:
        f.write(b"".join(l + b"\n" for l in cri_events))
    total_lines += len(cri_events)

    # Writer: appends the source in random-sized pieces (cutting lines in half), and renames
    # the live file once half-way (the glob still matches the rotated name).
    live = os.path.join(tmp, "events.jsonl")
    writer_done = threading.Event()

    def writer():
        pos, rotated = 0, False
        while pos < len(data):
            n = rng.randint(200, 20000)
            with open(live, "ab") as f:
                f.write(data[pos:pos + n])
            pos += n
            if not rotated and pos > len(data) // 2:
                # Writers rotate between lines: finish the current line first.
                end = data.index(b"\n", pos) + 1 if b"\n" in data[pos:] else len(data)
                with open(live, "ab") as f:
                    f.write(data[pos:end])
                pos = end
                os.rename(live, os.path.join(tmp, "events-1.jsonl"))
                rotated = True
            time.sleep(rng.uniform(0.0, 0.01))
        writer_done.set()

    # Container log writer: CRI records as containerd writes them (a line longer than its
    # buffer in P pieces, then F; stdout and stderr in one file, their records interleaved),
    # appended in random byte pieces (records cut anywhere). Rotated once as kubelet does:
    # 0.log renamed, the runtime goes on writing to the renamed file until it reopens 0.log;
    # it reopens between lines (docs/deploy.md "Container logs").
    pod_dir = os.path.join(tmp, "pods", "agents_agent-0_0f0e", "agent")
    os.makedirs(pod_dir)
    cri_live = os.path.join(pod_dir, "0.log")
    cri_done = threading.Event()
    cri_app_lines = [0]

    def cri_writer():
        crng = random.Random(args.seed + 3)
        lines = list(cri_lines)
        pending = {"stdout": [], "stderr": []}  # pieces of the line being written, per stream
        out = open(cri_live, "ab")
        buf = b""
        flush_at = crng.randint(200, 6000)  # bytes, as the events writer's pieces
        rotated = reopen = False
        while lines or pending["stdout"] or pending["stderr"] or buf:
            stream = crng.choice(["stdout", "stdout", "stderr"])
            if pending[stream]:
                piece = pending[stream].pop(0)
                tag = b"P" if pending[stream] else b"F"
            elif lines and crng.random() < 0.9:
                line = lines.pop(0)
                pieces, pos = [], 0
                while pos < len(line):  # a third of the lines split, in pieces of any size
                    n = len(line) if crng.random() < 0.67 else crng.randint(1, 80)
                    pieces.append(line[pos:pos + n])
                    pos += n
                piece = pieces.pop(0)
                pending[stream] = pieces
                tag = b"P" if pieces else b"F"
            elif lines:
                piece, tag = b"level=info msg=\"working\" n=%d" % crng.randint(0, 999), b"F"
                cri_app_lines[0] += 1
            else:
                piece = tag = None
            if piece is not None:
                buf += b"2024-05-01T10:00:00.%09dZ %s %s %s\n" % (crng.randint(0, 10**9 - 1),
                                                               stream.encode(), tag, piece)
            if buf and (len(buf) > flush_at or piece is None):
                n = crng.randint(1, len(buf))
                out.write(buf[:n])
                out.flush()
                buf = buf[n:]
                flush_at = crng.randint(200, 6000)
                time.sleep(crng.uniform(0.0, 0.01))
            if not rotated and len(lines) < len(cri_lines) // 2:
                os.rename(cri_live, os.path.join(pod_dir, "0.log.20240501-100000"))
                rotated = reopen = True
            if reopen and not pending["stdout"] and not pending["stderr"]:
                out.write(buf)  # the records the runtime wrote before it reopened
                buf = b""
                out.close()
                out = open(cri_live, "ab")
                reopen = False
        out.close()
        cri_done.set()

    # Transcript writer: the trees in small appends of random size, cut anywhere, paced to
    # last through several kills.
    def write_transcripts():
        wrng = random.Random(args.seed + 2)
        while transcript_writer.step(wrng.randint(1, 1200)):
            time.sleep(wrng.uniform(0.0, 0.015))
        transcripts_done.set()

    # Pusher: each batch has its own agent_id so its effect can be checked alone.
    exporter = Exporter(args.binary, config, os.path.join(tmp, "exporter.log"))
    acked, unacked = {}, {}
    push_lock = threading.Lock()
    stop_push = threading.Event()

    def ndjson(agent, k, n):
        body = "".join(json.dumps({"type": "run", "agent_id": agent, "status": "success",
                                   "duration_ms": 100 + i, "trace_id": "%032x" % (k * 1000 + i + 1)}) + "\n"
                       for i in range(n))
        return "/v1/events", "application/x-ndjson", body

    def pretty_array(agent, k, n):
        # A JSON array of pretty-printed elements (raw newlines inside each, as Python's
        # json.dumps(batch, indent=2) writes), one of which holds an event-shaped object on a
        # line of its own: replay must give back exactly the elements, never that object.
        elements = []
        for i in range(n):
            text = json.dumps({"type": "run", "agent_id": agent, "status": "success",
                               "duration_ms": 100 + i, "trace_id": "%032x" % (k * 1000 + i + 1)}, indent=2)
            if i == 0:
                text = text[:-2] + ',\n  "meta":\n{"type":"run","agent_id":"ghost","status":"success"}\n}'
            elements.append(text)
        return "/v1/events", "application/json", "[\n" + ",\n".join(elements) + "\n]"

    def otlp_spans(agent, k, n):
        spans = [{"traceId": "%032x" % (k * 1000 + 1), "spanId": "%016x" % (k * 1000 + i + 1),
                  "name": "invoke_agent", "startTimeUnixNano": "1795319952000000000",
                  "endTimeUnixNano": "1795319952100000000",
                  "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}},
                                 {"key": "gen_ai.agent.name", "value": {"stringValue": agent}}]}
                 for i in range(n)]
        body = json.dumps({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "kill9"}, "spans": spans}]}]},
                          indent=2)
        return "/v1/traces", "application/json", body

    styles = [ndjson, pretty_array, otlp_spans]

    def pusher():
        k = 0
        while not stop_push.is_set():
            port = exporter.port
            if port is None:
                time.sleep(0.01)
                continue
            k += 1
            agent = "push-b%d" % k
            n = rng.randint(1, 40)
            path, ctype, body = styles[k % len(styles)](agent, k, n)
            req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body.encode(),
                                         headers={"Content-Type": ctype}, method="POST")
            ok = False
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    reply = json.loads(r.read() or b"{}")
                    if path == "/v1/events":
                        ok = r.status == 200 and reply["accepted"] == n
                    else:
                        ok = r.status == 200 and "partialSuccess" not in reply
            except Exception:  # killed mid-request or mid-response: not acknowledged
                ok = False
            with push_lock:
                (acked if ok else unacked)[agent] = n

    exporter.start()
    # Daemon threads: a failure below must end the test, not wait for them.
    threads = [threading.Thread(target=writer, daemon=True), threading.Thread(target=pusher, daemon=True),
               threading.Thread(target=write_transcripts, daemon=True),
               threading.Thread(target=cri_writer, daemon=True)]
    for t in threads:
        t.start()
    try:
        kills_in_transcripts = kills_in_cri = 0
        for i in range(args.kills):
            time.sleep(rng.uniform(0.1, 0.8))
            kills_in_transcripts += not transcripts_done.is_set()
            kills_in_cri += not cri_done.is_set()
            exporter.kill9()
            exporter.start()
        writer_done.wait(120)
        transcripts_done.wait(120)
        cri_done.wait(120)
        stop_push.set()
        threads[1].join(30)

        # Drain: wait until every line written has been applied or rejected.
        deadline = time.time() + 60
        while True:
            text = exporter.scrape()
            applied = rejected = 0.0
            for fam in text_string_to_metric_families(text):
                for s in fam.samples:
                    if s.labels.get("source") != "file":
                        continue
                    if s.name == "agent_exporter_events_total":
                        applied += s.value
                    elif s.name == "agent_exporter_events_rejected_total":
                        rejected += s.value
            if (applied + rejected >= total_lines and not gen_transcripts.diff(truth, text)) \
                    or time.time() > deadline:
                break
            time.sleep(0.1)
        # kubelet compresses the rotated file into a new one and deletes it: the .gz file
        # must not be read (it would count as bad_container_log).
        rotated_log = os.path.join(pod_dir, "0.log.20240501-100000")
        with open(rotated_log, "rb") as src, gzip.open(rotated_log + ".gz", "wb") as dst:
            dst.write(src.read())
        os.remove(rotated_log)
        rc = exporter.term()
        if rc != 0:
            print("FAIL: SIGTERM exit code %s" % rc)
            print(tail(exporter.log_path))
            return 1
        # Restart once more from the state SIGTERM wrote: nothing may change.
        exporter.start()
        text = exporter.scrape()
        exporter.term()
    except Exception:
        if exporter.proc and exporter.proc.poll() is None:
            exporter.proc.kill()
        print(tail(exporter.log_path))
        raise

    expect = expected_metrics.expected_from([source, cri_json], pricing)
    not_push = lambda labels: (not labels.get("agent_id", "").startswith("push-")
                               and labels.get("source") not in ("push", "otlp")
                               and not gen_transcripts.ours(labels))
    problems, _ = expected_metrics.compare(expect, text, include=not_push)
    problems += ["transcripts: " + p for p in gen_transcripts.diff(truth, text)]
    problems += gen_transcripts.no_session_ids(truth, text)
    if applied + rejected != total_lines:
        problems.append("file lines applied+rejected %d != written %d" % (applied + rejected, total_lines))
    skipped = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == "agent_exporter_tail_lines_skipped_total":
                skipped[s.labels["reason"]] = s.value
    # The application's lines are skipped, never rejected (their count is exact only without
    # kills: the counter is not saved with the positions, tests/tail/container_log_serve_test.py).
    if not skipped.get("not_json"):
        problems.append("container log: no app line counted as skipped (not_json): %r" % skipped)
    for reason in ("bad_container_log", "unterminated"):
        if skipped.get(reason):
            problems.append("container log: %d lines skipped as %s" % (skipped[reason], reason))

    got = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == "agent_requests_total" and s.labels["agent_id"].startswith("push-"):
                got[s.labels["agent_id"]] = s.value
    for agent, n in acked.items():
        if got.get(agent) != n:
            problems.append("acknowledged push %s: want %d runs, got %r" % (agent, n, got.get(agent)))
    for agent, n in unacked.items():
        if got.get(agent, 0) not in (0, n):
            problems.append("unacknowledged push %s: want 0 or %d runs, got %r" % (agent, n, got.get(agent)))
    for agent in got:
        if agent not in acked and agent not in unacked:
            problems.append("push %s counted but never sent" % agent)
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.labels.get("agent_id") == "ghost" and s.value != 0:
                problems.append("%s%s: an object nested in a pushed event was counted as an event"
                                % (s.name, s.labels))
    kills = args.kills
    if problems:
        print("FAIL after %d kills (%d problems):" % (kills, len(problems)))
        for p in problems[:40]:
            print("  " + p)
        print(tail(exporter.log_path))
        return 1
    print("OK: %d kill -9 restarts; %d file lines (%d rejected; %d of them in a CRI container log, "
          "split into P/F records between %d app lines, %d kills while it was written), %d transcript lines (%d llm calls, "
          "%d events; %d kills while they were written) and %d acknowledged pushes (%d runs; NDJSON, pretty-printed JSON arrays and "
          "OTLP spans) counted exactly once; %d unacknowledged pushes atomic"
          % (kills, total_lines, expect.rejected, len(cri_events),
             cri_app_lines[0] + len(cri_lines) - len(cri_events), kills_in_cri, sum(truth["lines"].values()), truth["llm_calls"],
             sum(truth["events"].values()), kills_in_transcripts, len(acked), sum(acked.values()), len(unacked)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
