#!/usr/bin/env python3
"""End to end: agent_exporter, a real Prometheus 2.42 and a real Alertmanager 0.25.

  e2e_test.py AGENT_EXPORTER_BINARY --source-dir REPO [--prometheus BIN] [--alertmanager BIN]

Starts, on 127.0.0.1 and free ports only:
  - `agent_exporter serve` with a temporary config that tails a file and keeps a state dir,
    and whose `alerts.rules` shortens AgentErrorRateSpike (window 1m, for 5s) and whose
    `alertmanager` section points the pager and chat receivers at a local webhook;
  - the rule files and the Alertmanager config generated from that config
    (`agent_exporter rules|alertmanager`), never edited;
  - Prometheus (scrape and evaluation every 1s, --enable-feature=exemplar-storage) and
    Alertmanager (clustering off), plus a webhook receiver (http.server) that records every
    notification.
Then feeds events both ways (appending to the tailed file and POST /v1/events), in two
phases so that every rate() of the dashboards sees an increase, and checks through the
Prometheus and Alertmanager HTTP APIs what a user would check: the target is up and scraped
as OpenMetrics, exact counter and histogram-count sums, exemplars carrying only sent trace
ids, every query of every shipped dashboard panel, every generated rule healthy, and a burst
of failed runs firing AgentErrorRateSpike all the way to the pager and chat webhooks.

The processes, HTTP and polling helpers and the event builder are in stack.py, shared with
scale_test.py. Every wait polls with a deadline. Everything started is torn down on success and failure
(each process in its own process group, SIGTERM then SIGKILL); the test asserts that none of
those process groups is left. A failed check names itself and prints the tails of the
exporter, Prometheus and Alertmanager logs and the notifications received.

Fault injection, only to prove that the test catches a break (never set it in CI):
  AGX_E2E_BREAK=exemplars   run Prometheus WITHOUT --enable-feature=exemplar-storage; the
                            exemplar check (and so the test) must then fail.
"""
import glob
import json
import math
import os
import re
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import (BURST_AGENT, HISTOGRAMS, PROMETHEUS_ACCEPT, ZERO_TIME,  # noqa: E402
                   CheckFailed, Events, Stack, Webhook, api, exporter_config, fill_variables,
                   http, log, parse_time, poll, run_main, walk_panels)

BREAKS = {"exemplars"}
# Metrics that carry the event's exemplar (docs/events.md), as Prometheus names the series.
EXEMPLAR_SERIES = {"agent_requests_total", "agent_llm_calls_total", "agent_tool_calls_total",
                   "agent_hallucination_total"} | {h + "_bucket" for h in HISTOGRAMS}
# Dashboard panel queries that may legitimately return no data with the events fed here,
# as (dashboard file, exact query after substitution) -> why. Every metric the dashboards
# read is fed (an unpriced model too), so the list is empty; a panel query that returns no
# data fails the test unless it is listed here with its reason.
NO_DATA_ALLOWED = {}


# ---------------------------------------------------------------------------------- test

