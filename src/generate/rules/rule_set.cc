#include "generate/rules/rule_set.h"

#include "generate/promql.h"
#include "generate/yaml.h"

namespace agx::rules {

using promql::FormatDuration;

template <class T>
std::vector<T>& RuleSet::GroupOf(Groups<T>* groups, const std::string& name) {
  for (auto& [group, rules] : *groups) {
    if (group == name) return rules;
  }
  groups->emplace_back(name, std::vector<T>{});
  return groups->back().second;
}

std::string RuleSet::Record(const std::string& group, const std::string& name,
                            const std::string& expr) {
  for (const auto& [g, rules] : records_) {
    for (const RecordRule& r : rules) {
      if (r.name == name) return name;
    }
  }
  GroupOf(&records_, group).push_back({name, expr});
  return name;
}

void RuleSet::Alert(const std::string& group, AlertRule rule) {
  GroupOf(&alerts_, group).push_back(std::move(rule));
}

std::vector<std::string> RuleSet::RecordNames() const {
  std::vector<std::string> names;
  for (const auto& [g, rules] : records_) {
    for (const RecordRule& r : rules) names.push_back(r.name);
  }
  return names;
}

std::string RuleSet::RecordingYaml() const {
  return Yaml::Map().Set("groups", RecordingGroups()).Emit();
}

std::string RuleSet::AlertingYaml() const {
  return Yaml::Map().Set("groups", AlertingGroups()).Emit();
}

Yaml RuleSet::RecordingGroups() const {
  Yaml groups = Yaml::List();
  for (const auto& [name, rules] : records_) {
    Yaml list = Yaml::List();
    for (const RecordRule& r : rules)
      list.Add(Yaml::Map().Set("record", r.name).Set("expr", r.expr));
    groups.Add(Yaml::Map().Set("name", name).Set("rules", std::move(list)));
  }
  return groups;
}

Yaml RuleSet::AlertingGroups() const {
  Yaml groups = Yaml::List();
  for (const auto& [name, rules] : alerts_) {
    Yaml list = Yaml::List();
    for (const AlertRule& a : rules) {
      Yaml rule = Yaml::Map();
      rule.Set("alert", a.name).Set("expr", a.expr);
      if (a.for_duration.count() > 0) rule.Set("for", Yaml::Raw(FormatDuration(a.for_duration)));
      Yaml labels = Yaml::Map();
      labels.Set("severity", a.severity);
      for (const auto& [k, v] : a.labels) labels.Set(k, v);
      rule.Set("labels", std::move(labels));
      rule.Set("annotations", Yaml::Map()
                                  .Set("summary", a.summary)
                                  .Set("description", a.description)
                                  .Set("runbook_url", a.runbook_url)
                                  .Set("dashboard_url", a.dashboard_url));
      list.Add(std::move(rule));
    }
    groups.Add(Yaml::Map().Set("name", name).Set("rules", std::move(list)));
  }
  return groups;
}

}  // namespace agx::rules
