#pragma once
// Helpers of the event parser's fast path (EventParser::Impl::ScanFlat).
//
// The contract of the fast path: real event lines are one flat JSON object of plain
// members (keys and string values without escapes, non-negative decimal numbers without
// exponent, true/false/null). Such a line is read in one pass, without simdjson's tape or
// On-Demand iterator. Every other line (an escape, a nested value, an exponent, a sign,
// trailing content, a syntax error, invalid UTF-8) makes the scan give up, and simdjson
// parses it and decides, so errors and odd-but-valid input keep a single definition. The
// scan accepts only lines simdjson accepts too, with the same values: the parser tests run
// on both paths, tests/ingest/parser_paths_test.cc and fuzz/fuzz_event_parser.cc compare
// them line by line. Pure and thread-safe.
#include <cstddef>
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

}  // namespace agx::flat_json
