#include "otlp/map_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/utf8.h"

namespace agx::otlp::detail {
namespace {

constexpr double kMaxCount = 9007199254740992.0;  // 2^53: counts are exact up to here
constexpr std::uint64_t kMaxCountInt = 9007199254740992u;
constexpr std::size_t kNameCut = 64;  // bytes of a user value quoted in first_error

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

}  // namespace

Problem Missing(std::string_view field) {
  return {RejectReason::kMissingField, field, "is missing"};
}

Problem ItemProblem(ItemError e) {
  if (e == ItemError::kTooManyAttributes) {
    return {RejectReason::kTooManyAttributes, "", "has more attributes than otlp.max_attributes"};
  }
  return {RejectReason::kInvalidValue, "", "has a malformed trace or span id"};
}

std::string RejectMessage(const ItemRef& item, const Problem& p) {
  std::string m;
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
  return m;
}

void Reject(MappedBatch* out, const ItemRef& item, const Problem& p) {
  ++out->rejected;
  ++out->rejected_by_reason[static_cast<std::size_t>(p.reason)];
  if (out->first_error.empty()) out->first_error = RejectMessage(item, p);
}

void Drop(MappedBatch* out, DropReason r, std::size_t n) {
  out->dropped[static_cast<std::size_t>(r)] += n;
}

bool FinishLine(MappedBatch* out, std::size_t start, const ItemRef& item) {
  if (IsValidUtf8(std::string_view(out->buffer).substr(start))) return true;
  out->buffer.resize(start);
  Reject(out, item, {RejectReason::kInvalidUtf8, "", "has a string that is not valid UTF-8"});
  return false;
}

bool Present(const AnyValue* v) {
  return v != nullptr && v->kind != ValueKind::kEmpty &&
         (v->kind != ValueKind::kString || !v->str.empty());
}

const AnyValue* Get(const Attributes& attrs, std::string_view key) {
  const AnyValue* v = Find(attrs, key);
  return v != nullptr && v->kind != ValueKind::kEmpty ? v : nullptr;
}

Problem ReadStringValue(const AnyValue* v, std::string_view key, std::string_view* out) {
  *out = {};
  if (v == nullptr || v->kind == ValueKind::kEmpty) return {};
  if (v->kind != ValueKind::kString) return {RejectReason::kWrongType, key, "must be a string"};
  *out = v->str;
  return {};
}

Problem ReadString(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                   std::string_view* out) {
  *out = {};
  for (std::string_view key : keys) {
    if (Problem p = ReadStringValue(Get(attrs, key), key, out)) return p;
    if (!out->empty()) return {};
  }
  return {};
}

std::string_view StripContextSuffix(std::string_view model) {
  if (!model.empty() && model.back() == ']') {
    const std::size_t open = model.rfind('[');
    if (open != std::string_view::npos) model = model.substr(0, open);
  }
  return model;
}

Problem ReadModel(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                  std::string_view* out) {
  if (Problem p = ReadString(attrs, keys, out)) return p;
  *out = StripContextSuffix(*out);
  return out->empty() ? Missing(*keys.begin()) : Problem{};
}

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

Problem ReadOptionalNumber(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                           Amount amount, double* out) {
  *out = -1;
  for (std::string_view key : keys) {
    if (const AnyValue* v = Get(attrs, key)) return ReadNumber(*v, key, amount, out);
  }
  return {};
}

std::string_view AgentIdFrom(const std::vector<std::string>& keys, const Attributes& item,
                             const Attributes& resource, std::string_view fallback) {
  for (const std::string& key : keys) {
    for (const Attributes* attrs : {&item, &resource}) {
      const AnyValue* v = Find(*attrs, key);
      if (v != nullptr && v->kind == ValueKind::kString && !v->str.empty()) return v->str;
    }
  }
  return fallback;
}

std::string_view AgentId(const OtlpConfig& config, const Attributes& item,
                         const Attributes& resource) {
  return AgentIdFrom(config.agent_id_attributes, item, resource, config.default_agent_id);
}

std::string_view CutLabel(std::string_view v, std::size_t max_bytes) {
  constexpr std::size_t kMaxCodePoint = 4;
  if (v.size() <= max_bytes) return v;  // also keeps max_bytes + 4 from overflowing
  return TruncateUtf8(v, max_bytes + kMaxCodePoint);
}

bool Full(const MapLimits& limits, MappedBatch* out) {
  // The span memory's updates go into the same write-ahead-log record as the lines.
  const std::size_t bytes =
      out->buffer.size() + out->span_updates.size() * SpanMemory::kEncodedUpdateBytes;
  if (bytes > limits.max_mapped_bytes) out->too_large = true;
  return out->too_large;
}

NativeLine Begin(MappedBatch* out, std::string_view type, std::string_view agent_id,
                 std::uint64_t ts_ns, const TraceId& trace, const SpanId& span) {
  NativeLine line(&out->buffer, type);
  line.Str("agent_id", agent_id).Time("ts", ts_ns);
  if (trace.present) line.Str("trace_id", trace.view());
  if (span.present) line.Str("span_id", span.view());
  return line;
}

void Tokens::Write(NativeLine* line) const {
  if (input >= 0) line->Num("input_tokens", input);
  if (output >= 0) line->Num("output_tokens", output);
  if (cache_read >= 0) line->Num("cache_read_tokens", cache_read);
  if (cache_creation >= 0) line->Num("cache_creation_tokens", cache_creation);
}

}  // namespace agx::otlp::detail
