#pragma once
// Snapshot: a plain value copy of every metric, with exemplars. It crosses module boundaries:
// the exposition writers are pure functions of it, and the state store persists it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/metric_spec.h"

namespace agx {

struct Exemplar {
  std::string trace_id;  ///< 32 lowercase hex, or empty
  std::string span_id;   ///< 16 lowercase hex, or empty
  double value = 0;      ///< the observed value (histograms) or the increment (counters)
  double timestamp = 0;  ///< Unix seconds; 0 = none

  bool operator==(const Exemplar&) const = default;
};

struct SeriesSnapshot {
  std::vector<std::string> label_values;  ///< aligned with FamilySnapshot::label_names
  double value = 0;                       ///< counters and gauges
  /// Histograms: cumulative counts, one per bound in FamilySnapshot::bounds plus +Inf last.
  std::vector<std::uint64_t> bucket_counts;
  double sum = 0;  ///< histograms
  /// Histograms: the latest exemplar per bucket (same size as bucket_counts), or empty for
  /// a metric without exemplars.
  std::vector<std::optional<Exemplar>> bucket_exemplars;
  std::optional<Exemplar> exemplar;  ///< counters: the latest exemplar

  std::uint64_t count() const { return bucket_counts.empty() ? 0 : bucket_counts.back(); }
  bool operator==(const SeriesSnapshot&) const = default;
};

struct FamilySnapshot {
  std::string name;  ///< counters keep `_total`; writers strip it where the format asks
  MetricType type = MetricType::kCounter;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  ///< histograms: finite upper bounds, ascending (no +Inf)
  std::vector<SeriesSnapshot> series;  ///< sorted by label values

  bool operator==(const FamilySnapshot&) const = default;
};

struct Snapshot {
  std::vector<FamilySnapshot> families;

  const FamilySnapshot* Find(std::string_view name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
};

}  // namespace agx
