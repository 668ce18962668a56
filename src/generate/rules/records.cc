#include "generate/rules/records.h"

#include "generate/promql.h"

namespace agx::rules {

using promql::FormatDuration;

std::string RunRate(const Context& ctx, std::chrono::seconds w) {
  return ctx.out().Record(
      kRunRecords, RecordName("agent_id", "agent_requests", "rate", w),
      "sum by (agent_id) (rate(" + ctx.Sel(MetricId::kRequests) + "[" + FormatDuration(w) + "]))");
}

std::string FailedRunRatio(const Context& ctx, std::chrono::seconds w) {
  const std::string runs = RunRate(ctx, w);
  const std::string failed = "sum by (agent_id) (rate(" +
                             ctx.Sel(MetricId::kRequests, "", "status!=\"success\"") + "[" +
                             FormatDuration(w) + "]))";
  return ctx.out().Record(kRunRecords,
                          RecordName("agent_id", "agent_requests_failed", "ratio_rate", w),
                          "(\n  " + failed + "\n  or\n  0 * " + runs + "\n)\n/\n" + runs);
}

std::string ToolCallRate(const Context& ctx, std::chrono::seconds w) {
  return ctx.out().Record(kToolRecords,
                          RecordName("agent_id_tool_name", "agent_tool_calls", "rate", w),
                          "sum by (agent_id, tool_name) (rate(" + ctx.Sel(MetricId::kToolCalls) +
                              "[" + FormatDuration(w) + "]))");
}

std::string AgentToolCallRate(const Context& ctx, std::chrono::seconds w) {
  const std::string by_tool = ToolCallRate(ctx, w);
  return ctx.out().Record(kToolRecords, RecordName("agent_id", "agent_tool_calls", "rate", w),
                          "sum by (agent_id) (" + by_tool + ")");
}

}  // namespace agx::rules
