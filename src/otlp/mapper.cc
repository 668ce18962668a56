#include "otlp/mapper.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <utility>

#include "common/utf8.h"
#include "otlp/native_line.h"

namespace agx::otlp {
namespace {

constexpr double kMaxCount = 9007199254740992.0;  // 2^53: counts are exact up to here
constexpr std::uint64_t kMaxCountInt = 9007199254740992u;
constexpr std::size_t kMaxCumulativeSeries = 100000;
constexpr std::size_t kNameCut = 64;  // bytes of a user value quoted in first_error

// ---------------------------------------------------------------------------------------
// Problems with an item: the reject reason and what to say about which attribute.

struct Problem {
  RejectReason reason = RejectReason::kNone;
  std::string_view field;
  std::string_view text;
  explicit operator bool() const { return reason != RejectReason::kNone; }
};

Problem Missing(std::string_view field) {
  return {RejectReason::kMissingField, field, "is missing"};
}

Problem ItemProblem(ItemError e) {
  if (e == ItemError::kTooManyAttributes) {
    return {RejectReason::kTooManyAttributes, "", "has more attributes than otlp.max_attributes"};
  }
  return {RejectReason::kInvalidValue, "", "has a malformed trace or span id"};
}

// What a rejection message names, e.g. span 'chat gpt-4' (trace 4bf9…).
struct ItemRef {
  std::string_view kind;
  std::string_view name;
  std::string_view trace;
};

void AppendQuoted(std::string* m, std::string_view s) {
  m->push_back('\'');
  if (IsValidUtf8(s)) {
    const std::string_view cut = TruncateUtf8(s, kNameCut);
    m->append(cut);
    if (cut.size() < s.size()) m->append("…");
  } else {
    m->append("<not UTF-8>");
  }
  m->push_back('\'');
}

void Reject(MappedBatch* out, const ItemRef& item, const Problem& p) {
  ++out->rejected;
  ++out->rejected_by_reason[static_cast<std::size_t>(p.reason)];
  if (!out->first_error.empty()) return;
  std::string& m = out->first_error;
  m.append(item.kind);
  m.push_back(' ');
  AppendQuoted(&m, item.name);
  if (!item.trace.empty()) {
    m.append(" (trace ");
    m.append(item.trace);
    m.push_back(')');
  }
  m.append(": ");
  if (!p.field.empty()) {
    m.append(p.field);
    m.push_back(' ');
  }
  m.append(p.text);
}

void Drop(MappedBatch* out, DropReason r, std::size_t n = 1) {
  out->dropped[static_cast<std::size_t>(r)] += n;
}

// Keeps the line written since `start` if it is valid UTF-8 (the native parser would
// reject it otherwise; protobuf strings are not checked by the decoder), else removes it
// and rejects the item.
void FinishLine(MappedBatch* out, std::size_t start, const ItemRef& item) {
  if (IsValidUtf8(std::string_view(out->buffer).substr(start))) return;
  out->buffer.resize(start);
  Reject(out, item, {RejectReason::kInvalidUtf8, "", "has a string that is not valid UTF-8"});
}

// ---------------------------------------------------------------------------------------
// Attribute readers.

/// The value of `key`, or nullptr when absent or empty (an AnyValue with nothing set).
const AnyValue* Get(const Attributes& attrs, std::string_view key) {
  const AnyValue* v = Find(attrs, key);
  return v != nullptr && v->kind != ValueKind::kEmpty ? v : nullptr;
}

/// The first of `keys` holding a non-empty string; empty when none. Another kind: wrong_type.
Problem ReadString(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                   std::string_view* out) {
  *out = {};
  for (std::string_view key : keys) {
    const AnyValue* v = Get(attrs, key);
    if (v == nullptr) continue;
    if (v->kind != ValueKind::kString) return {RejectReason::kWrongType, key, "must be a string"};
    if (v->str.empty()) continue;
    *out = v->str;
    return {};
  }
  return {};
}

/// Removes a context-size suffix such as "[1m]": "claude-opus-4-6[1m]" -> "claude-opus-4-6".
std::string_view StripContextSuffix(std::string_view model) {
  if (!model.empty() && model.back() == ']') {
    const std::size_t open = model.rfind('[');
    if (open != std::string_view::npos) model = model.substr(0, open);
  }
  return model;
}

/// The required model from the first of `keys`, suffix stripped.
Problem ReadModel(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                  std::string_view* out) {
  if (Problem p = ReadString(attrs, keys, out)) return p;
  *out = StripContextSuffix(*out);
  return out->empty() ? Missing(*keys.begin()) : Problem{};
}

enum class Amount : std::uint8_t {
  kCount,  ///< whole number >= 0, at most 2^53 (tokens)
  kValue,  ///< finite number >= 0 (duration, cost)
};

/// Reads an int, a double or a decimal string ("3", "0.144065") as a number >= 0.
Problem ReadNumber(const AnyValue& v, std::string_view field, Amount amount, double* out) {
  const bool whole = amount == Amount::kCount;
  const Problem invalid{
      RejectReason::kInvalidValue, field,
      whole ? "must be a non-negative whole number" : "must be a non-negative number"};
  const Problem wrong{RejectReason::kWrongType, field, "must be a number"};
  double d = 0;
  switch (v.kind) {
    case ValueKind::kInt:
      if (v.i < 0 || (whole && static_cast<std::uint64_t>(v.i) > kMaxCountInt)) return invalid;
      d = static_cast<double>(v.i);
      break;
    case ValueKind::kDouble:
      d = v.d;
      break;
    case ValueKind::kString: {
      const char* first = v.str.data();
      const char* last = first + v.str.size();
      if (first == last) return wrong;
      // Digits only: read exactly, so 2^53 + 1 is not rounded down into range.
      if (std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; })) {
        std::uint64_t u = 0;
        auto [end, ec] = std::from_chars(first, last, u);
        if (ec == std::errc() && end == last) {
          if (whole && u > kMaxCountInt) return invalid;
          d = static_cast<double>(u);
          break;
        }
      }
      auto [end, ec] = std::from_chars(first, last, d);
      if (end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) return wrong;
      if (ec == std::errc::result_out_of_range) return invalid;
      break;
    }
    default:
      return wrong;
  }
  if (!std::isfinite(d) || d < 0) return invalid;
  if (whole && (d != std::trunc(d) || d > kMaxCount)) return invalid;
  *out = d;
  return {};
}

