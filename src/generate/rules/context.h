#pragma once
// Context: what every alert builder needs from the config (its tunables, the selector, the
// runbook and dashboard links) and the RuleSet it adds to. One per GenerateRules call;
// thread-compatible.
#include <chrono>
#include <string>
#include <string_view>

#include "catalog/metric_spec.h"
#include "config/config.h"
#include "generate/rules/rule_set.h"

namespace agx::rules {

/// Which generated Grafana dashboard an alert links to.
enum class Dashboard { kOverview, kDeepDive, kCost };

class Context {
 public:
  Context(const Config& config, RuleSet* out);

  const AlertsConfig& alerts() const { return config_.alerts; }
  RuleSet& out() const { return *out_; }

  /// The tunables of alert `name`: the config's entry, or the default when it has none.
  const AlertRuleConfig& Rule(std::string_view name) const;

  /// `metric<suffix>{matchers, <alerts.selector>}` for a catalogue metric; `suffix` is
  /// "_bucket", "_sum" or "_count" for histograms.
  std::string Sel(MetricId id, std::string_view suffix = "", std::string_view matchers = "") const;

  /// The alerts.selector matchers (may be empty).
  const std::string& selector() const { return config_.alerts.selector; }

  /// runbook_url + '#' + lower-case alert name.
  std::string RunbookUrl(std::string_view alert) const;

  /// <grafana_url>/d/<uid>/<slug>, plus `?query` when `query` is not empty.
  std::string DashboardUrl(Dashboard which, std::string_view query) const;

  /// Fills severity, for, runbook and dashboard of `rule` from the config of alert
  /// `rule.name`, and adds it to `group`.
  void AddAlert(const std::string& group, AlertRule rule, Dashboard dashboard,
                std::string_view query) const;

 private:
  const Config& config_;
  RuleSet* out_;
};

/// Record names: `level:metric:operation<window>` with the window in Prometheus syntax.
std::string RecordName(std::string_view level, std::string_view metric, std::string_view op,
                       std::chrono::seconds window);

}  // namespace agx::rules
