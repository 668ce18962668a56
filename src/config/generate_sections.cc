// The `alerts`, `dashboards` and `alertmanager` sections of the config file.
#include "config/generate_sections.h"

#include <cctype>
#include <cstdio>
#include <set>
#include <string>

#include "config/alert_defaults.h"
#include "config/scalar_syntax.h"

namespace agx::config_detail {
namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// A Prometheus label name (no colons).
bool IsLabelName(std::string_view s) {
  if (s.empty() || !IsNameStart(s[0])) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool HasSpaceOrControl(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Reads a string that must pass `check` (which returns what is wrong, or "").
template <class Check>
bool ReadChecked(const Value& v, std::string_view what, Check check, Diagnostics* d,
                 std::string* out) {
  std::string s;
  if (!ReadString(v, d, &s)) return false;
  if (std::string problem = check(s); !problem.empty()) {
    d->Add(v.mark(), v.Message("invalid " + std::string(what) + " " + Quoted(s) + ": " + problem));
    return false;
  }
  *out = std::move(s);
  return true;
}

// A URL that is pasted into alert annotations, which are Go templates: no braces, no anchor
// (runbook anchors are appended), trailing slashes dropped.
std::string CheckAnnotationUrl(std::string_view url) {
  if (std::string p = CheckHttpUrl(url); !p.empty()) return p;
  if (url.find_first_of("{}") != std::string_view::npos) return "must not contain '{' or '}'";
  if (url.find('#') != std::string_view::npos) return "must not contain '#'";
  return "";
}

void ReadAnnotationUrl(const Value& v, Diagnostics* d, std::string* out) {
  std::string s;
  if (!ReadChecked(v, "URL", CheckAnnotationUrl, d, &s)) return;
  while (s.size() > 1 && s.back() == '/' && s[s.size() - 2] != '/') s.pop_back();
  *out = std::move(s);
}

// A duration >= 0 (`for: 0s` means "fire at once") in whole seconds.
bool ReadSeconds(const Value& v, bool allow_zero, Diagnostics* d, std::chrono::seconds* out) {
  std::chrono::milliseconds ms{};
  if (allow_zero && v.node.IsScalar()) {
    std::chrono::milliseconds zero{};
    if (ParseDuration(v.node.Scalar(), &zero) && zero.count() == 0) {
      *out = std::chrono::seconds(0);
      return true;
    }
  }
  if (!ReadDuration(v, d, &ms)) return false;
  if (ms.count() % 1000 != 0) {
    d->Add(v.mark(), v.Message("must be a whole number of seconds, got " + v.node.Scalar()));
    return false;
  }
  *out = std::chrono::duration_cast<std::chrono::seconds>(ms);
  return true;
}

// A number in [min, max] (max < 0: no upper limit); `min_open` excludes min itself.
bool ReadBounded(const Value& v, double min, bool min_open, double max, Diagnostics* d,
                 double* out) {
  double x = 0;
  if (!ReadNumber(v, d, &x)) return false;
  const bool low = min_open ? x <= min : x < min;
  if (low || (max >= 0 && x > max)) {
    std::string range = min_open ? "greater than " : "at least ";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", min);
    range += buf;
    if (max >= 0) {
      std::snprintf(buf, sizeof buf, "%g", max);
      range += std::string(" and at most ") + buf;
    }
    d->Add(v.mark(), v.Message("must be " + range + ", got " + v.node.Scalar()));
    return false;
  }
  *out = x;
  return true;
}

bool ReadBool(const Value& v, Diagnostics* d, bool* out) {
  const std::string s = v.node.IsScalar() ? v.node.Scalar() : "";
  if (v.node.IsScalar() && v.node.Tag() == "?" && (s == "true" || s == "false")) {
    *out = s == "true";
    return true;
  }
  d->Add(v.mark(), v.Message("expected true or false, got " +
                             (v.node.IsScalar() ? Quoted(s) : std::string("a non-scalar"))));
  return false;
}

std::string FieldNames(std::uint8_t fields) {
  std::string s = "enabled, severity";
  const std::pair<std::uint8_t, const char*> names[] = {
      {kFieldFor, "for"},           {kFieldWindow, "window"},
      {kFieldBaseline, "baseline"}, {kFieldThreshold, "threshold"},
      {kFieldFactor, "factor"},     {kFieldMinRate, "min_rate"}};
  for (const auto& [bit, name] : names) {
    if (fields & bit) s += std::string(", ") + name;
  }
  return s;
}

void DecodeAlertRule(const Value& v, const KnownAlert& known, AlertRuleConfig* rule,
                     Diagnostics* d) {
  // Each field decodes only if this alert reads it: a tunable that does nothing is an error.
  auto used = [&](std::uint8_t bit, std::string_view key, const Value& x) {
    if (known.fields & bit) return true;
    d->Add(x.fallback, "unknown key " + x.path + ": " + std::string(known.name) +
                           " does not use \"" + std::string(key) + "\" (it reads " +
                           FieldNames(known.fields) + ")");
    return false;
  };
  const std::size_t errors_before = d->size();
  AlertRuleConfig r = *rule;
  const Field fields[] = {
      {"enabled", [&](const Value& x) { ReadBool(x, d, &r.enabled); }},
      {"severity",
       [&](const Value& x) {
         std::string s;
         if (!ReadString(x, d, &s)) return;
         if (s == "P1" || s == "P2" || s == "P3") {
           r.severity = s;
         } else {
           d->Add(x.mark(), x.Message("must be P1, P2 or P3, got " + Quoted(s)));
         }
       }},
      {"for",
       [&](const Value& x) {
         if (used(kFieldFor, "for", x)) ReadSeconds(x, true, d, &r.for_duration);
       }},
      {"window",
       [&](const Value& x) {
         if (used(kFieldWindow, "window", x)) ReadSeconds(x, false, d, &r.window);
       }},
      {"baseline",
       [&](const Value& x) {
         if (used(kFieldBaseline, "baseline", x)) ReadSeconds(x, false, d, &r.baseline);
       }},
      {"threshold",
       [&](const Value& x) {
         if (!used(kFieldThreshold, "threshold", x)) return;
         const double max = known.threshold_max > 0 ? known.threshold_max : -1;
         ReadBounded(x, 0, false, max, d, &r.threshold);
       }},
      {"factor",
       [&](const Value& x) {
         if (used(kFieldFactor, "factor", x)) ReadBounded(x, 0, true, -1, d, &r.factor);
       }},
      {"min_rate",
       [&](const Value& x) {
         if (used(kFieldMinRate, "min_rate", x)) ReadBounded(x, 0, false, -1, d, &r.min_rate);
       }},
  };
  DecodeMapping(v, fields, d);
  if (d->size() != errors_before) return;
  if (known.baseline_longer && r.baseline <= r.window) {
    d->Add(v.fallback, v.Message("baseline must be longer than window"));
    return;
  }
  *rule = std::move(r);
}

void DecodeAlertRules(const Value& v, std::map<std::string, AlertRuleConfig>* rules,
                      Diagnostics* d) {
  ForEachEntry(v, d, [&](const std::string& name, const YAML::Mark& key_mark, const Value& x) {
    const KnownAlert* known = FindKnownAlert(name);
    if (known == nullptr) {
      std::string names;
      for (const KnownAlert& a : KnownAlerts()) {
        if (!names.empty()) names += ", ";
        names += a.name;
      }
      d->Add(key_mark, "unknown alert " + x.path + " (known alerts: " + names + ")");
      return;
    }
    auto it = rules->find(name);
    if (it == rules->end()) it = rules->emplace(name, known->defaults).first;
    if (x.node.IsNull()) {
      d->Add(key_mark, x.Message("expected a mapping of overrides, got nothing (null)"));
      return;
    }
    DecodeAlertRule(x, *known, &it->second, d);
  });
}

}  // namespace

std::string CheckSelector(std::string_view s) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  skip_space();
  if (i == s.size()) return "";  // empty: no extra matchers
  while (true) {
    const std::size_t name_start = i;
    while (i < s.size() && IsNameChar(s[i])) ++i;
    const std::string_view name = s.substr(name_start, i - name_start);
    if (!IsLabelName(name)) {
      return "expected a label name at offset " + std::to_string(name_start);
    }
    if (name == "__name__") return "__name__ is not allowed (the rules choose the metrics)";
    skip_space();
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("=~") || rest.starts_with("!=") || rest.starts_with("!~")) {
      i += 2;
    } else if (rest.starts_with("=")) {
      i += 1;
    } else {
      return "expected =, !=, =~ or !~ after " + std::string(name);
    }
    skip_space();
    if (i == s.size() || (s[i] != '"' && s[i] != '\'' && s[i] != '`')) {
      return "expected a quoted value for " + std::string(name);
    }
    const char quote = s[i++];
    bool closed = false;
    while (i < s.size()) {
      const char c = s[i++];
      if (c == '\\' && quote != '`') {
        if (i == s.size()) break;
        ++i;
      } else if (c == quote) {
        closed = true;
        break;
      } else if (c == '\n') {
        break;
      }
    }
    if (!closed) return "unterminated value for " + std::string(name);
    skip_space();
    if (i == s.size()) return "";
    if (s[i] != ',') return "expected ',' between matchers at offset " + std::to_string(i);
    ++i;
    skip_space();
    if (i == s.size()) return "trailing ','";
  }
}

