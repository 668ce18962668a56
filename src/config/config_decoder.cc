// The schema of config/agent_exporter.yml: one decoder per top-level section.
#include "config/config_decoder.h"

#include <limits>
#include <map>
#include <set>
#include <string>

#include "catalog/metric_spec.h"
#include "config/generate_sections.h"
#include "config/scalar_syntax.h"

namespace agx::config_detail {
namespace {

constexpr std::int64_t kMaxThreads = 1024;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// A string that must pass `check` (which returns what is wrong, or "").
template <class Check>
void ReadCheckedString(const Value& v, std::string_view what, Check check, Diagnostics* d,
                       std::string* out) {
  std::string s;
  if (!ReadString(v, d, &s)) return;
  if (std::string problem = check(s); !problem.empty()) {
    d->Add(v.mark(), v.Message("invalid " + std::string(what) + " " + Quoted(s) + ": " + problem));
    return;
  }
  *out = std::move(s);
}

void DecodeWeb(const Value& v, WebConfig* web, Diagnostics* d) {
  const Field fields[] = {
      {"listen_address",
       [&](const Value& x) {
         ReadCheckedString(x, "listen address", CheckListenAddress, d, &web->listen_address);
       }},
      {"telemetry_path",
       [&](const Value& x) {
         ReadCheckedString(x, "path", CheckHttpPath, d, &web->telemetry_path);
       }},
      {"max_body_bytes", [&](const Value& x) { ReadSize(x, d, &web->max_body_bytes); }},
      {"max_decompressed_bytes",
       [&](const Value& x) { ReadSize(x, d, &web->max_decompressed_bytes); }},
      {"bearer_token_file", [&](const Value& x) { ReadString(x, d, &web->bearer_token_file); }},
      {"threads",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, kMaxThreads, d, &n)) web->threads = static_cast<int>(n);
       }},
      {"request_timeout", [&](const Value& x) { ReadDuration(x, d, &web->request_timeout); }},
      {"idle_timeout", [&](const Value& x) { ReadDuration(x, d, &web->idle_timeout); }},
      {"max_concurrent_ingest",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, kMaxThreads, d, &n)) web->max_concurrent_ingest = static_cast<int>(n);
       }},
  };
  DecodeMapping(v, fields, d);
}

void DecodeIngest(const Value& v, IngestConfig* ingest, std::vector<std::string>* otlp_files,
                  ContainerLogFiles* otlp_containers, Diagnostics* d) {
  std::vector<std::string> claude_code_files;
  std::vector<std::string> codex_files;
  const Field fields[] = {
      {"files",
       [&](const Value& x) {
         TailedFiles f{&ingest->files,          otlp_files,     &claude_code_files,
                       &codex_files,            &ingest->container_logs, otlp_containers};
         DecodeTailedFiles(x, f, d);
       }},
      {"transcripts", [&](const Value& x) { DecodeTranscripts(x, &ingest->transcripts, d); }},
      {"poll_interval", [&](const Value& x) { ReadDuration(x, d, &ingest->poll_interval); }},
      {"max_line_bytes", [&](const Value& x) { ReadSize(x, d, &ingest->max_line_bytes); }},
      {"max_open_files",
       [&](const Value& x) {
         std::int64_t n = 0;
         // Linux's default ceiling of descriptors per process (fs.nr_open).
         if (ReadInt(x, 1, 1048576, d, &n)) ingest->max_open_files = static_cast<std::size_t>(n);
       }},
      {"scan_interval", [&](const Value& x) { ReadDuration(x, d, &ingest->scan_interval); }},
      {"max_json_depth",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, 1000, d, &n)) ingest->max_json_depth = static_cast<int>(n);
       }},
      {"max_events_per_push",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, 10000000, d, &n)) {
           ingest->max_events_per_push = static_cast<std::size_t>(n);
         }
       }},
      {"start_at",
       [&](const Value& x) {
         std::string s;
         if (!ReadString(x, d, &s)) return;
         if (s == "beginning" || s == "end") {
           ingest->start_at_end = s == "end";
         } else {
           d->Add(x.mark(), x.Message("must be \"beginning\" or \"end\", got " + Quoted(s)));
         }
       }},
  };
  DecodeMapping(v, fields, d);
  // Files given a transcript format in ingest.files come after the directories' patterns.
  auto& t = ingest->transcripts;
  t.claude_code.files.insert(t.claude_code.files.end(), claude_code_files.begin(),
                             claude_code_files.end());
  t.codex.files.insert(t.codex.files.end(), codex_files.begin(), codex_files.end());
}

void DecodeState(const Value& v, StateConfig* state, Diagnostics* d) {
  const Field fields[] = {
      {"dir", [&](const Value& x) { ReadString(x, d, &state->dir); }},
      {"snapshot_interval", [&](const Value& x) { ReadDuration(x, d, &state->snapshot_interval); }},
      {"max_wal_bytes", [&](const Value& x) { ReadSize(x, d, &state->max_wal_bytes); }},
      {"checkpoint_wal_bytes",
       [&](const Value& x) { ReadSize(x, d, &state->checkpoint_wal_bytes); }},
  };
  DecodeMapping(v, fields, d);
}

