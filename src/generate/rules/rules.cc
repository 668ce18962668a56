// GenerateRules: the rule files users load into Prometheus.
//   agent_exporter_recording.rules.yml  recording rules (groups ending in .rules)
//   agent_exporter_alerts.rules.yml     alerting rules, one group per concern
// Prometheus evaluates the recording groups and the alert groups concurrently, so an alert
// may see a record one evaluation late; the `for` durations absorb that.
#include "generate/generate.h"
#include "generate/rules/alerts.h"

namespace agx {

namespace rules {

RuleSet BuildRuleSet(const Config& config) {
  RuleSet set;
  const Context ctx(config, &set);
  AddRunAlerts(ctx);
  AddSloAlerts(ctx);
  AddCostAlerts(ctx);
  AddToolAlerts(ctx);
  AddQualityAlerts(ctx);
  AddHealthAlerts(ctx);
  return set;
}

}  // namespace rules

GeneratedFiles GenerateRules(const Config& config) {
  const rules::RuleSet set = rules::BuildRuleSet(config);
  const std::string header = GeneratedHeader(
      "#", "agent_exporter rules --config.file=config/agent_exporter.yml --output=rules");
  return {
      {"agent_exporter_recording.rules.yml", header + set.RecordingYaml()},
      {"agent_exporter_alerts.rules.yml", header + set.AlertingYaml()},
  };
}

}  // namespace agx
