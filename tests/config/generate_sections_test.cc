// The `alerts`, `dashboards` and `alertmanager` sections: defaults, field-by-field merging of
// alert overrides, and every kind of error with its position.
#include "config/generate_sections.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"

namespace agx {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Config MustParse(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, "c.yml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  return r.ok() ? *r : Config::Defaults();
}

TEST(AlertsConfigTest, DefaultsHaveEveryAlert) {
  const Config c = Config::Defaults();
  std::vector<std::string> names;
  for (const auto& [name, rule] : c.alerts.rules) names.push_back(name);
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre(
                  "AgentErrorRateSpike", "AgentP99LatencySpike", "AgentTokenCostSpike",
                  "AgentToolCallFailureSpike", "AgentHallucinationTrend", "AgentToolSelectionDrift",
                  "AgentDailyBudgetExceeded", "AgentQualityScoreLow", "AgentToolCallExplosion",
                  "AgentRunSLOBurnRatePage", "AgentRunSLOBurnRateTicket", "AgentEventsAbsent",
                  "AgentExporterDown", "AgentExporterRejectingLines", "AgentTokensPerRunHigh",
                  "AgentHumanOverrideRateHigh"));
  for (const auto& [name, rule] : c.alerts.rules) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(rule.enabled);
    EXPECT_THAT(rule.severity, ::testing::AnyOf("P1", "P2", "P3"));
  }
  // The source article's numbers.
  const AlertRuleConfig& e = c.alerts.rules.at("AgentErrorRateSpike");
  EXPECT_EQ(e.severity, "P1");
  EXPECT_EQ(e.window, minutes(5));
  EXPECT_EQ(e.for_duration, minutes(5));
  EXPECT_EQ(e.threshold, 0.05);
  const AlertRuleConfig& p = c.alerts.rules.at("AgentP99LatencySpike");
  EXPECT_EQ(p.factor, 3);
  EXPECT_EQ(p.baseline, hours(1));
  EXPECT_EQ(p.threshold, 5);
  EXPECT_EQ(p.for_duration, minutes(10));
  const AlertRuleConfig& t = c.alerts.rules.at("AgentTokenCostSpike");
  EXPECT_EQ(t.window, minutes(30));
  EXPECT_EQ(t.baseline, hours(24));
  EXPECT_EQ(t.factor, 2);
  EXPECT_EQ(t.for_duration, minutes(15));
  EXPECT_EQ(c.alerts.rules.at("AgentToolCallFailureSpike").threshold, 0.03);
  EXPECT_EQ(c.alerts.rules.at("AgentHallucinationTrend").for_duration, minutes(30));
  EXPECT_EQ(c.alerts.rules.at("AgentQualityScoreLow").threshold, 0.7);
  EXPECT_EQ(c.alerts.rules.at("AgentToolCallExplosion").threshold, 25);
  // A file without the sections gives the defaults.
  EXPECT_EQ(MustParse("web: {threads: 2}\n").alerts.rules.size(), c.alerts.rules.size());
}

TEST(AlertsConfigTest, ReadsEveryKey) {
  const Config c = MustParse(
      "alerts:\n"
      "  runbook_url: https://example.com/runbooks.md\n"
      "  grafana_url: https://grafana.example.com/\n"
      "  selector: ' job=\"agent_exporter\", env=~\"prod|eu\" '\n"
      "  slo_objective: 0.999\n"
      "  slo_period: 28d\n"
      "  daily_budget_usd_per_agent: 25.5\n"
      "  daily_budget_usd_total: 80\n"
      "dashboards:\n"
      "  uid_prefix: acme\n"
      "  prometheus_url: http://prom:9090\n"
      "  scrape_interval: 30s\n"
      "  trace_url: https://jaeger.example.com/trace/${__value.raw}\n"
      "alertmanager:\n"
      "  pagerduty_routing_key_file: /s/pd\n"
      "  slack_api_url_file: /s/slack\n"
      "  slack_channel: '#ops'\n"
      "  pager_webhook_url: http://127.0.0.1:5001/pager\n"
      "  chat_webhook_url: http://127.0.0.1:5001/chat\n"
      "  group_by: [alertname, agent_id, tool_name]\n"
      "  group_wait: 10s\n"
      "  group_interval: 2m\n"
      "  repeat_interval: 1h\n");
  EXPECT_EQ(c.alerts.runbook_url, "https://example.com/runbooks.md");
  EXPECT_EQ(c.alerts.grafana_url, "https://grafana.example.com");  // trailing '/' dropped
  EXPECT_EQ(c.alerts.selector, "job=\"agent_exporter\", env=~\"prod|eu\"");
  EXPECT_EQ(c.alerts.slo_objective, 0.999);
  EXPECT_EQ(c.alerts.slo_period, hours(24 * 28));
  EXPECT_EQ(c.alerts.daily_budget_usd_per_agent, 25.5);
  EXPECT_EQ(c.alerts.daily_budget_usd_total, 80);
  EXPECT_EQ(c.dashboards.uid_prefix, "acme");
  EXPECT_EQ(c.dashboards.prometheus_url, "http://prom:9090");
  EXPECT_EQ(c.dashboards.scrape_interval, "30s");
  EXPECT_EQ(c.dashboards.trace_url, "https://jaeger.example.com/trace/${__value.raw}");
  EXPECT_EQ(c.dashboards.trace_datasource_uid, "");               // the URL replaces the default
  EXPECT_EQ(c.alertmanager.pagerduty_routing_key_file, "/s/pd");  // not resolved: AM's host
  EXPECT_EQ(c.alertmanager.slack_api_url_file, "/s/slack");
  EXPECT_EQ(c.alertmanager.slack_channel, "#ops");
  EXPECT_EQ(c.alertmanager.pager_webhook_url, "http://127.0.0.1:5001/pager");
  EXPECT_EQ(c.alertmanager.chat_webhook_url, "http://127.0.0.1:5001/chat");
  EXPECT_THAT(c.alertmanager.group_by,
              ::testing::ElementsAre("alertname", "agent_id", "tool_name"));
  EXPECT_EQ(c.alertmanager.group_wait, seconds(10));
  EXPECT_EQ(c.alertmanager.group_interval, minutes(2));
  EXPECT_EQ(c.alertmanager.repeat_interval, hours(1));
}

