#pragma once
// ClaudeLineParser: reads one line of a Claude Code session transcript into a ClaudeLine,
// the few fields the mapper needs (claude_code_mapper.h), in one pass of simdjson On-Demand.
// The only simdjson user of the Claude Code mapper.
//
// Lines of 30-110 KB are common (tool results, images, request blobs): they are copied once
// into a reused padded buffer and everything the mapper does not need is skipped, never
// decoded or copied. String views in a ClaudeLine point into the parser and are valid until
// the next Parse. Nothing is allocated per line once the buffers have grown.
// Not synchronised: one parser per mapper.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace agx::transcript::claude {

/// A 128-bit hash of an id (message id, tool_use id, line uuid): what the mapper remembers
/// instead of the id itself. `domain` keeps ids of different kinds apart.
struct Key {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const { return static_cast<std::size_t>(k.lo); }
};
enum class KeyDomain : std::uint8_t { kMessage = 1, kTool = 2, kLineUuid = 3 };
Key HashKey(std::string_view id, KeyDomain domain);

enum class LineType : std::uint8_t {
  kUser,
  kAssistant,
  kSystem,
  kApiRequest,  ///< "api-request": one per API attempt (2.1.x), with the attempt's model
  kKnownOther,  ///< a known type that carries nothing counted
  kUnknown,
};

struct ToolUse {
  Key id;
  std::string_view name;  ///< whole name as written; the mapper cuts it
};
struct ToolResult {
  Key id;
  bool is_error = false;  ///< `is_error: true`; absent, null or false is a success
};

/// Token fields of `message.usage`; -1 when absent or null.
struct Usage {
  double input = -1;
  double output = -1;
  double cache_read = -1;
  double cache_creation = -1;
};

struct ClaudeLine {
  LineType type = LineType::kUnknown;
  std::uint64_t ts_ns = 0;  ///< `timestamp`; 0 when absent or not RFC 3339
  std::string_view cwd;
  std::string_view uuid;
  bool is_sidechain = false;
  bool is_meta = false;
  bool is_compact_summary = false;
  bool is_api_error = false;         ///< isApiErrorMessage
  bool has_api_error_status = false;  ///< apiErrorStatus is a number: an HTTP answer came
  bool from_system = false;           ///< promptSource "system" or turnOrigin "task_notification"
  bool api_error_subtype = false;     ///< system line with subtype "api_error"
  std::string_view request_model;     ///< api-request: params.model

  // message
  bool has_message = false;
  std::string_view message_id;
  std::string_view model;
  std::string_view stop_reason;  ///< empty when absent or not a string
  bool has_usage = false;
  Usage usage;
  bool content_is_string = false;
  bool has_text = false;               ///< a string content or a text block
  std::string_view first_text;         ///< the string content or the first text block
  std::vector<ToolUse> tool_uses;      ///< reused between lines
  std::vector<ToolResult> tool_results;
  std::size_t other_blocks = 0;        ///< blocks that are neither text nor tool_result
};

class ClaudeLineParser {
 public:
  ClaudeLineParser();
  ~ClaudeLineParser();
  ClaudeLineParser(const ClaudeLineParser&) = delete;
  ClaudeLineParser& operator=(const ClaudeLineParser&) = delete;

  /// Parses `line` into `*out` (reset first).
  /// \return false when the line is not a JSON object (malformed JSON, invalid UTF-8,
  /// trailing content) or a field the mapper needs has the wrong JSON type.
  bool Parse(std::string_view line, ClaudeLine* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx::transcript::claude
