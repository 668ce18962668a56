// GenerateRules: byte-stable, headed, every alert complete and linked, overrides and
// disabling touch exactly their alert, windows all come from the config, numbers without
// float noise, only catalogue metrics, and `promtool check rules` accepts the output.
// (tests/rules runs `promtool test rules` against the shipped files.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "catalog/metric_spec.h"
#include "config/config.h"
#include "generate/generate.h"

namespace agx {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kRecordingFile[] = "agent_exporter_recording.rules.yml";
constexpr char kAlertsFile[] = "agent_exporter_alerts.rules.yml";
constexpr char kPromtool[] = "/usr/bin/promtool";

const char* const kAllAlerts[] = {
    "AgentErrorRateSpike",       "AgentP99LatencySpike",       "AgentTokenCostSpike",
    "AgentToolCallFailureSpike", "AgentHallucinationTrend",    "AgentToolSelectionDrift",
    "AgentDailyBudgetExceeded",  "AgentQualityScoreLow",       "AgentToolCallExplosion",
    "AgentRunSLOBurnRatePage",   "AgentRunSLOBurnRateTicket",  "AgentEventsAbsent",
    "AgentExporterDown",         "AgentExporterRejectingLines", "AgentTokensPerRunHigh",
    "AgentHumanOverrideRateHigh"};

struct Rule {
  std::string group;
  std::string name;  // record or alert name
  std::string expr;
  std::string for_duration;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string Key() const {  // alerts with two rules tell them apart by a label
    for (const char* l : {"scope", "basis"}) {
      if (auto it = labels.find(l); it != labels.end()) return name + "/" + it->second;
    }
    return name;
  }
};

std::map<std::string, std::string> StringMap(const YAML::Node& n) {
  std::map<std::string, std::string> out;
  for (const auto& kv : n) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

// Parses a rule file; checks the 2.42 group keys on the way.
std::vector<Rule> ParseRules(const std::string& text) {
  std::vector<Rule> out;
  const YAML::Node doc = YAML::Load(text);
  EXPECT_EQ(doc.size(), 1u);
  for (const auto& g : doc["groups"]) {
    for (const auto& kv : g) {
      const std::string key = kv.first.as<std::string>();
      EXPECT_TRUE(key == "name" || key == "rules") << key;
    }
    for (const auto& r : g["rules"]) {
      Rule rule;
      rule.group = g["name"].as<std::string>();
      rule.name = r[r["record"] ? "record" : "alert"].as<std::string>();
      rule.expr = r["expr"].as<std::string>();
      if (r["for"]) rule.for_duration = r["for"].as<std::string>();
      if (r["labels"]) rule.labels = StringMap(r["labels"]);
      if (r["annotations"]) rule.annotations = StringMap(r["annotations"]);
      out.push_back(std::move(rule));
    }
  }
  return out;
}

Config MustParse(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, "t.yml");
  if (!r.ok()) {
    ADD_FAILURE() << r.error();
    return Config::Defaults();
  }
  return *r;
}

std::map<std::string, Rule> AlertsByKey(const GeneratedFiles& files) {
  std::map<std::string, Rule> out;
  for (Rule& r : ParseRules(files.at(kAlertsFile))) {
    const std::string key = r.Key();
    EXPECT_TRUE(out.emplace(key, std::move(r)).second) << "duplicate alert " << key;
  }
  return out;
}

std::string Header() {
  return GeneratedHeader("#",
                         "agent_exporter rules --config.file=config/agent_exporter.yml "
                         "--output=rules");
}

// Runs a command; returns its exit status and puts stdout+stderr in *output.
int Run(const std::string& command, std::string* output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agx_rules_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes the files and runs `promtool check rules` on them: must exit 0.
void ExpectPromtoolAccepts(const GeneratedFiles& files) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << kPromtool << " is missing: install Debian's prometheus package (.ci/install-deps)";
  TempDir dir;
  ASSERT_TRUE(WriteGeneratedFiles(files, dir.path()).ok());
  std::string command = std::string(kPromtool) + " check rules";
  for (const auto& [name, content] : files) command += " '" + dir.path() + "/" + name + "'";
  std::string output;
  EXPECT_EQ(Run(command, &output), 0) << output;
}

// Every identifier of an expression outside quoted strings, with the offset after it.
std::vector<std::pair<std::string, std::size_t>> Identifiers(const std::string& expr) {
  std::vector<std::pair<std::string, std::size_t>> out;
  std::size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      const std::size_t end = expr.find(c, i + 1);
      i = end == std::string::npos ? expr.size() : end + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      std::size_t j = i;
      while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) ||
                                 expr[j] == '_' || expr[j] == ':')) {
        ++j;
      }
      out.emplace_back(expr.substr(i, j - i), j);
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) ||
                                 expr[i] == '.' || expr[i] == '+' || expr[i] == '-')) {
        ++i;  // numbers and durations (5m, 1e-05)
      }
    } else {
      ++i;
    }
  }
  return out;
}

