"""Synthetic agent traffic for the promtool rule unit tests (used by make_series.py).

A scenario is simulated minute by minute: every series holds the increment of each minute
(counters, histogram buckets) and is written in promtool's expanding notation, one sample per
minute starting at 0 at t=0. Rates are constant inside 30-minute blocks (a diurnal curve with
block-to-block noise), so runs compress to `a+bxn` segments; rare events (a failed run, a slow
run, a hallucination) are single steps. All increments are integers or dyadic fractions, so
cumulative values print exactly.
"""
from __future__ import annotations

import dataclasses
import math
import random
from typing import Callable

BLOCK_MINUTES = 30
MIN_GAP = 15  # rare events are "occasional": at least this many minutes apart
JOB = "agent_exporter"

REQUEST_BUCKETS = [0.5, 1, 2, 5, 10, 20, 60, 120]
TOOLS_PER_RUN_BUCKETS = [1, 2, 5, 10, 15, 25, 40]
SCORE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]

# Distributions: (observed value, share). Values are dyadic so _sum stays exact.
NORMAL_LATENCY = [(0.375, 0.10), (0.75, 0.30), (1.5, 0.40), (3.5, 0.20)]
NORMAL_TOOLS_PER_RUN = [(2, 0.30), (4, 0.60), (8, 0.10)]
NORMAL_SCORES = [(0.75, 0.25), (0.875, 0.50), (0.9375, 0.25)]


def fmt(x: float) -> str:
    """Shortest exact decimal for an integer or dyadic value."""
    if x == int(x):
        return str(int(x))
    return repr(x)


def le_text(b: float) -> str:
    """The `le` label value as the exporter writes it (prometheus-cpp: shortest form)."""
    if b == int(b):
        return str(int(b))
    return repr(b)


def split(total: int, mix: list[tuple[float, float]]) -> list[tuple[float, int]]:
    """Splits `total` observations over `mix` by the largest remainder (deterministic)."""
    raw = [(v, total * share) for v, share in mix]
    counts = [[v, int(math.floor(x))] for v, x in raw]
    left = total - sum(c for _, c in counts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i][1] - math.floor(raw[i][1])), i))
    for i in order[:left]:
        counts[i][1] += 1
    return [(v, c) for v, c in counts]


def diurnal(minute: int, amplitude: float) -> float:
    """Daily curve around 1: trough at 04:00, peak at 16:00 (t=0 is midnight)."""
    return 1 + amplitude * math.sin(2 * math.pi * (minute / 1440 - 5 / 12))


class Sim:
    """Per-minute increments of every series of one test group."""

    def __init__(self, minutes: int):
        self.minutes = minutes
        self.series: dict[tuple, list[float]] = {}
        self.first: dict[tuple, int] = {}  # the minute a series is first exported
        self.origin = 0  # new series are exported from this minute (the agent's start)
        self.gauges: dict[tuple, list[str]] = {}

    def add(self, name: str, labels: dict[str, str], minute: int, amount: float) -> None:
        key = (name, tuple(labels.items()))
        incs = self.series.get(key)
        if incs is None:
            incs = self.series[key] = [0.0] * self.minutes
            self.first[key] = self.origin
        if amount:
            incs[minute] += amount

    def touch(self, name: str, labels: dict[str, str]) -> None:
        """Creates a series that stays at 0 (an exported counter nobody has incremented)."""
        self.add(name, labels, self.origin, 0)

    def observe(self, name: str, labels: dict[str, str], buckets: list[float], minute: int,
                values: list[tuple[float, int]]) -> None:
        """Adds observations (value, count) to histogram `name`."""
        for b in buckets:
            n = sum(c for v, c in values if v <= b)
            self.add(name + "_bucket", {**labels, "le": le_text(b)}, minute, n)
        total = sum(c for _, c in values)
        self.add(name + "_bucket", {**labels, "le": "+Inf"}, minute, total)
        self.add(name + "_count", labels, minute, total)
        self.add(name + "_sum", labels, minute, sum(v * c for v, c in values))

    def gauge(self, name: str, labels: dict[str, str], values: str) -> None:
        """A series given directly in expanding notation (gauges such as `up`)."""
        self.gauges[(name, tuple(labels.items()))] = values

    def input_series(self, keep: Callable[[str], bool]) -> list[tuple[str, str]]:
        """(selector, values) for every series whose name passes `keep`, sorted."""
        out = []
        for (name, labels), incs in self.series.items():
            if keep(name):
                out.append((selector(name, labels), encode(incs, self.first[(name, labels)])))
        for (name, labels), values in self.gauges.items():
            if keep(name):
                out.append((selector(name, labels), values))
        return sorted(out)


def selector(name: str, labels: tuple) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels)
    return f"{name}{{{inner}}}"


