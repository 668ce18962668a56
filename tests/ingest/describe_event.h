#pragma once
// Describe: every field of an AgentEvent as one string, for comparing whole events in tests.
#include <cstdio>
#include <string>
#include <string_view>

#include "ingest/agent_event.h"

namespace agx {

inline std::string Describe(const AgentEvent& e) {
  std::string s;
  auto str = [&](std::string_view k, std::string_view v) {
    s.append(k).append("=").append(v).append(";");
  };
  auto num = [&](std::string_view k, double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);  // exact: both parse paths must agree bit for bit
    s.append(k).append("=").append(buf).append(";");
  };
  str("type", EventTypeName(e.type));
  str("agent_id", e.agent_id);
  str("trace_id", e.trace_id);
  str("span_id", e.span_id);
  str("conversation_id", e.conversation_id);
  num("ts", e.ts);
  str("status", e.status);
  str("model", e.model);
  str("tool_name", e.tool_name);
  str("outcome", e.outcome);
  str("hallucination_type", e.hallucination_type);
  str("strategy", e.strategy);
  str("result", e.result);
  str("task_type", e.task_type);
  str("finish_reason", e.finish_reason);
  str("evaluator", e.evaluator);
  num("duration_ms", e.duration_ms);
  num("steps", e.steps);
  num("tool_calls", e.tool_calls);
  num("input_tokens", e.input_tokens);
  num("output_tokens", e.output_tokens);
  num("cache_read_tokens", e.cache_read_tokens);
  num("cache_creation_tokens", e.cache_creation_tokens);
  num("cost_usd", e.cost_usd);
  num("score", e.score);
  num("step", e.step);
  return s;
}

}  // namespace agx