TEST(RulesTest, IsByteStableAndHeaded) {
  const GeneratedFiles first = GenerateRules(Config::Defaults());
  EXPECT_EQ(first, GenerateRules(Config::Defaults()));
  EXPECT_EQ(first, GenerateRules(MustParse("alerts: {}\n")));
  ASSERT_EQ(first.size(), 2u);
  for (const auto& [name, content] : first) {
    SCOPED_TRACE(name);
    EXPECT_THAT(content, StartsWith(Header()));
    EXPECT_THAT(content, StartsWith("# Generated by agent_exporter ("));
    EXPECT_EQ(content.back(), '\n');
  }
  EXPECT_THAT(first.at(kRecordingFile), HasSubstr("\ngroups:\n"));
  EXPECT_THAT(first.at(kAlertsFile), HasSubstr("\ngroups:\n"));
}

TEST(RulesTest, EveryAlertIsCompleteAndLinked) {
  const std::map<std::string, Rule> alerts = AlertsByKey(GenerateRules(Config::Defaults()));
  std::set<std::string> names;
  for (const auto& [key, a] : alerts) names.insert(a.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAreArray(kAllAlerts));
  // L1/L2 and exporter alerts link to the overview, L3/L4 to the deep dive.
  const std::set<std::string> deep_dive = {"AgentToolCallFailureSpike", "AgentHallucinationTrend",
                                           "AgentToolSelectionDrift", "AgentQualityScoreLow",
                                           "AgentToolCallExplosion", "AgentHumanOverrideRateHigh"};
  const std::regex summary_re("^[A-Z][^{}]*\\.$");
  for (const auto& [key, a] : alerts) {
    SCOPED_TRACE(key);
    EXPECT_THAT(a.labels.at("severity"), ::testing::AnyOf("P1", "P2", "P3"));
    for (const auto& [label, value] : a.labels) {
      EXPECT_TRUE(label == "severity" || (label == "scope" && a.name == "AgentDailyBudgetExceeded") ||
                  (label == "basis" && a.name == "AgentTokensPerRunHigh"))
          << label;
    }
    EXPECT_THAT(a.annotations, ::testing::ElementsAre(
                                   ::testing::Key("dashboard_url"), ::testing::Key("description"),
                                   ::testing::Key("runbook_url"), ::testing::Key("summary")));
    EXPECT_TRUE(std::regex_match(a.annotations.at("summary"), summary_re))
        << a.annotations.at("summary");
    const std::string& description = a.annotations.at("description");
    EXPECT_THAT(description, HasSubstr("{{ "));
    EXPECT_EQ(description.back(), '.');
    if (a.name != "AgentExporterDown") {
      EXPECT_THAT(description, HasSubstr("$value"));
    }
    if (a.expr.find("agent_id") != std::string::npos &&
        a.Key() != "AgentDailyBudgetExceeded/total") {
      EXPECT_THAT(description, HasSubstr("{{ $labels.agent_id }}"));
    }
    std::string anchor = a.name;
    for (char& ch : anchor) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(a.annotations.at("runbook_url"),
              "https://github.com/agent-exporter/agent_exporter/blob/main/docs/runbooks.md#" +
                  anchor);
    const std::string& url = a.annotations.at("dashboard_url");
    if (deep_dive.count(a.name)) {
      EXPECT_THAT(url, StartsWith("http://localhost:3000/d/agx-agent-deep-dive/agent-deep-dive?"
                                  "var-agent_id={{ $labels.agent_id }}"));
    } else if (a.name == "AgentTokensPerRunHigh") {
      EXPECT_EQ(url, "http://localhost:3000/d/agx-agent-cost/agent-cost?var-agent_id={{ "
                     "$labels.agent_id }}");
    } else {
      EXPECT_THAT(url, StartsWith("http://localhost:3000/d/agx-agent-overview/agent-overview"));
    }
    if (a.expr.find("tool_name") != std::string::npos) {
      EXPECT_THAT(url, HasSubstr("&var-tool_name={{ $labels.tool_name }}"));
    }
  }
  EXPECT_EQ(alerts.at("AgentErrorRateSpike").annotations.at("dashboard_url"),
            "http://localhost:3000/d/agx-agent-overview/agent-overview?var-agent_id={{ "
            "$labels.agent_id }}");
  EXPECT_EQ(alerts.at("AgentDailyBudgetExceeded/agent").labels.at("severity"), "P2");
  EXPECT_EQ(alerts.at("AgentDailyBudgetExceeded/total").labels.at("severity"), "P2");
  EXPECT_EQ(alerts.at("AgentErrorRateSpike").labels.at("severity"), "P1");
  EXPECT_EQ(alerts.at("AgentToolSelectionDrift").labels.at("severity"), "P3");
}

