#include "transcript/claude_code_line.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ingest/event_fields.h"

// One pass over the line's object: fields are matched by name in any order (`type` may come
// after `message`), values the mapper does not need are skipped by On-Demand without being
// decoded. A field the mapper needs with the wrong JSON type (a string `isSidechain`, a
// number `message.id`, ...) marks the line bad; it is invalid only if its type is one the
// mapper maps (user, assistant, system, api-request): the other types are dropped whatever
// they hold.

namespace agx::transcript::claude {
namespace {

namespace od = simdjson::ondemand;

// splitmix64's finaliser: spreads every input bit over the output.
std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

struct LineTypeName {
  std::string_view name;
  LineType type;
};
// Types seen in Claude Code 2.1.337 transcripts and in public format notes that carry
// nothing counted. cost-state carries session totals: counting them as well as the
// assistant lines would count every token twice.
constexpr LineTypeName kTypes[] = {
    {"user", LineType::kUser},
    {"assistant", LineType::kAssistant},
    {"system", LineType::kSystem},
    {"api-request", LineType::kApiRequest},
    {"attachment", LineType::kKnownOther},
    {"api-request-blob", LineType::kKnownOther},
    {"api-request-route", LineType::kKnownOther},
    {"api-request-shape", LineType::kKnownOther},
    {"queue-operation", LineType::kKnownOther},
    {"atis-latch", LineType::kKnownOther},
    {"last-prompt", LineType::kKnownOther},
    {"cost-state", LineType::kKnownOther},
    {"tools-used", LineType::kKnownOther},
    {"mode", LineType::kKnownOther},
    {"summary", LineType::kKnownOther},
    {"file-history-snapshot", LineType::kKnownOther},
    {"custom-title", LineType::kKnownOther},
    {"progress", LineType::kKnownOther},
};

LineType TypeOf(std::string_view name) {
  for (const LineTypeName& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return LineType::kUnknown;
}

// Reads an optional value of one JSON type: absent or null leaves the output alone;
// another type returns false.
bool ReadString(od::value v, std::string_view* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return true;
  if (t != od::json_type::string) return false;
  return !v.get_string().get(*out);
}

bool ReadBool(od::value v, bool* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return true;
  if (t != od::json_type::boolean) return false;
  return !v.get_bool().get(*out);
}

// A token count: a finite number >= 0 (null: absent). Negative or too large for a double
// is wrong; the mapper clamps large values to the native maximum.
bool ReadCount(od::value v, double* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return true;
  if (t != od::json_type::number) return false;
  double d = 0;
  if (v.get_double().get(d) || !std::isfinite(d) || d < 0) return false;
  *out = std::floor(d);
  return true;
}

}  // namespace

Key HashKey(std::string_view id, KeyDomain domain) {
  // Two independent 64-bit hashes (FNV-1a and a multiply-rotate one), each finalised.
  std::uint64_t a = 0xcbf29ce484222325ULL ^ static_cast<std::uint64_t>(domain);
  std::uint64_t b = 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(domain);
  for (unsigned char c : id) {
    a = (a ^ c) * 0x100000001b3ULL;
    b = ((b ^ c) * 0xff51afd7ed558ccdULL);
    b = (b << 23) | (b >> 41);
  }
  return {Mix(a ^ id.size()), Mix(b + id.size())};
}

struct ClaudeLineParser::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;
  ClaudeLine* out = nullptr;
  bool bad = false;       // a needed field has the wrong JSON type
  bool type_bad = false;  // `type` is not a non-empty string

