// OpenMetrics 1.0 writer. One pass over the snapshot appending to the caller's buffer: the
// only allocations are the buffer's growth and two scratch buffers reused across series
// (the escaped label set and the canonical `le` strings of the current family).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/number_format.h"
#include "common/utf8.h"
#include "exposition/exposition.h"
#include "exposition/family_loop.h"
#include "exposition/write_util.h"

namespace agx {
namespace {

// OpenMetrics 1.0 (L122–130): the label names and values of an exemplar together must
// not exceed 128 code points. Prometheus and prometheus_client reject longer ones.
constexpr std::size_t kMaxExemplarCodePoints = 128;
constexpr std::string_view kTraceId = "trace_id";
constexpr std::string_view kSpanId = "span_id";

// Appends ` # {trace_id="…",span_id="…"} value [timestamp]`, or nothing when the exemplar
// has no trace_id (it links nothing) or its label set exceeds the OpenMetrics limit.
void AppendExemplar(std::string* out, const Exemplar& e) {
  if (e.trace_id.empty()) return;
  std::size_t code_points = kTraceId.size() + CountCodePoints(e.trace_id);
  if (!e.span_id.empty()) code_points += kSpanId.size() + CountCodePoints(e.span_id);
  if (code_points > kMaxExemplarCodePoints) return;
  out->append(" # {trace_id=\"");
  detail::AppendEscapedLabelValue(out, e.trace_id);
  if (!e.span_id.empty()) {
    out->append("\",span_id=\"");
    detail::AppendEscapedLabelValue(out, e.span_id);
  }
  out->append("\"} ");
  AppendValue(out, e.value);
  // A NaN or infinite timestamp has no valid spelling: write the exemplar without one.
  if (e.timestamp != 0 && std::isfinite(e.timestamp)) {
    out->push_back(' ');
    AppendTimestamp(out, e.timestamp);
  }
}

void AppendBucket(std::string* out, std::string_view name, std::string_view labels,
                  std::string_view le, std::uint64_t count,
                  const std::optional<Exemplar>* exemplar) {
  detail::AppendBucketSample(out, name, labels, le, count);
  if (exemplar != nullptr && exemplar->has_value()) AppendExemplar(out, **exemplar);
  out->push_back('\n');
}

// Buckets (finite bounds, then +Inf), then `_count` and `_sum`, as the OpenMetrics
// examples order them. A series whose bucket_counts do not match the bounds (a broken
// snapshot) still yields a well-formed histogram: the extra bounds are not written.
void AppendHistogram(std::string* out, std::string_view name, std::string_view labels,
                     const detail::BoundsText& le, const SeriesSnapshot& s) {
  const auto& counts = s.bucket_counts;
  const auto exemplar_at = [&s](std::size_t i) -> const std::optional<Exemplar>* {
    return i < s.bucket_exemplars.size() ? &s.bucket_exemplars[i] : nullptr;
  };
  const std::size_t finite = counts.empty() ? 0 : std::min(le.size(), counts.size() - 1);
  for (std::size_t i = 0; i < finite; ++i) {
    AppendBucket(out, name, labels, le[i], counts[i], exemplar_at(i));
  }
  AppendBucket(out, name, labels, "+Inf", s.count(),
               counts.empty() ? nullptr : exemplar_at(counts.size() - 1));
  detail::AppendSampleName(out, name, "_count", labels);
  detail::AppendUint(out, s.count());
  out->push_back('\n');
  detail::AppendSampleName(out, name, "_sum", labels);
  AppendValue(out, s.sum);
  out->push_back('\n');
}

// OpenMetrics names a counter family without `_total`; its sample is `<family>_total`.
std::string_view FamilyName(const FamilySnapshot& f) {
  std::string_view name = f.name;
  if (f.type == MetricType::kCounter && name.ends_with("_total")) {
    name.remove_suffix(std::string_view("_total").size());
  }
  return name;
}

}  // namespace

void WriteOpenMetrics(const Snapshot& snapshot, std::string* out) {
  detail::ForEachSeries(
      snapshot, out, FamilyName,
      [out](const FamilySnapshot& f, std::string_view name, std::string_view labels,
            const detail::BoundsText& le, const SeriesSnapshot& s) {
        switch (f.type) {
          case MetricType::kCounter:
            detail::AppendSampleName(out, name, "_total", labels);
            AppendValue(out, s.value);
            if (s.exemplar) AppendExemplar(out, *s.exemplar);
            out->push_back('\n');
            break;
          case MetricType::kGauge:  // never an exemplar: Prometheus 2.42 fails the scrape
            detail::AppendSampleName(out, name, "", labels);
            AppendValue(out, s.value);
            out->push_back('\n');
            break;
          case MetricType::kHistogram:
            AppendHistogram(out, name, labels, le, s);
            break;
        }
      });
  out->append("# EOF\n");
}

}  // namespace agx
