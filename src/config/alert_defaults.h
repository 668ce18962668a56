#pragma once
// The alerts agent_exporter generates, their default tunables and which tunables each one
// reads. Internal to the config module (DefaultAlertRules() in config.h is the public view).
// Immutable static data; thread-safe.
#include <cstdint>
#include <span>
#include <string_view>

#include "config/config.h"

namespace agx::config_detail {

/// Bits naming the fields of AlertRuleConfig, for "which fields does this alert read".
enum AlertField : std::uint8_t {
  kFieldFor = 1 << 0,
  kFieldWindow = 1 << 1,
  kFieldBaseline = 1 << 2,
  kFieldThreshold = 1 << 3,
  kFieldFactor = 1 << 4,
  kFieldMinRate = 1 << 5,
};

/// One known alert: its name (a contract), the fields it reads besides `enabled` and
/// `severity` (which every alert reads), and its defaults.
struct KnownAlert {
  std::string_view name;
  std::uint8_t fields;
  AlertRuleConfig defaults;
  double threshold_max = 0;      ///< largest valid threshold (ratios: 1); 0: no limit
  bool baseline_longer = false;  ///< baseline must be longer than window
};

/// Every known alert, in a fixed order.
std::span<const KnownAlert> KnownAlerts();

/// \return the entry for `name`, or nullptr.
const KnownAlert* FindKnownAlert(std::string_view name);

}  // namespace agx::config_detail
