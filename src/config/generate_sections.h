#pragma once
// Decoders of the sections that drive `agent_exporter rules|dashboards|alertmanager`:
// `alerts`, `dashboards` and `alertmanager`. Internal to the config module; same contract
// as the other section decoders (config_decoder.cc): report every problem to `d`, and leave
// a field at its default when its value is invalid.
#include "config/config.h"
#include "config/yaml_reader.h"

namespace agx::config_detail {

void DecodeAlerts(const Value& v, AlertsConfig* alerts, Diagnostics* d);
void DecodeDashboards(const Value& v, DashboardsConfig* dashboards, Diagnostics* d);
void DecodeAlertmanager(const Value& v, AlertmanagerConfig* alertmanager, Diagnostics* d);

/// Checks a list of PromQL label matchers such as `job="agent_exporter", env=~"prod|eu"`
/// (no braces; names [a-zA-Z_][a-zA-Z0-9_]*, not __name__; operators = != =~ !~; values in
/// double or single quotes or backticks). \return "" when valid, else what is wrong.
std::string CheckSelector(std::string_view selector);

/// Checks an http:// or https:// URL with a host and no whitespace or control characters.
/// \return "" when valid, else what is wrong.
std::string CheckHttpUrl(std::string_view url);

}  // namespace agx::config_detail
