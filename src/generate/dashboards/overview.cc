// agent-overview: L1 (runs, errors, latency) and L2 (LLM calls, tokens, cost).
#include "generate/dashboards/dashboards.h"
#include "generate/dashboards/promql.h"

namespace agx::dash {

Json AgentOverviewDashboard(const Config& config) {
  const Selector sel(config.alerts.selector);
  const std::string runs = sel(MetricId::kRequests, {kAgentMatch});
  const std::string failed = sel(MetricId::kRequests, {kAgentMatch, R"(status!="success")"});
  const std::string run_buckets = sel(MetricId::kRequestDuration, Series::kBucket, {kAgentMatch});
  const std::string llm = sel(MetricId::kLlmCalls, {kAgentMatch, kModelMatch});
  const std::string llm_failed =
      sel(MetricId::kLlmCalls, {kAgentMatch, kModelMatch, R"(status!="success")"});
  const std::string model_buckets =
      sel(MetricId::kModelLatency, Series::kBucket, {kAgentMatch, kModelMatch});
  const std::string tokens = sel(MetricId::kTokens, {kAgentMatch, kModelMatch});
  const std::string cost = sel(MetricId::kCost, {kAgentMatch, kModelMatch});
  const std::string deep_dive_link = DashboardPath(config, kDeepDive) +
                                     "?var-agent_id=${__field.labels.agent_id}&${__url_time_range}"
                                     "&${datasource:queryparam}";

  DashboardBuilder b;
  // Headline numbers: current values, each from the last $__rate_interval.
  b.Add(Stat("Run rate", "Agent runs finished per second, all statuses (agent_requests_total).",
             "reqps", {{SumBy("", Rate(runs)), "runs/s"}}),
        6, 4);
  {
    Json p = Stat("Run error ratio",
                  "Share of runs that did not end in success. AgentErrorRateSpike pages on this "
                  "ratio over 5m.",
                  "percentunit",
                  {{SumBy("", Rate(failed)) + " / " + SumBy("", Rate(runs)), "error ratio"}});
    if (auto t = AlertThreshold(config, "AgentErrorRateSpike")) SetThresholds(&p, {{*t, "red"}});
    b.Add(std::move(p), 6, 4);
  }
  b.Add(Stat("Run latency p99",
             "99th percentile of end-to-end run duration across the selected agents "
             "(agent_request_duration_seconds).",
             "s", {{Quantile("0.99", "", run_buckets), "p99"}}),
        6, 4);
  b.Add(Stat("Spend (selected range)",
             "US dollars spent on LLM calls over the dashboard time range (agent_cost_usd_total). "
             "Tokens of unpriced models are not included: see the Agent cost dashboard.",
             "currencyUSD", {{SumBy("", Increase(cost, "$__range")), "spend", true}}),
        6, 4);

  // L1: traffic, errors, latency.
  {
    Json p =
        TimeSeries("Runs by status",
                   "Agent runs finished per second by agent and status. Click a series to "
                   "open the deep dive for that agent.",
                   "reqps", {{SumBy("agent_id, status", Rate(runs)), "{{agent_id}} {{status}}"}});
    AddDataLink(&p, "Deep dive for ${__field.labels.agent_id}", deep_dive_link);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Run error ratio by agent",
                        "Failed runs / all runs per agent (status != success). The source of "
                        "AgentErrorRateSpike and the run-success SLO.",
                        "percentunit",
                        {{SumBy("agent_id", Rate(failed)) + " / " + SumBy("agent_id", Rate(runs)),
                          "{{agent_id}}"}});
    SetRange(&p, 0, 1);
    if (auto t = AlertThreshold(config, "AgentErrorRateSpike")) SetThresholds(&p, {{*t, "red"}});
    AddDataLink(&p, "Deep dive for ${__field.labels.agent_id}", deep_dive_link);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p =
        TimeSeries("Run latency p50 / p90 / p99",
                   "Percentiles of end-to-end run duration per agent from the "
                   "agent_request_duration_seconds histogram. Exemplars link to the trace of a "
                   "slow run. AgentP99LatencySpike compares p99 with its value an hour earlier.",
                   "s",
                   {{Quantile("0.5", "agent_id", run_buckets), "p50 {{agent_id}}"},
                    {Quantile("0.9", "agent_id", run_buckets), "p90 {{agent_id}}"},
                    {Quantile("0.99", "agent_id", run_buckets), "p99 {{agent_id}}"}});
    if (auto t = AlertThreshold(config, "AgentP99LatencySpike")) SetThresholds(&p, {{*t, "red"}});
    b.Add(std::move(p), 12, 8);
  }
  b.Add(Heatmap("Run duration distribution",
                "Runs per duration bucket (agent_request_duration_seconds_bucket), summed over "
                "the selected agents. Exemplars mark individual traced runs.",
                "s", {SumBy("le", Increase(run_buckets)), ""}),
        12, 8);