TEST(RulesTest, DefaultExpressionsFollowTheSpecification) {
  const GeneratedFiles files = GenerateRules(Config::Defaults());
  const std::map<std::string, Rule> a = AlertsByKey(files);
  EXPECT_EQ(a.at("AgentErrorRateSpike").expr,
            "agent_id:agent_requests_failed:ratio_rate5m > 0.05\n"
            "and on (agent_id)\n"
            "agent_id:agent_requests:rate5m > 0.01");
  EXPECT_EQ(a.at("AgentErrorRateSpike").for_duration, "5m");
  EXPECT_EQ(a.at("AgentP99LatencySpike").expr,
            "agent_id:agent_request_duration_seconds:p99_5m > 3 * "
            "(agent_id:agent_request_duration_seconds:p99_5m offset 1h)\n"
            "and\n"
            "agent_id:agent_request_duration_seconds:p99_5m > 5\n"
            "and on (agent_id)\n"
            "agent_id:agent_requests:rate5m > 0");
  EXPECT_EQ(a.at("AgentP99LatencySpike").for_duration, "10m");
  EXPECT_THAT(a.at("AgentTokenCostSpike").expr,
              StartsWith("agent_id:agent_tokens_consumed:rate30m > 2 * "
                         "agent_id:agent_tokens_consumed:rate1d\n"));
  EXPECT_EQ(a.at("AgentTokenCostSpike").for_duration, "15m");
  EXPECT_THAT(a.at("AgentTokenCostSpike").expr,  // a spike over several runs, not one
              EndsWith("and on (agent_id)\nagent_id:agent_requests:rate30m > 0.003"));
  EXPECT_EQ(a.at("AgentTokensPerRunHigh/fleet").expr,
            "agent_id:agent_tokens_per_run:ratio_rate1h > on () group_left () (5 * "
            ":agent_tokens_per_run:median_ratio_rate1h)\n"
            "and on (agent_id)\n"
            "agent_id:agent_requests:rate1h > 0.0015");
  EXPECT_EQ(a.at("AgentTokensPerRunHigh/ceiling").expr,
            "agent_id:agent_tokens_per_run:ratio_rate1h > 1000000\n"
            "and on (agent_id)\n"
            "agent_id:agent_requests:rate1h > 0.0015");
  EXPECT_EQ(a.at("AgentTokensPerRunHigh/fleet").for_duration, "10m");
  EXPECT_EQ(a.at("AgentHumanOverrideRateHigh").expr,
            "agent_id:agent_human_overrides:ratio_rate1d > 0.05\n"
            "and on (agent_id)\n"
            "agent_id:agent_human_decisions:rate1d > 0.00023");
  EXPECT_EQ(a.at("AgentHumanOverrideRateHigh").labels.at("severity"), "P3");
  const std::string recording = files.at(kRecordingFile);
  EXPECT_THAT(recording, HasSubstr("quantile(0.5, agent_id:agent_tokens_per_run:ratio_rate1h and "
                                 "on (agent_id) sum by (agent_id) (rate(agent_requests_total[1h])) "
                                 "> 0.0015)\n          and on ()\n          count("));
  EXPECT_THAT(recording, HasSubstr(R"(agent_approvals_total{result=~"denied|overridden"})"));
  EXPECT_THAT(a.at("AgentToolCallFailureSpike").expr,
              StartsWith("agent_id_tool_name:agent_tool_calls_failed:ratio_rate5m > 0.03\n"));
  EXPECT_THAT(a.at("AgentToolSelectionDrift").expr,
              HasSubstr("< 0.5 * agent_id_tool_name:agent_tool_calls:share_rate1d\nand\n"
                        "agent_id_tool_name:agent_tool_calls:share_rate1d >= 0.1\n"));
  EXPECT_EQ(a.at("AgentDailyBudgetExceeded/agent").expr,
            "agent_id:agent_cost_usd:increase1d > 100");
  EXPECT_EQ(a.at("AgentDailyBudgetExceeded/total").expr, ":agent_cost_usd:increase1d > 500");
  EXPECT_THAT(a.at("AgentQualityScoreLow").expr,
              StartsWith("agent_id_evaluator:agent_eval_score:mean1h < 0.7\n"));
  EXPECT_THAT(a.at("AgentToolCallExplosion").expr,
              StartsWith("agent_id:agent_tool_calls_per_run:p95_15m > 25\n"));
  EXPECT_EQ(a.at("AgentRunSLOBurnRatePage").expr,
            "(\n"
            "  (\n"
            "    agent_id:agent_requests_failed:ratio_rate5m > 0.144\n"
            "    and\n"
            "    agent_id:agent_requests_failed:ratio_rate1h > 0.144\n"
            "  )\n"
            "  or\n"
            "  (\n"
            "    agent_id:agent_requests_failed:ratio_rate30m > 0.06\n"
            "    and\n"
            "    agent_id:agent_requests_failed:ratio_rate6h > 0.06\n"
            "  )\n"
            ")\n"
            "and on (agent_id)\n"
            "agent_id:agent_requests:rate1h > 0.01");
  EXPECT_THAT(a.at("AgentRunSLOBurnRateTicket").expr,
              HasSubstr("ratio_rate2h > 0.03\n    and\n    agent_id:agent_requests_failed:"
                        "ratio_rate1d > 0.03\n"));
  EXPECT_THAT(a.at("AgentRunSLOBurnRateTicket").expr,
              HasSubstr("ratio_rate6h > 0.01\n    and\n    agent_id:agent_requests_failed:"
                        "ratio_rate3d > 0.01\n"));
  EXPECT_EQ(a.at("AgentExporterDown").expr,
            "up{job=\"agent_exporter\"} == 0\nor\nabsent(up{job=\"agent_exporter\"})");

  std::map<std::string, std::string> records;
  for (const Rule& r : ParseRules(files.at(kRecordingFile))) records[r.name] = r.expr;
  EXPECT_EQ(records.at("agent_id:agent_request_duration_seconds:p99_5m"),
            "histogram_quantile(0.99, sum by (agent_id, le) "
            "(rate(agent_request_duration_seconds_bucket[5m])))");
  EXPECT_EQ(records.at("agent_id:agent_requests_failed:ratio_rate5m"),
            "(\n"
            "  sum by (agent_id) (rate(agent_requests_total{status!=\"success\"}[5m]))\n"
            "  or\n"
            "  0 * agent_id:agent_requests:rate5m\n"
            ")\n"
            "/\n"
            "agent_id:agent_requests:rate5m");
  EXPECT_EQ(records.at("agent_id_tool_name:agent_tool_calls:share_rate30m"),
            "agent_id_tool_name:agent_tool_calls:rate30m\n/ on (agent_id) group_left\n"
            "agent_id:agent_tool_calls:rate30m");
}