/// The first of `keys` present, as a number; `*out` stays -1 when none is present.
Problem ReadOptionalNumber(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                           Amount amount, double* out) {
  *out = -1;
  for (std::string_view key : keys) {
    if (const AnyValue* v = Get(attrs, key)) return ReadNumber(*v, key, amount, out);
  }
  return {};
}

std::string_view AgentId(const OtlpConfig& config, const Attributes& item,
                         const Attributes& resource) {
  for (const std::string& key : config.agent_id_attributes) {
    for (const Attributes* attrs : {&item, &resource}) {
      const AnyValue* v = Find(*attrs, key);
      if (v != nullptr && v->kind == ValueKind::kString && !v->str.empty()) return v->str;
    }
  }
  return config.default_agent_id;
}

/// Starts a line with the common fields.
NativeLine Begin(MappedBatch* out, std::string_view type, std::string_view agent_id,
                 std::uint64_t ts_ns, const TraceId& trace, const SpanId& span) {
  NativeLine line(&out->buffer, type);
  line.Str("agent_id", agent_id).Time("ts", ts_ns);
  if (trace.present) line.Str("trace_id", trace.view());
  if (span.present) line.Str("span_id", span.view());
  return line;
}

// The token fields of an llm_call; -1 = absent.
struct Tokens {
  double input = -1, output = -1, cache_read = -1, cache_creation = -1, cost = -1;
  bool any() const {
    return input >= 0 || output >= 0 || cache_read >= 0 || cache_creation >= 0 || cost >= 0;
  }
  void Write(NativeLine* line) const {
    if (input >= 0) line->Num("input_tokens", input);
    if (output >= 0) line->Num("output_tokens", output);
    if (cache_read >= 0) line->Num("cache_read_tokens", cache_read);
    if (cache_creation >= 0) line->Num("cache_creation_tokens", cache_creation);
  }
};

// ---------------------------------------------------------------------------------------
// Spans (GenAI semantic conventions).

enum class SpanRoute : std::uint8_t { kNone, kLlm, kTool, kRun };

SpanRoute RouteSpan(const Attributes& attrs) {
  const AnyValue* op = Get(attrs, "gen_ai.operation.name");
  if (op == nullptr || op->kind != ValueKind::kString) return SpanRoute::kNone;
  const std::string_view s = op->str;
  if (s == "chat" || s == "text_completion" || s == "generate_content") return SpanRoute::kLlm;
  if (s == "execute_tool") return SpanRoute::kTool;
  if (s == "invoke_agent") return SpanRoute::kRun;
  return SpanRoute::kNone;
}

