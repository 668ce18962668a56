#pragma once
// Registry: the live L1–L4 metric store. prometheus-cpp core holds the values; an exemplar
// side table holds the latest trace-id exemplar per counter series and per histogram bucket.
//
// Thread-safe. Resolving a series (Counter/Histogram/Gauge) takes a shared lock and a hash
// lookup with no allocation once the series exists; the returned handle is stable for the
// registry's lifetime, so hot paths may cache it. Updating through a handle takes no registry
// lock. New series beyond `series_limit` per metric go to one overflow series whose label
// values are all "__overflow__", counted in agent_exporter_series_overflow_total{metric}.
#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/metric_spec.h"
#include "registry/handles.h"
#include "registry/snapshot.h"

namespace prometheus {
class Registry;
}

namespace agx {

inline constexpr std::string_view kOverflowLabelValue = "__overflow__";

/// A label value as the registry keeps it: cut to `max_bytes` at a UTF-8 boundary, except
/// the overflow marker (so that a restored overflow series stays the overflow series).
/// Callers that keep label values of their own (TaskWindows, the handle cache) cut with
/// this before copying. Sets `*cut` when the value was cut.
std::string_view CutLabelValue(std::string_view value, std::size_t max_bytes, bool* cut);

struct RegistryOptions {
  std::size_t series_limit = 10000;         ///< per metric
  /// All metrics together (self-metrics excluded): past it, new label sets of any metric
  /// go to that metric's overflow series, as with series_limit.
  std::size_t max_series = 200000;
  std::size_t label_value_max_bytes = 128;  ///< longer values are cut at a UTF-8 boundary
  /// Bucket overrides by metric; others use the catalogue defaults.
  std::map<MetricId, std::vector<double>> buckets;
};

/// One thing Registry::Restore could not restore as saved.
struct RestoreIssue {
  std::string metric;                     ///< the family's name as saved
  std::vector<std::string> label_values;  ///< the series' values; empty for a whole family
  std::string_view reason;  ///< the `reason` of agent_exporter_state_restore_errors_total
  std::string detail;       ///< what was wrong, e.g. "value +Inf"
  std::size_t series = 1;   ///< series concerned (a whole family: all of its series)
};

/// What Registry::Restore did. Every issue is counted in
/// agent_exporter_state_restore_errors_total{metric,reason} (by its series); the first
/// kMaxIssues are kept here for the caller to log precisely.
struct RestoreReport {
  static constexpr std::size_t kMaxIssues = 100;
  std::vector<RestoreIssue> issues;
  std::size_t more_issues = 0;      ///< issues past kMaxIssues
  std::size_t series_restored = 0;  ///< in full, or without their sum (non_finite_sum)
  bool ok() const { return issues.empty() && more_issues == 0; }
};

class Registry {
 public:
  /// \throws std::invalid_argument when a bucket override is for a non-histogram or its
  /// bounds are not finite and strictly ascending (validate configs before).
  explicit Registry(RegistryOptions options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// \param labels values in the order of the catalogue's label names (size must match).
  /// Values longer than label_value_max_bytes are cut and counted in
  /// agent_exporter_label_values_truncated_total{metric}.
  /// \throws std::invalid_argument on a programming error: wrong metric type for the call or
  /// wrong number of label values.
  CounterHandle& Counter(MetricId id, std::span<const std::string_view> labels);
  HistogramHandle& Histogram(MetricId id, std::span<const std::string_view> labels);
  GaugeHandle& Gauge(MetricId id, std::span<const std::string_view> labels);

  /// For callers that cache handles: as above, and `*cacheable` says whether the handle is
  /// exactly this label set. It is false for the overflow series and for cut label values:
  /// such updates must keep coming through the calls above so that each one is counted in
  /// the overflow and truncation self-metrics.
  CounterHandle& Counter(MetricId id, std::span<const std::string_view> labels, bool* cacheable);
  HistogramHandle& Histogram(MetricId id, std::span<const std::string_view> labels,
                             bool* cacheable);
  GaugeHandle& Gauge(MetricId id, std::span<const std::string_view> labels, bool* cacheable);

  /// For callers that keep series of their own, bounded like the registry's (TaskWindows):
  /// whether a new label set of `id` would get a series of its own now (false: it would go
  /// to the overflow series, past series_limit or max_series).
  bool HasRoom(MetricId id) const;
  /// Counts `n` updates of `id` sent to its overflow series, and `n` label values of `id`
  /// cut, by such callers (agent_exporter_series_overflow_total and
  /// agent_exporter_label_values_truncated_total{metric}); no allocation once counted once.
  void CountOverflow(MetricId id, double n = 1);
  void CountTruncated(MetricId id, double n = 1);

  const RegistryOptions& options() const;

  CounterHandle& Counter(MetricId id, std::initializer_list<std::string_view> labels) {
    return Counter(id, std::span<const std::string_view>(labels.begin(), labels.size()));
  }
  HistogramHandle& Histogram(MetricId id, std::initializer_list<std::string_view> labels) {
    return Histogram(id, std::span<const std::string_view>(labels.begin(), labels.size()));
  }
  GaugeHandle& Gauge(MetricId id, std::initializer_list<std::string_view> labels) {
    return Gauge(id, std::span<const std::string_view>(labels.begin(), labels.size()));
  }

  /// Removes a gauge series (used when a sliding window empties). This invalidates the
  /// series' GaugeHandle: callers must not cache gauge handles they may remove, nor race a
  /// removal with an update of the same series (TaskWindows serialises both).
  /// \throws std::invalid_argument if `id` is not a gauge or the label count is wrong.
  void RemoveGauge(MetricId id, std::span<const std::string_view> labels);

  /// \return every catalogue family in catalogue order (families with no series included,
  /// with empty `series`), series sorted by label values, exemplars attached.
  Snapshot Collect() const;
  /// As `*out = Collect()`, reusing the storage `*out` holds from an earlier call: a scrape
  /// that keeps its snapshot allocates nothing for series it has seen before. Families
  /// appended to `*out` after the catalogue's are dropped.
  void CollectInto(Snapshot* out) const;

  /// Adds the counter and histogram values of `snapshot` (and sets its gauges and exemplars)
  /// into this registry. Used once at start-up to restore persisted state. Whatever can be
  /// restored is; the rest is reported and counted, never dropped silently:
  /// - a family that does not match the catalogue (unknown or renamed metric, changed type,
  ///   labels or buckets, a second copy): all its series (unknown_metric, changed);
  /// - a series with the wrong number of label values, a negative counter, histogram counts
  ///   that are not cumulative or of the wrong number (malformed);
  /// - a counter or gauge whose value is NaN or infinite (non_finite): not restored, so the
  ///   series starts again from 0 (a counter reset, which rate() handles) instead of
  ///   staying NaN or +Inf for good;
  /// - a histogram whose sum is NaN or infinite (non_finite_sum): its buckets and count
  ///   are restored, its sum starts again from 0;
  /// - an exemplar with a NaN or infinite value or timestamp is left out (the series is
  ///   restored; not counted).
  RestoreReport Restore(const Snapshot& snapshot);

  /// Counts `n` units of saved state not restored as saved
  /// (agent_exporter_state_restore_errors_total{metric,reason}; Restore, TaskWindows::Load).
  /// `metric` is a catalogue name; any other is counted as metric="unknown". `reason` is one
  /// of the fixed reasons of the catalogue's help text.
  void CountRestoreError(std::string_view metric, std::string_view reason, double n);

  /// The bucket bounds in use for a histogram metric.
  std::span<const double> Buckets(MetricId id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
