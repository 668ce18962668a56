#!/usr/bin/env python3
"""Coding-agent transcripts end to end: the real agent_exporter tails generated Claude Code
and Codex CLI trees (tests/transcripts/gen_transcripts.py) and its /metrics must equal the
generator's truth exactly: llm calls, tokens by direction, cost, tool calls by tool and
status, runs (and their steps and tool calls), events by type, dropped lines by reason,
lines that are not JSON.

  transcripts_e2e_test.py AGENT_EXPORTER_BINARY

Cases: (a) the whole tree is there at start, then a graceful restart counts nothing again;
(b) the trees are written while the exporter runs, in appends that cut lines anywhere (a
partial last line is left alone for many polls before it is completed), new sessions and
new day directories appear after start, and (c) the exporter is restarted gracefully in the
middle of the writing (with writes while it is down); (d) a file is renamed to another
matched name and written on, another renamed out of the glob, another deleted, while
tailing, then a second tree is written: nothing counted twice; (e) no session id appears in
/metrics (no label value comes from one).
"""
import json
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "transcripts"))
import gen_transcripts  # noqa: E402
from kill9_test import Exporter, tail  # noqa: E402

SESSIONS = 6


def write_config(tmp, root, pricing):
    """The transcript directories as configured by users: every file below them, sub-agent
    files and Codex day directories included, is found through `<dir>/**/*.jsonl`."""
    config = os.path.join(tmp, "config.yml")
    price_lines = "".join("  - {match: %s, input: %s, output: %s, cache_read: %s, cache_write: %s}\n"
                          % (json.dumps(p["match"]), p["input"], p["output"], p["cache_read"], p["cache_write"])
                          for p in pricing)
    with open(config, "w") as f:
        f.write("web:\n  listen_address: 127.0.0.1:0\n"
                "ingest:\n  poll_interval: 20ms\n  scan_interval: 100ms\n"
                "  transcripts:\n"
                "    claude_code: {dirs: ['%(r)s/claude'], agent_id: 'cc-{project}'}\n"
                "    codex: {dirs: ['%(r)s/codex'], agent_id: 'cx-{project}'}\n"
                "state:\n  dir: %(t)s/state\n  snapshot_interval: 100ms\n"
                "pricing:\n%(p)s" % {"r": root, "t": tmp, "p": price_lines})
    return config


def wait_equal(exporter, truth, what, timeout=20):
    """Waits until /metrics equals the truth (counters only grow: once equal, a later
    excess shows in the next checks). Returns the exposition."""
    deadline = time.time() + timeout
    while True:
        text = exporter.scrape()
        problems = gen_transcripts.diff(truth, text)
        if not problems:
            return text
        if time.time() > deadline:
            raise AssertionError("%s: /metrics differs from the truth (%d problems):\n  %s\nlog:\n%s"
                                 % (what, len(problems), "\n  ".join(problems[:30]), tail(exporter.log_path)))
        time.sleep(0.05)


def settle(exporter, polls=15):
    """Lets the exporter poll the files several times (20 ms each) before the next step."""
    time.sleep(polls * 0.02)


def new_case(name, binary):
    tmp = tempfile.mkdtemp(prefix="agx-transcripts-%s-" % name)
    root = os.path.join(tmp, "trees")
    os.makedirs(os.path.join(root, "claude"))
    os.makedirs(os.path.join(root, "codex"))
    config = write_config(tmp, root, gen_transcripts.PRICING)
    return tmp, root, Exporter(binary, config, os.path.join(tmp, "exporter.log"))


def stop(exporter):
    rc = exporter.term()
    if rc != 0:
        raise AssertionError("SIGTERM exit code %s; log:\n%s" % (rc, tail(exporter.log_path)))


def case_a(binary):
    """(a) The whole tree at start; a graceful restart re-counts nothing; (e)."""
    tmp, root, ex = new_case("a", binary)
    contents, others, truth = gen_transcripts.build(seed=11, sessions=SESSIONS)
    gen_transcripts.Writer(root, contents, others, random.Random(11)).write_all()
    ex.start()
    try:
        wait_equal(ex, truth, "(a) whole tree at start")
        stop(ex)
        ex.start()
        settle(ex)
        text = wait_equal(ex, truth, "(a) after a graceful restart", timeout=5)
        problems = gen_transcripts.diff(truth, text) + gen_transcripts.no_session_ids(truth, text)
        if problems:
            raise AssertionError("(a) " + "\n".join(problems))
        stop(ex)
    finally:
        if ex.proc.poll() is None:
            ex.proc.kill()
    shutil.rmtree(tmp)
    return truth


