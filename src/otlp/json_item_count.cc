#include "otlp/json_item_count.h"

#include <array>
#include <cstdint>

namespace agx::otlp {
namespace {

// What an open container is, on the path to the items.
enum class Role : std::uint8_t {
  kOther,      // nothing below it is counted
  kRoot,       // the request object
  kResources,  // resourceX: [ … ]
  kResource,   // one of its objects
  kScopes,     // scopeX: [ … ]
  kScope,      // one of its objects
  kItems,      // spans / logRecords: [ … ]      counted
  kMetrics,    // metrics: [ … ]
  kMetric,     // one of its objects
  kData,       // gauge / sum / histogram / exponentialHistogram / summary: { … }
  kPoints,     // dataPoints: [ … ]               counted
};

struct SignalKeys {
  std::string_view resources, scopes, items;
};
constexpr SignalKeys kKeys[] = {
    {"resourceSpans", "scopeSpans", "spans"},
    {"resourceLogs", "scopeLogs", "logRecords"},
    {"resourceMetrics", "scopeMetrics", "metrics"},
};
constexpr auto kMetricsSignal = static_cast<std::uint8_t>(Signal::kMetrics);

bool IsDataKey(std::string_view k) {
  return k == "gauge" || k == "sum" || k == "histogram" || k == "exponentialHistogram" ||
         k == "summary";
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The last key read, its escapes decoded. Keys that matter are short ASCII: a longer one,
// or one with another character, is only known not to match (view() is then "\x01", which
// no key that matters is).
class Key {
 public:
  void Clear() {
    size_ = 0;
    ok_ = true;
  }
  void Add(unsigned c) {
    if (c >= 0x80 || size_ == buf_.size()) {
      ok_ = false;
      return;
    }
    buf_[size_++] = static_cast<char>(c);
  }
  std::string_view view() const { return ok_ ? std::string_view(buf_.data(), size_) : "\x01"; }

 private:
  std::array<char, 32> buf_{};
  std::size_t size_ = 0;
  bool ok_ = true;
};

struct Frame {
  Role role = Role::kOther;
  std::uint8_t signal = 0;
  bool object = false;
  bool expect = false;  // object: a key comes next; array: a value may start next
};

constexpr int kTracked = 16;  // deeper containers are never on the path

}  // namespace

std::size_t CountJsonItems(std::string_view body, std::optional<Signal> signal) {
  std::array<Frame, kTracked> frames{};
  int depth = 0;  // open containers; frames[depth - 1] is the innermost when tracked
  Key key;        // the last key read: the one of the value that follows
  std::size_t count = 0;
  const char* p = body.data();
  const char* const end = p + body.size();

  auto top = [&]() -> Frame* {
    return depth > 0 && depth <= kTracked ? &frames[depth - 1] : nullptr;
  };
  // A value starts in the innermost container: counted when it is an element of an item array.
  auto value_starts = [&] {
    Frame* f = top();
    if (f == nullptr || f->object || !f->expect) return;
    f->expect = false;
    if (f->role == Role::kItems || f->role == Role::kPoints) ++count;
  };
  // The role of a container opening at depth + 1.
  auto role_of = [&](bool object, std::uint8_t* sig) -> Role {
    if (depth == 0) return object ? Role::kRoot : Role::kOther;
    const Frame* f = top();
    if (f == nullptr) return Role::kOther;
    *sig = f->signal;
    const std::string_view k = key.view();
    if (!f->object) {  // an element
      if (!object) return Role::kOther;
      switch (f->role) {
        case Role::kResources:
          return Role::kResource;
        case Role::kScopes:
          return Role::kScope;
        case Role::kMetrics:
          return Role::kMetric;
        default:
          return Role::kOther;
      }
    }
    switch (f->role) {
      case Role::kRoot:
        for (std::uint8_t s = 0; s < std::size(kKeys); ++s) {
          if (!object && k == kKeys[s].resources &&
              (!signal || static_cast<std::uint8_t>(*signal) == s)) {
            *sig = s;
            return Role::kResources;
          }
        }
        return Role::kOther;
      case Role::kResource:
        return !object && k == kKeys[f->signal].scopes ? Role::kScopes : Role::kOther;
      case Role::kScope:
        if (object || k != kKeys[f->signal].items) return Role::kOther;
        return f->signal == kMetricsSignal ? Role::kMetrics : Role::kItems;
      case Role::kMetric:
        return object && IsDataKey(k) ? Role::kData : Role::kOther;
      case Role::kData:
        return !object && k == "dataPoints" ? Role::kPoints : Role::kOther;
      default:
        return Role::kOther;
    }
  };

  while (p < end) {
    const char c = *p;
    if (IsSpace(c) || c == ':') {
      ++p;
      continue;
    }
    if (c == '"') {
      Frame* f = top();
      const bool is_key = f != nullptr && f->object && f->expect;
      if (is_key) {
        f->expect = false;
        key.Clear();
      } else {
        value_starts();
      }
      for (++p; p < end && *p != '"'; ++p) {
        if (*p != '\\') {
          if (is_key) key.Add(static_cast<unsigned char>(*p));
          continue;
        }
        if (++p == end) break;
        if (!is_key) continue;
        switch (*p) {
          case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; ++i) {
              const int h = p + 1 < end ? HexValue(p[1]) : -1;
              if (h < 0) break;
              cp = cp * 16 + static_cast<unsigned>(h);
              ++p;
            }
            key.Add(cp);  // a non-ASCII code point spoils the key: no key that matters has one
            break;
          }
          case 'b':
            key.Add('\b');
            break;
          case 'f':
            key.Add('\f');
            break;
          case 'n':
            key.Add('\n');
            break;
          case 'r':
            key.Add('\r');
            break;
          case 't':
            key.Add('\t');
            break;
          default:
            key.Add(static_cast<unsigned char>(*p));
            break;  // " \ /
        }
      }
      ++p;  // the closing quote
      continue;
    }
    if (c == '{' || c == '[') {
      value_starts();
      std::uint8_t sig = 0;
      const Role role = role_of(c == '{', &sig);
      ++depth;
      if (depth <= kTracked) frames[depth - 1] = Frame{role, sig, c == '{', true};
      ++p;
      continue;
    }
    if (c == '}' || c == ']') {
      if (depth == 0) break;  // malformed: the decoder says so
      --depth;
      ++p;
      continue;
    }
    if (c == ',') {
      if (Frame* f = top()) f->expect = true;
      ++p;
      continue;
    }
    // A scalar (number, true, false, null, or garbage the decoder refuses).
    value_starts();
    while (p < end && !IsSpace(*p) && *p != ',' && *p != '}' && *p != ']' && *p != ':' &&
           *p != '"' && *p != '{' && *p != '[') {
      ++p;
    }
  }
  return count;
}

}  // namespace agx::otlp