def encode(incs: list[float], start: int = 0) -> str:
    """Cumulative values 0, 0+incs[0], ... in expanding notation with maximal linear runs; a
    series first exported at minute `start` has no samples before it (`_x<start>`)."""
    vals = [0.0]
    for d in incs[start:]:
        vals.append(vals[-1] + d)
    tokens = [f"_x{start}"] if start else []
    i, n = 0, len(vals)
    while i < n:
        if i == n - 1:
            tokens.append(fmt(vals[i]))
            break
        d = vals[i + 1] - vals[i]
        j = i + 1
        while j + 1 < n and vals[j + 1] - vals[j] == d:
            j += 1
        if d == 0:
            tokens.append(f"{fmt(vals[i])}x{j - i}")
        else:
            tokens.append(f"{fmt(vals[i])}{'+' if d > 0 else '-'}{fmt(abs(d))}x{j - i}")
        i = j + 1
    return " ".join(tokens)


@dataclasses.dataclass
class Agent:
    """One agent's normal behaviour. Per-run rates apply to the runs of each minute."""
    agent_id: str
    instance: str = "exporter-1:9478"
    runs_per_min: float = 10            # daily mean
    runs_every: int = 0                 # low volume: 1 run every N minutes instead
    amplitude: float = 0.0              # diurnal amplitude (0: flat traffic)
    noise: float = 0.0                  # block-to-block jitter, e.g. 0.15 = +-15 %
    model: str = "claude-sonnet-4-5"
    input_tokens_per_run: int = 2400
    output_tokens_per_run: int = 600
    cost_per_run: float = 0.015625      # USD, dyadic
    llm_calls_per_run: int = 3
    tools: dict[str, float] = dataclasses.field(default_factory=dict)   # calls per run
    rare_tools: dict[str, int] = dataclasses.field(default_factory=dict)  # tool -> period (min)
    latency: list = dataclasses.field(default_factory=lambda: list(NORMAL_LATENCY))
    tools_per_run: list = dataclasses.field(default_factory=lambda: list(NORMAL_TOOLS_PER_RUN))
    scores: list = dataclasses.field(default_factory=lambda: list(NORMAL_SCORES))
    evaluator: str = "llm_judge"
    eval_share: float = 0.5             # share of runs scored by the evaluator
    # Rare events: a single event every `period` minutes on average (Poisson, seeded).
    failure_period: int = 0             # one failed run
    slow_period: int = 0                # one 30 s run
    tool_failure_period: int = 0        # one failed call of a random (non-rare) tool
    hallucination_period: int = 0
    rejected_period: int = 0            # one rejected event line (exporter-wide)
    source: str = "file"                # how the exporter gets the events: file or push
    start: int = 0                      # the minute the agent sends its first events
    review_share: float = 0.0           # share of runs a human decides on (approval events)
    override_result: str = "overridden"  # how an override is recorded: overridden or denied
    seed: int = 1


@dataclasses.dataclass
class Anomaly:
    """Overrides applied to one agent over [start, end) minutes."""
    start: int
    end: int
    runs_factor: float = 1.0
    failure_share: float = 0.0          # share of runs that fail
    latency: list | None = None
    token_factor: float = 1.0
    cost_factor: float = 1.0
    tools_per_run: list | None = None
    scores: list | None = None
    reroute: tuple[str, str] | None = None   # (from tool, to tool): calls silently moved
    tool_failure: tuple[str, float, str] | None = None  # (tool, share of its calls, status)
    hallucination_every: int = 0        # one hallucination every N minutes
    failure_every: int = 0              # one failed run every N minutes
    silent: bool = False                # the agent sends no events at all
    override_every: int = 0             # one human decision overridden every N minutes
    overrides_per_min: int = 0          # human decisions overridden each minute

    def active(self, minute: int) -> bool:
        return self.start <= minute < self.end


