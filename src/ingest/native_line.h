#pragma once
// NativeLine: appends one native agent event (docs/events.md) as a JSON object and a '\n'
// to a caller-owned string. Used by the OTLP and transcript mappers; the lines it writes are then parsed
// by the native EventParser like any pushed line, so they must be exact JSON:
// - strings are escaped (quotes, backslashes, every control character), bytes >= 0x80 are
//   copied as they are (the caller checks UTF-8);
// - numbers round-trip: whole values up to 2^53 as integers, others in the shortest form
//   that reads back to the same double. Callers never pass NaN or infinities.
// Value type over a borrowed string; not synchronised (one writer per thread).
#include <cstdint>
#include <string>
#include <string_view>

namespace agx {

/// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, std::string_view s);

/// Appends finite `v` as a JSON number (see the file comment).
void AppendJsonNumber(std::string* out, double v);

/// Appends `ns` nanoseconds since the epoch as Unix seconds with microsecond precision,
/// trailing fraction zeros dropped: 1795319953123456789 -> `1795319953.123456`.
void AppendUnixSeconds(std::string* out, std::uint64_t ns);

class NativeLine {
 public:
  /// Starts the object with `"type":"<type>"`.
  NativeLine(std::string* out, std::string_view type);

  /// `"key":"value"`.
  NativeLine& Str(std::string_view key, std::string_view value);
  /// `"key":<number>`; `v` must be finite.
  NativeLine& Num(std::string_view key, double v);
  /// `"key":<Unix seconds>`; nothing when `ns` is 0 (unset).
  NativeLine& Time(std::string_view key, std::uint64_t ns);
  /// Closes the object and appends '\n'. The writer must not be used afterwards.
  void End();

 private:
  void Key(std::string_view key);
  std::string* out_;
};

}  // namespace agx