class E2E(Stack):
    def __init__(self, args, tmp):
        super().__init__(args, tmp)
        breaks = set(filter(None, os.environ.get("AGX_E2E_BREAK", "").split(",")))
        if breaks - BREAKS:
            raise SystemExit("AGX_E2E_BREAK: unknown %s (known: %s)" % (
                sorted(breaks - BREAKS), sorted(BREAKS)))
        self.breaks = breaks
        self.events = Events()
        self.events_file = os.path.join(tmp, "events", "agent.jsonl")
        os.makedirs(os.path.dirname(self.events_file))
        open(self.events_file, "w").close()

    # ---- setup

    def write_exporter_config(self):
        cfg = exporter_config(
            os.path.join(self.tmp, "state"), self.webhook, files=[self.events_file],
            # Failed runs over 1m above half the runs: a burst of failures fires it within
            # seconds, while the fed phases (1 failure in 4 runs) stay below.
            alert_rules={"AgentErrorRateSpike": {"window": "1m", "for": "5s", "threshold": 0.5,
                                                 "min_rate": 0.001}})
        path = os.path.join(self.tmp, "agent_exporter.yml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        return path

    def start_exporter(self, config):
        self.exporter_port = super().start_exporter(config, "exporter")
        self.exporter = "http://127.0.0.1:%d" % self.exporter_port

    def start_prometheus(self, am_port, rules_dir):
        if "exemplars" in self.breaks:
            log("AGX_E2E_BREAK=exemplars: Prometheus runs WITHOUT exemplar storage")
        super().start_prometheus(am_port, rules_dir, [self.exporter_port],
                                 exemplars="exemplars" not in self.breaks)

    # ---- feeding

    def feed_file(self, events):
        with open(self.events_file, "a") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        self.events.record(events, "file")

    def feed_push(self, events):
        self.push(self.exporter, events)
        self.events.record(events, "push")

    def wait_ingested(self, what):
        want = float(len(self.events.sent))
        poll(what + ": Prometheus sees every event applied",
             lambda: (lambda v: (v == want, "sum(agent_exporter_events_total)=%s, want %s" % (v, want)))(
                 self.scalar_sum("sum(agent_exporter_events_total)")), 30, 0.25)

    # ---- checks

    def check_target(self):
        def up():
            targets = api(self.prom, "/api/v1/targets")["activeTargets"]
            mine = [t for t in targets if t["labels"].get("job") == "agent_exporter"]
            return (len(mine) == 1 and mine[0]["health"] == "up",
                    [(t["scrapeUrl"], t["health"], t["lastError"]) for t in mine])
        poll("target agent_exporter is up in /api/v1/targets", up, 30)
        status, headers, body = http(self.exporter + "/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
        ctype = headers.get("Content-Type", "")
        if status != 200 or not ctype.startswith("application/openmetrics-text") \
                or "version=1.0.0" not in ctype or not body.rstrip().endswith(b"# EOF"):
            raise CheckFailed("OpenMetrics negotiation: with Prometheus's Accept header the "
                              "exporter answered HTTP %d, Content-Type %r" % (status, ctype))
        log("target up; exporter answers Prometheus's Accept with %s" % ctype)

    def check_exact(self):
        checks = self.check_exact_sums(self.events)
        got = {(r["metric"]["source"], r["metric"]["reason"]): float(r["value"][1])
               for r in self.query("agent_exporter_events_rejected_total > 0")}
        if got != {("file", "invalid_json"): 1.0}:
            raise CheckFailed("exact values: agent_exporter_events_rejected_total > 0 is %s, "
                              "want only the one bad line {file, invalid_json}: 1" % got)
        checks.append("agent_exporter_events_rejected_total (the one bad line)")
        log("exact values match: %s" % ", ".join(checks))

    def check_exemplars(self, start):
        data = api(self.prom, "/api/v1/query_exemplars", query='{__name__=~"agent_.+"}',
                   start="%.3f" % (start - 60), end="%.3f" % (time.time() + 60))
        seen, names = set(), set()
        for series in data or []:
            for ex in series.get("exemplars", []):
                seen.add(ex["labels"].get("trace_id"))
                names.add(series["seriesLabels"]["__name__"])
        if not seen:
            raise CheckFailed("exemplars: /api/v1/query_exemplars returned no exemplar (is "
                              "exemplar storage on, and was the target scraped as OpenMetrics?)")
        foreign = seen - self.events.trace_ids
        if foreign:
            raise CheckFailed("exemplars: trace_ids never sent: %s" % sorted(foreign)[:5])
        missing = EXEMPLAR_SERIES - names
        if missing:
            raise CheckFailed("exemplars: none stored for %s (got %s)" % (sorted(missing), sorted(names)))
        log("exemplars: %d distinct sent trace_ids on %d metrics, none foreign" % (len(seen), len(names)))

    def check_dashboards(self):
        files = sorted(glob.glob(os.path.join(self.args.source_dir, "dashboards", "*.json")))
        if not files:
            raise CheckFailed("dashboards: no dashboards/*.json in %s" % self.args.source_dir)
        n_queries, allowed_empty = 0, []
        for path in files:
            name = os.path.basename(path)
            dash = json.load(open(path))
            self.check_dashboard_variables(name, dash)
            for panel in walk_panels(dash.get("panels", [])):
                for target in panel.get("targets", []):
                    expr = target.get("expr")
                    if not expr:
                        continue
                    for agent in (".+", BURST_AGENT):
                        q = fill_variables(expr, agent)
                        where = "dashboard %s panel %r query %s" % (name, panel.get("title"), q)
                        if "$" in q:
                            raise CheckFailed("%s: a variable is left unfilled" % where)
                        try:
                            result = self.query(q)
                        except CheckFailed as e:
                            raise CheckFailed("%s: query failed: %s" % (where, e))
                        n_queries += 1
                        finite = [r for r in result if math.isfinite(float(r["value"][1]))]
                        if not finite:
                            if (name, q) in NO_DATA_ALLOWED:
                                allowed_empty.append(where)
                                continue
                            raise CheckFailed("%s: no data (%d series, none finite) although its "
                                              "metrics were fed" % (where, len(result)))
        log("dashboards: %d panel queries from %d dashboards ran, all returned data%s" % (
            n_queries, len(files),
            "" if not allowed_empty else " except the allowed %s" % allowed_empty))

    def check_dashboard_variables(self, name, dash):
        """Grafana's label_values(metric{...}, label) variables, via the label values API."""
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q)
            if not m:
                raise CheckFailed("dashboard %s variable %s: unexpected query %r" % (name, var["name"], q))
            selector = fill_variables(m.group(1), ".+")
            values = api(self.prom, "/api/v1/label/%s/values" % m.group(2), **{"match[]": selector})
            if not values:
                raise CheckFailed("dashboard %s variable %s: %s lists no value" % (name, var["name"], q))

    def generated_rules(self, rules_dir):
        names = []
        for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
            for group in yaml.safe_load(open(path))["groups"]:
                names += [(group["name"], r.get("alert") or r.get("record")) for r in group["rules"]]
        return names

    def check_rules(self, rules_dir, fed_at):
        """Every rule must have been evaluated after all the data was in (fed_at, Unix time),
        so that errors that only show with data (many-to-many matches) are seen."""
        want = self.generated_rules(rules_dir)

        def all_evaluated():
            groups = api(self.prom, "/api/v1/rules")["groups"]
            rules = [(g["name"], r) for g in groups for r in g["rules"]]
            stale = [r["name"] for _, r in rules
                     if parse_time(r.get("lastEvaluation", ZERO_TIME)) <= fed_at]
            return len(rules) == len(want) and not stale, (len(rules), len(want), stale[:5], rules)
        rules = poll("every generated rule loaded and evaluated with the data "
                     "(/api/v1/rules)", all_evaluated, 30)[3]
        got = sorted((g, r["name"]) for g, r in rules)
        if got != sorted(want):
            raise CheckFailed("rules: Prometheus loaded %s, generated %s" % (got, sorted(want)))
        bad = ["%s/%s: health=%s lastError=%r" % (g, r["name"], r.get("health"), r.get("lastError"))
               for g, r in rules if r.get("health") != "ok" or r.get("lastError")]
        if bad:
            raise CheckFailed("rules: not healthy after evaluation:\n  " + "\n  ".join(bad))
        log("rules: all %d generated rules evaluated, health ok" % len(rules))

    def check_alert_path(self):
        name = "AgentErrorRateSpike"
        early = self.alerts(name) + [l for s, l in self.webhook.alerts("/pager") if l.get("alertname") == name]
        if early:
            raise CheckFailed("alert: %s fired before the burst: %s" % (name, early))
        self.feed_push(self.events.burst(40))
        log("pushed 40 failed runs of %s" % BURST_AGENT)
        alerts = poll("alert: %s firing in Prometheus (/api/v1/alerts)" % name,
                      lambda: (lambda a: (bool(a), a))(self.alerts(name)), 60)
        agents = sorted(a["labels"].get("agent_id") for a in alerts)
        if agents != [BURST_AGENT] or alerts[0]["labels"].get("severity") != "P1":
            raise CheckFailed("alert: %s firing for %s, want only agent_id=%s severity=P1" % (
                name, [a["labels"] for a in alerts], BURST_AGENT))
        log("%s firing in Prometheus for %s" % (name, BURST_AGENT))

        def routed():
            am = api(self.am, "/api/v2/alerts", filter='alertname="%s"' % name)
            recv = sorted(r["name"] for a in am for r in a.get("receivers", []))
            return recv == ["chat", "pager"], recv
        poll("alert: Alertmanager routes %s to the pager and chat receivers" % name, routed, 30)
        for path in ("/pager", "/chat"):
            def received():
                got = [(s, l) for s, l in self.webhook.alerts(path) if l.get("alertname") == name]
                ok = any(s == "firing" and l.get("agent_id") == BURST_AGENT and l.get("severity") == "P1"
                         for s, l in got)
                return ok, got
            poll("alert: the %s webhook receives %s with agent_id=%s severity=P1" % (
                path[1:], name, BURST_AGENT), received, 30, 0.2)
        log("%s notified to the pager and chat webhooks with agent_id and severity" % name)

    # ---- the scenario

    def run(self):
        self.webhook = Webhook()
        config = self.write_exporter_config()
        rules_dir = os.path.join(self.tmp, "rules")
        am_config = os.path.join(self.tmp, "alertmanager.yml")
        self.run_tool("check-config", "--config.file=" + config)
        self.run_tool("rules", "--config.file=" + config, "--output=" + rules_dir)
        self.run_tool("alertmanager", "--config.file=" + config, "--output=" + am_config)
        if not glob.glob(os.path.join(rules_dir, "*.yml")):
            raise CheckFailed("agent_exporter rules wrote no rule file in %s" % rules_dir)
        self.start_exporter(config)
        am_port = self.start_alertmanager(am_config)
        self.start_prometheus(am_port, rules_dir)
        self.wait_ready()
        log("exporter :%d, prometheus %s, alertmanager %s, webhook :%d up" % (
            self.exporter_port, self.prom, self.am, self.webhook.port))
        self.check_target()

        start = time.time()
        # Phase 1 creates every series; phase 2 increases each one, so rate() sees it.
        for phase in (1, 2):
            self.feed_file(self.events.phase())
            if phase == 1:
                with open(self.events_file, "a") as f:
                    f.write('{"type":"run","agent_id":\n')   # one bad line: rejected, counted
            self.feed_push(self.events.phase())
            self.wait_ingested("phase %d" % phase)
            log("phase %d: %d events applied and scraped" % (phase, len(self.events.sent)))

        fed_at = time.time()
        self.check_exact()
        self.check_exemplars(start)
        self.check_dashboards()
        self.check_rules(rules_dir, fed_at)
        self.check_alert_path()

    def exit_code_failure(self, codes):
        if codes.get("exporter") != 0:
            return "teardown: agent_exporter exited %s on SIGTERM, want 0" % codes.get("exporter")
        return None


if __name__ == "__main__":
    sys.exit(run_main(E2E, __doc__, "e2e", 180))
