#!/usr/bin/env python3
"""Fixture generator: realistic Claude Code and Codex CLI transcript trees, and their truth.

  gen_transcripts.py --out DIR [--seed S] [--sessions N] [--steps K] [--step-delay SECONDS]

writes DIR/claude/<project>/<session>.jsonl (+ <session>/subagents/agent-*.jsonl and their
.meta.json) and DIR/codex/YYYY/MM/DD/rollout-*.jsonl, shaped like the real recordings
(tests/transcripts/claude_code/recorded/2.1.337, the Codex CLI 0.171.0 one), and
DIR/truth.json. Deterministic for a given --seed. With --steps K the files are written in K
appends of random size (lines cut anywhere, files and day directories created as the
writing goes on), --step-delay apart; tests use the Writer class for the same.

The truth is computed from what was generated, at the level of what happened, not by
replaying lines: each logical API call (a Claude message id, a Codex response) with its
final usage, each tool call with its outcome, each user turn with how it ended, and, for
every line written, why it carries nothing when it carries nothing (a streamed copy of a
message already seen, a line type that counts nothing, a type this release does not know,
a message made by the agent itself, a line that is not JSON). The expected metric values
are summed from those.

What the trees hold:
- Claude Code, two styles. "2.1" as recorded from 2.1.337: every line of a streamed message
  carries the final usage and stop_reason, tool_result lines sit between the lines of one
  message, api-request lines before each attempt, retried API errors as system/api_error
  lines and the final one as a <synthetic> isApiErrorMessage message, sub-agents in
  <session>/subagents/agent-<id>.jsonl only, completion as a task-notification user line,
  cost-state session totals (never counted). "legacy" (older releases, public format
  notes): streamed lines with growing usage and a null stop_reason until the last one, an
  exact repeat of a line, sidechain lines of sub-agents also copied into the parent file,
  summary and file-history-snapshot lines. Both: interrupted turns (no run), a
  <synthetic> "No response requested." message, system lines of other subtypes, line types
  no release had (unknown_type), a line cut by a crash (not JSON).
- Codex CLI: "0.171" (token_usage_record per response then token_count with the thread
  totals, totals repeated at the start of a resumed turn and after a compaction, a
  compacted line carrying a copy of its call's record, custom tool `exec` in code mode,
  item_completed failures) and "older" (token_count only, function tool exec_command or
  local_shell, repeated totals, info null). Sessions live in YYYY/MM/DD by their start
  day; a session resumed on a later day is appended to its file (as Codex does), new
  sessions of later days go to new day directories. Turns end with task_complete, a
  task_complete carrying an API error (a failed call, not a step of the run) or turn_aborted
  (no run).
- No label is derived from a session id: agent ids come from the project (cwd).
"""
import argparse
import collections
import datetime
import json
import math
import os
import random
import sys
import time
import uuid as uuidlib

