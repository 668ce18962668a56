#include "generate/alertmanager/prom_duration.h"

#include <cstdint>

namespace agx::alertmanager {

std::string FormatDuration(std::chrono::seconds d) {
  std::int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  // The magnitude as unsigned, so that INT64_MIN does not overflow.
  std::uint64_t left = s < 0 ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
  if (s < 0) out = "-";
  struct Unit {
    std::uint64_t seconds;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{365ULL * 24 * 3600, "y"}, {7ULL * 24 * 3600, "w"},
                                    {24ULL * 3600, "d"},       {3600, "h"},
                                    {60, "m"},                 {1, "s"}};
  for (const Unit& u : kUnits) {
    if (left >= u.seconds) {
      out += std::to_string(left / u.seconds) + u.suffix;
      left %= u.seconds;
    }
  }
  return out;
}

}  // namespace agx::alertmanager
