#pragma once
// The walk both exposition writers make over a snapshot: for each family that has series,
// its header (HELP, TYPE) under the name the format gives it, its bucket bounds formatted
// once, then each series with its escaped label pairs. The formats differ only in the
// family's name and in how a series is written (`write_series`). Internal to
// agx_exposition; the scratch buffers live for one call (one writer call, one thread).
#include <string>
#include <string_view>

#include "catalog/metric_spec.h"
#include "exposition/write_util.h"
#include "registry/snapshot.h"

namespace agx::detail {

/// `name_of(const FamilySnapshot&) -> std::string_view`;
/// `write_series(const FamilySnapshot&, std::string_view name, std::string_view labels,
/// const BoundsText& le, const SeriesSnapshot&)`.
template <class NameOf, class WriteSeries>
void ForEachSeries(const Snapshot& snapshot, std::string* out, NameOf name_of,
                   WriteSeries write_series) {
  std::string labels;
  BoundsText le;
  for (const FamilySnapshot& f : snapshot.families) {
    if (f.series.empty()) continue;
    const std::string_view name = name_of(f);
    AppendFamilyHeader(out, name, f.help, TypeName(f.type));
    if (f.type == MetricType::kHistogram) le.Reset(f.bounds);
    for (const SeriesSnapshot& s : f.series) {
      labels.clear();
      AppendLabelPairs(&labels, f.label_names, s.label_values);
      write_series(f, name, labels, le, s);
    }
  }
}

}  // namespace agx::detail
