#include "tail/line_splitter.h"

#include <cstring>

namespace agx::detail {

LineSplitter::Result LineSplitter::Split(std::string_view chunk,
                                         std::vector<std::string_view>* lines,
                                         std::vector<LineEnd>* ends) {
  lines->clear();
  if (ends != nullptr) ends->clear();
  auto ended = [ends](std::size_t end, bool oversized) {
    if (ends != nullptr) ends->push_back({end, oversized});
  };
  Result result;
  const char* nl = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
  if (nl == nullptr) {
    // No line ends here: grow the partial line, or keep skipping an oversized one.
    if (skipping_) {
      skipped_ += chunk.size();
    } else if (partial_.size() + chunk.size() > max_line_bytes_) {
      skipping_ = true;
      skipped_ = partial_.size() + chunk.size();
      partial_.clear();
      partial_.shrink_to_fit();  // an oversized line must not pin a large buffer
    } else {
      partial_.insert(partial_.end(), chunk.begin(), chunk.end());
    }
    return result;
  }
  result.any_newline = true;

  // The first line continues whatever the previous chunks left.
  std::size_t first_len = static_cast<std::size_t>(nl - chunk.data());
  const bool first_oversized = skipping_ || partial_.size() + first_len > max_line_bytes_;
  ended(first_len + 1, first_oversized);
  if (skipping_) {
    ++result.oversized;
    skipping_ = false;
    skipped_ = 0;
  } else if (first_oversized) {
    ++result.oversized;
    partial_.clear();
  } else if (partial_.empty()) {
    lines->push_back(chunk.substr(0, first_len));
  } else {
    partial_.insert(partial_.end(), chunk.begin(), chunk.begin() + first_len);
    lines->emplace_back(partial_.data(), partial_.size());
  }

  // Lines fully inside the chunk are views into it: no copy.
  std::size_t pos = first_len + 1;
  while (pos < chunk.size()) {
    const char* next =
        static_cast<const char*>(std::memchr(chunk.data() + pos, '\n', chunk.size() - pos));
    if (next == nullptr) break;
    std::size_t len = static_cast<std::size_t>(next - chunk.data()) - pos;
    ended(pos + len + 1, len > max_line_bytes_);
    if (len > max_line_bytes_) {
      ++result.oversized;
    } else {
      lines->push_back(chunk.substr(pos, len));
    }
    pos += len + 1;
  }
  result.complete_bytes = pos;

  // Keep the unterminated rest. partial_ may be viewed by lines->front(), so the rest goes
  // into spare_ and the two swap roles: the old partial_ stays intact until the next call.
  std::string_view rest = chunk.substr(pos);
  if (rest.size() > max_line_bytes_) {
    skipping_ = true;
    skipped_ = rest.size();
    spare_.clear();
  } else {
    spare_.assign(rest.begin(), rest.end());
  }
  partial_.swap(spare_);
  return result;
}

void LineSplitter::Reset() {
  partial_.clear();
  spare_.clear();
  skipping_ = false;
  skipped_ = 0;
}

void LineSplitter::Compact() {
  spare_.clear();
  spare_.shrink_to_fit();
  partial_.shrink_to_fit();
}

}  // namespace agx::detail
