#include "generate/dashboards/promql.h"

#include <utility>
#include <vector>

#include "generate/promql.h"

namespace agx::dash {

Selector::Selector(std::string extra) : extra_(std::move(extra)) {}

std::string Selector::operator()(MetricId metric,
                                 std::initializer_list<std::string_view> matchers) const {
  std::vector<std::string_view> all(matchers);
  all.push_back(extra_);
  return promql::Selector(Spec(metric).name, all);
}

std::string Selector::operator()(MetricId metric, Series series,
                                 std::initializer_list<std::string_view> matchers) const {
  const std::string_view suffix = series == Series::kBucket ? "_bucket"
                                  : series == Series::kSum  ? "_sum"
                                                            : "_count";
  std::vector<std::string_view> all(matchers);
  all.push_back(extra_);
  return promql::Selector(std::string(Spec(metric).name) + std::string(suffix), all);
}

std::string Rate(const std::string& selector, std::string_view window) {
  return "rate(" + selector + "[" + std::string(window) + "])";
}

std::string Increase(const std::string& selector, std::string_view window) {
  return "increase(" + selector + "[" + std::string(window) + "])";
}

std::string SumBy(std::string_view labels, const std::string& inner) {
  if (labels.empty()) return "sum(" + inner + ")";
  return "sum by (" + std::string(labels) + ") (" + inner + ")";
}

std::string Quantile(std::string_view q, std::string_view labels,
                     const std::string& bucket_selector) {
  std::string by = labels.empty() ? std::string("le") : "le, " + std::string(labels);
  return "histogram_quantile(" + std::string(q) + ", " + SumBy(by, Rate(bucket_selector)) + ")";
}

}  // namespace agx::dash
