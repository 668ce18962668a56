#include "state/state_json.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace agx::state_detail {
namespace {

using nlohmann::json;

// ---- encoding ----

json Num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

json NumArray(const std::vector<double>& vs) {
  json a = json::array();
  a.get_ref<json::array_t&>().reserve(vs.size());
  for (double v : vs) a.push_back(Num(v));
  return a;
}

json ExemplarJson(const std::optional<Exemplar>& e) {
  if (!e) return nullptr;
  return json{{"trace_id", e->trace_id},
              {"span_id", e->span_id},
              {"value", Num(e->value)},
              {"timestamp", Num(e->timestamp)}};
}

std::string_view TypeString(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "unknown";
}

json SeriesJson(const SeriesSnapshot& s) {
  json ex = json::array();
  for (const auto& e : s.bucket_exemplars) ex.push_back(ExemplarJson(e));
  return json{{"label_values", s.label_values},
              {"value", Num(s.value)},
              {"bucket_counts", s.bucket_counts},
              {"sum", Num(s.sum)},
              {"bucket_exemplars", std::move(ex)},
              {"exemplar", ExemplarJson(s.exemplar)}};
}

json FamilyJson(const FamilySnapshot& f) {
  json series = json::array();
  series.get_ref<json::array_t&>().reserve(f.series.size());
  for (const auto& s : f.series) series.push_back(SeriesJson(s));
  return json{{"name", f.name},
              {"type", TypeString(f.type)},
              {"help", f.help},
              {"label_names", f.label_names},
              {"bounds", NumArray(f.bounds)},
              {"series", std::move(series)}};
}

json WindowKeysJson(const std::vector<WindowSnapshot::Key>& keys) {
  json out = json::array();
  for (const auto& k : keys) {
    json slots = json::array();
    for (const auto& sl : k.slots) {
      slots.push_back(json{{"id", sl.id},
                           {"tasks", sl.tasks},
                           {"completed", sl.completed},
                           {"tasks_with_cost", sl.tasks_with_cost},
                           {"task_cost_sum", Num(sl.task_cost_sum)},
                           {"llm_cost", Num(sl.llm_cost)}});
    }
    out.push_back(
        json{{"agent_id", k.agent_id}, {"task_type", k.task_type}, {"slots", std::move(slots)}});
  }
  return out;
}

json WindowsJson(const WindowSnapshot& w) {
  return json{{"slot_ms", w.slot_ms},
              {"completion", WindowKeysJson(w.completion)},
              {"cost", WindowKeysJson(w.cost)}};
}

// ---- decoding: a failure throws DecodeError carrying the JSON path ----

struct DecodeError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw DecodeError{(path.empty() ? std::string("top level") : path) + ": " + what};
}

const json& Field(const json& obj, const char* key, const std::string& path) {
  if (!obj.is_object()) Fail(path, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) Fail(path, std::string("missing field \"") + key + "\"");
  return *it;
}

std::string Sub(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

std::string Idx(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

double ToDouble(const json& j, const std::string& path) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "+Inf") return std::numeric_limits<double>::infinity();
    if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  }
  Fail(path, "expected a number, \"NaN\", \"+Inf\" or \"-Inf\"");
}

std::uint64_t ToU64(const json& j, const std::string& path) {
  if (!j.is_number_unsigned()) Fail(path, "expected a non-negative integer");
  return j.get<std::uint64_t>();
}

std::int64_t ToI64(const json& j, const std::string& path) {
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      Fail(path, "integer out of range");
    }
    return static_cast<std::int64_t>(v);
  }
  if (!j.is_number_integer()) Fail(path, "expected an integer");
  return j.get<std::int64_t>();
}

std::string ToString(const json& j, const std::string& path) {
  if (!j.is_string()) Fail(path, "expected a string");
  return j.get<std::string>();
}

const json::array_t& ToArray(const json& j, const std::string& path) {
  if (!j.is_array()) Fail(path, "expected an array");
  return j.get_ref<const json::array_t&>();
}

template <class T, class F>
std::vector<T> ArrayOf(const json& j, const std::string& path, F convert) {
  const auto& a = ToArray(j, path);
  std::vector<T> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(convert(a[i], Idx(path, i)));
  return out;
}

