#pragma once
// The dashboards generator's parts: one function per dashboard, the Grafana provisioning
// files, and the documented list of panels that deliberately use a fixed window instead of
// $__rate_interval (read by the tests and written as the dashboard-linter `.lint` file).
// Pure functions of the config and the catalogue; thread-safe.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/metric_spec.h"
#include "config/config.h"
#include "generate/dashboards/grafana.h"

namespace agx::dash {

/// The command named in the "generated, do not edit" notes.
inline constexpr std::string_view kCommand =
    "agent_exporter dashboards --config.file=config/agent_exporter.yml --output=dashboards";

/// File names (relative to the output dir) and uid suffixes; titles slug to the suffixes.
inline constexpr std::string_view kOverview = "agent-overview";
inline constexpr std::string_view kDeepDive = "agent-deep-dive";
inline constexpr std::string_view kCost = "agent-cost";

/// Dashboard titles (their slugs are the names above).
inline constexpr std::string_view kOverviewTitle = "Agent overview";
inline constexpr std::string_view kDeepDiveTitle = "Agent deep dive";
inline constexpr std::string_view kCostTitle = "Agent cost";

/// `<uid_prefix>-<name>`.
std::string DashboardUid(const Config& config, std::string_view name);
/// `/d/<uid>/<name>`: the dashboard URL path (the slug equals `name`).
std::string DashboardPath(const Config& config, std::string_view name);
/// The `threshold` of alert `name` when the config has it enabled with a positive value:
/// drawn on the panel the alert watches.
std::optional<double> AlertThreshold(const Config& config, const std::string& name);
/// `summary` followed by the "generated, do not edit" note.
std::string GeneratedDescription(std::string_view summary);
/// The variables of every dashboard: the datasource, `agent_id` (the agents with runs) and
/// `name` (shown as `label`): the values of label `name` of `metric` for the selected agents.
std::vector<Json> Variables(const Config& config, std::string_view name, std::string_view label,
                            MetricId metric);

Json AgentOverviewDashboard(const Config& config);
Json AgentDeepDiveDashboard(const Config& config);
Json AgentCostDashboard(const Config& config);

/// provisioning/datasources/agent_exporter.yml: the Prometheus datasource (uid `prometheus`)
/// with the exemplar trace-id link.
std::string DatasourceProvisioning(const Config& config);
/// provisioning/dashboards/agent_exporter.yml: a file provider for the dashboard JSON.
std::string DashboardProvisioning(const Config& config);

/// A panel whose range selector is a fixed window on purpose (not $__rate_interval).
struct FixedWindow {
  std::string_view dashboard;  ///< kOverview, kDeepDive or kCost
  std::string_view panel;      ///< panel title
  std::string_view window;     ///< "$__range", "1d" or "30d"
  std::string_view reason;
};

/// Every deliberate fixed window in the generated dashboards.
std::span<const FixedWindow> FixedWindowExceptions();

/// dashboards/.lint for grafana/dashboard-linter: the exclusions above, with reasons.
std::string LintFile();

}  // namespace agx::dash
