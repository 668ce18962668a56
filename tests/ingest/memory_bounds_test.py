#!/usr/bin/env python3
"""Memory that one kind of hostile input could grow without bound, against a real
`agent_exporter serve` (state.dir set): the growth of VmRSS (and the size of the state
file) must stay far below what the same input took before the bounds.

  memory_bounds_test.py --exporter AGENT_EXPORTER --case windows|handle_cache [--scale K]

Cases (the security review's findings 5 and 8; docs/reliability.md has the figures):
  windows       100 000 task events with distinct task types (each 120 bytes) and 100 000
                priced LLM calls of distinct agents. The sliding windows behind
                agent_task_completion_rate and agent_cost_per_task_usd kept one 2.9 KB window
                per key without bound (measured before: +590 MB for 200 000 keys, a 150 MB
                state file for a million); now at most registry.series_limit (1000) + 1 keys
                per gauge. Overflow is counted once per event and does not move when
                /metrics is scraped again (finding 13).
  handle_cache  400 tool calls with distinct tool names of 256 KiB. The per-thread handle
                cache kept each name whole (100 MiB for these); now values over
                registry.label_value_max_bytes never enter it and its keys are bounded in
                bytes.

The bound asserted is 48 MiB of VmRSS growth after a warm-up with requests of the same size
(so the malloc arenas already hold request-sized buffers: see tests/hardening/hostile_test.py
for why they may keep them). --scale multiplies the input (for measurements by hand; the
bound is not scaled). Python standard library only.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hardening"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import exporter_proc as ep  # noqa: E402
from exporter_proc import Fail  # noqa: E402

SERIES_LIMIT = 1000
LABEL_MAX = 128
THREADS = 2
BOUND_MIB = 48
NDJSON = {"Content-Type": "application/x-ndjson"}
RATE = "agent_task_completion_rate"
COST = "agent_cost_per_task_usd"
OVERFLOW = "agent_exporter_series_overflow_total"
TRUNCATED = "agent_exporter_label_values_truncated_total"


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise Fail("no %s in /proc/%d/status" % (field, pid))


def push(exporter, lines):
    body = b"\n".join(lines) + b"\n"
    status, _, reply = ep.request(exporter.port, "POST", "/v1/events", body=body, headers=NDJSON)
    if status != 200:
        raise Fail("push of %d lines answered %d: %r" % (len(lines), status, reply[:300]))


def push_all(exporter, lines, batch):
    for i in range(0, len(lines), batch):
        push(exporter, lines[i:i + batch])


def task(agent, task_type):
    return b'{"type":"task","agent_id":"%s","task_type":"%s","outcome":"completed","cost_usd":0.5}' % (
        agent.encode(), task_type.encode())


def llm(agent):
    return (b'{"type":"llm_call","agent_id":"%s","model":"claude-sonnet-4-5","input_tokens":1000,'
            b'"output_tokens":100}' % agent.encode())


def tool(name):
    return b'{"type":"tool_call","agent_id":"tools","tool_name":"%s","status":"success"}' % name.encode()


def case_windows(exporter, scale):
    n = 100000 * scale
    pad = "x" * 110
    batch = 5000
    # Warm-up: requests of the same size on one key each.
    push_all(exporter, [task("warm", "warm-" + pad) for _ in range(4 * batch)], batch)
    push_all(exporter, [llm("warm") for _ in range(4 * batch)], batch)
    exporter.scrape()
    lines = [task("tasks", "type-%07d-%s" % (i, pad)) for i in range(n)]
    lines += [llm("agent-%07d" % i) for i in range(n)]
    return lines, batch


def check_windows(exporter, scale, samples):
    n = 100000 * scale
    problems = []
    # Keys: warm and 999 task types took the places of agent_task_completion_rate.
    want_rate = n - (SERIES_LIMIT - 1)
    got = ep.value(samples, OVERFLOW, metric=RATE)
    if got != want_rate:
        problems.append("overflow of %s: want %d, got %r" % (RATE, want_rate, got))
    for family in (RATE, COST):
        count = len(samples.get(family, {}))
        if count > SERIES_LIMIT + 1:
            problems.append("%s has %d series, over the limit + 1" % (family, count))
    # Finding 13: scraping again adds nothing.
    for _ in range(3):
        again = exporter.scrape()
        for family in (RATE, COST):
            if ep.value(again, OVERFLOW, metric=family) != ep.value(samples, OVERFLOW, metric=family):
                problems.append("a scrape without events moved the overflow of %s: %r -> %r" % (
                    family, ep.value(samples, OVERFLOW, metric=family),
                    ep.value(again, OVERFLOW, metric=family)))
    return problems


def case_handle_cache(exporter, scale):
    n = 400 * scale
    size = 256 << 10
    batch = 24  # 6 MiB a request, under web.max_body_bytes (8 MiB)
    push_all(exporter, [tool("w" * size) for _ in range(4 * batch)], batch)
    exporter.scrape()
    lines = [tool("%06d" % i + "t" * size) for i in range(n)]
    return lines, batch


def check_handle_cache(exporter, scale, samples):
    n = 400 * scale
    problems = []
    want = n + 4 * 24
    got = ep.value(samples, TRUNCATED, metric="agent_tool_calls_total")
    if got != want:
        problems.append("truncations of agent_tool_calls_total: want %d, got %r" % (want, got))
    return problems


def wait_snapshot(exporter, state, after):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if os.path.getmtime(state) > after:
                time.sleep(0.2)  # let the rename land
                return os.path.getsize(state)
        except OSError:
            pass
        time.sleep(0.1)
    raise Fail("no state snapshot within 30 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exporter", required=True)
    parser.add_argument("--case", required=True, choices=["windows", "handle_cache"])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="agx-membounds-")
    config = ("web:\n  listen_address: 127.0.0.1:0\n  threads: %d\n"
              "state:\n  dir: %s/state\n  snapshot_interval: 500ms\n"
              "registry:\n  series_limit: %d\n  label_value_max_bytes: %d\n"
              % (THREADS, tmp, SERIES_LIMIT, LABEL_MAX))
    exporter = ep.ExporterProc(args.exporter, tmp, config)
    ok = False
    try:
        exporter.start()
        build, check = {"windows": (case_windows, check_windows),
                        "handle_cache": (case_handle_cache, check_handle_cache)}[args.case]
        lines, batch = build(exporter, args.scale)
        pid = exporter.proc.pid
        rss0, hwm0 = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
        push_all(exporter, lines, batch)
        del lines
        t = time.time()
        samples = exporter.scrape()
        state_bytes = wait_snapshot(exporter, os.path.join(tmp, "state", "state.json"), t)
        exporter.check_up("the input")
        rss1, hwm1 = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
        grow_mib = (rss1 - rss0) / 1024.0
        print("%s x%d: VmRSS %.1f -> %.1f MiB (%+.1f), VmHWM %.1f -> %.1f MiB, state file %.2f MiB"
              % (args.case, args.scale, rss0 / 1024.0, rss1 / 1024.0, grow_mib, hwm0 / 1024.0,
                 hwm1 / 1024.0, state_bytes / 1048576.0))
        problems = check(exporter, args.scale, samples)
        bound = ep.rss_bound_mib(BOUND_MIB)
        if grow_mib > bound:
            problems.append("VmRSS grew by %.1f MiB, over the bound of %.0f MiB" % (grow_mib, bound))
        if args.case == "windows" and state_bytes > 16 << 20:
            problems.append("state file of %d bytes, over 16 MiB" % state_bytes)
        problems += exporter.log_errors()
        if problems:
            raise Fail("\n  ".join(["%d problem(s):" % len(problems)] + problems))
        ok = True
        print("PASS")
    except Fail as e:
        print("FAIL: %s" % e)
        print("--- exporter log (tail) ---\n" + exporter.tail())
    finally:
        exporter.stop()
        if args.keep or not ok:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
