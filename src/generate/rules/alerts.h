#pragma once
// The alert builders, one per concern. Each adds the enabled alerts of its concern, and the
// recording rules they read, to ctx.out(); docs/runbooks.md describes every alert.
#include "generate/rules/context.h"

namespace agx::rules {

/// AgentErrorRateSpike, AgentP99LatencySpike (L1).
void AddRunAlerts(const Context& ctx);
/// AgentRunSLOBurnRatePage, AgentRunSLOBurnRateTicket (multi-window, multi-burn-rate).
void AddSloAlerts(const Context& ctx);
/// AgentTokenCostSpike, AgentDailyBudgetExceeded (L2).
void AddCostAlerts(const Context& ctx);
/// AgentToolCallFailureSpike, AgentToolSelectionDrift, AgentToolCallExplosion (L3).
void AddToolAlerts(const Context& ctx);
/// AgentHallucinationTrend, AgentQualityScoreLow (L3, L4).
void AddQualityAlerts(const Context& ctx);
/// AgentEventsAbsent, AgentExporterDown, AgentExporterRejectingLines.
void AddHealthAlerts(const Context& ctx);

/// Every enabled alert of the config and the records they read (what GenerateRules writes).
RuleSet BuildRuleSet(const Config& config);

/// Dashboard link query pre-selecting the alert's agent.
inline constexpr char kAgentQuery[] = "var-agent_id={{ $labels.agent_id }}";

}  // namespace agx::rules
