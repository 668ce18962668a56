#pragma once
// The JSON form of PersistedState (state.json). Doubles round-trip bit-exactly: finite values
// are JSON numbers in shortest round-trip form, NaN and ±Inf (not JSON) are the strings
// "NaN", "+Inf", "-Inf". Unsigned counts are JSON integers, exact to 2^64-1.
// Pure functions; thread-safe.
#include <string>
#include <string_view>

#include "common/result.h"
#include "state/state_store.h"

namespace agx::state_detail {

inline constexpr int kStateVersion = 1;

/// Checks the invariants Load relies on (label values match label names, histogram buckets
/// match bounds). \return an error naming the offending family and series.
Status ValidateState(const PersistedState& state);

/// Compact JSON (no indentation).
std::string StateToJson(const PersistedState& state);

/// Parses and validates; errors say what is wrong and where (a JSON path like
/// `metrics.families[2].series[0].value`).
Result<PersistedState> StateFromJson(std::string_view text);

}  // namespace agx::state_detail
