#include "ingest/handle_cache.h"

namespace agx {

HandleCache& HandleCache::ForThread(std::uint64_t owner) {
  thread_local HandleCache cache;
  if (cache.owner_ != owner) {
    cache.llm_.clear();
    cache.tool_.clear();
    cache.run_.clear();
    cache.owner_ = owner;
  }
  return cache;
}

template <class B>
B& HandleCache::Get(Map<B>& map, std::string_view a, std::string_view b) {
  // Length-prefixed, so no two label pairs share a key whatever bytes they hold.
  const auto n = static_cast<std::uint32_t>(a.size());
  key_.assign(reinterpret_cast<const char*>(&n), sizeof n);
  key_.append(a);
  key_.append(b);
  if (auto it = map.find(std::string_view(key_)); it != map.end()) return it->second;
  if (map.size() >= kMaxEntries) map.clear();
  return map.try_emplace(key_).first->second;
}

LlmBundle& HandleCache::Llm(std::string_view agent, std::string_view model) {
  return Get(llm_, agent, model);
}

ToolBundle& HandleCache::Tool(std::string_view agent, std::string_view tool) {
  return Get(tool_, agent, tool);
}

RunBundle& HandleCache::Run(std::string_view agent) { return Get(run_, agent, {}); }

}  // namespace agx
