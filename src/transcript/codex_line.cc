// One pass over a Codex transcript line with simdjson On-Demand (codex_line.h).
//
// The line is first checked whole by ValidateJsonValue (well-formed JSON, nesting bounded,
// without recursion: simdjson's On-Demand would skip unread values unchecked), then iterated
// once: the fields the mapper reads are taken in whatever order they come (`type` may follow
// `payload`), every other value is skipped by simdjson without being copied.
#include "transcript/codex_line.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ingest/event_fields.h"
#include "ingest/json_validate.h"

namespace agx::transcript::codex {
namespace od = simdjson::ondemand;

namespace {

constexpr std::uint64_t kMaxExact = std::uint64_t{1} << 53;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

LineError FromSimdjson(simdjson::error_code err) {
  return err == simdjson::INCORRECT_TYPE || err == simdjson::NUMBER_ERROR ||
                 err == simdjson::NUMBER_OUT_OF_RANGE
             ? LineError::kWrongType
             : LineError::kNotJsonObject;
}

/// Calls fn(key, field) for each field of `obj`, in order; the first result other than
/// kNone (or a simdjson error reading a field) ends the walk and is returned.
template <typename Fn>
LineError ForEachField(od::object& obj, Fn&& fn) {
  for (auto fr : obj) {
    od::field f;
    if (auto err = std::move(fr).get(f)) return FromSimdjson(err);
    std::string_view key;
    if (auto err = f.unescaped_key().get(key)) return FromSimdjson(err);
    if (LineError e = fn(key, f); e != LineError::kNone) return e;
  }
  return LineError::kNone;
}

/// A string field. A null is absent; another type is kWrongType.
LineError ReadString(od::value v, std::string_view* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t == od::json_type::null) return LineError::kNone;
  if (t != od::json_type::string) return LineError::kWrongType;
  if (auto err = v.get_string().get(*out)) return FromSimdjson(err);
  return LineError::kNone;
}

/// A token count: a whole number >= 0 (written as an integer, or as a whole double such as
/// 1e3). Above 2^53 (not exact in a double): kTooLarge.
LineError ReadCount(od::value v, std::uint64_t* out) {
  od::number_type nt;
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t != od::json_type::number) return LineError::kWrongType;
  if (auto err = v.get_number_type().get(nt)) return FromSimdjson(err);
  if (nt == od::number_type::unsigned_integer || nt == od::number_type::signed_integer) {
    std::int64_t i = 0;
    std::uint64_t u = 0;
    if (nt == od::number_type::signed_integer) {
      if (auto err = v.get_int64().get(i)) return FromSimdjson(err);
      if (i < 0) return LineError::kWrongType;
      u = static_cast<std::uint64_t>(i);
    } else if (auto err = v.get_uint64().get(u)) {
      return FromSimdjson(err);
    }
    if (u > kMaxExact) return LineError::kTooLarge;
    *out = u;
    return LineError::kNone;
  }
  double d = 0;
  if (v.get_double().get(d)) return LineError::kWrongType;  // 1e400 and the like
  if (!(d >= 0) || d != std::floor(d)) return LineError::kWrongType;
  if (d > static_cast<double>(kMaxExact)) return LineError::kTooLarge;
  *out = static_cast<std::uint64_t>(d);
  return LineError::kNone;
}

/// A TokenUsage object; null leaves it absent.
LineError ReadUsage(od::value v, Usage* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t == od::json_type::null) return LineError::kNone;
  if (t != od::json_type::object) return LineError::kWrongType;
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  Usage u;
  u.present = true;
  bool has_total = false;
  LineError e = ForEachField(obj, [&](std::string_view key, od::field& f) -> LineError {
    std::uint64_t* slot = nullptr;
    if (key == "input_tokens") {
      slot = &u.input;
    } else if (key == "cached_input_tokens") {
      slot = &u.cached;
    } else if (key == "cache_write_input_tokens") {
      slot = &u.cache_write;
    } else if (key == "output_tokens") {
      slot = &u.output;
    } else if (key == "reasoning_output_tokens") {
      slot = &u.reasoning;
    } else if (key == "total_tokens") {
      slot = &u.total;
      has_total = true;
    }
    return slot == nullptr ? LineError::kNone : ReadCount(f.value(), slot);
  });
  if (e != LineError::kNone) return e;
  if (!has_total) u.total = u.input + u.output;
  *out = u;
  return LineError::kNone;
}