std::optional<Exemplar> ToExemplar(const json& j, const std::string& path) {
  if (j.is_null()) return std::nullopt;
  Exemplar e;
  e.trace_id = ToString(Field(j, "trace_id", path), Sub(path, "trace_id"));
  e.span_id = ToString(Field(j, "span_id", path), Sub(path, "span_id"));
  e.value = ToDouble(Field(j, "value", path), Sub(path, "value"));
  e.timestamp = ToDouble(Field(j, "timestamp", path), Sub(path, "timestamp"));
  return e;
}

MetricType ToType(const json& j, const std::string& path) {
  std::string s = ToString(j, path);
  if (s == "counter") return MetricType::kCounter;
  if (s == "gauge") return MetricType::kGauge;
  if (s == "histogram") return MetricType::kHistogram;
  Fail(path, "unknown metric type \"" + s + "\"");
}

SeriesSnapshot ToSeries(const json& j, const std::string& p) {
  SeriesSnapshot s;
  s.label_values = ArrayOf<std::string>(Field(j, "label_values", p), Sub(p, "label_values"), ToString);
  s.value = ToDouble(Field(j, "value", p), Sub(p, "value"));
  s.bucket_counts =
      ArrayOf<std::uint64_t>(Field(j, "bucket_counts", p), Sub(p, "bucket_counts"), ToU64);
  s.sum = ToDouble(Field(j, "sum", p), Sub(p, "sum"));
  s.bucket_exemplars = ArrayOf<std::optional<Exemplar>>(Field(j, "bucket_exemplars", p),
                                                        Sub(p, "bucket_exemplars"), ToExemplar);
  s.exemplar = ToExemplar(Field(j, "exemplar", p), Sub(p, "exemplar"));
  return s;
}

FamilySnapshot ToFamily(const json& j, const std::string& p) {
  FamilySnapshot f;
  f.name = ToString(Field(j, "name", p), Sub(p, "name"));
  f.type = ToType(Field(j, "type", p), Sub(p, "type"));
  f.help = ToString(Field(j, "help", p), Sub(p, "help"));
  f.label_names = ArrayOf<std::string>(Field(j, "label_names", p), Sub(p, "label_names"), ToString);
  f.bounds = ArrayOf<double>(Field(j, "bounds", p), Sub(p, "bounds"), ToDouble);
  f.series = ArrayOf<SeriesSnapshot>(Field(j, "series", p), Sub(p, "series"), ToSeries);
  return f;
}

FilePosition ToFile(const json& j, const std::string& p) {
  FilePosition f;
  f.path = ToString(Field(j, "path", p), Sub(p, "path"));
  f.dev = ToU64(Field(j, "dev", p), Sub(p, "dev"));
  f.ino = ToU64(Field(j, "ino", p), Sub(p, "ino"));
  f.offset = ToU64(Field(j, "offset", p), Sub(p, "offset"));
  return f;
}

WindowSnapshot::Slot ToWindowSlot(const json& j, const std::string& p) {
  WindowSnapshot::Slot sl;
  sl.id = ToI64(Field(j, "id", p), Sub(p, "id"));
  sl.tasks = ToI64(Field(j, "tasks", p), Sub(p, "tasks"));
  sl.completed = ToI64(Field(j, "completed", p), Sub(p, "completed"));
  sl.tasks_with_cost = ToI64(Field(j, "tasks_with_cost", p), Sub(p, "tasks_with_cost"));
  sl.task_cost_sum = ToDouble(Field(j, "task_cost_sum", p), Sub(p, "task_cost_sum"));
  sl.llm_cost = ToDouble(Field(j, "llm_cost", p), Sub(p, "llm_cost"));
  return sl;
}

WindowSnapshot::Key ToWindowKey(const json& j, const std::string& p) {
  WindowSnapshot::Key k;
  k.agent_id = ToString(Field(j, "agent_id", p), Sub(p, "agent_id"));
  k.task_type = ToString(Field(j, "task_type", p), Sub(p, "task_type"));
  k.slots = ArrayOf<WindowSnapshot::Slot>(Field(j, "slots", p), Sub(p, "slots"), ToWindowSlot);
  return k;
}

}  // namespace

