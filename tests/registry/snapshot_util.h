#pragma once
// Test helpers: find families and series in a Snapshot by name and label values.
#include <string>
#include <vector>

#include "registry/snapshot.h"

namespace agx::testing {

/// \return the series of family `name` with `labels`, or nullptr.
inline const SeriesSnapshot* FindSeries(const Snapshot& s, std::string_view name,
                                        const std::vector<std::string>& labels) {
  const FamilySnapshot* f = s.Find(name);
  if (f == nullptr) return nullptr;
  for (const auto& series : f->series) {
    if (series.label_values == labels) return &series;
  }
  return nullptr;
}

/// \return the value of a counter or gauge series, or -1 when it is absent.
inline double ValueOf(const Snapshot& s, std::string_view name,
                      const std::vector<std::string>& labels) {
  const SeriesSnapshot* series = FindSeries(s, name, labels);
  return series == nullptr ? -1 : series->value;
}

}  // namespace agx::testing
