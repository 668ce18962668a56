#pragma once
// UTF-8 helpers shared by the parser (validation) and the registry (label value cutting).
// Pure functions; thread-safe.
#include <cstddef>
#include <string_view>

namespace agx {

/// \return true when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

/// \return the longest prefix of `s` that is at most `max_bytes` long and does not end
/// inside a multi-byte sequence. `s` is assumed valid UTF-8.
std::string_view TruncateUtf8(std::string_view s, std::size_t max_bytes);

/// \return the number of code points in valid UTF-8 `s`.
std::size_t CountCodePoints(std::string_view s);

}  // namespace agx
