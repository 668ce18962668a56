// L2 alerts: token consumption and spend.
#include "generate/promql.h"
#include "generate/rules/alerts.h"
#include "generate/rules/records.h"

namespace agx::rules {

using promql::FormatDuration;
using promql::FormatNumber;

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
  // already active when the baseline window started. And a spike is one over several runs:
  // on an agent with few runs, one long legitimate run multiplies the window's rate alone.
  a.expr = now + " > " + FormatNumber(c.factor) + " * " + base + "\nand\n" + now + " > " +
           FormatNumber(c.threshold) + "\nand on (agent_id)\n(" + now + " offset " +
           FormatDuration(c.baseline - c.window) + ") > 0\nand on (agent_id)\n" +
           RunRate(ctx, c.window) + " > " + FormatNumber(c.min_rate);
  a.summary = "Agent token consumption spiked.";
  a.description =
      "Agent {{ $labels.agent_id }} consumes {{ $value | humanize }} tokens/s over "
      "the last " +
      FormatDuration(c.window) + ", more than " + FormatNumber(c.factor) +
      "x its rate over the last " + FormatDuration(c.baseline) +
      ": look for prompt injection or a reasoning loop.";
  ctx.AddAlert(kCostAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);
}

// Tokens per run against the fleet: an agent launched with a reasoning loop has no history
// of its own to compare with (AgentTokenCostSpike waits a day for one), but its runs cost
// far more than the other agents' runs. The median of the agents with enough runs resists
// the outlier itself; with fewer than three such agents there is no fleet to compare with,
// and only the absolute ceiling (threshold) applies.
void AddTokensPerRunHigh(const Context& ctx) {
  const char* name = "AgentTokensPerRunHigh";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string w = FormatDuration(c.window);
  const std::string runs_raw =
      "sum by (agent_id) (rate(" + ctx.Sel(MetricId::kRequests) + "[" + w + "]))";
  const std::string per_run = ctx.out().Record(
      kLlmRecords, RecordName("agent_id", "agent_tokens_per_run", "ratio_rate", c.window),
      "sum by (agent_id) (rate(" + ctx.Sel(MetricId::kTokens) + "[" + w + "]))\n/\n(" +
          runs_raw + " > 0)");
  const std::string eligible =
      per_run + " and on (agent_id) " + runs_raw + " > " + FormatNumber(c.min_rate);
  const std::string median = ctx.out().Record(
      kLlmRecords, RecordName("", "agent_tokens_per_run", "median_ratio_rate", c.window),
      "quantile(0.5, " + eligible + ")\nand on ()\ncount(" + eligible + ") >= 3");
  const std::string runs = RunRate(ctx, c.window);
  const std::string guard = "\nand on (agent_id)\n" + runs + " > " + FormatNumber(c.min_rate);

  const std::string summary = "An agent uses far more tokens per run than the others.";
  AlertRule fleet;
  fleet.name = name;
  fleet.expr = per_run + " > on () group_left () (" + FormatNumber(c.factor) + " * " + median +
               ")" + guard;
  fleet.labels = {{"basis", "fleet"}};
  fleet.summary = summary;
  fleet.description =
      "Agent {{ $labels.agent_id }} uses {{ $value | humanize }} tokens per run over the last " +
      w + ", more than " + FormatNumber(c.factor) +
      "x the median of the fleet's agents: look for a reasoning or tool-calling loop, "
      "especially in an agent deployed recently.";
  ctx.AddAlert(kCostAlerts, std::move(fleet), Dashboard::kCost, kAgentQuery);

  if (c.threshold <= 0) return;  // no absolute ceiling configured
  AlertRule ceiling;
  ceiling.name = name;
  ceiling.expr = per_run + " > " + FormatNumber(c.threshold) + guard;
  ceiling.labels = {{"basis", "ceiling"}};
  ceiling.summary = summary;
  ceiling.description = "Agent {{ $labels.agent_id }} uses {{ $value | humanize }} tokens per "
                        "run over the last " +
                        w + ", above the ceiling of " + FormatNumber(c.threshold) +
                        " tokens per run: look for a reasoning or tool-calling loop.";
  ctx.AddAlert(kCostAlerts, std::move(ceiling), Dashboard::kCost, kAgentQuery);
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
  AddTokensPerRunHigh(ctx);
  AddDailyBudgetExceeded(ctx);
}

}  // namespace agx::rules