std::string CheckHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return "must start with http:// or https://";
  }
  if (rest.empty() || rest[0] == '/') return "has no host";
  if (HasSpaceOrControl(url)) return "must not contain spaces or control characters";
  return "";
}

void DecodeAlerts(const Value& v, AlertsConfig* alerts, Diagnostics* d) {
  const Field fields[] = {
      {"runbook_url", [&](const Value& x) { ReadAnnotationUrl(x, d, &alerts->runbook_url); }},
      {"grafana_url", [&](const Value& x) { ReadAnnotationUrl(x, d, &alerts->grafana_url); }},
      {"selector",
       [&](const Value& x) {
         std::string s;
         if (!ReadChecked(x, "selector", CheckSelector, d, &s)) return;
         const auto first = s.find_first_not_of(" \t");
         const auto last = s.find_last_not_of(" \t");
         alerts->selector = first == std::string::npos ? "" : s.substr(first, last - first + 1);
       }},
      {"slo_objective",
       [&](const Value& x) {
         double o = 0;
         if (!ReadNumber(x, d, &o)) return;
         if (o <= 0 || o >= 1) {
           d->Add(x.mark(), x.Message("must be between 0 and 1 (exclusive), e.g. 0.99, got " +
                                      x.node.Scalar()));
           return;
         }
         alerts->slo_objective = o;
       }},
      {"slo_period", [&](const Value& x) { ReadSeconds(x, false, d, &alerts->slo_period); }},
      {"daily_budget_usd_per_agent",
       [&](const Value& x) {
         ReadBounded(x, 0, true, -1, d, &alerts->daily_budget_usd_per_agent);
       }},
      {"daily_budget_usd_total",
       [&](const Value& x) { ReadBounded(x, 0, true, -1, d, &alerts->daily_budget_usd_total); }},
      {"rules", [&](const Value& x) { DecodeAlertRules(x, &alerts->rules, d); }},
  };
  DecodeMapping(v, fields, d);
}

