#include "ingest/native_line.h"

#include <charconv>
#include <cmath>

namespace agx {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

void AppendUint(std::string* out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes hold any uint64
  out->append(buf, end);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    out->push_back('\\');
    switch (c) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\b':
        out->push_back('b');
        break;
      case '\f':
        out->push_back('f');
        break;
      case '\n':
        out->push_back('n');
        break;
      case '\r':
        out->push_back('r');
        break;
      case '\t':
        out->push_back('t');
        break;
      default:
        out->append("u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
        break;
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJsonNumber(std::string* out, double v) {
  if (std::fabs(v) <= kMaxExactInteger && v == std::trunc(v)) {
    // -0.0 prints as 0: counts are never negative.
    if (v < 0) out->push_back('-');
    AppendUint(out, static_cast<std::uint64_t>(std::fabs(v)));
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
  if (ec != std::errc()) {
    out->push_back('0');  // unreachable for finite doubles: 40 bytes hold any of them
    return;
  }
  out->append(buf, end);
}

void AppendUnixSeconds(std::string* out, std::uint64_t ns) {
  AppendUint(out, ns / 1000000000u);
  std::uint64_t micros = ns % 1000000000u / 1000u;
  if (micros == 0) return;
  char frac[7] = {'.', '0', '0', '0', '0', '0', '0'};
  int len = 7;
  for (int i = 6; i >= 1; --i) {
    frac[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  while (frac[len - 1] == '0') --len;
  out->append(frac, static_cast<std::size_t>(len));
}

NativeLine::NativeLine(std::string* out, std::string_view type) : out_(out) {
  out_->append("{\"type\":");
  AppendJsonString(out_, type);
}

void NativeLine::Key(std::string_view key) {
  out_->push_back(',');
  AppendJsonString(out_, key);
  out_->push_back(':');
}

NativeLine& NativeLine::Str(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(out_, value);
  return *this;
}

NativeLine& NativeLine::Num(std::string_view key, double v) {
  Key(key);
  AppendJsonNumber(out_, v);
  return *this;
}

NativeLine& NativeLine::Time(std::string_view key, std::uint64_t ns) {
  if (ns == 0) return *this;
  Key(key);
  AppendUnixSeconds(out_, ns);
  return *this;
}

void NativeLine::End() { out_->append("}\n"); }

}  // namespace agx
