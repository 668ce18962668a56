#pragma once
// EventParser: one native JSON line -> AgentEvent. Lines that are a flat object of plain
// members (every real event) are scanned in one pass (flat_json.h); all others are parsed
// with simdjson On-Demand, which then decides. The only file that includes simdjson.
// Confined to one thread (one parser per thread); allocation-free once its buffers have
// grown to the longest line seen.
#include <memory>
#include <string>
#include <string_view>

#include "ingest/agent_event.h"
#include "ingest/reject_reason.h"

namespace agx {

struct ParseError {
  RejectReason reason = RejectReason::kNone;
  /// Human-readable detail, e.g. "missing field \"tool_name\"". Points to static storage or
  /// to the parser's own buffer: valid until the next Parse call.
  std::string_view detail;
};

class EventParser {
 public:
  /// `fast_path` false parses every line with simdjson (tests and the differential fuzz
  /// target compare both).
  explicit EventParser(std::size_t max_line_bytes = 1 << 20, bool fast_path = true);
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  /// Nesting accepted, in levels of objects and arrays with the line's object as level 1
  /// (ignored fields included); deeper is invalid_json. Clamped to 1..kMaxDepthLimit.
  void set_max_depth(int levels);
  static constexpr int kDefaultMaxDepth = 64;
  static constexpr int kMaxDepthLimit = 1000;  ///< simdjson's own limit is 1024

  /// Parses one line (without its trailing newline; a trailing '\r' is tolerated).
  /// On success fills `*out` and returns reason kNone. Its views point into `line` or into
  /// this parser's buffers: valid while `line` is and until the next Parse call.
  ParseError Parse(std::string_view line, AgentEvent* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
