#pragma once
// MapAndCheck: runs the OTLP Mapper (default OtlpConfig; for metrics also with
// claude_code_usage: metrics) over a decoded request, the way OtlpIngest does, and checks
// what the Mapper promises. Shared by the two OTLP fuzz targets.
// - every line is a view into the batch's buffer, has no '\n', and is well-formed: the
//   native parser never rejects it as invalid JSON, invalid UTF-8 or too long (other
//   rejections, e.g. a negative token count, are the Pipeline's job);
// - the counts add up: rejected == sum of rejected_by_reason;
// - Commit then Map again (a cumulative series' second point) holds the same properties.
// Not thread-safe (one parser per process, as libFuzzer runs one input at a time).
#include <cstddef>
#include <numeric>
#include <string_view>

#include "config/config.h"
#include "fuzz_check.h"
#include "ingest/agent_event.h"
#include "ingest/event_parser.h"
#include "otlp/mapper.h"
#include "otlp/otlp_model.h"

namespace agx::fuzz {

inline void CheckBatch(const otlp::MappedBatch& batch) {
  static EventParser parser(std::size_t{1} << 20);
  const std::size_t rejected = std::accumulate(batch.rejected_by_reason.begin(),
                                               batch.rejected_by_reason.end(), std::size_t{0});
  AGX_FUZZ_CHECK(rejected == batch.rejected, "rejected == sum of rejected_by_reason");
  const char* begin = batch.buffer.data();
  const char* end = begin + batch.buffer.size();
  for (std::string_view line : batch.lines) {
    AGX_FUZZ_CHECK(line.data() >= begin && line.data() + line.size() <= end,
                   "a line is a view into the buffer");
    AGX_FUZZ_CHECK(line.find('\n') == std::string_view::npos, "a line has no newline");
    AgentEvent event;
    const ParseError err = parser.Parse(line, &event);
    AGX_FUZZ_CHECK(err.reason != RejectReason::kInvalidJson, "mapped lines are valid JSON");
    AGX_FUZZ_CHECK(err.reason != RejectReason::kInvalidUtf8, "mapped lines are valid UTF-8");
    AGX_FUZZ_CHECK(err.reason != RejectReason::kLineTooLong, "mapped lines are not too long");
  }
}

inline void MapAndCheckWith(const OtlpConfig& config, const otlp::ExportRequest& request) {
  // 2024-01-01T00:00:00Z: points that start before it are cumulative series seen late.
  otlp::Mapper mapper(config, 1704067200000000000ULL);
  otlp::MappedBatch batch;
  mapper.Map(request, &batch);
  CheckBatch(batch);
  mapper.Commit(batch);
  mapper.Map(request, &batch);  // the same points again, now against the committed state
  CheckBatch(batch);
}

/// With the default OtlpConfig, and again with claude_code_usage: metrics, so the usage
/// metrics (delta and cumulative) are mapped rather than dropped as other_source.
inline void MapAndCheck(const otlp::ExportRequest& request) {
  MapAndCheckWith(OtlpConfig{}, request);
  if (request.signal == otlp::Signal::kMetrics) {
    OtlpConfig metrics_usage;
    metrics_usage.claude_code_usage = "metrics";
    MapAndCheckWith(metrics_usage, request);
  }
}

}  // namespace agx::fuzz
