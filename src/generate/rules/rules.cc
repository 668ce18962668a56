// GenerateRules: the rule files users load into Prometheus.
//   agent_exporter_recording.rules.yml  recording rules (groups ending in .rules)
//   agent_exporter_alerts.rules.yml     alerting rules, one group per concern
// Prometheus evaluates the recording groups and the alert groups concurrently, so an alert
// may see a record one evaluation late; the `for` durations absorb that.
#include "generate/generate.h"
#include "generate/rules/alerts.h"

namespace agx {

GeneratedFiles GenerateRules(const Config& config) {
  rules::RuleSet set;
  const rules::Context ctx(config, &set);
  rules::AddRunAlerts(ctx);
  rules::AddSloAlerts(ctx);
  rules::AddCostAlerts(ctx);
  rules::AddToolAlerts(ctx);
  rules::AddQualityAlerts(ctx);
  rules::AddHealthAlerts(ctx);
  const std::string header = GeneratedHeader(
      "#", "agent_exporter rules --config.file=config/agent_exporter.yml --output=rules");
  return {
      {"agent_exporter_recording.rules.yml", header + set.RecordingYaml()},
      {"agent_exporter_alerts.rules.yml", header + set.AlertingYaml()},
  };
}

}  // namespace agx
