#pragma once
// The shipped list prices, used by Config::Defaults(). Internal to the config module.
#include <vector>

#include "config/config.h"

namespace agx::config_detail {

/// \return the vendors' published list prices (USD per million tokens), one entry per
/// model family prefix. The same list is in config/agent_exporter.yml.
std::vector<ModelPrice> ShippedPrices();

}  // namespace agx::config_detail
