#pragma once
// ValidateJsonValue: checks that a JSON object or array (raw text, as simdjson's raw_json()
// returns it) is well formed, without recursion. The event parser walks every ignored value
// so that malformed JSON anywhere rejects the line; a recursive walk takes a stack frame per
// level, and civetweb's worker threads have small stacks (a few KB a frame under
// AddressSanitizer overflowed them at 28 levels), so nesting is tracked in a bit stack.
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
