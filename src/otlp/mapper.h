#pragma once
// Mapper: turns a decoded OTLP export request into native agent events (docs/events.md),
// one JSON line each, which the Pipeline then validates, logs to the WAL and applies like
// any pushed line. Going through the native format keeps one durable format and one
// mapping to metrics; docs/otlp.md lists what maps to what.
//
// - Spans are classified by span rules (span_mapper.h): llm_call, tool_call or run; spans
//   no rule matches are dropped (not_genai), nested spans of one operation counted once.
// - Claude Code log events api_request/api_error -> llm_call, tool_result -> tool_call,
//   tool_decision made by the user -> approval (made by a config rule or a hook: dropped,
//   ignored); other log records are dropped (unknown_event).
// - Claude Code metrics claude_code.token.usage / claude_code.cost.usage (sums, delta or
//   cumulative) -> usage events; other metrics are dropped (unknown_metric).
// - Tokens and cost of Claude Code come from one source only (OtlpConfig::claude_code_usage):
//   from api_request events (default) or from the two metrics; the other source's tokens
//   and cost are dropped (other_source), so nothing is counted twice.
//
// Thread-safe: Map may run concurrently; the cumulative-to-delta state is under a mutex.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ingest/reject_reason.h"
#include "otlp/otlp_model.h"
#include "otlp/series_key.h"
#include "otlp/span_memory.h"

namespace agx::otlp {

/// Items that are valid OTLP but carry nothing agent_exporter maps: counted in
/// agent_exporter_otlp_dropped_total{signal,reason}, never an error.
enum class DropReason : std::uint8_t {
  kNotGenAi,            ///< span without a mapped gen_ai.operation.name
  kUnknownEvent,        ///< log record that is not a mapped event
  kUnknownMetric,       ///< metric that is not mapped
  kUnsupportedPoint,    ///< mapped metric with a gauge, non-monotonic or histogram point
  kOtherSource,         ///< Claude Code tokens/cost from the source that does not count
  kCumulativeBaseline,  ///< first cumulative point of a series that started before us
  kIgnored,             ///< span a rule ignores; tool decision not made by the user
  kDuplicate,           ///< span of an operation already counted (nested or re-sent)
  kCount,
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);
std::string_view DropReasonName(DropReason r);  ///< "not_genai", …

/// A cumulative series (its metric, resource and point attributes), as a 128-bit digest:
/// 16 bytes however long its attributes (series_key.h).
using CumulativeKey = SeriesKey;
/// A cumulative series' last seen point; kept so the next point yields a delta.
struct CumulativePoint {
  std::uint64_t start_time_ns = 0;
  double value = 0;
};

/// What became of one span, for `agent_exporter explain-otlp` (filled only when asked).
struct SpanExplanation {
  std::size_t index = 0;  ///< the span's position in the request
  std::string name, trace_id, span_id, parent_span_id, scope;
  std::string rule;       ///< "builtin:<name>" or "config:<name>"; empty: no rule matched
  std::string rule_origin;
  std::string outcome;    ///< the event type, "dropped" or "rejected"
  std::string reason;     ///< drop or reject reason
  std::string detail;     ///< why, in words
  std::string line;       ///< the native event line, without '\n'
};

/// What one request may map to. OtlpIngest sets them from the config; the defaults are the
/// config's defaults.
struct MapLimits {
  /// registry.label_value_max_bytes: the strings a line copies from attributes (agent_id,
  /// model, tool_name, finish_reason) are cut near it before they are copied (CutLabel in
  /// map_util.h), so a long attribute is not repeated in full in every line.
  std::size_t label_value_max_bytes = 128;
  /// The lines of one request and its span memory updates take at most about this many
  /// bytes; past it Map stops and sets MappedBatch::too_large (the request is refused).
  /// OtlpIngest sets web.max_decompressed_bytes, so a request maps to no more than the
  /// largest body a push may send, and at most half a write-ahead-log record (otlp_ingest.cc).
  std::size_t max_mapped_bytes = std::size_t{32} << 20;
};

struct MappedBatch {
  std::string buffer;                   ///< the native event lines, '\n'-terminated
  std::vector<std::string_view> lines;  ///< views into `buffer`, filled by Map
  std::size_t items = 0;                ///< spans / log records / data points seen
  std::size_t rejected = 0;             ///< items the mapper rejected (invalid)
  std::array<std::size_t, kRejectReasonCount> rejected_by_reason{};
  std::array<std::size_t, kDropReasonCount> dropped{};
  std::string first_error;  ///< message about the first rejected item, for partialSuccess
  /// Cumulative state to remember once the batch is acknowledged (see Commit).
  std::vector<std::pair<CumulativeKey, CumulativePoint>> cumulative_updates;
  /// Span memory updates reserved by Map: committed with the batch's lines (OtlpIngest
  /// logs them in the same WAL record), rolled back if the batch is not acknowledged.
  std::vector<SpanUpdate> span_updates;
  /// When set, Map appends one entry per span.
  std::vector<SpanExplanation>* explain = nullptr;
  /// The lines grew past MapLimits::max_mapped_bytes: Map stopped, the batch is incomplete
  /// and must not be applied (its span_updates are to be rolled back).
  bool too_large = false;
};

class SpanMapper;

class Mapper {
 public:
  /// `start_time_ns`: when the exporter started; a cumulative series whose start time is
  /// at or after it is counted from zero, an older one from its second point.
  Mapper(OtlpConfig config, std::uint64_t start_time_ns, MapLimits limits = {});
  ~Mapper();

  /// Maps every item of `request` into `out` (cleared first). Never fails: unusable items
  /// are counted as rejected (with a reason) or dropped; a request whose lines would exceed
  /// MapLimits::max_mapped_bytes is only marked (out->too_large).
  void Map(const ExportRequest& request, MappedBatch* out) const;

  /// Remembers the cumulative points of a batch once its lines are acknowledged, so a
  /// retried request that was not acknowledged is counted again rather than lost.
  void Commit(const MappedBatch& batch);

  /// The span memory (nested and re-sent spans counted once); see span_memory.h.
  SpanMemory& span_memory() const;
  const SpanMapper& spans() const { return *spans_; }
  const MapLimits& limits() const { return limits_; }

 private:
  OtlpConfig config_;
  MapLimits limits_;
  std::unique_ptr<SpanMapper> spans_;
  std::uint64_t start_time_ns_;
  mutable std::mutex mu_;
  /// At most kMaxCumulativeSeries (mapper.cc) entries of fixed size: about 80 bytes each
  /// with the map's node, 8 MB in all.
  std::map<CumulativeKey, CumulativePoint> cumulative_;  // guarded by mu_
};

}  // namespace agx::otlp
