#include "ingest/agent_event.h"

#include <array>

#include "common/text.h"

namespace agx {
namespace {

// Indexed by EventType; the spelling of the `type` field (docs/events.md).
constexpr std::array<std::string_view, kEventTypeCount> kNames = {
    "run",      "llm_call", "tool_call", "step",     "hallucination",
    "recovery", "approval", "task",      "feedback", "eval",     "usage",
};

}  // namespace

std::string_view EventTypeName(EventType t) {
  const auto i = static_cast<std::size_t>(t);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

bool ParseEventType(std::string_view s, EventType* out) {
  // Called for every event: compare only against the names of the same length.
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (EqualText(kNames[i], s)) {
      *out = static_cast<EventType>(i);
      return true;
    }
  }
  return false;
}

}  // namespace agx
