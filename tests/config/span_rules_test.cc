// otlp.span_rules: a valid rule decodes field by field; each kind of mistake is an error with
// its file:line:column; ParseSpanRules reads a bare list (the built-in table's format).
#include <gtest/gtest.h>

#include "config/config.h"

namespace agx {
namespace {

TEST(SpanRulesConfigTest, DecodesEveryPart) {
  const char* yaml = R"(otlp:
  span_rules:
    - name: acme-llm
      match:
        span_name: 'llm\..*'
        scope: 'acme\.agents'
        attributes: {acme.kind: [llm, chat], acme.version: 2}
        present: [acme.model]
        any_present: ['acme.tokens.*', acme.cost]
        absent: [acme.cached]
        root: false
        counted_descendants: false
      event: llm_call
      fields:
        model: [acme.model, acme.model_fallback]
        input_tokens: acme.tokens.in
        cost_usd: [acme.cost]
      input_includes_cache: false
    - name: acme-skip
      match: {span_name: 'health.*'}
      event: ignore
)";
  auto c = ParseConfig(yaml, "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->otlp.span_rules.size(), 2u);
  const SpanRuleConfig& r = c->otlp.span_rules[0];
  EXPECT_EQ(r.name, "acme-llm");
  EXPECT_EQ(r.origin, "c.yml:3");
  EXPECT_EQ(r.span_name, "llm\\..*");
  EXPECT_EQ(r.scope, "acme\\.agents");
  ASSERT_EQ(r.attributes.size(), 2u);
  EXPECT_EQ(r.attributes[0].key, "acme.kind");
  EXPECT_EQ(r.attributes[0].values, (std::vector<std::string>{"llm", "chat"}));
  EXPECT_EQ(r.attributes[1].values, (std::vector<std::string>{"2"}));
  EXPECT_EQ(r.present, (std::vector<std::string>{"acme.model"}));
  EXPECT_EQ(r.any_present, (std::vector<std::string>{"acme.tokens.*", "acme.cost"}));
  EXPECT_EQ(r.absent, (std::vector<std::string>{"acme.cached"}));
  EXPECT_EQ(r.root, false);
  EXPECT_EQ(r.counted_descendants, false);
  EXPECT_EQ(r.event, SpanEventKind::kLlmCall);
  EXPECT_EQ(r.fields[static_cast<int>(SpanField::kModel)],
            (std::vector<std::string>{"acme.model", "acme.model_fallback"}));
  EXPECT_EQ(r.fields[static_cast<int>(SpanField::kInputTokens)],
            (std::vector<std::string>{"acme.tokens.in"}));
  EXPECT_TRUE(r.fields[static_cast<int>(SpanField::kOutputTokens)].empty());  // the default
  EXPECT_FALSE(r.input_includes_cache);
  EXPECT_EQ(c->otlp.span_rules[1].event, SpanEventKind::kIgnore);
  EXPECT_TRUE(c->otlp.span_rules[1].input_includes_cache);
}

struct Case {
  const char* name;
  const char* rules;  // the list under otlp.span_rules, indented by 4
  const char* want;
};

const Case kCases[] = {
    {"not a list", "    name: x\n",
     "c.yml:3:5: otlp.span_rules: expected a list, got a mapping"},
    {"rule not a mapping", "    - llm\n",
     "c.yml:3:7: otlp.span_rules[0]: expected a mapping (name, match, event, fields, …), got a scalar"},
    {"name and event missing", "    - match: {root: true}\n",
     "c.yml:3:7: otlp.span_rules[0]: name is missing\n"
     "c.yml:3:7: otlp.span_rules[0]: event is missing (llm_call, tool_call, run or ignore)"},
    {"duplicate name", "    - {name: a, event: run}\n    - {name: a, event: run}\n",
     "c.yml:4:14: otlp.span_rules[1].name: duplicate rule name \"a\" (first at line 3)"},
    {"unknown event", "    - {name: a, event: llm}\n",
     "c.yml:3:24: otlp.span_rules[0].event: must be llm_call, tool_call, run or ignore, got \"llm\""},
    {"bad regex", "    - {name: a, event: run, match: {span_name: 'a(b'}}\n",
     "c.yml:3:48: otlp.span_rules[0].match.span_name: invalid regex \"a(b\": "},
    {"unknown match key", "    - {name: a, event: run, match: {kind: 2}}\n",
     "c.yml:3:37: unknown key otlp.span_rules[0].match.kind (known keys in "
     "otlp.span_rules[0].match: span_name, scope, attributes, present, any_present, absent, "
     "root, counted_descendants)"},
    {"star inside a key", "    - {name: a, event: run, match: {present: ['a*b']}}\n",
     "c.yml:3:47: otlp.span_rules[0].match.present[0]: '*' may only end a key (a prefix: "
     "\"gen_ai.*\"), got \"a*b\""},
    {"root not a boolean", "    - {name: a, event: run, match: {root: yes}}\n",
     "c.yml:3:43: otlp.span_rules[0].match.root: expected true or false"},
    {"unknown field", "    - {name: a, event: llm_call, fields: {tokens: [x]}}\n",
     "c.yml:3:43: unknown field otlp.span_rules[0].fields.tokens (known fields: model, "
     "input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, "
     "finish_reason, tool_name, agent_id)"},
    {"field the event does not read", "    - {name: a, event: tool_call, fields: {model: [x]}}\n",
     "c.yml:3:44: otlp.span_rules[0]: field model is not read by event tool_call"},
    {"input_includes_cache on a run", "    - {name: a, event: run, input_includes_cache: false}\n",
     "c.yml:3:51: otlp.span_rules[0]: input_includes_cache applies to event llm_call only"},
    {"nested quantifier", "    - {name: a, event: run, match: {span_name: '(a+)+b'}}\n",
     "c.yml:3:48: otlp.span_rules[0].match.span_name: regex \"(a+)+b\" repeats a group that "
     "repeats itself"},
    {"counted_descendants unknown kind", "    - {name: a, event: run, match: {counted_descendants: [step]}}\n",
     "c.yml:3:59: otlp.span_rules[0].match.counted_descendants[0]: must be llm_call, tool_call or "
     "run, got \"step\""},
    {"twin_group on a tool", "    - {name: a, event: tool_call, twin_group: g}\n",
     "c.yml:3:47: otlp.span_rules[0]: twin_group applies to event llm_call only"},
    {"empty key list", "    - {name: a, event: llm_call, fields: {model: []}}\n",
     "c.yml:3:50: otlp.span_rules[0].fields.model: needs at least one attribute key"},
};

TEST(SpanRulesConfigTest, ErrorsCarryTheirPosition) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const std::string yaml = std::string("otlp:\n  span_rules:\n") + c.rules;
    auto r = ParseConfig(yaml, "c.yml");
    ASSERT_FALSE(r.ok());
    // Regex messages end with the library's own wording: compare up to it.
    EXPECT_EQ(r.error().substr(0, std::string(c.want).size()), c.want);
  }
}