# Prices used by the tests' config (USD per million tokens); truth.json repeats them.
PRICING = [
    {"match": "claude-sonnet-4-5*", "input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75},
    {"match": "claude-haiku-4-5*", "input": 1, "output": 5, "cache_read": 0.1, "cache_write": 1.25},
    {"match": "claude-opus-4-5*", "input": 5, "output": 25, "cache_read": 0.5, "cache_write": 6.25},
    {"match": "gpt-5.5", "input": 1.25, "output": 10, "cache_read": 0.125, "cache_write": 0},
    {"match": "gpt-6.2-sol", "input": 2, "output": 16, "cache_read": 0.2, "cache_write": 2.5},
    {"match": "gpt-5-codex", "input": 1.25, "output": 10, "cache_read": 0.125, "cache_write": 0},
]
CLAUDE_AGENT = "cc-{project}"  # agent_id templates of the tests' config
CODEX_AGENT = "cx-{project}"
DIRECTIONS = ["input", "output", "cache_read", "cache_creation"]
REASONS = ["unknown_type", "ignored", "duplicate", "synthetic"]


def price(model, tokens):
    """USD for tokens {direction: n} of `model` (exact match first, then longest prefix*)."""
    p = next((p for p in PRICING if p["match"] == model), None)
    if p is None:
        cands = [p for p in PRICING if p["match"].endswith("*") and model.startswith(p["match"][:-1])]
        p = max(cands, key=lambda p: len(p["match"])) if cands else None
    if p is None:
        return None
    keys = {"input": "input", "output": "output", "cache_read": "cache_read", "cache_creation": "cache_write"}
    return sum(tokens.get(d, 0) * p[keys[d]] / 1e6 for d in DIRECTIONS)


class Truth:
    """What happened, summed the way the metrics are."""

    def __init__(self):
        self.calls = collections.Counter()       # (agent, model, status)
        self.tokens = collections.Counter()      # (agent, model, direction)
        self.cost = collections.defaultdict(float)  # (agent, model)
        self.tools = collections.Counter()       # (agent, tool, status)
        self.runs = collections.Counter()        # (agent, status)
        self.run_steps = collections.Counter()   # agent -> sum of steps of its runs
        self.run_tools = collections.Counter()   # agent -> sum of tool calls of its runs
        self.events = collections.Counter()      # native event type -> count
        self.dropped = {f: collections.Counter() for f in ("claude_code", "codex")}
        self.invalid = collections.Counter()     # format -> lines that are not JSON
        self.lines = collections.Counter()       # format -> lines written
        self.files = collections.Counter()
        self.session_ids = []

    def call(self, agent, model, status, tokens=None, parts=1):
        """One API call; `parts` native events carry it (llm_call + usage growth events)."""
        self.calls[(agent, model, status)] += 1
        self.events["llm_call"] += 1
        self.events["usage"] += parts - 1
        for d, n in (tokens or {}).items():
            if n:
                self.tokens[(agent, model, d)] += n
        if tokens is not None and status == "success":
            c = price(model, tokens)
            if c is not None:
                self.cost[(agent, model)] += c

    def tool(self, agent, name, ok):
        self.tools[(agent, name, "success" if ok else "failure")] += 1
        self.events["tool_call"] += 1

    def run(self, agent, ok, steps, tools):
        self.runs[(agent, "success" if ok else "failure")] += 1
        self.run_steps[agent] += steps
        self.run_tools[agent] += tools
        self.events["run"] += 1

    def to_json(self):
        metrics = []
        for (a, m, s), n in sorted(self.calls.items()):
            metrics.append(["agent_llm_calls_total", {"agent_id": a, "model": m, "status": s}, n])
        for (a, m, d), n in sorted(self.tokens.items()):
            metrics.append(["agent_tokens_consumed_total", {"agent_id": a, "model": m, "direction": d}, n])
        for (a, m), c in sorted(self.cost.items()):
            metrics.append(["agent_cost_usd_total", {"agent_id": a, "model": m}, c])
        for (a, t, s), n in sorted(self.tools.items()):
            metrics.append(["agent_tool_calls_total", {"agent_id": a, "tool_name": t, "status": s}, n])
        for (a, s), n in sorted(self.runs.items()):
            metrics.append(["agent_requests_total", {"agent_id": a, "status": s}, n])
        for a in sorted(self.run_steps):
            metrics.append(["agent_reasoning_steps_sum", {"agent_id": a}, self.run_steps[a]])
            metrics.append(["agent_tool_calls_per_run_sum", {"agent_id": a}, self.run_tools[a]])
        for t, n in sorted(self.events.items()):
            metrics.append(["agent_exporter_events_total", {"source": "transcript", "type": t}, n])
        for f in ("claude_code", "codex"):
            for r in REASONS:
                metrics.append(["agent_exporter_transcript_dropped_total", {"format": f, "reason": r},
                                self.dropped[f][r]])
        metrics.append(["agent_exporter_events_rejected_total",
                        {"source": "transcript", "reason": "invalid_json"}, sum(self.invalid.values())])
        return {
            "pricing": PRICING,
            "agent_id": {"claude_code": CLAUDE_AGENT, "codex": CODEX_AGENT},
            "lines": dict(self.lines), "files": dict(self.files),
            "llm_calls": sum(self.calls.values()),
            "events": dict(self.events),
            "dropped": {f: dict(c) for f, c in self.dropped.items()},
            "invalid_lines": dict(self.invalid),
            "session_ids": self.session_ids,
            # [name, labels, value]: every series of these names for transcript agents.
            "metrics": metrics,
        }


class Clock:
    def __init__(self, start):
        self.t = start

    def tick(self, lo=0.05, hi=2.0, rng=None):
        self.t += datetime.timedelta(seconds=rng.uniform(lo, hi))
        return self.t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (self.t.microsecond // 1000)


def uid(rng):
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


# ---------------------------------------------------------------------------------------------
# Claude Code


class TranscriptFile:
    """Lines of one transcript file, each with what it must count as: None (it makes
    events), a drop reason, or "invalid"."""

    def __init__(self, path):
        self.path, self.lines = path, []

    def add(self, obj, drop=None, raw=None):
        self.lines.append(((raw if raw is not None else json.dumps(obj, separators=(",", ":"))), drop))


class ClaudeSession:
    def __init__(self, g, project, cwd, style, start):
        self.g, self.rng, self.truth = g, g.rng, g.truth
        self.style = style
        self.sid = uid(self.rng)
        self.truth.session_ids.append(self.sid)
        self.cwd = cwd
        self.agent = CLAUDE_AGENT.replace("{project}", os.path.basename(cwd))
        self.model = self.rng.choice(["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101"])
        self.clock = Clock(start)
        self.parent = TranscriptFile("claude/%s/%s.jsonl" % (project, self.sid))
        self.files = [self.parent]
        self.meta_files = {}
        self.prev = None
        self.msg_seq = 0

    def ts(self):
        return self.clock.tick(rng=self.rng)

    def base(self, typ, sidechain=False, agent_id=None):
        u = uid(self.rng)
        d = {"parentUuid": self.prev, "isSidechain": sidechain, "userType": "external", "cwd": self.cwd,
             "sessionId": self.sid, "version": "2.1.337" if self.style == "2.1" else "1.0.98",
             "gitBranch": "main", "type": typ, "uuid": u, "timestamp": self.ts()}
        if agent_id:
            d["agentId"] = agent_id
        self.prev = u
        return d

    def misc(self, f, typ):
        """A line type that counts nothing (as recorded: no uuid/cwd on most of them)."""
        d = {"type": typ, "sessionId": self.sid}
        if typ == "queue-operation":
            d.update({"operation": "enqueue", "timestamp": self.ts(), "content": "next"})
        elif typ == "cost-state":  # session totals: counting them too would count twice
            d.update({"totalCostUSD": 1.23, "modelUsage": {self.model: {"inputTokens": 999999,
                                                                         "outputTokens": 99999}}})
        elif typ == "api-request":
            d.update({"timestamp": self.ts(), "params": {"model": self.model, "max_tokens": 32000},
                      "id": uid(self.rng)})
        elif typ == "api-request-blob":
            d.update({"hash": "%016x" % self.rng.getrandbits(64),
                      "message": {"role": "user", "content": [{"type": "text", "text": "x" * self.rng.randint(10, 3000)}]}})
        elif typ == "summary":
            d = {"type": "summary", "summary": "Refactoring the parser", "leafUuid": uid(self.rng)}
        elif typ == "file-history-snapshot":
            d = {"type": "file-history-snapshot", "messageId": uid(self.rng), "snapshot": {"trackedFileBackups": {}},
                 "isSnapshotUpdate": False}
        elif typ == "attachment":
            d = self.base("attachment")
            d["attachment"] = {"type": "todo_reminder", "content": []}
        f.add(d, drop="ignored")

    def message_id(self):
        self.msg_seq += 1
        return "msg_01%022x" % self.rng.getrandbits(88)

    def usage(self, big=False):
        r = self.rng
        return {"input_tokens": r.randint(3, 2000), "cache_creation_input_tokens": r.choice([0, 0, r.randint(100, 9000)]),
                "cache_read_input_tokens": r.choice([0, r.randint(1000, 60000)]),
                "output_tokens": r.randint(20, 900) if not big else r.randint(200, 4000),
                "service_tier": "standard"}

    def assistant(self, f, model, blocks, stop, sidechain, agent_id, copies=None, growing=False,
                  results_between=True):
        """One API message streamed as one line per content block. Returns the tool_use ids
        with names, in order. Tool results may sit between the lines (as recorded)."""
        mid = self.message_id()
        final = self.usage()
        n = len(blocks)
        if growing:
            final["output_tokens"] = max(final["output_tokens"], n + 1)
        line_usages = []
        for i in range(n):
            u = dict(final)
            if growing and i < n - 1:  # older releases: output grows line by line
                u["output_tokens"] = final["output_tokens"] * (i + 1) // n
            line_usages.append(u)
        tokens = {"input": final["input_tokens"], "output": final["output_tokens"],
                  "cache_read": final["cache_read_input_tokens"],
                  "cache_creation": final["cache_creation_input_tokens"]}
        req_id = "req_011%021x" % self.rng.getrandbits(84)
        tools, outcomes = [], []
        prev_out = -1
        events_lines = 0
        for i, block in enumerate(blocks):
            d = self.base("assistant", sidechain, agent_id)
            d["requestId"] = req_id
            d["message"] = {"id": mid, "type": "message", "role": "assistant", "model": model,
                            "content": [block],
                            "stop_reason": (stop if (not growing or i == n - 1) else None),
                            "stop_sequence": None, "usage": line_usages[i]}
            grows = line_usages[i]["output_tokens"] > prev_out
            prev_out = max(prev_out, line_usages[i]["output_tokens"])
            f.add(d, drop=None if (i == 0 or (growing and grows)) else "duplicate")
            if i == 0 or (growing and grows):
                events_lines += 1
            for c in copies or []:
                # The same line copied into another file: whichever is read first counts.
                c.add(d, drop="duplicate")
            if growing and i == 1 and self.rng.random() < 0.5:
                f.add(d, drop="duplicate")  # a line written twice (no growth)
            if block["type"] == "tool_use":
                if results_between and i < n - 1 and self.rng.random() < 0.5:
                    # Its result sits between two lines of the same message (as recorded).
                    outcomes += self.tool_results(f, [(block["id"], block["name"])], sidechain, agent_id, copies)
                else:
                    tools.append((block["id"], block["name"]))
        return mid, tokens, tools, events_lines, outcomes

    def tool_results(self, f, tools, sidechain, agent_id, copies=None, fail_p=0.25):
        """One user line per tool result; returns [(name, ok)]."""
        out = []
        for tid, name in tools:
            ok = self.rng.random() >= fail_p
            d = self.base("user", sidechain, agent_id)
            block = {"tool_use_id": tid, "type": "tool_result", "content": "ok" if ok else "Exit code 1\nerror"}
            if not ok:
                block["is_error"] = True
            elif self.rng.random() < 0.5:
                block["is_error"] = False  # absent on Read results, false on Bash results
            d["message"] = {"role": "user", "content": [block]}
            d["toolUseResult"] = {"stdout": "", "stderr": "", "interrupted": False}
            f.add(d, drop=None)
            for c in copies or []:
                c.add(d, drop="duplicate")
            out.append((name, ok))
        return out

    def tool_use_block(self, name):
        return {"type": "tool_use", "id": "toolu_01%022x" % self.rng.getrandbits(88), "name": name,
                "input": {"command": "ls"}}

    def step_blocks(self, final):
        r = self.rng
        blocks = []
        if r.random() < 0.4:
            blocks.append({"type": "thinking", "thinking": "hmm", "signature": "sig"})
        if final or r.random() < 0.6:
            blocks.append({"type": "text", "text": "Working on it."})
        if not final:
            for _ in range(r.randint(1, 3)):
                blocks.append(self.tool_use_block(r.choice(["Bash", "Read", "Edit", "Grep", "Write"])))
        return blocks

    def run_message(self, f, model, blocks, stop, sidechain=False, agent_id=None, copies=None):
        """A message and the results of its tools; returns (tool outcomes)."""
        growing = self.style == "legacy" and not copies and not sidechain
        mid, tokens, tools, parts, outcomes = self.assistant(f, model, blocks, stop, sidechain, agent_id, copies,
                                                             growing)
        agent = self.agent
        self.truth.call(agent, model, "success", tokens, parts=parts)
        outcomes += self.tool_results(f, tools, sidechain, agent_id, copies)
        for name, ok in outcomes:
            self.truth.tool(agent, name, ok)
        return outcomes

    def subagent(self, copies_into_parent):
        """A sub-agent's own file (2.1: only there; legacy: its lines also in the parent)."""
        aid = "a%016x" % self.rng.getrandbits(64)
        sub = TranscriptFile("claude/%s/%s/subagents/agent-%s.jsonl" % (self.parent.path.split("/")[1], self.sid, aid))
        self.files.append(sub)
        self.meta_files[sub.path[:-len(".jsonl")] + ".meta.json"] = json.dumps({"agentType": "general-purpose"})
        copies = [self.parent] if copies_into_parent else None
        model = "claude-haiku-4-5-20251001"
        d = self.base("user", True, aid)
        d["message"] = {"role": "user", "content": "Run echo from the sub-agent."}
        sub.add(d, drop="ignored")  # a sidechain prompt opens no turn
        if copies:
            self.parent.add(d, drop="ignored")
        self.misc(sub, "attachment")
        for k in range(self.rng.randint(1, 3)):
            final = k == 2 or self.rng.random() < 0.3
            self.run_message(sub, model, self.step_blocks(final), "end_turn" if final else "tool_use",
                             sidechain=True, agent_id=aid, copies=copies)
            if final:
                break

    def turn(self, kind):
        """One user turn: success, failure (API error after retries) or interrupt."""
        f, r, agent = self.parent, self.rng, self.agent
        d = self.base("user")
        d["message"] = {"role": "user", "content": "Please fix bug %d" % r.randint(1, 999)}
        if self.style == "2.1":
            d["promptSource"] = "user"
        f.add(d, drop="ignored")
        for _ in range(r.randint(0, 3)):
            self.misc(f, "attachment")
        steps = tools = 0
        # Older releases wrote no api-request lines: a failed call's model is known from
        # the messages before it in the file, so their failing turns answer once first, and
        # start a sub-agent (whose lines, copied into this file, are of another model).
        legacy_failure = kind == "failure" and self.style == "legacy"
        nsteps = r.randint(3 if legacy_failure else 1, 4)
        for k in range(nsteps):
            last = k == nsteps - 1
            if self.style == "2.1":
                self.misc(f, "api-request-blob")
                self.misc(f, "api-request")
            if kind == "failure" and last:
                break
            if kind == "interrupt" and last:
                u = self.base("user")
                u["message"] = {"role": "user", "content": [{"type": "text", "text": "[Request interrupted by user]"}]}
                f.add(u, drop="ignored")
                s = self.base("assistant")
                s["message"] = {"id": uid(r), "model": "<synthetic>", "role": "assistant", "type": "message",
                                "stop_reason": "stop_sequence", "content": [{"type": "text", "text": "No response requested."}],
                                "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                          "cache_read_input_tokens": 0}}
                f.add(s, drop="synthetic")
                return
            if self.style == "2.1" and r.random() < 0.2:
                # A retried API error: one failed attempt, then a new api-request.
                e = self.base("system")
                e.update({"subtype": "api_error", "level": "error", "error": {"status": 529},
                          "retryInMs": 500, "retryAttempt": 1, "maxRetries": 10})
                f.add(e, drop=None)
                self.truth.call(agent, self.model, "failure")
                self.misc(f, "api-request")
            if k == 1 and not last and (legacy_failure or r.random() < 0.5):
                # The model starts a sub-agent (tool Agent); its result comes back at launch.
                blk = self.tool_use_block("Agent")
                mid, tokens, tls, parts, _ = self.assistant(f, self.model, [blk], "tool_use", False, None)
                self.truth.call(agent, self.model, "success", tokens, parts=parts)
                legacy = self.style == "legacy"
                if legacy:
                    self.subagent(copies_into_parent=True)
                outcome = self.tool_results(f, tls, False, None, fail_p=0)
                self.truth.tool(agent, "Agent", True)
                if not legacy:
                    self.subagent(copies_into_parent=False)
                    n = self.base("user")
                    n.update({"promptSource": "system", "turnOrigin": "task_notification"})
                    n["message"] = {"role": "user", "content": "<task-notification>\n<task-id>x</task-id>done"}
                    f.add(n, drop="ignored")
                steps += 1
                tools += len(outcome)
                continue
            outcomes = self.run_message(f, self.model, self.step_blocks(last), "end_turn" if last else "tool_use")
            steps += 1
            tools += len(outcomes)
            if r.random() < 0.2:
                self.misc(f, "attachment")
        if kind == "failure":
            for _ in range(r.randint(1, 2)):
                e = self.base("system")
                e.update({"subtype": "api_error", "level": "error", "error": {"status": 500},
                          "retryInMs": 500, "retryAttempt": 1, "maxRetries": 2})
                f.add(e, drop=None)
                self.truth.call(agent, self.model, "failure")
                if self.style == "2.1":
                    self.misc(f, "api-request")
            a = self.base("assistant")
            a.update({"isApiErrorMessage": True, "apiErrorStatus": 500, "error": "unknown",
                      "requestId": "req_011%021x" % r.getrandbits(84)})
            a["message"] = {"id": uid(r), "model": "<synthetic>", "role": "assistant", "type": "message",
                            "stop_reason": "stop_sequence", "content": [{"type": "text", "text": "API Error: 500"}],
                            "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                      "cache_read_input_tokens": 0}}
            f.add(a, drop=None)
            self.truth.call(agent, self.model, "failure")
            self.truth.run(agent, False, steps, tools)
        else:
            self.truth.run(agent, True, steps, tools)
        if self.style == "2.1":
            self.misc(f, "last-prompt")
            self.misc(f, "cost-state")

    def generate(self):
        f, r = self.parent, self.rng
        if self.style == "legacy":
            self.misc(f, "summary")
            self.misc(f, "file-history-snapshot")
        else:
            self.misc(f, "queue-operation")
        kinds = ["success"] * r.randint(1, 3) + ["failure", "interrupt"]
        r.shuffle(kinds)
        for i, kind in enumerate(kinds):
            self.turn(kind)
            if i == 0:
                s = self.base("system")
                s.update({"subtype": r.choice(["compact_boundary", "informational", "local_command"]),
                          "content": "note", "level": "info"})
                f.add(s, drop="ignored")
                f.add({"type": "agent-memory-sync", "sessionId": self.sid, "entries": 3}, drop="unknown_type")
            if i == 1:
                # A line cut by a crash, then the session goes on (the next write starts a line).
                f.add(None, raw='{"parentUuid":"%s","type":"assistant","message":{"id":"msg_' % self.prev,
                      drop="invalid")
        return self.files


# ---------------------------------------------------------------------------------------------
# Codex CLI


class CodexSession:
    def __init__(self, g, cwd, style, start, model):
        self.g, self.rng, self.truth = g, g.rng, g.truth
        self.style, self.cwd, self.model = style, cwd, model
        self.sid = uid(self.rng)
        self.truth.session_ids.append(self.sid)
        self.agent = CODEX_AGENT.replace("{project}", os.path.basename(cwd))
        self.clock = Clock(start)
        name = "rollout-%s-%s.jsonl" % (start.strftime("%Y-%m-%dT%H-%M-%S"), self.sid)
        self.file = TranscriptFile("codex/%s/%s" % (start.strftime("%Y/%m/%d"), name))
        self.total = {"input_tokens": 0, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
                      "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
        self.last = None
        self.ordinal = 0
        self.resp = 0

    def add(self, typ, payload, drop=None):
        self.ordinal += 1
        d = {"timestamp": self.clock.tick(rng=self.rng), "type": typ, "payload": payload}
        if self.style == "0.171":
            d["ordinal"] = self.ordinal
        self.file.add(d, drop=drop)

    def ev(self, payload, drop=None):
        self.add("event_msg", payload, drop)

    def item(self, payload, drop=None):
        self.add("response_item", payload, drop)

    def usage(self, compaction=False):
        r = self.rng
        inp = r.randint(800, 9000)
        cached = r.choice([0, r.randint(0, inp // 2), r.randint(inp // 2, inp)])
        cw = r.choice([0, 0, 0, r.randint(0, inp - cached)]) if self.style == "0.171" else 0
        out = r.randint(10, 600) + (200 if compaction else 0)
        reasoning = r.randint(0, out)
        u = {"input_tokens": inp, "cached_input_tokens": cached, "output_tokens": out,
             "reasoning_output_tokens": reasoning, "total_tokens": inp + out}
        if self.style == "0.171":
            u["cache_write_input_tokens"] = cw
        return u

    def count_call(self, u, model):
        # OpenAI input includes cached and cache-write tokens; output includes reasoning.
        cw = u.get("cache_write_input_tokens", 0)
        tokens = {"input": u["input_tokens"] - u["cached_input_tokens"] - cw, "output": u["output_tokens"],
                  "cache_read": u["cached_input_tokens"], "cache_creation": cw}
        self.truth.call(self.agent, model, "success", tokens)
        for k in self.total:
            self.total[k] += u.get(k, 0)
        self.last = u

    def token_count(self, last, drop=None):
        total = {k: v for k, v in self.total.items() if self.style == "0.171" or k != "cache_write_input_tokens"}
        self.ev({"type": "token_count", "info": {"total_token_usage": total, "last_token_usage": last,
                                                 "model_context_window": 272000},
                 "rate_limits": {"primary": {"used_percent": 1.0}}}, drop=drop)

    def response(self, model, compaction=False):
        """One API response: its usage record (0.171) and/or token_count."""
        self.resp += 1
        rid = "resp_%04d%08x" % (self.resp, self.rng.getrandbits(32))
        u = self.usage(compaction)
        self.count_call(u, model)
        if self.style == "0.171":
            self.add("token_usage_record", {"thread_id": self.sid, "session_id": self.sid, "response_id": rid,
                                            "usage": u, "turn_token_usage": u, "thread_token_usage": dict(self.total)})
            return rid, u, "duplicate"  # its token_count repeats what the record counted
        return rid, u, None

    def tool_call(self, model):
        r = self.rng
        if self.style == "0.171":
            kind = r.choice(["exec", "exec_command"]) if model != "gpt-6.2-sol" else "exec"
        else:
            kind = r.choice(["exec_command", "local_shell", "shell"])
        cid = "call_%016x" % r.getrandbits(64)
        ok = r.random() >= 0.3
        if kind == "exec":
            self.item({"type": "custom_tool_call", "id": "ctc_x", "status": "completed", "call_id": cid,
                       "name": "exec", "input": "text(1)"}, drop="ignored")
            return ("exec", cid, ok, "custom")
        if kind == "local_shell":
            self.item({"type": "local_shell_call", "call_id": cid, "status": "completed",
                       "action": {"type": "exec", "command": ["bash", "-lc", "ls"]}}, drop="ignored")
            return ("local_shell", cid, ok, "function")
        self.item({"type": "function_call", "name": kind, "arguments": "{\"cmd\":\"ls\"}", "call_id": cid},
                  drop="ignored")
        return (kind, cid, ok, "function")

    def tool_output(self, call):
        name, cid, ok, how = call
        if how == "custom":
            text = "Script completed\nWall time 0.1 seconds\nOutput:\n" if ok else \
                "Script failed\nWall time 0.0 seconds\nOutput:\n"
            self.item({"type": "custom_tool_call_output", "call_id": cid,
                       "output": [{"type": "input_text", "text": text}, {"type": "input_text", "text": "x\n"}]})
        elif self.style == "0.171":
            code = 0 if ok else self.rng.randint(1, 127)
            if not ok:  # the reliable failure marker of 0.171: item_completed status failed
                self.ev({"type": "item_completed", "item": {"type": "CommandExecution", "id": cid,
                                                            "status": "failed", "exit_code": code}},
                        drop="ignored")
            self.item({"type": "function_call_output", "call_id": cid,
                       "output": "Chunk ID: 1a\nWall time: 0.0 seconds\nProcess exited with code %d\nOutput:\n" % code})
        elif name == "local_shell" or name == "shell":
            code = 0 if ok else self.rng.randint(1, 127)
            self.item({"type": "function_call_output", "call_id": cid,
                       "output": json.dumps({"output": "x", "metadata": {"exit_code": code, "duration_seconds": 0.1}},
                                                 separators=(",", ":"))})
        else:
            code = 0 if ok else self.rng.randint(1, 127)
            self.item({"type": "function_call_output", "call_id": cid,
                       "output": "Exit code: %d\nWall time: 0.1 seconds\nOutput:\nx\n" % code})
        self.truth.tool(self.agent, name, ok)

    def meta(self):
        self.add("session_meta", {"id": self.sid, "session_id": self.sid, "timestamp": self.clock.tick(rng=self.rng),
                                  "cwd": self.cwd, "cli_version": "0.171.0" if self.style == "0.171" else "0.46.0",
                                  "originator": "codex_exec", "model_provider": "openai"}, drop="ignored")

    def turn(self, kind, resumed=False):
        r, agent = self.rng, self.agent
        self.ev({"type": "task_started", "turn_id": uid(r), "model_context_window": 272000}, drop="ignored")
        self.add("turn_context", {"turn_id": uid(r), "cwd": self.cwd, "model": self.model,
                                  "approval_policy": "never", "summary": "auto"}, drop="ignored")
        if resumed and self.last is not None:
            self.token_count(self.last, drop="duplicate")  # totals repeated at a resumed turn's start
        if self.style == "0.171" and r.random() < 0.5:
            self.add("world_state", {"full": True, "state": {}}, drop="ignored")
        self.item({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Do it."}]},
                  drop="ignored")
        if self.style != "0.171":
            self.ev({"type": "user_message", "message": "Do it.", "images": []}, drop="ignored")
        steps = tools = 0
        n = r.randint(1, 4)
        for k in range(n):
            last = k == n - 1
            if kind == "aborted" and last:
                # interrupted: no run (docs/transcripts.md, "Runs")
                self.ev({"type": "turn_aborted", "reason": "interrupted", "duration_ms": 394}, drop="ignored")
                return
            if kind == "error" and last:
                self.ev({"type": "error", "message": "stream disconnected"}, drop="ignored")
                self.ev({"type": "task_complete", "last_agent_message": None, "duration_ms": 900,
                         "error": {"message": "unexpected status 500", "codex_error_info": "internal_server_error"}},
                        drop=None)
                self.truth.call(agent, self.model, "failure")
                self.truth.run(agent, False, steps, tools)  # a failed call is no step
                return
            self.item({"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}],
                       "content": None, "encrypted_content": None}, drop="ignored")
            calls = [] if last else [self.tool_call(self.model) for _ in range(r.randint(1, 2))]
            if last:
                self.item({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
                          drop="ignored")
            if r.random() < 0.1:
                self.item({"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "q"}})
                self.truth.tool(agent, "web_search", True)
                tools += 1
            rid, u, tc_drop = self.response(self.model)
            steps += 1
            for c in calls:
                self.tool_output(c)
                tools += 1
            self.token_count(u, drop=tc_drop)
            if r.random() < 0.15:
                self.token_count(u, drop="duplicate")  # the same totals again
            if self.style != "0.171" and r.random() < 0.1:
                self.ev({"type": "token_count", "info": None, "rate_limits": {}}, drop="ignored")
        self.ev({"type": "task_complete", "last_agent_message": "Done.", "duration_ms": 1234}, drop=None)
        self.truth.run(agent, True, steps, tools)

    def compaction(self):
        """0.171: a compaction call, its token_count, the compacted line copying its record,
        then the totals repeated with an empty last usage."""
        rid, u, _ = self.response(self.model, compaction=True)
        self.token_count(u, drop="duplicate")
        self.add("compacted", {"message": "Summary of the work so far.", "replacement_history": [],
                               "compaction_response_id": rid,
                               "latest_token_usage_record": {"thread_id": self.sid, "response_id": rid, "usage": u,
                                                             "thread_token_usage": dict(self.total)}},
                 drop="duplicate")
        zero = {k: 0 for k in self.total}
        self.token_count(zero, drop="duplicate")

    def unknowns(self):
        self.ev({"type": "goal_progress_v3", "value": 1}, drop="unknown_type")
        self.add("thread_checkpoint", {"id": 1}, drop="unknown_type")
        self.item({"type": "hologram_call", "call_id": "h1"}, drop="unknown_type")


class Generator:
    def __init__(self, seed, sessions):
        self.rng = random.Random(seed)
        self.truth = Truth()
        self.sessions = sessions

    def generate(self):
        """{relpath: [(line text, drop reason or None or 'invalid')]} in creation order,
        and {relpath: text} of other files (.meta.json)."""
        r = self.rng
        files, others = collections.OrderedDict(), {}
        day0 = datetime.datetime(2026, 12, 7, 22, 30, tzinfo=datetime.timezone.utc)
        projects = ["-home-dev-src-" + p for p in ("alpha", "beta", "gamma")]
        for i in range(self.sessions):
            proj = projects[i % len(projects)]
            cwd = "/home/dev/src/" + proj.rsplit("-", 1)[1]
            style = "2.1" if i % 3 != 2 else "legacy"
            s = ClaudeSession(self, proj, cwd, style, day0 + datetime.timedelta(hours=5 * i))
            for f in s.generate():
                files[f.path] = f.lines
            others.update(s.meta_files)
        # Codex: sessions by start day; the first one is resumed the next day (same file).
        codex = []
        for i in range(self.sessions):
            start = day0 + datetime.timedelta(hours=13 * i)
            style = "0.171" if i % 2 == 0 else "older"
            model = "gpt-6.2-sol" if style == "0.171" else r.choice(["gpt-5.5", "gpt-5-codex"])
            s = CodexSession(self, "/home/dev/src/" + ["alpha", "beta", "gamma"][i % 3], style, start, model)
            s.meta()
            kinds = ["ok"] * r.randint(1, 3) + ["error", "aborted"]
            r.shuffle(kinds)
            for j, kind in enumerate(kinds):
                s.turn(kind)
                if j == 0:
                    s.unknowns()
                    s.file.add(None, raw='{"timestamp":"2026-12-08T00:00:00Z","type":"event_msg","payload":{"type":"tok',
                               drop="invalid")
                if j == 1 and style == "0.171":
                    s.compaction()
            codex.append(s)
        first = codex[0]
        first.clock.t += datetime.timedelta(days=1)  # resumed the next day, appended to its file
        first.turn("ok", resumed=True)
        for s in codex:
            files[s.file.path] = s.file.lines
        return files, others


def serialize(files):
    """{relpath: bytes} and the truth's per-format line counts and drops."""
    return {p: "".join(text + "\n" for text, _ in lines).encode() for p, lines in files.items()}


def build(seed=1, sessions=6):
    """(contents {relpath: bytes}, other files {relpath: text}, truth dict)."""
    g = Generator(seed, sessions)
    files, others = g.generate()
    t = g.truth
    for path, lines in files.items():
        fmt = "claude_code" if path.startswith("claude/") else "codex"
        t.files[fmt] += 1
        for _, drop in lines:
            t.lines[fmt] += 1
            if drop == "invalid":
                t.invalid[fmt] += 1
            elif drop is not None:
                t.dropped[fmt][drop] += 1
    return serialize(files), others, t.to_json()


class Writer:
    """Writes a generated tree under `root`, all at once or in appends of random size: files
    (and their day directories) are created in generation order as the writing reaches them,
    so later sessions and days appear while a tailer runs; lines are cut anywhere."""

    def __init__(self, root, contents, others, rng):
        self.root, self.rng = root, rng
        self.todo = collections.OrderedDict((p, 0) for p in contents)
        self.contents, self.others = contents, others
        self.active = []  # files being written (several sessions at once)
        self.pos = {}

    def done(self):
        return not self.todo and not self.active

    def _append(self, path, n):
        data = self.contents[path]
        pos = self.pos[path]
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        meta = path[:-len(".jsonl")] + ".meta.json"
        if meta in self.others and not os.path.exists(os.path.join(self.root, meta)):
            with open(os.path.join(self.root, meta), "w") as f:
                f.write(self.others[meta])
        with open(full, "ab") as f:
            f.write(data[pos:pos + n])
        self.pos[path] = min(len(data), pos + n)
        return self.pos[path] >= len(data)

    def step(self, max_bytes=4000):
        """Appends up to max_bytes to one file (a new one starts with probability 1/3 or
        when none is being written). Returns False when everything is written."""
        if self.done():
            return False
        if self.todo and (not self.active or self.rng.random() < 0.33):
            p, _ = self.todo.popitem(last=False)
            self.pos[p] = 0
            self.active.append(p)
        p = self.rng.choice(self.active)
        if self._append(p, self.rng.randint(1, max_bytes)):
            self.active.remove(p)
        return True

    def cut_line(self):
        """Writes an active file up to the middle of its next line; returns (path, rest) or
        None. The line stays partial until the writing goes on."""
        for p in self.active:
            data, pos = self.contents[p], self.pos[p]
            end = data.find(b"\n", pos)
            if end > pos + 1:
                self._append(p, (end - pos) // 2)
                return p
        return None

    def finish(self, path):
        """Completes the current line of `path`."""
        data, pos = self.contents[path], self.pos[path]
        end = data.find(b"\n", pos)
        if end >= 0 and self._append(path, end + 1 - pos):
            self.active.remove(path)

    def write_all(self):
        while self.step(1 << 30):
            pass


# ---------------------------------------------------------------------------------------------
# Checking an exposition against a truth (the tests use these)


def combine(*truths):
    """The truth of several trees written into one root: their metric values add up."""
    out = {}
    for t in truths:
        for name, labels, value in t["metrics"]:
            key = (name, tuple(sorted(labels.items())))
            out[key] = out.get(key, 0) + value
    return {"metrics": [[k[0], dict(k[1]), v] for k, v in out.items()],
            "session_ids": sum((t["session_ids"] for t in truths), [])}


def ours(labels):
    """Series this test owns: transcript agents and the transcript self metrics."""
    a = labels.get("agent_id", "")
    return a.startswith("cc-") or a.startswith("cx-") or labels.get("source") == "transcript" \
        or "format" in labels


def samples(text):
    """{(name, labels): value} of the series ours() selects in an OpenMetrics text."""
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    got = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if ours(s.labels):
                got[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return got


def diff(truth, text):
    """Problems of an OpenMetrics exposition against a truth: truth values missing or different, and nonzero series of the same names
    that the truth does not have."""
    got = samples(text)
    want = {(n, tuple(sorted(l.items()))): v for n, l, v in truth["metrics"]}
    problems = []
    for k, v in sorted(want.items()):
        g = got.get(k, 0.0)
        if not math.isclose(g, v, rel_tol=1e-9, abs_tol=1e-9):
            problems.append("%s%s: want %r got %r" % (k[0], dict(k[1]), v, g))
    names = {k[0] for k in want}
    for k, g in sorted(got.items()):
        if k[0] in names and k not in want and g != 0:
            problems.append("unexpected %s%s = %r" % (k[0], dict(k[1]), g))
    return problems


def no_session_ids(truth, text):
    """No label value may come from a session id: none may appear in /metrics."""
    return ["session id %s appears in /metrics" % s for s in truth["session_ids"] if s in text]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--steps", type=int, default=0, help="write in this many appends (0: at once)")
    ap.add_argument("--step-delay", type=float, default=0.0)
    args = ap.parse_args()
    contents, others, truth = build(args.seed, args.sessions)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    w = Writer(args.out, contents, others, random.Random(args.seed))
    if args.steps <= 0:
        w.write_all()
    else:
        size = max(1, sum(len(c) for c in contents.values()) // args.steps)
        while w.step(2 * size):
            time.sleep(args.step_delay)
    print("%s: %d files, %d lines (claude_code %d, codex %d), %d llm calls, events %s"
          % (args.out, sum(truth["files"].values()), sum(truth["lines"].values()), truth["lines"].get("claude_code", 0),
             truth["lines"].get("codex", 0), truth["llm_calls"], truth["events"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
