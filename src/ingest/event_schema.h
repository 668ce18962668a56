#pragma once
// The schema of native events (docs/events.md, version 1) as the EventParser reads it: the
// fields (F, kFields: name, kind, where the value lands in AgentEvent, maximum) and each
// type's rules (which fields belong to it, which are required, their allowed values),
// folded into per-type masks. One table per concept; both parser paths (the flat fast path
// and the simdjson path) use them. The key matcher of the hot path, which spells the names
// again for speed, stays in event_parser.cc. Internal to event_parser.cc.
// Constants and pure functions: thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string_view>

#include "ingest/agent_event.h"

namespace agx::event_schema {

enum class Kind : std::uint8_t { kString, kNumber, kCount, kScore, kTimestamp, kTraceId, kSpanId };

// Per-event maxima (docs/events.md): far above any real event, far below what could make a
// sum overflow (a counter would need more than 10^299 such events to reach +Inf).
constexpr double kNoMax = std::numeric_limits<double>::infinity();
constexpr double kMaxTokens = 1e9;                  // per token field
constexpr double kMaxCostUsd = 1e6;                 // cost_usd
constexpr double kMaxSteps = 1e6;                   // steps, tool_calls, step
constexpr double kMaxDurationMs = 365.0 * 86400e3;  // duration_ms: 365 days

enum class F : std::uint8_t {
  kType,
  kAgentId,
  kTs,
  kTraceId,
  kSpanId,
  kConversationId,
  kStatus,
  kModel,
  kToolName,
  kOutcome,
  kHallucinationType,
  kStrategy,
  kResult,
  kTaskType,
  kFinishReason,
  kEvaluator,
  kDurationMs,
  kSteps,
  kToolCalls,
  kInputTokens,
  kOutputTokens,
  kCacheReadTokens,
  kCacheCreationTokens,
  kCostUsd,
  kScore,
  kStep,
  kCount,  // not a field
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(F::kCount);

struct FieldDef {
  std::string_view name;
  Kind kind;
  std::string_view AgentEvent::*str;  // where a string lands in AgentEvent, or null
  double AgentEvent::*num;            // where a number lands, or null
  /// Numbers: the largest value accepted (docs/events.md, "Maxima"), so that no counter or
  /// histogram sum they feed can overflow to +Inf; its text for the rejection message.
  double max = kNoMax;
  std::string_view max_text = {};
};

// Indexed by F.
constexpr std::array<FieldDef, kFieldCount> kFields = {{
    {"type", Kind::kString, nullptr, nullptr},
    {"agent_id", Kind::kString, &AgentEvent::agent_id, nullptr},
    {"ts", Kind::kTimestamp, nullptr, &AgentEvent::ts},
    {"trace_id", Kind::kTraceId, &AgentEvent::trace_id, nullptr},
    {"span_id", Kind::kSpanId, &AgentEvent::span_id, nullptr},
    {"conversation_id", Kind::kString, &AgentEvent::conversation_id, nullptr},
    {"status", Kind::kString, &AgentEvent::status, nullptr},
    {"model", Kind::kString, &AgentEvent::model, nullptr},
    {"tool_name", Kind::kString, &AgentEvent::tool_name, nullptr},
    {"outcome", Kind::kString, &AgentEvent::outcome, nullptr},
    {"hallucination_type", Kind::kString, &AgentEvent::hallucination_type, nullptr},
    {"strategy", Kind::kString, &AgentEvent::strategy, nullptr},
    {"result", Kind::kString, &AgentEvent::result, nullptr},
    {"task_type", Kind::kString, &AgentEvent::task_type, nullptr},
    {"finish_reason", Kind::kString, &AgentEvent::finish_reason, nullptr},
    {"evaluator", Kind::kString, &AgentEvent::evaluator, nullptr},
    {"duration_ms", Kind::kNumber, nullptr, &AgentEvent::duration_ms, kMaxDurationMs,
     "31536000000 (365 days)"},
    {"steps", Kind::kCount, nullptr, &AgentEvent::steps, kMaxSteps, "1000000"},
    {"tool_calls", Kind::kCount, nullptr, &AgentEvent::tool_calls, kMaxSteps, "1000000"},
    {"input_tokens", Kind::kCount, nullptr, &AgentEvent::input_tokens, kMaxTokens, "1000000000"},
    {"output_tokens", Kind::kCount, nullptr, &AgentEvent::output_tokens, kMaxTokens, "1000000000"},
    {"cache_read_tokens", Kind::kCount, nullptr, &AgentEvent::cache_read_tokens, kMaxTokens,
     "1000000000"},
    {"cache_creation_tokens", Kind::kCount, nullptr, &AgentEvent::cache_creation_tokens, kMaxTokens,
     "1000000000"},
    {"cost_usd", Kind::kNumber, nullptr, &AgentEvent::cost_usd, kMaxCostUsd, "1000000"},
    {"score", Kind::kScore, nullptr, &AgentEvent::score},
    {"step", Kind::kCount, nullptr, &AgentEvent::step, kMaxSteps, "1000000"},
}};

inline const FieldDef& Def(F f) { return kFields[static_cast<std::size_t>(f)]; }

/// \return the field named `key` (unescaped), or F::kCount for an unknown key. Off the
/// hot path: keys spelled as in kFields are matched raw first (MatchKnownKey).
constexpr F FindField(std::string_view key) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (kFields[i].name == key) return static_cast<F>(i);
  }
  return F::kCount;
}

// Per-type rules: which fields belong to the type, which are required, allowed values.
struct Rule {
  F field;
  bool required;
  std::span<const std::string_view> allowed;  // empty: free text or a number
};

