#include "otlp/otlp_model.h"

namespace agx::otlp {

std::string_view SignalName(Signal s) {
  switch (s) {
    case Signal::kTraces: return "traces";
    case Signal::kLogs: return "logs";
    case Signal::kMetrics: return "metrics";
    case Signal::kCount: break;
  }
  return "unknown";
}

const AnyValue* Find(const Attributes& attrs, std::string_view key) {
  for (auto it = attrs.rbegin(); it != attrs.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

std::size_t ExportRequest::ItemCount() const {
  std::size_t n = 0;
  for (const auto& r : spans) for (const auto& s : r.scopes) n += s.items.size();
  for (const auto& r : logs) for (const auto& s : r.scopes) n += s.items.size();
  for (const auto& r : metrics) {
    for (const auto& s : r.scopes) {
      for (const auto& m : s.items) n += m.points.size() + m.other_points;
    }
  }
  return n;
}

}  // namespace agx::otlp
