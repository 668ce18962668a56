#pragma once
// Durations in Prometheus/Alertmanager syntax (prometheus/common model.Duration): the
// largest units first, zero units left out (30s, 5m, 4h, 1h30m, 1w2d). A pure function;
// thread-safe.
#include <chrono>
#include <string>

namespace agx::alertmanager {

/// `d` as Prometheus writes it: units y (365d), w, d, h, m, s; "0s" for zero. Negative
/// durations have no Prometheus form and come out as "-" + the magnitude.
std::string FormatDuration(std::chrono::seconds d);

}  // namespace agx::alertmanager