/// The first and last kOutputEdgeBytes of a string value, raw (quotes removed).
LineError ReadRawEdges(od::value v, std::string_view* head, std::string_view* tail) {
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() && IsSpace(raw.back())) raw.remove_suffix(1);
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return LineError::kWrongType;
  raw = raw.substr(1, raw.size() - 2);
  const std::size_t n = CodexLineParser::kOutputEdgeBytes;
  *head = raw.substr(0, std::min(n, raw.size()));
  *tail = raw.size() > n ? raw.substr(raw.size() - n) : raw;
  return LineError::kNone;
}

/// A tool output: a string, or an array of content items whose `text` fields are read (the
/// first one's head, the last one's tail). Other shapes are kept as having no text.
LineError ReadOutput(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t == od::json_type::string) {
    out->has_output = true;
    return ReadRawEdges(v, &out->output_head, &out->output_tail);
  }
  if (t != od::json_type::array) {
    out->has_output = true;
    return LineError::kNone;
  }
  od::array arr;
  if (auto err = v.get_array().get(arr)) return FromSimdjson(err);
  out->has_output = true;
  bool first = true;
  for (auto er : arr) {
    od::value item;
    if (auto err = std::move(er).get(item)) return FromSimdjson(err);
    od::json_type it;
    if (auto err = item.type().get(it)) return FromSimdjson(err);
    if (it != od::json_type::object) continue;
    od::object obj;
    if (auto err = item.get_object().get(obj)) return FromSimdjson(err);
    for (auto fr : obj) {
      od::field f;
      if (auto err = std::move(fr).get(f)) return FromSimdjson(err);
      std::string_view key;
      if (auto err = f.unescaped_key().get(key)) return FromSimdjson(err);
      if (key != "text") continue;
      od::value tv = f.value();
      od::json_type tt;
      if (auto err = tv.type().get(tt)) return FromSimdjson(err);
      if (tt != od::json_type::string) continue;
      std::string_view head, tail;
      if (LineError e = ReadRawEdges(tv, &head, &tail); e != LineError::kNone) return e;
      if (first) out->output_head = head;
      out->output_tail = tail;
      first = false;
    }
  }
  return LineError::kNone;
}

LineError ReadNumber(od::value v, double* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t != od::json_type::number) return LineError::kWrongType;
  if (auto err = v.get_double().get(*out)) return FromSimdjson(err);
  if (!(*out >= 0)) return LineError::kWrongType;
  return LineError::kNone;
}

/// task_complete.error: null (no error), or an object with codex_error_info (a string, or
/// an object whose first key names the kind); any other non-null value is an error too.
LineError ReadError(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t == od::json_type::null) return LineError::kNone;
  out->has_error = true;
  if (t != od::json_type::object) return LineError::kNone;
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  for (auto fr : obj) {
    od::field f;
    if (auto err = std::move(fr).get(f)) return FromSimdjson(err);
    std::string_view key;
    if (auto err = f.unescaped_key().get(key)) return FromSimdjson(err);
    if (key != "codex_error_info") continue;
    od::value iv = f.value();
    od::json_type it;
    if (auto err = iv.type().get(it)) return FromSimdjson(err);
    if (it == od::json_type::string) {
      if (auto err = iv.get_string().get(out->error_kind)) return FromSimdjson(err);
    } else if (it == od::json_type::object) {
      od::object kind;
      if (auto err = iv.get_object().get(kind)) return FromSimdjson(err);
      for (auto kr : kind) {
        od::field kf;
        if (auto err = std::move(kr).get(kf)) return FromSimdjson(err);
        if (auto err = kf.unescaped_key().get(out->error_kind)) return FromSimdjson(err);
        break;
      }
    }
  }
  return LineError::kNone;
}

