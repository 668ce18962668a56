// Duration, size, listen address and path syntax.
#include "config/scalar_syntax.h"

#include <charconv>
#include <cstdint>
#include <limits>

#include "common/utf8.h"
#include "config/config.h"

namespace agx {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of decimal digits at `*s` into `*out`; false on no digits or overflow.
bool ReadUnsigned(std::string_view* s, std::uint64_t* out) {
  std::size_t n = 0;
  while (n < s->size() && IsDigit((*s)[n])) ++n;
  if (n == 0) return false;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + n, *out);
  if (ec != std::errc() || ptr != s->data() + n) return false;
  s->remove_prefix(n);
  return true;
}

// Multiplies with overflow detection.
bool MulAdd(std::uint64_t a, std::uint64_t b, std::uint64_t* acc) {
  if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return false;
  const std::uint64_t p = a * b;
  if (*acc > std::numeric_limits<std::uint64_t>::max() - p) return false;
  *acc += p;
  return true;
}

}  // namespace

bool ParseDuration(std::string_view s, std::chrono::milliseconds* out) {
  // Prometheus syntax: units y, w, d, h, m, s, ms, each at most once and in this order
  // (`1h30m`, not `30m1h`); a bare "0" is zero.
  struct Unit {
    std::string_view name;
    std::uint64_t ms;
  };
  static constexpr Unit kUnits[] = {
      {"y", 365ULL * 24 * 3600 * 1000},
      {"w", 7ULL * 24 * 3600 * 1000},
      {"d", 24ULL * 3600 * 1000},
      {"h", 3600ULL * 1000},
      {"m", 60ULL * 1000},
      {"s", 1000},
      {"ms", 1},
  };
  if (s == "0") {
    *out = std::chrono::milliseconds(0);
    return true;
  }
  if (s.empty()) return false;
  std::uint64_t total = 0;
  std::size_t next_unit = 0;  // units must appear in decreasing order
  while (!s.empty()) {
    std::uint64_t n = 0;
    if (!ReadUnsigned(&s, &n)) return false;
    std::size_t len = 0;
    while (len < s.size() && !IsDigit(s[len])) ++len;
    const std::string_view unit = s.substr(0, len);
    s.remove_prefix(len);
    std::size_t i = next_unit;
    while (i < std::size(kUnits) && kUnits[i].name != unit) ++i;
    if (i == std::size(kUnits)) return false;  // unknown, repeated or out of order
    if (!MulAdd(n, kUnits[i].ms, &total)) return false;
    next_unit = i + 1;
  }
  if (total >
      static_cast<std::uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max())) {
    return false;
  }
  *out = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(total));
  return true;
}

bool ParseSize(std::string_view s, std::size_t* out) {
  struct Unit {
    std::string_view name;
    std::uint64_t bytes;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
  };
  std::uint64_t n = 0;
  if (!ReadUnsigned(&s, &n)) return false;
  for (const Unit& u : kUnits) {
    if (u.name != s) continue;
    std::uint64_t total = 0;
    if (!MulAdd(n, u.bytes, &total)) return false;
    if (total > std::numeric_limits<std::size_t>::max()) return false;
    *out = static_cast<std::size_t>(total);
    return true;
  }
  return false;
}

namespace config_detail {

std::string CheckListenAddress(std::string_view address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return "want HOST:PORT or :PORT";
  const std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  std::uint64_t port_number = 0;
  if (port.empty() || port.size() > 5 || !ReadUnsigned(&port, &port_number) || !port.empty()) {
    return "port must be a number 0..65535";
  }
  if (port_number > 65535) return "port must be a number 0..65535";
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return "IPv6 host must look like [::1]";
    for (char c : host.substr(1, host.size() - 2)) {
      const bool ok =
          IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) return "IPv6 host must look like [::1]";
    }
    return "";
  }
  for (char c : host) {
    if (c == ':') return "an IPv6 host needs brackets, e.g. [::1]:9478";
    const bool ok = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) return "host may only hold letters, digits, '.', '-' and '_'";
  }
  return "";
}

std::string CheckHttpPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must start with '/'";
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '?' || c == '#' || c == 0x7f) {
      return "must not contain whitespace, control characters, '?' or '#'";
    }
  }
  return "";
}

constexpr std::size_t kQuoteMax = 60;  // longest user text shown in a message

std::string Sanitize(std::string_view s) {
  const bool valid = IsValidUtf8(s);
  std::string_view cut = valid ? TruncateUtf8(s, kQuoteMax) : s.substr(0, kQuoteMax);
  std::string out;
  for (unsigned char c : cut) {
    if (c < 0x20 || c == 0x7f || (!valid && c >= 0x80)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut.size() < s.size()) out += "...";
  return out;
}

std::string Quoted(std::string_view s) { return "\"" + Sanitize(s) + "\""; }

}  // namespace config_detail
}  // namespace agx
