#include "ingest/event_mapper.h"

#include <atomic>
#include <tuple>

#include "common/text.h"
#include "ingest/handle_cache.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "registry/update_batch.h"

namespace agx {
namespace {

std::string_view OrUnknown(std::string_view v) { return v.empty() ? "unknown" : v; }

std::uint64_t NextMapperId() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// The status values the parser lets through, as bundle slot indexes.
std::size_t StatusIndex(std::string_view status) {
  if (EqualText(status, "success")) return 0;
  if (EqualText(status, "failure")) return 1;
  return 2;  // timeout (tool calls only)
}

// The step outcomes the parser lets through (agent_event.h), as RunBundle slots; the
// size of the array for any other value (then not cached).
static_assert(std::size(kStepOutcomes) == std::tuple_size_v<decltype(RunBundle::step_outcomes)>);
std::size_t StepOutcomeIndex(std::string_view outcome) {
  for (std::size_t i = 0; i < std::size(kStepOutcomes); ++i) {
    if (EqualText(outcome, kStepOutcomes[i])) return i;
  }
  return std::size(kStepOutcomes);
}

// A cached handle, resolved on first use; kept only when the registry says it is exact.
template <class Handle, class Resolve>
Handle& Cached(Handle*& slot, Resolve resolve) {
  if (slot != nullptr) return *slot;
  bool cacheable = false;
  Handle& h = resolve(&cacheable);
  if (cacheable) slot = &h;
  return h;
}

}  // namespace

EventMapper::EventMapper(Registry& registry, TaskWindows& windows, std::vector<ModelPrice> pricing)
    : registry_(registry),
      windows_(windows),
      pricing_(std::move(pricing)),
      id_(NextMapperId()),
      max_value_bytes_(registry.options().label_value_max_bytes) {}

HandleCache& EventMapper::Cache() const { return HandleCache::ForThread(id_, max_value_bytes_); }

void EventMapper::Apply(const AgentEvent& e, double now, UpdateBatch& batch) {
  const ExemplarRef ex{e.trace_id, e.span_id, e.ts > 0 ? e.ts : now};
  const std::string_view a = e.agent_id;
  switch (e.type) {
    case EventType::kRun:
      ApplyRun(e, ex, batch);
      break;
    case EventType::kLlmCall:
      ApplyLlmCall(e, ex, batch);
      break;
    case EventType::kToolCall: {
      ToolBundle& b = Cache().Tool(a, e.tool_name);
      const std::string_view labels[] = {a, e.tool_name, e.status};
      batch.Inc(Cached(b.calls[StatusIndex(e.status)],
                       [&](bool* c) -> CounterHandle& {
                         return registry_.Counter(MetricId::kToolCalls, labels, c);
                       }),
                1, &ex);
      if (e.duration_ms >= 0) {
        batch.Observe(Cached(b.duration,
                             [&](bool* c) -> HistogramHandle& {
                               return registry_.Histogram(MetricId::kToolDuration,
                                                          std::span(labels, 2), c);
                             }),
                      e.duration_ms / 1000.0, &ex);
      }
      break;
    }
    case EventType::kStep: {
      const std::string_view labels[] = {a, e.outcome};
      const std::size_t i = StepOutcomeIndex(e.outcome);
      if (i == std::size(kStepOutcomes)) {
        batch.Inc(registry_.Counter(MetricId::kStepOutcomes, labels));
        break;
      }
      RunBundle& b = Cache().Run(a);
      batch.Inc(Cached(b.step_outcomes[i], [&](bool* c) -> CounterHandle& {
        return registry_.Counter(MetricId::kStepOutcomes, labels, c);
      }));
      break;
    }
    case EventType::kHallucination:
      batch.Inc(CachedCounter(MetricId::kHallucinations, {a, e.hallucination_type}), 1, &ex);
      break;
    case EventType::kRecovery:
      batch.Inc(CachedCounter(MetricId::kRecoveryAttempts, {a, e.strategy}));
      break;
    case EventType::kApproval:
      batch.Inc(CachedCounter(MetricId::kApprovals, {a, e.result}));
      break;
    case EventType::kTask:
      batch.Inc(CachedCounter(MetricId::kTasks, {a, e.task_type, e.outcome}));
      windows_.OnTask(a, e.task_type, e.outcome == "completed", e.cost_usd);
      break;
    case EventType::kFeedback:
      batch.Observe(CachedHistogram(MetricId::kFeedbackScore, {a, OrUnknown(e.task_type)}), e.score,
                    &ex);
      break;
    case EventType::kEval:
      batch.Observe(CachedHistogram(MetricId::kEvalScore, {a, e.evaluator}), e.score, &ex);
      break;
    case EventType::kUsage:
      ApplyUsage(e, batch);
      break;
    case EventType::kCount:
      break;
  }
}

CounterHandle& EventMapper::CachedCounter(MetricId id,
                                          std::initializer_list<std::string_view> labels) {
  const std::span<const std::string_view> l(labels.begin(), labels.size());
  SeriesBundle& b = Cache().Series(static_cast<std::uint8_t>(id), l);
  return Cached(b.counter, [&](bool* c) -> CounterHandle& { return registry_.Counter(id, l, c); });
}

HistogramHandle& EventMapper::CachedHistogram(MetricId id,
                                              std::initializer_list<std::string_view> labels) {
  const std::span<const std::string_view> l(labels.begin(), labels.size());
  SeriesBundle& b = Cache().Series(static_cast<std::uint8_t>(id), l);
  return Cached(b.histogram,
                [&](bool* c) -> HistogramHandle& { return registry_.Histogram(id, l, c); });
}

void EventMapper::ApplyRun(const AgentEvent& e, const ExemplarRef& ex, UpdateBatch& batch) {
  const std::string_view labels[] = {e.agent_id, e.status};
  const std::span<const std::string_view> agent(labels, 1);
  RunBundle& b = Cache().Run(e.agent_id);
  batch.Inc(Cached(b.requests[StatusIndex(e.status) & 1],
                   [&](bool* c) -> CounterHandle& {
                     return registry_.Counter(MetricId::kRequests, labels, c);
                   }),
            1, &ex);
  auto observe = [&](HistogramHandle*& slot, MetricId id, double v) {
    batch.Observe(
        Cached(slot,
               [&](bool* c) -> HistogramHandle& { return registry_.Histogram(id, agent, c); }),
        v, &ex);
  };
  if (e.duration_ms >= 0) observe(b.duration, MetricId::kRequestDuration, e.duration_ms / 1000.0);
  if (e.steps >= 0) observe(b.steps, MetricId::kReasoningSteps, e.steps);
  if (e.tool_calls >= 0) observe(b.tool_calls, MetricId::kToolCallsPerRun, e.tool_calls);
}

// Aggregated usage (e.g. Claude Code's token and cost metrics): tokens and cost as
// reported. Never priced: the cost arrives as its own usage event, and pricing the tokens
// too would count it twice.
void EventMapper::ApplyUsage(const AgentEvent& e, UpdateBatch& batch) {
  const std::string_view a = e.agent_id;
  const std::string_view m = e.model;
  const std::pair<std::string_view, double> directions[] = {
      {"input", e.input_tokens},
      {"output", e.output_tokens},
      {"cache_read", e.cache_read_tokens},
      {"cache_creation", e.cache_creation_tokens},
  };
  for (const auto& [name, tokens] : directions) {
    if (tokens > 0) batch.Inc(registry_.Counter(MetricId::kTokens, {a, m, name}), tokens);
  }
  if (e.cost_usd >= 0) {
    batch.Inc(registry_.Counter(MetricId::kCost, {a, m}), e.cost_usd);
    if (e.cost_usd > 0) windows_.OnLlmCost(a, e.cost_usd);
  }
}

void EventMapper::ApplyLlmCall(const AgentEvent& e, const ExemplarRef& ex, UpdateBatch& batch) {
  const std::string_view a = e.agent_id;
  const std::string_view m = e.model;
  LlmBundle& b = Cache().Llm(a, m);
  const std::string_view call_labels[] = {a, m, e.status};
  const std::span<const std::string_view> agent_model(call_labels, 2);
  batch.Inc(Cached(b.calls[StatusIndex(e.status) & 1],
                   [&](bool* c) -> CounterHandle& {
                     return registry_.Counter(MetricId::kLlmCalls, call_labels, c);
                   }),
            1, &ex);

  struct Direction {
    std::string_view name;
    double tokens;
  };
  const Direction directions[] = {
      {"input", e.input_tokens},
      {"output", e.output_tokens},
      {"cache_read", e.cache_read_tokens},
      {"cache_creation", e.cache_creation_tokens},
  };
  if (!b.price_known) {
    b.price = FindPrice(pricing_, m);
    b.price_known = true;
  }
  const ModelPrice* price = e.cost_usd >= 0 ? nullptr : b.price;
  double tokens_total = 0;
  for (std::size_t i = 0; i < std::size(directions); ++i) {
    const Direction& d = directions[i];
    if (d.tokens < 0) continue;
    tokens_total += d.tokens;
    if (d.tokens > 0) {
      const std::string_view labels[] = {a, m, d.name};
      batch.Inc(Cached(b.tokens[i],
                       [&](bool* c) -> CounterHandle& {
                         return registry_.Counter(MetricId::kTokens, labels, c);
                       }),
                d.tokens);
    }
  }

  // The event's own cost wins; then the pricing table. A model with neither is never a
  // silent $0: its tokens are counted as unpriced instead.
  double cost = -1;
  if (e.cost_usd >= 0) {
    cost = e.cost_usd;
  } else if (price != nullptr) {
    cost = PriceTokens(*price, e.input_tokens, e.output_tokens, e.cache_read_tokens,
                       e.cache_creation_tokens);
  } else if (tokens_total > 0) {
    batch.Inc(registry_.Counter(MetricId::kUnpricedTokens, {m}), tokens_total);
  }
  if (cost >= 0) {
    batch.Inc(Cached(b.cost,
                     [&](bool* c) -> CounterHandle& {
                       return registry_.Counter(MetricId::kCost, agent_model, c);
                     }),
              cost);
    if (cost > 0) windows_.OnLlmCost(a, cost);
  }
  if (e.duration_ms >= 0) {
    batch.Observe(Cached(b.latency,
                         [&](bool* c) -> HistogramHandle& {
                           return registry_.Histogram(MetricId::kModelLatency, agent_model, c);
                         }),
                  e.duration_ms / 1000.0, &ex);
  }
}

}  // namespace agx
