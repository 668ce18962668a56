#pragma once
// CodexLine: what the Codex mapper reads from one line of a Codex CLI session transcript
// (`{"timestamp":…,"type":…,"payload":{…}}`, docs/transcripts.md "Codex CLI"), extracted in
// one pass with simdjson On-Demand. Only the fields the mapper uses are read; everything else
// (instructions, message texts, tool arguments, histories) is skipped without a copy.
//
// Strings are views into the parser's buffers, valid until the next Parse. Free text that may
// be large (tool outputs) is never unescaped: only its first and last bytes, as written in
// the line, are kept (`output_head`, `output_tail`) for the failure markers.
//
// Not thread-safe: one CodexLineParser per mapper, used under the pipeline lock.
#include <cstdint>
#include <memory>
#include <string_view>

namespace agx::transcript::codex {

/// A Codex TokenUsage object. `present` is false when the object was absent (or null).
struct Usage {
  bool present = false;
  std::uint64_t input = 0;        ///< input_tokens: includes cached and cache-write tokens
  std::uint64_t cached = 0;       ///< cached_input_tokens
  std::uint64_t cache_write = 0;  ///< cache_write_input_tokens (newer versions)
  std::uint64_t output = 0;       ///< output_tokens: includes reasoning tokens
  std::uint64_t reasoning = 0;    ///< reasoning_output_tokens (informational)
  std::uint64_t total = 0;        ///< total_tokens; input + output when absent

  bool operator==(const Usage& o) const {
    return input == o.input && cached == o.cached && cache_write == o.cache_write &&
           output == o.output && reasoning == o.reasoning && total == o.total;
  }
};

/// Why a line could not be read. kNone: `CodexLine` is filled.
enum class LineError : std::uint8_t { kNone, kNotJsonObject, kWrongType, kTooLarge };

enum class LineType : std::uint8_t {
  kUnknown,
  kSessionMeta,
  kTurnContext,
  kEventMsg,
  kResponseItem,
  kTokenUsageRecord,
  kCompacted,
  kIgnored,  ///< a known line type that carries nothing (world_state, ...)
};

struct CodexLine {
  LineType type = LineType::kUnknown;
  std::string_view type_name;     ///< the line's `type` as written (for unknown types)
  bool has_timestamp = false;
  std::uint64_t ts_ns = 0;        ///< 0: absent or not RFC 3339
  bool compaction_output = false; ///< metadata.compaction_output: replayed history

  // payload
  bool payload_object = false;    ///< payload is a JSON object
  /// A payload field the mapper reads has the wrong type (kWrongType) or a count is too
  /// large (kTooLarge): the line is invalid if its type is known (an unknown line type is
  /// dropped as unknown_type whatever its payload).
  LineError payload_error{};
  std::string_view payload_type;  ///< payload.type (event_msg, response_item)
  std::string_view model;         ///< payload.model, or payload.info.model
  std::string_view cwd;           ///< payload.cwd
  std::string_view role;          ///< payload.role (messages)
  std::string_view name;          ///< payload.name (tool calls)
  std::string_view call_id;       ///< payload.call_id
  std::string_view status;        ///< payload.status (tool calls, web searches)
  std::string_view response_id;   ///< payload.response_id, compacted's record's one
  bool has_info = false;          ///< token_count: payload.info is an object
  Usage total;                    ///< info.total_token_usage, thread_token_usage
  Usage last;                     ///< info.last_token_usage, usage
  bool has_error = false;         ///< task_complete: payload.error is set (not null)
  std::string_view error_kind;    ///< error.codex_error_info (string, or its object's key)
  bool has_duration = false;
  double duration_ms = 0;         ///< payload.duration_ms (task_complete, turn_aborted)
  // item_completed
  std::string_view item_id;
  std::string_view item_status;
  // tool outputs: first and last bytes of the output text (raw, escapes not decoded)
  bool has_output = false;
  std::string_view output_head;
  std::string_view output_tail;
};


class CodexLineParser {
 public:
  CodexLineParser();
  ~CodexLineParser();
  CodexLineParser(const CodexLineParser&) = delete;
  CodexLineParser& operator=(const CodexLineParser&) = delete;

  /// Parses `line` into `*out` (reset first). kNotJsonObject: malformed JSON, invalid UTF-8,
  /// nesting deeper than kMaxDepth, not an object, trailing content. kWrongType: `type`,
  /// `timestamp`, `metadata` or its `compaction_output` has another JSON type (null is
  /// absent). Problems inside the payload go to out->payload_error (a string where a number
  /// is expected, a negative or fractional token count: kWrongType; a count above 2^53:
  /// kTooLarge).
  LineError Parse(std::string_view line, CodexLine* out);

  /// Nesting limit (objects and arrays, the line's object included). Codex lines nest about
  /// 10 levels; deeper lines are refused without recursion.
  static constexpr std::size_t kMaxDepth = 128;
  /// Bytes kept of each end of a tool output (raw), enough for the status header Codex writes.
  static constexpr std::size_t kOutputEdgeBytes = 512;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx::transcript::codex