TEST(RulesTest, OverrideChangesExactlyThatAlert) {
  const GeneratedFiles base = GenerateRules(Config::Defaults());
  const GeneratedFiles changed = GenerateRules(
      MustParse("alerts:\n  rules:\n    AgentErrorRateSpike: {threshold: 0.2, for: 7m}\n"));
  EXPECT_EQ(base.at(kRecordingFile), changed.at(kRecordingFile));
  const std::map<std::string, Rule> before = AlertsByKey(base);
  const std::map<std::string, Rule> after = AlertsByKey(changed);
  ASSERT_EQ(before.size(), after.size());
  for (const auto& [key, a] : before) {
    SCOPED_TRACE(key);
    const Rule& b = after.at(key);
    if (key == "AgentErrorRateSpike") {
      EXPECT_EQ(b.expr,
                "agent_id:agent_requests_failed:ratio_rate5m > 0.2\n"
                "and on (agent_id)\nagent_id:agent_requests:rate5m > 0.01");
      EXPECT_EQ(b.for_duration, "7m");
      EXPECT_THAT(b.annotations.at("description"), HasSubstr("(threshold 20%)"));
      EXPECT_EQ(b.labels, a.labels);
    } else {
      EXPECT_EQ(b.expr, a.expr);
      EXPECT_EQ(b.for_duration, a.for_duration);
      EXPECT_EQ(b.labels, a.labels);
      EXPECT_EQ(b.annotations, a.annotations);
    }
  }
  // A severity override changes the label only.
  const std::map<std::string, Rule> severity = AlertsByKey(
      GenerateRules(MustParse("alerts:\n  rules:\n    AgentToolSelectionDrift: {severity: P2}\n")));
  EXPECT_EQ(severity.at("AgentToolSelectionDrift").labels.at("severity"), "P2");
  EXPECT_EQ(severity.at("AgentToolSelectionDrift").expr, before.at("AgentToolSelectionDrift").expr);
}

