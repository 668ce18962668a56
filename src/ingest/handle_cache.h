#pragma once
// HandleCache: the series handles of the hot event types, resolved once per label set and
// kept per thread, so a warm event costs one lookup in a LabelSetMap instead of a registry
// resolution (key build, hash, shared lock) per metric it updates. Bundles hold every handle an event
// of one type and label set can touch, filled on first use.
//
// Only exact series are kept: a handle the registry marks not cacheable (the overflow
// series, or cut label values) is resolved again on every update so the self-metrics count
// each one. Bounded: a cache past kMaxEntries bundles is cleared (high cardinality just
// falls back to registry lookups). Not thread-safe by design: one instance per thread
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
  static constexpr std::size_t kMaxEntries = 4096;  ///< per bundle kind

  /// The cache of the calling thread for the mapper `owner` (a cache is reset when the
  /// thread starts serving another mapper, e.g. a new Exporter in tests).
  static HandleCache& ForThread(std::uint64_t owner);

  LlmBundle& Llm(std::string_view agent, std::string_view model);
  ToolBundle& Tool(std::string_view agent, std::string_view tool);
  RunBundle& Run(std::string_view agent);
  /// `metric` is a MetricId's value; at most 3 label values.
  SeriesBundle& Series(std::uint8_t metric, std::span<const std::string_view> labels);

 private:
  std::uint64_t owner_ = 0;
  LabelSetMap<LlmBundle> llm_{kMaxEntries};
  LabelSetMap<ToolBundle> tool_{kMaxEntries};
  LabelSetMap<RunBundle> run_{kMaxEntries};
  LabelSetMap<SeriesBundle> series_{kMaxEntries};
};

}  // namespace agx