// One `buckets:` entry: the metric must be a catalogued histogram and the bounds positive
// and strictly increasing (+Inf is implicit).
void DecodeBuckets(const Value& v, std::map<MetricId, std::vector<double>>* buckets,
                   Diagnostics* d) {
  ForEachEntry(v, d, [&](const std::string& name, const YAML::Mark& key_mark, const Value& x) {
    const MetricSpec* spec = FindMetric(name);
    if (spec == nullptr) {
      d->Add(key_mark, v.Message("unknown metric " + Quoted(name) + " (not in the catalogue)"));
      return;
    }
    if (spec->type != MetricType::kHistogram) {
      d->Add(key_mark,
             v.Message("metric \"" + name + "\" is a " + std::string(TypeName(spec->type)) +
                       ", not a histogram: it has no buckets"));
      return;
    }
    std::vector<double> bounds;
    std::string previous;  // the previous bound as written
    bool ok = true;
    const bool is_list = ForEachItem(x, d, [&](const Value& item) {
      double b = 0;
      if (!ReadNumber(item, d, &b)) {
        ok = false;
        return;
      }
      if (b <= 0) {
        d->Add(item.mark(),
               item.Message("bucket bounds must be positive, got " + item.node.Scalar()));
        ok = false;
      } else if (!bounds.empty() && b <= bounds.back()) {
        d->Add(item.mark(), item.Message("bucket bounds must be strictly increasing, got " +
                                         item.node.Scalar() + " after " + previous));
        ok = false;
      }
      bounds.push_back(b);
      previous = item.node.Scalar();
    });
    if (!is_list || !ok) return;
    if (bounds.empty()) {
      d->Add(x.mark(), x.Message("needs at least one bucket bound"));
      return;
    }
    (*buckets)[spec->id] = std::move(bounds);
  });
}

void DecodeRegistry(const Value& v, RegistryConfig* registry, Diagnostics* d) {
  const Field fields[] = {
      {"series_limit",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, kInt64Max, d, &n)) registry->series_limit = static_cast<std::size_t>(n);
       }},
      {"max_series",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, kInt64Max, d, &n)) registry->max_series = static_cast<std::size_t>(n);
       }},
      {"label_value_max_bytes",
       [&](const Value& x) { ReadSize(x, d, &registry->label_value_max_bytes); }},
      {"window",
       [&](const Value& x) {
         std::chrono::milliseconds ms{};
         if (!ReadDuration(x, d, &ms)) return;
         if (ms.count() % 1000 != 0) {
           d->Add(x.mark(), x.Message("must be a whole number of seconds, got " + x.node.Scalar()));
           return;
         }
         registry->window = std::chrono::duration_cast<std::chrono::seconds>(ms);
       }},
      {"buckets", [&](const Value& x) { DecodeBuckets(x, &registry->buckets, d); }},
  };
  DecodeMapping(v, fields, d);
}

// A price must be a finite number >= 0.
void ReadPrice(const Value& v, Diagnostics* d, double* out) {
  double p = 0;
  if (!ReadNumber(v, d, &p)) return;
  if (p < 0) {
    d->Add(v.mark(), v.Message("prices must not be negative, got " + v.node.Scalar()));
    return;
  }
  *out = p;
}

void DecodePricing(const Value& v, std::vector<ModelPrice>* pricing, Diagnostics* d) {
  std::vector<ModelPrice> out;
  std::map<std::string, int> seen;  // match -> line of first occurrence
  const std::size_t errors_before = d->size();
  const bool is_list = ForEachItem(v, d, [&](const Value& item) {
    ModelPrice price;
    bool has_match = false, has_input = false, has_output = false;
    YAML::Mark match_mark;
    const Field fields[] = {
        {"match",
         [&](const Value& x) {
           has_match = true;
           match_mark = x.mark();
           std::string m;
           if (!ReadString(x, d, &m)) return;
           const std::size_t star = m.find('*');
           if (m.empty() || m == "*") {
             d->Add(x.mark(), x.Message("must name a model or a prefix such as \"gpt-4o*\""));
           } else if (star != std::string::npos && star != m.size() - 1) {
             d->Add(x.mark(), x.Message("'*' is only allowed at the end, got " + Quoted(m)));
           } else {
             price.match = std::move(m);
           }
         }},
        {"input",
         [&](const Value& x) {
           has_input = true;
           ReadPrice(x, d, &price.input);
         }},
        {"output",
         [&](const Value& x) {
           has_output = true;
           ReadPrice(x, d, &price.output);
         }},
        {"cache_read", [&](const Value& x) { ReadPrice(x, d, &price.cache_read); }},
        {"cache_write", [&](const Value& x) { ReadPrice(x, d, &price.cache_write); }},
    };
    if (item.node.IsNull()) {
      d->Add(item.mark(), item.Message("empty price entry"));
      return;
    }
    DecodeMapping(item, fields, d);  // also reports an item that is not a mapping
    if (!item.node.IsMap()) return;
    for (auto [present, key] : {std::pair{has_match, "match"}, std::pair{has_input, "input"},
                                std::pair{has_output, "output"}}) {
      if (!present) d->Add(item.mark(), item.Message(std::string("missing \"") + key + "\""));
    }
    if (price.match.empty()) return;
    auto [it, inserted] = seen.emplace(price.match, Line(match_mark));
    if (!inserted) {
      d->Add(match_mark, item.Message("duplicate match " + Quoted(price.match) +
                                      " (first at line " + std::to_string(it->second) + ")"));
      return;
    }
    out.push_back(std::move(price));
  });
  if (is_list && d->size() == errors_before) *pricing = std::move(out);
}

