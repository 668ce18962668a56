// The generated rules and dashboards as Kubernetes objects, for clusters where the
// Prometheus Operator loads rules from PrometheusRule objects and Grafana's dashboard
// sidecar loads dashboards from ConfigMaps labelled grafana_dashboard: "1"
// (deploy/kubernetes/generated/). The content is exactly that of GenerateRules and
// GenerateDashboards: the same groups, the same dashboard JSON bytes. Pure; thread-safe.
#include "generate/dashboards/dashboards.h"
#include "generate/generate.h"
#include "generate/rules/alerts.h"
#include "generate/yaml.h"

namespace agx {
namespace {

constexpr char kConfigArg[] = "--config.file=config/agent_exporter.yml";
constexpr char kOutputArg[] = "--output=deploy/kubernetes/generated";

// metadata with the labels every object of deploy/kubernetes carries.
Yaml Metadata(const std::string& name, Yaml labels) {
  labels.Set("app.kubernetes.io/name", "agent_exporter");
  labels.Set("app.kubernetes.io/part-of", "agent_exporter");
  return Yaml::Map().Set("name", name).Set("labels", std::move(labels));
}

}  // namespace

GeneratedFiles GeneratePrometheusRule(const Config& config) {
  const rules::RuleSet set = rules::BuildRuleSet(config);
  Yaml groups = set.RecordingGroups();
  Yaml alerting = set.AlertingGroups();
  // Group names are unique across both files (recording groups end in ".rules").
  for (Yaml& g : alerting.items()) groups.Add(std::move(g));
  Yaml doc = Yaml::Map();
  doc.Set("apiVersion", "monitoring.coreos.com/v1")
      .Set("kind", "PrometheusRule")
      .Set("metadata", Metadata("agent-exporter", Yaml::Map()))
      .Set("spec", Yaml::Map().Set("groups", std::move(groups)));
  const std::string header = GeneratedHeader(
      "#", std::string("agent_exporter rules --format=prometheus-operator ") + kConfigArg + " " +
               kOutputArg);
  return {{"agent_exporter.prometheusrule.yaml", header + doc.Emit()}};
}

GeneratedFiles GenerateDashboardConfigMaps(const Config& config) {
  const GeneratedFiles dashboards = GenerateDashboards(config);
  std::string out = GeneratedHeader(
      "#", std::string("agent_exporter dashboards --format=configmap ") + kConfigArg + " " +
               kOutputArg);
  // One ConfigMap per dashboard: each stays far below the 256 KiB that `kubectl apply`
  // can keep in its last-applied annotation.
  for (std::string_view name : {dash::kOverview, dash::kDeepDive, dash::kCost}) {
    const std::string file = std::string(name) + ".json";
    Yaml doc = Yaml::Map();
    doc.Set("apiVersion", "v1")
        .Set("kind", "ConfigMap")
        .Set("metadata",
             Metadata("agent-exporter-dashboard-" + std::string(name),
                      Yaml::Map().Set("grafana_dashboard", "1"))
                 .Set("annotations", Yaml::Map().Set("grafana_folder", "agent_exporter")))
        .Set("data", Yaml::Map().Set(file, dashboards.at(file)));
    out += "---\n" + doc.Emit();
  }
  return {{"agent_exporter.dashboards.yaml", out}};
}

}  // namespace agx
