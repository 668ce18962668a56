#pragma once
// PromQL building blocks for the generated dashboards: selectors carrying the dashboard
// variables and the configured extra matchers, and the few expression shapes the panels use
// (sums by label, rates over $__rate_interval, quantiles from histogram buckets). Every
// aggregation is `sum by (...)`, so several exporters scraped together are summed.
// Value types and pure functions; thread-safe.
#include <initializer_list>
#include <string>
#include <string_view>

#include "catalog/metric_spec.h"

namespace agx::dash {

/// Matchers on the dashboard variables (all regex, so the "All" value `.+` works).
inline constexpr std::string_view kAgentMatch = R"(agent_id=~"$agent_id")";
inline constexpr std::string_view kModelMatch = R"(model=~"$model")";
inline constexpr std::string_view kToolMatch = R"(tool_name=~"$tool_name")";

/// The window Grafana sizes from the step and the scrape interval; used by every rate.
inline constexpr std::string_view kRateInterval = "$__rate_interval";

/// The series of a histogram a panel reads.
enum class Series { kBucket, kSum, kCount };

/// Builds `metric{matchers..., extra}` (just `metric` when both are empty; promql::Selector)
/// where `metric` is the catalogue's name of a MetricId, so that a renamed metric renames
/// every panel, and `extra` is config.alerts.selector (the matchers that pick
/// agent_exporter's series, e.g. `job="agent_exporter"`; may be empty).
class Selector {
 public:
  explicit Selector(std::string extra);

  std::string operator()(MetricId metric, std::initializer_list<std::string_view> matchers) const;
  /// The `_bucket`, `_sum` or `_count` series of histogram `metric`.
  std::string operator()(MetricId metric, Series series,
                         std::initializer_list<std::string_view> matchers) const;

 private:
  std::string extra_;
};

/// `rate(<selector>[<window>])`.
std::string Rate(const std::string& selector, std::string_view window = kRateInterval);
/// `increase(<selector>[<window>])`.
std::string Increase(const std::string& selector, std::string_view window = kRateInterval);
/// `sum by (<labels>) (<inner>)`, or `sum(<inner>)` when `labels` is empty.
std::string SumBy(std::string_view labels, const std::string& inner);
/// `histogram_quantile(<q>, sum by (le, <labels>) (rate(<bucket selector>[$__rate_interval])))`.
std::string Quantile(std::string_view q, std::string_view labels,
                     const std::string& bucket_selector);

}  // namespace agx::dash
