#pragma once
// Helpers of the Codex mapper tests: map lines, read back the native events, sum them the
// way the metrics do (by model/status, model/direction, tool/status, run status).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transcript/codex_mapper.h"

namespace agx::transcript::testing {

/// What mapping some lines produced.
struct Mapped {
  std::vector<nlohmann::json> events;
  std::string text;  ///< the native lines as written
  std::uint64_t dropped[kDropReasonCount] = {};
  std::uint64_t invalid = 0;
  std::uint64_t Dropped(DropReason r) const { return dropped[static_cast<std::size_t>(r)]; }
};

/// Maps `lines` of file (dev 1, `ino`) and appends the result to `*m`.
void MapLines(TranscriptMapper& mapper, const std::vector<std::string>& lines, Mapped* m,
              std::uint64_t ino = 1);

/// Sums of native events, keyed like the metrics they feed.
struct Totals {
  std::map<std::string, std::uint64_t> llm_calls;  ///< "model|status"
  std::map<std::string, std::uint64_t> tokens;     ///< "model|direction"
  std::map<std::string, std::uint64_t> tool_calls; ///< "tool|status"
  std::map<std::string, std::uint64_t> runs;       ///< "status"
  std::uint64_t run_steps = 0, run_tool_calls = 0;
  bool operator==(const Totals&) const = default;
};
Totals Sum(const std::vector<nlohmann::json>& events);
std::string Describe(const Totals& t);

/// The lines of a file (without their '\n').
std::vector<std::string> ReadLines(const std::string& path);

MapperLimits DefaultLimits();

/// A Codex line {"timestamp":…,"type":type,"payload":payload}; ts in milliseconds after
/// 2026-12-08T00:00:00Z.
std::string Line(std::string_view type, const nlohmann::json& payload, int ts_ms = 0);
/// A TokenUsage object.
nlohmann::json Usage(std::uint64_t input, std::uint64_t cached, std::uint64_t output,
                     std::uint64_t reasoning = 0, std::uint64_t cache_write = 0);

}  // namespace agx::transcript::testing
