#pragma once
// RuleSet: the recording and alerting rules being generated, in groups, and their rendering
// as Prometheus 2.42 rule files (groups with `name` and `rules` only). Records are
// deduplicated by name, so alerts that share a window share its record. Groups keep the
// order of their first use and rules their insertion order: same calls, same bytes.
// A value type; thread-compatible.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "generate/yaml.h"

namespace agx::rules {

/// One alerting rule. `labels` are the static labels after `severity` (e.g. scope).
struct AlertRule {
  std::string name;
  std::string expr;
  std::chrono::seconds for_duration{0};  ///< 0: no `for`
  std::string severity;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string summary;
  std::string description;
  std::string runbook_url;
  std::string dashboard_url;
};

class RuleSet {
 public:
  /// Adds recording rule `name` = `expr` to `group` unless a rule of that name exists.
  /// \return `name`, for use in other expressions.
  std::string Record(const std::string& group, const std::string& name, const std::string& expr);

  /// Adds an alerting rule to `group`.
  void Alert(const std::string& group, AlertRule rule);

  /// The rule files' YAML (without header): `groups:` with the recording or alerting groups.
  std::string RecordingYaml() const;
  std::string AlertingYaml() const;
  /// The same groups as YAML lists, for documents that embed them (a PrometheusRule spec).
  Yaml RecordingGroups() const;
  Yaml AlertingGroups() const;

  /// Every recording rule name, in insertion order.
  std::vector<std::string> RecordNames() const;

 private:
  struct RecordRule {
    std::string name;
    std::string expr;
  };
  template <class T>
  using Groups = std::vector<std::pair<std::string, std::vector<T>>>;

  template <class T>
  static std::vector<T>& GroupOf(Groups<T>* groups, const std::string& name);

  Groups<RecordRule> records_;
  Groups<AlertRule> alerts_;
};

}  // namespace agx::rules