// Section `otlp` (docs/otlp.md).
void DecodeOtlp(const Value& v, const std::string& file, OtlpConfig* otlp, Diagnostics* d) {
  const Field fields[] = {
      {"listen_address",
       [&](const Value& x) {
         // Empty turns the second listener off.
         ReadCheckedString(
             x, "listen address",
             [](const std::string& s) { return s.empty() ? std::string() : CheckListenAddress(s); },
             d, &otlp->listen_address);
       }},
      {"agent_id_attributes",
       [&](const Value& x) {
         std::vector<std::string> keys;
         bool ok = true;
         const bool is_list = ForEachItem(x, d, [&](const Value& item) {
           std::string s;
           if (!ReadString(item, d, &s)) {
             ok = false;
           } else if (s.empty()) {
             d->Add(item.mark(), item.Message("must not be empty"));
             ok = false;
           } else {
             keys.push_back(std::move(s));
           }
         });
         if (!is_list || !ok) return;
         if (keys.empty()) {
           d->Add(x.mark(), x.Message("needs at least one attribute key"));
           return;
         }
         otlp->agent_id_attributes = std::move(keys);
       }},
      {"default_agent_id",
       [&](const Value& x) {
         ReadCheckedString(
             x, "agent id",
             [](const std::string& s) { return s.empty() ? std::string("must not be empty") : ""; },
             d, &otlp->default_agent_id);
       }},
      {"claude_code_usage",
       [&](const Value& x) {
         std::string s;
         if (!ReadString(x, d, &s)) return;
         if (s == "logs" || s == "metrics") {
           otlp->claude_code_usage = s;
         } else {
           d->Add(x.mark(), x.Message("must be \"logs\" or \"metrics\", got " + Quoted(s)));
         }
       }},
      {"max_attributes",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, 1 << 20, d, &n)) otlp->max_attributes = static_cast<std::size_t>(n);
       }},
      {"max_depth",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, 1000, d, &n)) otlp->max_depth = static_cast<std::size_t>(n);
       }},
      {"max_items_per_request",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1, 10000000, d, &n)) {
           otlp->max_items_per_request = static_cast<std::size_t>(n);
         }
       }},
      {"decode_memory_bytes", [&](const Value& x) { ReadSize(x, d, &otlp->decode_memory_bytes); }},
      {"files", [&](const Value& x) { DecodeFiles(x, &otlp->files, d); }},
      {"span_rules", [&](const Value& x) { DecodeSpanRules(x, file, &otlp->span_rules, d); }},
      {"default_model",
       [&](const Value& x) {
         ReadCheckedString(
             x, "model",
             [](const std::string& s) { return s.empty() ? std::string("must not be empty") : ""; },
             d, &otlp->default_model);
       }},
      {"span_memory_entries",
       [&](const Value& x) {
         std::int64_t n = 0;
         if (ReadInt(x, 1024, 1 << 24, d, &n)) otlp->span_memory_entries = static_cast<std::size_t>(n);
       }},
  };
  DecodeMapping(v, fields, d);
}

}  // namespace

void DecodeConfig(const YAML::Node& root, Config* config, Diagnostics* d) {
  std::vector<std::string> otlp_files;  // ingest.files entries with format otlp_json
  ContainerLogFiles otlp_containers;    // the same with container_log
  const Field fields[] = {
      {"web", [&](const Value& x) { DecodeWeb(x, &config->web, d); }},
      {"ingest", [&](const Value& x) { DecodeIngest(x, &config->ingest, &otlp_files, &otlp_containers, d); }},
      {"state", [&](const Value& x) { DecodeState(x, &config->state, d); }},
      {"registry", [&](const Value& x) { DecodeRegistry(x, &config->registry, d); }},
      {"pricing", [&](const Value& x) { DecodePricing(x, &config->pricing, d); }},
      {"alerts", [&](const Value& x) { DecodeAlerts(x, &config->alerts, d); }},
      {"dashboards", [&](const Value& x) { DecodeDashboards(x, &config->dashboards, d); }},
      {"alertmanager", [&](const Value& x) { DecodeAlertmanager(x, &config->alertmanager, d); }},
      {"otlp", [&](const Value& x) { DecodeOtlp(x, config->source_path, &config->otlp, d); }},
  };
  DecodeMapping(Value{root, "", YAML::Mark()}, fields, d);
  config->otlp.files.insert(config->otlp.files.end(), otlp_files.begin(), otlp_files.end());
  config->otlp.container_logs = std::move(otlp_containers);
}

}  // namespace agx::config_detail