  bool ReadUsage(od::value v);
  bool ReadBlock(od::value v);
  bool ReadContent(od::value v);
  bool ReadMessage(od::value v);
  bool ReadParams(od::value v);
  bool ReadTop(std::string_view key, od::value v, bool* type_known);
};

bool ClaudeLineParser::Impl::ReadUsage(od::value v) {
  od::object obj;
  if (v.get_object().get(obj)) {
    bad = true;
    return true;
  }
  out->has_usage = true;
  for (auto fr : obj) {
    od::field f;
    std::string_view key;
    if (std::move(fr).get(f) || f.unescaped_key().get(key)) return false;
    double* slot = key == "input_tokens"                  ? &out->usage.input
                   : key == "output_tokens"               ? &out->usage.output
                   : key == "cache_read_input_tokens"     ? &out->usage.cache_read
                   : key == "cache_creation_input_tokens" ? &out->usage.cache_creation
                                                          : nullptr;
    if (slot != nullptr && !ReadCount(f.value(), slot)) bad = true;
  }
  return true;
}

bool ClaudeLineParser::Impl::ReadBlock(od::value v) {
  od::object obj;
  if (v.get_object().get(obj)) {
    bad = true;
    return true;
  }
  std::string_view type, id, name, tool_use_id, text;
  bool is_error = false;
  bool ok = true;
  for (auto fr : obj) {
    od::field f;
    std::string_view key;
    if (std::move(fr).get(f) || f.unescaped_key().get(key)) return false;
    if (key == "type") {
      ok &= ReadString(f.value(), &type);
    } else if (key == "id") {
      ok &= ReadString(f.value(), &id);
    } else if (key == "name") {
      ok &= ReadString(f.value(), &name);
    } else if (key == "tool_use_id") {
      ok &= ReadString(f.value(), &tool_use_id);
    } else if (key == "is_error") {
      ok &= ReadBool(f.value(), &is_error);
    } else if (key == "text") {
      ok &= ReadString(f.value(), &text);
    }
  }
  if (!ok) bad = true;
  if (type == "tool_use") {
    if (!id.empty()) out->tool_uses.push_back({HashKey(id, KeyDomain::kTool), name});
    ++out->other_blocks;
  } else if (type == "tool_result") {
    if (!tool_use_id.empty()) {
      out->tool_results.push_back({HashKey(tool_use_id, KeyDomain::kTool), is_error});
    }
  } else if (type == "text") {
    if (!out->has_text) out->first_text = text;
    out->has_text = true;
  } else {
    ++out->other_blocks;
  }
  return true;
}

bool ClaudeLineParser::Impl::ReadContent(od::value v) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::string) {
    if (v.get_string().get(out->first_text)) return false;
    out->content_is_string = true;
    out->has_text = true;
    return true;
  }
  if (t == od::json_type::null) return true;
  od::array arr;
  if (t != od::json_type::array || v.get_array().get(arr)) {
    bad = true;
    return true;
  }
  for (auto er : arr) {
    od::value el;
    if (std::move(er).get(el) || !ReadBlock(el)) return false;
  }
  return true;
}

bool ClaudeLineParser::Impl::ReadMessage(od::value v) {
  od::object obj;
  if (v.get_object().get(obj)) {
    bad = true;
    return true;
  }
  out->has_message = true;
  for (auto fr : obj) {
    od::field f;
    std::string_view key;
    if (std::move(fr).get(f) || f.unescaped_key().get(key)) return false;
    if (key == "id") {
      if (!ReadString(f.value(), &out->message_id)) bad = true;
    } else if (key == "model") {
      if (!ReadString(f.value(), &out->model)) bad = true;
    } else if (key == "stop_reason") {
      if (!ReadString(f.value(), &out->stop_reason)) bad = true;
    } else if (key == "usage") {
      od::json_type t;
      if (f.value().type().get(t)) return false;
      if (t != od::json_type::null && !ReadUsage(f.value())) return false;
    } else if (key == "content") {
      if (!ReadContent(f.value())) return false;
    }
  }
  return true;
}

bool ClaudeLineParser::Impl::ReadParams(od::value v) {
  od::object obj;
  if (v.get_object().get(obj)) return true;  // not needed enough to reject the line
  for (auto fr : obj) {
    od::field f;
    std::string_view key;
    if (std::move(fr).get(f) || f.unescaped_key().get(key)) return false;
    if (key == "model" && !ReadString(f.value(), &out->request_model)) bad = true;
  }
  return true;
}