bool ContainsTimeout(std::string_view s) {
  constexpr std::string_view kWord = "timeout";
  for (std::size_t i = 0; i + kWord.size() <= s.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < kWord.size() && match; ++j) {
      char c = s[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == kWord[j];
    }
    if (match) return true;
  }
  return false;
}

Problem ReadSpanTokens(const Attributes& a, Tokens* t) {
  if (Problem p = ReadOptionalNumber(a, {"gen_ai.usage.cache_read.input_tokens"}, Amount::kCount,
                                     &t->cache_read)) {
    return p;
  }
  if (Problem p = ReadOptionalNumber(
          a, {"gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens"},
          Amount::kCount, &t->cache_creation)) {
    return p;
  }
  if (Problem p = ReadOptionalNumber(a, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"},
                                     Amount::kCount, &t->input)) {
    return p;
  }
  if (Problem p =
          ReadOptionalNumber(a, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"},
                             Amount::kCount, &t->output)) {
    return p;
  }
  // The conventions count cached tokens inside the input tokens; ours are uncached input.
  if (t->input >= 0) {
    t->input -= std::max(t->cache_read, 0.0) + std::max(t->cache_creation, 0.0);
    t->input = std::max(t->input, 0.0);
  }
  return {};
}

void MapSpan(const OtlpConfig& config, const Attributes& resource, const Span& s,
             MappedBatch* out) {
  ++out->items;
  const ItemRef ref{"span", s.name, s.trace_id.view()};
  if (s.error != ItemError::kNone) return Reject(out, ref, ItemProblem(s.error));
  const SpanRoute route = RouteSpan(s.attributes);
  if (route == SpanRoute::kNone) return Drop(out, DropReason::kNotGenAi);

  const Attributes& a = s.attributes;
  const AnyValue* error_type = Get(a, "error.type");
  if (error_type != nullptr && error_type->kind == ValueKind::kString && error_type->str.empty()) {
    error_type = nullptr;
  }
  std::string_view status = s.status_code == 2 || error_type != nullptr ? "failure" : "success";
  std::string_view model, tool_name, finish_reason;
  Tokens tokens;
  if (route == SpanRoute::kLlm) {
    if (Problem p = ReadModel(a, {"gen_ai.request.model", "gen_ai.response.model"}, &model)) {
      return Reject(out, ref, p);
    }
    if (Problem p = ReadSpanTokens(a, &tokens)) return Reject(out, ref, p);
    // Only a plain string is usable: the model keeps no array contents.
    const AnyValue* fr = Get(a, "gen_ai.response.finish_reasons");
    if (fr != nullptr && fr->kind == ValueKind::kString) finish_reason = fr->str;
  } else if (route == SpanRoute::kTool) {
    if (Problem p = ReadString(a, {"gen_ai.tool.name"}, &tool_name)) return Reject(out, ref, p);
    if (tool_name.empty()) return Reject(out, ref, Missing("gen_ai.tool.name"));
    if (error_type != nullptr && error_type->kind == ValueKind::kString &&
        ContainsTimeout(error_type->str)) {
      status = "timeout";
    }
  }

  const std::size_t start = out->buffer.size();
  static constexpr std::string_view kTypes[] = {"", "llm_call", "tool_call", "run"};
  NativeLine line =
      Begin(out, kTypes[static_cast<int>(route)], AgentId(config, a, resource),
            s.end_time_ns != 0 ? s.end_time_ns : s.start_time_ns, s.trace_id, s.span_id);
  if (route == SpanRoute::kLlm) {
    line.Str("model", model);
    tokens.Write(&line);
  } else if (route == SpanRoute::kTool) {
    line.Str("tool_name", tool_name);
  }
  if (s.start_time_ns != 0 && s.end_time_ns != 0 && s.end_time_ns >= s.start_time_ns) {
    line.Num("duration_ms", static_cast<double>(s.end_time_ns - s.start_time_ns) / 1e6);
  }
  line.Str("status", status);
  if (!finish_reason.empty()) line.Str("finish_reason", finish_reason);
  line.End();
  FinishLine(out, start, ref);
}

// ---------------------------------------------------------------------------------------
// Log events (Claude Code).

