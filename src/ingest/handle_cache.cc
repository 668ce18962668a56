#include "ingest/handle_cache.h"

namespace agx {

HandleCache& HandleCache::ForThread(std::uint64_t owner, std::size_t max_value_bytes) {
  thread_local HandleCache cache;
  if (cache.owner_ != owner) {
    cache.llm_.Clear();
    cache.tool_.Clear();
    cache.run_.Clear();
    cache.series_.Clear();
    cache.owner_ = owner;
  }
  cache.max_value_bytes_ = max_value_bytes;
  return cache;
}

LlmBundle& HandleCache::Llm(std::string_view agent, std::string_view model) {
  if (!Fits({agent, model})) return Fresh(llm_scratch_);
  return llm_.FindOrInsert({agent, model});
}

ToolBundle& HandleCache::Tool(std::string_view agent, std::string_view tool) {
  if (!Fits({agent, tool})) return Fresh(tool_scratch_);
  return tool_.FindOrInsert({agent, tool});
}

RunBundle& HandleCache::Run(std::string_view agent) {
  if (!Fits({agent})) return Fresh(run_scratch_);
  return run_.FindOrInsert({agent});
}

SeriesBundle& HandleCache::Series(std::uint8_t metric, std::span<const std::string_view> labels) {
  const char id = static_cast<char>(metric);
  const std::string_view m(&id, 1);
  switch (labels.size()) {
    case 1:
      if (!Fits({labels[0]})) return Fresh(series_scratch_);
      return series_.FindOrInsert({m, labels[0]});
    case 2:
      if (!Fits({labels[0], labels[1]})) return Fresh(series_scratch_);
      return series_.FindOrInsert({m, labels[0], labels[1]});
    default:
      if (!Fits({labels[0], labels[1], labels[2]})) return Fresh(series_scratch_);
      return series_.FindOrInsert({m, labels[0], labels[1], labels[2]});
  }
}

std::size_t HandleCache::key_bytes() const {
  return llm_.key_bytes() + tool_.key_bytes() + run_.key_bytes() + series_.key_bytes();
}

}  // namespace agx
