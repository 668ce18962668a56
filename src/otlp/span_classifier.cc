#include "otlp/span_classifier.h"

#include <charconv>
#include <stdexcept>

namespace agx::otlp {
namespace {

constexpr int kMaxPrefixes = 64;  // SpanFacts::prefixes is a 64-bit mask

bool ValueIs(const AnyValue& v, const std::vector<std::string>& values) {
  std::string_view text;
  char buf[32];
  switch (v.kind) {
    case ValueKind::kString:
      text = v.str;
      break;
    case ValueKind::kBool:
      text = v.b ? "true" : "false";
      break;
    case ValueKind::kInt: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.i);
      text = std::string_view(buf, static_cast<std::size_t>(end - buf));
      break;
    }
    default:
      return false;
  }
  for (const std::string& want : values) {
    if (text == want) return true;
  }
  return false;
}

bool IsPresent(const AnyValue* v) {
  return v != nullptr && v->kind != ValueKind::kEmpty &&
         (v->kind != ValueKind::kString || !v->str.empty());
}

bool RegexHolds(const std::regex& re, std::string_view s) {
  if (s.size() > kMaxRegexInput) return false;
  return std::regex_match(s.begin(), s.end(), re);
}

}  // namespace

std::vector<std::string> SpanClassifier::DefaultKeys(
    SpanField field, const std::vector<std::string>& agent_id_attributes) {
  switch (field) {
    case SpanField::kModel:
      return {"gen_ai.request.model", "gen_ai.response.model"};
    case SpanField::kInputTokens:
      return {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"};
    case SpanField::kOutputTokens:
      return {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"};
    case SpanField::kCacheReadTokens:
      return {"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
              "gen_ai.usage.cache_read_tokens"};
    case SpanField::kCacheCreationTokens:
      return {"gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
              "gen_ai.usage.cache_creation_input_tokens", "gen_ai.usage.cache_creation_tokens"};
    case SpanField::kCostUsd:
      return {};
    case SpanField::kFinishReason:
      return {"gen_ai.response.finish_reasons", "gen_ai.response.finish_reason"};
    case SpanField::kToolName:
      return {"gen_ai.tool.name"};
    case SpanField::kAgentId:
      return agent_id_attributes;
    case SpanField::kCount:
      break;
  }
  return {};
}

SpanClassifier::SpanClassifier(const std::vector<SpanRuleConfig>& user_rules,
                               const std::vector<std::string>& agent_id_attributes) {
  const auto& builtin = BuiltinSpanRules();
  rules_.reserve(user_rules.size() + builtin.size());
  for (const auto& r : user_rules) Compile(r, false, agent_id_attributes);
  for (const auto& r : builtin) Compile(r, true, agent_id_attributes);
}

int SpanClassifier::Slot(const std::string& key) {
  auto it = slot_of_.find(key);
  if (it != slot_of_.end()) return it->second;
  const int slot = static_cast<int>(keys_.size());
  keys_.push_back(key);
  slot_of_.emplace(key, slot);
  return slot;
}

KeyRef SpanClassifier::Ref(const std::string& key) {
  if (key.empty() || key.back() != '*') return {Slot(key), -1};
  const std::string prefix = key.substr(0, key.size() - 1);
  for (std::size_t i = 0; i < prefixes_.size(); ++i) {
    if (prefixes_[i] == prefix) return {-1, static_cast<int>(i)};
  }
  if (prefixes_.size() >= kMaxPrefixes) {
    throw std::invalid_argument("more than 64 different attribute prefixes in span rules");
  }
  prefixes_.push_back(prefix);
  return {-1, static_cast<int>(prefixes_.size() - 1)};
}

void SpanClassifier::Compile(const SpanRuleConfig& config, bool builtin,
                             const std::vector<std::string>& agent_id_attributes) {
  CompiledSpanRule r;
  r.config = config;
  r.builtin = builtin;
  r.label = (builtin ? "builtin:" : "config:") + config.name;
  try {
    if (!config.span_name.empty()) {
      r.span_name.emplace(config.span_name, std::regex::ECMAScript | std::regex::optimize);
    }
    if (!config.scope.empty()) {
      r.scope.emplace(config.scope, std::regex::ECMAScript | std::regex::optimize);
    }
  } catch (const std::regex_error& e) {
    throw std::invalid_argument(config.origin + ": span rule " + config.name +
                                ": invalid regex: " + e.what());
  }
  for (const auto& v : config.attributes) r.values.push_back({Slot(v.key), v.values});
  for (const auto& k : config.present) r.present.push_back(Ref(k));
  for (const auto& k : config.any_present) r.any_present.push_back(Ref(k));
  for (const auto& k : config.absent) r.absent.push_back(Ref(k));
  for (std::size_t f = 0; f < kSpanFieldCount; ++f) {
    const auto field = static_cast<SpanField>(f);
    const std::vector<std::string>& keys =
        config.fields[f].empty() ? DefaultKeys(field, agent_id_attributes) : config.fields[f];
    for (const auto& k : keys) r.fields[f].push_back(Slot(k));
  }
  rules_.push_back(std::move(r));
}

ScopeMatch SpanClassifier::MatchScope(std::string_view scope) const {
  ScopeMatch m;
  m.holds.resize(rules_.size(), true);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    // regex_match only reads the compiled regex: safe from many threads at once.
    if (rules_[i].scope) m.holds[i] = RegexHolds(*rules_[i].scope, scope);
  }
  return m;
}

void SpanClassifier::Index(const Attributes& attrs, SpanFacts* out) const {
  out->slots.assign(keys_.size(), nullptr);
  out->prefixes = 0;
  for (const Attribute& a : attrs) {
    auto it = slot_of_.find(a.key);
    if (it != slot_of_.end()) out->slots[static_cast<std::size_t>(it->second)] = &a.value;
    if (!IsPresent(&a.value)) continue;
    for (std::size_t i = 0; i < prefixes_.size(); ++i) {
      if (a.key.starts_with(prefixes_[i])) out->prefixes |= std::uint64_t{1} << i;
    }
  }
  // A later empty duplicate hides an earlier value, as Find's "last wins" does.
}

bool SpanClassifier::Has(const SpanFacts& facts, const KeyRef& ref) const {
  if (ref.slot >= 0) return IsPresent(facts.slots[static_cast<std::size_t>(ref.slot)]);
  return (facts.prefixes >> ref.prefix) & 1u;
}

const CompiledSpanRule* SpanClassifier::Classify(const SpanFacts& facts, std::string_view name,
                                                 const ScopeMatch& scope, bool root,
                                                 std::uint8_t counted_below) const {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const CompiledSpanRule& r = rules_[i];
    if (!scope.holds[i]) continue;
    if (r.config.root && *r.config.root != root) continue;
    if (r.config.counted_descendants &&
        *r.config.counted_descendants != ((counted_below & r.config.counted_descendant_kinds) != 0)) {
      continue;
    }
    bool ok = true;
    for (const auto& v : r.values) {
      const AnyValue* a = facts.slots[static_cast<std::size_t>(v.slot)];
      if (a == nullptr || !ValueIs(*a, v.values)) {
        ok = false;
        break;
      }
    }
    for (std::size_t k = 0; ok && k < r.present.size(); ++k) ok = Has(facts, r.present[k]);
    for (std::size_t k = 0; ok && k < r.absent.size(); ++k) ok = !Has(facts, r.absent[k]);
    if (ok && !r.any_present.empty()) {
      ok = false;
      for (const KeyRef& k : r.any_present) {
        if (Has(facts, k)) {
          ok = true;
          break;
        }
      }
    }
    if (ok && r.span_name) ok = RegexHolds(*r.span_name, name);
    if (ok) return &r;
  }
  return nullptr;
}

const AnyValue* SpanClassifier::Field(const SpanFacts& facts, const CompiledSpanRule& rule,
                                      SpanField field, std::string_view* key,
                                      bool empty_string_present) const {
  for (int slot : rule.fields[static_cast<std::size_t>(field)]) {
    const AnyValue* v = facts.slots[static_cast<std::size_t>(slot)];
    if (IsPresent(v) || (empty_string_present && v != nullptr && v->kind == ValueKind::kString)) {
      if (key != nullptr) *key = keys_[static_cast<std::size_t>(slot)];
      return v;
    }
  }
  return nullptr;
}

}  // namespace agx::otlp
