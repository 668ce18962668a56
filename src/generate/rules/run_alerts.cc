// L1 alerts: failed runs and run latency.
#include "generate/promql.h"
#include "generate/rules/alerts.h"
#include "generate/rules/records.h"

namespace agx::rules {

using promql::FormatDuration;
using promql::FormatNumber;
using promql::FormatPercent;

namespace {

void AddErrorRateSpike(const Context& ctx) {
  const char* name = "AgentErrorRateSpike";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string ratio = FailedRunRatio(ctx, c.window);
  const std::string runs = RunRate(ctx, c.window);
  AlertRule a;
  a.name = name;
  a.expr = ratio + " > " + FormatNumber(c.threshold) + "\nand on (agent_id)\n" + runs + " > " +
           FormatNumber(c.min_rate);
  a.summary = "Agent runs are failing at a high rate.";
  a.description =
      "Agent {{ $labels.agent_id }}: {{ $value | humanizePercentage }} of runs "
      "failed over the last " +
      FormatDuration(c.window) + " (threshold " + FormatPercent(c.threshold) + ").";
  ctx.AddAlert(kRunAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);
}

void AddP99LatencySpike(const Context& ctx) {
  const char* name = "AgentP99LatencySpike";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string p99 = ctx.out().Record(
      kRunRecords, RecordName("agent_id", "agent_request_duration_seconds", "p99_", c.window),
      "histogram_quantile(0.99, sum by (agent_id, le) (rate(" +
          ctx.Sel(MetricId::kRequestDuration, "_bucket") + "[" + FormatDuration(c.window) + "])))");
  const std::string runs = RunRate(ctx, c.window);
  AlertRule a;
  a.name = name;
  a.expr = p99 + " > " + FormatNumber(c.factor) + " * (" + p99 + " offset " +
           FormatDuration(c.baseline) + ")\nand\n" + p99 + " > " + FormatNumber(c.threshold) +
           "\nand on (agent_id)\n" + runs + " > " + FormatNumber(c.min_rate);
  a.summary = "Agent run latency (P99) spiked.";
  a.description =
      "Agent {{ $labels.agent_id }}: P99 run duration is {{ $value | "
      "humanizeDuration }} over the last " +
      FormatDuration(c.window) + ", more than " + FormatNumber(c.factor) + "x its value " +
      FormatDuration(c.baseline) + " earlier and above " + FormatNumber(c.threshold) + "s.";
  ctx.AddAlert(kRunAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);
}

}  // namespace

void AddRunAlerts(const Context& ctx) {
  AddErrorRateSpike(ctx);
  AddP99LatencySpike(ctx);
}

}  // namespace agx::rules
