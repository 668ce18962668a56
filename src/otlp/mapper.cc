#include "otlp/mapper.h"

#include <initializer_list>
#include <optional>
#include <utility>

#include "otlp/map_util.h"
#include "ingest/native_line.h"
#include "otlp/span_mapper.h"

namespace agx::otlp {

using namespace detail;  // NOLINT(google-build-using-namespace): the mapper's own helpers

namespace {

constexpr std::size_t kMaxCumulativeSeries = 100000;

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

// A tool decision is a human's only when Claude Code's `source` says the user made it
// (user_permanent, user_temporary, user_abort, user_reject); config rules and hooks decide
// on their own. docs/otlp.md, Log events.
constexpr std::string_view kUserSource = "user_";

/// The approval result of a claude_code.tool_decision record ("approved" or "denied"), or
/// empty when a rule or a hook made the decision (the record is then dropped as ignored).
Problem ReadToolDecision(const Attributes& a, std::string_view* result) {
  std::string_view decision, source;
  if (Problem p = ReadString(a, {"decision"}, &decision)) return p;
  if (decision.empty()) return Missing("decision");
  if (decision != "accept" && decision != "reject") {
    return {RejectReason::kInvalidValue, "decision", "must be accept or reject"};
  }
  if (Problem p = ReadString(a, {"source"}, &source)) return p;
  if (source.empty()) return Missing("source");
  if (source.substr(0, kUserSource.size()) != kUserSource) {
    *result = {};
    return {};
  }
  // An abort or a refusal by the user that says "accept" contradicts itself.
  if ((source == "user_abort" || source == "user_reject") && decision != "reject") {
    return {RejectReason::kInvalidValue, "decision",
            "must be reject when the source is user_abort or user_reject"};
  }
  *result = decision == "accept" ? "approved" : "denied";
  return {};
}

/// claude_code.tool_decision: the user's decisions become approval events; automatic ones
/// are dropped (ignored).
void MapToolDecision(const OtlpConfig& config, const MapLimits& limits, const Attributes& resource,
                     const LogRecord& r, const ItemRef& ref, MappedBatch* out) {
  std::string_view result;
  if (Problem p = ReadToolDecision(r.attributes, &result)) return Reject(out, ref, p);
  if (result.empty()) return Drop(out, DropReason::kIgnored);
  const std::size_t start = out->buffer.size();
  NativeLine line =
      Begin(out, "approval",
            CutLabel(AgentId(config, r.attributes, resource), limits.label_value_max_bytes),
            r.time_ns != 0 ? r.time_ns : r.observed_time_ns, r.trace_id, r.span_id);
  line.Str("result", result).End();
  FinishLine(out, start, ref);
}

void MapLog(const OtlpConfig& config, const MapLimits& limits, const Attributes& resource,
            const LogRecord& r, MappedBatch* out) {
  ++out->items;
  std::string_view name = EventName(r);
  const ItemRef ref{"log record", name, r.trace_id.view()};
  if (r.error != ItemError::kNone) return Reject(out, ref, ItemProblem(r.error));
  constexpr std::string_view kPrefix = "claude_code.";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  const bool request = name == "api_request";
  const bool api_error = name == "api_error";
  const bool tool = name == "tool_result";
  if (name == "tool_decision") return MapToolDecision(config, limits, resource, r, ref, out);
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

  const std::size_t cut = limits.label_value_max_bytes;
  const std::size_t start = out->buffer.size();
  NativeLine line = Begin(out, tool ? "tool_call" : "llm_call",
                          CutLabel(AgentId(config, a, resource), cut),
                          r.time_ns != 0 ? r.time_ns : r.observed_time_ns, r.trace_id, r.span_id);
  if (tool) {
    line.Str("tool_name", CutLabel(tool_name, cut));
  } else {
    line.Str("model", CutLabel(model, cut));
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

/// Computes cumulative deltas against the committed state, then this batch's own points.
struct CumulativeState {
  std::mutex* mu;
  const std::map<CumulativeKey, CumulativePoint>* committed;  // guarded by *mu
  std::uint64_t exporter_start_ns;
  std::map<CumulativeKey, CumulativePoint> pending;
  std::size_t pending_new = 0;  // keys of `pending` that are not committed

  /// The amount a point adds, or nullopt when it only sets a baseline (or the state is full).
  std::optional<double> Delta(const CumulativeKey& key, std::uint64_t start_ns, double value) {
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
    pending.insert_or_assign(key, CumulativePoint{start_ns, value});
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

/// A resource of a metrics request: its attributes and, once a cumulative point needs it,
/// their digest (computed once per resource however many points it holds).
struct MetricResource {
  const Attributes& attributes;
  std::optional<SeriesKey> digest;
  const SeriesKey& Digest() {
    if (!digest) digest = ResourceDigest(attributes);
    return *digest;
  }
};

void MapPoint(const OtlpConfig& config, const MapLimits& limits, MetricResource& res,
              const Metric& m, UsageMetric which, const NumberPoint& pt, CumulativeState* state,
              MappedBatch* out) {
  const Attributes& resource = res.attributes;
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
    auto d = state->Delta(MakeSeriesKey(m.name, res.Digest(), pt.attributes), pt.start_time_ns,
                          value);
    if (!d) return Drop(out, DropReason::kCumulativeBaseline);
    delta = *d;
  }
  if (delta == 0) return;  // nothing to add

  const std::size_t start = out->buffer.size();
  NativeLine line(&out->buffer, "usage");
  const std::size_t cut = limits.label_value_max_bytes;
  line.Str("agent_id", CutLabel(AgentId(config, pt.attributes, resource), cut));
  line.Time("ts", pt.time_ns);
  line.Str("model", CutLabel(model, cut)).Num(field, delta).End();
  FinishLine(out, start, ref);
}

void MapMetric(const OtlpConfig& config, const MapLimits& limits, MetricResource& resource,
               const Metric& m, CumulativeState* state, MappedBatch* out) {
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
  for (const NumberPoint& pt : m.points) {
    if (Full(limits, out)) return;
    MapPoint(config, limits, resource, m, which, pt, state, out);
  }
}

}  // namespace

std::string_view DropReasonName(DropReason r) {
  static constexpr std::string_view kNames[kDropReasonCount] = {
      "not_genai",         "unknown_event", "unknown_metric",
      "unsupported_point", "other_source",  "cumulative_baseline",
      "ignored",           "duplicate",
  };
  const auto i = static_cast<std::size_t>(r);
  return i < kDropReasonCount ? kNames[i] : std::string_view("unknown");
}

Mapper::Mapper(OtlpConfig config, std::uint64_t start_time_ns, MapLimits limits)
    : config_(std::move(config)),
      limits_(limits),
      spans_(std::make_unique<SpanMapper>(config_, limits_)),
      start_time_ns_(start_time_ns) {}

Mapper::~Mapper() = default;

SpanMemory& Mapper::span_memory() const { return spans_->memory(); }

void Mapper::Map(const ExportRequest& request, MappedBatch* out) const {
  out->buffer.clear();
  out->lines.clear();
  out->items = 0;
  out->rejected = 0;
  out->rejected_by_reason.fill(0);
  out->dropped.fill(0);
  out->first_error.clear();
  out->cumulative_updates.clear();
  out->span_updates.clear();
  out->too_large = false;

  spans_->Map(request, out);
  for (const auto& r : request.logs) {
    for (const auto& scope : r.scopes) {
      for (const LogRecord& rec : scope.items) {
        if (Full(limits_, out)) break;
        MapLog(config_, limits_, r.resource, rec, out);
      }
    }
  }
  CumulativeState state{&mu_, &cumulative_, start_time_ns_, {}, 0};
  for (const auto& r : request.metrics) {
    MetricResource resource{r.resource, std::nullopt};
    for (const auto& scope : r.scopes) {
      for (const Metric& m : scope.items) {
        if (Full(limits_, out)) break;
        MapMetric(config_, limits_, resource, m, &state, out);
      }
    }
  }
  if (Full(limits_, out)) return;  // refused whole: no lines, no cumulative updates
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