TEST(SpanRulesConfigTest, SafeRegexesAndListFormsAreAccepted) {
  auto c = ParseConfig(R"(otlp:
  span_rules:
    - name: a
      match: {span_name: '(llm|chat)\.[a-z]+(\.v[0-9]+)?', counted_descendants: [run, tool_call]}
      event: ignore
    - name: b
      match: {scope: '[(a+)+]x*'}
      event: llm_call
      twin_group: g
)",
                       "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->otlp.span_rules[0].counted_descendants, true);
  EXPECT_EQ(c->otlp.span_rules[0].counted_descendant_kinds, 0b110);
  EXPECT_EQ(c->otlp.span_rules[1].twin_group, "g");
}

TEST(SpanRulesConfigTest, ParseSpanRulesReadsABareList) {
  auto rules = ParseSpanRules("- {name: a, event: run, match: {root: true}}\n", "t.yml");
  ASSERT_TRUE(rules.ok()) << rules.error();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].origin, "t.yml:1");
  auto bad = ParseSpanRules("- {name: a}\n", "t.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "t.yml:1:3: [0]: event is missing (llm_call, tool_call, run or ignore)");
}

TEST(SpanRulesConfigTest, OtherOtlpKeys) {
  auto c = ParseConfig("otlp:\n  default_model: unnamed\n  span_memory_entries: 4096\n", "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->otlp.default_model, "unnamed");
  EXPECT_EQ(c->otlp.span_memory_entries, 4096u);
  auto bad = ParseConfig("otlp:\n  span_memory_entries: 10\n", "c.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(),
            "c.yml:2:24: otlp.span_memory_entries: must be between 1024 and 16777216, got 10");
}

}  // namespace
}  // namespace agx
