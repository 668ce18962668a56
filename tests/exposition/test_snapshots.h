#pragma once
// Hand-built snapshots for the exposition tests (no registry involved: the writers are
// pure functions of the value type).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "registry/snapshot.h"

namespace agx::fixtures {

inline constexpr char kTraceA[] = "4bf92f3577b34da6a3ce929d0e0e4736";
inline constexpr char kTraceB[] = "0af7651916cd43dd8448eb211c80319c";
inline constexpr char kSpanA[] = "00f067aa0ba902b7";

inline FamilySnapshot Family(std::string name, MetricType type, std::string help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> bounds = {}) {
  FamilySnapshot f;
  f.name = std::move(name);
  f.type = type;
  f.help = std::move(help);
  f.label_names = std::move(label_names);
  f.bounds = std::move(bounds);
  return f;
}

inline SeriesSnapshot Series(std::vector<std::string> label_values, double value,
                             std::optional<Exemplar> exemplar = std::nullopt) {
  SeriesSnapshot s;
  s.label_values = std::move(label_values);
  s.value = value;
  s.exemplar = std::move(exemplar);
  return s;
}

inline SeriesSnapshot HistogramSeries(std::vector<std::string> label_values,
                                      std::vector<std::uint64_t> bucket_counts, double sum,
                                      std::vector<std::optional<Exemplar>> exemplars = {}) {
  SeriesSnapshot s;
  s.label_values = std::move(label_values);
  exemplars.resize(bucket_counts.size());
  s.bucket_counts = std::move(bucket_counts);
  s.sum = sum;
  s.bucket_exemplars = std::move(exemplars);
  return s;
}

/// A counter (one series with an exemplar, one without), a histogram with bucket
/// exemplars, a gauge carrying an exemplar that must not be written, and an empty family.
inline Snapshot SmallSnapshot() {
  Snapshot snap;
  FamilySnapshot calls = Family("agent_tool_calls_total", MetricType::kCounter, "Tool calls.",
                                {"agent_id", "tool_name"});
  calls.series.push_back(
      Series({"a", "search"}, 17, Exemplar{kTraceA, kSpanA, 1, 1700000000.123}));
  calls.series.push_back(Series({"b", "web"}, 2.5));
  snap.families.push_back(std::move(calls));

  snap.families.push_back(
      Family("agent_empty_total", MetricType::kCounter, "Never used.", {"agent_id"}));

  FamilySnapshot steps = Family("agent_step_seconds", MetricType::kHistogram,
                                "Step duration.", {"agent_id"}, {0.1, 1, 2.5});
  steps.series.push_back(HistogramSeries(
      {"a"}, {3, 8, 8, 9}, 11.3,
      {std::nullopt, Exemplar{kTraceB, "", 0.67, 1700000001.5}, std::nullopt,
       Exemplar{kTraceA, kSpanA, 4.2, 0}}));
  snap.families.push_back(std::move(steps));

  FamilySnapshot inflight = Family("agent_inflight", MetricType::kGauge, "In flight.");
  inflight.series.push_back(Series({}, 2, Exemplar{kTraceA, "", 2, 1700000000}));
  snap.families.push_back(std::move(inflight));
  return snap;
}

}  // namespace agx::fixtures
