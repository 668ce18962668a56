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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("exporter")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--only", choices=["planted"], help="run one part")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-statefiles-")
    ok = False
    try:
        for part, check in (("planted", check_planted),):
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