void DecodeDashboards(const Value& v, DashboardsConfig* dashboards, Diagnostics* d) {
  bool uid_set = false;
  const Field fields[] = {
      {"uid_prefix",
       [&](const Value& x) {
         auto check = [](const std::string& s) -> std::string {
           if (s.empty() || s.size() > 24) return "must be 1 to 24 characters";
           for (char c : s) {
             if (!IsNameChar(c) && c != '-') return "only letters, digits, '_' and '-' allowed";
           }
           return "";
         };
         ReadChecked(x, "uid prefix", check, d, &dashboards->uid_prefix);
       }},
      {"prometheus_url",
       [&](const Value& x) {
         ReadChecked(x, "URL", CheckHttpUrl, d, &dashboards->prometheus_url);
       }},
      {"scrape_interval",
       [&](const Value& x) {
         std::chrono::seconds s{};
         if (ReadSeconds(x, false, d, &s)) dashboards->scrape_interval = x.node.Scalar();
       }},
      {"trace_datasource_uid",
       [&](const Value& x) {
         uid_set = true;
         auto check = [](const std::string& s) -> std::string {
           for (char c : s) {
             if (!IsNameChar(c) && c != '-') return "only letters, digits, '_' and '-' allowed";
           }
           return s.size() > 40 ? "must be at most 40 characters" : "";
         };
         ReadChecked(x, "datasource uid", check, d, &dashboards->trace_datasource_uid);
       }},
      {"trace_url",
       [&](const Value& x) {
         auto check = [](const std::string& s) { return s.empty() ? "" : CheckHttpUrl(s); };
         ReadChecked(x, "URL", check, d, &dashboards->trace_url);
       }},
  };
  DecodeMapping(v, fields, d);
  if (!dashboards->trace_url.empty()) {
    if (!uid_set) {
      dashboards->trace_datasource_uid.clear();  // a URL replaces the default datasource
    } else if (!dashboards->trace_datasource_uid.empty()) {
      d->Add(v.mark(), v.Message("set trace_datasource_uid or trace_url, not both"));
    }
  }
}