TEST(RulesTest, DisabledAlertsAndTheirRecordsAreAbsent) {
  const GeneratedFiles files =
      GenerateRules(MustParse("alerts:\n  rules:\n"
                              "    AgentToolSelectionDrift: {enabled: false}\n"
                              "    AgentDailyBudgetExceeded: {enabled: false}\n"));
  const std::map<std::string, Rule> alerts = AlertsByKey(files);
  for (const auto& [key, a] : alerts) {
    EXPECT_NE(a.name, "AgentToolSelectionDrift");
    EXPECT_NE(a.name, "AgentDailyBudgetExceeded");
  }
  // Every alert is one rule except the budget alert and AgentTokensPerRunHigh (fleet and
  // ceiling): two each; the budget alert is disabled here.
  EXPECT_EQ(alerts.size(), std::size(kAllAlerts) - 2 + 1);
  EXPECT_THAT(files.at(kAlertsFile), Not(HasSubstr("AgentToolSelectionDrift")));
  EXPECT_THAT(files.at(kRecordingFile), Not(HasSubstr("share_rate")));
  EXPECT_THAT(files.at(kRecordingFile), Not(HasSubstr("agent_cost_usd")));
  ExpectPromtoolAccepts(files);

  // Everything disabled: empty but valid files.
  std::string yaml = "alerts:\n  rules:\n";
  for (const char* name : kAllAlerts) yaml += std::string("    ") + name + ": {enabled: false}\n";
  const GeneratedFiles none = GenerateRules(MustParse(yaml));
  EXPECT_EQ(none.at(kAlertsFile), Header() + "groups: []\n");
  EXPECT_EQ(none.at(kRecordingFile), Header() + "groups: []\n");
  ExpectPromtoolAccepts(none);
}

TEST(RulesTest, SloFactorsHaveNoFloatNoise) {
  const GeneratedFiles files =
      GenerateRules(MustParse("alerts:\n  slo_objective: 0.999\n  slo_period: 28d\n"));
  const std::map<std::string, Rule> alerts = AlertsByKey(files);
  // factor = 2% x 28d / 1h = 13.44; threshold = 13.44 x 0.001.
  EXPECT_THAT(alerts.at("AgentRunSLOBurnRatePage").expr, HasSubstr("ratio_rate5m > 0.01344\n"));
  EXPECT_THAT(alerts.at("AgentRunSLOBurnRatePage").expr, HasSubstr("ratio_rate6h > 0.0056\n"));
  EXPECT_THAT(alerts.at("AgentRunSLOBurnRatePage").annotations.at("description"),
              HasSubstr("99.9% run success SLO (4w)"));
  const GeneratedFiles thirty = GenerateRules(MustParse("alerts:\n  slo_objective: 0.999\n"));
  EXPECT_THAT(AlertsByKey(thirty).at("AgentRunSLOBurnRatePage").expr,
              HasSubstr("ratio_rate5m > 0.0144\n"));
  const std::regex noise("[0-9]\\.[0-9]*(0000000|9999999)[0-9]");
  for (const GeneratedFiles* f : {&files, &thirty}) {
    for (const auto& [name, content] : *f) {
      EXPECT_FALSE(std::regex_search(content, noise)) << name;
    }
  }
}

