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
#include "exposition/write_util.h"

namespace agx {
namespace {

void AppendBucket(std::string* out, std::string_view name, std::string_view labels,
                  std::string_view le, std::uint64_t count) {
  out->append(name);
  out->append("_bucket{");
  out->append(labels);
  if (!labels.empty()) out->push_back(',');
  out->append("le=\"");
  out->append(le);
  out->append("\"} ");
  detail::AppendUint(out, count);
  out->push_back('\n');
}

// Buckets, `_sum`, `_count`: the order client_golang and prometheus-cpp write.
void AppendHistogram(std::string* out, std::string_view name, std::string_view labels,
                     const detail::BoundsText& le, const SeriesSnapshot& s) {
  const auto& counts = s.bucket_counts;
  const std::size_t finite = counts.empty() ? 0 : std::min(le.size(), counts.size() - 1);
  for (std::size_t i = 0; i < finite; ++i) AppendBucket(out, name, labels, le[i], counts[i]);
  AppendBucket(out, name, labels, "+Inf", s.count());
  out->append(name);
  out->append("_sum");
  detail::AppendLabelBlock(out, labels);
  out->push_back(' ');
  AppendValue(out, s.sum);
  out->push_back('\n');
  out->append(name);
  out->append("_count");
  detail::AppendLabelBlock(out, labels);
  out->push_back(' ');
  detail::AppendUint(out, s.count());
  out->push_back('\n');
}

}  // namespace

void WriteText(const Snapshot& snapshot, std::string* out) {
  std::string labels;
  detail::BoundsText le;
  for (const FamilySnapshot& f : snapshot.families) {
    if (f.series.empty()) continue;
    // Text 0.0.4 names a counter family by its sample name, `_total` included.
    const std::string_view name = f.name;
    if (!f.help.empty()) {
      out->append("# HELP ");
      out->append(name);
      out->push_back(' ');
      detail::AppendEscapedHelp(out, f.help);
      out->push_back('\n');
    }
    out->append("# TYPE ");
    out->append(name);
    out->push_back(' ');
    out->append(TypeName(f.type));
    out->push_back('\n');
    if (f.type == MetricType::kHistogram) le.Reset(f.bounds);

    for (const SeriesSnapshot& s : f.series) {
      labels.clear();
      detail::AppendLabelPairs(&labels, f.label_names, s.label_values);
      if (f.type == MetricType::kHistogram) {
        AppendHistogram(out, name, labels, le, s);
        continue;
      }
      out->append(name);
      detail::AppendLabelBlock(out, labels);
      out->push_back(' ');
      AppendValue(out, s.value);
      out->push_back('\n');
    }
  }
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
