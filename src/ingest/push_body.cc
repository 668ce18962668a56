#include "ingest/push_body.h"

#include "common/text.h"

namespace agx {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/// The end of the JSON value starting at body[i] (not whitespace): past the bracket that
/// closes a container, the quote that closes a string, or a scalar token. Only bounds are
/// found, iteratively, whatever the nesting; the event parser checks each element itself.
/// \return npos when the body ends first.
std::size_t ValueEnd(std::string_view body, std::size_t i) {
  const std::size_t n = body.size();
  std::size_t depth = 0;
  do {
    const char c = body[i];
    if (c == '"') {
      for (++i; i < n && body[i] != '"'; ++i) {
        if (body[i] == '\\') ++i;  // the escaped character cannot close the string
      }
      if (i >= n) return std::string_view::npos;
      ++i;
    } else if (c == '{' || c == '[') {
      ++depth;
      ++i;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // a closing bracket where a value should be
      --depth;
      ++i;
    } else if (depth > 0) {
      ++i;  // inside a container: commas, colons, spaces, scalars
    } else {
      while (i < n && !IsSpace(body[i]) && body[i] != ',' && body[i] != ']' && body[i] != '}' &&
             body[i] != '[' && body[i] != '{' && body[i] != '"' && body[i] != ':') {
        ++i;
      }
      return i;
    }
  } while (depth > 0 && i < n);
  return depth == 0 ? i : std::string_view::npos;
}

Error TooMany(std::size_t max_events, bool* too_many) {
  if (too_many != nullptr) *too_many = true;
  return Error{"body holds more than " + std::to_string(max_events) +
               " events (ingest.max_events_per_push); send fewer events per request"};
}

/// Splits a top-level JSON array into the raw text of its elements (views of `body`), at
/// most `max_events` of them.
Status SplitJsonArray(std::string_view body, std::size_t i, std::vector<std::string_view>* out,
                      std::size_t max_events, bool* too_many) {
  auto bad = [](const std::string& why) { return Error{"body is not a valid JSON array: " + why}; };
  const std::size_t n = body.size();
  auto skip = [&] {
    while (i < n && IsSpace(body[i])) ++i;
  };
  ++i;  // '['
  skip();
  if (i < n && body[i] == ']') {
    ++i;
  } else {
    for (;;) {
      if (i >= n) return bad("cut short");
      const std::size_t end = ValueEnd(body, i);
      if (end == std::string_view::npos) return bad("cut short");
      if (end == i) return bad("expected an element at byte " + std::to_string(i + 1));
      if (out->size() == max_events) return TooMany(max_events, too_many);
      out->push_back(body.substr(i, end - i));
      i = end;
      skip();
      if (i >= n) return bad("cut short");
      if (body[i] == ']') {
        ++i;
        break;
      }
      if (body[i] != ',') return bad("expected ',' or ']' at byte " + std::to_string(i + 1));
      ++i;
      skip();
    }
  }
  skip();
  if (i != n) return bad("content after the array at byte " + std::to_string(i + 1));
  return OkStatus();
}

}  // namespace

Status SplitPushBody(std::string_view body, std::string* storage,
                     std::vector<std::string_view>* lines,
                     std::vector<std::size_t>* line_numbers, PushBodyFormat format,
                     std::size_t max_events, bool* too_many) {
  if (too_many != nullptr) *too_many = false;
  lines->clear();
  if (line_numbers != nullptr) line_numbers->clear();
  storage->clear();
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (format == PushBodyFormat::kJson && first != std::string_view::npos && body[first] == '[') {
    Status s = SplitJsonArray(body, first, lines, max_events, too_many);
    if (!s.ok()) lines->clear();
    return s;
  }
  std::size_t start = 0;
  std::size_t number = 0;
  while (start < body.size()) {
    ++number;
    std::size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!IsBlank(line)) {
      if (lines->size() == max_events) {
        lines->clear();
        if (line_numbers != nullptr) line_numbers->clear();
        return TooMany(max_events, too_many);
      }
      lines->push_back(line);
      if (line_numbers != nullptr) line_numbers->push_back(number);
    }
    start = nl + 1;
  }
  return OkStatus();
}

}  // namespace agx