/// token_count's info: null, or an object with the two usages (and a model in some
/// versions).
LineError ReadInfo(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t == od::json_type::null) return LineError::kNone;
  if (t != od::json_type::object) return LineError::kWrongType;
  out->has_info = true;
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  return ForEachField(obj, [&](std::string_view key, od::field& f) -> LineError {
    LineError e = LineError::kNone;
    if (key == "total_token_usage") {
      e = ReadUsage(f.value(), &out->total);
    } else if (key == "last_token_usage") {
      e = ReadUsage(f.value(), &out->last);
    } else if (key == "model") {
      e = ReadString(f.value(), &out->model);
    }
    return e;
  });
}

/// item_completed's item: its id and status.
LineError ReadItem(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t != od::json_type::object) return LineError::kWrongType;
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  return ForEachField(obj, [&](std::string_view key, od::field& f) -> LineError {
    LineError e = LineError::kNone;
    if (key == "id") {
      // Ids are strings; another kind (a number in some item types) is simply no id.
      od::value iv = f.value();
      od::json_type it;
      if (auto err = iv.type().get(it)) return FromSimdjson(err);
      if (it == od::json_type::string) e = ReadString(iv, &out->item_id);
    } else if (key == "status") {
      e = ReadString(f.value(), &out->item_status);
    }
    return e;
  });
}

/// compacted's latest_token_usage_record: the usage record it copies.
LineError ReadRecordCopy(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t == od::json_type::null) return LineError::kNone;
  if (t != od::json_type::object) return LineError::kWrongType;
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  return ForEachField(obj, [&](std::string_view key, od::field& f) -> LineError {
    LineError e = LineError::kNone;
    if (key == "response_id") {
      e = ReadString(f.value(), &out->response_id);
    } else if (key == "usage") {
      e = ReadUsage(f.value(), &out->last);
    } else if (key == "thread_token_usage") {
      e = ReadUsage(f.value(), &out->total);
    }
    return e;
  });
}

LineError ReadPayload(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  if (t != od::json_type::object) return LineError::kNone;  // payload_object stays false
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  out->payload_object = true;
  return ForEachField(obj, [&](std::string_view key, od::field& f) -> LineError {
    LineError e = LineError::kNone;
    if (key == "type") {
      e = ReadString(f.value(), &out->payload_type);
    } else if (key == "model") {
      e = ReadString(f.value(), &out->model);
    } else if (key == "cwd") {
      e = ReadString(f.value(), &out->cwd);
    } else if (key == "role") {
      e = ReadString(f.value(), &out->role);
    } else if (key == "name") {
      e = ReadString(f.value(), &out->name);
    } else if (key == "call_id") {
      e = ReadString(f.value(), &out->call_id);
    } else if (key == "status") {
      e = ReadString(f.value(), &out->status);
    } else if (key == "response_id") {
      e = ReadString(f.value(), &out->response_id);
    } else if (key == "info") {
      e = ReadInfo(f.value(), out);
    } else if (key == "usage") {
      e = ReadUsage(f.value(), &out->last);
    } else if (key == "thread_token_usage") {
      e = ReadUsage(f.value(), &out->total);
    } else if (key == "latest_token_usage_record") {
      e = ReadRecordCopy(f.value(), out);
    } else if (key == "error") {
      e = ReadError(f.value(), out);
    } else if (key == "duration_ms") {
      od::value dv = f.value();
      od::json_type dt;
      if (auto err = dv.type().get(dt)) return FromSimdjson(err);
      if (dt != od::json_type::null) {
        e = ReadNumber(dv, &out->duration_ms);
        out->has_duration = e == LineError::kNone;
      }
    } else if (key == "item") {
      e = ReadItem(f.value(), out);
    } else if (key == "output") {
      e = ReadOutput(f.value(), out);
    }
    return e;
  });
}

LineError ReadMetadata(od::value v, CodexLine* out) {
  od::json_type t;
  if (auto err = v.type().get(t)) return FromSimdjson(err);
  // A metadata (or its compaction_output) of another type cannot tell replayed history from
  // new tool calls: the line is refused rather than guessed (null is absent).
  if (t == od::json_type::null) return LineError::kNone;
  if (t != od::json_type::object) return LineError::kWrongType;
  od::object obj;
  if (auto err = v.get_object().get(obj)) return FromSimdjson(err);
  return ForEachField(obj, [&](std::string_view key, od::field& f) -> LineError {
    if (key != "compaction_output") return LineError::kNone;
    od::value cv = f.value();
    if (auto err = cv.type().get(t)) return FromSimdjson(err);
    if (t == od::json_type::null) return LineError::kNone;
    if (t != od::json_type::boolean) return LineError::kWrongType;
    bool b = false;
    if (auto err = cv.get_bool().get(b)) return FromSimdjson(err);
    out->compaction_output = b;
    return LineError::kNone;
  });
}