Status ValidateState(const PersistedState& state) {
  for (const auto& f : state.metrics.families) {
    for (std::size_t i = 0; i < f.series.size(); ++i) {
      const auto& s = f.series[i];
      auto where = [&] { return "family " + f.name + " series " + std::to_string(i) + ": "; };
      if (s.label_values.size() != f.label_names.size()) {
        return Error{where() + std::to_string(s.label_values.size()) + " label values for " +
                     std::to_string(f.label_names.size()) + " label names"};
      }
      if (f.type == MetricType::kHistogram && s.bucket_counts.size() != f.bounds.size() + 1) {
        return Error{where() + std::to_string(s.bucket_counts.size()) + " bucket counts for " +
                     std::to_string(f.bounds.size()) + " bounds (expected bounds + 1)"};
      }
      if (!s.bucket_exemplars.empty() && s.bucket_exemplars.size() != s.bucket_counts.size()) {
        return Error{where() + std::to_string(s.bucket_exemplars.size()) +
                     " bucket exemplars for " + std::to_string(s.bucket_counts.size()) +
                     " buckets"};
      }
    }
  }
  return OkStatus();
}

std::string StateToJson(const PersistedState& state) {
  json files = json::array();
  for (const auto& f : state.files) {
    files.push_back(json{{"path", f.path}, {"dev", f.dev}, {"ino", f.ino}, {"offset", f.offset}});
  }
  json families = json::array();
  for (const auto& f : state.metrics.families) families.push_back(FamilyJson(f));
  json doc{{"version", state.version},
           {"saved_at", Num(state.saved_at)},
           {"wal_seq", state.wal_seq},
           {"files", std::move(files)},
           {"metrics", json{{"families", std::move(families)}}},
           {"windows", WindowsJson(state.windows)}};
  if (!state.annex.empty()) doc["annex"] = state.annex;
  if (!state.sections.empty()) {
    json sections = json::object();
    for (const auto& [name, text] : state.sections) sections[name] = text;
    doc["sections"] = std::move(sections);
  }
  try {
    return doc.dump();
  } catch (const json::type_error& e) {
    // Invalid UTF-8 in a string: the ingest path validates, so this is a bug upstream. Keep
    // saving (replacing the bad bytes) rather than lose every later snapshot.
    log::Warn("state: invalid UTF-8 replaced while saving", {{"error", e.what()}});
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

Result<PersistedState> StateFromJson(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return Error{std::string("invalid JSON: ") + e.what()};
  }
  PersistedState st;
  try {
    const std::string top;
    std::int64_t version = ToI64(Field(doc, "version", top), "version");
    if (version != kStateVersion) {
      return Error{"unsupported version " + std::to_string(version) + " (this build reads " +
                   std::to_string(kStateVersion) + ")"};
    }
    st.version = kStateVersion;
    st.saved_at = ToDouble(Field(doc, "saved_at", top), "saved_at");
    st.wal_seq = ToU64(Field(doc, "wal_seq", top), "wal_seq");
    st.files = ArrayOf<FilePosition>(Field(doc, "files", top), "files", ToFile);
    const json& metrics = Field(doc, "metrics", top);
    st.metrics.families =
        ArrayOf<FamilySnapshot>(Field(metrics, "families", "metrics"), "metrics.families", ToFamily);
    const json& windows = Field(doc, "windows", top);
    st.windows.slot_ms = ToI64(Field(windows, "slot_ms", "windows"), "windows.slot_ms");
    st.windows.completion = ArrayOf<WindowSnapshot::Key>(
        Field(windows, "completion", "windows"), "windows.completion", ToWindowKey);
    st.windows.cost = ArrayOf<WindowSnapshot::Key>(Field(windows, "cost", "windows"),
                                                   "windows.cost", ToWindowKey);
    // Optional: states written before the annex existed have none.
    if (auto a = doc.find("annex"); a != doc.end()) {
      if (!a->is_string()) throw DecodeError{"annex: expected a string"};
      st.annex = a->get<std::string>();
    }
    // Optional: states written before sections existed have none.
    if (auto sec = doc.find("sections"); sec != doc.end()) {
      if (!sec->is_object()) throw DecodeError{"sections: expected an object"};
      for (const auto& [name, text] : sec->items()) {
        if (!text.is_string()) throw DecodeError{"sections." + name + ": expected a string"};
        st.sections[name] = text.get<std::string>();
      }
    }
  } catch (const DecodeError& e) {
    return Error{e.message};
  }
  if (auto v = ValidateState(st); !v.ok()) return Error{"inconsistent metrics: " + v.error()};
  return st;
}

}  // namespace agx::state_detail
