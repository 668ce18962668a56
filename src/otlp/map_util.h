#pragma once
// Helpers shared by the OTLP mappers (mapper.cc: logs and metrics; span_mapper.cc: spans):
// reading attributes as native fields, rejecting and dropping items, starting native lines.
// Internal to the otlp module. Pure functions over their arguments; thread-safe.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "config/config.h"
#include "ingest/reject_reason.h"
#include "otlp/mapper.h"
#include "ingest/native_line.h"
#include "otlp/otlp_model.h"

namespace agx::otlp::detail {

/// A problem with an item: the reject reason and what to say about which attribute.
struct Problem {
  RejectReason reason = RejectReason::kNone;
  std::string_view field;
  std::string_view text;
  explicit operator bool() const { return reason != RejectReason::kNone; }
};

Problem Missing(std::string_view field);
Problem ItemProblem(ItemError e);

/// What a rejection message names, e.g. span 'chat gpt-4' (trace 4bf9…).
struct ItemRef {
  std::string_view kind;
  std::string_view name;
  std::string_view trace;
};

/// Counts a rejected item; the first one's message goes to out->first_error.
void Reject(MappedBatch* out, const ItemRef& item, const Problem& p);
/// The message Reject would write for `item`, e.g. for explain-otlp.
std::string RejectMessage(const ItemRef& item, const Problem& p);
void Drop(MappedBatch* out, DropReason r, std::size_t n = 1);
/// Keeps the line written since `start` if it is valid UTF-8 (the native parser would reject
/// it otherwise; protobuf strings are not checked by the decoder), else removes it and
/// rejects the item. \return whether the line was kept.
bool FinishLine(MappedBatch* out, std::size_t start, const ItemRef& item);

/// The value of `key`, or nullptr when absent or empty (an AnyValue with nothing set).
const AnyValue* Get(const Attributes& attrs, std::string_view key);
/// Whether `v` is a value at all: set, and not an empty string.
bool Present(const AnyValue* v);

/// The first of `keys` holding a non-empty string; empty when none. Another kind: wrong_type.
Problem ReadString(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                   std::string_view* out);
/// `v` as a string (nullptr or empty: `*out` empty); another kind: wrong_type naming `key`.
Problem ReadStringValue(const AnyValue* v, std::string_view key, std::string_view* out);

/// Removes a context-size suffix such as "[1m]": "claude-opus-4-6[1m]" -> "claude-opus-4-6".
std::string_view StripContextSuffix(std::string_view model);
/// The required model from the first of `keys`, suffix stripped.
Problem ReadModel(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                  std::string_view* out);

enum class Amount : std::uint8_t {
  kCount,  ///< whole number >= 0, at most 2^53 (tokens)
  kValue,  ///< finite number >= 0 (duration, cost)
};

/// Reads an int, a double or a decimal string ("3", "0.144065") as a number >= 0.
Problem ReadNumber(const AnyValue& v, std::string_view field, Amount amount, double* out);
/// The first of `keys` present, as a number; `*out` stays -1 when none is present.
Problem ReadOptionalNumber(const Attributes& attrs, std::initializer_list<std::string_view> keys,
                           Amount amount, double* out);

/// The agent id: the first of `keys` holding a non-empty string in `item`, then in
/// `resource`; `fallback` when none.
std::string_view AgentIdFrom(const std::vector<std::string>& keys, const Attributes& item,
                             const Attributes& resource, std::string_view fallback);
std::string_view AgentId(const OtlpConfig& config, const Attributes& item,
                         const Attributes& resource);

/// `v` cut before it is copied into a line as a label value: its longest prefix on a UTF-8
/// boundary of at most `max_bytes` + 4 bytes (`v` is valid UTF-8: the decoders check it).
/// The registry cuts label values to `max_bytes` (registry.label_value_max_bytes) when it
/// stores them; the 4 bytes more keep a value that was too long too long (a code point has
/// at most 4 bytes), so the registry still cuts it to the same prefix and counts it in
/// agent_exporter_label_values_truncated_total, while a line never carries more of it.
std::string_view CutLabel(std::string_view v, std::size_t max_bytes);

/// Whether the lines of `out` and its span memory updates (logged with them) have grown past
/// `limits.max_mapped_bytes`; sets out->too_large then (Map stops: the request is refused).
bool Full(const MapLimits& limits, MappedBatch* out);

/// Starts a line with the common fields.
NativeLine Begin(MappedBatch* out, std::string_view type, std::string_view agent_id,
                 std::uint64_t ts_ns, const TraceId& trace, const SpanId& span);

/// The token fields of an llm_call; -1 = absent.
struct Tokens {
  double input = -1, output = -1, cache_read = -1, cache_creation = -1, cost = -1;
  bool any() const {
    return input >= 0 || output >= 0 || cache_read >= 0 || cache_creation >= 0 || cost >= 0;
  }
  void Write(NativeLine* line) const;
};

}  // namespace agx::otlp::detail