TEST(AlertsConfigTest, OverrideMergesFieldByField) {
  const Config c = MustParse(
      "alerts:\n"
      "  rules:\n"
      "    AgentErrorRateSpike: {threshold: 0.1, for: 0s}\n"
      "    AgentToolSelectionDrift: {enabled: false}\n"
      "    AgentP99LatencySpike: {severity: P2, window: 90s, baseline: 1h30m}\n");
  const std::map<std::string, AlertRuleConfig> defaults = DefaultAlertRules();
  const AlertRuleConfig& e = c.alerts.rules.at("AgentErrorRateSpike");
  EXPECT_EQ(e.threshold, 0.1);
  EXPECT_EQ(e.for_duration, seconds(0));
  EXPECT_EQ(e.window, defaults.at("AgentErrorRateSpike").window);
  EXPECT_EQ(e.min_rate, defaults.at("AgentErrorRateSpike").min_rate);
  EXPECT_EQ(e.severity, "P1");
  EXPECT_FALSE(c.alerts.rules.at("AgentToolSelectionDrift").enabled);
  EXPECT_EQ(c.alerts.rules.at("AgentToolSelectionDrift").factor, 0.5);
  const AlertRuleConfig& p = c.alerts.rules.at("AgentP99LatencySpike");
  EXPECT_EQ(p.severity, "P2");
  EXPECT_EQ(p.window, seconds(90));
  EXPECT_EQ(p.baseline, minutes(90));
  EXPECT_EQ(p.factor, 3);
  // Untouched alerts keep their defaults.
  EXPECT_EQ(c.alerts.rules.at("AgentTokenCostSpike").factor, 2);
}

