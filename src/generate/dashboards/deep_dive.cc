// agent-deep-dive: L3 (tools, reasoning, hallucinations, recoveries, approvals) and L4
// (tasks, feedback and eval scores, cost per task).
#include "generate/dashboards/dashboards.h"
#include "generate/dashboards/promql.h"

namespace agx::dash {

Json AgentDeepDiveDashboard(const Config& config) {
  const Selector sel(config.alerts.selector);
  const std::string tools = sel(MetricId::kToolCalls, {kAgentMatch, kToolMatch});
  const std::string all_tools = sel(MetricId::kToolCalls, {kAgentMatch});
  const std::string tools_failed =
      sel(MetricId::kToolCalls, {kAgentMatch, kToolMatch, R"(status!="success")"});
  const std::string tool_buckets =
      sel(MetricId::kToolDuration, Series::kBucket, {kAgentMatch, kToolMatch});
  const std::string step_buckets = sel(MetricId::kReasoningSteps, Series::kBucket, {kAgentMatch});
  const std::string per_run_buckets = sel(MetricId::kToolCallsPerRun, Series::kBucket, {kAgentMatch});
  const std::string steps = sel(MetricId::kStepOutcomes, {kAgentMatch});
  const std::string hallucinations = sel(MetricId::kHallucinations, {kAgentMatch});
  const std::string runs = sel(MetricId::kRequests, {kAgentMatch});
  const std::string recoveries = sel(MetricId::kRecoveryAttempts, {kAgentMatch});
  const std::string approvals = sel(MetricId::kApprovals, {kAgentMatch});
  const std::string tasks = sel(MetricId::kTasks, {kAgentMatch});
  const std::string completed = sel(MetricId::kTasks, {kAgentMatch, R"(outcome="completed")"});
  const std::string feedback_sum = sel(MetricId::kFeedbackScore, Series::kSum, {kAgentMatch});
  const std::string feedback_count = sel(MetricId::kFeedbackScore, Series::kCount, {kAgentMatch});
  const std::string eval_sum = sel(MetricId::kEvalScore, Series::kSum, {kAgentMatch});
  const std::string eval_count = sel(MetricId::kEvalScore, Series::kCount, {kAgentMatch});
  const std::string cost = sel(MetricId::kCost, {kAgentMatch});
  const std::string range = "$__range";

  DashboardBuilder b;
  // Headline numbers over the dashboard time range.
  {
    Json p =
        Stat("Task completion rate (selected range)",
             "Tasks that ended completed / all tasks ended, over the dashboard time range "
             "(agent_tasks_total).",
             "percentunit",
             {{SumBy("", Increase(completed, range)) + " / " + SumBy("", Increase(tasks, range)),
               "completed", true}});
    SetRange(&p, 0, 1);
    b.Add(std::move(p), 6, 4);
  }
  b.Add(Stat("Tool failure ratio (selected range)",
             "Tool calls that failed or timed out / all tool calls of the selected tools, over "
             "the dashboard time range (agent_tool_calls_total).",
             "percentunit",
             {{SumBy("", Increase(tools_failed, range)) + " / " + SumBy("", Increase(tools, range)),
               "failed", true}}),
        6, 4);
  b.Add(Stat("Hallucinations (selected range)",
             "Hallucinations detected over the dashboard time range, all types "
             "(agent_hallucination_total).",
             "short", {{SumBy("", Increase(hallucinations, range)), "hallucinations", true}}),
        6, 4);
  b.Add(Stat("Cost per task (selected range)",
             "US dollars spent / tasks ended, over the dashboard time range (agent_cost_usd_total, "
             "agent_tasks_total).",
             "currencyUSD",
             {{SumBy("", Increase(cost, range)) + " / " + SumBy("", Increase(tasks, range)),
               "USD/task", true}}),
        6, 4);

  // L3: tools.
  {
    Json p = TimeSeries(
        "Tool mix (share of calls per tool)",
        "Each tool's share of its agent's tool calls (all tools in the denominator, so the "
        "shares of one agent add up to 1 when all tools are selected). A tool losing its usual "
        "share while every call succeeds is what AgentToolSelectionDrift detects.",
        "percentunit",
        {{SumBy("agent_id, tool_name", Rate(tools)) + " / ignoring (tool_name) group_left " +
              SumBy("agent_id", Rate(all_tools)),
          "{{agent_id}} {{tool_name}}"}});
    SetStacked(&p);
    SetRange(&p, 0, 1);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = BarGauge(
        "Tool share (selected range)",
        "Each tool's share of its agent's tool calls over the whole dashboard time "
        "range: the baseline to compare the tool mix panel with.",
        "percentunit",
        {{SumBy("agent_id, tool_name", Increase(tools, range)) +
              " / ignoring (tool_name) group_left " + SumBy("agent_id", Increase(all_tools, range)),
          "{{agent_id}} {{tool_name}}", true}});
    SetRange(&p, 0, 1);
    b.Add(std::move(p), 12, 8);
  }
  b.Add(TimeSeries("Tool calls by tool and status",
                   "Tool calls per second by tool and status (success, failure, timeout) "
                   "(agent_tool_calls_total).",
                   "ops", {{SumBy("tool_name, status", Rate(tools)), "{{tool_name}} {{status}}"}}),
        12, 8);
  {
    Json p = TimeSeries("Tool failure ratio by tool",
                        "Failed or timed-out calls / all calls per agent and tool. The source of "
                        "AgentToolCallFailureSpike.",
                        "percentunit",
                        {{SumBy("agent_id, tool_name", Rate(tools_failed)) + " / " +
                              SumBy("agent_id, tool_name", Rate(tools)),
                          "{{agent_id}} {{tool_name}}"}});
    SetRange(&p, 0, 1);
    if (auto t = AlertThreshold(config, "AgentToolCallFailureSpike"))
      SetThresholds(&p, {{*t, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  b.Add(TimeSeries("Tool duration p95 by tool",
                   "95th percentile of tool call duration per tool (agent_tool_duration_seconds). "
                   "Exemplars link to the trace of a slow call.",
                   "s", {{Quantile("0.95", "tool_name", tool_buckets), "p95 {{tool_name}}"}}),
        12, 8);
  {
    Json p = TimeSeries("Tool calls per run p50 / p95",
                        "Tool calls made by one run (agent_tool_calls_per_run). A rising p95 means "
                        "agents loop on tools: AgentToolCallExplosion.",
                        "short",
                        {{Quantile("0.5", "agent_id", per_run_buckets), "p50 {{agent_id}}"},
                         {Quantile("0.95", "agent_id", per_run_buckets), "p95 {{agent_id}}"}});
    if (auto t = AlertThreshold(config, "AgentToolCallExplosion")) SetThresholds(&p, {{*t, "red"}});
    b.Add(std::move(p), 12, 8);
  }

  // L3: reasoning.
  b.Add(Heatmap("Reasoning steps per run (distribution)",
                "Runs per bucket of reasoning steps (agent_reasoning_steps), summed over the "
                "selected agents. Exemplars mark individual traced runs.",
                "short", {SumBy("le", Increase(step_buckets)), ""}),
        12, 8);
  b.Add(TimeSeries("Reasoning steps per run p50 / p95",
                   "Reasoning steps taken by one run (agent_reasoning_steps).", "short",
                   {{Quantile("0.5", "agent_id", step_buckets), "p50 {{agent_id}}"},
                    {Quantile("0.95", "agent_id", step_buckets), "p95 {{agent_id}}"}}),
        12, 8);
  {
    Json p = TimeSeries("Step outcomes",
                        "Reasoning steps per second by outcome (completed, tool_call_failed, "
                        "hallucination, recovery, max_steps, safety_blocked), stacked "
                        "(agent_step_outcomes_total).",
                        "ops", {{SumBy("outcome", Rate(steps)), "{{outcome}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  b.Add(TimeSeries("Hallucinations by type",
                   "Hallucinations detected per second by agent and type "
                   "(agent_hallucination_total).",
                   "ops",
                   {{SumBy("agent_id, hallucination_type", Rate(hallucinations)),
                     "{{agent_id}} {{hallucination_type}}"}}),
        12, 8);
  {
    Json p = TimeSeries(
        "Hallucinations per run",
        "Hallucinations detected / runs finished, per agent: the trend normalised "
        "for traffic. AgentHallucinationTrend fires when it stays above its "
        "threshold.",
        "short",
        {{SumBy("agent_id", Rate(hallucinations)) + " / " + SumBy("agent_id", Rate(runs)),
          "{{agent_id}}"}});
    if (auto t = AlertThreshold(config, "AgentHallucinationTrend"))
      SetThresholds(&p, {{*t, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  b.Add(
      TimeSeries("Recovery attempts by strategy",
                 "Recovery attempts after a failed step per second, by strategy "
                 "(agent_recovery_attempts_total).",
                 "ops", {{SumBy("recovery_strategy", Rate(recoveries)), "{{recovery_strategy}}"}}),
      12, 8);
  b.Add(TimeSeries("Approvals by result",
                   "Human decisions per second by result: approved (confirmed), denied (an "
                   "action refused), overridden (what the agent produced replaced), timeout "
                   "(agent_approvals_total).",
                   "ops", {{SumBy("result", Rate(approvals)), "{{result}}"}}),
        12, 8);
  {
    const std::string overruled = sel(MetricId::kApprovals, {kAgentMatch, R"(result=~"denied|overridden")"});
    const std::string decided =
        sel(MetricId::kApprovals, {kAgentMatch, R"(result=~"approved|denied|overridden")"});
    Json p = TimeSeries(
        "Human override rate",
        "Share of the human decisions on each agent's work that overruled it (denied or "
        "overridden), over the last day: the source article's \"overrides per 100 "
        "investigations\". AgentHumanOverrideRateHigh fires above its threshold.",
        "percentunit",
        {{SumBy("agent_id", Rate(overruled, "1d")) + " / " + SumBy("agent_id", Rate(decided, "1d")),
          "{{agent_id}}"}});
    SetRange(&p, 0, 1);
    if (auto t = AlertThreshold(config, "AgentHumanOverrideRateHigh")) SetThresholds(&p, {{*t, "red"}});
    b.Add(std::move(p), 12, 8);
  }

  // L4: business outcomes.
  {
    Json p =
        TimeSeries("Task completion rate",
                   "Tasks completed / tasks ended per agent (agent_tasks_total). Computed "
                   "from counters, so it stays right when several exporters are summed.",
                   "percentunit",
                   {{SumBy("agent_id", Rate(completed)) + " / " + SumBy("agent_id", Rate(tasks)),
                     "{{agent_id}}"}});
    SetRange(&p, 0, 1);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Tasks by outcome",
                        "Tasks ended per second by task type and outcome (completed, failed, "
                        "abandoned, escalated), stacked (agent_tasks_total).",
                        "ops",
                        {{SumBy("task_type, outcome", Rate(tasks)), "{{task_type}} {{outcome}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("User feedback score (mean)",
                        "Mean user feedback score (0 to 1) per agent and task type: histogram "
                        "sum / count (agent_user_feedback_score).",
                        "percentunit",
                        {{SumBy("agent_id, task_type", Rate(feedback_sum)) + " / " +
                              SumBy("agent_id, task_type", Rate(feedback_count)),
                          "{{agent_id}} {{task_type}}"}});
    SetRange(&p, 0, 1);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Eval score (mean) by evaluator",
                        "Mean evaluator score (0 to 1) per agent and evaluator: histogram sum / "
                        "count (agent_eval_score). AgentQualityScoreLow fires below its threshold.",
                        "percentunit",
                        {{SumBy("agent_id, evaluator", Rate(eval_sum)) + " / " +
                              SumBy("agent_id, evaluator", Rate(eval_count)),
                          "{{agent_id}} {{evaluator}}"}});
    SetRange(&p, 0, 1);
    if (auto t = AlertThreshold(config, "AgentQualityScoreLow"))
      SetThresholds(&p, {{*t, "green"}}, "red");
    b.Add(std::move(p), 12, 8);
  }
  b.Add(TimeSeries("Cost per task",
                   "US dollars spent / tasks ended per agent at the current rate "
                   "(agent_cost_usd_total, agent_tasks_total).",
                   "currencyUSD",
                   {{SumBy("agent_id", Rate(cost)) + " / " + SumBy("agent_id", Rate(tasks)),
                     "{{agent_id}}"}}),
        24, 8);

  DashboardMeta meta;
  meta.uid = DashboardUid(config, kDeepDive);
  meta.title = std::string(kDeepDiveTitle);
  meta.description = GeneratedDescription(
      "AI agents, layers L3 and L4: tool mix and failures, reasoning steps, hallucinations, "
      "recoveries, approvals, task completion, feedback and eval scores, cost per task.");
  meta.variables = Variables(config, "tool_name", "Tool", MetricId::kToolCalls);
  return BuildDashboard(meta, b.TakePanels());
}

}  // namespace agx::dash
