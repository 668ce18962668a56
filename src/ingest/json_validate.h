#pragma once
// ValidateJsonValue: checks that a JSON object or array (raw text, as simdjson's raw_json()
// returns it) is well formed, without recursion. The event parser walks every ignored value
// so that malformed JSON anywhere rejects the line (and the Codex transcript parser checks
// the whole line first), because simdjson On-Demand skips unread values unchecked.
//
// Why this exists rather than simdjson's own validation (re-checked for issue 18, after
// HTTP handlers moved to 8 MiB stacks, http/full_stack.h, which removed the first reason,
// civetweb's 100 KiB worker stacks):
// - simdjson's DOM parser (3.0.1, the one we build with) validates everything but with other
//   number rules: it rejects `[1e400]` and `[18446744073709551616]` ("Problem while parsing
//   a number"), while an out-of-range number in a field the parser ignores is accepted
//   (event_parser_test "huge number", tests/hardening/hostile_test.py's 1e400 lines); it
//   would also need a second parser and its tape per thread, sized for the longest line.
// - A recursive On-Demand walk would recurse once per level on whatever thread calls it (the
//   tailer's, replay's, a handler's), up to ingest.max_json_depth; here nesting is a bit stack.
//
// The rules are simdjson On-Demand's, as the parser applied them before: strings with valid
// escapes (\uXXXX, surrogates paired), numbers in JSON's grammar (out of range is fine: an
// ignored 1e400 does not reject a line), exact true/false/null; stage 1 has already checked
// UTF-8 and unescaped control characters. Pure; thread-safe; allocation-free.
#include <cstdint>
#include <string_view>

namespace agx::json_detail {

enum class JsonCheck : std::uint8_t { kOk, kBadString, kBadNumber, kBadLiteral, kTooDeep, kMalformed };

/// `text` starts with '{' or '['. That container sits at level `depth` (the parser passes 1
/// for a field's value, counting the line's own object as level 0 here), each container
/// inside it one more; a container at level `max_depth` or deeper is kTooDeep. Anything but
/// whitespace after the value is kMalformed.
JsonCheck ValidateJsonValue(std::string_view text, int depth, int max_depth);

/// RFC 8259 §6 number grammar (no surrounding spaces).
bool IsJsonNumberToken(std::string_view s);

}  // namespace agx::json_detail
