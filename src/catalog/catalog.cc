#include <array>

#include "catalog/metric_spec.h"

namespace agx {
namespace {

using L = std::string_view;
constexpr L kAgent[] = {"agent_id"};
constexpr L kAgentStatus[] = {"agent_id", "status"};
constexpr L kAgentModel[] = {"agent_id", "model"};
constexpr L kAgentModelStatus[] = {"agent_id", "model", "status"};
constexpr L kAgentModelDirection[] = {"agent_id", "model", "direction"};
constexpr L kAgentTool[] = {"agent_id", "tool_name"};
constexpr L kAgentToolStatus[] = {"agent_id", "tool_name", "status"};
constexpr L kAgentOutcome[] = {"agent_id", "outcome"};
constexpr L kAgentHallucination[] = {"agent_id", "hallucination_type"};
constexpr L kAgentRecovery[] = {"agent_id", "recovery_strategy"};
constexpr L kAgentResult[] = {"agent_id", "result"};
constexpr L kAgentTaskOutcome[] = {"agent_id", "task_type", "outcome"};
constexpr L kAgentTask[] = {"agent_id", "task_type"};
constexpr L kAgentEvaluator[] = {"agent_id", "evaluator"};
constexpr L kSourceType[] = {"source", "type"};
constexpr L kSourceReason[] = {"source", "reason"};
constexpr L kModel[] = {"model"};
constexpr L kMetric[] = {"metric"};
constexpr L kBuild[] = {"version", "revision"};
constexpr L kCode[] = {"code"};
constexpr L kResult[] = {"result"};
constexpr L kKind[] = {"kind"};
constexpr L kSignalCode[] = {"signal", "code"};
constexpr L kReason[] = {"reason"};
constexpr L kSignalReason[] = {"signal", "reason"};
constexpr L kMetricReason[] = {"metric", "reason"};
constexpr L kFormatReason[] = {"format", "reason"};

constexpr double kRequestBuckets[] = {0.5, 1, 2, 5, 10, 20, 60, 120};
constexpr double kModelBuckets[] = {0.1, 0.3, 0.5, 1, 2, 5, 10, 20, 60};
constexpr double kToolBuckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
constexpr double kStepBuckets[] = {1, 2, 3, 5, 8, 12, 20};
constexpr double kToolsPerRunBuckets[] = {1, 2, 5, 10, 15, 25, 40};
constexpr double kScoreBuckets[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

using T = MetricType;
using Y = Layer;
using I = MetricId;

constexpr std::array<MetricSpec, kMetricCount> kCatalog = {{
    {I::kRequests, "agent_requests_total", T::kCounter, Y::kL1,
     "Agent runs (requests) finished, by status.", kAgentStatus, {}, true},
    {I::kRequestDuration, "agent_request_duration_seconds", T::kHistogram, Y::kL1,
     "End-to-end duration of agent runs in seconds.", kAgent, kRequestBuckets, true},
    {I::kLlmCalls, "agent_llm_calls_total", T::kCounter, Y::kL2,
     "LLM calls made by agents, by model and status.", kAgentModelStatus, {}, true},
    {I::kTokens, "agent_tokens_consumed_total", T::kCounter, Y::kL2,
     "Tokens consumed by LLM calls, by direction (input, output, cache_read, cache_creation).",
     kAgentModelDirection, {}, false},
    {I::kModelLatency, "agent_model_latency_seconds", T::kHistogram, Y::kL2,
     "Latency of LLM calls in seconds.", kAgentModel, kModelBuckets, true},
    {I::kCost, "agent_cost_usd_total", T::kCounter, Y::kL2,
     "Spend on LLM calls in US dollars (reported by the event or priced from the config).",
     kAgentModel, {}, false},
    {I::kToolCalls, "agent_tool_calls_total", T::kCounter, Y::kL3,
     "Tool calls made by agents, by tool and status (success, failure, timeout).",
     kAgentToolStatus, {}, true},
    {I::kToolDuration, "agent_tool_duration_seconds", T::kHistogram, Y::kL3,
     "Duration of tool calls in seconds.", kAgentTool, kToolBuckets, true},
    {I::kReasoningSteps, "agent_reasoning_steps", T::kHistogram, Y::kL3,
     "Reasoning steps per agent run.", kAgent, kStepBuckets, true},
    {I::kToolCallsPerRun, "agent_tool_calls_per_run", T::kHistogram, Y::kL3,
     "Tool calls per agent run.", kAgent, kToolsPerRunBuckets, true},
    {I::kStepOutcomes, "agent_step_outcomes_total", T::kCounter, Y::kL3,
     "Reasoning step outcomes (completed, tool_call_failed, hallucination, recovery, "
     "max_steps, safety_blocked).",
     kAgentOutcome, {}, false},
    {I::kHallucinations, "agent_hallucination_total", T::kCounter, Y::kL3,
     "Detected hallucinations, by type.", kAgentHallucination, {}, true},
    {I::kRecoveryAttempts, "agent_recovery_attempts_total", T::kCounter, Y::kL3,
     "Recovery attempts after a failed step, by strategy.", kAgentRecovery, {}, false},
    {I::kApprovals, "agent_approvals_total", T::kCounter, Y::kL3,
     "Human reviews of what the agent asked or produced, by result (approved, denied, "
     "timeout, overridden); denied and overridden are human overrides.",
     kAgentResult, {}, false},
    {I::kTasks, "agent_tasks_total", T::kCounter, Y::kL4,
     "Tasks ended, by task type and outcome (completed, failed, abandoned, escalated).",
     kAgentTaskOutcome, {}, false},
    {I::kFeedbackScore, "agent_user_feedback_score", T::kHistogram, Y::kL4,
     "User feedback scores (0 to 1).", kAgentTask, kScoreBuckets, true},
    {I::kEvalScore, "agent_eval_score", T::kHistogram, Y::kL4,
     "Evaluator scores (0 to 1).", kAgentEvaluator, kScoreBuckets, true},
    {I::kTaskCompletionRate, "agent_task_completion_rate", T::kGauge, Y::kL4,
     "Share of tasks completed over the sliding window (0 to 1).", kAgentTask, {}, false},
    {I::kCostPerTask, "agent_cost_per_task_usd", T::kGauge, Y::kL4,
     "Mean spend per task in US dollars over the sliding window.", kAgent, {}, false},
    {I::kEvents, "agent_exporter_events_total", T::kCounter, Y::kSelf,
     "Events applied, by source and event type.", kSourceType, {}, false},
    {I::kEventsRejected, "agent_exporter_events_rejected_total", T::kCounter, Y::kSelf,
     "Lines or events rejected, by source and reason.", kSourceReason, {}, false},
    {I::kUnpricedTokens, "agent_exporter_unpriced_tokens_total", T::kCounter, Y::kSelf,
     "Tokens of models with no price in the config and no cost on the event (not in cost).",
     kModel, {}, false},
    {I::kSeriesOverflow, "agent_exporter_series_overflow_total", T::kCounter, Y::kSelf,
     "Updates sent to the overflow series because a metric reached its series limit.",
     kMetric, {}, false},
    {I::kLabelValuesTruncated, "agent_exporter_label_values_truncated_total", T::kCounter,
     Y::kSelf, "Label values cut to the configured maximum length.", kMetric, {}, false},
    {I::kBuildInfo, "agent_exporter_build_info", T::kGauge, Y::kSelf,
     "A metric with a constant '1' value labeled by the version and revision of the build.",
     kBuild, {}, false},
    {I::kPushRequests, "agent_exporter_push_requests_total", T::kCounter, Y::kSelf,
     "Push requests answered, by HTTP status code.", kCode, {}, false},
    {I::kSnapshots, "agent_exporter_state_snapshots_total", T::kCounter, Y::kSelf,
     "State snapshots written, by result (success, failure).", kResult, {}, false},
    {I::kLastSnapshot, "agent_exporter_state_last_snapshot_timestamp_seconds", T::kGauge,
     Y::kSelf, "Unix time of the last successful state snapshot.", {}, {}, false},
    {I::kSnapshotTriggers, "agent_exporter_state_snapshot_triggers_total", T::kCounter,
     Y::kSelf,
     "State snapshots started, by reason: interval (state.snapshot_interval), wal_size (the "
     "write-ahead log passed state.checkpoint_wal_bytes), start (a new state directory), "
     "shutdown.",
     kReason, {}, false},
    {I::kTailRotations, "agent_exporter_tail_rotations_total", T::kCounter, Y::kSelf,
     "Tailed files found rotated (kind=rename) or truncated (kind=truncate).", kKind, {},
     false},
    {I::kWalBytes, "agent_exporter_wal_bytes", T::kGauge, Y::kSelf,
     "Size of the push write-ahead log on disk in bytes.", {}, {}, false},
    {I::kOtlpRequests, "agent_exporter_otlp_requests_total", T::kCounter, Y::kSelf,
     "OTLP/HTTP export requests answered, by signal (traces, logs, metrics) and HTTP status "
     "code.",
     kSignalCode, {}, false},
    {I::kOtlpDropped, "agent_exporter_otlp_dropped_total", T::kCounter, Y::kSelf,
     "OTLP items (spans, log records, data points) that carry nothing agent_exporter maps, "
     "by signal and reason (docs/otlp.md).",
     kSignalReason, {}, false},
    {I::kWalAppendFailures, "agent_exporter_wal_append_failures_total", T::kCounter, Y::kSelf,
     "Push and OTLP batches refused (503) because the write-ahead log could not take them: "
     "reason=io_error (disk full, read-only, I/O error) or size_limit (state.max_wal_bytes).",
     kReason, {}, false},
    {I::kTlsConnections, "agent_exporter_tls_connections_total", T::kCounter, Y::kSelf,
     "TLS connections (tls_server_config), by result: accepted, handshake_failed (bad or "
     "missing client certificate, plain HTTP, timeout) or refused (too many open).",
     kResult, {}, false},
    {I::kHttpRejected, "agent_exporter_http_rejected_total", T::kCounter, Y::kSelf,
     "HTTP connections and requests refused before any endpoint saw them, by reason: "
     "bad_request (400: a malformed, oversized or incomplete request head, including one "
     "not received within web.request_timeout or cut off to make room at the connection "
     "bound), other (another status the server answered itself, e.g. 411, 505), no_request "
     "(a connection closed before sending a request: idle past web.request_timeout, closed "
     "by the client, or closed to make room at the connection bound), ambiguous_framing "
     "(400 and closed: conflicting Content-Length values, Content-Length with "
     "Transfer-Encoding, or another body length two parsers could read differently; request "
     "smuggling), "
     "too_many_connections (closed at once: max(1024, 16 x web.threads) connections were open, "
     "all of them busy with requests).",
     kReason, {}, false},
    {I::kAuthRejected, "agent_exporter_auth_rejected_total", T::kCounter, Y::kSelf,
     "Requests refused by access control (docs/security.md), by reason: missing (no "
     "credentials the path takes), invalid (a wrong or malformed user, password or token), "
     "busy (429 without checking the password: every bcrypt slot was in use).",
     kReason, {}, false},
    {I::kStateRestoreErrors, "agent_exporter_state_restore_errors_total", T::kCounter,
     Y::kSelf,
     "Series (and sliding-window slots) of the saved state not restored as saved at start-up, "
     "by metric and reason: changed (type, labels, buckets or window changed), malformed, "
     "non_finite (a NaN or infinite value: the series starts again from 0), non_finite_sum "
     "(a histogram restored without its sum), unknown_metric (metric=\"unknown\").",
     kMetricReason, {}, false},
    {I::kTranscriptDropped, "agent_exporter_transcript_dropped_total", T::kCounter, Y::kSelf,
     "Coding-agent transcript lines that carry nothing counted, by format (claude_code, codex) "
     "and reason: unknown_type (a line type this version does not know, e.g. from a newer "
     "agent release), ignored (a known type with nothing to count), duplicate (a repeat of "
     "what was counted: a streamed message seen again, a repeated token total), synthetic "
     "(made by the agent itself, not an API call) (docs/transcripts.md).",
     kFormatReason, {}, false},
    {I::kTailLinesSkipped, "agent_exporter_tail_lines_skipped_total", T::kCounter, Y::kSelf,
     "Lines of tailed container logs (ingest.files container_log) not handed on as events, "
     "by reason: not_json (the application's own output: a line that does not start with "
     "'{'), bad_container_log (a record not in the cri or docker_json format), unterminated "
     "(a file given up while a line split into partial records was unfinished).",
     kReason, {}, false},
}};

}  // namespace

std::span<const MetricSpec> AllMetrics() { return kCatalog; }

const MetricSpec& Spec(MetricId id) { return kCatalog[static_cast<std::size_t>(id)]; }

const MetricSpec* FindMetric(std::string_view name) {
  for (const auto& m : kCatalog) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "unknown";
}

std::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kL1: return "L1";
    case Layer::kL2: return "L2";
    case Layer::kL3: return "L3";
    case Layer::kL4: return "L4";
    case Layer::kSelf: return "self";
  }
  return "?";
}

}  // namespace agx
