#pragma once
// DecodeBudget: what the decoded form of one OTLP request may hold, shared by the JSON and
// protobuf decoders. A request is refused as too large, before anything more is stored:
// - past DecodeLimits::max_items spans, log records or data points (of any kind; a decoder
//   counts the items of a scope or metric before it stores them, so a body of millions of
//   empty spans is refused having stored none of them);
// - when the other vectors of its model (resources, scopes, metrics, attributes) would take
//   more than kDecodedFactor times the body plus kDecodedSlackBytes: every element costs
//   tens of bytes and may come from 2 bytes of protobuf (an empty attribute or scope), so
//   without this bound a small body could still decode into gigabytes. Real exporters'
//   attributes take 1 to 3 times their protobuf size. The items themselves (about 200 bytes
//   a span) are bounded by their count instead: an item without attributes is small in
//   protobuf, and the limit on items is what a client is told to keep to.
// Vectors grow through Grow only, which reserves what the decoder counted (and at least
// doubles, so that repeated fields merged into one vector stay linear).
// Value type; one per decoded request, not synchronised.
#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "otlp/decode.h"

namespace agx::otlp {

class DecodeBudget {
 public:
  static constexpr std::size_t kDecodedFactor = 4;
  static constexpr std::size_t kDecodedSlackBytes = std::size_t{1} << 20;

  DecodeBudget(const DecodeLimits& limits, std::size_t body_bytes)
      : max_items_(limits.max_items),
        max_bytes_(kDecodedFactor * body_bytes + kDecodedSlackBytes) {}

  /// Counts `n` more items. \return false once past max_items (then error() says so).
  bool TakeItems(std::size_t n) {
    items_ += n;
    if (items_ <= max_items_) return true;
    if (error_.empty()) error_ = TooManyItems(max_items_);
    return false;
  }

  /// The message of a request over `max_items`.
  static std::string TooManyItems(std::size_t max_items) {
    return "OTLP request too large: more than " + std::to_string(max_items) +
           " items (otlp.max_items_per_request); send fewer items per request";
  }

  /// Makes room for `n` more elements in `v`, charging what its capacity grows by (items
  /// are counted by TakeItems instead). \return false, allocating nothing, when the decoded
  /// form would pass its bound.
  template <class T>
  bool Grow(std::vector<T>* v, std::size_t n) {
    const std::size_t need = v->size() + n;
    if (need <= v->capacity()) return true;
    const std::size_t capacity = std::max(need, 2 * v->capacity());
    constexpr bool kItem = std::is_same_v<T, Span> || std::is_same_v<T, LogRecord> ||
                           std::is_same_v<T, NumberPoint>;
    if (!kItem && !Charge((capacity - v->capacity()) * sizeof(T))) return false;
    v->reserve(capacity);
    return true;
  }

  /// Why the budget refused; empty while it has not.
  const std::string& error() const { return error_; }

 private:
  bool Charge(std::size_t bytes) {
    bytes_ += bytes;
    if (bytes_ <= max_bytes_) return true;
    if (error_.empty()) {
      error_ = "OTLP request too large: decoded it would take more than " +
               std::to_string(max_bytes_) + " bytes (" + std::to_string(kDecodedFactor) +
               " times its size + 1 MiB); send fewer items per request";
    }
    return false;
  }

  std::size_t max_items_;
  std::size_t max_bytes_;
  std::size_t items_ = 0;
  std::size_t bytes_ = 0;
  std::string error_;
};

}  // namespace agx::otlp
