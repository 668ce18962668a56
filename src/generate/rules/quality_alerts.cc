// L3/L4 quality alerts: hallucinations and evaluator scores.
#include "generate/promql.h"
#include "generate/rules/alerts.h"
#include "generate/rules/records.h"

namespace agx::rules {

using promql::FormatDuration;
using promql::FormatNumber;
using promql::FormatPercent;

namespace {

void AddHallucinationTrend(const Context& ctx) {
  const char* name = "AgentHallucinationTrend";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string w = FormatDuration(c.window);
  const std::string ratio = ctx.out().Record(
      kQualityRecords,
      RecordName("agent_id", "agent_hallucinations_per_run", "ratio_rate", c.window),
      "sum by (agent_id) (rate(" + ctx.Sel(MetricId::kHallucinations) + "[" + w +
          "]))\n/\nsum by (agent_id) (rate(" + ctx.Sel(MetricId::kRequests) + "[" + w + "]))");
  const std::string runs = RunRate(ctx, c.window);
  AlertRule a;
  a.name = name;
  a.expr = ratio + " > " + FormatNumber(c.threshold) + "\nand on (agent_id)\n" + runs + " > " +
           FormatNumber(c.min_rate);
  a.summary = "Agent hallucinations are elevated.";
  a.description =
      "Agent {{ $labels.agent_id }}: {{ printf \"%.2f\" $value }} hallucinations per run "
      "over the last " +
      w + " (threshold " + FormatNumber(c.threshold) +
      "): check recent prompt, model and retrieval changes.";
  ctx.AddAlert(kQualityAlerts, std::move(a), Dashboard::kDeepDive, kAgentQuery);
}

void AddQualityScoreLow(const Context& ctx) {
  const char* name = "AgentQualityScoreLow";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string w = FormatDuration(c.window);
  const std::string count = ctx.out().Record(
      kQualityRecords, RecordName("agent_id_evaluator", "agent_eval_score_count", "rate", c.window),
      "sum by (agent_id, evaluator) (rate(" + ctx.Sel(MetricId::kEvalScore, "_count") + "[" + w +
          "]))");
  const std::string mean = ctx.out().Record(
      kQualityRecords, RecordName("agent_id_evaluator", "agent_eval_score", "mean", c.window),
      "sum by (agent_id, evaluator) (rate(" + ctx.Sel(MetricId::kEvalScore, "_sum") + "[" + w +
          "]))\n/\n" + count);
  AlertRule a;
  a.name = name;
  a.expr = mean + " < " + FormatNumber(c.threshold) + "\nand\n" + count + " > " +
           FormatNumber(c.min_rate);
  a.summary = "Agent evaluation scores are low.";
  a.description =
      "Evaluator {{ $labels.evaluator }} gives agent {{ $labels.agent_id }} a mean "
      "score of {{ printf \"%.2f\" $value }} over the last " +
      w + " (threshold " + FormatNumber(c.threshold) + ").";
  ctx.AddAlert(kQualityAlerts, std::move(a), Dashboard::kDeepDive, kAgentQuery);
}

// The source article's first alarm: more than 5 overrides per 100 investigations means the
// agent's quality is degrading. A human override is an approval answered `denied` (the human
// refused what the agent wanted to do) or `overridden` (the human replaced what it produced);
// the share is taken of the human decisions (`approved` too; a `timeout` is none), so with
// one review per investigation it is overrides per investigation (docs/events.md).
void AddHumanOverrideRateHigh(const Context& ctx) {
  const char* name = "AgentHumanOverrideRateHigh";
  const AlertRuleConfig& c = ctx.Rule(name);
  if (!c.enabled) return;
  const std::string w = FormatDuration(c.window);
  const std::string decisions = ctx.out().Record(
      kQualityRecords, RecordName("agent_id", "agent_human_decisions", "rate", c.window),
      "sum by (agent_id) (rate(" +
          ctx.Sel(MetricId::kApprovals, "", "result=~\"approved|denied|overridden\"") + "[" + w +
          "]))");
  const std::string ratio = ctx.out().Record(
      kQualityRecords, RecordName("agent_id", "agent_human_overrides", "ratio_rate", c.window),
      "sum by (agent_id) (rate(" +
          ctx.Sel(MetricId::kApprovals, "", "result=~\"denied|overridden\"") + "[" + w +
          "]))\n/\n" + decisions);
  AlertRule a;
  a.name = name;
  a.expr = ratio + " > " + FormatNumber(c.threshold) + "\nand on (agent_id)\n" + decisions +
           " > " + FormatNumber(c.min_rate);
  a.summary = "Humans overrule the agent often.";
  a.description =
      "Agent {{ $labels.agent_id }}: humans overruled {{ $value | humanizePercentage }} of "
      "the decisions they made on its work (denied or overridden) over the last " +
      w + " (threshold " + FormatPercent(c.threshold) +
      "): review the overridden cases and recent prompt, model and tool changes.";
  ctx.AddAlert(kQualityAlerts, std::move(a), Dashboard::kDeepDive, kAgentQuery);
}

}  // namespace

void AddQualityAlerts(const Context& ctx) {
  AddHallucinationTrend(ctx);
  AddQualityScoreLow(ctx);
  AddHumanOverrideRateHigh(ctx);
}

}  // namespace agx::rules
