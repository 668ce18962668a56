#include "generate/rules/context.h"

#include <cctype>
#include <map>

#include "generate/promql.h"

namespace agx::rules {

using promql::FormatDuration;

namespace {

// `s` in lower case (ASCII): runbook anchors are the lower-cased alert names.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Context::Context(const Config& config, RuleSet* out) : config_(config), out_(out) {}

const AlertRuleConfig& Context::Rule(std::string_view name) const {
  auto it = config_.alerts.rules.find(std::string(name));
  if (it != config_.alerts.rules.end()) return it->second;
  static const std::map<std::string, AlertRuleConfig> kDefaults = DefaultAlertRules();
  return kDefaults.at(std::string(name));
}

std::string Context::Sel(MetricId id, std::string_view suffix, std::string_view matchers) const {
  std::string name(Spec(id).name);
  name.append(suffix);
  return promql::Selector(name, {matchers, config_.alerts.selector});
}

std::string Context::RunbookUrl(std::string_view alert) const {
  return config_.alerts.runbook_url + "#" + Lower(alert);
}

std::string Context::DashboardUrl(Dashboard which, std::string_view query) const {
  const std::string_view slug = which == Dashboard::kOverview   ? "agent-overview"
                                : which == Dashboard::kDeepDive ? "agent-deep-dive"
                                                                : "agent-cost";
  std::string url = config_.alerts.grafana_url + "/d/" + config_.dashboards.uid_prefix + "-" +
                    std::string(slug) + "/" + std::string(slug);
  if (!query.empty()) url += "?" + std::string(query);
  return url;
}

void Context::AddAlert(const std::string& group, AlertRule rule, Dashboard dashboard,
                       std::string_view query) const {
  const AlertRuleConfig& c = Rule(rule.name);
  rule.severity = c.severity;
  rule.for_duration = c.for_duration;
  rule.runbook_url = RunbookUrl(rule.name);
  rule.dashboard_url = DashboardUrl(dashboard, query);
  out_->Alert(group, std::move(rule));
}

std::string RecordName(std::string_view level, std::string_view metric, std::string_view op,
                       std::chrono::seconds window) {
  return std::string(level) + ":" + std::string(metric) + ":" + std::string(op) +
         FormatDuration(window);
}

}  // namespace agx::rules
