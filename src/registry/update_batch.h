#pragma once
// UpdateBatch: one thread's pending counter increments and histogram observations, combined
// per series and handed to prometheus-cpp in one step (Flush).
//
// Why: prometheus-cpp makes every update an atomic read-modify-write (a compare-and-swap
// loop per counter increment; a mutex and two more per histogram observation), and each
// exemplar takes its series' spin lock. On a warm ingest path those atomics cost more than
// parsing the event. A batch of events touches a few hundred series, so combining the
// batch's updates per series first pays them once per series instead of once per update.
//
// What is kept exact: counts (integer increments add exactly), the latest exemplar of each
// counter and of each histogram bucket, and the rules of the handles (negative or
// non-finite increments and non-finite observations are ignored). What may differ: the
// last bits of a fractional sum (costs, histogram sums), which are added in another order.
// Nothing is visible to a scrape before Flush: callers flush at the end of a batch, inside
// whatever lock makes the batch atomic for their snapshots.
//
// Not thread-safe: one batch per thread (Pipeline keeps one thread_local). The handles
// must outlive the batch's next Flush (registry handles live as long as their registry).
// Allocation-free once warm: entries and their bucket vectors are reused across batches.
#include <cmath>
#include <cstdint>
#include <vector>

#include "registry/handles.h"

namespace agx {

class UpdateBatch {
 public:
  /// At most this many series are pending; the next new one flushes the batch first, so a
  /// batch of high-cardinality events stays bounded.
  static constexpr std::size_t kMaxSeries = 1024;

  UpdateBatch();
  ~UpdateBatch();
  UpdateBatch(const UpdateBatch&) = delete;
  UpdateBatch& operator=(const UpdateBatch&) = delete;

  /// As `h.Inc(v, ex)`, applied at the next Flush.
  void Inc(CounterHandle& h, double v = 1, const ExemplarRef* ex = nullptr) {
    if (!std::isfinite(v) || v < 0) return;  // the handle's own rule
    bool found = false;
    std::size_t at = Find(&h, &found);
    if (!found) at = AddCounter(h, at);
    CounterEntry& e = counters_[table_[at].index];
    e.sum += v;
    if (ex != nullptr && !ex->trace_id.empty() && h.exemplars()) e.exemplar.Record(*ex, v);
  }

  /// As `h.Observe(v, ex)`, applied at the next Flush.
  void Observe(HistogramHandle& h, double v, const ExemplarRef* ex = nullptr) {
    if (!std::isfinite(v)) return;  // the handle's own rule
    bool found = false;
    std::size_t at = Find(&h, &found);
    if (!found) at = AddHistogram(h, at);
    HistogramEntry& e = histograms_[table_[at].index & ~kHistogramBit];
    const std::size_t bucket = h.BucketOf(v);
    e.increments[bucket] += 1;
    e.sum += v;
    e.last = v;
    ++e.count;
    if (ex != nullptr && !ex->trace_id.empty() && !e.exemplars.empty()) {
      e.exemplars[bucket].Record(*ex, v);
    }
  }

  /// Applies every pending update to its handle and empties the batch.
  void Flush();

  bool empty() const { return counters_used_ == 0 && histograms_used_ == 0; }

 private:
  struct CounterEntry {
    CounterHandle* handle = nullptr;
    std::uint32_t slot = 0;  // its place in table_
    double sum = 0;
    ExemplarSlot exemplar;  // the latest; `set` when any update carried one
  };
  struct HistogramEntry {
    HistogramHandle* handle = nullptr;
    std::uint32_t slot = 0;  // its place in table_
    std::uint32_t count = 0;
    double sum = 0;
    double last = 0;                      // the only value, when count == 1
    std::vector<double> increments;       // per bucket, +Inf last
    std::vector<ExemplarSlot> exemplars;  // per bucket (empty without exemplars)
  };
  // Open addressing from a handle's address to its entry: kTableSize slots, at most half
  // used (kMaxSeries); Flush clears the slots its entries name.
  static constexpr std::size_t kTableSize = 2 * kMaxSeries;
  struct Slot {
    const void* key = nullptr;
    std::uint32_t index = 0;  // into counters_ or histograms_
  };

  static constexpr std::uint32_t kHistogramBit = 0x80000000u;  // Slot::index: a histogram

  /// The slot of `key`, or the free slot where it belongs (then `*found` is false).
  std::size_t Find(const void* key, bool* found) const {
    // Handles are separate allocations: the low bits are alignment, the middle ones vary.
    const auto x = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key));
    for (std::size_t i = static_cast<std::size_t>((x * 0x9e3779b97f4a7c15ULL) >> 40);;
         i = (i + 1)) {
      const Slot& s = table_[i & (kTableSize - 1)];
      if (s.key == key || s.key == nullptr) {
        *found = s.key == key;
        return i & (kTableSize - 1);
      }
    }
  }
  /// `at` for `key`, or, when the batch is full, its slot after flushing the batch.
  std::size_t MakeRoom(const void* key, std::size_t at);
  /// A new entry for `h` at free slot `at` (flushing first when the batch is full).
  /// \return the slot of the entry.
  std::size_t AddCounter(CounterHandle& h, std::size_t at);
  std::size_t AddHistogram(HistogramHandle& h, std::size_t at);

  std::vector<Slot> table_;
  std::vector<CounterEntry> counters_;
  std::size_t counters_used_ = 0;
  std::vector<HistogramEntry> histograms_;
  std::size_t histograms_used_ = 0;
};

}  // namespace agx