std::string_view EventName(const LogRecord& r) {
  if (!r.event_name.empty()) return r.event_name;
  if (r.body.kind == ValueKind::kString && !r.body.str.empty()) return r.body.str;
  const AnyValue* v = Get(r.attributes, "event.name");
  if (v != nullptr && v->kind == ValueKind::kString) return v->str;
  return {};
}

Problem ReadToolSuccess(const Attributes& a, std::string_view* status) {
  const AnyValue* v = Get(a, "success");
  if (v == nullptr) return Missing("success");
  bool ok = false;
  if (v->kind == ValueKind::kBool) {
    ok = v->b;
  } else if (v->kind == ValueKind::kString && (v->str == "true" || v->str == "false")) {
    ok = v->str == "true";
  } else if (v->kind == ValueKind::kString) {
    return {RejectReason::kInvalidValue, "success", "must be true or false"};
  } else {
    return {RejectReason::kWrongType, "success", "must be a boolean or a string"};
  }
  *status = ok ? "success" : "failure";
  return {};
}

void MapLog(const OtlpConfig& config, const Attributes& resource, const LogRecord& r,
            MappedBatch* out) {
  ++out->items;
  std::string_view name = EventName(r);
  const ItemRef ref{"log record", name, r.trace_id.view()};
  if (r.error != ItemError::kNone) return Reject(out, ref, ItemProblem(r.error));
  constexpr std::string_view kPrefix = "claude_code.";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  const bool request = name == "api_request";
  const bool api_error = name == "api_error";
  const bool tool = name == "tool_result";
  if (!request && !api_error && !tool) return Drop(out, DropReason::kUnknownEvent);

  const Attributes& a = r.attributes;
  std::string_view model, tool_name, status;
  Tokens tokens;
  double duration = -1;
  if (tool) {
    if (Problem p = ReadString(a, {"tool_name"}, &tool_name)) return Reject(out, ref, p);
    if (tool_name.empty()) return Reject(out, ref, Missing("tool_name"));
    if (Problem p = ReadToolSuccess(a, &status)) return Reject(out, ref, p);
  } else {
    if (Problem p = ReadModel(a, {"model"}, &model)) return Reject(out, ref, p);
    status = request ? "success" : "failure";
  }
  if (request && config.claude_code_usage == "logs") {
    // Claude Code's input_tokens already exclude cached tokens: read as they are.
    const std::pair<std::string_view, double*> counts[] = {
        {"input_tokens", &tokens.input},
        {"output_tokens", &tokens.output},
        {"cache_read_tokens", &tokens.cache_read},
        {"cache_creation_tokens", &tokens.cache_creation}};
    for (const auto& [key, dst] : counts) {
      if (Problem p = ReadOptionalNumber(a, {key}, Amount::kCount, dst)) return Reject(out, ref, p);
    }
    if (Problem p = ReadOptionalNumber(a, {"cost_usd"}, Amount::kValue, &tokens.cost)) {
      return Reject(out, ref, p);
    }
  } else if (request) {
    // Tokens and cost come from the metrics: this event's are not read.
    for (std::string_view key : {"input_tokens", "output_tokens", "cache_read_tokens",
                                 "cache_creation_tokens", "cost_usd"}) {
      if (Get(a, key) != nullptr) {
        Drop(out, DropReason::kOtherSource);
        break;
      }
    }
  }
  if (Problem p = ReadOptionalNumber(a, {"duration_ms"}, Amount::kValue, &duration)) {
    return Reject(out, ref, p);
  }

  const std::size_t start = out->buffer.size();
  NativeLine line = Begin(out, tool ? "tool_call" : "llm_call", AgentId(config, a, resource),
                          r.time_ns != 0 ? r.time_ns : r.observed_time_ns, r.trace_id, r.span_id);
  if (tool) {
    line.Str("tool_name", tool_name);
  } else {
    line.Str("model", model);
    tokens.Write(&line);
  }
  if (duration >= 0) line.Num("duration_ms", duration);
  line.Str("status", status);
  if (tokens.cost >= 0) line.Num("cost_usd", tokens.cost);
  line.End();
  FinishLine(out, start, ref);
}

// ---------------------------------------------------------------------------------------
// Metrics (Claude Code) and the cumulative-to-delta state.

void AppendSized(std::string* out, std::string_view s) {
  out->append(std::to_string(s.size()));
  out->push_back(':');
  out->append(s);
}

