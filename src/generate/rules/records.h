#pragma once
// The recording rules that several alerts share, added to the RuleSet on first use. Each
// function returns the record's name. Record expressions refer only to raw metrics and to
// records earlier in the same group, so they never read another group's stale output.
#include <chrono>
#include <string>

#include "generate/rules/context.h"

namespace agx::rules {

// Recording groups (file agent_exporter_recording.rules.yml).
inline constexpr char kRunRecords[] = "agent-runs.rules";
inline constexpr char kLlmRecords[] = "agent-llm.rules";
inline constexpr char kToolRecords[] = "agent-tools.rules";
inline constexpr char kQualityRecords[] = "agent-quality.rules";
inline constexpr char kActivityRecords[] = "agent-activity.rules";
inline constexpr char kExporterRecords[] = "agent-exporter.rules";

// Alert groups (file agent_exporter_alerts.rules.yml), one per concern.
inline constexpr char kRunAlerts[] = "agent-runs";
inline constexpr char kSloAlerts[] = "agent-slo";
inline constexpr char kCostAlerts[] = "agent-cost";
inline constexpr char kToolAlerts[] = "agent-tools";
inline constexpr char kQualityAlerts[] = "agent-quality";
inline constexpr char kExporterAlerts[] = "agent-exporter";

/// agent_id:agent_requests:rate<w>: runs per second by agent.
std::string RunRate(const Context& ctx, std::chrono::seconds w);

/// agent_id:agent_requests_failed:ratio_rate<w>: share of runs with status != "success"
/// (0, not absent, for an agent without failures).
std::string FailedRunRatio(const Context& ctx, std::chrono::seconds w);

/// agent_id_tool_name:agent_tool_calls:rate<w>: tool calls per second by agent and tool.
std::string ToolCallRate(const Context& ctx, std::chrono::seconds w);

/// agent_id:agent_tool_calls:rate<w>: tool calls per second by agent (all tools).
std::string AgentToolCallRate(const Context& ctx, std::chrono::seconds w);

}  // namespace agx::rules