void DecodeAlertmanager(const Value& v, AlertmanagerConfig* am, Diagnostics* d) {
  auto webhook = [&](std::string* out) {
    return [&, out](const Value& x) {
      auto check = [](const std::string& s) { return s.empty() ? "" : CheckHttpUrl(s); };
      ReadChecked(x, "URL", check, d, out);
    };
  };
  const Field fields[] = {
      {"pagerduty_routing_key_file",
       [&](const Value& x) { ReadString(x, d, &am->pagerduty_routing_key_file); }},
      {"slack_api_url_file", [&](const Value& x) { ReadString(x, d, &am->slack_api_url_file); }},
      {"slack_channel",
       [&](const Value& x) {
         auto check = [](const std::string& s) -> std::string {
           if (s.empty()) return "must not be empty";
           return HasSpaceOrControl(s) ? "must not contain spaces" : "";
         };
         ReadChecked(x, "Slack channel", check, d, &am->slack_channel);
       }},
      {"pager_webhook_url", webhook(&am->pager_webhook_url)},
      {"chat_webhook_url", webhook(&am->chat_webhook_url)},
      {"group_by",
       [&](const Value& x) {
         std::vector<std::string> labels;
         std::set<std::string> seen;
         const std::size_t errors_before = d->size();
         const bool is_list = ForEachItem(x, d, [&](const Value& item) {
           std::string s;
           if (!ReadString(item, d, &s)) return;
           if (!IsLabelName(s) && s != "...") {
             d->Add(item.mark(), item.Message("invalid label name " + Quoted(s)));
           } else if (!seen.insert(s).second) {
             d->Add(item.mark(), item.Message("duplicate label " + Quoted(s)));
           } else {
             labels.push_back(std::move(s));
           }
         });
         if (is_list && d->size() == errors_before) am->group_by = std::move(labels);
       }},
      {"group_wait", [&](const Value& x) { ReadSeconds(x, false, d, &am->group_wait); }},
      {"group_interval", [&](const Value& x) { ReadSeconds(x, false, d, &am->group_interval); }},
      {"repeat_interval", [&](const Value& x) { ReadSeconds(x, false, d, &am->repeat_interval); }},
  };
  DecodeMapping(v, fields, d);
  if (am->pager_webhook_url.empty() && am->pagerduty_routing_key_file.empty()) {
    d->Add(v.mark(), v.Message("the pager needs pagerduty_routing_key_file or pager_webhook_url"));
  }
  if (am->chat_webhook_url.empty() && am->slack_api_url_file.empty()) {
    d->Add(v.mark(), v.Message("the chat needs slack_api_url_file or chat_webhook_url"));
  }
}

}  // namespace agx::config_detail
