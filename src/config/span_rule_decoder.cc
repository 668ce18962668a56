// The schema of a span rule (otlp.span_rules and the built-in table), docs/otlp.md.
#include <yaml-cpp/yaml.h>

#include <map>
#include <regex>
#include <vector>

#include "config/config_decoder.h"
#include "config/scalar_syntax.h"
#include "config/span_rule.h"
#include "config/yaml_document.h"

namespace agx {

std::string_view SpanEventKindName(SpanEventKind k) {
  static constexpr std::string_view kNames[] = {"llm_call", "tool_call", "run", "ignore"};
  const auto i = static_cast<std::size_t>(k);
  return i < std::size(kNames) ? kNames[i] : std::string_view("unknown");
}

std::string_view SpanFieldName(SpanField f) {
  static constexpr std::string_view kNames[kSpanFieldCount] = {
      "model",         "input_tokens",  "output_tokens", "cache_read_tokens", "cache_creation_tokens",
      "cost_usd",      "finish_reason", "tool_name",     "agent_id",
  };
  const auto i = static_cast<std::size_t>(f);
  return i < kSpanFieldCount ? kNames[i] : std::string_view("unknown");
}

namespace config_detail {
namespace {

// Longer patterns are refused: a rule names a few span names, not a dictionary.
constexpr std::size_t kMaxRegexBytes = 1024;

bool ReadBool(const Value& v, Diagnostics* d, bool* out) {
  if (v.node.IsScalar() && v.node.Tag() == "?") {
    const std::string& s = v.node.Scalar();
    if (s == "true" || s == "false") {
      *out = s == "true";
      return true;
    }
  }
  d->Add(v.mark(), v.Message("expected true or false"));
  return false;
}

// Whether a quantified group holds a quantifier itself ("(a+)+", "(.*)*", "(x{2,})+"): the
// patterns that make a backtracking matcher (std::regex) take exponential time on a hostile
// span name. Escapes and character classes are skipped.
bool NestedQuantifier(std::string_view re) {
  std::vector<bool> quantified;  // per open group: holds a quantifier
  bool in_class = false;
  for (std::size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      in_class = c != ']';
      continue;
    }
    if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      quantified.push_back(false);
    } else if (c == '*' || c == '+' || c == '{') {
      if (!quantified.empty()) quantified.back() = true;
    } else if (c == ')' && !quantified.empty()) {
      const bool inner = quantified.back();
      quantified.pop_back();
      const char next = i + 1 < re.size() ? re[i + 1] : '\0';
      if (inner && (next == '*' || next == '+' || next == '{')) return true;
      if (inner && !quantified.empty()) quantified.back() = true;
    }
  }
  return false;
}

// A regex the classifier can compile (the same flags: ECMAScript).
void ReadRegex(const Value& v, Diagnostics* d, std::string* out) {
  std::string s;
  if (!ReadString(v, d, &s)) return;
  if (s.empty()) {
    d->Add(v.mark(), v.Message("must not be empty (leave the key out to match any)"));
    return;
  }
  if (s.size() > kMaxRegexBytes) {
    d->Add(v.mark(), v.Message("regex longer than 1024 bytes"));
    return;
  }
  try {
    std::regex re(s, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    d->Add(v.mark(), v.Message("invalid regex " + Quoted(s) + ": " + e.what()));
    return;
  }
  if (NestedQuantifier(s)) {
    d->Add(v.mark(), v.Message("regex " + Quoted(s) +
                               " repeats a group that repeats itself (e.g. \"(a+)+\"): its "
                               "matching time could explode on a hostile span name; write it "
                               "without the nested repetition"));
    return;
  }
  *out = std::move(s);
}

// An attribute key, or a prefix pattern "gen_ai.*" when `allow_prefix`.
bool CheckKey(const Value& v, const std::string& key, bool allow_prefix, Diagnostics* d) {
  if (key.empty()) {
    d->Add(v.mark(), v.Message("attribute key must not be empty"));
    return false;
  }
  const std::size_t star = key.find('*');
  if (star != std::string::npos && (!allow_prefix || star + 1 != key.size())) {
    d->Add(v.mark(), v.Message(allow_prefix ? "'*' may only end a key (a prefix: \"gen_ai.*\"), got " +
                                                  Quoted(key)
                                            : "attribute key must not contain '*', got " + Quoted(key)));
    return false;
  }
  return true;
}

// A list of attribute keys; a single string counts as a list of one.
void ReadKeys(const Value& v, bool allow_prefix, Diagnostics* d, std::vector<std::string>* out) {
  std::vector<std::string> keys;
  bool ok = true;
  auto one = [&](const Value& item) {
    std::string s;
    if (!ReadString(item, d, &s) || !CheckKey(item, s, allow_prefix, d)) {
      ok = false;
      return;
    }
    keys.push_back(std::move(s));
  };
  if (v.node.IsScalar()) {
    one(v);
  } else if (!ForEachItem(v, d, one)) {
    return;
  }
  if (!ok) return;
  if (keys.empty()) {
    d->Add(v.mark(), v.Message("needs at least one attribute key"));
    return;
  }
  *out = std::move(keys);
}

void DecodeAttributeValues(const Value& v, Diagnostics* d, std::vector<AttributeValueMatch>* out) {
  ForEachEntry(v, d, [&](const std::string& key, const YAML::Mark& key_mark, const Value& value) {
    if (!CheckKey(value, key, false, d)) return;
    AttributeValueMatch m{key, {}};
    bool ok = true;
    auto one = [&](const Value& item) {
      std::string s;
      if (!item.node.IsScalar()) {
        d->Add(item.mark(), item.Message("expected a value (a string, number or boolean)"));
        ok = false;
      } else if (ReadString(item, d, &s)) {
        m.values.push_back(std::move(s));
      }
    };
    if (value.node.IsSequence()) {
      ForEachItem(value, d, one);
      if (m.values.empty() && ok) {
        d->Add(value.mark(), value.Message("needs at least one value"));
        ok = false;
      }
    } else {
      one(value);
    }
    if (ok) out->push_back(std::move(m));
  });
}

void DecodeMatch(const Value& v, SpanRuleConfig* r, Diagnostics* d) {
  const Field fields[] = {
      {"span_name", [&](const Value& x) { ReadRegex(x, d, &r->span_name); }},
      {"scope", [&](const Value& x) { ReadRegex(x, d, &r->scope); }},
      {"attributes", [&](const Value& x) { DecodeAttributeValues(x, d, &r->attributes); }},
      {"present", [&](const Value& x) { ReadKeys(x, true, d, &r->present); }},
      {"any_present", [&](const Value& x) { ReadKeys(x, true, d, &r->any_present); }},
      {"absent", [&](const Value& x) { ReadKeys(x, true, d, &r->absent); }},
      {"root",
       [&](const Value& x) {
         bool b = false;
         if (ReadBool(x, d, &b)) r->root = b;
       }},
      {"counted_descendants",
       [&](const Value& x) {
         if (!x.node.IsSequence()) {
           bool b = false;
           if (ReadBool(x, d, &b)) r->counted_descendants = b;
           return;
         }
         std::uint8_t kinds = 0;
         bool ok = true;
         ForEachItem(x, d, [&](const Value& item) {
           std::string s;
           if (!ReadString(item, d, &s)) {
             ok = false;
             return;
           }
           for (auto k : {SpanEventKind::kLlmCall, SpanEventKind::kToolCall, SpanEventKind::kRun}) {
             if (s == SpanEventKindName(k)) {
               kinds |= static_cast<std::uint8_t>(1u << static_cast<int>(k));
               return;
             }
           }
           d->Add(item.mark(), item.Message("must be llm_call, tool_call or run, got " + Quoted(s)));
           ok = false;
         });
         if (ok && kinds == 0) {
           d->Add(x.mark(), x.Message("needs at least one event kind (or true/false)"));
           ok = false;
         }
         if (ok) {
           r->counted_descendants = true;
           r->counted_descendant_kinds = kinds;
         }
       }},
  };
  DecodeMapping(v, fields, d);
}

// The fields an event type reads (the rest would be silently unused: an error instead).
bool FieldAllowed(SpanEventKind event, SpanField f) {
  switch (event) {
    case SpanEventKind::kLlmCall:
      return f != SpanField::kToolName;
    case SpanEventKind::kToolCall:
      return f == SpanField::kToolName || f == SpanField::kAgentId;
    case SpanEventKind::kRun:
      return f == SpanField::kAgentId;
    default:
      return false;
  }
}

struct PendingFields {  // decoded before `event` is known: checked once the rule is read
  std::vector<std::pair<SpanField, YAML::Mark>> given;
};

void DecodeFields(const Value& v, SpanRuleConfig* r, PendingFields* pending, Diagnostics* d) {
  ForEachEntry(v, d, [&](const std::string& key, const YAML::Mark& key_mark, const Value& value) {
    for (std::size_t i = 0; i < kSpanFieldCount; ++i) {
      const auto f = static_cast<SpanField>(i);
      if (key != SpanFieldName(f)) continue;
      ReadKeys(value, false, d, &r->fields[i]);
      pending->given.emplace_back(f, key_mark);
      return;
    }
    std::string known;
    for (std::size_t i = 0; i < kSpanFieldCount; ++i) {
      if (!known.empty()) known += ", ";
      known += SpanFieldName(static_cast<SpanField>(i));
    }
    d->Add(key_mark, "unknown field " + value.path + " (known fields: " + known + ")");
  });
}

void DecodeRule(const Value& v, const std::string& file, std::map<std::string, int>* names,
                std::vector<SpanRuleConfig>* out, Diagnostics* d) {
  const std::size_t errors_before = d->size();
  SpanRuleConfig r;
  r.origin = file + ":" + std::to_string(Line(v.mark()));
  bool has_event = false, has_name = false;
  std::optional<bool> includes_cache;
  YAML::Mark cache_mark, twin_mark;
  PendingFields pending;
  const Field fields[] = {
      {"name",
       [&](const Value& x) {
         if (!ReadString(x, d, &r.name)) return;
         if (r.name.empty()) {
           d->Add(x.mark(), x.Message("must not be empty"));
           return;
         }
         has_name = true;
         auto [it, inserted] = names->emplace(r.name, Line(x.mark()));
         if (!inserted) {
           d->Add(x.mark(), x.Message("duplicate rule name " + Quoted(r.name) + " (first at line " +
                                      std::to_string(it->second) + ")"));
         }
       }},
      {"match", [&](const Value& x) { DecodeMatch(x, &r, d); }},
      {"event",
       [&](const Value& x) {
         std::string s;
         if (!ReadString(x, d, &s)) return;
         for (std::size_t i = 0; i < static_cast<std::size_t>(SpanEventKind::kCount); ++i) {
           if (s == SpanEventKindName(static_cast<SpanEventKind>(i))) {
             r.event = static_cast<SpanEventKind>(i);
             has_event = true;
             return;
           }
         }
         d->Add(x.mark(), x.Message("must be llm_call, tool_call, run or ignore, got " + Quoted(s)));
         has_event = true;  // reported: no second "missing" message
       }},
      {"fields", [&](const Value& x) { DecodeFields(x, &r, &pending, d); }},
      {"twin_group",
       [&](const Value& x) {
         if (!ReadString(x, d, &r.twin_group)) return;
         twin_mark = x.mark();
         if (r.twin_group.empty()) d->Add(x.mark(), x.Message("must not be empty"));
       }},
      {"input_includes_cache",
       [&](const Value& x) {
         bool b = true;
         if (ReadBool(x, d, &b)) includes_cache = b;
         cache_mark = x.mark();
       }},
  };
  if (!v.node.IsMap()) {
    d->Add(v.mark(), v.Message("expected a mapping (name, match, event, fields, …), got a " +
                               std::string(v.node.IsSequence() ? "list" : "scalar")));
    return;
  }
  DecodeMapping(v, fields, d);
  if (!has_name) d->Add(v.mark(), v.Message("name is missing"));
  if (!has_event) d->Add(v.mark(), v.Message("event is missing (llm_call, tool_call, run or ignore)"));
  for (const auto& [f, mark] : pending.given) {
    if (!FieldAllowed(r.event, f)) {
      d->Add(mark, v.Message("field " + std::string(SpanFieldName(f)) + " is not read by event " +
                             std::string(SpanEventKindName(r.event))));
    }
  }
  if (!r.twin_group.empty() && r.event != SpanEventKind::kLlmCall) {
    d->Add(twin_mark, v.Message("twin_group applies to event llm_call only"));
  }
  if (includes_cache) {
    if (r.event != SpanEventKind::kLlmCall) {
      d->Add(cache_mark, v.Message("input_includes_cache applies to event llm_call only"));
    }
    r.input_includes_cache = *includes_cache;
  }
  if (d->size() == errors_before) out->push_back(std::move(r));
}

}  // namespace

void DecodeSpanRules(const Value& v, const std::string& file, std::vector<SpanRuleConfig>* out,
                     Diagnostics* d) {
  std::vector<SpanRuleConfig> rules;
  std::map<std::string, int> names;
  const std::size_t errors_before = d->size();
  const bool is_list =
      ForEachItem(v, d, [&](const Value& item) { DecodeRule(item, file, &names, &rules, d); });
  if (is_list && d->size() == errors_before) *out = std::move(rules);
}

}  // namespace config_detail

Result<std::vector<SpanRuleConfig>> ParseSpanRules(const std::string& yaml_text,
                                                   const std::string& name) {
  config_detail::Diagnostics d(name);
  std::vector<SpanRuleConfig> rules;
  try {
    const std::optional<YAML::Node> doc =
        config_detail::LoadSingleDocument(yaml_text, "span rules file", &d);
    if (doc) config_detail::DecodeSpanRules(config_detail::Value{*doc, "", YAML::Mark()}, name,
                                            &rules, &d);
  } catch (const YAML::Exception& e) {
    d.Add(e.mark, "invalid YAML: " + e.msg);
  }
  if (!d.empty()) return Error{d.Joined()};
  return rules;
}

}  // namespace agx