  // L2: LLM calls, tokens, cost.
  b.Add(TimeSeries("Model latency p50 / p99 by model",
                   "Latency of LLM calls per model from agent_model_latency_seconds. Exemplars "
                   "link to the trace of the call.",
                   "s",
                   {{Quantile("0.5", "model", model_buckets), "p50 {{model}}"},
                    {Quantile("0.99", "model", model_buckets), "p99 {{model}}"}}),
        12, 8);
  b.Add(TimeSeries("LLM calls by model and status",
                   "LLM calls per second by model and status (agent_llm_calls_total).", "ops",
                   {{SumBy("model, status", Rate(llm)), "{{model}} {{status}}"}}),
        12, 8);
  {
    Json p = TimeSeries(
        "LLM call error ratio by model",
        "Failed LLM calls / all LLM calls per model: provider errors, rate limits "
        "and timeouts show up here before they fail runs.",
        "percentunit",
        {{SumBy("model", Rate(llm_failed)) + " / " + SumBy("model", Rate(llm)), "{{model}}"}});
    SetRange(&p, 0, 1);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Tokens per second by direction",
                        "Tokens consumed per second by direction (input, output, cache_read, "
                        "cache_creation), stacked (agent_tokens_consumed_total).",
                        "short", {{SumBy("direction", Rate(tokens)), "{{direction}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p =
        TimeSeries("Tokens per second by model",
                   "Tokens consumed per second by model and direction "
                   "(agent_tokens_consumed_total).",
                   "short", {{SumBy("model, direction", Rate(tokens)), "{{model}} {{direction}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p = TimeSeries("Spend rate by model (USD/hour)",
                        "Spend on LLM calls per hour at the current rate, by model "
                        "(agent_cost_usd_total).",
                        "currencyUSD", {{SumBy("model", Rate(cost)) + " * 3600", "{{model}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  {
    Json p =
        TimeSeries("Spend rate by agent (USD/hour)",
                   "Spend on LLM calls per hour at the current rate, by agent "
                   "(agent_cost_usd_total).",
                   "currencyUSD", {{SumBy("agent_id", Rate(cost)) + " * 3600", "{{agent_id}}"}});
    SetStacked(&p);
    b.Add(std::move(p), 12, 8);
  }
  b.Add(Table("Spend by agent and model (selected range)",
              "US dollars per agent and model over the dashboard time range "
              "(agent_cost_usd_total). The Agent cost dashboard has budgets and longer windows.",
              "currencyUSD", {{SumBy("agent_id, model", Increase(cost, "$__range")), "", true}},
              {"Spend (USD)"}),
        24, 8);

  DashboardMeta meta;
  meta.uid = DashboardUid(config, kOverview);
  meta.title = std::string(kOverviewTitle);
  meta.description = GeneratedDescription(
      "AI agents, layers L1 and L2: runs, errors, latency percentiles with trace exemplars, "
      "LLM calls, tokens and spend.");
  meta.variables = Variables(config, "model", "Model", MetricId::kLlmCalls);
  return BuildDashboard(meta, b.TakePanels());
}

}  // namespace agx::dash
