#pragma once
// Small text helpers of the hot paths. Pure; thread-safe.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace agx {

/// True when `line` holds only spaces, tabs and CRs (or nothing). Inline: the standard
/// find_first_not_of calls memchr once per character it looks at.
inline bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

namespace text_detail {
/// The first and the last sizeof(Word) bytes of x and y (n of them, sizeof(Word) <= n <=
/// 2 sizeof(Word)) are equal: two overlapping loads cover the whole.
template <class Word>
bool EdgesEqual(const char* x, const char* y, std::size_t n) {
  Word x0, x1, y0, y1;
  std::memcpy(&x0, x, sizeof(Word));
  std::memcpy(&y0, y, sizeof(Word));
  std::memcpy(&x1, x + n - sizeof(Word), sizeof(Word));
  std::memcpy(&y1, y + n - sizeof(Word), sizeof(Word));
  return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}
}  // namespace text_detail

/// `a == b` for the short words of the hot path (event types, statuses, outcomes): inline
/// loads instead of a call to memcmp.
inline bool EqualText(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8 && n <= 16) return text_detail::EdgesEqual<std::uint64_t>(x, y, n);
  if (n >= 4 && n < 8) return text_detail::EdgesEqual<std::uint32_t>(x, y, n);
  if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] != y[i]) return false;
    }
    return true;
  }
  return std::memcmp(x, y, n) == 0;
}

}  // namespace agx
