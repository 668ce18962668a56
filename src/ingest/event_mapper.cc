#include "ingest/event_mapper.h"

#include "registry/registry.h"
#include "registry/sliding_window.h"

namespace agx {
namespace {

constexpr double kMillion = 1e6;

std::string_view OrUnknown(std::string_view v) { return v.empty() ? "unknown" : v; }

}  // namespace

EventMapper::EventMapper(Registry& registry, TaskWindows& windows,
                         std::vector<ModelPrice> pricing)
    : registry_(registry), windows_(windows), pricing_(std::move(pricing)) {}

void EventMapper::Apply(const AgentEvent& e, double now) {
  const ExemplarRef ex{e.trace_id, e.span_id, e.ts > 0 ? e.ts : now};
  const std::string_view a = e.agent_id;
  switch (e.type) {
    case EventType::kRun:
      ApplyRun(e, ex);
      break;
    case EventType::kLlmCall:
      ApplyLlmCall(e, ex);
      break;
    case EventType::kToolCall:
      registry_.Counter(MetricId::kToolCalls, {a, e.tool_name, e.status}).Inc(1, &ex);
      if (e.duration_ms >= 0) {
        registry_.Histogram(MetricId::kToolDuration, {a, e.tool_name})
            .Observe(e.duration_ms / 1000.0, &ex);
      }
      break;
    case EventType::kStep:
      registry_.Counter(MetricId::kStepOutcomes, {a, e.outcome}).Inc();
      break;
    case EventType::kHallucination:
      registry_.Counter(MetricId::kHallucinations, {a, e.hallucination_type}).Inc(1, &ex);
      break;
    case EventType::kRecovery:
      registry_.Counter(MetricId::kRecoveryAttempts, {a, e.strategy}).Inc();
      break;
    case EventType::kApproval:
      registry_.Counter(MetricId::kApprovals, {a, e.result}).Inc();
      break;
    case EventType::kTask:
      registry_.Counter(MetricId::kTasks, {a, e.task_type, e.outcome}).Inc();
      windows_.OnTask(a, e.task_type, e.outcome == "completed", e.cost_usd);
      break;
    case EventType::kFeedback:
      registry_.Histogram(MetricId::kFeedbackScore, {a, OrUnknown(e.task_type)})
          .Observe(e.score, &ex);
      break;
    case EventType::kEval:
      registry_.Histogram(MetricId::kEvalScore, {a, e.evaluator}).Observe(e.score, &ex);
      break;
    case EventType::kUsage:
      ApplyUsage(e);
      break;
    case EventType::kCount:
      break;
  }
}

void EventMapper::ApplyRun(const AgentEvent& e, const ExemplarRef& ex) {
  const std::string_view a = e.agent_id;
  registry_.Counter(MetricId::kRequests, {a, e.status}).Inc(1, &ex);
  if (e.duration_ms >= 0) {
    registry_.Histogram(MetricId::kRequestDuration, {a}).Observe(e.duration_ms / 1000.0, &ex);
  }
  if (e.steps >= 0) registry_.Histogram(MetricId::kReasoningSteps, {a}).Observe(e.steps, &ex);
  if (e.tool_calls >= 0) {
    registry_.Histogram(MetricId::kToolCallsPerRun, {a}).Observe(e.tool_calls, &ex);
  }
}

// Aggregated usage (e.g. Claude Code's token and cost metrics): tokens and cost as
// reported. Never priced: the cost arrives as its own usage event, and pricing the tokens
// too would count it twice.
void EventMapper::ApplyUsage(const AgentEvent& e) {
  const std::string_view a = e.agent_id;
  const std::string_view m = e.model;
  const std::pair<std::string_view, double> directions[] = {
      {"input", e.input_tokens},
      {"output", e.output_tokens},
      {"cache_read", e.cache_read_tokens},
      {"cache_creation", e.cache_creation_tokens},
  };
  for (const auto& [name, tokens] : directions) {
    if (tokens > 0) registry_.Counter(MetricId::kTokens, {a, m, name}).Inc(tokens);
  }
  if (e.cost_usd >= 0) {
    registry_.Counter(MetricId::kCost, {a, m}).Inc(e.cost_usd);
    if (e.cost_usd > 0) windows_.OnLlmCost(a, e.cost_usd);
  }
}

void EventMapper::ApplyLlmCall(const AgentEvent& e, const ExemplarRef& ex) {
  const std::string_view a = e.agent_id;
  const std::string_view m = e.model;
  registry_.Counter(MetricId::kLlmCalls, {a, m, e.status}).Inc(1, &ex);

  struct Direction {
    std::string_view name;
    double tokens;
    double ModelPrice::*price;
  };
  const Direction directions[] = {
      {"input", e.input_tokens, &ModelPrice::input},
      {"output", e.output_tokens, &ModelPrice::output},
      {"cache_read", e.cache_read_tokens, &ModelPrice::cache_read},
      {"cache_creation", e.cache_creation_tokens, &ModelPrice::cache_write},
  };
  const ModelPrice* price = e.cost_usd >= 0 ? nullptr : FindPrice(pricing_, m);
  double priced_cost = 0;
  double tokens_total = 0;
  for (const auto& d : directions) {
    if (d.tokens < 0) continue;
    tokens_total += d.tokens;
    if (d.tokens > 0) {
      registry_.Counter(MetricId::kTokens, {a, m, d.name}).Inc(d.tokens);
    }
    if (price != nullptr) priced_cost += d.tokens * (price->*d.price) / kMillion;
  }

  // The event's own cost wins; then the pricing table. A model with neither is never a
  // silent $0: its tokens are counted as unpriced instead.
  double cost = -1;
  if (e.cost_usd >= 0) {
    cost = e.cost_usd;
  } else if (price != nullptr) {
    cost = priced_cost;
  } else if (tokens_total > 0) {
    registry_.Counter(MetricId::kUnpricedTokens, {m}).Inc(tokens_total);
  }
  if (cost >= 0) {
    registry_.Counter(MetricId::kCost, {a, m}).Inc(cost);
    if (cost > 0) windows_.OnLlmCost(a, cost);
  }
  if (e.duration_ms >= 0) {
    registry_.Histogram(MetricId::kModelLatency, {a, m}).Observe(e.duration_ms / 1000.0, &ex);
  }
}

}  // namespace agx
