#pragma once
// Splits a POST /v1/events body into event lines: NDJSON (one object per line; blank lines
// skipped) or a JSON array of objects (each element becomes one line). The content type
// decides which: an NDJSON body is always lines, even when a line is an array, so one bad
// line never hides the valid ones beside it. Pure; thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace agx {

enum class PushBodyFormat {
  kNdjson,  ///< application/x-ndjson and the other line formats: always lines
  kJson,    ///< application/json: a JSON array of events when it starts with '[', else lines
};

/// Fills `lines` with views into `body` (NDJSON) or into `*storage` (JSON array, each
/// element re-serialized). Fails only when the body is a JSON array (kJson) that does not
/// parse.
/// For NDJSON, `line_numbers` (optional) receives each kept line's 1-based line number in
/// the body, so errors can name the real line although blank lines are dropped; for a JSON
/// array it is left empty (errors count elements).
Status SplitPushBody(std::string_view body, std::string* storage,
                     std::vector<std::string_view>* lines,
                     std::vector<std::size_t>* line_numbers = nullptr,
                     PushBodyFormat format = PushBodyFormat::kJson);

}  // namespace agx
