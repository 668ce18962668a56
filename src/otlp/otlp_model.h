#pragma once
// The decoded shape of an OTLP export request, shared by the JSON and protobuf decoders and
// read by the mapper. Only what agent_exporter maps is kept: attributes with scalar values,
// span/log/number-point fields, metric kind and temporality. Array, kvlist and bytes
// attribute values keep only their kind.
//
// Lifetime: every string_view points into the request body or into the decoder's
// DecodedRequest storage; a decoded request is valid while that storage and the body live.
// Value types; not synchronised (one request is decoded and mapped on one thread).
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace agx::otlp {

enum class Signal : std::uint8_t { kTraces, kLogs, kMetrics, kCount };
std::string_view SignalName(Signal s);  ///< "traces", "logs", "metrics"

enum class ValueKind : std::uint8_t {
  kEmpty,  ///< no value set
  kString,
  kBool,
  kInt,
  kDouble,
  kBytes,   ///< content not kept
  kArray,   ///< content not kept
  kKvList,  ///< content not kept
};

struct AnyValue {
  ValueKind kind = ValueKind::kEmpty;
  std::string_view str;  ///< kString
  bool b = false;        ///< kBool
  std::int64_t i = 0;    ///< kInt
  double d = 0;          ///< kDouble (may be NaN or infinite: JSON "NaN", protobuf bits)
};

struct Attribute {
  std::string_view key;
  AnyValue value;
};
using Attributes = std::vector<Attribute>;

/// Last attribute with `key`, or nullptr. (Duplicates are invalid OTLP; last wins.)
const AnyValue* Find(const Attributes& attrs, std::string_view key);

/// A trace or span id as lowercase hex; empty when absent, "" in JSON or all-zero.
/// Ids of the wrong length or with non-hex characters make the item invalid (see `error`).
template <std::size_t kHexLen>
struct HexId {
  std::array<char, kHexLen> hex{};
  bool present = false;
  std::string_view view() const {
    return present ? std::string_view(hex.data(), kHexLen) : std::string_view();
  }
};
using TraceId = HexId<32>;
using SpanId = HexId<16>;

/// Why a decoded item cannot be used although the request as a whole decoded (it is
/// rejected and counted in partialSuccess): e.g. a trace id of the wrong length, more
/// attributes than DecodeLimits::max_attributes.
enum class ItemError : std::uint8_t { kNone, kInvalidId, kTooManyAttributes };

struct Span {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;          ///< absent for a root span
  std::string_view name;
  int kind = 0;                   ///< SpanKind: 0 unspecified … 5 consumer
  std::uint64_t start_time_ns = 0;
  std::uint64_t end_time_ns = 0;
  int status_code = 0;            ///< 0 unset, 1 ok, 2 error
  std::string_view status_message;
  Attributes attributes;
  ItemError error = ItemError::kNone;
};

struct LogRecord {
  std::uint64_t time_ns = 0;
  std::uint64_t observed_time_ns = 0;
  int severity_number = 0;
  AnyValue body;
  std::string_view event_name;  ///< LogRecord.event_name (field 12, "eventName")
  Attributes attributes;
  TraceId trace_id;
  SpanId span_id;
  ItemError error = ItemError::kNone;
};

enum class MetricKind : std::uint8_t {
  kNone,  ///< no data field set
  kGauge,
  kSum,
  kHistogram,
  kExponentialHistogram,
  kSummary,
};

/// A NumberDataPoint (gauge and sum). Histogram-like points are only counted (see Metric).
struct NumberPoint {
  Attributes attributes;
  std::uint64_t start_time_ns = 0;
  std::uint64_t time_ns = 0;
  double value = 0;       ///< as_double, or as_int converted
  bool is_int = false;
  bool has_value = false; ///< neither as_double nor as_int set: the point is invalid
  ItemError error = ItemError::kNone;
};

struct Metric {
  std::string_view name;
  std::string_view unit;
  MetricKind kind = MetricKind::kNone;
  int temporality = 0;     ///< AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative
  bool monotonic = false;  ///< Sum.is_monotonic
  std::vector<NumberPoint> points;  ///< gauge and sum data points
  std::size_t other_points = 0;     ///< data points of histogram, exp. histogram, summary
};

/// Resource attributes and scope name repeat for every item beneath them.
template <class Item>
struct ScopeItems {
  std::string_view scope_name;
  std::vector<Item> items;
};

template <class Item>
struct ResourceItems {
  Attributes resource;
  std::vector<ScopeItems<Item>> scopes;
};

/// One decoded export request. `storage` owns whatever the views point into besides the
/// body (the JSON parser's string buffer, decompressed bytes when the caller passes them).
struct ExportRequest {
  Signal signal = Signal::kTraces;
  std::vector<ResourceItems<Span>> spans;      ///< kTraces
  std::vector<ResourceItems<LogRecord>> logs;  ///< kLogs
  std::vector<ResourceItems<Metric>> metrics;  ///< kMetrics
  std::shared_ptr<void> storage;

  /// Spans, log records or data points (all kinds), for partialSuccess arithmetic.
  std::size_t ItemCount() const;
};

}  // namespace agx::otlp
