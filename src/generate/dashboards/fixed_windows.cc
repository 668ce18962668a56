// The panels that deliberately use a fixed window instead of $__rate_interval. The tests
// check that every fixed window in the generated dashboards is listed here and that every
// entry is used; LintFile() writes them as dashboard-linter exclusions.
#include <array>

#include "generate/dashboards/dashboards.h"
#include "generate/generate.h"
#include "generate/yaml.h"

namespace agx::dash {
namespace {

constexpr std::string_view kRange =
    "a total over the dashboard time range, read as one instant value";
constexpr std::string_view kToday = "spend since midnight: the panel's time range is now/d";
constexpr std::string_view kDay = "24 hours whatever the time range: the daily budget window";
constexpr std::string_view kMonth = "30 days whatever the time range: the monthly spend";
constexpr std::string_view kPerRun =
    "1 hour: the window AgentTokensPerRunHigh compares tokens per run over";
constexpr std::string_view kOverrides =
    "1 day: the window AgentHumanOverrideRateHigh takes the override share over";

constexpr std::array<FixedWindow, 20> kFixedWindows = {{
    {kOverview, "Spend (selected range)", "$__range", kRange},
    {kOverview, "Spend by agent and model (selected range)", "$__range", kRange},
    {kDeepDive, "Task completion rate (selected range)", "$__range", kRange},
    {kDeepDive, "Tool failure ratio (selected range)", "$__range", kRange},
    {kDeepDive, "Hallucinations (selected range)", "$__range", kRange},
    {kDeepDive, "Cost per task (selected range)", "$__range", kRange},
    {kDeepDive, "Tool share (selected range)", "$__range", kRange},
    {kCost, "Spend today", "$__range", kToday},
    {kCost, "Daily budget used today", "$__range", kToday},
    {kCost, "Spend last 24 hours", "1d", kDay},
    {kCost, "Spend last 30 days", "30d", kMonth},
    {kCost, "Rolling 24h spend per agent", "1d", kDay},
    {kCost, "Rolling 24h spend total", "1d", kDay},
    {kCost, "Spend by agent and model", "1d", kDay},
    {kCost, "Spend by agent and model", "30d", kMonth},
    {kCost, "Spend by model (selected range)", "$__range", kRange},
    {kCost, "Spend by agent (selected range)", "$__range", kRange},
    {kCost, "Unpriced tokens (selected range)", "$__range", kRange},
    {kCost, "Tokens per run by agent vs fleet median", "1h", kPerRun},
    {kDeepDive, "Human override rate", "1d", kOverrides},
}};

std::string_view Title(std::string_view name) {
  if (name == kOverview) return kOverviewTitle;
  if (name == kDeepDive) return kDeepDiveTitle;
  return kCostTitle;
}

}  // namespace

std::span<const FixedWindow> FixedWindowExceptions() { return kFixedWindows; }

std::string LintFile() {
  constexpr std::string_view kNoJob =
      "agent_exporter series are selected by agent_id and the configured alerts.selector "
      "(e.g. job=\"agent_exporter\"); the dashboards have no job or instance variable.";
  Yaml exclusions = Yaml::Map();
  for (const char* rule :
       {"template-job-rule", "template-instance-rule", "target-job-rule", "target-instance-rule"}) {
    exclusions.Set(rule, Yaml::Map().Set("reason", std::string(kNoJob)));
  }
  // One entry per panel (a panel with two fixed windows gets both reasons).
  Yaml entries = Yaml::List();
  auto all = FixedWindowExceptions();
  for (std::size_t i = 0; i < all.size();) {
    std::string reason(all[i].reason);
    std::size_t j = i + 1;
    for (; j < all.size() && all[j].dashboard == all[i].dashboard && all[j].panel == all[i].panel;
         ++j) {
      reason += "; " + std::string(all[j].reason);
    }
    entries.Add(Yaml::Map()
                    .Set("dashboard", std::string(Title(all[i].dashboard)))
                    .Set("panel", std::string(all[i].panel))
                    .Set("reason", reason));
    i = j;
  }
  exclusions.Set("target-rate-interval-rule",
                 Yaml::Map()
                     .Set("reason", "Deliberate fixed windows ($__range, 1d, 30d), listed below.")
                     .Set("entries", std::move(entries)));
  return GeneratedHeader("#", std::string(kCommand)) +
         "# grafana/dashboard-linter exclusions: dashboard-linter lint --strict <file>.json\n" +
         Yaml::Map().Set("exclusions", std::move(exclusions)).Emit();
}

}  // namespace agx::dash
