#include "otlp/response.h"

#include <nlohmann/json.hpp>

namespace agx::otlp {
namespace {

void PutVarint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLengthDelimited(int field, std::string_view bytes, std::string* out) {
  PutVarint(static_cast<std::uint64_t>(field) << 3 | 2, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

void PutVarintField(int field, std::uint64_t v, std::string* out) {
  PutVarint(static_cast<std::uint64_t>(field) << 3, out);
  PutVarint(v, out);
}

std::string_view RejectedKey(Signal s) {
  switch (s) {
    case Signal::kTraces: return "rejectedSpans";
    case Signal::kLogs: return "rejectedLogRecords";
    case Signal::kMetrics: return "rejectedDataPoints";
    case Signal::kCount: break;
  }
  return "rejected";
}

}  // namespace

std::string_view ContentType(Encoding e) {
  return e == Encoding::kJson ? "application/json" : "application/x-protobuf";
}

std::string ExportResponse(Signal signal, Encoding e, std::size_t rejected,
                           std::string_view message) {
  const bool partial = rejected > 0 || !message.empty();
  if (e == Encoding::kProtobuf) {
    if (!partial) return {};
    std::string inner;  // Export*PartialSuccess: 1 rejected (int64), 2 error_message
    if (rejected > 0) PutVarintField(1, rejected, &inner);
    if (!message.empty()) PutLengthDelimited(2, message, &inner);
    std::string out;
    PutLengthDelimited(1, inner, &out);
    return out;
  }
  nlohmann::json body = nlohmann::json::object();
  if (partial) {
    // int64 fields are strings in the OTLP JSON mapping.
    body["partialSuccess"] = {{RejectedKey(signal), std::to_string(rejected)},
                              {"errorMessage", message}};
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StatusResponse(Encoding e, int grpc_code, std::string_view message) {
  if (e == Encoding::kProtobuf) {
    std::string out;
    PutVarintField(1, static_cast<std::uint64_t>(grpc_code), &out);
    PutLengthDelimited(2, message, &out);
    return out;
  }
  return nlohmann::json{{"code", grpc_code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace agx::otlp
