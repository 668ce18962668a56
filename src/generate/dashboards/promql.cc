#include "generate/dashboards/promql.h"

#include <charconv>
#include <utility>

namespace agx::dash {

Selector::Selector(std::string extra) : extra_(std::move(extra)) {
  // Tolerate a configured selector written with braces: `{job="x"}`.
  while (!extra_.empty() && (extra_.front() == '{' || extra_.front() == ' ')) extra_.erase(0, 1);
  while (!extra_.empty() && (extra_.back() == '}' || extra_.back() == ' ')) extra_.pop_back();
}

std::string Selector::operator()(std::string_view metric,
                                 std::initializer_list<std::string_view> matchers) const {
  std::string out(metric);
  if (matchers.size() == 0 && extra_.empty()) return out;
  out.push_back('{');
  bool first = true;
  for (std::string_view m : matchers) {
    if (!first) out.push_back(',');
    out.append(m);
    first = false;
  }
  if (!extra_.empty()) {
    if (!first) out.push_back(',');
    out.append(extra_);
  }
  out.push_back('}');
  return out;
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

std::string FormatNumber(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

}  // namespace agx::dash