def simulate(sim: Sim, agent: Agent, anomalies: list[Anomaly] = ()) -> None:
    """Adds `agent`'s series for every minute of `sim`."""
    rng = random.Random(agent.seed)
    blocks = (sim.minutes + BLOCK_MINUTES - 1) // BLOCK_MINUTES
    jitter = [1 + rng.uniform(-agent.noise, agent.noise) for _ in range(blocks)]

    def events(period: int) -> set[int]:
        """Single events about every `period` minutes, never two within MIN_GAP minutes."""
        out: set[int] = set()
        if not period:
            return out
        m = MIN_GAP + int(rng.expovariate(1 / period))
        while m < sim.minutes:
            out.add(m)
            m += MIN_GAP + int(rng.expovariate(1 / period))
        return out

    failures = events(agent.failure_period)
    slow = events(agent.slow_period)
    tool_failures = events(agent.tool_failure_period)
    hallucinations = events(agent.hallucination_period)
    rejected = events(agent.rejected_period)
    rare = {tool: events(period) for tool, period in sorted(agent.rare_tools.items())}

    base = {"instance": agent.instance, "job": JOB, "agent_id": agent.agent_id}
    model = {**base, "model": agent.model}
    tool_names = sorted(set(agent.tools) | set(agent.rare_tools))
    # Series the exporter serves from the agent's first event on: an agent that starts late
    # has no samples before (new series), one that starts at 0 exported zeros from t=0.
    sim.origin = agent.start
    for status in ("success", "failure"):
        sim.touch("agent_requests_total", {**base, "status": status})
    for tool in tool_names:
        sim.touch("agent_tool_calls_total", {**base, "tool_name": tool, "status": "success"})
    sim.touch("agent_hallucination_total", {**base, "hallucination_type": "factual"})
    if agent.review_share:
        for result in ("approved", agent.override_result):
            sim.touch("agent_approvals_total", {**base, "result": result})

    for m in range(agent.start, sim.minutes):
        block = m // BLOCK_MINUTES
        mid = block * BLOCK_MINUTES + BLOCK_MINUTES // 2
        level = agent.runs_per_min * diurnal(mid, agent.amplitude) * jitter[block]
        active = [a for a in anomalies if a.active(m)]
        if any(a.silent for a in active):
            continue
        for a in active:
            level *= a.runs_factor
        runs = max(1, round(level))
        if agent.runs_every:
            if m % agent.runs_every:
                continue
            runs = 1

        failed = 1 if m in failures else 0
        for a in active:
            failed = max(failed, round(runs * a.failure_share))
            if a.failure_every and (m - a.start) % a.failure_every == 0:
                failed = max(failed, 1)
        sim.add("agent_requests_total", {**base, "status": "success"}, m, runs - failed)
        sim.add("agent_requests_total", {**base, "status": "failure"}, m, failed)

        latency = next((a.latency for a in active if a.latency), agent.latency)
        obs = split(runs - (1 if m in slow else 0), latency)
        if m in slow:
            obs.append((30, 1))
        sim.observe("agent_request_duration_seconds", base, REQUEST_BUCKETS, m, obs)

        tpr = next((a.tools_per_run for a in active if a.tools_per_run), agent.tools_per_run)
        sim.observe("agent_tool_calls_per_run", base, TOOLS_PER_RUN_BUCKETS, m, split(runs, tpr))

        token_factor = math.prod(a.token_factor for a in active)
        cost_factor = math.prod(a.cost_factor for a in active)
        sim.add("agent_llm_calls_total", {**model, "status": "success"}, m,
                runs * agent.llm_calls_per_run)
        sim.add("agent_tokens_consumed_total", {**model, "direction": "input"}, m,
                round(runs * agent.input_tokens_per_run * token_factor))
        sim.add("agent_tokens_consumed_total", {**model, "direction": "output"}, m,
                round(runs * agent.output_tokens_per_run * token_factor))
        sim.add("agent_cost_usd_total", model, m, runs * agent.cost_per_run * cost_factor)

        calls = {tool: round(runs * per_run) for tool, per_run in agent.tools.items()}
        for tool, minutes in rare.items():
            calls[tool] = calls.get(tool, 0) + (1 if m in minutes else 0)
        for a in active:
            if a.reroute:
                src, dst = a.reroute
                calls[dst] = calls.get(dst, 0) + calls.get(src, 0)
                calls[src] = 0
        failed_calls: dict[tuple[str, str], int] = {}
        if m in tool_failures and agent.tools:
            tool = sorted(agent.tools)[rng.randrange(len(agent.tools))]
            if calls.get(tool):
                failed_calls[(tool, "failure")] = 1
        for a in active:
            if a.tool_failure:
                tool, share, status = a.tool_failure
                failed_calls[(tool, status)] = round(calls.get(tool, 0) * share)
        for tool in sorted(calls):
            bad = sum(n for (t, _), n in failed_calls.items() if t == tool)
            sim.add("agent_tool_calls_total", {**base, "tool_name": tool, "status": "success"}, m,
                    calls[tool] - bad)
            for (t, status), n in sorted(failed_calls.items()):
                if t == tool:
                    sim.add("agent_tool_calls_total",
                            {**base, "tool_name": tool, "status": status}, m, n)

        scores = next((a.scores for a in active if a.scores), agent.scores)
        evaluated = max(1, round(runs * agent.eval_share))
        sim.observe("agent_eval_score", {**base, "evaluator": agent.evaluator}, SCORE_BUCKETS, m,
                    split(evaluated, scores))

        if agent.review_share:
            decisions = round(runs * agent.review_share)
            overridden = 0
            for a in active:
                overridden += a.overrides_per_min
                if a.override_every and (m - a.start) % a.override_every == 0:
                    overridden += 1
            overridden = min(overridden, decisions)
            sim.add("agent_approvals_total", {**base, "result": "approved"}, m, decisions - overridden)
            sim.add("agent_approvals_total", {**base, "result": agent.override_result}, m,
                    overridden)

        halluc = 1 if m in hallucinations else 0
        for a in active:
            if a.hallucination_every and (m - a.start) % a.hallucination_every == 0:
                halluc += 1
        sim.add("agent_hallucination_total", {**base, "hallucination_type": "factual"}, m, halluc)

        sim.add("agent_exporter_events_total",
                {"instance": agent.instance, "job": JOB, "source": agent.source, "type": "run"}, m,
                runs)
        if agent.rejected_period:
            sim.add("agent_exporter_events_rejected_total",
                    {"instance": agent.instance, "job": JOB, "source": agent.source,
                     "reason": "invalid_json"}, m, 1 if m in rejected else 0)
    sim.origin = 0
