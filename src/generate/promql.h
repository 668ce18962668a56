#pragma once
// Text helpers shared by every generator that writes PromQL or Prometheus/Alertmanager
// configuration (rules, dashboards, alertmanager): numbers without float noise, durations in
// Prometheus syntax, selectors. One place, so that rules, dashboards and the Alertmanager
// config print the same value the same way. Pure functions; thread-safe.
#include <chrono>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace agx::promql {

/// `v` with the fewest significant digits that give it back to within 1e-13 (relative), so
/// that computed thresholds print as a person writes them: 0.0144, not 0.014400000000000001;
/// integers without a fraction (25, 100). Finite values only.
std::string FormatNumber(double v);

/// `ratio` as a percentage without float noise: 0.05 -> "5%", 0.144 -> "14.4%".
std::string FormatPercent(double ratio);

/// `d` as prometheus/common model.Duration's String() prints it (model/time.go, read at
/// v0.70.1-8-gd2417e2): largest units first, zero units left out, years (365d) and weeks
/// only when they divide the whole duration exactly (30d, not 4w2d; 90d, not 12w6d); "0s" for
/// zero. Negative durations come out as "-" + the magnitude, as there.
std::string FormatDuration(std::chrono::seconds d);

/// `name{m1, m2, ...}` from a metric name and matcher lists; empty lists are left out, and
/// the braces too when all are empty.
std::string Selector(std::string_view name, std::span<const std::string_view> matchers);
inline std::string Selector(std::string_view name,
                            std::initializer_list<std::string_view> matchers) {
  return Selector(name, std::span<const std::string_view>(matchers.begin(), matchers.size()));
}

}  // namespace agx::promql