void AppendSeriesValue(std::string* out, const AnyValue& v) {
  std::string text;
  switch (v.kind) {
    case ValueKind::kString:
      out->push_back('s');
      return AppendSized(out, v.str);
    case ValueKind::kBool:
      text = v.b ? "true" : "false";
      break;
    case ValueKind::kInt:
      text = std::to_string(v.i);
      break;
    case ValueKind::kDouble: {
      char buf[40];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.d);
      text.assign(buf, ec == std::errc() ? end : buf);
      break;
    }
    default:
      break;  // empty, bytes, array, kvlist: only their kind
  }
  out->push_back(static_cast<char>('a' + static_cast<int>(v.kind)));
  AppendSized(out, text);
}

/// Canonical, unambiguous encoding of a series: resource and point attributes sorted by
/// key (resource first on equal keys), each length-prefixed.
std::string SeriesKey(const Attributes& resource, const Attributes& point) {
  std::vector<std::pair<std::pair<std::string_view, int>, const AnyValue*>> all;
  all.reserve(resource.size() + point.size());
  for (const Attribute& at : resource) all.push_back({{at.key, 0}, &at.value});
  for (const Attribute& at : point) all.push_back({{at.key, 1}, &at.value});
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::string key;
  for (const auto& [k, v] : all) {
    key.push_back(k.second == 0 ? 'r' : 'p');
    AppendSized(&key, k.first);
    AppendSeriesValue(&key, *v);
  }
  return key;
}

/// Computes cumulative deltas against the committed state, then this batch's own points.
struct CumulativeState {
  std::mutex* mu;
  const std::map<CumulativeKey, CumulativePoint>* committed;  // guarded by *mu
  std::uint64_t exporter_start_ns;
  std::map<CumulativeKey, CumulativePoint> pending;
  std::size_t pending_new = 0;  // keys of `pending` that are not committed

  /// The amount a point adds, or nullopt when it only sets a baseline (or the state is full).
  std::optional<double> Delta(CumulativeKey key, std::uint64_t start_ns, double value) {
    std::optional<CumulativePoint> prev;
    bool known = false;
    std::size_t committed_size = 0;
    auto it = pending.find(key);
    if (it != pending.end()) {
      prev = it->second;
      known = true;
    } else {
      std::lock_guard lock(*mu);
      auto c = committed->find(key);
      if (c != committed->end()) {
        prev = c->second;
        known = true;
      }
      committed_size = committed->size();
    }
    std::optional<double> delta;
    if (prev) {
      const bool reset = start_ns != prev->start_time_ns || value < prev->value;
      delta = reset ? value : value - prev->value;
    } else {
      if (committed_size + pending_new >= kMaxCumulativeSeries) return std::nullopt;
      // A series that started before us may already have been counted by an earlier run.
      if (start_ns != 0 && start_ns >= exporter_start_ns) delta = value;
    }
    if (!known) ++pending_new;
    pending.insert_or_assign(std::move(key), CumulativePoint{start_ns, value});
    return delta;
  }
};

enum class UsageMetric : std::uint8_t { kNone, kTokens, kCost };

std::string_view TokenField(std::string_view type) {
  if (type == "input") return "input_tokens";
  if (type == "output") return "output_tokens";
  if (type == "cacheRead") return "cache_read_tokens";
  if (type == "cacheCreation") return "cache_creation_tokens";
  return {};
}

void MapPoint(const OtlpConfig& config, const Attributes& resource, const Metric& m,
              UsageMetric which, const NumberPoint& pt, CumulativeState* state, MappedBatch* out) {
  const ItemRef ref{"data point of", m.name, {}};
  if (pt.error != ItemError::kNone) return Reject(out, ref, ItemProblem(pt.error));
  if (config.claude_code_usage != "metrics") return Drop(out, DropReason::kOtherSource);
  if (m.kind != MetricKind::kSum || !m.monotonic || (m.temporality != 1 && m.temporality != 2)) {
    return Drop(out, DropReason::kUnsupportedPoint);
  }
  if (!pt.has_value) return Reject(out, ref, Missing("value"));
  const Amount amount = which == UsageMetric::kTokens ? Amount::kCount : Amount::kValue;
  AnyValue v;
  v.kind = ValueKind::kDouble;
  v.d = pt.value;
  double value = 0;
  if (Problem p = ReadNumber(v, "value", amount, &value)) return Reject(out, ref, p);
  std::string_view model, field = "cost_usd";
  if (Problem p = ReadModel(pt.attributes, {"model"}, &model)) return Reject(out, ref, p);
  if (which == UsageMetric::kTokens) {
    std::string_view type;
    if (Problem p = ReadString(pt.attributes, {"type"}, &type)) return Reject(out, ref, p);
    if (type.empty()) return Reject(out, ref, Missing("type"));
    field = TokenField(type);
    if (field.empty()) {
      return Reject(out, ref,
                    {RejectReason::kInvalidValue, "type",
                     "must be input, output, cacheRead or cacheCreation"});
    }
  }
  double delta = value;
  if (m.temporality == 2) {
    auto d = state->Delta({std::string(m.name), SeriesKey(resource, pt.attributes)},
                          pt.start_time_ns, value);
    if (!d) return Drop(out, DropReason::kCumulativeBaseline);
    delta = *d;
  }
  if (delta == 0) return;  // nothing to add

  const std::size_t start = out->buffer.size();
  NativeLine line(&out->buffer, "usage");
  line.Str("agent_id", AgentId(config, pt.attributes, resource)).Time("ts", pt.time_ns);
  line.Str("model", model).Num(field, delta).End();
  FinishLine(out, start, ref);
}

