#pragma once
// AgentEvent: one parsed native event (docs/events.md, version 1). A value type whose
// string views point into the parser's buffer: valid until the parser's next Parse call.
#include <cstdint>
#include <string_view>

namespace agx {

enum class EventType : std::uint8_t {
  kRun,
  kLlmCall,
  kToolCall,
  kStep,
  kHallucination,
  kRecovery,
  kApproval,
  kTask,
  kFeedback,
  kEval,
  kUsage,  ///< tokens and cost reported in aggregate (OTLP usage metrics); not an LLM call
  kCount,  // not a type
};

inline constexpr std::size_t kEventTypeCount = static_cast<std::size_t>(EventType::kCount);

/// "run", "llm_call", … ; the `type` field's spelling, also used as a metric label value.
std::string_view EventTypeName(EventType t);
bool ParseEventType(std::string_view s, EventType* out);

/// The `outcome` values a step event may carry (docs/events.md), in the order of
/// RunBundle::step_outcomes: the parser accepts these, the mapper counts them by index.
inline constexpr std::string_view kStepOutcomes[] = {"completed", "tool_call_failed",
                                                     "hallucination", "recovery",
                                                     "max_steps", "safety_blocked"};

struct AgentEvent {
  EventType type = EventType::kRun;
  std::string_view agent_id;
  std::string_view trace_id;         ///< 32 lowercase hex or empty
  std::string_view span_id;          ///< 16 lowercase hex or empty
  std::string_view conversation_id;  ///< never a label
  double ts = 0;                     ///< Unix seconds; 0 when absent

  // Enumerated and free-text fields (empty when absent).
  std::string_view status;             ///< run, llm_call, tool_call
  std::string_view model;              ///< llm_call, usage
  std::string_view tool_name;          ///< tool_call
  std::string_view outcome;            ///< step, task
  std::string_view hallucination_type; ///< hallucination
  std::string_view strategy;           ///< recovery
  std::string_view result;             ///< approval
  std::string_view task_type;          ///< run, task, feedback
  std::string_view finish_reason;      ///< llm_call
  std::string_view evaluator;          ///< eval

  // Numbers; negative = absent (valid values are never negative).
  double duration_ms = -1;
  double steps = -1;
  double tool_calls = -1;
  double input_tokens = -1;
  double output_tokens = -1;
  double cache_read_tokens = -1;
  double cache_creation_tokens = -1;
  double cost_usd = -1;
  double score = -1;
  double step = -1;
};

}  // namespace agx
