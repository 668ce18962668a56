// Default tunables of every generated alert. Where the source article gives a number
// (error rate 5% over 5m for 5m; P99 3x the value 1h earlier for 10m; tokens 2x the 24h
// rate over 30m for 15m; tool failures 3% over 5m; hallucinations sustained for 30m) it is
// used as is; docs/runbooks.md and config/agent_exporter.example.yml explain the others.
#include "config/alert_defaults.h"

#include <chrono>
#include <vector>

namespace agx::config_detail {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

AlertRuleConfig Rule(std::string severity, seconds for_duration, seconds window, seconds baseline,
                     double threshold, double factor, double min_rate) {
  AlertRuleConfig r;
  r.enabled = true;
  r.severity = std::move(severity);
  r.for_duration = for_duration;
  r.window = window;
  r.baseline = baseline;
  r.threshold = threshold;
  r.factor = factor;
  r.min_rate = min_rate;
  return r;
}

std::vector<KnownAlert> MakeKnownAlerts() {
  constexpr seconds k0{0};
  constexpr std::uint8_t F = kFieldFor, W = kFieldWindow, B = kFieldBaseline, T = kFieldThreshold,
                         X = kFieldFactor, M = kFieldMinRate;
  const seconds m2 = minutes(2), m5 = minutes(5), m10 = minutes(10), m15 = minutes(15),
                m30 = minutes(30), h1 = hours(1), h2 = hours(2), d1 = hours(24);
  return {
      // Failed runs / runs over `window` > threshold, while runs/s > min_rate.
      {"AgentErrorRateSpike", F | W | T | M, Rule("P1", m5, m5, k0, 0.05, 0, 0.01), 1},
      // P99 over `window` > factor x its value `baseline` earlier and > threshold seconds.
      // One slow run cannot page: it leaves the window before `for` (>= window) is over.
      {"AgentP99LatencySpike", F | W | B | T | X | M, Rule("P1", m10, m5, h1, 5, 3, 0)},
      // Tokens/s over `window` > factor x tokens/s over `baseline`, and > threshold tokens/s,
      // while runs/s > min_rate (5.4 runs in 30m: a spike over several runs, not one long run).
      {"AgentTokenCostSpike", F | W | B | T | X | M, Rule("P2", m15, m30, d1, 1, 2, 0.003), 0,
       true},
      // Tokens per run over `window` > factor x the fleet's median tokens per run (agents
      // with runs/s > min_rate, at least 3 of them), or > threshold tokens per run; while the
      // agent's runs/s > min_rate. Needs no history of the agent itself.
      {"AgentTokensPerRunHigh", F | W | T | X | M, Rule("P2", m10, h1, k0, 1e6, 5, 0.0015)},
      // Per tool: non-success / calls over `window` > threshold, non-success/s > min_rate.
      {"AgentToolCallFailureSpike", F | W | T | M, Rule("P2", m5, m5, k0, 0.03, 0, 0.01), 1},
      // Hallucinations per run over `window` > threshold, while runs/s > min_rate.
      {"AgentHallucinationTrend", F | W | T | M, Rule("P3", m30, m30, k0, 0.05, 0, 0.01)},
      // A tool's share over `window` < factor x its share over `baseline`, for tools whose
      // baseline share >= threshold, while the agent's tool calls/s > min_rate.
      {"AgentToolSelectionDrift", F | W | B | T | X | M, Rule("P3", m15, m30, d1, 0.1, 0.5, 0.01),
       1, true},
      // Spend over `window` > alerts.daily_budget_usd_per_agent / _total.
      {"AgentDailyBudgetExceeded", F | W, Rule("P2", m5, d1, k0, 0, 0, 0)},
      // Mean eval score over `window` < threshold, while evaluations/s > min_rate.
      {"AgentQualityScoreLow", F | W | T | M, Rule("P3", m30, h1, k0, 0.7, 0, 0.005), 1},
      // P95 of tool calls per run over `window` > threshold, while runs/s > min_rate. One
      // long run cannot page: it leaves the window before `for` (>= window) is over.
      {"AgentToolCallExplosion", F | W | T | M, Rule("P2", m15, m15, k0, 25, 0, 0)},
      // (denied + overridden) / human decisions over `window` > threshold, while decisions/s
      // > min_rate (20 a day). The source article's "5 overrides per 100 investigations".
      {"AgentHumanOverrideRateHigh", F | W | T | M, Rule("P3", m30, d1, k0, 0.05, 0, 0.00023), 1},
      // Burn-rate pairs (window, baseline) and (6 x window, 6 x baseline), budget 2% / 5%.
      {"AgentRunSLOBurnRatePage", F | W | B | M, Rule("P1", m2, m5, h1, 0, 0, 0.01), 0, true},
      // Burn-rate pairs (window, baseline) and (3 x window, 3 x baseline), budget 10% each.
      {"AgentRunSLOBurnRateTicket", F | W | B | M, Rule("P2", h1, h2, d1, 0, 0, 0.001), 0, true},
      // Events during `baseline` but none during `window`.
      {"AgentEventsAbsent", F | W | B, Rule("P2", m10, m10, h1, 0, 0, 0), 0, true},
      // up == 0, or no up series at all, for the exporter's job.
      {"AgentExporterDown", F, Rule("P1", m5, k0, k0, 0, 0, 0)},
      // Rejected / (applied + rejected) over `window` > threshold, rejected/s > min_rate.
      {"AgentExporterRejectingLines", F | W | T | M, Rule("P3", m15, m15, k0, 0.01, 0, 0), 1},
  };
}

}  // namespace

std::span<const KnownAlert> KnownAlerts() {
  static const std::vector<KnownAlert> kAlerts = MakeKnownAlerts();
  return kAlerts;
}

const KnownAlert* FindKnownAlert(std::string_view name) {
  for (const KnownAlert& a : KnownAlerts()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace agx::config_detail

namespace agx {

std::map<std::string, AlertRuleConfig> DefaultAlertRules() {
  std::map<std::string, AlertRuleConfig> rules;
  for (const config_detail::KnownAlert& a : config_detail::KnownAlerts()) {
    rules.emplace(std::string(a.name), a.defaults);
  }
  return rules;
}

}  // namespace agx
