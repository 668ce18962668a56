#include "generate/dashboards/grafana.h"

#include <algorithm>

namespace agx::dash {
namespace {

bool ReadsBuckets(const std::string& expr) { return expr.find("_bucket{") != std::string::npos; }

Json TargetJson(const Target& t, char ref_id, const std::string& format) {
  Json j;
  j["datasource"] = DatasourceRef();
  j["editorMode"] = "code";
  j["exemplar"] = ReadsBuckets(t.expr);
  j["expr"] = t.expr;
  j["format"] = format;
  j["instant"] = t.instant;
  j["legendFormat"] = t.legend;
  j["range"] = !t.instant;
  j["refId"] = std::string(1, ref_id);
  return j;
}

Json Targets(const std::vector<Target>& targets, const std::string& format) {
  Json list = Json::array();
  char ref = 'A';
  for (const Target& t : targets) list.push_back(TargetJson(t, ref++, format));
  return list;
}

Json BaseThresholds() {
  Json step;
  step["color"] = "green";
  step["value"] = nullptr;
  Json th;
  th["mode"] = "absolute";
  th["steps"] = Json::array({step});
  return th;
}

Json FieldConfig(const std::string& unit, Json custom) {
  Json defaults;
  defaults["color"] = Json{{"mode", "palette-classic"}};
  if (!custom.is_null()) defaults["custom"] = std::move(custom);
  defaults["links"] = Json::array();
  defaults["mappings"] = Json::array();
  defaults["thresholds"] = BaseThresholds();
  defaults["unit"] = unit;
  Json fc;
  fc["defaults"] = std::move(defaults);
  fc["overrides"] = Json::array();
  return fc;
}

// Key order of every panel: id and gridPos are filled in by DashboardBuilder.
Json Panel(const std::string& type, const std::string& title, const std::string& description,
           Json field_config, Json options, Json targets) {
  Json p;
  p["datasource"] = DatasourceRef();
  p["description"] = description;
  p["fieldConfig"] = std::move(field_config);
  p["gridPos"] = nullptr;
  p["id"] = nullptr;
  p["options"] = std::move(options);
  p["targets"] = std::move(targets);
  p["title"] = title;
  p["type"] = type;
  return p;
}

Json ReduceLast() {
  return Json{{"calcs", Json::array({"lastNotNull"})}, {"fields", ""}, {"values", false}};
}

}  // namespace

Json DatasourceRef() { return Json{{"type", "prometheus"}, {"uid", "${datasource}"}}; }

Json TimeSeries(const std::string& title, const std::string& description, const std::string& unit,
                const std::vector<Target>& targets) {
  Json custom;
  custom["drawStyle"] = "line";
  custom["fillOpacity"] = 10;
  custom["lineWidth"] = 1;
  custom["showPoints"] = "never";
  custom["spanNulls"] = false;
  custom["stacking"] = Json{{"group", "A"}, {"mode", "none"}};
  custom["thresholdsStyle"] = Json{{"mode", "off"}};
  Json options;
  options["legend"] = Json{{"calcs", Json::array()},
                           {"displayMode", "list"},
                           {"placement", "bottom"},
                           {"showLegend", true}};
  options["tooltip"] = Json{{"mode", "multi"}, {"sort", "desc"}};
  return Panel("timeseries", title, description, FieldConfig(unit, std::move(custom)),
               std::move(options), Targets(targets, "time_series"));
}

Json Stat(const std::string& title, const std::string& description, const std::string& unit,
          const std::vector<Target>& targets) {
  Json options;
  options["colorMode"] = "value";
  options["graphMode"] = "none";
  options["justifyMode"] = "auto";
  options["orientation"] = "auto";
  options["reduceOptions"] = ReduceLast();
  options["textMode"] = "auto";
  return Panel("stat", title, description, FieldConfig(unit, nullptr), std::move(options),
               Targets(targets, "time_series"));
}

Json BarGauge(const std::string& title, const std::string& description, const std::string& unit,
              const std::vector<Target>& targets) {
  Json options;
  options["displayMode"] = "gradient";
  options["orientation"] = "horizontal";
  options["reduceOptions"] = ReduceLast();
  options["showUnfilled"] = true;
  return Panel("bargauge", title, description, FieldConfig(unit, nullptr), std::move(options),
               Targets(targets, "time_series"));
}

Json Table(const std::string& title, const std::string& description, const std::string& unit,
           const std::vector<Target>& targets, const std::vector<std::string>& columns) {
  Json options;
  options["cellHeight"] = "sm";
  options["showHeader"] = true;
  Json p = Panel("table", title, description, FieldConfig(unit, nullptr), std::move(options),
                 Targets(targets, "table"));
  Json rename = Json::object();
  for (std::size_t i = 0; i < columns.size() && i < targets.size(); ++i) {
    std::string value = targets.size() == 1 ? "Value" : "Value #" + std::string(1, char('A' + i));
    rename[value] = columns[i];
  }
  Json transformations = Json::array();
  if (targets.size() > 1)
    transformations.push_back(Json{{"id", "merge"}, {"options", Json::object()}});
  Json organize;
  organize["id"] = "organize";
  organize["options"] = Json{{"excludeByName", Json{{"Time", true}}}, {"renameByName", rename}};
  transformations.push_back(std::move(organize));
  p["transformations"] = std::move(transformations);
  return p;
}

Json Heatmap(const std::string& title, const std::string& description, const std::string& y_unit,
             const Target& target) {
  Json custom;
  custom["scaleDistribution"] = Json{{"type", "linear"}};
  Json options;
  options["calculate"] = false;
  options["cellGap"] = 1;
  options["color"] = Json{{"mode", "scheme"}, {"scheme", "Oranges"}, {"steps", 64}};
  options["exemplars"] = Json{{"color", "rgba(255,0,255,0.7)"}};
  options["legend"] = Json{{"show", true}};
  options["rowsFrame"] = Json{{"layout", "auto"}};
  options["tooltip"] = Json{{"show", true}, {"yHistogram", true}};
  options["yAxis"] = Json{{"axisPlacement", "left"}, {"unit", y_unit}};
  Target t = target;
  t.legend = "{{le}}";
  return Panel("heatmap", title, description, FieldConfig("short", std::move(custom)),
               std::move(options), Targets({t}, "heatmap"));
}

void SetStacked(Json* panel) {
  Json& custom = (*panel)["fieldConfig"]["defaults"]["custom"];
  custom["fillOpacity"] = 60;
  custom["stacking"]["mode"] = "normal";
}

void SetRange(Json* panel, double min, double max) {
  Json& d = (*panel)["fieldConfig"]["defaults"];
  d["min"] = min;
  d["max"] = max;
}

void SetThresholds(Json* panel, const std::vector<std::pair<double, std::string>>& steps,
                   const std::string& base_color) {
  Json& d = (*panel)["fieldConfig"]["defaults"];
  d["thresholds"]["steps"][0]["color"] = base_color;
  for (const auto& [value, color] : steps) {
    d["thresholds"]["steps"].push_back(Json{{"color", color}, {"value", value}});
  }
  if ((*panel)["type"] == "timeseries") d["custom"]["thresholdsStyle"]["mode"] = "dashed";
}

void SetTimeFrom(Json* panel, const std::string& time_from) {
  (*panel)["timeFrom"] = time_from;
  (*panel)["hideTimeOverride"] = false;
}

void AddDataLink(Json* panel, const std::string& title, const std::string& url) {
  (*panel)["fieldConfig"]["defaults"]["links"].push_back(
      Json{{"targetBlank", false}, {"title", title}, {"url", url}});
}

Json DatasourceVariable() {
  Json v;
  v["current"] = Json::object();
  v["hide"] = 0;
  v["includeAll"] = false;
  v["label"] = "Data source";
  v["multi"] = false;
  v["name"] = "datasource";
  v["options"] = Json::array();
  v["query"] = "prometheus";
  v["refresh"] = 1;
  v["regex"] = "";
  v["type"] = "datasource";
  return v;
}

Json QueryVariable(const std::string& name, const std::string& label, const std::string& query) {
  Json v;
  v["allValue"] = ".+";
  v["current"] = Json::object();
  v["datasource"] = DatasourceRef();
  v["definition"] = query;
  v["hide"] = 0;
  v["includeAll"] = true;
  v["label"] = label;
  v["multi"] = true;
  v["name"] = name;
  v["options"] = Json::array();
  v["query"] = Json{
      {"qryType", 1}, {"query", query}, {"refId", "PrometheusVariableQueryEditor-VariableQuery"}};
  v["refresh"] = 2;
  v["regex"] = "";
  v["sort"] = 1;
  v["type"] = "query";
  return v;
}

void DashboardBuilder::Add(Json panel, int w, int h) {
  w = std::clamp(w, 1, 24);
  if (x_ + w > 24) NewLine();
  panel["gridPos"] = Json{{"h", h}, {"w", w}, {"x", x_}, {"y", y_}};
  panel["id"] = next_id_++;
  panels_.push_back(std::move(panel));
  x_ += w;
  line_h_ = std::max(line_h_, h);
}

void DashboardBuilder::NewLine() {
  y_ += line_h_;
  x_ = 0;
  line_h_ = 0;
}

Json BuildDashboard(const DashboardMeta& meta, Json panels) {
  Json builtin;
  builtin["builtIn"] = 1;
  builtin["datasource"] = Json{{"type", "grafana"}, {"uid", "-- Grafana --"}};
  builtin["enable"] = true;
  builtin["hide"] = true;
  builtin["iconColor"] = "rgba(0, 211, 255, 1)";
  builtin["name"] = "Annotations & Alerts";
  builtin["type"] = "dashboard";
  // Alerts from the generated rules that name an agent, shown on every time axis.
  Json alerts;
  alerts["datasource"] = DatasourceRef();
  alerts["enable"] = true;
  alerts["expr"] = R"(ALERTS{alertstate="firing",agent_id=~"$agent_id"})";
  alerts["hide"] = false;
  alerts["iconColor"] = "red";
  alerts["name"] = "Firing agent alerts";
  alerts["step"] = "60s";
  alerts["tagKeys"] = "severity,agent_id";
  alerts["textFormat"] = "{{agent_id}}";
  alerts["titleFormat"] = "{{alertname}}";
  alerts["useValueForTime"] = false;

  Json link;
  link["asDropdown"] = false;
  link["icon"] = "external link";
  link["includeVars"] = true;
  link["keepTime"] = true;
  link["tags"] = Json::array({"agent_exporter"});
  link["targetBlank"] = false;
  link["title"] = "agent_exporter";
  link["tooltip"] = "";
  link["type"] = "dashboards";
  link["url"] = "";

  Json d;
  d["annotations"] = Json{{"list", Json::array({builtin, alerts})}};
  d["description"] = meta.description;
  d["editable"] = false;
  d["fiscalYearStartMonth"] = 0;
  d["graphTooltip"] = 1;
  d["id"] = nullptr;
  d["links"] = Json::array({link});
  d["panels"] = std::move(panels);
  d["refresh"] = "1m";
  d["schemaVersion"] = 39;
  d["tags"] = Json::array({"agent_exporter", "generated"});
  Json vars = Json::array();
  for (const Json& v : meta.variables) vars.push_back(v);
  d["templating"] = Json{{"list", std::move(vars)}};
  d["time"] = Json{{"from", "now-6h"}, {"to", "now"}};
  d["timepicker"] = Json::object();
  d["timezone"] = "browser";
  d["title"] = meta.title;
  d["uid"] = meta.uid;
  d["version"] = 1;
  d["weekStart"] = "";
  return d;
}

std::string Dump(const Json& dashboard) { return dashboard.dump(2) + "\n"; }

}  // namespace agx::dash
