#include "ingest/push_body.h"

#include <nlohmann/json.hpp>

#include "common/text.h"

namespace agx {
namespace {

// Elements are re-serialized by nlohmann's recursive dump(): bound the nesting so that a
// small body cannot exhaust the stack. Far deeper than the event parser accepts (64), so
// elements between the two limits are still rejected one by one, like lines.
constexpr int kMaxArrayDepth = 1024;

struct TooDeep {};


}  // namespace

Status SplitPushBody(std::string_view body, std::string* storage,
                     std::vector<std::string_view>* lines,
                     std::vector<std::size_t>* line_numbers, PushBodyFormat format) {
  lines->clear();
  if (line_numbers != nullptr) line_numbers->clear();
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (format == PushBodyFormat::kJson && first != std::string_view::npos && body[first] == '[') {
    nlohmann::json array;
    try {
      array = nlohmann::json::parse(
          body, [](int depth, nlohmann::json::parse_event_t, const nlohmann::json&) {
            if (depth > kMaxArrayDepth) throw TooDeep{};
            return true;
          });
    } catch (const TooDeep&) {
      return Error{"body is not a valid JSON array: nested deeper than " +
                   std::to_string(kMaxArrayDepth) + " levels"};
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for numbers too large for a double (1e400).
      return Error{std::string("body is not a valid JSON array: ") + e.what()};
    }
    // Serialize every element first, then take views: the storage must not grow after.
    storage->clear();
    std::vector<std::size_t> ends;
    for (const auto& element : array) {
      storage->append(element.dump());
      ends.push_back(storage->size());
    }
    std::size_t start = 0;
    for (std::size_t end : ends) {
      lines->push_back(std::string_view(*storage).substr(start, end - start));
      start = end;
    }
    return OkStatus();
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
      lines->push_back(line);
      if (line_numbers != nullptr) line_numbers->push_back(number);
    }
    start = nl + 1;
  }
  return OkStatus();
}

}  // namespace agx
