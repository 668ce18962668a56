// Grafana provisioning files written next to the dashboards: the Prometheus datasource with
// the exemplar trace link, and a file provider for the dashboard JSON.
#include "generate/dashboards/dashboards.h"
#include "generate/generate.h"
#include "generate/yaml.h"

namespace agx::dash {
namespace {

// Grafana expands $VAR and ${VAR} in provisioning files; `$$` is a literal `$`. Config values
// are literal, so every `$` is doubled (a trace URL's ${__value.raw} must reach Grafana).
std::string EscapeDollars(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '$') out.push_back('$');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string DatasourceProvisioning(const Config& config) {
  const DashboardsConfig& d = config.dashboards;
  Yaml destination = Yaml::Map();
  destination.Set("name", "trace_id");  // the exemplar label agent_exporter writes
  if (!d.trace_datasource_uid.empty()) {
    destination.Set("datasourceUid", EscapeDollars(d.trace_datasource_uid));
  } else {
    destination.Set("url", EscapeDollars(d.trace_url));
  }
  destination.Set("urlDisplayLabel", EscapeDollars("Trace: ${__value.raw}"));

  Yaml json_data = Yaml::Map();
  json_data.Set("httpMethod", "POST");
  json_data.Set("timeInterval", EscapeDollars(d.scrape_interval));
  json_data.Set("exemplarTraceIdDestinations", Yaml::List().Add(std::move(destination)));

  Yaml source = Yaml::Map();
  source.Set("name", "Prometheus");
  source.Set("type", "prometheus");
  source.Set("uid", "prometheus");
  source.Set("access", "proxy");
  source.Set("url", EscapeDollars(d.prometheus_url));
  source.Set("jsonData", std::move(json_data));

  Yaml doc = Yaml::Map();
  doc.Set("apiVersion", Yaml::Raw("1"));
  doc.Set("datasources", Yaml::List().Add(std::move(source)));
  return GeneratedHeader("#", std::string(kCommand)) +
         "# Grafana datasource provisioning for the agent_exporter dashboards: put this file in\n"
         "# /etc/grafana/provisioning/datasources/. timeInterval is the scrape interval (it sizes\n"
         "# $__rate_interval); exemplars whose trace_id label is set link to the trace. "
         "Prometheus\n"
         "# needs --enable-feature=exemplar-storage. `$$` is a literal `$` in provisioning "
         "files.\n" +
         doc.Emit();
}

std::string DashboardProvisioning(const Config& config) {
  Yaml options = Yaml::Map();
  options.Set("path", "/var/lib/grafana/dashboards/agent_exporter");
  options.Set("foldersFromFilesStructure", Yaml::Raw("false"));

  Yaml provider = Yaml::Map();
  provider.Set("name", "agent_exporter");
  provider.Set("orgId", Yaml::Raw("1"));
  provider.Set("folder", "agent_exporter");
  provider.Set("type", "file");
  provider.Set("disableDeletion", Yaml::Raw("false"));
  provider.Set("allowUiUpdates", Yaml::Raw("false"));
  provider.Set("updateIntervalSeconds", Yaml::Raw("60"));
  provider.Set("options", std::move(options));

  Yaml doc = Yaml::Map();
  doc.Set("apiVersion", Yaml::Raw("1"));
  doc.Set("providers", Yaml::List().Add(std::move(provider)));
  return GeneratedHeader("#", std::string(kCommand)) +
         "# Grafana dashboard provisioning: put this file in "
         "/etc/grafana/provisioning/dashboards/\n"
         "# and copy (or mount) the generated *.json dashboards to the path below. The dashboards\n"
         "# use the datasource with uid `prometheus` from ../datasources/agent_exporter.yml.\n" +
         doc.Emit();
}

}  // namespace agx::dash
