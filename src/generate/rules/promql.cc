#include "generate/rules/promql.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace agx::rules {

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
  long long s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  // As Prometheus' model.Duration prints: years and weeks only when they divide exactly
  // (30d, not 4w2d), then days, hours, minutes, seconds.
  struct Unit {
    long long size;
    char name;
    bool exact;
  };
  constexpr Unit kUnits[] = {{365LL * 24 * 3600, 'y', true},
                             {7LL * 24 * 3600, 'w', true},
                             {24LL * 3600, 'd', false},
                             {3600, 'h', false},
                             {60, 'm', false},
                             {1, 's', false}};
  for (const Unit& u : kUnits) {
    if (u.exact && s % u.size != 0) continue;
    if (s >= u.size) {
      out += std::to_string(s / u.size);
      out.push_back(u.name);
      s %= u.size;
    }
  }
  return out;
}

std::string Selector(std::string_view name, std::string_view matchers,
                     std::string_view extra_matchers) {
  std::string out(name);
  if (matchers.empty() && extra_matchers.empty()) return out;
  out.push_back('{');
  out.append(matchers);
  if (!matchers.empty() && !extra_matchers.empty()) out.append(", ");
  out.append(extra_matchers);
  out.push_back('}');
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace agx::rules