TEST(RulesTest, UsesOnlyCatalogueMetricsAndLabels) {
  const GeneratedFiles files = GenerateRules(Config::Defaults());
  std::set<std::string> allowed;  // metric names, histogram series, labels
  std::set<std::string> labels = {"le"};
  for (const MetricSpec& m : AllMetrics()) {
    allowed.insert(std::string(m.name));
    if (m.type == MetricType::kHistogram) {
      for (const char* s : {"_bucket", "_sum", "_count"}) allowed.insert(std::string(m.name) + s);
    }
    for (std::string_view l : m.labels) labels.insert(std::string(l));
  }
  // Records may use raw metrics and records defined earlier in their own group only.
  std::set<std::string> records;
  std::map<std::string, std::set<std::string>> defined_in_group;
  for (const Rule& r : ParseRules(files.at(kRecordingFile))) {
    SCOPED_TRACE(r.name);
    EXPECT_TRUE(std::regex_match(r.name, std::regex("[a-z_]*:[a-z_0-9]+:[a-z_0-9]+")));
    EXPECT_THAT(r.group, ::testing::EndsWith(".rules"));
    for (const auto& [id, end] : Identifiers(r.expr)) {
      if (id.find(':') != std::string::npos) {
        EXPECT_TRUE(defined_in_group[r.group].count(id)) << id << " not defined before";
      }
    }
    EXPECT_TRUE(records.insert(r.name).second) << "duplicate record";
    defined_in_group[r.group].insert(r.name);
  }
  const std::set<std::string> keywords = {
      "sum",    "by",     "rate",   "increase", "histogram_quantile",
      "and",    "or",     "unless", "on",       "group_left",
      "offset", "absent", "up",     "job",      "quantile",
      "count"};  // up{job=...}: the exporter-down alert
  std::vector<Rule> all = ParseRules(files.at(kRecordingFile));
  for (Rule& r : ParseRules(files.at(kAlertsFile))) all.push_back(std::move(r));
  std::set<std::string> used_records;
  for (const Rule& r : all) {
    SCOPED_TRACE(r.name);
    for (const auto& [id, end] : Identifiers(r.expr)) {
      if (id.find(':') != std::string::npos) {
        EXPECT_TRUE(records.count(id)) << "unknown record " << id;
        used_records.insert(id);
      } else if (id.starts_with("agent_")) {
        EXPECT_TRUE(allowed.count(id) || labels.count(id)) << "not in the catalogue: " << id;
      } else {
        EXPECT_TRUE(keywords.count(id) || labels.count(id)) << "unexpected identifier " << id;
      }
    }
    // Aggregation and matching labels are catalogue labels.
    static const std::regex by_re("\\b(by|on) \\(([^)]*)\\)");
    for (std::sregex_iterator it(r.expr.begin(), r.expr.end(), by_re), end; it != end; ++it) {
      std::string list = (*it)[2];
      if (list.empty()) continue;  // on (): a match against a fleet-wide scalar-like vector
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t comma = list.find(", ", start);
        if (comma == std::string::npos) comma = list.size();
        EXPECT_TRUE(labels.count(list.substr(start, comma - start))) << list;
        start = comma + 2;
      }
    }
  }
  // No record is generated without a use.
  for (const std::string& r : records) EXPECT_TRUE(used_records.count(r)) << "unused " << r;
}

