// GenerateDashboards: the three dashboards, the Grafana provisioning files and the
// dashboard-linter exclusions, all byte-stable for a given config.
#include "generate/dashboards/dashboards.h"

#include "generate/dashboards/promql.h"
#include "generate/generate.h"

namespace agx {
namespace dash {

std::string DashboardUid(const Config& config, std::string_view name) {
  return config.dashboards.uid_prefix + "-" + std::string(name);
}

std::string DashboardPath(const Config& config, std::string_view name) {
  return "/d/" + DashboardUid(config, name) + "/" + std::string(name);
}

std::vector<Json> Variables(const Config& config, std::string_view name, std::string_view label,
                            MetricId metric) {
  const Selector sel(config.alerts.selector);
  return {DatasourceVariable(),
          QueryVariable("agent_id", "Agent",
                        "label_values(" + sel(MetricId::kRequests, {}) + ", agent_id)"),
          QueryVariable(std::string(name), std::string(label),
                        "label_values(" + sel(metric, {kAgentMatch}) + ", " + std::string(name) +
                            ")")};
}

std::optional<double> AlertThreshold(const Config& config, const std::string& name) {
  auto it = config.alerts.rules.find(name);
  if (it == config.alerts.rules.end() || !it->second.enabled || !(it->second.threshold > 0)) {
    return std::nullopt;
  }
  return it->second.threshold;
}

std::string GeneratedDescription(std::string_view summary) {
  std::string note = GeneratedHeader("", std::string(kCommand));
  while (!note.empty() && (note.back() == '\n' || note.back() == ' ')) note.pop_back();
  while (!note.empty() && note.front() == ' ') note.erase(0, 1);
  return std::string(summary) + " " + note;
}

}  // namespace dash

GeneratedFiles GenerateDashboards(const Config& config) {
  GeneratedFiles files;
  files[std::string(dash::kOverview) + ".json"] = dash::Dump(dash::AgentOverviewDashboard(config));
  files[std::string(dash::kDeepDive) + ".json"] = dash::Dump(dash::AgentDeepDiveDashboard(config));
  files[std::string(dash::kCost) + ".json"] = dash::Dump(dash::AgentCostDashboard(config));
  files["provisioning/datasources/agent_exporter.yml"] = dash::DatasourceProvisioning(config);
  files["provisioning/dashboards/agent_exporter.yml"] = dash::DashboardProvisioning(config);
  files[".lint"] = dash::LintFile();
  return files;
}

}  // namespace agx
