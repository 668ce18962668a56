#pragma once
// CountJsonItems: the items (spans, log records, data points of every kind) of an OTLP JSON
// export request, counted in one pass over its bytes, without parsing it into a document
// and without allocating. DecodeJson runs it before simdjson indexes a large body, so that a
// body of millions of items is refused (413) before the index, which takes about 16 bytes
// for every 3-byte `{},`, is built.
//
// The count is the decoder's (decode_budget.h): elements of `spans` / `logRecords` arrays
// and of `dataPoints` arrays of every metric kind, at the paths the decoder reads them
// (resourceX[].scopeX[].items[], then .gauge/.sum/….dataPoints[]), duplicate keys included;
// keys are compared after their escapes are decoded ("sp\u0061ns" is `spans`). On malformed
// input (which the decoder refuses anyway) it counts what it met, never less than the valid
// prefix holds. Nesting is tracked without recursion and without bound.
// Pure function; thread-safe.
#include <cstddef>
#include <optional>
#include <string_view>

#include "otlp/otlp_model.h"

namespace agx::otlp {

/// The items of the request `body` of `signal`; without a signal (DecodeJsonAnySignal),
/// those of every signal's top-level key together.
std::size_t CountJsonItems(std::string_view body, std::optional<Signal> signal);

}  // namespace agx::otlp
