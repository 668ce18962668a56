#include "common/number_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace agx {

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out->append(buf, end);
}

void AppendCanonical(std::string* out, double v) {
  if (std::isnan(v) || std::isinf(v)) {
    AppendValue(out, v);
    return;
  }
  char buf[40];
  // Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that round-trip, printed
  // in exponent form when the exponent is < -4 or >= 6 (Go fixes eprec = 6 when shortest).
  int prec = 1;
  for (; prec < 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
  int exp = std::atoi(std::strchr(buf, 'e') + 1);
  int n;
  if (exp < -4 || exp >= 6) {
    n = std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
  } else {
    int decimals = prec - 1 - exp;
    n = std::snprintf(buf, sizeof buf, "%.*f", decimals < 0 ? 0 : decimals, v);
  }
  out->append(buf, static_cast<std::size_t>(n));
  if (!std::memchr(buf, '.', n) && !std::memchr(buf, 'e', n)) out->append(".0");
}

void AppendTimestamp(std::string* out, double seconds) {
  // to_chars in fixed notation is ~4x faster than snprintf("%.3f") and gives the same text;
  // this runs once per exemplar on every scrape.
  char buf[48];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, seconds, std::chars_format::fixed, 3);
  if (ec != std::errc()) {
    out->append("0.000");
    return;
  }
  out->append(buf, end);
}

}  // namespace agx
