// Multi-window, multi-burn-rate alerts on the run success SLO (SRE workbook, "Alerting on
// SLOs"; Sloth and Pyrra generate the same shape). Each alert ORs two window pairs; a pair
// fires when both its windows burn faster than factor x the sustainable rate, where
// factor = budget share x slo_period / long window and the threshold on the failed-run
// ratio is factor x (1 - slo_objective). The page pairs are (window, baseline) and
// 6 x both (5m/1h and 30m/6h by default) spending 2% and 5% of the budget; the ticket pairs
// are (window, baseline) and 3 x both (2h/1d and 6h/3d) spending 10% each. With the
// default 30d period the factors are 14.4, 6, 3 and 1.
#include "generate/promql.h"
#include "generate/rules/alerts.h"
#include "generate/rules/records.h"

namespace agx::rules {

using promql::FormatDuration;
using promql::FormatNumber;
using promql::FormatPercent;

namespace {

struct WindowPair {
  std::chrono::seconds short_window;
  std::chrono::seconds long_window;
  double budget_share;  ///< share of the period's error budget the pair detects spending
};

struct Slo {
  const char* name;
  int second_pair_scale;
  double first_budget;
  double second_budget;
  const char* summary;
  const char* pace;
};

// Burn factor: how many times faster than "exactly the budget over the period".
double Factor(const AlertsConfig& alerts, const WindowPair& p) {
  return p.budget_share * static_cast<double>(alerts.slo_period.count()) /
         static_cast<double>(p.long_window.count());
}

void AddSlo(const Context& ctx, const Slo& slo) {
  const AlertRuleConfig& c = ctx.Rule(slo.name);
  if (!c.enabled) return;
  const WindowPair pairs[] = {
      {c.window, c.baseline, slo.first_budget},
      {c.window * slo.second_pair_scale, c.baseline * slo.second_pair_scale, slo.second_budget}};
  const double error_budget = 1 - ctx.alerts().slo_objective;
  std::string expr = "(\n";
  std::string how;
  for (std::size_t i = 0; i < 2; ++i) {
    const WindowPair& p = pairs[i];
    const std::string threshold = FormatNumber(Factor(ctx.alerts(), p) * error_budget);
    const std::string short_ratio = FailedRunRatio(ctx, p.short_window);
    const std::string long_ratio = FailedRunRatio(ctx, p.long_window);
    if (i > 0) {
      expr += "  or\n";
      how += ", or ";
    }
    expr += "  (\n    " + short_ratio + " > " + threshold + "\n    and\n    " + long_ratio + " > " +
            threshold + "\n  )\n";
    how += "the " + FormatDuration(p.short_window) + " and " + FormatDuration(p.long_window) +
           " ratios both exceed " + FormatPercent(Factor(ctx.alerts(), p) * error_budget) + ", a " +
           FormatNumber(Factor(ctx.alerts(), p)) + "x burn rate";
  }
  expr += ")\nand on (agent_id)\n" + RunRate(ctx, c.baseline) + " > " + FormatNumber(c.min_rate);

  AlertRule a;
  a.name = slo.name;
  a.expr = std::move(expr);
  a.summary = slo.summary;
  a.description = "Agent {{ $labels.agent_id }} is burning the error budget of its " +
                  FormatPercent(ctx.alerts().slo_objective) + " run success SLO (" +
                  FormatDuration(ctx.alerts().slo_period) + ") " + slo.pace +
                  ": {{ $value | humanizePercentage }} of runs failed over the last " +
                  FormatDuration(pairs[0].short_window) + " or " +
                  FormatDuration(pairs[1].short_window) + " (fires when " + how + ").";
  ctx.AddAlert(kSloAlerts, std::move(a), Dashboard::kOverview, kAgentQuery);
}

}  // namespace

void AddSloAlerts(const Context& ctx) {
  AddSlo(ctx, {"AgentRunSLOBurnRatePage", 6, 0.02, 0.05,
               "Agent run success SLO error budget is burning fast.", "fast"});
  AddSlo(ctx, {"AgentRunSLOBurnRateTicket", 3, 0.10, 0.10,
               "Agent run success SLO error budget is burning.", "steadily"});
}

}  // namespace agx::rules
