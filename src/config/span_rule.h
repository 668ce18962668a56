#pragma once
// SpanRuleConfig: one span rule, as written in `otlp.span_rules` or in the built-in table
// (src/otlp/builtin_span_rules.yml). A rule says which OTLP spans it matches and which native
// event they become, with the attributes each field is read from. docs/otlp.md, "Span rules".
// Plain value types; the otlp module compiles them (span_classifier.h).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace agx {

/// What a matched span becomes.
enum class SpanEventKind : std::uint8_t { kLlmCall, kToolCall, kRun, kIgnore, kCount };
std::string_view SpanEventKindName(SpanEventKind k);  ///< "llm_call", …, "ignore"

/// The native fields a rule can read from attributes; each takes a list of attribute keys,
/// the first present wins.
enum class SpanField : std::uint8_t {
  kModel,
  kInputTokens,
  kOutputTokens,
  kCacheReadTokens,
  kCacheCreationTokens,
  kCostUsd,
  kFinishReason,
  kToolName,
  kAgentId,
  kCount,
};
inline constexpr std::size_t kSpanFieldCount = static_cast<std::size_t>(SpanField::kCount);
std::string_view SpanFieldName(SpanField f);  ///< "model", "input_tokens", …

/// An attribute that must hold one of `values` (compared as text: strings as they are,
/// integers in decimal, booleans as true/false).
struct AttributeValueMatch {
  std::string key;
  std::vector<std::string> values;
};

struct SpanRuleConfig {
  std::string name;    ///< unique; shown by explain-otlp
  std::string origin;  ///< where it was defined, "file:line"

  // ---- match: every condition given must hold
  std::string span_name;  ///< ECMAScript regex matching the whole span name; empty: any
  std::string scope;      ///< same, on the instrumentation scope name; empty: any
  std::vector<AttributeValueMatch> attributes;
  /// Attribute keys; a key ending in '*' is a prefix ("gen_ai.*": any gen_ai. attribute).
  std::vector<std::string> present;      ///< all present (non-empty values)
  std::vector<std::string> any_present;  ///< at least one present
  std::vector<std::string> absent;       ///< none present
  std::optional<bool> root;              ///< the span has no parent (or has one)
  /// An event of this request or of an earlier one came from a span below this one
  /// (spans end, and are exported, child first): true/false, or a list of event kinds
  /// (`[run]`: a run was counted below), read into counted_descendant_kinds.
  std::optional<bool> counted_descendants;
  /// Which kinds count for `counted_descendants`: bit (1 << SpanEventKind) of each.
  std::uint8_t counted_descendant_kinds = 0b111;

  // ---- what it becomes
  SpanEventKind event = SpanEventKind::kIgnore;
  /// Attribute keys per field; an empty list means the field's default (docs/otlp.md).
  std::array<std::vector<std::string>, kSpanFieldCount> fields;
  /// Whether the input tokens include the cached ones (the GenAI conventions: yes); when
  /// they do, cache read and creation tokens are subtracted to get uncached input.
  bool input_includes_cache = true;
  /// LLM spans of rules with the same twin group, from two different instrumentation scopes
  /// of one resource, with the same model, tokens and status, ending within seconds of each
  /// other, are one call seen by two instrumentations (a wrapper and an SDK's own spans that
  /// are not nested, e.g. in two traces): the second is a duplicate. Empty: none.
  std::string twin_group;
};

/// Parses a YAML list of span rules (the built-in table). `name` is used in messages and in
/// each rule's origin. Errors are "name:line:column: message", one per line.
Result<std::vector<SpanRuleConfig>> ParseSpanRules(const std::string& yaml_text,
                                                   const std::string& name);

}  // namespace agx
