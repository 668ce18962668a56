#pragma once
// Splits a POST /v1/events body into event lines: NDJSON (one object per line; blank lines
// skipped) or a JSON array of objects (each element becomes one line). The content type
// decides which: an NDJSON body is always lines, even when a line is an array, so one bad
// line never hides the valid ones beside it. Pure; thread-safe.
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace agx {

enum class PushBodyFormat {
  kNdjson,  ///< application/x-ndjson and the other line formats: always lines
  kJson,    ///< application/json: a JSON array of events when it starts with '[', else lines
};

/// Fills `lines` with views into `body`: its lines (NDJSON) or the raw text of each element
/// (a JSON array), found without recursion however deep the nesting; each element is then
/// checked by the event parser like a line, so a bad element is rejected alone. Fails only
/// when a kJson body that starts with '[' is not an array (cut short, no comma, content
/// after it). `storage` is kept for callers and left empty.
/// For NDJSON, `line_numbers` (optional) receives each kept line's 1-based line number in
/// the body, so errors can name the real line although blank lines are dropped; for a JSON
/// array it is left empty (errors count elements).
/// A body of more than `max_events` lines or elements (ingest.max_events_per_push) fails
/// as soon as the next one is found, so no more than `max_events` views are ever stored;
/// `*too_many` (optional) is set then (a 413, where the other failures are a 400).
Status SplitPushBody(std::string_view body, std::string* storage,
                     std::vector<std::string_view>* lines,
                     std::vector<std::size_t>* line_numbers = nullptr,
                     PushBodyFormat format = PushBodyFormat::kJson,
                     std::size_t max_events = std::numeric_limits<std::size_t>::max(),
                     bool* too_many = nullptr);

}  // namespace agx
