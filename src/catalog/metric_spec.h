#pragma once
// The metric catalogue: the single source of truth for every metric agent_exporter serves.
// The registry builds its families from it, the rule and dashboard generators and the README
// table read it. Names, types and labels are a contract with users' rules and dashboards.
// Everything here is immutable static data; thread-safe.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace agx {

enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };
enum class Layer : std::uint8_t { kL1, kL2, kL3, kL4, kSelf };

/// Identifies a catalogue entry; also the index into AllMetrics().
enum class MetricId : std::uint8_t {
  // L1 standard
  kRequests,
  kRequestDuration,
  // L2 LLM-native
  kLlmCalls,
  kTokens,
  kModelLatency,
  kCost,
  // L3 agent-native
  kToolCalls,
  kToolDuration,
  kReasoningSteps,
  kToolCallsPerRun,
  kStepOutcomes,
  kHallucinations,
  kRecoveryAttempts,
  kApprovals,
  // L4 business
  kTasks,
  kFeedbackScore,
  kEvalScore,
  kTaskCompletionRate,
  kCostPerTask,
  // Self
  kEvents,
  kEventsRejected,
  kUnpricedTokens,
  kSeriesOverflow,
  kLabelValuesTruncated,
  kBuildInfo,
  kPushRequests,
  kSnapshots,
  kLastSnapshot,
  kSnapshotTriggers,
  kTailRotations,
  kWalBytes,
  kOtlpRequests,
  kOtlpDropped,
  kWalAppendFailures,
  kTlsConnections,
  kHttpRejected,
  kAuthRejected,
  kStateRestoreErrors,
  kTranscriptDropped,
  kTailLinesSkipped,
  kCount,  // not a metric
};

inline constexpr std::size_t kMetricCount = static_cast<std::size_t>(MetricId::kCount);

struct MetricSpec {
  MetricId id;
  std::string_view name;  ///< full name; counters end in `_total`
  MetricType type;
  Layer layer;
  std::string_view help;
  std::span<const std::string_view> labels;
  std::span<const double> buckets;  ///< default buckets, histograms only
  bool exemplars;                   ///< carries trace-id exemplars (counters and histograms)
};

/// \return every catalogue entry, ordered by MetricId.
std::span<const MetricSpec> AllMetrics();

/// \return the entry for `id`.
const MetricSpec& Spec(MetricId id);

/// \return the entry named `name` (exact, with `_total` for counters), or nullptr.
const MetricSpec* FindMetric(std::string_view name);

std::string_view TypeName(MetricType type);   ///< "counter", "gauge", "histogram"
std::string_view LayerName(Layer layer);      ///< "L1" … "L4", "self"

}  // namespace agx
