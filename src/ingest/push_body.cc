#include "ingest/push_body.h"

#include <nlohmann/json.hpp>

namespace agx {

Status SplitPushBody(std::string_view body, std::string* storage,
                     std::vector<std::string_view>* lines) {
  lines->clear();
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '[') {
    nlohmann::json array;
    try {
      array = nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
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
  while (start < body.size()) {
    std::size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) lines->push_back(line);
    start = nl + 1;
  }
  return OkStatus();
}

}  // namespace agx
