#include "ingest/event_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>
#include <utility>

#include "common/utf8.h"
#include "ingest/event_fields.h"

// How a line is parsed (docs/events.md is the user-facing contract):
//  1. length, trailing '\r', UTF-8 checks on the raw bytes;
//  2. the line is copied into a reusable padded buffer and iterated once with simdjson
//     On-Demand. Every known field is decoded into a slot by its kind (string, number, …)
//     without knowing the event type yet, because `type` may come last. Unknown fields and
//     values of the wrong JSON type are still walked completely, so a malformed value
//     anywhere makes the line invalid JSON rather than a field error;
//  3. only then the type's rules decide which slots matter (required, allowed values);
//     fields of other types are ignored, whatever their content.
// Nothing is allocated per line once the buffer and the simdjson parser have grown to the
// longest line seen: detail messages go to a fixed buffer, strings stay in simdjson's.

namespace agx {
namespace {

namespace od = simdjson::ondemand;

constexpr int kMaxDepth = 64;           // nesting accepted in values (ignored fields too)
constexpr std::size_t kMaxQuoted = 64;  // bytes of user text quoted in a detail message
constexpr std::size_t kDetailBytes = 256;

enum class Kind : std::uint8_t { kString, kNumber, kCount, kScore, kTimestamp, kTraceId, kSpanId };

enum class F : std::uint8_t {
  kType,
  kAgentId,
  kTs,
  kTraceId,
  kSpanId,
  kConversationId,
  kStatus,
  kModel,
  kToolName,
  kOutcome,
  kHallucinationType,
  kStrategy,
  kResult,
  kTaskType,
  kFinishReason,
  kEvaluator,
  kDurationMs,
  kSteps,
  kToolCalls,
  kInputTokens,
  kOutputTokens,
  kCacheReadTokens,
  kCacheCreationTokens,
  kCostUsd,
  kScore,
  kStep,
  kCount,  // not a field
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(F::kCount);

struct FieldDef {
  std::string_view name;
  Kind kind;
  std::string_view AgentEvent::*str;  // where a string lands in AgentEvent, or null
  double AgentEvent::*num;            // where a number lands, or null
};

// Indexed by F.
constexpr std::array<FieldDef, kFieldCount> kFields = {{
    {"type", Kind::kString, nullptr, nullptr},
    {"agent_id", Kind::kString, &AgentEvent::agent_id, nullptr},
    {"ts", Kind::kTimestamp, nullptr, &AgentEvent::ts},
    {"trace_id", Kind::kTraceId, &AgentEvent::trace_id, nullptr},
    {"span_id", Kind::kSpanId, &AgentEvent::span_id, nullptr},
    {"conversation_id", Kind::kString, &AgentEvent::conversation_id, nullptr},
    {"status", Kind::kString, &AgentEvent::status, nullptr},
    {"model", Kind::kString, &AgentEvent::model, nullptr},
    {"tool_name", Kind::kString, &AgentEvent::tool_name, nullptr},
    {"outcome", Kind::kString, &AgentEvent::outcome, nullptr},
    {"hallucination_type", Kind::kString, &AgentEvent::hallucination_type, nullptr},
    {"strategy", Kind::kString, &AgentEvent::strategy, nullptr},
    {"result", Kind::kString, &AgentEvent::result, nullptr},
    {"task_type", Kind::kString, &AgentEvent::task_type, nullptr},
    {"finish_reason", Kind::kString, &AgentEvent::finish_reason, nullptr},
    {"evaluator", Kind::kString, &AgentEvent::evaluator, nullptr},
    {"duration_ms", Kind::kNumber, nullptr, &AgentEvent::duration_ms},
    {"steps", Kind::kCount, nullptr, &AgentEvent::steps},
    {"tool_calls", Kind::kCount, nullptr, &AgentEvent::tool_calls},
    {"input_tokens", Kind::kCount, nullptr, &AgentEvent::input_tokens},
    {"output_tokens", Kind::kCount, nullptr, &AgentEvent::output_tokens},
    {"cache_read_tokens", Kind::kCount, nullptr, &AgentEvent::cache_read_tokens},
    {"cache_creation_tokens", Kind::kCount, nullptr, &AgentEvent::cache_creation_tokens},
    {"cost_usd", Kind::kNumber, nullptr, &AgentEvent::cost_usd},
    {"score", Kind::kScore, nullptr, &AgentEvent::score},
    {"step", Kind::kCount, nullptr, &AgentEvent::step},
}};

const FieldDef& Def(F f) { return kFields[static_cast<std::size_t>(f)]; }

F Match(std::string_view key, std::initializer_list<F> candidates) {
  for (F f : candidates) {
    if (Def(f).name == key) return f;
  }
  return F::kCount;
}

/// \return the field named `key`, or F::kCount for an unknown key.
F FindField(std::string_view key) {
  if (key.empty()) return F::kCount;
  switch (key[0]) {
    case 'a':
      return Match(key, {F::kAgentId});
    case 'c':
      return Match(key,
                   {F::kCostUsd, F::kConversationId, F::kCacheReadTokens, F::kCacheCreationTokens});
    case 'd':
      return Match(key, {F::kDurationMs});
    case 'e':
      return Match(key, {F::kEvaluator});
    case 'f':
      return Match(key, {F::kFinishReason});
    case 'h':
      return Match(key, {F::kHallucinationType});
    case 'i':
      return Match(key, {F::kInputTokens});
    case 'm':
      return Match(key, {F::kModel});
    case 'o':
      return Match(key, {F::kOutcome, F::kOutputTokens});
    case 'r':
      return Match(key, {F::kResult});
    case 's':
      return Match(key, {F::kStatus, F::kSpanId, F::kSteps, F::kStep, F::kStrategy, F::kScore});
    case 't':
      return Match(key, {F::kType, F::kTs, F::kTraceId, F::kToolName, F::kToolCalls, F::kTaskType});
    default:
      return F::kCount;
  }
}

// Per-type rules: which fields belong to the type, which are required, allowed values.
struct Rule {
  F field;
  bool required;
  std::span<const std::string_view> allowed;  // empty: free text or a number
};

constexpr std::string_view kSuccessFailure[] = {"success", "failure"};
constexpr std::string_view kToolStatus[] = {"success", "failure", "timeout"};
constexpr std::string_view kStepOutcome[] = {"completed", "tool_call_failed", "hallucination",
                                             "recovery",  "max_steps",        "safety_blocked"};
constexpr std::string_view kApprovalResult[] = {"approved", "denied", "timeout"};
constexpr std::string_view kTaskOutcome[] = {"completed", "failed", "abandoned", "escalated"};

constexpr Rule kRunRules[] = {{F::kStatus, true, kSuccessFailure},
                              {F::kDurationMs, false, {}},
                              {F::kSteps, false, {}},
                              {F::kToolCalls, false, {}},
                              {F::kTaskType, false, {}}};
constexpr Rule kLlmRules[] = {{F::kModel, true, {}},
                              {F::kInputTokens, false, {}},
                              {F::kOutputTokens, false, {}},
                              {F::kCacheReadTokens, false, {}},
                              {F::kCacheCreationTokens, false, {}},
                              {F::kDurationMs, false, {}},
                              {F::kStatus, false, kSuccessFailure},
                              {F::kFinishReason, false, {}},
                              {F::kStep, false, {}},
                              {F::kCostUsd, false, {}}};
constexpr Rule kToolRules[] = {
    {F::kToolName, true, {}}, {F::kStatus, true, kToolStatus}, {F::kDurationMs, false, {}}};
constexpr Rule kStepRules[] = {{F::kOutcome, true, kStepOutcome}};
constexpr Rule kHallucinationRules[] = {{F::kHallucinationType, true, {}}};
constexpr Rule kRecoveryRules[] = {{F::kStrategy, true, {}}};
constexpr Rule kApprovalRules[] = {{F::kResult, true, kApprovalResult}};
constexpr Rule kTaskRules[] = {
    {F::kTaskType, true, {}}, {F::kOutcome, true, kTaskOutcome}, {F::kCostUsd, false, {}}};
constexpr Rule kFeedbackRules[] = {{F::kScore, true, {}}, {F::kTaskType, false, {}}};
constexpr Rule kEvalRules[] = {{F::kEvaluator, true, {}}, {F::kScore, true, {}}};
constexpr Rule kUsageRules[] = {{F::kModel, true, {}},
                                {F::kInputTokens, false, {}},
                                {F::kOutputTokens, false, {}},
                                {F::kCacheReadTokens, false, {}},
                                {F::kCacheCreationTokens, false, {}},
                                {F::kCostUsd, false, {}}};
constexpr Rule kCommonRules[] = {{F::kAgentId, true, {}},
                                 {F::kTs, false, {}},
                                 {F::kTraceId, false, {}},
                                 {F::kSpanId, false, {}},
                                 {F::kConversationId, false, {}}};

std::span<const Rule> RulesFor(EventType t) {
  switch (t) {
    case EventType::kRun:
      return kRunRules;
    case EventType::kLlmCall:
      return kLlmRules;
    case EventType::kToolCall:
      return kToolRules;
    case EventType::kStep:
      return kStepRules;
    case EventType::kHallucination:
      return kHallucinationRules;
    case EventType::kRecovery:
      return kRecoveryRules;
    case EventType::kApproval:
      return kApprovalRules;
    case EventType::kTask:
      return kTaskRules;
    case EventType::kFeedback:
      return kFeedbackRules;
    case EventType::kEval:
      return kEvalRules;
    case EventType::kUsage:
      return kUsageRules;
    case EventType::kCount:
      break;
  }
  return {};
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// JSON number grammar (RFC 8259 §6): tells an out-of-range number from a malformed one.
bool IsJsonNumber(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto digits = [&] {
    const std::size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.' && (++i, !digits())) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

enum class Num : std::uint8_t { kOk, kOutOfRange, kMalformed };

Num ReadNumber(od::value& v, double* out) {
  if (v.get_double().get(*out) == simdjson::SUCCESS) {
    *out += 0.0;  // -0 -> +0
    return Num::kOk;
  }
  // Only on failure: tell an out-of-range number from a malformed one. A failed get_double
  // leaves the value unconsumed, so its raw token is still there.
  return IsJsonNumber(v.raw_json_token()) ? Num::kOutOfRange : Num::kMalformed;
}

/// Walks a value completely so that malformed JSON anywhere is reported.
simdjson::error_code Validate(od::value& v, int depth) {
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  switch (t) {
    case od::json_type::object: {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      od::object o;
      if (auto err = v.get_object().get(o)) return err;
      for (auto fr : o) {
        od::field f;
        std::string_view key;
        if (auto err = std::move(fr).get(f)) return err;
        if (auto err = f.unescaped_key().get(key)) return err;
        if (auto err = Validate(f.value(), depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      od::array a;
      if (auto err = v.get_array().get(a)) return err;
      for (auto er : a) {
        od::value e;
        if (auto err = er.get(e)) return err;
        if (auto err = Validate(e, depth + 1)) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double d;
      return ReadNumber(v, &d) == Num::kMalformed ? simdjson::NUMBER_ERROR : simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b) ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      const bool ok = v.is_null().get(is_null) == simdjson::SUCCESS && is_null;
      return ok ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

std::string_view JsonErrorDetail(simdjson::error_code err) {
  switch (err) {
    case simdjson::EMPTY:
      return "empty line";
    case simdjson::DEPTH_ERROR:
      return "malformed JSON: nested deeper than 64 levels";
    case simdjson::STRING_ERROR:
    case simdjson::UNCLOSED_STRING:
    case simdjson::UNESCAPED_CHARS:
      return "malformed JSON: bad string";
    case simdjson::NUMBER_ERROR:
      return "malformed JSON: bad number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "malformed JSON: bad literal";
    default:
      return "malformed JSON";
  }
}

/// `"value"` cut to kMaxQuoted bytes at a UTF-8 boundary, written into `buf`.
std::string_view Quote(std::string_view v, char* buf) {
  const std::string_view cut = TruncateUtf8(v, kMaxQuoted);
  std::size_t n = 0;
  buf[n++] = '"';
  std::memcpy(buf + n, cut.data(), cut.size());
  n += cut.size();
  if (cut.size() < v.size()) {
    std::memcpy(buf + n, "...", 3);
    n += 3;
  }
  buf[n++] = '"';
  return std::string_view(buf, n);
}

}  // namespace

struct EventParser::Impl {
  // A known field's state on the current line.
  struct Slot {
    enum State : std::uint8_t { kAbsent, kOk, kBad } state = kAbsent;
    RejectReason bad = RejectReason::kNone;
    std::string_view str;
    double num = 0;
  };

  explicit Impl(std::size_t max) : max_line_bytes(max) {}

  ParseError Parse(std::string_view line, AgentEvent* out);
  simdjson::error_code ReadField(F f, od::value& v);
  RejectReason Check(F f, bool required, std::span<const std::string_view> allowed);
  ParseError Finish(AgentEvent* out);

  // Fixed-size detail message builder (no allocation; long user text is cut).
  ParseError Fail(RejectReason r, std::initializer_list<std::string_view> parts) {
    detail_len = 0;
    for (std::string_view part : parts) {
      const std::size_t n = std::min(part.size(), kDetailBytes - detail_len);
      std::memcpy(detail + detail_len, part.data(), n);
      detail_len += n;
    }
    return {r, std::string_view(detail, detail_len)};
  }
  ParseError FailField(RejectReason r, F f, std::string_view what) {
    return Fail(r, {"field \"", Def(f).name, what});
  }

  const std::size_t max_line_bytes;
  od::parser parser;
  std::unique_ptr<char[]> buf;
  std::size_t buf_cap = 0;
  std::array<Slot, kFieldCount> slots;
  std::array<std::uint8_t, kFieldCount> touched{};  // slots set since the last reset
  std::size_t touched_count = 0;
  char trace_id[detail::kTraceIdHexDigits];
  char span_id[detail::kSpanIdHexDigits];
  char detail[kDetailBytes];
  std::size_t detail_len = 0;
  char quoted[kMaxQuoted + 8];  // a cut user value, quoted, for Fail()
  ParseError error;             // set by Check()
};

simdjson::error_code EventParser::Impl::ReadField(F f, od::value& v) {
  Slot& s = slots[static_cast<std::size_t>(f)];
  if (s.state == Slot::kAbsent && touched_count < touched.size()) {
    touched[touched_count++] = static_cast<std::uint8_t>(f);
  }
  s = Slot{};  // duplicate keys: the last one wins
  const Kind kind = Def(f).kind;
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  auto bad = [&](RejectReason r) {
    s.state = Slot::kBad;
    s.bad = r;
  };
  const bool want_string = kind == Kind::kString || kind == Kind::kTraceId ||
                           kind == Kind::kSpanId || kind == Kind::kTimestamp;
  const bool want_number = kind != Kind::kString && kind != Kind::kTraceId && kind != Kind::kSpanId;
  if (t == od::json_type::string && want_string) {
    std::string_view str;
    if (auto err = v.get_string().get(str)) return err;
    s.state = Slot::kOk;
    s.str = str;
    if (kind == Kind::kTimestamp) {
      if (!detail::ParseRfc3339(str, &s.num)) bad(RejectReason::kInvalidValue);
    } else if (kind == Kind::kTraceId || kind == Kind::kSpanId) {
      char* id = kind == Kind::kTraceId ? trace_id : span_id;
      const std::size_t len = kind == Kind::kTraceId ? sizeof(trace_id) : sizeof(span_id);
      if (detail::NormalizeHexId(str, len, id)) {
        s.str = std::string_view(id, len);
      } else {
        bad(RejectReason::kInvalidValue);
      }
    }
    return simdjson::SUCCESS;
  }
  if (t == od::json_type::number && want_number) {
    const Num n = ReadNumber(v, &s.num);
    if (n == Num::kMalformed) return simdjson::NUMBER_ERROR;
    s.state = Slot::kOk;
    const bool valid = n == Num::kOk && s.num >= 0 &&
                       (kind != Kind::kCount || s.num == std::floor(s.num)) &&
                       (kind != Kind::kScore || s.num <= 1);
    if (!valid) bad(RejectReason::kInvalidValue);
    return simdjson::SUCCESS;
  }
  bad(RejectReason::kWrongType);
  return Validate(v, 1);
}

RejectReason EventParser::Impl::Check(F f, bool required,
                                      std::span<const std::string_view> allowed) {
  Slot& s = slots[static_cast<std::size_t>(f)];
  const Kind kind = Def(f).kind;
  if (s.state == Slot::kBad) {
    if (s.bad == RejectReason::kWrongType) {
      error = FailField(s.bad, f,
                        kind == Kind::kTimestamp ? "\" must be a string or a number"
                        : kind == Kind::kString || kind == Kind::kTraceId || kind == Kind::kSpanId
                            ? "\" must be a string"
                            : "\" must be a number");
    } else {
      switch (kind) {
        case Kind::kNumber:
          error = FailField(s.bad, f, "\" must be a non-negative number");
          break;
        case Kind::kCount:
          error = FailField(s.bad, f, "\" must be a non-negative integer");
          break;
        case Kind::kScore:
          error = FailField(s.bad, f, "\" must be a number from 0 to 1");
          break;
        case Kind::kTimestamp:
          error = FailField(s.bad, f, "\" must be an RFC 3339 time or non-negative Unix seconds");
          break;
        case Kind::kTraceId:
          error = FailField(s.bad, f, "\" must be 32 hex digits, not all 0");
          break;
        case Kind::kSpanId:
          error = FailField(s.bad, f, "\" must be 16 hex digits, not all 0");
          break;
        case Kind::kString:
          error = FailField(s.bad, f, "\" is invalid");
          break;
      }
    }
    return s.bad;
  }
  const bool absent = s.state == Slot::kAbsent || (kind == Kind::kString && s.str.empty());
  if (required && absent) {
    error = Fail(RejectReason::kMissingField, {"missing field \"", Def(f).name, "\""});
    return RejectReason::kMissingField;
  }
  if (s.state == Slot::kAbsent || allowed.empty()) return RejectReason::kNone;
  for (std::string_view a : allowed) {
    if (a == s.str) {
      s.str = a;  // static storage: outlives the line
      return RejectReason::kNone;
    }
  }
  // field "x" must be one of a, b, c (got "v")
  char list[128];
  std::size_t n = 0;
  for (std::string_view a : allowed) {
    if (n + a.size() + 2 > sizeof(list)) break;
    if (n > 0) {
      list[n++] = ',';
      list[n++] = ' ';
    }
    std::memcpy(list + n, a.data(), a.size());
    n += a.size();
  }
  error = Fail(RejectReason::kInvalidValue,
               {"field \"", Def(f).name, "\" must be one of ", std::string_view(list, n), " (got ",
                Quote(s.str, quoted), ")"});
  return RejectReason::kInvalidValue;
}

ParseError EventParser::Impl::Finish(AgentEvent* out) {
  if (Check(F::kType, true, {}) != RejectReason::kNone) return error;
  const std::string_view type_name = slots[static_cast<std::size_t>(F::kType)].str;
  if (!ParseEventType(type_name, &out->type)) {
    return Fail(RejectReason::kUnknownType, {"unknown event type ", Quote(type_name, quoted)});
  }
  for (std::span<const Rule> rules : {std::span<const Rule>(kCommonRules), RulesFor(out->type)}) {
    for (const Rule& r : rules) {
      if (Check(r.field, r.required, r.allowed) != RejectReason::kNone) {
        *out = AgentEvent{};
        return error;
      }
      const Slot& s = slots[static_cast<std::size_t>(r.field)];
      const FieldDef& d = Def(r.field);
      if (s.state != Slot::kOk) continue;
      if (d.str != nullptr) out->*d.str = s.str;
      if (d.num != nullptr) out->*d.num = s.num;
    }
  }
  if (out->type == EventType::kLlmCall && out->status.empty()) out->status = "success";
  return {};
}

ParseError EventParser::Impl::Parse(std::string_view line, AgentEvent* out) {
  *out = AgentEvent{};
  if (line.size() > max_line_bytes) {
    char n[64];
    const int len = std::snprintf(n, sizeof n, "line of %zu bytes is over the limit of %zu",
                                  line.size(), max_line_bytes);
    return Fail(RejectReason::kLineTooLong, {std::string_view(n, static_cast<std::size_t>(len))});
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (buf_cap < line.size() + simdjson::SIMDJSON_PADDING) {
    buf_cap = std::max(line.size() + simdjson::SIMDJSON_PADDING, 2 * buf_cap);
    buf = std::make_unique<char[]>(buf_cap);
  }
  std::memcpy(buf.get(), line.data(), line.size());
  std::memset(buf.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  // Reset only the slots the previous line set (a line sets a handful of ~26).
  for (std::size_t i = 0; i < touched_count; ++i) slots[touched[i]] = Slot{};
  touched_count = 0;

  auto invalid = [&](simdjson::error_code err) {
    return ParseError{RejectReason::kInvalidJson, JsonErrorDetail(err)};
  };
  od::document doc;
  // iterate() validates UTF-8 over the whole line (simdjson's stage 1), so a line that
  // iterates is valid UTF-8. When it fails, UTF-8 comes first in the order of reasons.
  if (auto err = parser.iterate(buf.get(), line.size(), buf_cap).get(doc)) {
    if (err == simdjson::UTF8_ERROR || !simdjson::validate_utf8(line.data(), line.size())) {
      return {RejectReason::kInvalidUtf8, "line is not valid UTF-8"};
    }
    return invalid(err);
  }
  od::object obj;
  if (auto err = doc.get_object().get(obj)) {
    if (err == simdjson::INCORRECT_TYPE) return {RejectReason::kInvalidJson, "not a JSON object"};
    return invalid(err);
  }
  for (auto fr : obj) {
    od::field field;
    std::string_view key;
    if (auto err = std::move(fr).get(field)) return invalid(err);
    if (auto err = field.unescaped_key().get(key)) return invalid(err);
    const F f = FindField(key);
    const auto err = f == F::kCount ? Validate(field.value(), 1) : ReadField(f, field.value());
    if (err) return invalid(err);
  }
  // On-Demand stops at the object's closing brace: anything but whitespace after it is
  // trailing content (raw_json() ends where the next token, if any, starts).
  std::string_view raw;
  if (auto err = doc.raw_json().get(raw)) return invalid(err);
  for (const char* p = raw.data() + raw.size(); p < buf.get() + line.size(); ++p) {
    if (!IsJsonSpace(*p)) {
      return {RejectReason::kInvalidJson, "malformed JSON: trailing content after the object"};
    }
  }
  return Finish(out);
}

EventParser::EventParser(std::size_t max_line_bytes)
    : impl_(std::make_unique<Impl>(max_line_bytes)) {}

EventParser::~EventParser() = default;

ParseError EventParser::Parse(std::string_view line, AgentEvent* out) {
  return impl_->Parse(line, out);
}

}  // namespace agx
