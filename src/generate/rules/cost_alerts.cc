// L2 alerts: token consumption and spend.
#include "generate/rules/alerts.h"
#include "generate/rules/promql.h"
#include "generate/rules/records.h"

namespace agx::rules {
namespace {

std::string TokenRate(const Context& ctx, std::chrono::seconds w) {
  return ctx.out().Record(
      kLlmRecords, RecordName("agent_id", "agent_tokens_consumed", "rate", w),
      "sum by (agent_id) (rate(" + ctx.Sel(MetricId::kTokens) + "[" + FormatDuration(w) + "]))");
}

void AddTokenCostSpike(const Context& ctx) {
  const char* name = "AgentTokenCostSpike";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string now = TokenRate(ctx, c.window);
  const std::string base = TokenRate(ctx, c.baseline);
  AlertRule a;
  a.name = name;
  // The 24h rate is increase/86400 s, so during an agent's first day it understates the
  // true rate and every active agent would look like a spike. Require that the agent was
  // already active when the baseline window started.
  a.expr = now + " > " + FormatNumber(c.factor) + " * " + base + "\nand\n" + now + " > " +
           FormatNumber(c.threshold) + "\nand on (agent_id)\n(" + now + " offset " +
           FormatDuration(c.baseline - c.window) + ") > 0";
  a.summary = "Agent token consumption spiked.";
  a.description =
      "Agent {{ $labels.agent_id }} consumes {{ $value | humanize }} tokens/s over "
      "the last " +
      FormatDuration(c.window) + ", more than " + FormatNumber(c.factor) +
      "x its rate over the last " + FormatDuration(c.baseline) +
      ": look for prompt injection or a reasoning loop.";
  ctx.AddAlert(kCostAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);
}

void AddDailyBudgetExceeded(const Context& ctx) {
  const char* name = "AgentDailyBudgetExceeded";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string w = FormatDuration(c.window);
  const std::string per_agent =
      ctx.out().Record(kLlmRecords, RecordName("agent_id", "agent_cost_usd", "increase", c.window),
                       "sum by (agent_id) (increase(" + ctx.Sel(MetricId::kCost) + "[" + w + "]))");
  const std::string total =
      ctx.out().Record(kLlmRecords, RecordName("", "agent_cost_usd", "increase", c.window),
                       "sum(" + per_agent + ")");
  const std::string agent_budget = FormatNumber(ctx.alerts().daily_budget_usd_per_agent);
  const std::string total_budget = FormatNumber(ctx.alerts().daily_budget_usd_total);

  AlertRule a;
  a.name = name;
  a.expr = per_agent + " > " + agent_budget;
  a.labels = {{"scope", "agent"}};
  a.summary = "Agent spend exceeded the daily budget.";
  a.description =
      "Agent {{ $labels.agent_id }} spent {{ printf \"%.2f\" $value }} USD over the "
      "last " +
      w + ", over its budget of " + agent_budget + " USD.";
  ctx.AddAlert(kCostAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);

  AlertRule t;
  t.name = name;
  t.expr = total + " > " + total_budget;
  t.labels = {{"scope", "total"}};
  t.summary = "Agent spend exceeded the daily budget.";
  t.description = "All agents together spent {{ printf \"%.2f\" $value }} USD over the last " + w +
                  ", over the total budget of " + total_budget + " USD.";
  ctx.AddAlert(kCostAlerts, std::move(t), Dashboard::kOverview, "");
}

}  // namespace

void AddCostAlerts(const Context& ctx) {
  AddTokenCostSpike(ctx);
  AddDailyBudgetExceeded(ctx);
}

}  // namespace agx::rules
