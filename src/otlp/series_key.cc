#include "otlp/series_key.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

namespace agx::otlp {
namespace {

// FNV-1a, 128 bits (prime 2^88 + 2^8 + 0x3b).
class Fnv128 {
 public:
  void Bytes(std::string_view s) {
    for (unsigned char c : s) h_ = (h_ ^ c) * kPrime;
  }
  void Byte(char c) { Bytes(std::string_view(&c, 1)); }
  void U64(std::uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    Bytes(std::string_view(b, 8));
  }
  /// Length-prefixed: no two sequences of strings hash the same bytes.
  void Sized(std::string_view s) {
    U64(s.size());
    Bytes(s);
  }
  SeriesKey digest() const {
    return {static_cast<std::uint64_t>(h_ >> 64), static_cast<std::uint64_t>(h_)};
  }

 private:
  static constexpr unsigned __int128 kPrime =
      (static_cast<unsigned __int128>(1) << 88) + (1u << 8) + 0x3b;
  unsigned __int128 h_ =
      (static_cast<unsigned __int128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
};

void Value(const AnyValue& v, Fnv128* h) {
  h->Byte(static_cast<char>('a' + static_cast<int>(v.kind)));
  switch (v.kind) {
    case ValueKind::kString:
      return h->Sized(v.str);
    case ValueKind::kBool:
      return h->Byte(v.b ? '1' : '0');
    case ValueKind::kInt:
      return h->U64(static_cast<std::uint64_t>(v.i));
    case ValueKind::kDouble: {
      char buf[40];  // the shortest form that reads back
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.d);
      return h->Sized(std::string_view(buf, ec == std::errc() ? end - buf : 0));
    }
    default:
      return;  // empty, bytes, array, kvlist: only their kind
  }
}

/// The attributes sorted by key (stable: duplicates keep their order), each hashed.
void HashAttributes(const Attributes& attrs, Fnv128* h) {
  std::vector<const Attribute*> sorted;
  sorted.reserve(attrs.size());
  for (const Attribute& a : attrs) sorted.push_back(&a);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Attribute* x, const Attribute* y) { return x->key < y->key; });
  h->U64(sorted.size());
  for (const Attribute* a : sorted) {
    h->Sized(a->key);
    Value(a->value, h);
  }
}

}  // namespace

SeriesKey ResourceDigest(const Attributes& resource) {
  Fnv128 h;
  HashAttributes(resource, &h);
  return h.digest();
}

SeriesKey MakeSeriesKey(std::string_view metric, const SeriesKey& resource,
                        const Attributes& point) {
  Fnv128 h;
  h.Sized(metric);
  h.U64(resource.hi);
  h.U64(resource.lo);
  HashAttributes(point, &h);
  return h.digest();
}

}  // namespace agx::otlp