constexpr std::string_view kSuccessFailure[] = {"success", "failure"};
constexpr std::string_view kToolStatus[] = {"success", "failure", "timeout"};
// approved: a human accepted (or confirmed after review) what the agent asked or produced;
// denied / overridden: a human overruled it (docs/events.md, the override rate); timeout: no
// human decision.
constexpr std::string_view kApprovalResult[] = {"approved", "denied", "timeout", "overridden"};
constexpr std::string_view kTaskOutcome[] = {"completed", "failed", "abandoned", "escalated"};

constexpr Rule kRunRules[] = {{F::kStatus, true, kSuccessFailure},
                              {F::kDurationMs, false, {}},
                              {F::kSteps, false, {}},
                              {F::kToolCalls, false, {}},
                              {F::kTaskType, false, {}}};
constexpr Rule kLlmRules[] = {{F::kModel, true, {}},
                              {F::kInputTokens, false, {}},
                              {F::kOutputTokens, false, {}},
                              {F::kCacheReadTokens, false, {}},
                              {F::kCacheCreationTokens, false, {}},
                              {F::kDurationMs, false, {}},
                              {F::kStatus, false, kSuccessFailure},
                              {F::kFinishReason, false, {}},
                              {F::kStep, false, {}},
                              {F::kCostUsd, false, {}}};
constexpr Rule kToolRules[] = {
    {F::kToolName, true, {}}, {F::kStatus, true, kToolStatus}, {F::kDurationMs, false, {}}};
constexpr Rule kStepRules[] = {{F::kOutcome, true, kStepOutcomes}};
constexpr Rule kHallucinationRules[] = {{F::kHallucinationType, true, {}}};
constexpr Rule kRecoveryRules[] = {{F::kStrategy, true, {}}};
constexpr Rule kApprovalRules[] = {{F::kResult, true, kApprovalResult}};
constexpr Rule kTaskRules[] = {
    {F::kTaskType, true, {}}, {F::kOutcome, true, kTaskOutcome}, {F::kCostUsd, false, {}}};
constexpr Rule kFeedbackRules[] = {{F::kScore, true, {}}, {F::kTaskType, false, {}}};
constexpr Rule kEvalRules[] = {{F::kEvaluator, true, {}}, {F::kScore, true, {}}};
constexpr Rule kUsageRules[] = {{F::kModel, true, {}},
                                {F::kInputTokens, false, {}},
                                {F::kOutputTokens, false, {}},
                                {F::kCacheReadTokens, false, {}},
                                {F::kCacheCreationTokens, false, {}},
                                {F::kCostUsd, false, {}}};
constexpr Rule kCommonRules[] = {{F::kAgentId, true, {}},
                                 {F::kTs, false, {}},
                                 {F::kTraceId, false, {}},
                                 {F::kSpanId, false, {}},
                                 {F::kConversationId, false, {}}};

constexpr std::span<const Rule> RulesFor(EventType t) {
  switch (t) {
    case EventType::kRun:
      return kRunRules;
    case EventType::kLlmCall:
      return kLlmRules;
    case EventType::kToolCall:
      return kToolRules;
    case EventType::kStep:
      return kStepRules;
    case EventType::kHallucination:
      return kHallucinationRules;
    case EventType::kRecovery:
      return kRecoveryRules;
    case EventType::kApproval:
      return kApprovalRules;
    case EventType::kTask:
      return kTaskRules;
    case EventType::kFeedback:
      return kFeedbackRules;
    case EventType::kEval:
      return kEvalRules;
    case EventType::kUsage:
      return kUsageRules;
    case EventType::kCount:
      break;
  }
  return {};
}

constexpr std::uint32_t Bit(F f) { return std::uint32_t{1} << static_cast<unsigned>(f); }

/// Per event type, the fields of its rules (common ones included) and the required ones.
struct TypeMasks {
  std::uint32_t fields = 0;
  std::uint32_t required = 0;
  std::uint32_t enumerated = 0;  ///< fields with a list of allowed values
};

constexpr std::array<TypeMasks, kEventTypeCount> MakeTypeMasks() {
  std::array<TypeMasks, kEventTypeCount> out{};
  for (std::size_t t = 0; t < kEventTypeCount; ++t) {
    for (std::span<const Rule> rules :
         {std::span<const Rule>(kCommonRules), RulesFor(static_cast<EventType>(t))}) {
      for (const Rule& r : rules) {
        out[t].fields |= Bit(r.field);
        if (r.required) out[t].required |= Bit(r.field);
        if (!r.allowed.empty()) out[t].enumerated |= Bit(r.field);
      }
    }
  }
  return out;
}
constexpr std::array<TypeMasks, kEventTypeCount> kTypeMasks = MakeTypeMasks();

/// The allowed values of each field of each type (empty: any).
using AllowedTable =
    std::array<std::array<std::span<const std::string_view>, kFieldCount>, kEventTypeCount>;
constexpr AllowedTable MakeAllowed() {
  AllowedTable out{};
  for (std::size_t t = 0; t < kEventTypeCount; ++t) {
    for (std::span<const Rule> rules :
         {std::span<const Rule>(kCommonRules), RulesFor(static_cast<EventType>(t))}) {
      for (const Rule& r : rules) out[t][static_cast<std::size_t>(r.field)] = r.allowed;
    }
  }
  return out;
}
constexpr AllowedTable kAllowed = MakeAllowed();
static_assert(kFieldCount <= 32, "field masks are 32 bits");

}  // namespace agx::event_schema
