#pragma once
// OTLP/HTTP reply bodies, in the request's encoding (JSON or protobuf): the
// Export…ServiceResponse with an optional partialSuccess, and google.rpc.Status for
// errors. Pure; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

#include "otlp/otlp_model.h"

namespace agx::otlp {

enum class Encoding : std::uint8_t { kJson, kProtobuf };

/// "application/json" or "application/x-protobuf".
std::string_view ContentType(Encoding e);

/// A success reply; with `rejected` > 0 (or a non-empty `message`) it carries
/// partialSuccess {rejectedSpans|rejectedLogRecords|rejectedDataPoints, errorMessage}.
std::string ExportResponse(Signal signal, Encoding e, std::size_t rejected,
                           std::string_view message);

/// An error reply: google.rpc.Status {code, message}. `grpc_code` per google.rpc.Code
/// (3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE, 16 UNAUTHENTICATED).
std::string StatusResponse(Encoding e, int grpc_code, std::string_view message);

}  // namespace agx::otlp
