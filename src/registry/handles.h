#pragma once
// Series handles: a cached prometheus-cpp metric plus its exemplar slot(s).
// Thread-safe: updates are atomic (counters, gauges) or take the histogram's own mutex.
// Handles never allocate on update.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "registry/snapshot.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

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

  void Record(const ExemplarRef& ref, double v);
  std::optional<Exemplar> Get() const;
  void Load(const Exemplar& e);
};

class CounterHandle {
 public:
  CounterHandle(prometheus::Counter& c, bool exemplars) : c_(c), exemplars_(exemplars) {}
  /// Adds `v` (ignored if negative or not finite) and records the exemplar if any.
  void Inc(double v = 1, const ExemplarRef* ex = nullptr);
  double Value() const;
  std::optional<Exemplar> GetExemplar() const;
  void LoadExemplar(const Exemplar& e);

 private:
  prometheus::Counter& c_;
  bool exemplars_;
  mutable std::mutex mu_;  // guards slot_
  ExemplarSlot slot_;
};

class HistogramHandle {
 public:
  HistogramHandle(prometheus::Histogram& h, std::span<const double> bounds, bool exemplars);
  /// Observes `v` (ignored if not finite) and records the exemplar in the bucket the value
  /// falls into (value <= le, the same rule prometheus-cpp uses).
  void Observe(double v, const ExemplarRef* ex = nullptr);
  std::vector<std::optional<Exemplar>> GetExemplars() const;
  void LoadExemplars(const std::vector<std::optional<Exemplar>>& e);
  prometheus::Histogram& metric() { return h_; }

 private:
  prometheus::Histogram& h_;
  std::span<const double> bounds_;
  bool exemplars_;
  mutable std::mutex mu_;  // guards slots_
  std::vector<ExemplarSlot> slots_;  // bounds.size() + 1, sized once at construction
};

class GaugeHandle {
 public:
  explicit GaugeHandle(prometheus::Gauge& g) : g_(g) {}
  void Set(double v);
  double Value() const;

 private:
  prometheus::Gauge& g_;
};

}  // namespace agx
