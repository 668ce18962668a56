#!/usr/bin/env python3
"""The state directory at start-up, against a real `agent_exporter serve`.

Planted files (real symbolic links and FIFOs under the names the exporter uses): each
start must end at once with exit code 1 and an error naming the file and what it is,
without following a link (its target keeps its contents and no file is created through
it) and without hanging on a FIFO (a start that has not ended within START_BOUND_S, a
generous bound, is a hang):
  - state.json.tmp -> a file outside the directory (the review: start-up truncated it);
  - state.json.tmp -> a path that does not exist (would be created);
  - state.json as a FIFO (the review: start-up hung);
  - wal.lock -> a path that does not exist, and wal.lock as a FIFO;
  - the WAL segment as a FIFO.
Afterwards the same directory, cleaned up, starts normally.

A missing snapshot: state.json deleted while the write-ahead log is kept, after a clean
stop and after kill -9. The start must be refused (exit 1, an error naming state.json and
--state.allow-missing-snapshot) instead of silently counting only the log's records;
state.json restored from a backup brings every count back; with the flag the exporter
starts, logs the loss at level error and counts what the log held; the next start without
the flag is normal. A new directory gets its snapshot at the first start, so kill -9
before any periodic snapshot is followed by a normal start that replays the log.

  state_files_test.py AGENT_EXPORTER_BINARY [--keep]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "hardening"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import exporter_proc as ep  # noqa: E402
from exporter_proc import Fail  # noqa: E402

START_BOUND_S = 30
SEGMENT1 = "wal-00000000000000000001.log"


def write_config(tmp, state):
    path = os.path.join(tmp, "config.yml")
    with open(path, "w") as f:
        f.write("web:\n  listen_address: 127.0.0.1:0\nstate:\n  dir: %s\n" % state)
    return path


def refused_start(binary, config, *flags):
    """Runs `serve`, which must exit 1 within START_BOUND_S. Returns its output."""
    try:
        r = subprocess.run([binary, "serve", "--config.file=" + config, *flags],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=START_BOUND_S)
    except subprocess.TimeoutExpired as e:
        raise Fail("start did not end within %d s (it hung, or started); output: %r"
                   % (START_BOUND_S, (e.output or b"")[-2000:]))
    out = r.stdout.decode("utf-8", "replace")
    if r.returncode != 1:
        raise Fail("start exited with %d, want 1; output:\n%s" % (r.returncode, out[-3000:]))
    return out


def expect_in(out, *needles):
    for n in needles:
        if n not in out:
            raise Fail("the error does not say %r; output:\n%s" % (n, out[-3000:]))


def check_planted(binary, tmp):
    state = os.path.join(tmp, "state")
    config = write_config(tmp, state)
    victim = os.path.join(tmp, "victim.txt")
    with open(victim, "w") as f:
        f.write("precious\n")
    absent = os.path.join(tmp, "created-through-a-link")

    def fresh():
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)

    cases = [
        ("state.json.tmp -> a file", "state.json.tmp",
         lambda p: os.symlink(victim, p), "is a symbolic link, not a regular file"),
        ("state.json.tmp -> nothing", "state.json.tmp",
         lambda p: os.symlink(absent, p), "is a symbolic link, not a regular file"),
        ("state.json FIFO", "state.json", os.mkfifo, "is a FIFO (named pipe), not a regular file"),
        ("wal.lock -> nothing", "wal.lock",
         lambda p: os.symlink(absent, p), "is a symbolic link, not a regular file"),
        ("wal.lock FIFO", "wal.lock", os.mkfifo, "is a FIFO (named pipe), not a regular file"),
        ("WAL segment FIFO", SEGMENT1, os.mkfifo, "is a FIFO (named pipe), not a regular file"),
    ]
    for what, name, plant, says in cases:
        fresh()
        path = os.path.join(state, name)
        plant(path)
        problems = []
        try:
            out = refused_start(binary, config)
            expect_in(out, "cannot start", path + " " + says.split(",")[0], says)
        except Fail as e:
            problems.append(str(e))
        with open(victim) as f:
            if f.read() != "precious\n":
                problems.append("the link's target was changed")
        if os.path.lexists(absent):
            problems.append("a file was created through the link")
        if problems:
            raise Fail("%s: %s" % (what, "; ".join(problems)))
        print("  %s: refused (%s)" % (what, says))

    # Cleaned up, the directory works.
    fresh()
    exporter = ep.ExporterProc(binary, tmp, "web:\n  listen_address: 127.0.0.1:0\n"
                               "state:\n  dir: %s\n" % state, name="clean")
    try:
        exporter.start()
        exporter.check_up("a clean start")
        if exporter.stop() != 0:
            raise Fail("clean exporter did not stop with 0")
    except Fail:
        print(exporter.tail(), file=sys.stderr)
        raise


def push(exporter, agent, n):
    body = "".join('{"type":"run","agent_id":"%s","status":"success"}\n' % agent
                   for _ in range(n))
    status, _, reply = ep.request(exporter.port, "POST", "/v1/events", body.encode(),
                                  {"Content-Type": "application/x-ndjson"})
    if status != 200:
        raise Fail("push answered %d: %r" % (status, reply[:200]))


def runs(exporter, agent):
    return ep.value(exporter.scrape(), "agent_requests_total", agent_id=agent, status="success")


def check_missing_snapshot(binary, tmp):
    state = os.path.join(tmp, "state")
    state_json = os.path.join(state, "state.json")
    config_text = ("web:\n  listen_address: 127.0.0.1:0\n"
                   "state:\n  dir: %s\n  snapshot_interval: 1h\n" % state)
    config = write_config(tmp, state)

    def exporter(name, *flags):
        return ep.ExporterProc(binary, tmp, config_text, name=name, extra_args=flags)

    def started(e, what):
        try:
            e.start()
        except Fail as err:
            raise Fail("%s: %s\n%s" % (what, err, e.tail()))
        return e

    first = started(exporter("first"), "first start")
    push(first, "a", 3)
    if first.stop() != 0:
        raise Fail("first exporter did not stop with 0")
    with open(state_json, "rb") as f:
        backup = f.read()

    # 1. state.json deleted after a clean stop (the log was compacted: it starts past 1).
    os.remove(state_json)
    out = refused_start(binary, config)
    expect_in(out, "level=error", "cannot start", state_json + " is missing",
              "has logged records up to", "--state.allow-missing-snapshot")
    print("  state.json deleted after a clean stop: refused")

    # Restored from the backup, it starts with every count.
    with open(state_json, "wb") as f:
        f.write(backup)
    restored = started(exporter("restored"), "start with the restored state.json")
    if runs(restored, "a") != 3:
        raise Fail("restored: agent a has %g runs, want 3" % runs(restored, "a"))

    # 2. state.json deleted after kill -9 (pushes since the snapshot are in the log only).
    push(restored, "b", 2)
    os.killpg(restored.proc.pid, 9)
    restored.proc.wait(10)
    os.remove(state_json)
    out = refused_start(binary, config)
    expect_in(out, state_json + " is missing", "--state.allow-missing-snapshot")
    print("  state.json deleted after kill -9: refused")

    # 3. The operator accepts the loss: it starts, says so at level error, and counts what
    # the log held (agent b), not what the snapshot held (agent a).
    accepted = started(exporter("accepted", "--state.allow-missing-snapshot"),
                       "start with --state.allow-missing-snapshot")
    with open(accepted.log_path, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    expect_in(log, 'level=error msg="starting without the snapshot '
                   '(--state.allow-missing-snapshot)"', state_json + " is missing")
    got_a, got_b = runs(accepted, "a"), runs(accepted, "b")
    if (got_a, got_b) != (0, 2):
        raise Fail("after accepting the loss: a=%g b=%g, want 0 and 2" % (got_a, got_b))
    if not os.path.isfile(state_json):
        raise Fail("no snapshot written after the accepted loss")
    os.killpg(accepted.proc.pid, 9)
    accepted.proc.wait(10)
    print("  --state.allow-missing-snapshot: started, logged at level error, log counted")

    # ...and from then on, starts are normal without the flag.
    again = started(exporter("again"), "start after the accepted loss")
    if runs(again, "b") != 2:
        raise Fail("after the accepted loss and a restart: b=%g, want 2" % runs(again, "b"))
    if again.stop() != 0:
        raise Fail("exporter did not stop with 0")
    print("  next start without the flag: normal")

    # 4. A new directory gets a snapshot at once, so that a crash before the first periodic
    # snapshot leaves a log with state.json beside it: such a start is normal.
    shutil.rmtree(state)
    new = started(exporter("new"), "start on a new directory")
    if not os.path.isfile(state_json):
        raise Fail("no state.json right after the start on a new directory")
    push(new, "c", 4)
    os.killpg(new.proc.pid, 9)
    new.proc.wait(10)
    crashed = started(exporter("crashed"), "start after kill -9 before any periodic snapshot")
    if runs(crashed, "c") != 4:
        raise Fail("after kill -9 before a periodic snapshot: c=%g, want 4" % runs(crashed, "c"))
    if crashed.stop() != 0:
        raise Fail("exporter did not stop with 0")
    print("  new directory, kill -9 before any periodic snapshot: normal start, log replayed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("exporter")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--only", choices=["planted", "missing"], help="run one part")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-statefiles-")
    ok = False
    try:
        for part, check in (("planted", check_planted), ("missing", check_missing_snapshot)):
            if args.only in (None, part):
                print(part + ":")
                os.makedirs(os.path.join(tmp, part))
                check(args.exporter, os.path.join(tmp, part))
        print("state_files: OK")
        ok = True
    except Fail as e:
        print("state_files: FAIL: %s" % e, file=sys.stderr)
    except Exception:
        traceback.print_exc()
    finally:
        if args.keep:
            print("kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
