#pragma once
// Text helpers for writing PromQL and Prometheus rule files: numbers without float noise,
// durations in Prometheus syntax, selectors. Pure functions; thread-safe.
#include <chrono>
#include <string>
#include <string_view>

namespace agx::rules {

/// `v` with the fewest significant digits that give it back to within 1e-13 (relative), so
/// that computed thresholds print as a person writes them: 0.0144, not 0.014400000000000001;
/// integers without a fraction (25, 100). Finite values only.
std::string FormatNumber(double v);

/// `ratio` as a percentage without float noise: 0.05 -> "5%", 0.144 -> "14.4%".
std::string FormatPercent(double ratio);

/// `d` in Prometheus duration syntax, largest units first: 5m, 1h30m, 1d, 30d, 1w; years and
/// weeks only when exact; "0s" for zero. The text Prometheus' model.Duration String() gives.
std::string FormatDuration(std::chrono::seconds d);

/// `name{a, b}` from a metric name and two matcher lists, either possibly empty; just
/// `name` when both are.
std::string Selector(std::string_view name, std::string_view matchers,
                     std::string_view extra_matchers);

/// \return `s` in lower case (ASCII), for runbook anchors.
std::string Lower(std::string_view s);

}  // namespace agx::rules
