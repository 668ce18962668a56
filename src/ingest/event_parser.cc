#include "ingest/event_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/text.h"
#include "common/utf8.h"
#include "ingest/event_fields.h"
#include "ingest/event_schema.h"
#include "ingest/flat_json.h"
#include "ingest/json_validate.h"

// How a line is parsed (docs/events.md is the user-facing contract):
//  0. the fast path (ScanFlat, flat_json.h): a flat line of plain members that is a valid
//     event is read in one pass straight into the AgentEvent. Any other line, valid or
//     not, goes through the steps below, which alone define errors and their messages;
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

constexpr std::size_t kMaxQuoted = 64;  // bytes of user text quoted in a detail message
constexpr std::size_t kDetailBytes = 256;

using namespace event_schema;  // NOLINT(google-build-using-namespace): the parser's own schema

/// Whether the raw (still escaped) key at `p`, just past its opening quote, is exactly
/// `name` followed by its closing quote; `avail` bytes are readable at `p`.
template <std::size_t N>
bool KnownKeyAt(const char* p, std::size_t avail, const char (&name)[N]) {
  return avail >= N && std::memcmp(p, name, N - 1) == 0 && p[N - 1] == '"';
}

/// The field of a raw key spelled exactly as a known key, for both parser paths: sets `*f`
/// and \return the key's length (its closing quote follows), or 0 (unknown, or spelled
/// with escapes: then the simdjson path unescapes it and asks FindField). Keys of real
/// events always match here, which spares unescaping every key. This switch spells kFields'
/// names again, by first byte, for speed: the one other list of them.
std::size_t MatchKnownKey(const char* p, std::size_t avail, F* f) {
  if (avail == 0) return 0;
#define AGX_KEY(name, field)        \
  if (KnownKeyAt(p, avail, name)) { \
    *f = field;                     \
    return sizeof(name) - 1;        \
  }
  switch (p[0]) {
    case 'a':
      AGX_KEY("agent_id", F::kAgentId);
      break;
    case 'c':
      AGX_KEY("conversation_id", F::kConversationId);
      AGX_KEY("cost_usd", F::kCostUsd);
      AGX_KEY("cache_read_tokens", F::kCacheReadTokens);
      AGX_KEY("cache_creation_tokens", F::kCacheCreationTokens);
      break;
    case 'd':
      AGX_KEY("duration_ms", F::kDurationMs);
      break;
    case 'e':
      AGX_KEY("evaluator", F::kEvaluator);
      break;
    case 'f':
      AGX_KEY("finish_reason", F::kFinishReason);
      break;
    case 'h':
      AGX_KEY("hallucination_type", F::kHallucinationType);
      break;
    case 'i':
      AGX_KEY("input_tokens", F::kInputTokens);
      break;
    case 'm':
      AGX_KEY("model", F::kModel);
      break;
    case 'o':
      AGX_KEY("outcome", F::kOutcome);
      AGX_KEY("output_tokens", F::kOutputTokens);
      break;
    case 'r':
      AGX_KEY("result", F::kResult);
      break;
    case 's':
      AGX_KEY("span_id", F::kSpanId);
      AGX_KEY("status", F::kStatus);
      AGX_KEY("step", F::kStep);
      AGX_KEY("steps", F::kSteps);
      AGX_KEY("strategy", F::kStrategy);
      AGX_KEY("score", F::kScore);
      break;
    case 't':
      AGX_KEY("type", F::kType);
      AGX_KEY("trace_id", F::kTraceId);
      AGX_KEY("ts", F::kTs);
      AGX_KEY("tool_name", F::kToolName);
      AGX_KEY("tool_calls", F::kToolCalls);
      AGX_KEY("task_type", F::kTaskType);
      break;
    default:
      break;
  }
#undef AGX_KEY
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// JSON number grammar (RFC 8259 §6): tells an out-of-range number from a malformed one.
bool IsJsonNumber(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return json_detail::IsJsonNumberToken(s);
}

/// The content of a string token (raw_json_token(): quotes and trailing spaces included)
/// when it holds no escape: a view of the input, nothing copied. stage 1 has already checked
/// UTF-8 and unescaped control characters over the whole line; escapes are the only thing
/// get_string() would still check or change.
bool PlainString(std::string_view tok, std::string_view* out) {
  std::size_t end = tok.size();
  while (end > 1 && IsJsonSpace(tok[end - 1])) --end;
  if (end < 2 || tok[end - 1] != '"') return false;
  const std::string_view inner = tok.substr(1, end - 2);
  if (std::memchr(inner.data(), '\\', inner.size()) != nullptr) return false;
  *out = inner;
  return true;
}

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
using flat_json::kPow10Int;  // 10^0 .. 10^15

/// A plain non-negative decimal token (`123`, `1124.3`; no sign, exponent or leading zero)
/// of at most 15 significant digits, converted the way simdjson's exact fast path does it
/// (Clinger: an integer below 2^53 divided by an exact power of ten is correctly rounded),
/// so the value is the same. Anything else is left to get_double().
bool PlainNumber(std::string_view tok, double* out) {
  const char* p = tok.data();
  const char* const end = p + tok.size();
  if (p == end || !IsDigit(*p) || (*p == '0' && p + 1 < end && IsDigit(p[1]))) return false;
  std::uint64_t m = 0;
  int digits = 0;
  for (; p < end && IsDigit(*p); ++p, ++digits) m = m * 10 + static_cast<unsigned>(*p - '0');
  int frac = 0;
  if (p < end && *p == '.') {
    ++p;
    for (; p < end && IsDigit(*p); ++p, ++frac) m = m * 10 + static_cast<unsigned>(*p - '0');
    if (frac == 0) return false;
  }
  if (digits + frac > 15) return false;
  for (; p < end; ++p) {
    if (!IsJsonSpace(*p)) return false;
  }
  *out = static_cast<double>(m) / kPow10[frac];
  return true;
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

simdjson::error_code ToSimdjsonError(json_detail::JsonCheck c) {
  using json_detail::JsonCheck;
  switch (c) {
    case JsonCheck::kOk: return simdjson::SUCCESS;
    case JsonCheck::kBadString: return simdjson::STRING_ERROR;
    case JsonCheck::kBadNumber: return simdjson::NUMBER_ERROR;
    case JsonCheck::kBadLiteral: return simdjson::T_ATOM_ERROR;
    case JsonCheck::kTooDeep: return simdjson::DEPTH_ERROR;
    case JsonCheck::kMalformed: break;
  }
  return simdjson::TAPE_ERROR;
}

/// Walks a value completely so that malformed JSON anywhere is reported. `depth` counts the
/// line's object as 1; objects and arrays at `max_depth` or deeper are a DEPTH_ERROR.
simdjson::error_code Validate(od::value& v, int depth, int max_depth) {
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  switch (t) {
    // Containers: their raw text (On-Demand skips to the matching bracket without
    // recursing) is checked by the iterative validator, whatever the depth and the stack.
    case od::json_type::object: {
      if (depth >= max_depth) return simdjson::DEPTH_ERROR;
      od::object o;
      std::string_view raw;
      if (auto err = v.get_object().get(o)) return err;
      if (auto err = o.raw_json().get(raw)) return err;
      return ToSimdjsonError(json_detail::ValidateJsonValue(raw, depth, max_depth));
    }
    case od::json_type::array: {
      if (depth >= max_depth) return simdjson::DEPTH_ERROR;
      od::array a;
      std::string_view raw;
      if (auto err = v.get_array().get(a)) return err;
      if (auto err = a.raw_json().get(raw)) return err;
      return ToSimdjsonError(json_detail::ValidateJsonValue(raw, depth, max_depth));
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

/// `*e = AgentEvent{}`. Every line starts with it, so it is 20 plain 16-byte stores: both
/// the assignment and construct_at compile to `rep movsq`/`rep stosq` here, whose start-up
/// costs more than the rest of a short event's bookkeeping.
void ResetEvent(AgentEvent* e) {
  static_assert(std::is_trivially_copyable_v<AgentEvent>);
#if defined(__SSE2__)
  static_assert(sizeof(AgentEvent) % 16 == 0);
  alignas(16) static constexpr AgentEvent kFresh{};
  const auto* src = reinterpret_cast<const __m128i*>(&kFresh);
  auto* dst = reinterpret_cast<char*>(e);
  for (std::size_t i = 0; i < sizeof(AgentEvent) / 16; ++i) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16 * i), _mm_load_si128(src + i));
  }
#else
  std::construct_at(e);
#endif
}

}  // namespace

struct EventParser::Impl {
  // A known field's state on the current line.
  struct Slot {
    enum State : std::uint8_t { kAbsent, kOk, kBad } state = kAbsent;
    RejectReason bad = RejectReason::kNone;
    bool over_max = false;  // bad: a number over the field's maximum
    std::string_view str;
    double num = 0;
  };

  Impl(std::size_t max, bool fast) : max_line_bytes(max), fast_path(fast) {}

  ParseError Parse(std::string_view line, AgentEvent* out);
  ParseError ParseWithSimdjson(std::string_view line, AgentEvent* out);
  Slot& Touch(F f);
  void ResetSlots();
  void SetString(F f, Slot& s, std::string_view str);
  bool ScanFlat(std::string_view line, AgentEvent* out, bool* non_ascii);
  simdjson::error_code ReadField(F f, od::value& v);
  void CheckNumber(F f, Slot& s);
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
  const bool fast_path;
  int max_depth = kDefaultMaxDepth;  // levels, the line's object included
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

EventParser::Impl::Slot& EventParser::Impl::Touch(F f) {
  Slot& s = slots[static_cast<std::size_t>(f)];
  if (s.state == Slot::kAbsent && touched_count < touched.size()) {
    touched[touched_count++] = static_cast<std::uint8_t>(f);
  }
  s = Slot{};  // duplicate keys: the last one wins
  return s;
}

// Reset only the slots the previous line set (a line sets a handful of ~26).
void EventParser::Impl::ResetSlots() {
  for (std::size_t i = 0; i < touched_count; ++i) slots[touched[i]] = Slot{};
  touched_count = 0;
}

namespace {

bool WantsString(Kind k) {
  return k == Kind::kString || k == Kind::kTraceId || k == Kind::kSpanId || k == Kind::kTimestamp;
}
bool WantsNumber(Kind k) { return k != Kind::kString && k != Kind::kTraceId && k != Kind::kSpanId; }
/// A number read as non-negative and finite: may it stand in a field of this kind?
bool NumberFits(Kind k, double v) {
  return (k != Kind::kCount || v == std::floor(v)) && (k != Kind::kScore || v <= 1);
}

}  // namespace

// A non-negative finite number read into `s`: marks it bad unless it fits the field's
// kind and is at most the field's maximum.
void EventParser::Impl::CheckNumber(F f, Slot& s) {
  if (!NumberFits(Def(f).kind, s.num)) {
    s.state = Slot::kBad;
    s.bad = RejectReason::kInvalidValue;
  } else if (s.num > Def(f).max) {
    s.state = Slot::kBad;
    s.bad = RejectReason::kInvalidValue;
    s.over_max = true;
  }
}

// A string value of a field that takes strings (already unescaped).
void EventParser::Impl::SetString(F f, Slot& s, std::string_view str) {
  const Kind kind = Def(f).kind;
  s.state = Slot::kOk;
  s.str = str;
  if (kind == Kind::kTimestamp) {
    if (!detail::ParseRfc3339(str, &s.num)) {
      s.state = Slot::kBad;
      s.bad = RejectReason::kInvalidValue;
    }
  } else if (kind == Kind::kTraceId || kind == Kind::kSpanId) {
    char* id = kind == Kind::kTraceId ? trace_id : span_id;
    const std::size_t len = kind == Kind::kTraceId ? sizeof(trace_id) : sizeof(span_id);
    if (detail::NormalizeHexId(str, len, id)) {
      s.str = std::string_view(id, len);
    } else {
      s.state = Slot::kBad;
      s.bad = RejectReason::kInvalidValue;
    }
  }
}

// The fast path (flat_json.h explains the contract): a flat object of plain members, read
// in one pass straight into `out`. Known keys are matched in place (no scan for their end);
// trace and span ids are normalized where they stand; numbers are converted while scanned.
// It accepts only valid events: a bad value of a field of the type, a missing required
// field or a value outside its list returns false like any line it cannot read, and
// simdjson then parses the line and describes the problem (with the slots and Finish).
// \return false to hand the line to simdjson, which then decides; `out` is then unspecified.
bool EventParser::Impl::ScanFlat(std::string_view line, AgentEvent* out, bool* non_ascii) {
  using flat_json::FindStringStop;
  using flat_json::IsSpace;
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  const char* p = begin;
  auto skip_space = [&] {
    while (p < end && IsSpace(*p)) ++p;
  };
  // At the opening quote: the end of a string without escapes or control characters.
  auto string_end = [&](const char* q) -> const char* {
    const std::size_t stop = FindStringStop(line, static_cast<std::size_t>(q + 1 - begin), non_ascii);
    return stop < line.size() && begin[stop] == '"' ? begin + stop : nullptr;
  };
  auto literal = [&](std::string_view word) {
    if (static_cast<std::size_t>(end - p) < word.size() ||
        std::memcmp(p, word.data(), word.size()) != 0) {
      return false;
    }
    p += word.size();
    return true;
  };
  // Per field bit: a value was stored in `out` (written), the field counts as present
  // (written and, for free text, not ""), its last value was bad (wrong JSON type, out of
  // range, malformed id or time). Duplicate keys: the last one wins, as in simdjson's path.
  std::uint32_t written = 0;
  std::uint32_t present = 0;
  std::uint32_t bad = 0;
  std::string_view type_name;
  auto good = [&](F f, bool counts) {
    const std::uint32_t bit = Bit(f);
    written |= bit;
    bad &= ~bit;
    present = counts ? present | bit : present & ~bit;
  };
  auto set_bad = [&](F f) { bad |= Bit(f); };

  skip_space();
  if (p == end || *p != '{') return false;
  ++p;
  skip_space();
  if (p < end && *p == '}') return false;  // no type: simdjson reports it
  for (;;) {
    if (p == end || *p != '"') return false;
    F f = F::kCount;
    if (const std::size_t n = MatchKnownKey(p + 1, static_cast<std::size_t>(end - p - 1), &f)) {
      p += n + 2;
    } else {
      const char* q = string_end(p);
      if (q == nullptr) return false;
      // A known key spelled some other way can only be escaped, and that was refused.
      p = q + 1;
    }
    // `"key":value` without spaces is the rule; spaces take the slower way.
    if (p < end && *p == ':') {
      ++p;
    } else {
      skip_space();
      if (p == end || *p != ':') return false;
      ++p;
    }
    skip_space();
    if (p == end) return false;

    const char c = *p;
    const bool known = f != F::kCount;
    const FieldDef& d = known ? Def(f) : kFields[0];
    const Kind kind = known ? d.kind : Kind::kString;
    if (c == '"') {
      const std::size_t id_len = kind == Kind::kTraceId ? sizeof(trace_id)
                                 : kind == Kind::kSpanId ? sizeof(span_id)
                                                         : 0;
      char* id = kind == Kind::kTraceId ? trace_id : span_id;
      if (known && id_len > 0 && static_cast<std::size_t>(end - p) > id_len + 1 &&
          p[id_len + 1] == '"' && detail::NormalizeHexId({p + 1, id_len}, id_len, id)) {
        out->*d.str = std::string_view(id, id_len);
        good(f, true);
        p += id_len + 2;
      } else {
        const char* q = string_end(p);
        if (q == nullptr) return false;
        const std::string_view value(p + 1, static_cast<std::size_t>(q - p - 1));
        if (!known) {
          // ignored
        } else if (kind == Kind::kString) {
          if (d.str != nullptr) {
            out->*d.str = value;
          } else {
            type_name = value;  // F::kType, the only string field without a place in out
          }
          good(f, !value.empty());
        } else if (kind == Kind::kTimestamp) {
          if (detail::ParseRfc3339(value, &(out->*d.num))) {
            good(f, true);
          } else {
            set_bad(f);
          }
        } else {
          set_bad(f);  // a malformed id, or a string where a number belongs
        }
        p = q + 1;
      }
    } else if (IsDigit(c)) {
      // A plain decimal: no sign, exponent or leading zero, at most 15 digits in all, so
      // that the conversion below is exact (see PlainNumber); else simdjson decides.
      std::uint64_t m = 0;
      int digits = 0;
      int frac = 0;
      if (c == '0') {
        ++p;
        digits = 1;
      } else {
        p = flat_json::ScanDigits(p, end, &m, &digits);
      }
      if (p < end && *p == '.') {
        ++p;
        p = flat_json::ScanDigits(p, end, &m, &frac);
        if (frac == 0) return false;
      }
      if (p < end && (IsDigit(*p) || *p == 'e' || *p == 'E')) return false;
      if (digits + frac > 15) return false;
      if (known) {
        if (d.num != nullptr) {
          // Whole iff the fraction digits are all 0: with at most 15 significant digits a
          // fraction never rounds to a whole double, so this is v == floor(v), without the
          // floor (a libm call on baseline x86-64). Asked only of counts: it divides.
          const double v = frac == 0 ? static_cast<double>(m) : static_cast<double>(m) / kPow10[frac];
          bool fits = true;
          if (kind == Kind::kCount) {
            fits = frac == 0 || m % kPow10Int[frac] == 0;
          } else if (kind == Kind::kScore) {
            fits = v <= 1;
          }
          fits = fits && v <= d.max;  // the same maxima as NumberFits, on both paths
          if (!fits) {
            set_bad(f);
          } else {
            out->*d.num = v;
            good(f, true);
          }
        } else {
          set_bad(f);  // a number where a string belongs
        }
      }
    } else if ((c == 't' && literal("true")) || (c == 'f' && literal("false")) ||
               (c == 'n' && literal("null"))) {
      if (known) set_bad(f);
    } else {
      return false;  // a nested value, a sign, or not JSON
    }
    skip_space();
    if (p == end) return false;
    if (*p == ',') {
      ++p;
      skip_space();
      continue;
    }
    if (*p != '}') return false;
    ++p;
    skip_space();
    if (p != end) return false;
    break;
  }

  // The type's rules. Anything wrong: simdjson's path finds and describes it.
  if ((present & Bit(F::kType)) == 0 || !ParseEventType(type_name, &out->type)) return false;
  const auto type = static_cast<std::size_t>(out->type);
  const TypeMasks& m = kTypeMasks[type];
  if ((bad & m.fields) != 0 || (m.required & ~present) != 0) return false;
  for (std::uint32_t e = written & m.enumerated; e != 0; e &= e - 1) {
    const auto i = static_cast<std::size_t>(std::countr_zero(e));
    std::string_view& v = out->*kFields[i].str;
    bool found = false;
    for (std::string_view a : kAllowed[type][i]) {
      if (EqualText(a, v)) {
        v = a;  // static storage
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  // Fields of other types are ignored, whatever their content: put back their defaults.
  for (std::uint32_t e = written & ~m.fields & ~Bit(F::kType); e != 0; e &= e - 1) {
    const FieldDef& d = kFields[static_cast<std::size_t>(std::countr_zero(e))];
    if (d.str != nullptr) out->*d.str = {};
    if (d.num != nullptr) out->*d.num = -1;
  }
  if (out->type == EventType::kLlmCall && out->status.empty()) out->status = "success";
  return true;
}

simdjson::error_code EventParser::Impl::ReadField(F f, od::value& v) {
  Slot& s = Touch(f);
  const Kind kind = Def(f).kind;
  auto bad = [&](RejectReason r) {
    s.state = Slot::kBad;
    s.bad = r;
  };
  const bool want_string = WantsString(kind);
  const bool want_number = WantsNumber(kind);
  // Fast paths on the raw token, which On-Demand then skips unread: plain strings become
  // views of the line, plain decimals are converted here.
  const std::string_view tok = v.raw_json_token();
  std::string_view plain;
  const bool is_plain_string = want_string && !tok.empty() && tok[0] == '"' && PlainString(tok, &plain);
  if (want_number && !tok.empty() && IsDigit(tok[0]) && PlainNumber(tok, &s.num)) {
    s.state = Slot::kOk;
    CheckNumber(f, s);
    return simdjson::SUCCESS;
  }
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  if (t == od::json_type::string && want_string) {
    std::string_view str = plain;
    if (!is_plain_string) {
      if (auto err = v.get_string().get(str)) return err;
    }
    SetString(f, s, str);
    return simdjson::SUCCESS;
  }
  if (t == od::json_type::number && want_number) {
    const Num n = ReadNumber(v, &s.num);
    if (n == Num::kMalformed) return simdjson::NUMBER_ERROR;
    s.state = Slot::kOk;
    if (n != Num::kOk || s.num < 0) {
      bad(RejectReason::kInvalidValue);
    } else {
      CheckNumber(f, s);
    }
    return simdjson::SUCCESS;
  }
  bad(RejectReason::kWrongType);
  return Validate(v, 1, max_depth);
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
    } else if (s.over_max) {
      error = Fail(s.bad, {"field \"", Def(f).name, "\" must be at most ", Def(f).max_text,
                           " per event"});
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
        ResetEvent(out);
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
  ResetEvent(out);
  if (line.size() > max_line_bytes) {
    char n[64];
    const int len = std::snprintf(n, sizeof n, "line of %zu bytes is over the limit of %zu",
                                  line.size(), max_line_bytes);
    return Fail(RejectReason::kLineTooLong, {std::string_view(n, static_cast<std::size_t>(len))});
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // The fast path: a flat object of plain members that is a valid event, scanned in one
  // pass (flat_json.h). Anything else, and every line that is not valid UTF-8, goes to
  // simdjson below, which starts over.
  // Only strings may hold bytes >= 0x80 in a line the scan accepts; the scan notes them,
  // and only then is the line checked for UTF-8 (a cheap test for the usual ASCII line).
  if (fast_path) {
    bool non_ascii = false;
    if (ScanFlat(line, out, &non_ascii) &&
        (!non_ascii || simdjson::validate_utf8(line.data(), line.size()))) {
      return {};
    }
    ResetEvent(out);
  }
  return ParseWithSimdjson(line, out);
}

ParseError EventParser::Impl::ParseWithSimdjson(std::string_view line, AgentEvent* out) {
  ResetSlots();
  if (buf_cap < line.size() + simdjson::SIMDJSON_PADDING) {
    buf_cap = std::max(line.size() + simdjson::SIMDJSON_PADDING, 2 * buf_cap);
    buf = std::make_unique<char[]>(buf_cap);
  }
  std::memcpy(buf.get(), line.data(), line.size());
  std::memset(buf.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  auto invalid = [&](simdjson::error_code err) {
    if (err == simdjson::DEPTH_ERROR) {
      char n[16];
      const int len = std::snprintf(n, sizeof n, "%d", max_depth);
      return Fail(RejectReason::kInvalidJson,
                  {"malformed JSON: nested deeper than ",
                   std::string_view(n, static_cast<std::size_t>(len)), " levels"});
    }
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
    if (auto err = std::move(fr).get(field)) return invalid(err);
    // raw() points into the padded buffer: at least SIMDJSON_PADDING bytes are readable
    // past the line, more than the longest key and its quote.
    F f = F::kCount;
    if (MatchKnownKey(field.key().raw(), simdjson::SIMDJSON_PADDING, &f) == 0) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return invalid(err);
      f = FindField(key);
    }
    const auto err = f == F::kCount ? Validate(field.value(), 1, max_depth) : ReadField(f, field.value());
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

EventParser::EventParser(std::size_t max_line_bytes, bool fast_path)
    : impl_(std::make_unique<Impl>(max_line_bytes, fast_path)) {}

EventParser::~EventParser() = default;

void EventParser::set_max_depth(int levels) {
  impl_->max_depth = std::clamp(levels, 1, kMaxDepthLimit);
}

ParseError EventParser::Parse(std::string_view line, AgentEvent* out) {
  return impl_->Parse(line, out);
}

}  // namespace agx
