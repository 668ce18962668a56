#pragma once
// What the Claude Code mapper remembers between lines (claude_code_mapper.h), its bounds and
// its text form for the snapshot. Three maps, each bounded and evicting the oldest first:
// - messages: API message ids (hashed) with the tokens counted for them, so a message written
//   as several lines, or again in another file, is counted once (and its growth, if any);
//   API error lines (by uuid) are kept here too, so a copy of one is not counted twice;
// - tools: tool_use ids (hashed) with the tool name and when it was asked, until (and a while
//   after) its result, so a result seen again is a duplicate;
// - files: per transcript file (dev, ino), the open turn, the last API request and model.
// Not synchronised (the mapper's caller serialises; see transcript_mapper.h).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "transcript/claude_code_line.h"

namespace agx::transcript::claude {

/// A map that keeps at most `capacity` keys, forgetting the oldest inserted first.
template <class V>
class FifoMap {
 public:
  explicit FifoMap(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  V* Find(const Key& k) {
    auto it = map_.find(k);
    return it == map_.end() ? nullptr : &it->second;
  }
  /// Inserts `k` (not present) as the newest key, evicting the oldest when full.
  V& Insert(const Key& k, V v) {
    while (map_.size() >= capacity_) {
      map_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(k);
    return map_.emplace(k, std::move(v)).first->second;
  }
  std::size_t size() const { return map_.size(); }
  std::size_t capacity() const { return capacity_; }
  /// Calls f(key, value) oldest first.
  template <class F>
  void ForEach(F&& f) const {
    for (const Key& k : order_) f(k, map_.at(k));
  }
  void Clear() {
    map_.clear();
    order_.clear();
  }

 private:
  std::size_t capacity_;
  std::unordered_map<Key, V, KeyHash> map_;
  std::deque<Key> order_;  // insertion order; same keys as map_
};

/// Tokens counted for one API message (clamped to the native maximum, so 32 bits hold them).
struct MessageEntry {
  std::uint32_t counted[4] = {};  ///< input, output, cache read, cache creation
  std::uint8_t flags = 0;
};
inline constexpr std::uint8_t kMessageEndedTurn = 1;  ///< its final stop_reason was seen
inline constexpr std::uint8_t kMessageApiError = 2;   ///< an API error line (counted once)

struct ToolEntry {
  std::uint64_t asked_ns = 0;  ///< timestamp of the line with the tool_use block
  std::string name;            ///< cut to the label limit
  bool done = false;           ///< its result was counted
};

struct FileKey {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const FileKey&) const = default;
};
struct FileKeyHash {
  std::size_t operator()(const FileKey& k) const {
    return static_cast<std::size_t>(k.ino * 0x9e3779b97f4a7c15ULL ^ k.dev);
  }
};

struct FileState {
  std::uint64_t last_used = 0;  ///< mapper tick of the last line; the lowest is evicted
  bool turn_open = false;
  std::uint64_t prompt_ns = 0;
  std::uint32_t steps = 0;
  std::uint32_t tool_calls = 0;
  bool request_open = false;  ///< an api-request line not yet answered
  std::uint64_t request_ns = 0;
  std::uint64_t last_user_ns = 0;
  std::string model;    ///< of the last API request or message, cut to the label limit
  std::string project;  ///< last path component of the last `cwd`, cut to the label limit
};

struct ClaudeState {
  ClaudeState(std::size_t max_messages, std::size_t max_tools, std::size_t max_files)
      : messages(max_messages), tools(max_tools), max_files(max_files == 0 ? 1 : max_files) {}

  FifoMap<MessageEntry> messages;
  FifoMap<ToolEntry> tools;
  std::unordered_map<FileKey, FileState, FileKeyHash> files;
  std::size_t max_files;
  std::uint64_t tick = 0;

  /// The state of `key`, created (evicting the least recently used file when full).
  FileState& File(FileKey key);
  std::size_t Entries() const { return messages.size() + tools.size() + files.size(); }

  /// Text without '\n': "claude_code/1 <tick>" then one token per entry, oldest first.
  std::string Save() const;
  /// Replaces this state with a saved one; on error nothing is changed.
  Status Load(std::string_view text);
};

}  // namespace agx::transcript::claude
