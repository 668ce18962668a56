#pragma once
// Grafana "classic" dashboard JSON (schemaVersion 39) built with nlohmann::ordered_json so
// the key order, and so the bytes, are fixed. Panels carry the `${datasource}` reference, a
// unit and a description; DashboardBuilder numbers them and lays them out on the 24-column
// grid. Value types and pure functions; thread-compatible.
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace agx::dash {

using Json = nlohmann::ordered_json;

/// One PromQL query of a panel.
struct Target {
  std::string expr;
  std::string legend;    ///< legendFormat, e.g. "{{agent_id}}"
  bool instant = false;  ///< instant query (stat, table, bar gauge) instead of a range query
};

/// `{"type": "prometheus", "uid": "${datasource}"}`.
Json DatasourceRef();

/// Panels. `unit` is a Grafana unit id (s, percentunit, reqps, ops, short, currencyUSD).
/// Targets whose expression reads histogram buckets get `exemplar: true`.
Json TimeSeries(const std::string& title, const std::string& description, const std::string& unit,
                const std::vector<Target>& targets);
Json Stat(const std::string& title, const std::string& description, const std::string& unit,
          const std::vector<Target>& targets);
Json BarGauge(const std::string& title, const std::string& description, const std::string& unit,
              const std::vector<Target>& targets);
/// A table of instant queries; `columns` renames `Value #<refId>` (one per target, in order).
Json Table(const std::string& title, const std::string& description, const std::string& unit,
           const std::vector<Target>& targets, const std::vector<std::string>& columns);
/// A heatmap of pre-bucketed histogram counts (`le` buckets, calculate off); `y_unit` is the
/// unit of the bucket bounds.
Json Heatmap(const std::string& title, const std::string& description, const std::string& y_unit,
             const Target& target);

/// Panel modifiers.
void SetStacked(Json* panel);                        ///< timeseries: stacked areas
void SetRange(Json* panel, double min, double max);  ///< fixed axis / gauge range
/// Threshold steps after `base_color` (the colour below the first step): e.g. {{0.8, "orange"}, {1,
/// "red"}}. On a timeseries they are also drawn as dashed lines (the budget, the alert threshold).
void SetThresholds(Json* panel, const std::vector<std::pair<double, std::string>>& steps,
                   const std::string& base_color = "green");
void SetTimeFrom(Json* panel, const std::string& time_from);  ///< e.g. "now/d" (today so far)
void AddDataLink(Json* panel, const std::string& title, const std::string& url);

/// A `type: datasource` variable named `datasource` for Prometheus datasources.
Json DatasourceVariable();
/// A multi-value query variable from `label_values(...)`, refreshed on time-range change,
/// with "All" = `.+` (for `=~` matchers).
Json QueryVariable(const std::string& name, const std::string& label, const std::string& query);

/// Numbers panels and places them left to right on the 24-column grid.
class DashboardBuilder {
 public:
  /// Adds `panel` with width `w` (1..24) and height `h`; wraps to a new line when full.
  void Add(Json panel, int w, int h);
  /// Starts a new line even if the current one has room.
  void NewLine();
  Json TakePanels() { return std::move(panels_); }

 private:
  Json panels_ = Json::array();
  int next_id_ = 1;
  int x_ = 0;
  int y_ = 0;
  int line_h_ = 0;
};

struct DashboardMeta {
  std::string uid;
  std::string title;
  std::string description;  ///< ends with the "generated, do not edit" note
  std::vector<Json> variables;
};

/// The whole dashboard: built-in and firing-alert annotations, links to the sibling
/// dashboards (tag agent_exporter), tags agent_exporter + generated, `editable: false`.
Json BuildDashboard(const DashboardMeta& meta, Json panels);

/// `dump(2)` plus a trailing newline: the bytes written to disk.
std::string Dump(const Json& dashboard);

}  // namespace agx::dash