LineType TypeOf(std::string_view t) {
  if (t == "event_msg") return LineType::kEventMsg;
  if (t == "response_item") return LineType::kResponseItem;
  if (t == "token_usage_record") return LineType::kTokenUsageRecord;
  if (t == "turn_context") return LineType::kTurnContext;
  if (t == "session_meta") return LineType::kSessionMeta;
  if (t == "compacted") return LineType::kCompacted;
  if (t == "world_state" || t == "inter_agent_communication" ||
      t == "inter_agent_communication_metadata" || t == "dynamic_tools_updated" ||
      t == "realtime_item" || t == "id_allocation") {
    return LineType::kIgnored;
  }
  return LineType::kUnknown;
}

}  // namespace

struct CodexLineParser::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;
};

CodexLineParser::CodexLineParser() : impl_(std::make_unique<Impl>()) {}
CodexLineParser::~CodexLineParser() = default;

LineError CodexLineParser::Parse(std::string_view line, CodexLine* out) {
  *out = CodexLine{};
  std::size_t b = 0, e = line.size();
  while (b < e && IsSpace(line[b])) ++b;
  while (e > b && IsSpace(line[e - 1])) --e;
  if (b == e || line[b] != '{') return LineError::kNotJsonObject;
  // Whole-line check first: well-formed everywhere, nesting bounded, no recursion.
  if (json_detail::ValidateJsonValue(line.substr(b, e - b), 0, static_cast<int>(kMaxDepth)) !=
      json_detail::JsonCheck::kOk) {
    return LineError::kNotJsonObject;
  }
  Impl& m = *impl_;
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (m.cap < need) {
    m.cap = std::max(need, 2 * m.cap);
    m.buf = std::make_unique<char[]>(m.cap);
  }
  std::memcpy(m.buf.get(), line.data(), line.size());
  std::memset(m.buf.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  od::document doc;
  // iterate() validates UTF-8 over the whole line (stage 1).
  if (m.parser.iterate(m.buf.get(), line.size(), m.cap).get(doc)) return LineError::kNotJsonObject;
  od::object obj;
  if (doc.get_object().get(obj)) return LineError::kNotJsonObject;
  for (auto fr : obj) {
    od::field f;
    if (auto err = std::move(fr).get(f)) return FromSimdjson(err);
    std::string_view key;
    if (auto err = f.unescaped_key().get(key)) return FromSimdjson(err);
    LineError err = LineError::kNone;
    if (key == "type") {
      std::string_view t;
      err = ReadString(f.value(), &t);
      out->type_name = t;
    } else if (key == "timestamp") {
      std::string_view ts;
      err = ReadString(f.value(), &ts);
      double secs = 0;
      if (err == LineError::kNone && !ts.empty()) {
        out->has_timestamp = true;
        if (detail::ParseRfc3339(ts, &secs) && secs < 1e10) {
          // Whole microseconds: a double holds today's Unix time to about 0.2 us, so
          // differences of two timestamps come out exact to the millisecond fraction written.
          out->ts_ns = static_cast<std::uint64_t>(std::llround(secs * 1e6)) * 1000;
        }
      }
    } else if (key == "payload") {
      // A payload problem is judged by the mapper once the line's type is known.
      const LineError pe = ReadPayload(f.value(), out);
      if (pe == LineError::kNotJsonObject) return pe;
      if (out->payload_error == LineError::kNone) out->payload_error = pe;
    } else if (key == "metadata") {
      err = ReadMetadata(f.value(), out);
    }
    if (err != LineError::kNone) return err;
  }
  out->type = TypeOf(out->type_name);
  return LineError::kNone;
}

}  // namespace agx::transcript::codex
