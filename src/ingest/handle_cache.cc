#include "ingest/handle_cache.h"

namespace agx {

HandleCache& HandleCache::ForThread(std::uint64_t owner) {
  thread_local HandleCache cache;
  if (cache.owner_ != owner) {
    cache.llm_.Clear();
    cache.tool_.Clear();
    cache.run_.Clear();
    cache.series_.Clear();
    cache.owner_ = owner;
  }
  return cache;
}

LlmBundle& HandleCache::Llm(std::string_view agent, std::string_view model) {
  return llm_.FindOrInsert({agent, model});
}

ToolBundle& HandleCache::Tool(std::string_view agent, std::string_view tool) {
  return tool_.FindOrInsert({agent, tool});
}

RunBundle& HandleCache::Run(std::string_view agent) { return run_.FindOrInsert({agent}); }

SeriesBundle& HandleCache::Series(std::uint8_t metric, std::span<const std::string_view> labels) {
  const char id = static_cast<char>(metric);
  const std::string_view m(&id, 1);
  switch (labels.size()) {
    case 1:
      return series_.FindOrInsert({m, labels[0]});
    case 2:
      return series_.FindOrInsert({m, labels[0], labels[1]});
    default:
      return series_.FindOrInsert({m, labels[0], labels[1], labels[2]});
  }
}

}  // namespace agx
