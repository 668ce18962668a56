// Prometheus text format 0.0.4 writer: the fallback for scrapers that do not ask for
// OpenMetrics. Same single pass and scratch-buffer reuse as the OpenMetrics writer; no
// exemplars (the format has none) and no `# EOF`.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/allocator.h"
#include "common/number_format.h"
#include "exposition/exposition.h"
#include "exposition/family_loop.h"
#include "exposition/write_util.h"

namespace agx {
namespace {

void AppendBucket(std::string* out, std::string_view name, std::string_view labels,
                  std::string_view le, std::uint64_t count) {
  detail::AppendBucketSample(out, name, labels, le, count);
  out->push_back('\n');
}

// Buckets, `_sum`, `_count`: the order client_golang and prometheus-cpp write.
void AppendHistogram(std::string* out, std::string_view name, std::string_view labels,
                     const detail::BoundsText& le, const SeriesSnapshot& s) {
  const auto& counts = s.bucket_counts;
  const std::size_t finite = counts.empty() ? 0 : std::min(le.size(), counts.size() - 1);
  for (std::size_t i = 0; i < finite; ++i) AppendBucket(out, name, labels, le[i], counts[i]);
  AppendBucket(out, name, labels, "+Inf", s.count());
  detail::AppendSampleName(out, name, "_sum", labels);
  AppendValue(out, s.sum);
  out->push_back('\n');
  detail::AppendSampleName(out, name, "_count", labels);
  detail::AppendUint(out, s.count());
  out->push_back('\n');
}

}  // namespace

void WriteText(const Snapshot& snapshot, std::string* out) {
  detail::ForEachSeries(
      snapshot, out,
      // Text 0.0.4 names a counter family by its sample name, `_total` included.
      [](const FamilySnapshot& f) { return std::string_view(f.name); },
      [out](const FamilySnapshot& f, std::string_view name, std::string_view labels,
            const detail::BoundsText& le, const SeriesSnapshot& s) {
        if (f.type == MetricType::kHistogram) {
          AppendHistogram(out, name, labels, le, s);
          return;
        }
        detail::AppendSampleName(out, name, "", labels);
        AppendValue(out, s.value);
        out->push_back('\n');
      });
}

void WriteExposition(const Snapshot& snapshot, ExpositionFormat format, std::string* out) {
  // Reserve about what the body will take, so a large body is not copied as it grows.
  std::size_t estimate = 0;
  for (const FamilySnapshot& f : snapshot.families) {
    std::size_t per_series = f.name.size() + 48;
    for (const auto& n : f.label_names) per_series += n.size() + 4;
    if (f.type == MetricType::kHistogram) per_series *= f.bounds.size() + 3;
    per_series += 100;  // label values and an exemplar, typically
    estimate += f.help.size() + 64 + f.series.size() * per_series;
  }
  out->reserve(out->size() + estimate);
  AdviseHugePages(out->data(), out->capacity());
  if (format == ExpositionFormat::kOpenMetrics) {
    WriteOpenMetrics(snapshot, out);
  } else {
    WriteText(snapshot, out);
  }
}

}  // namespace agx
