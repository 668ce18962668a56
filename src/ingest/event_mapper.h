#pragma once
// EventMapper: applies one AgentEvent to the registry (docs/events.md, "Mapping to metrics").
// Thread-safe: it holds only references and immutable pricing; the registry and windows
// are themselves thread-safe, and each thread brings its own UpdateBatch. Allocation-free once the
// event's series exist.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "catalog/metric_spec.h"
#include "config/config.h"
#include "ingest/agent_event.h"

namespace agx {

class Registry;
class TaskWindows;
class CounterHandle;
class HistogramHandle;
class UpdateBatch;
class HandleCache;

class EventMapper {
 public:
  EventMapper(Registry& registry, TaskWindows& windows, std::vector<ModelPrice> pricing);

  /// Applies `e` to `batch` (the caller's, flushed at the end of its batch of events);
  /// `now` (Unix seconds) stamps exemplars of events without `ts`.
  void Apply(const AgentEvent& e, double now, UpdateBatch& batch);

 private:
  void ApplyRun(const AgentEvent& e, const struct ExemplarRef& ex, UpdateBatch& batch);
  void ApplyLlmCall(const AgentEvent& e, const struct ExemplarRef& ex, UpdateBatch& batch);
  void ApplyUsage(const AgentEvent& e, UpdateBatch& batch);
  /// Handles of the other event types, cached per thread like the bundles (handle_cache.h).
  CounterHandle& CachedCounter(MetricId id, std::initializer_list<std::string_view> labels);
  HistogramHandle& CachedHistogram(MetricId id, std::initializer_list<std::string_view> labels);

  Registry& registry_;
  TaskWindows& windows_;
  std::vector<ModelPrice> pricing_;
  const std::uint64_t id_;  // names this mapper's per-thread HandleCache
  const std::size_t max_value_bytes_;  // longer label values bypass the cache
  /// This thread's HandleCache for this mapper.
  HandleCache& Cache() const;
};

}  // namespace agx