TEST(AlertsConfigTest, ExampleDocumentsTheDefaults) {
  // The example file lists every alert with its default tunables, and the other keys of the
  // three sections with their defaults: the documentation cannot drift from the code.
  Result<Config> r = LoadConfig(std::string(AGX_SOURCE_DIR) + "/config/agent_exporter.example.yml");
  ASSERT_TRUE(r.ok()) << r.error();
  const Config d = Config::Defaults();
  for (const auto& [name, want] : DefaultAlertRules()) {
    SCOPED_TRACE(name);
    const AlertRuleConfig& got = r->alerts.rules.at(name);
    EXPECT_EQ(got.enabled, want.enabled);
    EXPECT_EQ(got.severity, want.severity);
    EXPECT_EQ(got.for_duration, want.for_duration);
    EXPECT_EQ(got.window, want.window);
    EXPECT_EQ(got.baseline, want.baseline);
    EXPECT_EQ(got.threshold, want.threshold);
    EXPECT_EQ(got.factor, want.factor);
    EXPECT_EQ(got.min_rate, want.min_rate);
  }
  EXPECT_EQ(r->alerts.runbook_url, d.alerts.runbook_url);
  EXPECT_EQ(r->alerts.grafana_url, d.alerts.grafana_url);
  EXPECT_EQ(r->alerts.selector, d.alerts.selector);
  EXPECT_EQ(r->alerts.slo_objective, d.alerts.slo_objective);
  EXPECT_EQ(r->alerts.slo_period, d.alerts.slo_period);
  EXPECT_EQ(r->alerts.daily_budget_usd_per_agent, d.alerts.daily_budget_usd_per_agent);
  EXPECT_EQ(r->alerts.daily_budget_usd_total, d.alerts.daily_budget_usd_total);
  EXPECT_EQ(r->dashboards.uid_prefix, d.dashboards.uid_prefix);
  EXPECT_EQ(r->dashboards.prometheus_url, d.dashboards.prometheus_url);
  EXPECT_EQ(r->dashboards.scrape_interval, d.dashboards.scrape_interval);
  EXPECT_EQ(r->dashboards.trace_datasource_uid, d.dashboards.trace_datasource_uid);
  EXPECT_EQ(r->dashboards.trace_url, d.dashboards.trace_url);
  EXPECT_EQ(r->alertmanager.pagerduty_routing_key_file, d.alertmanager.pagerduty_routing_key_file);
  EXPECT_EQ(r->alertmanager.slack_api_url_file, d.alertmanager.slack_api_url_file);
  EXPECT_EQ(r->alertmanager.slack_channel, d.alertmanager.slack_channel);
  EXPECT_EQ(r->alertmanager.pager_webhook_url, d.alertmanager.pager_webhook_url);
  EXPECT_EQ(r->alertmanager.chat_webhook_url, d.alertmanager.chat_webhook_url);
  EXPECT_EQ(r->alertmanager.group_by, d.alertmanager.group_by);
  EXPECT_EQ(r->alertmanager.group_wait, d.alertmanager.group_wait);
  EXPECT_EQ(r->alertmanager.group_interval, d.alertmanager.group_interval);
  EXPECT_EQ(r->alertmanager.repeat_interval, d.alertmanager.repeat_interval);
}

struct ErrorCase {
  const char* name;
  const char* yaml;
  const char* want;
};

