#pragma once
// Decoders of OTLP/HTTP export request bodies, JSON (the OTLP JSON mapping: hex ids,
// integer enums, 64-bit integers as numbers or strings, unknown fields ignored) and
// protobuf (hand-written wire reader, field numbers from opentelemetry-proto v1.11.0;
// unknown fields skipped, packed and unpacked repeated numerics accepted).
// Pure functions; thread-safe (no shared state).
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "otlp/otlp_model.h"

namespace agx::otlp {

struct DecodeLimits {
  std::size_t max_depth = 64;        ///< JSON nesting / protobuf message nesting
  std::size_t max_attributes = 128;  ///< per span, log record, data point or resource
};

/// Decodes `body` (already decompressed) as the request of `signal`. A body that is not a
/// valid request fails with a message fit for a 400 reply ("invalid OTLP JSON: …",
/// "invalid OTLP protobuf: …"); items that decode but are unusable are kept with
/// `error` set. An empty body or `{}` is an empty, valid request.
/// The result's views point into `body` (protobuf) or into its own storage (JSON): keep
/// `body` alive as long as the result.
Result<ExportRequest> DecodeJson(Signal signal, std::string_view body, const DecodeLimits& limits);
Result<ExportRequest> DecodeProtobuf(Signal signal, std::string_view body,
                                     const DecodeLimits& limits);

/// Decodes one OTLP JSON export request of any signal, as the OpenTelemetry Collector's
/// `file` exporter writes them one per line: the signal is the one whose top-level key
/// (`resourceSpans`, `resourceLogs`, `resourceMetrics`) is present. None of them (also an
/// empty line or `{}`) fails with "no resourceSpans, resourceLogs or resourceMetrics", more
/// than one fails too. Views point into the result's own storage.
Result<ExportRequest> DecodeJsonAnySignal(std::string_view line, const DecodeLimits& limits);

}  // namespace agx::otlp
