#pragma once
// Decoders of OTLP/HTTP export request bodies, JSON (the OTLP JSON mapping: hex ids,
// integer enums, 64-bit integers as numbers or strings, unknown fields ignored) and
// protobuf (hand-written wire reader, field numbers from opentelemetry-proto v1.11.0;
// unknown fields skipped, packed and unpacked repeated numerics accepted).
// Pure functions; thread-safe (no shared state).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "otlp/otlp_model.h"

namespace agx::otlp {

struct DecodeLimits {
  std::size_t max_depth = 64;        ///< JSON nesting / protobuf message nesting
  std::size_t max_attributes = 128;  ///< per span, log record, data point or resource
  /// Spans, log records and data points (of every kind) per request
  /// (otlp.max_items_per_request); more: the request is too large (decode_budget.h, which
  /// also bounds the decoded form's bytes).
  std::size_t max_items = 100000;
};

/// Why a decode failed.
enum class DecodeFailure : std::uint8_t {
  kNone,
  kInvalid,   ///< not a valid request ("invalid OTLP JSON: …"): 400
  kTooLarge,  ///< valid so far but over a DecodeBudget bound ("OTLP request too large: …"): 413
};

/// Decodes `body` (already decompressed) as the request of `signal`. A body that is not a
/// valid request fails with a message fit for a 400 reply ("invalid OTLP JSON: …",
/// "invalid OTLP protobuf: …"), one over the limits of decode_budget.h with one fit for a
/// 413; `failure` (optional) tells which. Items that decode but are unusable are kept with
/// `error` set. An empty body or `{}` is an empty, valid request.
/// The result's views point into `body` (protobuf) or into its own storage (JSON): keep
/// `body` alive as long as the result.
Result<ExportRequest> DecodeJson(Signal signal, std::string_view body, const DecodeLimits& limits,
                                 DecodeFailure* failure = nullptr);
Result<ExportRequest> DecodeProtobuf(Signal signal, std::string_view body,
                                     const DecodeLimits& limits,
                                     DecodeFailure* failure = nullptr);

/// Decodes one OTLP JSON export request of any signal, as the OpenTelemetry Collector's
/// `file` exporter writes them one per line: the signal is the one whose top-level key
/// (`resourceSpans`, `resourceLogs`, `resourceMetrics`) is present. None of them (also an
/// empty line or `{}`) fails with "no resourceSpans, resourceLogs or resourceMetrics", more
/// than one fails too. Views point into the result's own storage.
Result<ExportRequest> DecodeJsonAnySignal(std::string_view line, const DecodeLimits& limits,
                                          DecodeFailure* failure = nullptr);

}  // namespace agx::otlp
