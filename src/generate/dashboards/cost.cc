// agent-cost: what a FinOps reader needs: spend today, over 24 hours and 30 days, by agent
// and model, against the configured daily budgets, with tokens and the tokens nobody priced.
#include "generate/dashboards/dashboards.h"
#include "generate/dashboards/promql.h"
#include "generate/promql.h"

namespace agx::dash {

Json AgentCostDashboard(const Config& config) {
  const Selector sel(config.alerts.selector);
  const std::string cost = sel(MetricId::kCost, {kAgentMatch, kModelMatch});
  const std::string tokens = sel(MetricId::kTokens, {kAgentMatch, kModelMatch});
  const std::string tasks = sel(MetricId::kTasks, {kAgentMatch});
  const std::string task_cost = sel(MetricId::kCost, {kAgentMatch});
  const std::string unpriced = sel(MetricId::kUnpricedTokens, {kModelMatch});
  const double per_agent = config.alerts.daily_budget_usd_per_agent;
  const double total = config.alerts.daily_budget_usd_total;
  const std::string per_agent_text = "$" + promql::FormatNumber(per_agent);
  const std::string total_text = "$" + promql::FormatNumber(total);
  const std::string range = "$__range";

  DashboardBuilder b;
  {
    Json p = Stat("Spend today",
                  "US dollars spent since midnight (dashboard time zone) by the selected agents "
                  "and models. Turns orange at 80% and red at the total daily budget (" +
                      total_text + ", alerts.daily_budget_usd_total).",
                  "currencyUSD", {{SumBy("", Increase(cost, range)), "today", true}});
    SetTimeFrom(&p, "now/d");
    SetThresholds(&p, {{0.8 * total, "orange"}, {total, "red"}});
    b.Add(std::move(p), 6, 4);
  }
  {
    Json p = Stat("Daily budget used today",
                  "Spend since midnight / the total daily budget (" + total_text +
                      "). Meaningful with all agents and models selected.",
                  "percentunit",
                  {{SumBy("", Increase(cost, range)) + " / " + promql::FormatNumber(total), "used",
                    true}});
    SetTimeFrom(&p, "now/d");
    SetThresholds(&p, {{0.8, "orange"}, {1, "red"}});
    b.Add(std::move(p), 6, 4);
  }
  {
    Json p = Stat("Spend last 24 hours",
                  "US dollars spent over the last 24 hours, whatever the dashboard time range: "
                  "the window AgentDailyBudgetExceeded watches.",
                  "currencyUSD", {{SumBy("", Increase(cost, "1d")), "24h", true}});
    SetThresholds(&p, {{0.8 * total, "orange"}, {total, "red"}});
    b.Add(std::move(p), 6, 4);
  }
  b.Add(Stat("Spend last 30 days",
             "US dollars spent over the last 30 days, whatever the dashboard time range "
             "(needs 30 days of Prometheus retention).",
             "currencyUSD", {{SumBy("", Increase(cost, "30d")), "30d", true}}),
        6, 4);

  {
    Json p = TimeSeries(
        "Spend rate per agent vs daily budget",
        "Each agent's spend extrapolated to a day (USD/hour x 24) against the "
        "per-agent daily budget (" +
            per_agent_text + ", alerts.daily_budget_usd_per_agent), drawn as a dashed line.",
        "currencyUSD", {{SumBy("agent_id", Rate(cost)) + " * 86400", "{{agent_id}} per day"}});
    SetThresholds(&p, {{per_agent, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Total spend rate vs daily budget",
                        "All selected agents' spend extrapolated to a day against the total "
                        "daily budget (" +
                            total_text + ", alerts.daily_budget_usd_total).",
                        "currencyUSD", {{SumBy("", Rate(cost)) + " * 86400", "total per day"}});
    SetThresholds(&p, {{total, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Rolling 24h spend per agent",
                        "US dollars spent over the 24 hours before each point, per agent, "
                        "against the per-agent daily budget (" +
                            per_agent_text + "): crossing the line is AgentDailyBudgetExceeded.",
                        "currencyUSD", {{SumBy("agent_id", Increase(cost, "1d")), "{{agent_id}}"}});
    SetThresholds(&p, {{per_agent, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Rolling 24h spend total",
                        "US dollars spent by the selected agents over the 24 hours before each "
                        "point, against the total daily budget (" +
                            total_text + ").",
                        "currencyUSD", {{SumBy("", Increase(cost, "1d")), "total"}});
    SetThresholds(&p, {{total, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  b.Add(Table("Spend by agent and model",
              "US dollars per agent and model over the last 24 hours and the last 30 days, "
              "whatever the dashboard time range.",
              "currencyUSD",
              {{SumBy("agent_id, model", Increase(cost, "1d")), "", true},
               {SumBy("agent_id, model", Increase(cost, "30d")), "", true}},
              {"Last 24 hours (USD)", "Last 30 days (USD)"}),
        24, 8);
  b.Add(BarGauge("Spend by model (selected range)",
                 "US dollars per model over the dashboard time range.", "currencyUSD",
                 {{SumBy("model", Increase(cost, range)), "{{model}}", true}}),
        12, 8);
  b.Add(BarGauge("Spend by agent (selected range)",
                 "US dollars per agent over the dashboard time range.", "currencyUSD",
                 {{SumBy("agent_id", Increase(cost, range)), "{{agent_id}}", true}}),
        12, 8);
  {
    Json p = TimeSeries("Spend rate by model (USD/hour)",
                        "Spend per hour at the current rate, by model, stacked.", "currencyUSD",
                        {{SumBy("model", Rate(cost)) + " * 3600", "{{model}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Tokens per second by direction",
                        "Tokens consumed per second by direction (input, output, cache_read, "
                        "cache_creation), stacked: output and cache writes cost the most.",
                        "short", {{SumBy("direction", Rate(tokens)), "{{direction}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  {
    // The agent's own tokens per run against the fleet's median (all agents, whatever the
    // agent selection): what AgentTokensPerRunHigh compares, over its window.
    constexpr std::string_view kAnyAgent = R"(agent_id=~".+")";
    const std::string all_tokens = sel(MetricId::kTokens, {kAnyAgent});
    const std::string all_runs = sel(MetricId::kRequests, {kAnyAgent});
    const std::string w = "1h";
    const std::string per_run_all =
        SumBy("agent_id", Rate(all_tokens, w)) + " / (" + SumBy("agent_id", Rate(all_runs, w)) + " > 0)";
    Json p = TimeSeries(
        "Tokens per run by agent vs fleet median",
        "Tokens consumed / runs ended per agent over the last hour, and the median of all "
        "agents' (dashed). AgentTokensPerRunHigh fires for an agent far above the median "
        "(or above its ceiling), from the agent's first hour: a new agent launched with a "
        "reasoning loop shows here before it has any history.",
        "short",
        {{SumBy("agent_id", Rate(sel(MetricId::kTokens, {kAgentMatch}), w)) + " / (" +
              SumBy("agent_id", Rate(sel(MetricId::kRequests, {kAgentMatch}), w)) + " > 0)",
          "{{agent_id}}"},
         {"quantile(0.5, " + per_run_all + ")", "fleet median"}});
    b.Add(std::move(p), 12, 8);
  }
  b.Add(TimeSeries("Cost per task",
                   "US dollars spent / tasks ended per agent at the current rate "
                   "(agent_cost_usd_total, agent_tasks_total; all models).",
                   "currencyUSD",
                   {{SumBy("agent_id", Rate(task_cost)) + " / " + SumBy("agent_id", Rate(tasks)),
                     "{{agent_id}}"}}),
        12, 8);
  {
    Json p = Stat("Unpriced tokens (selected range)",
                  "Tokens of models with no price in the config and no cost on the event "
                  "(agent_exporter_unpriced_tokens_total). Their spend is missing from every "
                  "USD panel: anything above 0 means the dollar figures are too low. Add the "
                  "models to `pricing:`.",
                  "short", {{SumBy("", Increase(unpriced, range)), "unpriced tokens", true}});
    SetThresholds(&p, {{1, "red"}});
    b.Add(std::move(p), 6, 8);
  }
  b.Add(TimeSeries(
            "Unpriced tokens by model",
            "Tokens per second of models with no price (agent_exporter_unpriced_tokens_total), "
            "by model: the models to add to `pricing:`.",
            "short", {{SumBy("model", Rate(unpriced)), "{{model}}"}}),
        6, 8);

  DashboardMeta meta;
  meta.uid = DashboardUid(config, kCost);
  meta.title = std::string(kCostTitle);
  meta.description = GeneratedDescription(
      "AI agents, FinOps view: spend today, over 24 hours and 30 days by agent and model, "
      "against the daily budgets; tokens, cost per task and unpriced tokens.");
  meta.variables = Variables(config, "model", "Model", MetricId::kLlmCalls);
  return BuildDashboard(meta, b.TakePanels());
}

}  // namespace agx::dash
