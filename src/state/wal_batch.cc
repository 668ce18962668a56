#include "state/wal_batch.h"

namespace agx::state_detail {
namespace {

constexpr unsigned char kFormat2 = 0xA2;  // never the first byte of format 1 ('{' or '@')
constexpr std::string_view kSourceTag = "@source ";
constexpr std::string_view kAnnexTag = "@annex ";

std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view s, std::size_t* pos, std::uint64_t* v) {
  std::uint64_t x = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(s[(*pos)++]);
    x |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = x;
      return true;
    }
  }
  return false;
}

Status DecodeFormat2(std::string_view p, WalBatch* out) {
  std::size_t pos = 1;
  if (p.size() < 2) return Error{"batch header cut short"};
  const auto source = static_cast<unsigned char>(p[pos++]);
  if (source > static_cast<unsigned char>(BatchSource::kOtlp)) {
    return Error{"unknown batch source " + std::to_string(source)};
  }
  out->source = static_cast<BatchSource>(source);
  std::uint64_t n = 0;
  if (!GetVarint(p, &pos, &n) || n > p.size() - pos) return Error{"annex length past the end"};
  out->annex = p.substr(pos, n);
  pos += n;
  while (pos < p.size()) {
    if (!GetVarint(p, &pos, &n) || n > p.size() - pos) return Error{"event length past the end"};
    out->events.push_back(p.substr(pos, n));
    pos += n;
  }
  return OkStatus();
}

// The end of the JSON object starting at s[pos] == '{': just past its closing brace, or npos.
std::size_t ObjectEnd(std::string_view s, std::size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = pos; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

Status DecodeFormat1(std::string_view p, WalBatch* out) {
  std::size_t pos = 0;
  auto tag_line = [&](std::string_view tag, std::string_view* value) {
    if (p.substr(pos).substr(0, tag.size()) != tag) return false;
    std::size_t nl = p.find('\n', pos);
    if (nl == std::string_view::npos) nl = p.size();
    *value = p.substr(pos + tag.size(), nl - pos - tag.size());
    pos = nl + 1 > p.size() ? p.size() : nl + 1;
    return true;
  };
  std::string_view source;
  if (tag_line(kSourceTag, &source)) {
    if (source == "otlp") {
      out->source = BatchSource::kOtlp;
    } else if (source != "push") {
      return Error{"unknown batch source '" + std::string(source.substr(0, 32)) + "'"};
    }
  }
  tag_line(kAnnexTag, &out->annex);
  while (true) {
    while (pos < p.size() && IsSpace(p[pos])) ++pos;
    if (pos == p.size()) return OkStatus();
    if (p[pos] != '{') return Error{"format-1 event does not start with '{'"};
    const std::size_t end = ObjectEnd(p, pos);
    if (end == std::string_view::npos) return Error{"format-1 event is not terminated"};
    out->events.push_back(p.substr(pos, end - pos));
    pos = end;
  }
}

}  // namespace

std::size_t WalBatchSize(std::string_view annex, const std::vector<std::string_view>& events) {
  std::size_t n = 2 + VarintSize(annex.size()) + annex.size();
  for (std::string_view e : events) n += VarintSize(e.size()) + e.size();
  return n;
}

void EncodeWalBatch(BatchSource source, std::string_view annex,
                    const std::vector<std::string_view>& events, std::string* out) {
  out->reserve(out->size() + WalBatchSize(annex, events));
  out->push_back(static_cast<char>(kFormat2));
  out->push_back(static_cast<char>(source));
  PutVarint(annex.size(), out);
  out->append(annex);
  for (std::string_view e : events) {
    PutVarint(e.size(), out);
    out->append(e);
  }
}

Status DecodeWalBatch(std::string_view payload, WalBatch* out) {
  out->source = BatchSource::kPush;
  out->annex = {};
  out->events.clear();
  if (!payload.empty() && static_cast<unsigned char>(payload[0]) == kFormat2) {
    return DecodeFormat2(payload, out);
  }
  return DecodeFormat1(payload, out);
}

}  // namespace agx::state_detail
