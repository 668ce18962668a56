#include "tail/container_record.h"

namespace agx::detail {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// RFC 3339 as the runtimes write it (2024-05-01T10:00:00.123456789Z, or with an offset):
// the date and time digits in place, then only fraction and zone characters.
bool IsRfc3339(std::string_view t) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (t.size() < kShape.size() + 1 || t.size() > 40) return false;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !IsDigit(t[i]) : t[i] != kShape[i]) return false;
  }
  for (std::size_t i = kShape.size(); i < t.size(); ++i) {
    const char c = t[i];
    if (!IsDigit(c) && c != '.' && c != 'Z' && c != '+' && c != '-' && c != ':') return false;
  }
  return true;
}

bool ReadStream(std::string_view s, ContainerRecord* out) {
  if (s == "stdout") {
    out->stderr_stream = false;
  } else if (s == "stderr") {
    out->stderr_stream = true;
  } else {
    return false;
  }
  return true;
}

// A minimal JSON reader for one json-file record: members are read in order, the `log` and
// `stream` strings unescaped, any other value skipped. Rejects what is not JSON; a record
// is small (Docker splits at 16 KiB), and `depth` bounds nesting in skipped values.
class RecordReader {
 public:
  explicit RecordReader(std::string_view s) : s_(s) {}

  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }
  bool Consume(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return i_ < s_.size() && s_[i_] == c;
  }

  /// A string at the cursor, unescaped into `*out` (appended).
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      switch (s_[i_++]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u':
          if (!Unicode(out)) return false;
          break;
        default: return false;
      }
    }
    return false;
  }

  /// Skips any JSON value at the cursor.
  bool SkipValue(int depth) {
    if (depth > 16) return false;
    SkipSpace();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') {
      skipped_.clear();
      return String(&skipped_);
    }
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      if (Consume(close)) return true;
      do {
        if (c == '{') {
          skipped_.clear();
          if (!String(&skipped_) || !Consume(':')) return false;
        }
        if (!SkipValue(depth + 1)) return false;
      } while (Consume(','));
      return Consume(close);
    }
    // A number or a literal: the characters JSON allows in them.
    const std::size_t start = i_;
    while (i_ < s_.size() && (IsDigit(s_[i_]) || std::string_view("+-.eEtruefalsn").find(
                                                     s_[i_]) != std::string_view::npos)) {
      ++i_;
    }
    const std::string_view token = s_.substr(start, i_ - start);
    return token == "true" || token == "false" || token == "null" ||
           (!token.empty() && (IsDigit(token[0]) || token[0] == '-'));
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && IsJsonSpace(s_[i_])) ++i_;
  }
  bool Hex4(unsigned* v) {
    if (s_.size() - i_ < 4) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      unsigned d = 0;
      if (IsDigit(c)) {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
      *v = *v * 16 + d;
    }
    return true;
  }
  // \uXXXX (the "\u" consumed), a surrogate pair as one code point, written as UTF-8.
  bool Unicode(std::string* out) {
    unsigned cp = 0;
    if (!Hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low = 0;
      if (s_.substr(i_, 2) != "\\u") return false;
      i_ += 2;
      if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string skipped_;  // unescaped strings that are not kept
};

}  // namespace

bool ParseCriRecord(std::string_view line, ContainerRecord* out) {
  const std::size_t t_end = line.find(' ');
  if (t_end == std::string_view::npos || !IsRfc3339(line.substr(0, t_end))) return false;
  const std::size_t s_end = line.find(' ', t_end + 1);
  if (s_end == std::string_view::npos ||
      !ReadStream(line.substr(t_end + 1, s_end - t_end - 1), out)) {
    return false;
  }
  // The tags end at the next space, or at the end of a record with empty content.
  std::size_t g_end = line.find(' ', s_end + 1);
  if (g_end == std::string_view::npos) g_end = line.size();
  const std::string_view tags = line.substr(s_end + 1, g_end - s_end - 1);
  const std::string_view first = tags.substr(0, tags.find(':'));
  if (first != "P" && first != "F") return false;
  out->partial = first == "P";
  out->content = g_end < line.size() ? line.substr(g_end + 1) : std::string_view();
  return true;
}

bool ParseDockerJsonRecord(std::string_view line, std::string* scratch, ContainerRecord* out) {
  scratch->clear();
  RecordReader r(line);
  if (!r.Consume('{')) return false;
  bool has_log = false;
  bool has_stream = false;
  std::string key;
  std::string stream;
  if (!r.Peek('}')) {
    do {
      key.clear();
      if (!r.String(&key) || !r.Consume(':')) return false;
      if (key == "log" && !has_log) {
        if (!r.String(scratch)) return false;
        has_log = true;
      } else if (key == "stream" && !has_stream) {
        if (!r.String(&stream) || !ReadStream(stream, out)) return false;
        has_stream = true;
      } else if (!r.SkipValue(0)) {
        return false;
      }
    } while (r.Consume(','));
  }
  if (!r.Consume('}') || !r.AtEnd() || !has_log || !has_stream) return false;
  std::string_view log(*scratch);
  out->partial = log.empty() || log.back() != '\n';
  if (!out->partial) log.remove_suffix(1);
  out->content = log;
  return true;
}

std::size_t MaxRecordBytes(ContainerLogFormat format, std::size_t max_line_bytes) {
  switch (format) {
    case ContainerLogFormat::kNone: return max_line_bytes;
    case ContainerLogFormat::kCri: return max_line_bytes + 64;
    case ContainerLogFormat::kDockerJson: return 2 * max_line_bytes + 256;
  }
  return max_line_bytes;
}

}  // namespace agx::detail
