#pragma once
// Minimal logfmt logger to stderr, in the style of Prometheus components:
//   ts=2026-11-22T03:59:13.123Z level=info msg="listening" address=:9478
// Thread-safe: each call writes one line with a single write(2).
#include <initializer_list>
#include <string_view>
#include <utility>

namespace agx::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
bool ParseLevel(std::string_view s, Level* out);
bool Enabled(Level level);

using Field = std::pair<std::string_view, std::string_view>;
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

}  // namespace agx::log
