#include "http/framing.h"

#include <cctype>
#include <cstdint>
#include <optional>

namespace agx::http_internal {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT (RFC 9110 §8.6), at most 18 digits so that it fits in int64 like civetweb's.
std::optional<std::uint64_t> ParseLength(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::string_view AmbiguousFraming(std::span<const HeaderView> headers,
                                  std::string_view http_version) {
  bool has_length = false;
  std::uint64_t length = 0;
  int transfer_encodings = 0;
  bool chunked = false;
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "content-length")) {
      // A field may also be a list ("5, 5"): every member must be the same number.
      std::string_view rest = value;
      do {
        const std::size_t comma = rest.find(',');
        const auto n = ParseLength(TrimOws(rest.substr(0, comma)));
        if (!n) return "Content-Length is not a decimal number";
        if (has_length && *n != length) return "conflicting Content-Length values";
        has_length = true;
        length = *n;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (comma != std::string_view::npos && rest.empty()) {
          return "Content-Length is not a decimal number";  // "5,"
        }
      } while (!rest.empty());
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      ++transfer_encodings;
      chunked = EqualsIgnoreCase(TrimOws(value), "chunked");
    }
  }
  if (transfer_encodings == 0) return "";
  if (has_length) return "Content-Length together with Transfer-Encoding";
  if (http_version == "1.0") return "Transfer-Encoding in an HTTP/1.0 request";
  if (transfer_encodings > 1 || !chunked) return "Transfer-Encoding other than one chunked";
  return "";
}

}  // namespace agx::http_internal
