#!/usr/bin/env python3
"""Seeded generator of a realistic agent event stream (native JSON lines, version 1).

Each run of an agent is one trace: 3-8 LLM calls and 1-6 tool calls interleaved with
reasoning steps, sometimes a hallucination, a recovery or an approval, then the run, its
task, and sometimes user feedback and an evaluator score. Every event carries trace_id and
span_id. The same seed always gives the same bytes.

  gen_events.py --events 100000 --seed 42 --out events.jsonl [--bad-every 0]
"""
import argparse
import json
import random
import sys

AGENTS = {
    "support-bot": ["search_kb", "lookup_order", "issue_refund", "unable_to_process", "send_email"],
    "sre-agent": ["query_prometheus", "query_loki", "kubectl_get", "restart_pod", "page_oncall"],
    "research-agent": ["web_search", "fetch_url", "summarize", "write_file"],
}
# Models and their probabilities; "local-llama-3" has no price in the shipped config, so
# its tokens show up as unpriced unless the event reports cost_usd.
MODELS = [("claude-sonnet-4-5", 0.45), ("claude-haiku-4-5", 0.25), ("gpt-4o-mini", 0.2),
          ("local-llama-3", 0.1)]
TASK_TYPES = ["refund", "triage", "research", "how_to"]
HALLUCINATIONS = ["fabricated_fact", "wrong_tool_args", "invented_citation"]
STRATEGIES = ["retry", "fallback_model", "replan"]
FINISH = ["stop", "tool_use", "length"]
EVALUATORS = ["llm_judge", "groundedness"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2000, help="number of events to write")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default="-", help="output file, '-' for stdout")
    ap.add_argument("--bad-every", type=int, default=0,
                    help="also write an invalid line after every N valid events (0 = never)")
    ap.add_argument("--start", type=float, default=1763700000.0, help="first event time (Unix s)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    ts = args.start
    written = 0
    bad = ['{"type":"tool_call","agent_id":"support-bot","status":"success"}',  # missing tool_name
           '{"type":"teleport","agent_id":"x"}',                                  # unknown type
           '{"type":"llm_call","agent_id":"x","model":"m","input_tokens":-5}',    # negative
           'not json at all',
           '{"type":"run","agent_id":"x","status":"success","duration_ms":"fast"}']  # wrong type

    def hexid(n):
        return "%0*x" % (n, rng.getrandbits(n * 4) | 1)

    def emit(ev):
        nonlocal written, ts
        if written >= args.events:
            return
        ts += rng.uniform(0.001, 0.2)
        ev["ts"] = round(ts, 3)
        ev = {"type": ev.pop("type"), **ev}
        out.write(json.dumps(ev, separators=(",", ":")) + "\n")
        written += 1
        if args.bad_every and written % args.bad_every == 0:
            out.write(bad[(written // args.bad_every) % len(bad)] + "\n")

    def pick_model():
        r, acc = rng.random(), 0.0
        for name, p in MODELS:
            acc += p
            if r < acc:
                return name
        return MODELS[-1][0]

    while written < args.events:
        agent = rng.choice(list(AGENTS))
        tools = AGENTS[agent]
        trace = hexid(32)
        conv = "conv-%d" % rng.randrange(10**6)
        base = {"agent_id": agent, "trace_id": trace, "conversation_id": conv}
        failed = rng.random() < 0.04
        n_llm, n_tool = rng.randint(3, 8), rng.randint(1, 6)
        steps, run_ms = 0, 0.0
        for i in range(max(n_llm, n_tool)):
            steps += 1
            if i < n_llm:
                model = pick_model()
                dur = rng.lognormvariate(0.2, 0.6) * 1000
                run_ms += dur
                ev = dict(base, type="llm_call", span_id=hexid(16), model=model,
                          input_tokens=rng.randint(200, 6000), output_tokens=rng.randint(20, 1200),
                          cache_read_tokens=rng.choice([0, 0, rng.randint(100, 4000)]),
                          cache_creation_tokens=rng.choice([0, 0, 0, rng.randint(100, 2000)]),
                          duration_ms=round(dur, 1), finish_reason=rng.choice(FINISH), step=steps,
                          status="failure" if rng.random() < 0.02 else "success")
                if model == "local-llama-3" and rng.random() < 0.5:
                    ev["cost_usd"] = round(rng.uniform(0.0001, 0.002), 6)
                emit(ev)
            if i < n_tool:
                dur = rng.lognormvariate(-1.0, 0.9) * 1000
                run_ms += dur
                r = rng.random()
                status = "failure" if r < 0.03 else ("timeout" if r < 0.04 else "success")
                emit(dict(base, type="tool_call", span_id=hexid(16), tool_name=rng.choice(tools),
                          status=status, duration_ms=round(dur, 1)))
                if status != "success":
                    emit(dict(base, type="step", span_id=hexid(16), outcome="tool_call_failed"))
                    emit(dict(base, type="recovery", span_id=hexid(16), strategy=rng.choice(STRATEGIES)))
                    continue
            if rng.random() < 0.02:
                emit(dict(base, type="hallucination", span_id=hexid(16),
                          hallucination_type=rng.choice(HALLUCINATIONS)))
                emit(dict(base, type="step", span_id=hexid(16), outcome="hallucination"))
            elif rng.random() < 0.03:
                emit(dict(base, type="approval", span_id=hexid(16),
                          result=rng.choice(["approved", "approved", "denied", "overridden", "timeout"])))
            else:
                emit(dict(base, type="step", span_id=hexid(16), outcome="completed"))
        task_type = rng.choice(TASK_TYPES)
        emit(dict(base, type="run", span_id=hexid(16), status="failure" if failed else "success",
                  duration_ms=round(run_ms, 1), steps=steps, tool_calls=n_tool, task_type=task_type))
        outcome = "failed" if failed else rng.choice(["completed"] * 8 + ["abandoned", "escalated"])
        task = dict(base, type="task", span_id=hexid(16), task_type=task_type, outcome=outcome)
        if rng.random() < 0.5:
            task["cost_usd"] = round(rng.uniform(0.01, 0.4), 4)
        emit(task)
        if rng.random() < 0.3:
            emit(dict(base, type="feedback", span_id=hexid(16), task_type=task_type,
                      score=round(rng.random(), 2)))
        if rng.random() < 0.3:
            emit(dict(base, type="eval", span_id=hexid(16), evaluator=rng.choice(EVALUATORS),
                      score=round(rng.uniform(0.4, 1.0), 2)))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
