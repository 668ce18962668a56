// Model price lookup and the shipped list prices.
#include "config/pricing.h"

#include <string_view>
#include <vector>

#include "config/config.h"

namespace agx {

const ModelPrice* FindPrice(const std::vector<ModelPrice>& pricing, std::string_view model) {
  const ModelPrice* best = nullptr;
  std::size_t best_len = 0;
  for (const ModelPrice& p : pricing) {
    const std::string_view match = p.match;
    if (!match.empty() && match.back() == '*') {
      const std::string_view prefix = match.substr(0, match.size() - 1);
      if (model.starts_with(prefix) && (best == nullptr || prefix.size() > best_len)) {
        best = &p;
        best_len = prefix.size();
      }
    } else if (match == model) {
      return &p;  // exact matches win over any prefix
    }
  }
  return best;
}

double PriceTokens(const ModelPrice& price, double input, double output, double cache_read,
                   double cache_creation) {
  auto at = [](double tokens, double usd_per_million) {
    return tokens > 0 ? tokens * usd_per_million / 1e6 : 0.0;
  };
  return at(input, price.input) + at(output, price.output) + at(cache_read, price.cache_read) +
         at(cache_creation, price.cache_write);
}

namespace config_detail {

std::vector<ModelPrice> ShippedPrices() {
  // USD per million tokens: input, output, cache_read, cache_write. List prices as
  // published by the vendors; config/agent_exporter.yml carries the same list.
  return {
      {"claude-opus-4-5*", 5, 25, 0.50, 6.25},
      {"claude-opus-4-1*", 15, 75, 1.50, 18.75},
      {"claude-opus-4*", 15, 75, 1.50, 18.75},
      {"claude-sonnet-4*", 3, 15, 0.30, 3.75},
      {"claude-haiku-4-5*", 1, 5, 0.10, 1.25},
      {"claude-3-5-haiku*", 0.80, 4, 0.08, 1.00},
      {"gpt-5*", 1.25, 10, 0.125, 0},
      {"gpt-5-mini*", 0.25, 2, 0.025, 0},
      {"gpt-4.1*", 2, 8, 0.50, 0},
      {"gpt-4.1-mini*", 0.40, 1.60, 0.10, 0},
      {"gpt-4o*", 2.50, 10, 1.25, 0},
      {"gpt-4o-mini*", 0.15, 0.60, 0.075, 0},
      {"o3*", 2, 8, 0.50, 0},
      {"gemini-2.5-pro*", 1.25, 10, 0.31, 0},
      {"gemini-2.5-flash*", 0.30, 2.50, 0.075, 0},
  };
}

}  // namespace config_detail
}  // namespace agx
