// Registry::Restore: merges a persisted Snapshot into a live registry through the public
// resolution API, so limits, truncation and self-metrics apply as for live updates.
#include <algorithm>
#include <array>
#include <cmath>

#include "prometheus/histogram.h"
#include "registry/registry.h"

namespace agx {
namespace {

/// \return false when some series were malformed (the others are restored).
bool RestoreFamily(Registry& r, const MetricSpec& spec, const FamilySnapshot& f) {
  bool all_ok = true;
  std::vector<std::string_view> values;
  std::vector<double> increments;
  for (const SeriesSnapshot& s : f.series) {
    if (s.label_values.size() != spec.labels.size()) {
      all_ok = false;
      continue;
    }
    values.assign(s.label_values.begin(), s.label_values.end());
    switch (spec.type) {
      case MetricType::kCounter: {
        if (!std::isfinite(s.value) || s.value < 0) {
          all_ok = false;
          continue;
        }
        CounterHandle& c = r.Counter(spec.id, values);
        c.Inc(s.value);
        if (s.exemplar.has_value()) c.LoadExemplar(*s.exemplar);
        break;
      }
      case MetricType::kGauge:
        r.Gauge(spec.id, values).Set(s.value);
        break;
      case MetricType::kHistogram: {
        const bool shape_ok =
            s.bucket_counts.size() == f.bounds.size() + 1 && std::isfinite(s.sum) &&
            std::is_sorted(s.bucket_counts.begin(), s.bucket_counts.end()) &&
            (s.bucket_exemplars.empty() || s.bucket_exemplars.size() == s.bucket_counts.size());
        if (!shape_ok) {
          all_ok = false;
          continue;
        }
        // ObserveMultiple takes per-bucket (not cumulative) increments.
        increments.resize(s.bucket_counts.size());
        for (std::size_t i = 0; i < s.bucket_counts.size(); ++i) {
          increments[i] =
              static_cast<double>(s.bucket_counts[i] - (i > 0 ? s.bucket_counts[i - 1] : 0));
        }
        HistogramHandle& h = r.Histogram(spec.id, values);
        h.metric().ObserveMultiple(increments, s.sum);
        h.LoadExemplars(s.bucket_exemplars);
        break;
      }
    }
  }
  return all_ok;
}

}  // namespace

std::vector<std::string> Registry::Restore(const Snapshot& snapshot) {
  std::vector<std::string> skipped;
  std::array<bool, kMetricCount> seen{};
  for (const FamilySnapshot& f : snapshot.families) {
    const MetricSpec* spec = FindMetric(f.name);
    const bool matches =
        spec != nullptr && !seen[static_cast<std::size_t>(spec->id)] && spec->type == f.type &&
        std::equal(f.label_names.begin(), f.label_names.end(), spec->labels.begin(),
                   spec->labels.end()) &&
        (spec->type != MetricType::kHistogram || std::ranges::equal(f.bounds, Buckets(spec->id)));
    if (!matches) {
      skipped.push_back(f.name);
      continue;
    }
    seen[static_cast<std::size_t>(spec->id)] = true;
    if (!RestoreFamily(*this, *spec, f)) skipped.push_back(f.name);
  }
  return skipped;
}

}  // namespace agx
