#pragma once
// HandleCache: the series handles of the hot event types, resolved once per label set and
// kept per thread, so a warm event costs one lookup in a LabelSetMap instead of a registry
// resolution (key build, hash, shared lock) per metric it updates. Bundles hold every handle an event
// of one type and label set can touch, filled on first use.
//
// Only exact series are kept: a handle the registry marks not cacheable (the overflow
// series, or cut label values) is resolved again on every update so the self-metrics count
// each one. For the same reason, and so that no key holds more than the registry keeps, a
// label set with a value longer than registry.label_value_max_bytes never enters the cache:
// it gets a fresh bundle, not kept. Bounded in entries and bytes: a map past kMaxEntries
// bundles or kMaxKeyBytes of keys is cleared (high cardinality just falls back to registry
// lookups), so a thread's cache holds at most about 4 x (kMaxKeyBytes + 2 x kMaxEntries
// slots of under 200 bytes) = 10 MiB. Not thread-safe by design: one instance per thread
// (EventMapper keeps it thread_local).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "ingest/label_set_map.h"

namespace agx {

class CounterHandle;
class HistogramHandle;

/// agent_id + model.
struct LlmBundle {
  std::array<CounterHandle*, 2> calls{};  ///< by status: success, failure
  std::array<CounterHandle*, 4> tokens{};  ///< input, output, cache_read, cache_creation
  CounterHandle* cost = nullptr;
  HistogramHandle* latency = nullptr;
  const ModelPrice* price = nullptr;
  bool price_known = false;  ///< `price` has been looked up
};

/// agent_id + tool_name.
struct ToolBundle {
  std::array<CounterHandle*, 3> calls{};  ///< success, failure, timeout
  HistogramHandle* duration = nullptr;
};

/// Any other metric and label set (steps, tasks, hallucinations, …): one handle.
struct SeriesBundle {
  CounterHandle* counter = nullptr;
  HistogramHandle* histogram = nullptr;
};

/// agent_id.
struct RunBundle {
  std::array<CounterHandle*, 2> requests{};  ///< success, failure
  /// agent_step_outcomes_total by outcome, in the order of docs/events.md (the most
  /// frequent event: one lookup by agent instead of one by agent and outcome).
  std::array<CounterHandle*, 6> step_outcomes{};
  HistogramHandle* duration = nullptr;
  HistogramHandle* steps = nullptr;
  HistogramHandle* tool_calls = nullptr;
};

class HandleCache {
 public:
  static constexpr std::size_t kMaxEntries = 4096;       ///< per bundle kind
  static constexpr std::size_t kMaxKeyBytes = 1u << 20;  ///< per bundle kind

  /// The cache of the calling thread for the mapper `owner` (a cache is reset when the
  /// thread starts serving another mapper, e.g. a new Exporter in tests), keeping label
  /// values of at most `max_value_bytes` (the registry's label_value_max_bytes).
  static HandleCache& ForThread(std::uint64_t owner, std::size_t max_value_bytes);

  explicit HandleCache(std::size_t max_value_bytes = 128) : max_value_bytes_(max_value_bytes) {}

  /// A bundle: the cached one of this label set, or a fresh one that is not kept when a
  /// value is longer than max_value_bytes (valid until the next call of the same kind).
  LlmBundle& Llm(std::string_view agent, std::string_view model);
  ToolBundle& Tool(std::string_view agent, std::string_view tool);
  RunBundle& Run(std::string_view agent);
  /// `metric` is a MetricId's value; at most 3 label values.
  SeriesBundle& Series(std::uint8_t metric, std::span<const std::string_view> labels);

  /// Heap bytes of all keys held (tests).
  std::size_t key_bytes() const;

 private:
  bool Fits(std::initializer_list<std::string_view> values) const {
    for (std::string_view v : values) {
      if (v.size() > max_value_bytes_) return false;
    }
    return true;
  }
  template <class Bundle>
  static Bundle& Fresh(Bundle& scratch) {
    scratch = Bundle{};
    return scratch;
  }

  std::uint64_t owner_ = 0;
  std::size_t max_value_bytes_;
  LabelSetMap<LlmBundle> llm_{kMaxEntries, kMaxKeyBytes};
  LabelSetMap<ToolBundle> tool_{kMaxEntries, kMaxKeyBytes};
  LabelSetMap<RunBundle> run_{kMaxEntries, kMaxKeyBytes};
  LabelSetMap<SeriesBundle> series_{kMaxEntries, kMaxKeyBytes};
  // The bundles of label sets that are not kept.
  LlmBundle llm_scratch_;
  ToolBundle tool_scratch_;
  RunBundle run_scratch_;
  SeriesBundle series_scratch_;
};

}  // namespace agx
