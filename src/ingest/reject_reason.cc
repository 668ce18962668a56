#include "ingest/reject_reason.h"

#include <array>

namespace agx {
namespace {

// Indexed by RejectReason; label values of agent_exporter_events_rejected_total{reason}.
constexpr std::array<std::string_view, kRejectReasonCount> kNames = {
    "none",         "invalid_json",  "invalid_utf8", "line_too_long",
    "unknown_type", "missing_field", "wrong_type",   "invalid_value",
    "too_many_attributes",
};

}  // namespace

std::string_view RejectReasonName(RejectReason r) {
  const auto i = static_cast<std::size_t>(r);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

}  // namespace agx
