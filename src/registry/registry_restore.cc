// Registry::Restore: merges a persisted Snapshot into a live registry through the public
// resolution API, so limits, truncation and self-metrics apply as for live updates. What
// cannot be restored as saved is reported and counted (registry.h lists the cases).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prometheus/histogram.h"
#include "registry/registry.h"

namespace agx {
namespace {

constexpr std::string_view kUnknownMetric = "unknown";

std::string Num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string Join(std::span<const std::string_view> names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    out += names[i];
  }
  return out + "]";
}

std::string Join(const std::vector<std::string>& names) {
  const std::vector<std::string_view> v(names.begin(), names.end());
  return Join(std::span<const std::string_view>(v));
}

bool FiniteExemplar(const std::optional<Exemplar>& e) {
  return !e.has_value() || (std::isfinite(e->value) && std::isfinite(e->timestamp));
}

/// Collects the issues of one Restore call and counts them.
class Reporter {
 public:
  Reporter(Registry& r, RestoreReport* report) : registry_(r), report_(report) {}

  /// `metric_label`: the catalogue name, or kUnknownMetric.
  void Add(std::string_view metric_label, const std::string& name,
           std::vector<std::string> label_values, std::string_view reason, std::string detail,
           std::size_t series) {
    registry_.CountRestoreError(metric_label, reason, static_cast<double>(series));
    if (report_->issues.size() >= RestoreReport::kMaxIssues) {
      ++report_->more_issues;
      return;
    }
    report_->issues.push_back({name, std::move(label_values), reason, std::move(detail), series});
  }

 private:
  Registry& registry_;
  RestoreReport* report_;
};

/// Restores the series of a family that matches the catalogue.
void RestoreFamily(Registry& r, const MetricSpec& spec, const FamilySnapshot& f,
                   Reporter& issues, RestoreReport* report) {
  std::vector<std::string_view> values;
  std::vector<double> increments;
  std::vector<std::optional<Exemplar>> exemplars;
  auto issue = [&](const SeriesSnapshot& s, std::string_view reason, std::string detail) {
    issues.Add(spec.name, f.name, s.label_values, reason, std::move(detail), 1);
  };
  for (const SeriesSnapshot& s : f.series) {
    if (s.label_values.size() != spec.labels.size()) {
      issue(s, "malformed",
            std::to_string(s.label_values.size()) + " label values, the metric has " +
                std::to_string(spec.labels.size()));
      continue;
    }
    values.assign(s.label_values.begin(), s.label_values.end());
    switch (spec.type) {
      case MetricType::kCounter: {
        if (!std::isfinite(s.value)) {
          issue(s, "non_finite", "value " + Num(s.value) + ": the counter starts again from 0");
          continue;
        }
        if (s.value < 0) {
          issue(s, "malformed", "negative value " + Num(s.value));
          continue;
        }
        CounterHandle& c = r.Counter(spec.id, values);
        c.Inc(s.value);
        if (s.exemplar.has_value() && FiniteExemplar(s.exemplar)) c.LoadExemplar(*s.exemplar);
        break;
      }
      case MetricType::kGauge:
        if (!std::isfinite(s.value)) {
          issue(s, "non_finite", "value " + Num(s.value));
          continue;
        }
        r.Gauge(spec.id, values).Set(s.value);
        break;
      case MetricType::kHistogram: {
        const bool shape_ok =
            s.bucket_counts.size() == f.bounds.size() + 1 &&
            std::is_sorted(s.bucket_counts.begin(), s.bucket_counts.end()) &&
            (s.bucket_exemplars.empty() || s.bucket_exemplars.size() == s.bucket_counts.size());
        if (!shape_ok) {
          issue(s, "malformed",
                "bucket counts not cumulative or not one per bucket (" +
                    std::to_string(s.bucket_counts.size()) + " for " +
                    std::to_string(f.bounds.size() + 1) + " buckets)");
          continue;
        }
        double sum = s.sum;
        if (!std::isfinite(sum)) {
          // The counts are right and keep quantiles and rates going; the sum cannot be
          // restored, and a reset of _sum is what rate() expects after a restart anyway.
          issue(s, "non_finite_sum",
                "sum " + Num(sum) + ": buckets and count restored, the sum starts again from 0");
          sum = 0;
        }
        // ObserveMultiple takes per-bucket (not cumulative) increments.
        increments.resize(s.bucket_counts.size());
        for (std::size_t i = 0; i < s.bucket_counts.size(); ++i) {
          increments[i] =
              static_cast<double>(s.bucket_counts[i] - (i > 0 ? s.bucket_counts[i - 1] : 0));
        }
        HistogramHandle& h = r.Histogram(spec.id, values);
        h.metric().ObserveMultiple(increments, sum);
        exemplars = s.bucket_exemplars;
        for (auto& e : exemplars) {
          if (!FiniteExemplar(e)) e.reset();
        }
        h.LoadExemplars(exemplars);
        break;
      }
    }
    ++report->series_restored;
  }
}

}  // namespace

RestoreReport Registry::Restore(const Snapshot& snapshot) {
  RestoreReport report;
  Reporter issues(*this, &report);
  std::array<bool, kMetricCount> seen{};
  for (const FamilySnapshot& f : snapshot.families) {
    const MetricSpec* spec = FindMetric(f.name);
    std::string why;
    if (spec == nullptr) {
      issues.Add(kUnknownMetric, f.name, {}, "unknown_metric", "not in the catalogue",
                 f.series.size());
      continue;
    }
    if (seen[static_cast<std::size_t>(spec->id)]) {
      issues.Add(spec->name, f.name, {}, "malformed", "saved twice: the second copy is ignored",
                 f.series.size());
      continue;
    }
    if (spec->type != f.type) {
      why = "saved as a " + std::string(TypeName(f.type)) + ", now a " +
            std::string(TypeName(spec->type));
    } else if (!std::equal(f.label_names.begin(), f.label_names.end(), spec->labels.begin(),
                           spec->labels.end())) {
      why = "saved with labels " + Join(f.label_names) + ", now " + Join(spec->labels);
    } else if (spec->type == MetricType::kHistogram && !std::ranges::equal(f.bounds, Buckets(spec->id))) {
      why = "saved with other buckets (registry.buckets changed)";
    }
    if (!why.empty()) {
      issues.Add(spec->name, f.name, {}, "changed", std::move(why), f.series.size());
      continue;
    }
    seen[static_cast<std::size_t>(spec->id)] = true;
    RestoreFamily(*this, *spec, f, issues, &report);
  }
  return report;
}

}  // namespace agx
