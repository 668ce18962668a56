#include "exposition/write_util.h"

#include <charconv>

#include "common/number_format.h"
#include "common/utf8.h"

namespace agx::detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Appends valid UTF-8 `s`, escaping backslash, LF and (when `quote`) the double quote.
// Copies runs of ordinary bytes in one append: the common case is a single append.
void AppendEscapedValid(std::string* out, std::string_view s, bool quote) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    std::string_view rep;
    if (c == '\\') {
      rep = "\\\\";
    } else if (c == '\n') {
      rep = "\\n";
    } else if (c == '"' && quote) {
      rep = "\\\"";
    } else {
      continue;
    }
    out->append(s.data() + start, i - start);
    out->append(rep);
    start = i + 1;
  }
  out->append(s.data() + start, s.size() - start);
}

// Length of the UTF-8 sequence a lead byte announces (1 for anything not a valid lead).
std::size_t SequenceLength(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 1;
}

void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  if (IsValidUtf8(s)) {
    AppendEscapedValid(out, s, quote);
    return;
  }
  // Rare path: walk sequence by sequence, replacing each invalid byte with U+FFFD.
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = SequenceLength(static_cast<unsigned char>(s[i]));
    std::string_view seq = s.substr(i, n);
    if (seq.size() == n && IsValidUtf8(seq)) {
      AppendEscapedValid(out, seq, quote);
      i += n;
    } else {
      out->append(kReplacement);
      ++i;
    }
  }
}

}  // namespace

void AppendEscapedLabelValue(std::string* out, std::string_view s) {
  AppendEscaped(out, s, /*quote=*/true);
}

void AppendEscapedHelp(std::string* out, std::string_view s) {
  AppendEscaped(out, s, /*quote=*/false);
}

void AppendLabelPairs(std::string* out, const std::vector<std::string>& names,
                      const std::vector<std::string>& values) {
  const std::size_t n = names.size() < values.size() ? names.size() : values.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out->push_back(',');
    out->append(names[i]);
    out->append("=\"");
    AppendEscapedLabelValue(out, values[i]);
    out->push_back('"');
  }
}

void AppendFamilyHeader(std::string* out, std::string_view name, std::string_view help,
                        std::string_view type) {
  if (!help.empty()) {
    out->append("# HELP ");
    out->append(name);
    out->push_back(' ');
    AppendEscapedHelp(out, help);
    out->push_back('\n');
  }
  out->append("# TYPE ");
  out->append(name);
  out->push_back(' ');
  out->append(type);
  out->push_back('\n');
}

void AppendSampleName(std::string* out, std::string_view name, std::string_view suffix,
                      std::string_view labels) {
  out->append(name);
  out->append(suffix);
  AppendLabelBlock(out, labels);
  out->push_back(' ');
}

void AppendBucketSample(std::string* out, std::string_view name, std::string_view labels,
                        std::string_view le, unsigned long long count) {
  out->append(name);
  out->append("_bucket{");
  out->append(labels);
  if (!labels.empty()) out->push_back(',');
  out->append("le=\"");
  out->append(le);
  out->append("\"} ");
  AppendUint(out, count);
}

void AppendLabelBlock(std::string* out, std::string_view labels) {
  if (labels.empty()) return;
  out->push_back('{');
  out->append(labels);
  out->push_back('}');
}

void AppendUint(std::string* out, unsigned long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes always suffice for 64 bits
  out->append(buf, end);
}

void BoundsText::Reset(const std::vector<double>& bounds) {
  text_.clear();
  ends_.clear();
  for (double b : bounds) {
    AppendCanonical(&text_, b);
    ends_.push_back(text_.size());
  }
}

}  // namespace agx::detail