def case_bc(binary):
    """(b) written while running, in appends, with partial lines completed later, new files
    and day directories; (c) a graceful restart in the middle, with writes while down."""
    tmp, root, ex = new_case("bc", binary)
    contents, others, truth = gen_transcripts.build(seed=22, sessions=SESSIONS)
    rng = random.Random(22)
    w = gen_transcripts.Writer(root, contents, others, rng)
    total = sum(len(c) for c in contents.values())
    ex.start()
    restarted = False
    partials = 0
    written = 0
    try:
        while not w.done():
            if rng.random() < 0.04:
                path = w.cut_line()
                if path is not None:
                    partials += 1
                    settle(ex)  # many polls see the half line: it must wait for its newline
                    w.finish(path)
                    continue
            before = sum(w.pos.values())
            w.step(rng.randint(1, 6000))
            written += sum(w.pos.values()) - before
            if not restarted and written > total // 2:
                stop(ex)
                for _ in range(5):  # the agents go on writing while the exporter is down
                    w.step(3000)
                ex.start()
                restarted = True
            time.sleep(rng.uniform(0, 0.01))
        text = wait_equal(ex, truth, "(b, c) written while running")
        problems = gen_transcripts.no_session_ids(truth, text)
        if problems or partials == 0 or not restarted:
            raise AssertionError("(b) %s partials=%d restarted=%s" % (problems, partials, restarted))
        stop(ex)
    finally:
        if ex.proc.poll() is None:
            ex.proc.kill()
    shutil.rmtree(tmp)
    return truth, partials


def case_d(binary):
    """(d) Rotation and deletion while tailing: nothing counted twice, nothing lost."""
    tmp, root, ex = new_case("d", binary)
    contents, others, truth = gen_transcripts.build(seed=33, sessions=SESSIONS)
    # One Claude session file is held back at half its lines: its agent writes the rest after
    # the file was renamed (the writer keeps its descriptor).
    held = next(p for p in contents if p.startswith("claude/") and "/subagents/" not in p)
    data = contents[held]
    cut = data.index(b"\n", len(data) // 2) + 1
    contents_now = dict(contents)
    contents_now[held] = data[:cut]
    gen_transcripts.Writer(root, contents_now, others, random.Random(33)).write_all()
    ex.start()
    try:
        full = os.path.join(root, held)
        fd = open(full, "ab")
        settle(ex)
        rotated = full[:-len(".jsonl")] + "-rotated.jsonl"  # still matched: continued by identity
        os.rename(full, rotated)
        settle(ex)
        fd.write(data[cut:])
        fd.close()
        codex = sorted(p for p in contents if p.startswith("codex/"))
        wait_equal(ex, truth, "(d) tree with a renamed file written on")
        os.rename(os.path.join(root, codex[0]), os.path.join(root, codex[0]) + ".1")  # out of the glob
        os.remove(os.path.join(root, codex[1]))
        sub = next(p for p in contents if "/subagents/" in p)
        os.remove(os.path.join(root, sub))
        settle(ex)
        # A second tree (other sessions of the same projects) into the same root, one of its
        # Codex files at the path of the deleted one (a new file, possibly with its inode).
        contents2, others2, truth2 = gen_transcripts.build(seed=44, sessions=SESSIONS)
        first2 = next(p for p in contents2 if p.startswith("codex/"))
        contents2 = {(codex[1] if p == first2 else p): c for p, c in contents2.items()}
        gen_transcripts.Writer(root, contents2, others2, random.Random(44)).write_all()
        both = gen_transcripts.combine(truth, truth2)
        wait_equal(ex, both, "(d) after rename, delete and a second tree")
        stop(ex)
        ex.start()
        settle(ex)
        text = wait_equal(ex, both, "(d) after a restart", timeout=5)
        problems = gen_transcripts.diff(both, text) + gen_transcripts.no_session_ids(both, text)
        if problems:
            raise AssertionError("(d) " + "\n".join(problems))
        stop(ex)
    finally:
        if ex.proc.poll() is None:
            ex.proc.kill()
    shutil.rmtree(tmp)
    return both


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    t0 = time.time()
    a = case_a(binary)
    bc, partials = case_bc(binary)
    d = case_d(binary)
    print("OK in %.1fs: (a) %d lines, %d llm calls, events %s; (b, c) %d lines, %d partial lines "
          "completed later, restart mid-stream; (d) rename, delete, second tree: %d series exact; "
          "(e) no session id in /metrics"
          % (time.time() - t0, sum(a["lines"].values()), a["llm_calls"], a["events"],
             sum(bc["lines"].values()), partials, len(d["metrics"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
