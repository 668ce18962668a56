#pragma once
// Helpers of the event parser's fast path (EventParser::Impl::ScanFlat).
//
// The contract of the fast path: real event lines are one flat JSON object of plain
// members (keys and string values without escapes, non-negative decimal numbers without
// exponent, true/false/null). Such a line is read in one pass, without simdjson's tape or
// On-Demand iterator, straight into the event when it is a valid one. Every other line (an
// escape, a nested value, an exponent, a sign, trailing content, a syntax error, invalid
// UTF-8, and any event the type's rules refuse) makes the scan give up, and simdjson
// parses it and decides, so errors and odd-but-valid input keep a single definition. The
// scan accepts only lines simdjson accepts too, with the same values: the parser tests run
// on both paths, tests/ingest/parser_paths_test.cc and fuzz/fuzz_event_parser.cc compare
// them line by line. Pure and thread-safe.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace agx::flat_json {

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Index of the first '"', '\\' or control character (< 0x20) at or after `i`, or
/// `s.size()` when there is none. 16 bytes a step with SSE2 (part of x86-64), never
/// reading past `s`. Sets `*non_ascii` when a byte >= 0x80 was seen on the way (possibly
/// just past the stop): only then does the line need a UTF-8 check.
inline std::size_t FindStringStop(std::string_view s, std::size_t i, bool* non_ascii) {
  const char* const p = s.data();
  const std::size_t n = s.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control_max = _mm_set1_epi8(0x1f);
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (_mm_movemask_epi8(x) != 0) *non_ascii = true;
    // Unsigned x <= 0x1f: max(x, 0x1f) == 0x1f.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, control_max), control_max);
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)), control);
    if (const int mask = _mm_movemask_epi8(stop); mask != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '"' || c == '\\' || c < 0x20) return i;
    if (c >= 0x80) *non_ascii = true;
  }
  return n;
}

/// 10^0 .. 10^15: the digits a plain number may have (ScanDigits, the parser's whole test).
inline constexpr std::uint64_t kPow10Int[] = {1ULL,
                                              10ULL,
                                              100ULL,
                                              1000ULL,
                                              10000ULL,
                                              100000ULL,
                                              1000000ULL,
                                              10000000ULL,
                                              100000000ULL,
                                              1000000000ULL,
                                              10000000000ULL,
                                              100000000000ULL,
                                              1000000000000ULL,
                                              10000000000000ULL,
                                              100000000000000ULL,
                                              1000000000000000ULL};

/// The leading ASCII digits of the 8 bytes at `p` (all 8 must be readable): their count
/// (0 to 8) and, in `*value`, their value. Branch-free (SWAR), so the end of a number costs
/// no mispredicted loop exit. Little-endian loads: the first byte is the top digit.
inline int EightDigits(const char* p, std::uint64_t* value) {
  static_assert(std::endian::native == std::endian::little, "SWAR digits need little-endian");
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  // A byte b is a digit iff b - '0' and b + 0x46 both keep their top bit clear. Borrows and
  // carries only move upwards, and digit bytes cause none, so the lowest flagged byte is
  // exactly the first non-digit (later bytes may be flagged wrongly; they are never used).
  const std::uint64_t flagged =
      ((w - 0x3030303030303030ULL) | (w + 0x4646464646464646ULL)) & 0x8080808080808080ULL;
  const int n = flagged == 0 ? 8 : std::countr_zero(flagged) / 8;
  if (n == 0) {
    *value = 0;
    return 0;
  }
  // Keep the n digits as the high bytes (zero bytes above act as leading zeros), then
  // combine pairs, quads and octets (simdjson's parse_eight_digits_unrolled).
  std::uint64_t d = (w & 0x0F0F0F0F0F0F0F0FULL) << (8 * (8 - n));
  d = d * 10 + (d >> 8);
  d = (((d & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((d >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  *value = d;
  return n;
}

/// Reads the digits at `p` (up to `end`), accumulating them into `*m` (which may wrap once
/// more than 19 digits were read: callers refuse long numbers by `*count`) and `*count`.
/// \return the first byte after the digits.
inline const char* ScanDigits(const char* p, const char* end, std::uint64_t* m, int* count) {
  while (end - p >= 8) {
    std::uint64_t v;
    const int n = EightDigits(p, &v);
    *m = *m * kPow10Int[n] + v;
    *count += n;
    p += n;
    if (n < 8) return p;
  }
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++*count) {
    *m = *m * 10 + static_cast<unsigned>(*p - '0');
  }
  return p;
}

}  // namespace agx::flat_json
