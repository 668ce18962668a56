#pragma once
// Series handles: a prometheus-cpp metric (the value store) plus its exemplar slot(s).
// A handle owns its metric: the registry keeps one allocation per series instead of
// prometheus-cpp's Family, whose label maps cost ~500 bytes a series.
// Thread-safe: updates are atomic (counters, gauges) or take the histogram's own mutex;
// exemplar slots are guarded by a one-byte spin lock (held for a 60-byte copy).
// Handles never allocate on update.
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "registry/snapshot.h"

namespace agx {

/// The trace context of the event that caused an update. Views must outlive the call only.
struct ExemplarRef {
  std::string_view trace_id;  ///< 32 hex chars, or empty: no exemplar is recorded
  std::string_view span_id;   ///< 16 hex chars, or empty
  double timestamp = 0;       ///< Unix seconds
};

/// Fixed-size exemplar storage so that recording one never allocates.
struct ExemplarSlot {
  std::array<char, 32> trace_id{};
  std::array<char, 16> span_id{};
  std::uint8_t trace_len = 0;
  std::uint8_t span_len = 0;
  bool set = false;
  double value = 0;
  double timestamp = 0;

  void Record(const ExemplarRef& ref, double v) {
    // The usual ids, 32 and 16 hex digits: fixed-size copies the compiler inlines.
    if (ref.trace_id.size() == 32 && ref.span_id.size() == 16) {
      std::memcpy(trace_id.data(), ref.trace_id.data(), 32);
      std::memcpy(span_id.data(), ref.span_id.data(), 16);
      trace_len = 32;
      span_len = 16;
      value = v;
      timestamp = ref.timestamp > 0 && ref.timestamp <= kMaxTimestamp ? ref.timestamp : 0;
      set = true;
      return;
    }
    RecordAny(ref, v);
  }
  std::optional<Exemplar> Get() const;
  /// As `*out = Get()`, reusing the strings `*out` already holds (no allocation when warm).
  void GetInto(std::optional<Exemplar>* out) const;
  void Load(const Exemplar& e);

 private:
  // Finite timestamps only: a comparison that NaN and +Inf both fail.
  static constexpr double kMaxTimestamp = 1.7976931348623157e308;
  void RecordAny(const ExemplarRef& ref, double v);
};

/// A lock for critical sections of a few dozen instructions, one byte instead of
/// std::mutex's 40 (one per series). Contention is rare: a scrape reading a slot while an
/// update writes it.
class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) {
      }
    }
  }
  void unlock() { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

class CounterHandle {
 public:
  explicit CounterHandle(bool exemplars) : exemplars_(exemplars) {}
  /// Adds `v` (ignored if negative or not finite) and records the exemplar if any.
  void Inc(double v = 1, const ExemplarRef* ex = nullptr);
  double Value() const;
  std::optional<Exemplar> GetExemplar() const;
  /// As `*out = GetExemplar()`, reusing `*out`'s storage.
  void ReadExemplar(std::optional<Exemplar>* out) const;
  void LoadExemplar(const Exemplar& e);
  bool exemplars() const { return exemplars_; }

  /// Adds a batch's combined, already validated increments (UpdateBatch): one atomic update,
  /// and `latest` (if set) replaces the exemplar.
  void AddBatch(double sum, const ExemplarSlot& latest);

 private:
  prometheus::Counter c_;
  bool exemplars_;
  mutable SpinLock mu_;  // guards slot_
  ExemplarSlot slot_;
};

class HistogramHandle {
 public:
  /// `bounds` must outlive the handle (the registry's per-metric bounds).
  HistogramHandle(std::span<const double> bounds, bool exemplars);
  /// Observes `v` (ignored if not finite) and records the exemplar in the bucket the value
  /// falls into (value <= le, the same rule prometheus-cpp uses).
  void Observe(double v, const ExemplarRef* ex = nullptr);
  /// Empty for a metric without exemplars, else one per bucket (+Inf last).
  std::vector<std::optional<Exemplar>> GetExemplars() const;
  /// As `*out = GetExemplars()`, reusing `*out`'s storage.
  void ReadExemplars(std::vector<std::optional<Exemplar>>* out) const;
  /// Cumulative bucket counts (+Inf last) and the sum.
  void Read(std::vector<std::uint64_t>* cumulative_counts, double* sum) const;
  void LoadExemplars(const std::vector<std::optional<Exemplar>>& e);
  prometheus::Histogram& metric() { return h_; }
  bool exemplars() const { return exemplars_; }
  std::span<const double> bounds() const { return bounds_; }
  /// The bucket `v` (finite) falls into: the first bound >= v, else +Inf (bounds().size()),
  /// the rule of prometheus::Histogram::Observe. Counted without branches: the bounds
  /// ascend, so those below v are a prefix.
  std::size_t BucketOf(double v) const {
    std::size_t i = 0;
    for (double b : bounds_) i += b < v;
    return i;
  }

  /// Adds a batch's observations (UpdateBatch), already validated and sorted into buckets:
  /// `count` of them, `increments` per bucket (+Inf last), their `sum`, the value `last`
  /// (enough when count is 1), and per bucket the latest exemplar (`latest` is empty, or
  /// one slot per bucket; slots not set are skipped).
  void ObserveBatch(std::uint32_t count, const std::vector<double>& increments, double sum,
                    double last, std::span<const ExemplarSlot> latest);

 private:
  prometheus::Histogram h_;
  std::span<const double> bounds_;
  bool exemplars_;
  mutable SpinLock mu_;  // guards slots_
  std::vector<ExemplarSlot> slots_;  // bounds.size() + 1, sized once at construction
};

class GaugeHandle {
 public:
  void Set(double v);
  double Value() const;

 private:
  prometheus::Gauge g_;
};

}  // namespace agx