const ErrorCase kErrors[] = {
    {"unknown alert", "alerts:\n  rules:\n    AgentErrorSpike: {threshold: 1}\n",
     "c.yml:3:5: unknown alert alerts.rules.AgentErrorSpike (known alerts: AgentErrorRateSpike, "
     "AgentP99LatencySpike, AgentTokenCostSpike, AgentTokensPerRunHigh, "
     "AgentToolCallFailureSpike, AgentHallucinationTrend, AgentToolSelectionDrift, "
     "AgentDailyBudgetExceeded, AgentQualityScoreLow, AgentToolCallExplosion, "
     "AgentHumanOverrideRateHigh, AgentRunSLOBurnRatePage, "
     "AgentRunSLOBurnRateTicket, AgentEventsAbsent, AgentExporterDown, "
     "AgentExporterRejectingLines)"},
    {"field the alert does not read",
     "alerts:\n  rules:\n    AgentErrorRateSpike:\n      factor: 2\n",
     "c.yml:4:7: unknown key alerts.rules.AgentErrorRateSpike.factor: AgentErrorRateSpike does "
     "not use \"factor\" (it reads enabled, severity, for, window, threshold, min_rate)"},
    {"unknown field", "alerts:\n  rules:\n    AgentExporterDown: {fro: 5m}\n",
     "c.yml:3:25: unknown key alerts.rules.AgentExporterDown.fro (known keys in "
     "alerts.rules.AgentExporterDown: enabled, severity, for, window, baseline, threshold, "
     "factor, min_rate)"},
    {"bad severity", "alerts:\n  rules:\n    AgentErrorRateSpike: {severity: critical}\n",
     "c.yml:3:37: alerts.rules.AgentErrorRateSpike.severity: must be P1, P2 or P3, got "
     "\"critical\""},
    {"ratio above 1", "alerts:\n  rules:\n    AgentErrorRateSpike: {threshold: 5}\n",
     "c.yml:3:38: alerts.rules.AgentErrorRateSpike.threshold: must be at least 0 and at most 1, "
     "got 5"},
    {"negative min_rate", "alerts:\n  rules:\n    AgentErrorRateSpike: {min_rate: -1}\n",
     "c.yml:3:37: alerts.rules.AgentErrorRateSpike.min_rate: must be at least 0, got -1"},
    {"zero factor", "alerts:\n  rules:\n    AgentTokenCostSpike: {factor: 0}\n",
     "c.yml:3:35: alerts.rules.AgentTokenCostSpike.factor: must be greater than 0, got 0"},
    {"baseline not longer than window",
     "alerts:\n  rules:\n    AgentTokenCostSpike: {window: 1d}\n",
     "c.yml:3:5: alerts.rules.AgentTokenCostSpike: baseline must be longer than window"},
    {"window of zero", "alerts:\n  rules:\n    AgentErrorRateSpike: {window: 0s}\n",
     "c.yml:3:35: alerts.rules.AgentErrorRateSpike.window: must be greater than 0"},
    {"fractional seconds", "alerts:\n  rules:\n    AgentErrorRateSpike: {for: 1500ms}\n",
     "c.yml:3:32: alerts.rules.AgentErrorRateSpike.for: must be a whole number of seconds, got "
     "1500ms"},
    {"enabled not a boolean", "alerts:\n  rules:\n    AgentErrorRateSpike: {enabled: yes}\n",
     "c.yml:3:36: alerts.rules.AgentErrorRateSpike.enabled: expected true or false, got \"yes\""},
    {"null overrides", "alerts:\n  rules:\n    AgentErrorRateSpike:\n",
     "c.yml:3:5: alerts.rules.AgentErrorRateSpike: expected a mapping of overrides, got nothing "
     "(null)"},
    {"bad selector", "alerts:\n  selector: job=agent_exporter\n",
     "c.yml:2:13: alerts.selector: invalid selector \"job=agent_exporter\": expected a quoted "
     "value for job"},
    {"runbook with anchor", "alerts:\n  runbook_url: https://x.example/r.md#top\n",
     "c.yml:2:16: alerts.runbook_url: invalid URL \"https://x.example/r.md#top\": must not "
     "contain '#'"},
    {"grafana without scheme", "alerts:\n  grafana_url: grafana:3000\n",
     "c.yml:2:16: alerts.grafana_url: invalid URL \"grafana:3000\": must start with http:// or "
     "https://"},
    {"objective of 1", "alerts:\n  slo_objective: 1\n",
     "c.yml:2:18: alerts.slo_objective: must be between 0 and 1 (exclusive), e.g. 0.99, got 1"},
    {"zero budget", "alerts:\n  daily_budget_usd_total: 0\n",
     "c.yml:2:27: alerts.daily_budget_usd_total: must be greater than 0, got 0"},
    {"uid prefix too long", "dashboards:\n  uid_prefix: abcdefghijklmnopqrstuvwxyz\n",
     "c.yml:2:15: dashboards.uid_prefix: invalid uid prefix \"abcdefghijklmnopqrstuvwxyz\": "
     "must be 1 to 24 characters"},
    {"both trace targets",
     "dashboards:\n  trace_datasource_uid: tempo\n  trace_url: https://j.example/${__value.raw}\n",
     "c.yml:2:3: dashboards: set trace_datasource_uid or trace_url, not both"},
    {"bad scrape interval", "dashboards:\n  scrape_interval: fast\n",
     "c.yml:2:20: dashboards.scrape_interval: expected a duration such as 250ms, 30s, 5m or "
     "1h30m, got \"fast\""},
    {"bad group_by label", "alertmanager:\n  group_by: [alertname, agent-id]\n",
     "c.yml:2:25: alertmanager.group_by[1]: invalid label name \"agent-id\""},
    {"duplicate group_by label", "alertmanager:\n  group_by: [alertname, alertname]\n",
     "c.yml:2:25: alertmanager.group_by[1]: duplicate label \"alertname\""},
    {"no pager", "alertmanager:\n  pagerduty_routing_key_file: \"\"\n",
     "c.yml:2:3: alertmanager: the pager needs pagerduty_routing_key_file or pager_webhook_url"},
    {"bad webhook", "alertmanager:\n  chat_webhook_url: localhost:5001\n",
     "c.yml:2:21: alertmanager.chat_webhook_url: invalid URL \"localhost:5001\": must start "
     "with http:// or https://"},
};

TEST(AlertsConfigTest, Errors) {
  for (const ErrorCase& c : kErrors) {
    SCOPED_TRACE(c.name);
    Result<Config> r = ParseConfig(c.yaml, "c.yml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.want);
  }
}

TEST(AlertsConfigTest, SelectorSyntax) {
  struct Case {
    const char* selector;
    const char* problem;
  };
  const Case cases[] = {
      {"", ""},
      {"job=\"a\"", ""},
      {"job = \"a\" , env!~'x|y', zone=~`eu.*`, team!=\"a\\\"b\"", ""},
      {"job", "expected =, !=, =~ or !~ after job"},
      {"1job=\"a\"", "expected a label name at offset 0"},
      {"job==\"a\"", "expected a quoted value for job"},
      {"job=\"a", "unterminated value for job"},
      {"job=\"a\" env=\"b\"", "expected ',' between matchers at offset 8"},
      {"job=\"a\",", "trailing ','"},
      {"__name__=\"up\"", "__name__ is not allowed (the rules choose the metrics)"},
      {"{job=\"a\"}", "expected a label name at offset 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.selector);
    EXPECT_EQ(config_detail::CheckSelector(c.selector), c.problem);
  }
}

}  // namespace
}  // namespace agx
