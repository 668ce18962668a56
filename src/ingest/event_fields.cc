#include "ingest/event_fields.h"

#include <array>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace agx::detail {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned DaysInMonth(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

bool ParseRfc3339(std::string_view s, double* out) {
  std::size_t i = 0;
  auto num = [&](std::size_t width, int* v) {
    if (s.size() - i < width) return false;
    *v = 0;
    for (std::size_t k = 0; k < width; ++k, ++i) {
      if (!IsDigit(s[i])) return false;
      *v = *v * 10 + (s[i] - '0');
    }
    return true;
  };
  auto lit = [&](std::string_view chars) {
    if (i >= s.size() || chars.find(s[i]) == std::string_view::npos) return false;
    ++i;
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!num(4, &y) || !lit("-") || !num(2, &mo) || !lit("-") || !num(2, &d) || !lit("Tt ") ||
      !num(2, &h) || !lit(":") || !num(2, &mi) || !lit(":") || !num(2, &sec)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > DaysInMonth(y, mo) || h > 23 ||
      mi > 59 || sec > 60) {
    return false;
  }
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    double scale = 0.1;
    for (; i < s.size() && IsDigit(s[i]); ++i, scale /= 10) frac += (s[i] - '0') * scale;
    if (i == start) return false;
  }
  int offset = 0;
  if (!lit("Zz")) {
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
    const int sign = s[i++] == '-' ? -1 : 1;
    int oh, om;
    if (!num(2, &oh) || !lit(":") || !num(2, &om) || oh > 23 || om > 59) return false;
    offset = sign * (oh * 3600 + om * 60);
  }
  if (i != s.size()) return false;
  const std::int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  if (secs < 0) return false;
  *out = static_cast<double>(secs) + frac;
  return true;
}

namespace {

// Lower-case hex digit for each byte, 0 for bytes that are not hex digits.
constexpr std::array<char, 256> MakeHexTable() {
  std::array<char, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c - 'A' + 'a');
  return t;
}
constexpr std::array<char, 256> kHexLower = MakeHexTable();

}  // namespace

bool NormalizeHexId(std::string_view s, std::size_t want, char* buf) {
  if (s.size() != want) return false;
#if defined(__SSE2__)
  // Trace and span ids are 32 and 16 digits: 16 at a time. Digits already have bit 0x20
  // set, so `x | 0x20` lower-cases letters and leaves digits as they are.
  if (want % 16 == 0) {
    bool valid = true;
    bool any = false;
    for (std::size_t i = 0; i < want; i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
      const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
      const __m128i l = _mm_sub_epi8(lower, _mm_set1_epi8('a'));
      // Unsigned d <= 9 and l <= 5, as min(v, k) == v.
      const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
      const __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
      valid &= _mm_movemask_epi8(_mm_or_si128(digit, letter)) == 0xffff;
      any |= _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0'))) != 0xffff;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(buf + i), lower);
    }
    return valid && any;
  }
#endif
  // Branch-free over the id (every event carries two): one table lookup per digit.
  char bad = 0;
  char any = 0;
  for (std::size_t i = 0; i < want; ++i) {
    const char c = kHexLower[static_cast<unsigned char>(s[i])];
    bad |= static_cast<char>(c == 0);
    any |= static_cast<char>(c ^ '0');
    buf[i] = c;
  }
  return bad == 0 && any != 0;
}

}  // namespace agx::detail
