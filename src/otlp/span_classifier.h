#pragma once
// SpanClassifier: decides what an OTLP span becomes, by span rules (config/span_rule.h): the
// user's otlp.span_rules first, then the built-in table (builtin_span_rules.yml); the first
// rule whose conditions all hold wins, and no match means the span is not GenAI. One
// mechanism for both: the built-in table is parsed with the same code as the config.
//
// Rules are compiled once. Every attribute key a rule names gets a slot; Index() reads a
// span's attributes into the slots in one pass, so a condition is an array read. Conditions
// are checked cheapest first: attributes, then flags, then the span-name regex. Regexes see
// names up to kMaxRegexInput bytes only (longer names do not match a `span_name` rule), so a
// hostile span name cannot make matching slow. Scope conditions are evaluated once per
// scope (MatchScope), not per span.
//
// Thread-safe after construction: every method is const.
#include <array>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "otlp/otlp_model.h"

namespace agx::otlp {

inline constexpr std::size_t kMaxRegexInput = 256;

/// A condition on one attribute key: a slot, or (for "prefix*") a prefix bit.
struct KeyRef {
  int slot = -1;    ///< index into SpanFacts::slots, or -1
  int prefix = -1;  ///< bit of SpanFacts::prefixes, or -1
};

struct CompiledSpanRule {
  SpanRuleConfig config;  ///< name, origin, event, as written
  bool builtin = false;
  std::optional<std::regex> span_name;
  std::optional<std::regex> scope;  ///< matched per scope (see MatchScope)
  struct Values {
    int slot;
    std::vector<std::string> values;
  };
  std::vector<Values> values;
  std::vector<KeyRef> present, any_present, absent;
  /// Slots of each field's keys, in order (the rule's keys or the field's defaults).
  std::array<std::vector<int>, kSpanFieldCount> fields;
  /// "config:<name>" or "builtin:<name>", for explain-otlp and docs.
  std::string label;
};

/// A span's attributes, indexed by slot (last occurrence wins, as in Find).
struct SpanFacts {
  std::vector<const AnyValue*> slots;
  std::uint64_t prefixes = 0;  ///< bit i: an attribute with prefix i is present
};

/// Which rules' scope conditions hold for one instrumentation scope.
struct ScopeMatch {
  std::vector<bool> holds;  ///< by rule index; rules without a scope condition: true
};

class SpanClassifier {
 public:
  /// Compiles `user_rules` then the built-in table. Throws std::invalid_argument when a rule
  /// does not compile (the config loader has checked the user's; a failing built-in table
  /// is a bug caught by the tests).
  SpanClassifier(const std::vector<SpanRuleConfig>& user_rules,
                 const std::vector<std::string>& agent_id_attributes);

  ScopeMatch MatchScope(std::string_view scope) const;
  void Index(const Attributes& attrs, SpanFacts* out) const;

  /// The first rule that holds, or nullptr. `root`: the span has no parent;
  /// `counted_below`: the kinds of events counted from spans below it, bit (1 << kind).
  const CompiledSpanRule* Classify(const SpanFacts& facts, std::string_view name,
                                   const ScopeMatch& scope, bool root,
                                   std::uint8_t counted_below) const;

  /// The first of `rule`'s keys for `field` whose value is present; nullptr when none.
  /// `key` (optional) receives that key. An empty string counts as absent, unless
  /// `empty_string_present` (numbers: "" is then a value of the wrong type, not absent).
  const AnyValue* Field(const SpanFacts& facts, const CompiledSpanRule& rule, SpanField field,
                        std::string_view* key = nullptr, bool empty_string_present = false) const;

  const std::vector<CompiledSpanRule>& rules() const { return rules_; }
  std::string_view key(int slot) const { return keys_[static_cast<std::size_t>(slot)]; }

  /// The default attribute keys of each field (docs/otlp.md, "Span rules").
  static std::vector<std::string> DefaultKeys(SpanField field,
                                              const std::vector<std::string>& agent_id_attributes);

 private:
  int Slot(const std::string& key);
  KeyRef Ref(const std::string& key);
  void Compile(const SpanRuleConfig& config, bool builtin,
               const std::vector<std::string>& agent_id_attributes);
  bool Has(const SpanFacts& facts, const KeyRef& ref) const;

  std::vector<CompiledSpanRule> rules_;
  std::vector<std::string> keys_;  // by slot
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, int, Hash, std::equal_to<>> slot_of_;
  std::vector<std::string> prefixes_;  // by bit, without the '*'
};

/// The built-in span rules (builtin_span_rules.yml), parsed. Throws std::logic_error if the
/// embedded table does not parse (a build defect).
const std::vector<SpanRuleConfig>& BuiltinSpanRules();

}  // namespace agx::otlp
