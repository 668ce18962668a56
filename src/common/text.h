#pragma once
// Small text helpers of the hot paths. Pure; thread-safe.
#include <string_view>

namespace agx {

/// True when `line` holds only spaces, tabs and CRs (or nothing). Inline: the standard
/// find_first_not_of calls memchr once per character it looks at.
inline bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace agx
