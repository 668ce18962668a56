// Alerts on the data path itself: an agent gone quiet, the exporter down or rejecting input.
#include "generate/promql.h"
#include "generate/rules/alerts.h"
#include "generate/rules/records.h"

namespace agx::rules {

using promql::FormatDuration;
using promql::FormatNumber;
using promql::FormatPercent;

namespace {

// Runs, LLM calls and tool calls by agent over `w`. The three series kinds never share a
// label set (model and tool_name tell them apart), so `or` keeps them all.
std::string AgentEvents(const Context& ctx, std::chrono::seconds w) {
  const std::string d = "[" + FormatDuration(w) + "]";
  return ctx.out().Record(kActivityRecords, RecordName("agent_id", "agent_events", "increase", w),
                          "sum by (agent_id) (\n  increase(" + ctx.Sel(MetricId::kRequests) + d +
                              ")\n  or\n  increase(" + ctx.Sel(MetricId::kLlmCalls) + d +
                              ")\n  or\n  increase(" + ctx.Sel(MetricId::kToolCalls) + d + ")\n)");
}

void AddEventsAbsent(const Context& ctx) {
  const char* name = "AgentEventsAbsent";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string before = AgentEvents(ctx, c.baseline);
  const std::string now = AgentEvents(ctx, c.window);
  AlertRule a;
  a.name = name;
  a.expr = before + " > 0\nunless on (agent_id)\n" + now + " > 0";
  a.summary = "An active agent stopped sending events.";
  a.description =
      "Agent {{ $labels.agent_id }} sent no runs, LLM calls or tool calls for the "
      "last " +
      FormatDuration(c.window) + " after {{ $value | humanize }} in the last " +
      FormatDuration(c.baseline) + ": the agent or its event pipeline has stopped.";
  ctx.AddAlert(kExporterAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);
}

void AddExporterDown(const Context& ctx) {
  const char* name = "AgentExporterDown";
  if (!ctx.Rule(name).enabled) return;
  // The one rule that needs the exporter's own targets: without a selector, the job name
  // the README's Prometheus config uses.
  const std::string up =
      promql::Selector("up", {ctx.selector().empty() ? "job=\"agent_exporter\"" : ctx.selector()});
  AlertRule a;
  a.name = name;
  a.expr = up + " == 0\nor\nabsent(" + up + ")";
  a.summary = "The agent_exporter is down.";
  a.description =
      "agent_exporter {{ with $labels.instance }}target {{ . }} of job {{ $labels.job }} "
      "cannot be scraped{{ else }}has no target in Prometheus{{ end }}: agent metrics and "
      "alerts are blind.";
  ctx.AddAlert(kExporterAlerts, std::move(a), Dashboard::kOverview, "");
}

void AddExporterRejectingLines(const Context& ctx) {
  const char* name = "AgentExporterRejectingLines";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string d = "[" + FormatDuration(c.window) + "]";
  const std::string rejected = ctx.out().Record(
      kExporterRecords, RecordName("source", "agent_exporter_events_rejected", "rate", c.window),
      "sum by (source) (rate(" + ctx.Sel(MetricId::kEventsRejected) + d + "))");
  // Lines = events applied + lines rejected; label sets differ (type vs reason): `or` keeps both.
  const std::string lines = ctx.out().Record(
      kExporterRecords, RecordName("source", "agent_exporter_lines", "rate", c.window),
      "sum by (source) (\n  rate(" + ctx.Sel(MetricId::kEvents) + d + ")\n  or\n  rate(" +
          ctx.Sel(MetricId::kEventsRejected) + d + ")\n)");
  const std::string ratio = ctx.out().Record(
      kExporterRecords,
      RecordName("source", "agent_exporter_events_rejected", "ratio_rate", c.window),
      rejected + "\n/\n" + lines);
  AlertRule a;
  a.name = name;
  a.expr = ratio + " > " + FormatNumber(c.threshold) + "\nand\n" + rejected + " > " +
           FormatNumber(c.min_rate);
  a.summary = "The agent_exporter is rejecting event lines.";
  a.description =
      "agent_exporter rejects {{ $value | humanizePercentage }} of the lines from "
      "{{ $labels.source }} over the last " +
      FormatDuration(c.window) + " (threshold " + FormatPercent(c.threshold) +
      "): see agent_exporter_events_rejected_total by reason.";
  ctx.AddAlert(kExporterAlerts, std::move(a), Dashboard::kOverview, "");
}

}  // namespace

void AddHealthAlerts(const Context& ctx) {
  AddEventsAbsent(ctx);
  AddExporterDown(ctx);
  AddExporterRejectingLines(ctx);
}

}  // namespace agx::rules
