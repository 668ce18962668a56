#include "generate/promql.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace agx::promql {

std::string FormatNumber(double v) {
  char buf[64];
  if (std::nearbyint(v) == v && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return std::string(buf) == "-0" ? "0" : buf;
  }
  // The fewest significant digits that give `v` back to within 1e-13 (relative): a few
  // arithmetic steps on decimals such as 0.99 leave errors near 1e-16, which this drops
  // (0.0144, not 0.014400000000000001), while any value a person writes survives.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::fabs(std::strtod(buf, nullptr) - v) <= 1e-13 * std::fabs(v)) break;
  }
  return buf;
}

std::string FormatPercent(double ratio) { return FormatNumber(ratio * 100) + "%"; }

std::string FormatDuration(std::chrono::seconds d) {
  const std::int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out = s < 0 ? "-" : "";
  // The magnitude as unsigned, so that INT64_MIN does not overflow.
  std::uint64_t left = s < 0 ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
  // model.Duration.String(): y and w only when exact ("it is often easier to read 90d than
  // 12w6d"), then d, h, m, s greedily. Its ms unit never applies to whole seconds.
  struct Unit {
    std::uint64_t seconds;
    char name;
    bool exact;
  };
  static constexpr Unit kUnits[] = {{365ULL * 24 * 3600, 'y', true},
                                    {7ULL * 24 * 3600, 'w', true},
                                    {24ULL * 3600, 'd', false},
                                    {3600, 'h', false},
                                    {60, 'm', false},
                                    {1, 's', false}};
  for (const Unit& u : kUnits) {
    if (u.exact && left % u.seconds != 0) continue;
    if (left >= u.seconds) {
      out += std::to_string(left / u.seconds);
      out.push_back(u.name);
      left %= u.seconds;
    }
  }
  return out;
}

std::string Selector(std::string_view name, std::span<const std::string_view> matchers) {
  std::string out(name);
  bool first = true;
  for (std::string_view m : matchers) {
    if (m.empty()) continue;
    out.append(first ? "{" : ", ");
    out.append(m);
    first = false;
  }
  if (!first) out.push_back('}');
  return out;
}

}  // namespace agx::promql
