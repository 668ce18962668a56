#pragma once
// Why a line or event was rejected. The names are the `reason` label values of
// agent_exporter_events_rejected_total and the `reason` in push responses.
#include <cstdint>
#include <string_view>

namespace agx {

enum class RejectReason : std::uint8_t {
  kNone = 0,
  kInvalidJson,     ///< not a JSON object, trailing garbage, bad escape
  kInvalidUtf8,     ///< the line is not valid UTF-8
  kLineTooLong,     ///< over ingest.max_line_bytes
  kUnknownType,     ///< `type` is not one of the documented event types
  kMissingField,    ///< a required field is absent
  kWrongType,       ///< a field has the wrong JSON type (e.g. a string for a number)
  kInvalidValue,    ///< negative or non-finite number, score outside 0..1, bad enum value,
                    ///< malformed trace_id/span_id/ts
  kTooManyAttributes,  ///< an OTLP item with more than otlp.max_attributes attributes
  kCount,           // not a reason
};

inline constexpr std::size_t kRejectReasonCount = static_cast<std::size_t>(RejectReason::kCount);

std::string_view RejectReasonName(RejectReason r);

}  // namespace agx