void MapMetric(const OtlpConfig& config, const Attributes& resource, const Metric& m,
               CumulativeState* state, MappedBatch* out) {
  out->items += m.points.size() + m.other_points;
  const UsageMetric which = m.name == "claude_code.token.usage"  ? UsageMetric::kTokens
                            : m.name == "claude_code.cost.usage" ? UsageMetric::kCost
                                                                 : UsageMetric::kNone;
  if (which == UsageMetric::kNone) {
    return Drop(out, DropReason::kUnknownMetric, m.points.size() + m.other_points);
  }
  Drop(out,
       config.claude_code_usage == "metrics" ? DropReason::kUnsupportedPoint
                                             : DropReason::kOtherSource,
       m.other_points);
  for (const NumberPoint& pt : m.points) MapPoint(config, resource, m, which, pt, state, out);
}

}  // namespace

std::string_view DropReasonName(DropReason r) {
  static constexpr std::string_view kNames[kDropReasonCount] = {
      "not_genai",         "unknown_event", "unknown_metric",
      "unsupported_point", "other_source",  "cumulative_baseline",
  };
  const auto i = static_cast<std::size_t>(r);
  return i < kDropReasonCount ? kNames[i] : std::string_view("unknown");
}

Mapper::Mapper(OtlpConfig config, std::uint64_t start_time_ns)
    : config_(std::move(config)), start_time_ns_(start_time_ns) {}

void Mapper::Map(const ExportRequest& request, MappedBatch* out) const {
  out->buffer.clear();
  out->lines.clear();
  out->items = 0;
  out->rejected = 0;
  out->rejected_by_reason.fill(0);
  out->dropped.fill(0);
  out->first_error.clear();
  out->cumulative_updates.clear();

  for (const auto& r : request.spans) {
    for (const auto& scope : r.scopes) {
      for (const Span& s : scope.items) MapSpan(config_, r.resource, s, out);
    }
  }
  for (const auto& r : request.logs) {
    for (const auto& scope : r.scopes) {
      for (const LogRecord& rec : scope.items) MapLog(config_, r.resource, rec, out);
    }
  }
  CumulativeState state{&mu_, &cumulative_, start_time_ns_, {}, 0};
  for (const auto& r : request.metrics) {
    for (const auto& scope : r.scopes) {
      for (const Metric& m : scope.items) MapMetric(config_, r.resource, m, &state, out);
    }
  }
  out->cumulative_updates.reserve(state.pending.size());
  for (auto& [key, point] : state.pending) out->cumulative_updates.emplace_back(key, point);

  // Views are taken last: the buffer may have moved while it grew. Escaping guarantees no
  // raw '\n' inside a line.
  const std::string_view all(out->buffer);
  for (std::size_t pos = 0; pos < all.size();) {
    const std::size_t nl = all.find('\n', pos);
    out->lines.push_back(all.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

void Mapper::Commit(const MappedBatch& batch) {
  std::lock_guard lock(mu_);
  for (const auto& [key, point] : batch.cumulative_updates) {
    auto it = cumulative_.find(key);
    if (it != cumulative_.end()) {
      it->second = point;
    } else if (cumulative_.size() < kMaxCumulativeSeries) {
      cumulative_.emplace(key, point);
    }
  }
}

}  // namespace agx::otlp
