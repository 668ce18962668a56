#include "ingest/json_validate.h"

#include <bitset>
#include <cstddef>

namespace agx::json_detail {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Where a scalar token ends, as simdjson's stage 1 splits them: at whitespace or a
// structural character.
bool EndsToken(char c) {
  return IsSpace(c) || c == ',' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' ||
         c == '"';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Four hex digits at t[i..i+4) as a code unit, or -1.
int Hex4(std::string_view t, std::size_t i) {
  if (t.size() - i < 4) return -1;
  int v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const int h = HexValue(t[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/// At the opening quote; on success `*i` is just past the closing one.
bool ScanString(std::string_view t, std::size_t* i) {
  std::size_t p = *i + 1;
  while (p < t.size()) {
    const auto c = static_cast<unsigned char>(t[p]);
    if (c == '"') {
      *i = p + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c != '\\') {
      ++p;
      continue;
    }
    if (++p >= t.size()) return false;
    switch (t[p]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        ++p;
        break;
      case 'u': {
        const int cu = Hex4(t, p + 1);
        if (cu < 0 || (cu >= 0xdc00 && cu <= 0xdfff)) return false;  // lone low surrogate
        p += 5;
        if (cu >= 0xd800 && cu <= 0xdbff) {  // a high surrogate needs its low half
          if (t.size() - p < 2 || t[p] != '\\' || t[p + 1] != 'u') return false;
          const int low = Hex4(t, p + 2);
          if (low < 0xdc00 || low > 0xdfff) return false;
          p += 6;
        }
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

}  // namespace

bool IsJsonNumberToken(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto digits = [&] {
    const std::size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.' && (++i, !digits())) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

JsonCheck ValidateJsonValue(std::string_view t, int depth, int max_depth) {
  enum class Want { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose };
  std::bitset<1024> in_array;  // per open container: an array (else an object)
  int open = 0;
  std::size_t i = 0;
  const std::size_t n = t.size();
  Want want = Want::kValue;
  for (;;) {
    while (i < n && IsSpace(t[i])) ++i;
    if (open == 0 && want == Want::kCommaOrClose) return i == n ? JsonCheck::kOk : JsonCheck::kMalformed;
    if (i >= n) return JsonCheck::kMalformed;
    const char c = t[i];
    const bool close = (c == ']' && open > 0 && in_array[open - 1] &&
                        (want == Want::kValueOrClose || want == Want::kCommaOrClose)) ||
                       (c == '}' && open > 0 && !in_array[open - 1] &&
                        (want == Want::kKeyOrClose || want == Want::kCommaOrClose));
    if (close) {
      --open;
      ++i;
      want = Want::kCommaOrClose;
      continue;
    }
    switch (want) {
      case Want::kValue:
      case Want::kValueOrClose:
        if (c == '{' || c == '[') {
          if (depth + open >= max_depth) return JsonCheck::kTooDeep;
          if (open >= static_cast<int>(in_array.size())) return JsonCheck::kTooDeep;
          in_array[open++] = c == '[';
          ++i;
          want = c == '[' ? Want::kValueOrClose : Want::kKeyOrClose;
        } else if (c == '"') {
          if (!ScanString(t, &i)) return JsonCheck::kBadString;
          want = Want::kCommaOrClose;
        } else {
          std::size_t end = i;
          while (end < n && !EndsToken(t[end])) ++end;
          const std::string_view tok = t.substr(i, end - i);
          if (c == '-' || IsDigit(c)) {
            if (!IsJsonNumberToken(tok)) return JsonCheck::kBadNumber;
          } else if (c == 't' || c == 'f' || c == 'n') {
            if (tok != (c == 't' ? "true" : c == 'f' ? "false" : "null")) return JsonCheck::kBadLiteral;
          } else {
            return JsonCheck::kMalformed;
          }
          i = end;
          want = Want::kCommaOrClose;
        }
        break;
      case Want::kKey:
      case Want::kKeyOrClose:
        if (c != '"') return JsonCheck::kMalformed;
        if (!ScanString(t, &i)) return JsonCheck::kBadString;
        want = Want::kColon;
        break;
      case Want::kColon:
        if (c != ':') return JsonCheck::kMalformed;
        ++i;
        want = Want::kValue;
        break;
      case Want::kCommaOrClose:
        if (c != ',') return JsonCheck::kMalformed;
        ++i;
        want = in_array[open - 1] ? Want::kValue : Want::kKey;
        break;
    }
  }
}

}  // namespace agx::json_detail
