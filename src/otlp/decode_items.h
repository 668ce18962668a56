#pragma once
// Marking decoded items, shared by the JSON and protobuf decoders so that both mark the
// same items the same way: an item keeps its first error (ItemError), an item over
// DecodeLimits::max_attributes is kTooManyAttributes (a metric through its points), and an
// id is absent when empty or all zeros. Pure functions on the request's model; the model
// is owned by one decoding thread.
#include <cstddef>
#include <string_view>

#include "otlp/otlp_model.h"

namespace agx::otlp::decode_detail {

/// Keeps the first error of an item.
inline void SetError(ItemError* error, ItemError e) {
  if (*error == ItemError::kNone) *error = e;
}

inline void MarkTooMany(Span* s) { SetError(&s->error, ItemError::kTooManyAttributes); }
inline void MarkTooMany(LogRecord* r) { SetError(&r->error, ItemError::kTooManyAttributes); }
inline void MarkTooMany(Metric* m) {
  for (auto& p : m->points) SetError(&p.error, ItemError::kTooManyAttributes);
}

/// Every item of a resource whose own attributes were too many.
template <class Item>
void MarkAllTooMany(ResourceItems<Item>* resource) {
  for (auto& s : resource->scopes) {
    for (auto& item : s.items) MarkTooMany(&item);
  }
}

/// Sets `id` from a hex string (OTLP JSON; either case): "" or all zeros is absent; a wrong
/// length or a non-hex character marks the item kInvalidId.
template <std::size_t kHexLen>
void SetIdFromHex(std::string_view hex, HexId<kHexLen>* id, ItemError* error) {
  id->present = false;
  if (hex.empty()) return;
  if (hex.size() != kHexLen) {
    SetError(error, ItemError::kInvalidId);
    return;
  }
  bool nonzero = false;
  for (std::size_t i = 0; i < kHexLen; ++i) {
    const char c = hex[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) {
      SetError(error, ItemError::kInvalidId);
      return;
    }
    nonzero |= d != 0;
    id->hex[i] = "0123456789abcdef"[d];
  }
  id->present = nonzero;
}

/// Sets `id` from the raw bytes of a trace or span id (OTLP protobuf): empty or all-zero
/// is absent, a length other than kHexLen / 2 marks the item kInvalidId.
template <std::size_t kHexLen>
void SetIdFromBytes(std::string_view bytes, HexId<kHexLen>* id, ItemError* error) {
  static constexpr char kHex[] = "0123456789abcdef";
  id->present = false;
  if (bytes.empty()) return;
  if (bytes.size() != kHexLen / 2) {
    SetError(error, ItemError::kInvalidId);
    return;
  }
  unsigned char any = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    any |= b;
    id->hex[2 * i] = kHex[b >> 4];
    id->hex[2 * i + 1] = kHex[b & 0xF];
  }
  id->present = any != 0;
}

}  // namespace agx::otlp::decode_detail
