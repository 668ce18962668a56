#pragma once
// EventParser: one native JSON line -> AgentEvent, with simdjson On-Demand.
// The only file that includes simdjson. Confined to one thread (one parser per thread);
// allocation-free once its buffers have grown to the longest line seen.
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
  explicit EventParser(std::size_t max_line_bytes = 1 << 20);
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  /// Parses one line (without its trailing newline; a trailing '\r' is tolerated).
  /// On success fills `*out` (views into this parser's buffer) and returns reason kNone.
  ParseError Parse(std::string_view line, AgentEvent* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
