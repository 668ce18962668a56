// L3 alerts on tools: failures, selection drift (the silent-failure detector of the source
// article's 3:14 AM incident) and runaway tool use.
#include "generate/promql.h"
#include "generate/rules/alerts.h"
#include "generate/rules/records.h"

namespace agx::rules {

using promql::FormatDuration;
using promql::FormatNumber;
using promql::FormatPercent;

namespace {

constexpr char kToolQuery[] =
    "var-agent_id={{ $labels.agent_id }}&var-tool_name={{ $labels.tool_name }}";

void AddToolCallFailureSpike(const Context& ctx) {
  const char* name = "AgentToolCallFailureSpike";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string calls = ToolCallRate(ctx, c.window);
  const std::string failed = ctx.out().Record(
      kToolRecords, RecordName("agent_id_tool_name", "agent_tool_calls_failed", "rate", c.window),
      "sum by (agent_id, tool_name) (rate(" +
          ctx.Sel(MetricId::kToolCalls, "", "status!=\"success\"") + "[" +
          FormatDuration(c.window) + "]))");
  const std::string ratio = ctx.out().Record(
      kToolRecords,
      RecordName("agent_id_tool_name", "agent_tool_calls_failed", "ratio_rate", c.window),
      "(\n  " + failed + "\n  or\n  0 * " + calls + "\n)\n/\n" + calls);
  AlertRule a;
  a.name = name;
  a.expr = ratio + " > " + FormatNumber(c.threshold) + "\nand\n" + failed + " > " +
           FormatNumber(c.min_rate);
  a.summary = "Agent tool calls are failing.";
  a.description =
      "Tool {{ $labels.tool_name }} of agent {{ $labels.agent_id }} fails "
      "{{ $value | humanizePercentage }} of its calls over the last " +
      FormatDuration(c.window) + " (threshold " + FormatPercent(c.threshold) +
      "): check the API behind the tool.";
  ctx.AddAlert(kToolAlerts, std::move(a), Dashboard::kDeepDive, kToolQuery);
}

// share = a tool's calls / all the agent's calls, over the window and over the baseline.
std::string ToolShare(const Context& ctx, std::chrono::seconds w) {
  const std::string by_tool = ToolCallRate(ctx, w);
  const std::string by_agent = AgentToolCallRate(ctx, w);
  return ctx.out().Record(kToolRecords,
                          RecordName("agent_id_tool_name", "agent_tool_calls", "share_rate", w),
                          by_tool + "\n/ on (agent_id) group_left\n" + by_agent);
}

void AddToolSelectionDrift(const Context& ctx) {
  const char* name = "AgentToolSelectionDrift";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string now = ToolShare(ctx, c.window);
  const std::string base = ToolShare(ctx, c.baseline);
  const std::string agent_calls = AgentToolCallRate(ctx, c.window);
  AlertRule a;
  a.name = name;
  // A tool no longer called at all may have no share series over the window: count it as 0.
  a.expr = "(\n  " + now + "\n  or\n  0 * " + base + "\n)\n< " + FormatNumber(c.factor) + " * " +
           base + "\nand\n" + base + " >= " + FormatNumber(c.threshold) + "\nand on (agent_id)\n" +
           agent_calls + " > " + FormatNumber(c.min_rate);
  a.summary = "Agent tool selection drifted.";
  a.description =
      "Tool {{ $labels.tool_name }} gets {{ $value | humanizePercentage }} of the "
      "tool calls of agent {{ $labels.agent_id }} over the last " +
      FormatDuration(c.window) + ", under " + FormatNumber(c.factor) +
      "x its share over the last " + FormatDuration(c.baseline) +
      ", while the calls still succeed: the agent may be choosing the wrong tool.";
  ctx.AddAlert(kToolAlerts, std::move(a), Dashboard::kDeepDive, kToolQuery);
}

void AddToolCallExplosion(const Context& ctx) {
  const char* name = "AgentToolCallExplosion";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string p95 = ctx.out().Record(
      kToolRecords, RecordName("agent_id", "agent_tool_calls_per_run", "p95_", c.window),
      "histogram_quantile(0.95, sum by (agent_id, le) (rate(" +
          ctx.Sel(MetricId::kToolCallsPerRun, "_bucket") + "[" + FormatDuration(c.window) + "])))");
  const std::string runs = RunRate(ctx, c.window);
  AlertRule a;
  a.name = name;
  a.expr = p95 + " > " + FormatNumber(c.threshold) + "\nand on (agent_id)\n" + runs + " > " +
           FormatNumber(c.min_rate);
  a.summary = "Agent runs make too many tool calls.";
  a.description =
      "Agent {{ $labels.agent_id }}: P95 of tool calls per run is {{ $value | "
      "humanize }} over the last " +
      FormatDuration(c.window) + " (threshold " + FormatNumber(c.threshold) +
      "): look for a tool-calling loop.";
  ctx.AddAlert(kToolAlerts, std::move(a), Dashboard::kDeepDive, kAgentQuery);
}

}  // namespace

void AddToolAlerts(const Context& ctx) {
  AddToolCallFailureSpike(ctx);
  AddToolSelectionDrift(ctx);
  AddToolCallExplosion(ctx);
}

}  // namespace agx::rules
