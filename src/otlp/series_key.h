#pragma once
// SeriesKey: the identity of a cumulative metric series (its metric, its resource's and its
// point's attributes) as a fixed-size 128-bit digest, so that the mapper's cumulative state
// takes the same few bytes per series however long the attributes are (the series itself
// may carry megabytes of attributes). The digest is FNV-1a 128 over a canonical encoding:
// attributes sorted by key (duplicates in their order), each key and value length-prefixed
// and tagged with its kind, so that no two distinct series encode alike; accidental
// collisions among 2^17 series (the state's bound) have a probability near 2^-94. A client
// that crafted a collision could only disturb its own or another series' deltas, which it
// can do anyway by sending points for that series.
// Pure functions; thread-safe.
#include <compare>
#include <cstdint>
#include <string_view>

#include "otlp/otlp_model.h"

namespace agx::otlp {

struct SeriesKey {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  auto operator<=>(const SeriesKey&) const = default;
};

/// The digest of a resource's attributes, computed once per resource (a long resource
/// attribute is then hashed once per request, not once per point).
SeriesKey ResourceDigest(const Attributes& resource);

/// The key of the series of `metric` with data point attributes `point` under a resource
/// whose digest is `resource`.
SeriesKey MakeSeriesKey(std::string_view metric, const SeriesKey& resource,
                        const Attributes& point);

}  // namespace agx::otlp