TEST(RulesTest, EveryWindowComesFromTheConfig) {
  // Odd windows everywhere: every range and offset in the output must be one of them.
  std::string yaml = "alerts:\n  rules:\n";
  std::set<std::string> allowed = {"7m", "1h17m"};
  for (const char* name : kAllAlerts) {
    const std::string n = name;
    if (n == "AgentExporterDown") continue;
    yaml += "    " + n + ": {window: 7m";
    if (n == "AgentP99LatencySpike" || n == "AgentTokenCostSpike" ||
        n == "AgentToolSelectionDrift" || n == "AgentEventsAbsent" ||
        n.starts_with("AgentRunSLO")) {
      yaml += ", baseline: 77m";
    }
    yaml += ", for: 3m}\n";
  }
  allowed.insert({"42m", "7h42m", "21m", "3h51m"});  // the SLO alerts' second pairs (x6, x3)
  allowed.insert("1h10m");  // AgentTokenCostSpike's cold-start guard: baseline - window
  const GeneratedFiles files = GenerateRules(MustParse(yaml));
  const std::regex range("\\[([^\\]]*)\\]|offset ([0-9a-z]+)");
  int ranges = 0;
  for (const auto& [name, content] : files) {
    for (const Rule& r : ParseRules(content)) {
      SCOPED_TRACE(r.name);
      for (std::sregex_iterator it(r.expr.begin(), r.expr.end(), range), end; it != end; ++it) {
        const std::string d = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
        EXPECT_TRUE(allowed.count(d)) << "window " << d << " is not from the config";
        ++ranges;
      }
      if (!r.for_duration.empty() && r.name != "AgentExporterDown") {
        EXPECT_EQ(r.for_duration, "3m");
      }
      // Record names carry the window too.
      if (r.name.find(':') != std::string::npos) {
        EXPECT_THAT(r.name, ::testing::AnyOf(::testing::EndsWith("7m"), ::testing::EndsWith("17m"),
                                             ::testing::EndsWith("42m"), ::testing::EndsWith("21m"),
                                             ::testing::EndsWith("51m")));
      }
    }
  }
  EXPECT_GT(ranges, 20);
  ExpectPromtoolAccepts(files);
}

TEST(RulesTest, SelectorIsInEverySelector) {
  const GeneratedFiles files =
      GenerateRules(MustParse("alerts:\n  selector: 'job=\"agents\", env=~\"prod|eu\"'\n"));
  int selectors = 0;
  for (const auto& [name, content] : files) {
    for (const Rule& r : ParseRules(content)) {
      SCOPED_TRACE(r.name);
      for (const auto& [id, end] : Identifiers(r.expr)) {
        if (id.find(':') != std::string::npos) continue;  // a record
        const bool metric = FindMetric(id) != nullptr || id == "up" ||
                            (id.find('_') != std::string::npos &&
                             FindMetric(id.substr(0, id.rfind('_'))) != nullptr);
        if (!metric) continue;  // a label or a keyword
        const std::size_t close = r.expr.find('}', end);
        ASSERT_EQ(r.expr[end], '{') << id;
        ASSERT_NE(close, std::string::npos);
        EXPECT_THAT(r.expr.substr(end, close + 1 - end),
                    ::testing::EndsWith("job=\"agents\", env=~\"prod|eu\"}"))
            << id;
        ++selectors;
      }
    }
  }
  EXPECT_GT(selectors, 20);
  ExpectPromtoolAccepts(files);
}

TEST(RulesTest, PromtoolAcceptsTheDefaultsAndOverrides) {
  ExpectPromtoolAccepts(GenerateRules(Config::Defaults()));
  ExpectPromtoolAccepts(
      GenerateRules(MustParse("alerts:\n"
                              "  runbook_url: https://wiki.example.com/runbooks\n"
                              "  grafana_url: https://grafana.example.com/\n"
                              "  slo_objective: 0.995\n"
                              "  slo_period: 1w\n"
                              "  daily_budget_usd_per_agent: 12.5\n"
                              "  rules:\n"
                              "    AgentErrorRateSpike: {for: 0s, window: 90s, threshold: 0.125}\n"
                              "    AgentP99LatencySpike: {baseline: 1d, factor: 2.5}\n"
                              "dashboards: {uid_prefix: acme}\n")));
}

TEST(RulesTest, ShippedFilesMatchTheShippedConfig) {
  const std::string dir = std::string(AGX_SOURCE_DIR) + "/rules/";
  Result<Config> config = LoadConfig(std::string(AGX_SOURCE_DIR) + "/config/agent_exporter.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  for (const auto& [name, content] : GenerateRules(*config)) {
    SCOPED_TRACE(name);
    std::ifstream in(dir + name, std::ios::binary);
    ASSERT_TRUE(in) << "missing " << dir << name
                    << ": run agent_exporter rules --config.file=config/agent_exporter.yml "
                       "--output=rules";
    const std::string shipped((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    EXPECT_EQ(shipped, content) << "rules/ is stale: regenerate it";
  }
}

}  // namespace
}  // namespace agx
