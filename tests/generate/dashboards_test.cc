// GenerateDashboards: byte-stable Grafana JSON following the conventions (schemaVersion 39,
// stable uids, datasource variable, units and descriptions, $__rate_interval except in the
// documented fixed windows, exemplars on histogram queries), PromQL that only names catalogue
// metrics and labels, and the provisioning files. promtool parses every expression in
// tests/dashboards/check_dashboards.sh.
#include "generate/dashboards/dashboards.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "catalog/metric_spec.h"
#include "config/config.h"
#include "generate/generate.h"

namespace agx {
namespace {

using Json = nlohmann::ordered_json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const char* const kDashboards[] = {"agent-overview", "agent-deep-dive", "agent-cost"};

Json Parse(const GeneratedFiles& files, const std::string& name) {
  auto it = files.find(name + ".json");
  if (it == files.end()) {
    ADD_FAILURE() << "missing " << name << ".json";
    return Json::object();
  }
  return Json::parse(it->second);
}

struct PanelTarget {
  std::string dashboard;
  std::string panel;
  Json target;
};

std::vector<PanelTarget> AllTargets(const GeneratedFiles& files) {
  std::vector<PanelTarget> out;
  for (const char* name : kDashboards) {
    Json d = Parse(files, name);
    for (const Json& p : d["panels"]) {
      for (const Json& t : p["targets"]) out.push_back({name, p["title"].get<std::string>(), t});
    }
  }
  return out;
}

// --- A small PromQL scanner: enough for the shapes the generator writes. ---

struct Selector {
  std::string metric;
  std::vector<std::string> label_names;
};

std::vector<Selector> Selectors(const std::string& expr) {
  static const std::regex kSel(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\})");
  static const std::regex kMatcher(R"re(([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"[^"]*")re");
  std::vector<Selector> out;
  for (std::sregex_iterator it(expr.begin(), expr.end(), kSel), end; it != end; ++it) {
    Selector s{(*it)[1], {}};
    std::string body = (*it)[2];
    for (std::sregex_iterator m(body.begin(), body.end(), kMatcher); m != end; ++m) {
      s.label_names.push_back((*m)[1]);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The catalogue entry for a series name (histograms also as _bucket, _sum and _count).
const MetricSpec* SeriesSpec(const std::string& series, bool* is_bucket) {
  *is_bucket = false;
  if (const MetricSpec* m = FindMetric(series)) return m;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (series.size() > s.size() && series.ends_with(s)) {
      const MetricSpec* m = FindMetric(series.substr(0, series.size() - s.size()));
      if (m != nullptr && m->type == MetricType::kHistogram) {
        *is_bucket = s == "_bucket";
        return m;
      }
    }
  }
  return nullptr;
}

std::set<std::string> SeriesLabels(const std::string& series) {
  bool bucket = false;
  const MetricSpec* m = SeriesSpec(series, &bucket);
  std::set<std::string> labels;
  if (m == nullptr) return labels;
  for (auto l : m->labels) labels.emplace(l);
  if (bucket) labels.insert("le");
  return labels;
}

std::vector<std::string> SplitLabels(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : list + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur.push_back(c);
    }
  }
  return out;
}

// Checks the labels of `sum by (...) (arg)`, `ignoring (...)` and `on (...)` clauses.
void CheckGroupingLabels(const std::string& expr, const std::string& where) {
  static const std::regex kBy(R"(sum by \(([^)]*)\) \()");
  for (std::sregex_iterator it(expr.begin(), expr.end(), kBy), end; it != end; ++it) {
    std::size_t open = static_cast<std::size_t>(it->position(0) + it->length(0)) - 1;
    int depth = 0;
    std::size_t close = open;
    for (; close < expr.size(); ++close) {
      if (expr[close] == '(') ++depth;
      if (expr[close] == ')' && --depth == 0) break;
    }
    ASSERT_LT(close, expr.size()) << where << ": unbalanced parentheses";
    std::vector<Selector> inner = Selectors(expr.substr(open, close - open + 1));
    EXPECT_FALSE(inner.empty()) << where << ": sum by without a metric";
    for (const std::string& label : SplitLabels((*it)[1])) {
      for (const Selector& s : inner) {
        EXPECT_TRUE(SeriesLabels(s.metric).count(label))
            << where << ": `by (" << label << ")` but " << s.metric << " has no such label";
      }
    }
  }
  static const std::regex kOn(R"((?:ignoring|on) \(([^)]*)\))");
  std::set<std::string> all;
  for (const Selector& s : Selectors(expr)) {
    for (const std::string& l : SeriesLabels(s.metric)) all.insert(l);
  }
  for (std::sregex_iterator it(expr.begin(), expr.end(), kOn), end; it != end; ++it) {
    for (const std::string& label : SplitLabels((*it)[1])) {
      EXPECT_TRUE(all.count(label)) << where << ": on/ignoring label " << label;
    }
  }
  EXPECT_EQ(expr.find(") by ("), std::string::npos) << where << ": write `sum by (...) (...)`";
  EXPECT_EQ(expr.find("without"), std::string::npos) << where;
}

class DashboardsTest : public ::testing::Test {
 protected:
  GeneratedFiles files_ = GenerateDashboards(Config::Defaults());
};

TEST_F(DashboardsTest, IsByteStable) {
  EXPECT_EQ(files_, GenerateDashboards(Config::Defaults()));
  Config other = Config::Defaults();
  other.alerts.selector = R"(job="agent_exporter")";
  EXPECT_EQ(GenerateDashboards(other), GenerateDashboards(other));
  EXPECT_NE(GenerateDashboards(other), files_);
}

TEST_F(DashboardsTest, WritesTheThreeDashboardsAndProvisioning) {
  std::vector<std::string> names;
  for (const auto& [name, content] : files_) names.push_back(name);
  EXPECT_THAT(names,
              ElementsAre(".lint", "agent-cost.json", "agent-deep-dive.json", "agent-overview.json",
                          "provisioning/dashboards/agent_exporter.yml",
                          "provisioning/datasources/agent_exporter.yml"));
}

TEST_F(DashboardsTest, JsonIsIndentedWithFixedKeyOrderAndTrailingNewline) {
  for (const char* name : kDashboards) {
    SCOPED_TRACE(name);
    const std::string& text = files_.at(std::string(name) + ".json");
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    EXPECT_THAT(text, StartsWith("{\n  \"annotations\": {\n"));
    // Parsing and dumping again with two spaces gives the same bytes.
    EXPECT_EQ(Json::parse(text).dump(2) + "\n", text);
  }
}

TEST_F(DashboardsTest, FollowsTheDashboardConventions) {
  for (const char* name : kDashboards) {
    SCOPED_TRACE(name);
    Json d = Parse(files_, name);
    EXPECT_EQ(d["schemaVersion"], 39);
    EXPECT_EQ(d["uid"], std::string("agx-") + name);
    EXPECT_TRUE(d["id"].is_null());
    EXPECT_EQ(d["editable"], false);
    EXPECT_THAT(d["tags"].get<std::vector<std::string>>(),
                ElementsAre("agent_exporter", "generated"));
    EXPECT_THAT(d["description"].get<std::string>(), HasSubstr("DO NOT EDIT"));
    EXPECT_THAT(d["description"].get<std::string>(), HasSubstr("agent_exporter dashboards"));
    ASSERT_EQ(d["links"].size(), 1u);
    const Json& link = d["links"][0];
    EXPECT_EQ(link["type"], "dashboards");
    EXPECT_EQ(link["tags"], Json::array({"agent_exporter"}));
    EXPECT_EQ(link["includeVars"], true);
    EXPECT_EQ(link["keepTime"], true);
    // The title slugs to the name, so /d/<uid>/<name> (used by the alert links) is canonical.
    std::string slug = d["title"].get<std::string>();
    std::transform(slug.begin(), slug.end(), slug.begin(), [](char c) {
      return c == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    EXPECT_EQ(slug, name);
  }
}

TEST_F(DashboardsTest, HasTheDatasourceAndLabelValuesVariables) {
  const std::vector<std::vector<std::string>> expected = {{"datasource", "agent_id", "model"},
                                                          {"datasource", "agent_id", "tool_name"},
                                                          {"datasource", "agent_id", "model"}};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(kDashboards[i]);
    Json d = Parse(files_, kDashboards[i]);
    const Json& vars = d["templating"]["list"];
    std::vector<std::string> names;
    for (const Json& v : vars) names.push_back(v["name"]);
    EXPECT_EQ(names, expected[i]);
    EXPECT_EQ(vars[0]["type"], "datasource");
    EXPECT_EQ(vars[0]["query"], "prometheus");
    EXPECT_EQ(vars[0]["label"], "Data source");
    for (std::size_t v = 1; v < vars.size(); ++v) {
      SCOPED_TRACE(vars[v]["name"].get<std::string>());
      EXPECT_EQ(vars[v]["type"], "query");
      EXPECT_EQ(vars[v]["refresh"], 2);
      EXPECT_EQ(vars[v]["multi"], true);
      EXPECT_EQ(vars[v]["includeAll"], true);
      EXPECT_EQ(vars[v]["allValue"], ".+");
      EXPECT_EQ(vars[v]["datasource"]["uid"], "${datasource}");
      EXPECT_EQ(vars[v]["definition"], vars[v]["query"]["query"]);
    }
    EXPECT_EQ(vars[1]["definition"], "label_values(agent_requests_total, agent_id)");
    // The second query variable is chained on the selected agents.
    EXPECT_THAT(vars[2]["definition"].get<std::string>(), HasSubstr(R"({agent_id=~"$agent_id"})"));
  }
}

TEST_F(DashboardsTest, EveryPanelHasUnitDescriptionDatasourceAndTargets) {
  for (const char* name : kDashboards) {
    Json d = Parse(files_, name);
    ASSERT_FALSE(d["panels"].empty()) << name;
    std::set<int> ids;
    std::vector<std::vector<bool>> grid;
    for (const Json& p : d["panels"]) {
      std::string title = p["title"];
      SCOPED_TRACE(std::string(name) + " / " + title);
      EXPECT_FALSE(title.empty());
      EXPECT_FALSE(p["description"].get<std::string>().empty());
      EXPECT_FALSE(p["fieldConfig"]["defaults"]["unit"].get<std::string>().empty());
      EXPECT_EQ(p["datasource"], Json({{"type", "prometheus"}, {"uid", "${datasource}"}}));
      ASSERT_FALSE(p["targets"].empty());
      for (const Json& t : p["targets"]) {
        EXPECT_EQ(t["datasource"], p["datasource"]);
        EXPECT_FALSE(t["expr"].get<std::string>().empty());
      }
      EXPECT_TRUE(ids.insert(p["id"].get<int>()).second) << "duplicate id " << p["id"];
      // 24-column grid, no two panels overlapping.
      const Json& g = p["gridPos"];
      int x = g["x"], y = g["y"], w = g["w"], h = g["h"];
      ASSERT_GE(x, 0);
      ASSERT_GT(w, 0);
      ASSERT_GT(h, 0);
      ASSERT_LE(x + w, 24);
      if (grid.size() < static_cast<std::size_t>(y + h)) grid.resize(y + h, std::vector<bool>(24));
      for (int r = y; r < y + h; ++r) {
        for (int c = x; c < x + w; ++c) {
          EXPECT_FALSE(grid[r][c]) << "overlap at " << c << "," << r;
          grid[r][c] = true;
        }
      }
    }
  }
}

TEST_F(DashboardsTest, RatesUseRateIntervalExceptTheDocumentedWindows) {
  static const std::regex kRange(R"(\[([^\]]+)\])");
  std::set<std::string> used;
  for (const PanelTarget& pt : AllTargets(files_)) {
    std::string expr = pt.target["expr"];
    SCOPED_TRACE(pt.dashboard + " / " + pt.panel + ": " + expr);
    for (std::sregex_iterator it(expr.begin(), expr.end(), kRange), end; it != end; ++it) {
      std::string window = (*it)[1];
      if (window == "$__rate_interval") continue;
      bool listed = false;
      for (const dash::FixedWindow& f : dash::FixedWindowExceptions()) {
        if (f.dashboard == pt.dashboard && f.panel == pt.panel && f.window == window) {
          listed = true;
          EXPECT_FALSE(f.reason.empty());
          used.insert(pt.dashboard + "|" + pt.panel + "|" + window);
        }
      }
      EXPECT_TRUE(listed) << "window [" << window << "] is not a documented exception";
    }
    for (const char* fn : {"rate(", "increase(", "irate("}) {
      for (std::size_t at = expr.find(fn); at != std::string::npos; at = expr.find(fn, at + 1)) {
        std::size_t close = expr.find(')', at);
        ASSERT_NE(close, std::string::npos);
        EXPECT_THAT(expr.substr(at, close - at), HasSubstr("]")) << fn << " without a range";
      }
    }
  }
  for (const dash::FixedWindow& f : dash::FixedWindowExceptions()) {
    EXPECT_TRUE(used.count(std::string(f.dashboard) + "|" + std::string(f.panel) + "|" +
                           std::string(f.window)))
        << "stale exception: " << f.dashboard << " / " << f.panel << " [" << f.window << "]";
  }
}

TEST_F(DashboardsTest, UsesOnlyCatalogueMetricsAndLabels) {
  static const std::regex kAgentIdent(R"(\b(agent_[a-z0-9_]+)\b)");
  int selectors = 0;
  for (const PanelTarget& pt : AllTargets(files_)) {
    std::string expr = pt.target["expr"];
    std::string where = pt.dashboard + " / " + pt.panel + ": " + expr;
    SCOPED_TRACE(where);
    for (const Selector& s : Selectors(expr)) {
      ++selectors;
      bool bucket = false;
      const MetricSpec* m = SeriesSpec(s.metric, &bucket);
      ASSERT_NE(m, nullptr) << s.metric << " is not in the catalogue";
      std::set<std::string> labels = SeriesLabels(s.metric);
      for (const std::string& l : s.label_names) {
        EXPECT_TRUE(labels.count(l)) << s.metric << " has no label " << l;
      }
      // Every metric with an agent_id label is filtered by the agent variable.
      if (labels.count("agent_id")) {
        EXPECT_THAT(s.label_names, Contains("agent_id"));
      }
    }
    // No bare metric names: every agent_* identifier except the label is a selector.
    for (std::sregex_iterator it(expr.begin(), expr.end(), kAgentIdent), end; it != end; ++it) {
      std::string ident = (*it)[1];
      if (ident == "agent_id") continue;
      std::size_t after = static_cast<std::size_t>(it->position(0) + it->length(0));
      EXPECT_EQ(expr.substr(after, 1), "{") << ident << " without a selector";
    }
    CheckGroupingLabels(expr, where);
  }
  EXPECT_GT(selectors, 60);
}

TEST_F(DashboardsTest, HistogramQueriesHaveExemplars) {
  int quantiles = 0;
  for (const PanelTarget& pt : AllTargets(files_)) {
    std::string expr = pt.target["expr"];
    SCOPED_TRACE(pt.dashboard + " / " + pt.panel);
    bool histogram = expr.find("histogram_quantile") != std::string::npos ||
                     expr.find("_bucket{") != std::string::npos;
    EXPECT_EQ(pt.target["exemplar"], histogram);
    if (expr.find("histogram_quantile") != std::string::npos) ++quantiles;
  }
  EXPECT_GE(quantiles, 10);
  // The run latency panel has p50, p90 and p99 of agent_request_duration_seconds.
  Json d = Parse(files_, "agent-overview");
  bool found = false;
  for (const Json& p : d["panels"]) {
    if (p["title"] != "Run latency p50 / p90 / p99") continue;
    found = true;
    ASSERT_EQ(p["targets"].size(), 3u);
    EXPECT_THAT(p["targets"][2]["expr"].get<std::string>(),
                StartsWith("histogram_quantile(0.99, sum by (le, agent_id) "
                           "(rate(agent_request_duration_seconds_bucket{agent_id=~\"$agent_id\"}"
                           "[$__rate_interval])))"));
  }
  EXPECT_TRUE(found);
}

TEST(DashboardsConfigTest, AppliesTheConfiguredSelectorEverywhere) {
  Config config = Config::Defaults();
  config.alerts.selector = R"(job="agent_exporter")";
  GeneratedFiles files = GenerateDashboards(config);
  int count = 0;
  for (const PanelTarget& pt : AllTargets(files)) {
    std::string expr = pt.target["expr"];
    for (const Selector& s : Selectors(expr)) {
      ++count;
      EXPECT_THAT(s.label_names, Contains("job")) << pt.panel << ": " << expr;
    }
  }
  EXPECT_GT(count, 60);
  Json d = Json::parse(files.at("agent-overview.json"));
  EXPECT_EQ(d["templating"]["list"][1]["definition"],
            R"(label_values(agent_requests_total{job="agent_exporter"}, agent_id))");
  EXPECT_EQ(
      d["templating"]["list"][2]["definition"],
      R"(label_values(agent_llm_calls_total{agent_id=~"$agent_id", job="agent_exporter"}, model))");
}

TEST(DashboardsConfigTest, UidPrefixChangesUidsAndLinks) {
  Config config = Config::Defaults();
  config.dashboards.uid_prefix = "team-a";
  GeneratedFiles files = GenerateDashboards(config);
  for (const char* name : kDashboards) {
    EXPECT_EQ(Json::parse(files.at(std::string(name) + ".json"))["uid"],
              std::string("team-a-") + name);
  }
  EXPECT_THAT(
      files.at("agent-overview.json"),
      HasSubstr(
          "/d/team-a-agent-deep-dive/agent-deep-dive?var-agent_id=${__field.labels.agent_id}"));
}

// Threshold steps of the panel titled `title` (after the base step).
std::vector<double> Steps(const GeneratedFiles& files, const std::string& dashboard,
                          const std::string& title) {
  std::vector<double> out;
  const Json d = Json::parse(files.at(dashboard + ".json"));
  for (const Json& p : d["panels"]) {
    if (p["title"] != title) continue;
    const Json& steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"];
    for (std::size_t i = 1; i < steps.size(); ++i) out.push_back(steps[i]["value"]);
    return out;
  }
  ADD_FAILURE() << "no panel " << title;
  return out;
}

TEST(DashboardsConfigTest, DrawsTheConfiguredBudgetsAndAlertThresholds) {
  Config config = Config::Defaults();
  config.alerts.daily_budget_usd_per_agent = 40;
  config.alerts.daily_budget_usd_total = 250;
  config.alerts.rules.clear();
  GeneratedFiles files = GenerateDashboards(config);
  EXPECT_THAT(Steps(files, "agent-cost", "Spend rate per agent vs daily budget"), ElementsAre(40));
  EXPECT_THAT(Steps(files, "agent-cost", "Total spend rate vs daily budget"), ElementsAre(250));
  EXPECT_THAT(Steps(files, "agent-cost", "Spend today"), ElementsAre(200, 250));
  EXPECT_THAT(files.at("agent-cost.json"), HasSubstr("/ 250\""));
  EXPECT_TRUE(Steps(files, "agent-overview", "Run error ratio by agent").empty());

  config.alerts.rules["AgentErrorRateSpike"].threshold = 0.05;
  config.alerts.rules["AgentToolCallFailureSpike"].threshold = 0.03;
  config.alerts.rules["AgentToolCallFailureSpike"].enabled = false;
  files = GenerateDashboards(config);
  EXPECT_THAT(Steps(files, "agent-overview", "Run error ratio by agent"), ElementsAre(0.05));
  EXPECT_TRUE(Steps(files, "agent-deep-dive", "Tool failure ratio by tool").empty());
}

TEST(DashboardsProvisioningTest, DatasourceLinksExemplarsToTraces) {
  Config config = Config::Defaults();
  config.dashboards.prometheus_url = "http://prometheus:9090";
  config.dashboards.scrape_interval = "30s";
  GeneratedFiles files = GenerateDashboards(config);
  const std::string& text = files.at("provisioning/datasources/agent_exporter.yml");
  EXPECT_THAT(text, StartsWith(GeneratedHeader("#", std::string(dash::kCommand))));
  YAML::Node doc = YAML::Load(text);
  EXPECT_EQ(doc["apiVersion"].as<int>(), 1);
  YAML::Node ds = doc["datasources"][0];
  EXPECT_EQ(ds["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(ds["uid"].as<std::string>(), "prometheus");
  EXPECT_EQ(ds["url"].as<std::string>(), "http://prometheus:9090");
  EXPECT_EQ(ds["jsonData"]["timeInterval"].as<std::string>(), "30s");
  YAML::Node dest = ds["jsonData"]["exemplarTraceIdDestinations"][0];
  EXPECT_EQ(dest["name"].as<std::string>(), "trace_id");
  EXPECT_EQ(dest["datasourceUid"].as<std::string>(), "tempo");
  EXPECT_FALSE(dest["url"]);
  EXPECT_EQ(dest["urlDisplayLabel"].as<std::string>(), "Trace: $${__value.raw}");

  // Without a trace datasource, the URL is used, with `$` escaped for Grafana.
  config.dashboards.trace_datasource_uid = "";
  config.dashboards.trace_url = "https://traces.example.com/trace/${__value.raw}";
  files = GenerateDashboards(config);
  dest = YAML::Load(
      files.at("provisioning/datasources/agent_exporter.yml"))["datasources"][0]["jsonData"]
                                                              ["exemplarTraceIdDestinations"][0];
  EXPECT_FALSE(dest["datasourceUid"]);
  EXPECT_EQ(dest["url"].as<std::string>(), "https://traces.example.com/trace/$${__value.raw}");
}

TEST(DashboardsProvisioningTest, DashboardProviderAndLintFile) {
  GeneratedFiles files = GenerateDashboards(Config::Defaults());
  const std::string& text = files.at("provisioning/dashboards/agent_exporter.yml");
  EXPECT_THAT(text, StartsWith("# Generated by agent_exporter ("));
  YAML::Node p = YAML::Load(text)["providers"][0];
  EXPECT_EQ(p["type"].as<std::string>(), "file");
  EXPECT_EQ(p["allowUiUpdates"].as<bool>(), false);
  EXPECT_FALSE(p["options"]["path"].as<std::string>().empty());

  YAML::Node lint = YAML::Load(files.at(".lint"))["exclusions"];
  std::set<std::string> panels;
  for (const dash::FixedWindow& f : dash::FixedWindowExceptions()) {
    panels.insert(std::string(f.dashboard) + "|" + std::string(f.panel));
  }
  EXPECT_EQ(lint["target-rate-interval-rule"]["entries"].size(), panels.size());
  for (const auto& e : lint["target-rate-interval-rule"]["entries"]) {
    EXPECT_FALSE(e["reason"].as<std::string>().empty());
    EXPECT_THAT(e["dashboard"].as<std::string>(), StartsWith("Agent "));
  }
  EXPECT_TRUE(lint["template-job-rule"]["reason"]);
}

TEST(DashboardsShippedTest, MatchesTheShippedFiles) {
  Result<Config> config = LoadConfig(std::string(AGX_SOURCE_DIR) + "/config/agent_exporter.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  for (const auto& [name, content] : GenerateDashboards(*config)) {
    std::ifstream in(std::string(AGX_SOURCE_DIR) + "/dashboards/" + name, std::ios::binary);
    std::string shipped((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(shipped, content)
        << "dashboards/" << name << " is stale: run agent_exporter "
        << "dashboards --config.file=config/agent_exporter.yml --output=dashboards";
  }
}

}  // namespace
}  // namespace agx
