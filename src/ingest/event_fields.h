#pragma once
// Field syntaxes of native events that JSON itself does not define: RFC 3339 timestamps and
// W3C trace-context ids (docs/events.md, "Common fields"). Used by the EventParser.
// Pure functions: thread-safe, allocation-free.
#include <cstddef>
#include <string_view>

namespace agx::detail {

inline constexpr std::size_t kTraceIdHexDigits = 32;
inline constexpr std::size_t kSpanIdHexDigits = 16;

/// Parses an RFC 3339 date-time (`2026-11-22T03:59:13.123Z`, `2026-11-22T05:59:13+02:00`;
/// the separator may also be `t` or a space, the zone `z`) into Unix seconds, fraction kept.
/// A leap second (`:60`) counts as the next minute's first second.
/// \return false, leaving `*out` unchanged, for bad syntax, a missing zone, an impossible
/// date or time (February 30, hour 24, offset +24:00) or a time before 1970.
bool ParseRfc3339(std::string_view s, double* out);

/// Copies the hex id `s` into `buf` (at least `want` bytes), lowercased, so that ids differing
/// only in case compare equal.
/// \return false when `s` is not exactly `want` hex digits, or is all zeros (an invalid id
/// in W3C trace context); `buf` is then unspecified.
bool NormalizeHexId(std::string_view s, std::size_t want, char* buf);

}  // namespace agx::detail
