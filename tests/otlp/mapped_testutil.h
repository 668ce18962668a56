#pragma once
// Builders of decoded OTLP requests and checks of mapped batches, shared by the mapper tests.
// String literals outlive the requests, so the views stay valid.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ingest/event_parser.h"
#include "otlp/mapper.h"

namespace agx::otlp::fixtures {

inline AnyValue Str(std::string_view s) {
  AnyValue v;
  v.kind = ValueKind::kString;
  v.str = s;
  return v;
}
inline AnyValue Int(std::int64_t i) {
  AnyValue v;
  v.kind = ValueKind::kInt;
  v.i = i;
  return v;
}
inline AnyValue Dbl(double d) {
  AnyValue v;
  v.kind = ValueKind::kDouble;
  v.d = d;
  return v;
}
inline AnyValue Bool(bool b) {
  AnyValue v;
  v.kind = ValueKind::kBool;
  v.b = b;
  return v;
}
inline AnyValue Kind(ValueKind k) {
  AnyValue v;
  v.kind = k;
  return v;
}

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpan = "00f067aa0ba902b7";
constexpr std::uint64_t kSec = 1000000000;
constexpr std::uint64_t kExporterStart = 1795319000 * kSec;
constexpr std::uint64_t kT = 1795319953 * kSec;  // a time after the exporter started

template <std::size_t N>
HexId<N> Id(std::string_view hex) {
  HexId<N> id;
  std::memcpy(id.hex.data(), hex.data(), N);
  id.present = true;
  return id;
}

inline Span MakeSpan(std::string_view name, Attributes attrs) {
  Span s;
  s.name = name;
  s.trace_id = Id<32>(kTrace);
  s.span_id = Id<16>(kSpan);
  s.start_time_ns = kT;
  s.end_time_ns = kT + 812500000;  // 812.5 ms
  s.attributes = std::move(attrs);
  return s;
}

inline ExportRequest SpanRequest(Attributes resource, std::vector<Span> spans) {
  ExportRequest r;
  r.signal = Signal::kTraces;
  r.spans.push_back({std::move(resource), {{"scope", std::move(spans)}}});
  return r;
}

inline LogRecord MakeLog(std::string_view body, Attributes attrs) {
  LogRecord l;
  l.time_ns = kT + 250000000;
  l.observed_time_ns = kT + 999000000;
  if (!body.empty()) l.body = Str(body);
  l.attributes = std::move(attrs);
  return l;
}

inline ExportRequest LogRequest(Attributes resource, std::vector<LogRecord> logs) {
  ExportRequest r;
  r.signal = Signal::kLogs;
  r.logs.push_back({std::move(resource), {{"com.anthropic.claude_code.events", std::move(logs)}}});
  return r;
}

inline NumberPoint Point(double value, Attributes attrs, std::uint64_t start = kT,
                  std::uint64_t time = kT + 60 * kSec) {
  NumberPoint p;
  p.attributes = std::move(attrs);
  p.start_time_ns = start;
  p.time_ns = time;
  p.value = value;
  p.has_value = true;
  return p;
}

inline Metric Sum(std::string_view name, int temporality, std::vector<NumberPoint> points) {
  Metric m;
  m.name = name;
  m.kind = MetricKind::kSum;
  m.temporality = temporality;
  m.monotonic = true;
  m.points = std::move(points);
  return m;
}

inline ExportRequest MetricRequest(Attributes resource, std::vector<Metric> metrics) {
  ExportRequest r;
  r.signal = Signal::kMetrics;
  r.metrics.push_back({std::move(resource), {{"com.anthropic.claude_code", std::move(metrics)}}});
  return r;
}

inline OtlpConfig Config(std::string usage = "logs") {
  OtlpConfig c;
  c.claude_code_usage = std::move(usage);
  return c;
}

inline std::size_t Dropped(const MappedBatch& b, DropReason r) {
  return b.dropped[static_cast<std::size_t>(r)];
}
inline std::size_t Rejected(const MappedBatch& b, RejectReason r) {
  return b.rejected_by_reason[static_cast<std::size_t>(r)];
}
inline std::size_t TotalDropped(const MappedBatch& b) {
  std::size_t n = 0;
  for (std::size_t d : b.dropped) n += d;
  return n;
}

// Maps `r`, checks that every line is a valid native event and returns the lines. The span
// memory's reservations are rolled back (as for a request that was not acknowledged), so
// that cases reusing span ids stay independent; MapCommit keeps them.
inline std::vector<std::string> Map(const Mapper& mapper, const ExportRequest& r, MappedBatch* b) {
  mapper.Map(r, b);
  mapper.span_memory().Rollback(b->span_updates);
  std::vector<std::string> lines(b->lines.begin(), b->lines.end());
  std::string joined;
  for (const auto& l : lines) joined += l + "\n";
  EXPECT_EQ(joined, b->buffer);
  EventParser parser;
  for (const auto& l : lines) {
    SCOPED_TRACE(l);
    AgentEvent ev;
    const ParseError err = parser.Parse(l, &ev);
    // `usage` is new: until the native parser knows it, it answers unknown_type.
    if (l.find(R"("type":"usage")") != std::string::npos &&
        err.reason == RejectReason::kUnknownType) {
      continue;
    }
    EXPECT_EQ(err.reason, RejectReason::kNone) << err.detail;
  }
  return lines;
}

inline std::vector<std::string> Map(const Mapper& mapper, const ExportRequest& r) {
  MappedBatch b;
  return Map(mapper, r, &b);
}

using Lines = std::vector<std::string>;

}  // namespace agx::otlp::fixtures