// One top-level field. \return false on malformed JSON.
bool ClaudeLineParser::Impl::ReadTop(std::string_view key, od::value v, bool* type_known) {
  ClaudeLine& l = *out;
  bool ok = true;
  if (key == "type") {
    std::string_view name;
    if (!ReadString(v, &name) || name.empty()) {
      type_bad = true;
      return true;
    }
    l.type = TypeOf(name);
    *type_known = true;
  } else if (key == "message") {
    // Lines of other types carry big request copies here (api-request-blob): skip them.
    if (*type_known && l.type != LineType::kUser && l.type != LineType::kAssistant) return true;
    return ReadMessage(v);
  } else if (key == "timestamp") {
    std::string_view ts;
    ok = ReadString(v, &ts);
    double secs = 0;
    if (ok && !ts.empty() && detail::ParseRfc3339(ts, &secs) && secs < 1e11) {
      l.ts_ns = static_cast<std::uint64_t>(std::llround(secs * 1e6)) * 1000;
    }
  } else if (key == "cwd") {
    ok = ReadString(v, &l.cwd);
  } else if (key == "uuid") {
    ok = ReadString(v, &l.uuid);
  } else if (key == "isSidechain") {
    ok = ReadBool(v, &l.is_sidechain);
  } else if (key == "isMeta") {
    ok = ReadBool(v, &l.is_meta);
  } else if (key == "isCompactSummary") {
    ok = ReadBool(v, &l.is_compact_summary);
  } else if (key == "isApiErrorMessage") {
    ok = ReadBool(v, &l.is_api_error);
  } else if (key == "apiErrorStatus") {
    od::json_type t;
    if (v.type().get(t)) return false;
    l.has_api_error_status = t == od::json_type::number;
  } else if (key == "promptSource" || key == "turnOrigin") {
    std::string_view s;
    ok = ReadString(v, &s);
    if (s == "system" || s == "task_notification") l.from_system = true;
  } else if (key == "subtype") {
    std::string_view s;
    ok = ReadString(v, &s);
    l.api_error_subtype = s == "api_error";
  } else if (key == "params") {
    return ReadParams(v);
  }
  if (!ok) bad = true;
  return true;
}

ClaudeLineParser::ClaudeLineParser() : impl_(std::make_unique<Impl>()) {}
ClaudeLineParser::~ClaudeLineParser() = default;

bool ClaudeLineParser::Parse(std::string_view line, ClaudeLine* out) {
  Impl& p = *impl_;
  std::vector<ToolUse> uses = std::move(out->tool_uses);
  std::vector<ToolResult> results = std::move(out->tool_results);
  uses.clear();
  results.clear();
  *out = ClaudeLine{};
  out->tool_uses = std::move(uses);
  out->tool_results = std::move(results);
  p.out = out;
  p.bad = false;
  p.type_bad = false;

  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (p.cap < need) {
    p.cap = std::max(need, 2 * p.cap);
    p.buf = std::make_unique<char[]>(p.cap);
  }
  std::memcpy(p.buf.get(), line.data(), line.size());
  std::memset(p.buf.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);

  od::document doc;
  od::object obj;
  // iterate() validates UTF-8 over the whole line, so every string read is valid UTF-8.
  if (p.parser.iterate(p.buf.get(), line.size(), p.cap).get(doc) || doc.get_object().get(obj)) {
    return false;
  }
  bool type_known = false;
  bool has_type = false;
  for (auto fr : obj) {
    od::field f;
    std::string_view key;
    if (std::move(fr).get(f) || f.unescaped_key().get(key)) return false;
    if (key == "type") has_type = true;
    if (!p.ReadTop(key, f.value(), &type_known)) return false;
  }
  std::string_view raw;
  if (doc.raw_json().get(raw)) return false;
  for (const char* c = raw.data() + raw.size(); c < p.buf.get() + line.size(); ++c) {
    if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') return false;  // trailing content
  }
  if (!has_type || p.type_bad) return false;  // every transcript line has a type
  const bool mapped = out->type == LineType::kUser || out->type == LineType::kAssistant ||
                      out->type == LineType::kSystem || out->type == LineType::kApiRequest;
  return !(p.bad && mapped);
}

}  // namespace agx::transcript::claude
