// Spans through the span rules and the span memory: what each known convention becomes,
// user rules before the built-in ones, one count per operation within a request, across
// requests in either order, for spans sent again, and for nested agent levels.
#include <gtest/gtest.h>

#include <set>

#include "otlp/mapped_testutil.h"
#include "otlp/span_classifier.h"

namespace agx::otlp {
namespace {

using namespace fixtures;  // NOLINT(google-build-using-namespace): the shared builders

// A span with its own id and parent ("" = root); ids are 16 hex digits.
Span Node(std::string_view name, std::string_view id, std::string_view parent, Attributes attrs) {
  Span s = MakeSpan(name, std::move(attrs));
  s.span_id = Id<16>(id);
  if (!parent.empty()) s.parent_span_id = Id<16>(parent);
  return s;
}

ExportRequest ScopedRequest(std::string_view scope, std::vector<Span> spans,
                            Attributes resource = {{"service.name", Str("svc")}}) {
  ExportRequest r;
  r.signal = Signal::kTraces;
  r.spans.push_back({std::move(resource), {{scope, std::move(spans)}}});
  return r;
}

// Maps and acknowledges (the memory keeps what was counted); returns the explanations.
std::vector<SpanExplanation> MapAck(const Mapper& m, const ExportRequest& r, MappedBatch* b) {
  std::vector<SpanExplanation> ex;
  b->explain = &ex;
  m.Map(r, b);
  m.span_memory().Commit(b->span_updates);
  b->explain = nullptr;
  return ex;
}

std::vector<SpanExplanation> MapAck(const Mapper& m, const ExportRequest& r) {
  MappedBatch b;
  return MapAck(m, r, &b);
}

// "llm_call", "tool_call", "run", "dropped:<reason>", "rejected:<reason>".
std::string Outcome(const SpanExplanation& e) {
  return e.outcome == "dropped" || e.outcome == "rejected" ? e.outcome + ":" + e.reason : e.outcome;
}

TEST(SpanRulesTest, BuiltinTableParsesWithUniqueNamesAndCompiles) {
  const auto& rules = BuiltinSpanRules();
  ASSERT_GT(rules.size(), 10u);
  std::set<std::string> names;
  for (const auto& r : rules) EXPECT_TRUE(names.insert(r.name).second) << r.name;
  SpanClassifier c({}, {"service.name"});
  EXPECT_EQ(c.rules().size(), rules.size());
  EXPECT_TRUE(c.rules().front().builtin);
  EXPECT_EQ(c.rules().front().label, "builtin:" + rules.front().name);
}

struct Case {
  const char* name;
  std::string_view scope;
  std::string_view span_name;
  bool root;
  Attributes attrs;
  std::string want;       // Outcome()
  std::string want_rule;  // label, "" = no rule
  std::string want_in_line = "";
};

TEST(SpanRulesTest, EachConventionMapsByItsRule) {
  const Case cases[] = {
      {"semconv chat", "@opentelemetry/instrumentation-openai", "chat gpt-4o", false,
       {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("gpt-4o")},
        {"gen_ai.usage.input_tokens", Int(100)}, {"gen_ai.usage.cache_read.input_tokens", Int(40)}},
       "llm_call", "builtin:genai-llm", R"("model":"gpt-4o","input_tokens":60,)"},
      {"semconv embeddings are ignored", "x", "embeddings m", false,
       {{"gen_ai.operation.name", Str("embeddings")}, {"gen_ai.usage.input_tokens", Int(3)}},
       "dropped:ignored", "builtin:genai-other-operation"},
      {"traceloop anthropic: input already excludes cache", "@traceloop/instrumentation-anthropic",
       "anthropic.chat", false,
       {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("claude-x")},
        {"gen_ai.usage.input_tokens", Int(100)},
        {"gen_ai.usage.cache_read_input_tokens", Int(40)}},
       "llm_call", "builtin:traceloop-anthropic",
       R"("input_tokens":100,"cache_read_tokens":40,)"},
      {"vercel doGenerate", "ai", "ai.generateText.doGenerate", false,
       {{"ai.operationId", Str("ai.generateText.doGenerate")},
        {"gen_ai.request.model", Str("gpt-4o")}, {"gen_ai.usage.input_tokens", Int(100)},
        {"gen_ai.usage.output_tokens", Int(7)},
        {"ai.usage.inputTokenDetails.cacheReadTokens", Int(30)},
        {"ai.response.finishReason", Str("tool-calls")}},
       "llm_call", "builtin:vercel-ai-llm",
       R"("input_tokens":70,"output_tokens":7,"cache_read_tokens":30,)"},
      {"vercel tool", "ai", "ai.toolCall", false,
       {{"ai.operationId", Str("ai.toolCall")}, {"ai.toolCall.name", Str("weather")}},
       "tool_call", "builtin:vercel-ai-tool", R"("tool_name":"weather")"},
      {"vercel outer call is the run", "ai", "ai.generateText", true,
       {{"ai.operationId", Str("ai.generateText")}, {"ai.usage.inputTokens", Int(500)}},
       "run", "builtin:vercel-ai-request"},
      {"vercel embed is ignored", "ai", "ai.embed", false,
       {{"ai.operationId", Str("ai.embed")}}, "dropped:ignored", "builtin:vercel-ai-other"},
      {"openinference llm", "@arizeai/openinference-instrumentation-openai", "ChatCompletion", false,
       {{"openinference.span.kind", Str("LLM")}, {"llm.model_name", Str("gpt-4o-mini")},
        {"llm.token_count.prompt", Int(50)}, {"llm.token_count.completion", Int(5)},
        {"llm.token_count.prompt_details.cache_read", Int(20)}},
       "llm_call", "builtin:openinference-llm",
       R"("model":"gpt-4o-mini","input_tokens":30,"output_tokens":5,"cache_read_tokens":20,)"},
      {"openinference tool", "x", "search", false,
       {{"openinference.span.kind", Str("TOOL")}, {"tool.name", Str("search")}},
       "tool_call", "builtin:openinference-tool"},
      {"openinference agent", "x", "agent", false, {{"openinference.span.kind", Str("AGENT")}},
       "run", "builtin:openinference-agent"},
      {"openinference chain", "x", "chain", false, {{"openinference.span.kind", Str("CHAIN")}},
       "dropped:ignored", "builtin:openinference-other"},
      {"traceloop workflow", "traceloop", "triage.workflow", true,
       {{"traceloop.span.kind", Str("workflow")}, {"traceloop.entity.name", Str("triage")}},
       "run", "builtin:traceloop-run"},
      {"traceloop tool", "traceloop", "lookup.tool", false,
       {{"traceloop.span.kind", Str("tool")}, {"traceloop.entity.name", Str("lookup")}},
       "tool_call", "builtin:traceloop-tool", R"("tool_name":"lookup")"},
      {"traceloop task", "traceloop", "t.task", false, {{"traceloop.span.kind", Str("task")}},
       "dropped:ignored", "builtin:traceloop-other"},
      {"openllmetry before operation names", "@traceloop/instrumentation-openai", "openai.chat",
       false,
       {{"llm.request.type", Str("chat")}, {"gen_ai.request.model", Str("gpt-4o")},
        {"gen_ai.usage.prompt_tokens", Int(10)}, {"gen_ai.usage.completion_tokens", Int(2)}},
       "llm_call", "builtin:openllmetry-llm", R"("input_tokens":10,"output_tokens":2,)"},
      {"seed 002 tool span", "sre-agent", "gen_ai.tool.fetch_logs", false,
       {{"gen_ai.tool.name", Str("fetch_logs")}, {"gen_ai.tool.call.id", Str("toolu_1")}},
       "tool_call", "builtin:inferred-tool", R"("tool_name":"fetch_logs")"},
      {"seed 002 chat span (no model)", "sre-agent", "gen_ai.chat", false,
       {{"gen_ai.request.max_tokens", Int(4096)}, {"gen_ai.usage.input_tokens", Int(10)},
        {"gen_ai.usage.output_tokens", Int(3)}, {"gen_ai.response.finish_reason", Str("end_turn")}},
       "llm_call", "builtin:inferred-llm-usage", R"("model":"unknown",)"},
      {"seed 002 failed chat span (nothing but max_tokens)", "sre-agent", "gen_ai.chat", false,
       {{"gen_ai.request.max_tokens", Int(4096)}}, "llm_call", "builtin:inferred-llm-name"},
      {"seed 002 root", "sre-agent", "agent.run", true,
       {{"gen_ai.system", Str("anthropic")}, {"gen_ai.request.model", Str("claude-sonnet-4-6")}},
       "run", "builtin:inferred-run-root"},
      {"a model and nothing else below the root", "x", "call", false,
       {{"gen_ai.request.model", Str("m")}}, "llm_call", "builtin:inferred-llm-model"},
      {"claude code beta span", "com.anthropic.claude_code", "claude_code.llm_request", false,
       {{"gen_ai.system", Str("anthropic")}}, "dropped:ignored", "builtin:claude-code-trace"},
      {"not GenAI", "x", "GET /", true, {{"http.request.method", Str("GET")}},
       "dropped:not_genai", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Mapper m(Config(), kExporterStart);
    Span s = Node(c.span_name, "0000000000000001", c.root ? "" : "00000000000000ff", c.attrs);
    const auto ex = MapAck(m, ScopedRequest(c.scope, {s}));
    ASSERT_EQ(ex.size(), 1u);
    EXPECT_EQ(Outcome(ex[0]), c.want) << ex[0].detail;
    EXPECT_EQ(ex[0].rule, c.want_rule);
    if (!c.want_in_line.empty()) {
      EXPECT_NE(ex[0].line.find(c.want_in_line), std::string::npos) << ex[0].line;
    }
  }
}

TEST(SpanRulesTest, UserRulesComeFirstAndMapInHouseSpans) {
  OtlpConfig config = Config();
  auto parsed = ParseConfig(R"(otlp:
  span_rules:
    - name: acme-llm
      match: {span_name: 'llm\..*', scope: 'acme\..*', attributes: {acme.kind: call}}
      event: llm_call
      fields:
        model: [acme.model]
        input_tokens: [acme.in]
        output_tokens: [acme.out]
        cost_usd: [acme.usd]
        agent_id: [acme.bot]
      input_includes_cache: false
    - name: no-chat-from-legacy
      match: {scope: legacy, attributes: {gen_ai.operation.name: chat}}
      event: ignore
)",
                            "c.yml");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  Mapper m(parsed->otlp, kExporterStart);
  auto ex = MapAck(m, ScopedRequest("acme.agents",
                                    {Node("llm.call", "0000000000000001", "",
                                          {{"acme.kind", Str("call")}, {"acme.model", Str("m1")},
                                           {"acme.in", Int(5)}, {"acme.out", Int(6)},
                                           {"acme.usd", Str("0.25")}, {"acme.bot", Str("bot7")}})}));
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].rule, "config:acme-llm");
  EXPECT_EQ(ex[0].rule_origin, "c.yml:3");
  EXPECT_NE(ex[0].line.find(R"("agent_id":"bot7")"), std::string::npos) << ex[0].line;
  EXPECT_NE(ex[0].line.find(R"("model":"m1","input_tokens":5,"output_tokens":6,)"),
            std::string::npos) << ex[0].line;
  EXPECT_NE(ex[0].line.find(R"("cost_usd":0.25)"), std::string::npos) << ex[0].line;
  ex = MapAck(m, ScopedRequest("legacy", {Node("chat m", "0000000000000002", "",
                                                {{"gen_ai.operation.name", Str("chat")}})}));
  EXPECT_EQ(Outcome(ex[0]), "dropped:ignored");
  EXPECT_EQ(ex[0].rule, "config:no-chat-from-legacy");
}

// Traceloop's span around the Anthropic SDK's own span: one LLM call.
Span Outer(std::string_view id, std::string_view parent = "") {
  return Node("anthropic.chat", id, parent,
              {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("claude-x")},
               {"gen_ai.usage.input_tokens", Int(100)}});
}
Span Inner(std::string_view id, std::string_view parent) {
  return Node("chat claude-x", id, parent,
              {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("claude-x")},
               {"gen_ai.usage.input_tokens", Int(100)}});
}

TEST(SpanDedupTest, NestedLlmSpansInOneRequestCountOnceWhateverTheirOrder) {
  Mapper m(Config(), kExporterStart);
  MappedBatch b;
  // The outer span first in the request: children are still processed first.
  auto ex = MapAck(m, ScopedRequest("x", {Outer("00000000000000a1"),
                                          Inner("00000000000000a2", "00000000000000a1")}), &b);
  ASSERT_EQ(b.lines.size(), 1u);
  EXPECT_EQ(Outcome(ex[0]), "dropped:duplicate");
  EXPECT_EQ(ex[0].detail, "an LLM call below this span was counted (the innermost span wins)");
  EXPECT_EQ(Outcome(ex[1]), "llm_call");
  EXPECT_NE(ex[1].line.find(R"("span_id":"00000000000000a2")"), std::string::npos);
  EXPECT_EQ(Dropped(b, DropReason::kDuplicate), 1u);
}

TEST(SpanDedupTest, AcrossRequestsInnerFirstOuterFirstAndThroughOtherSpans) {
  Mapper m(Config(), kExporterStart);
  // Inner first (the usual order), outer in a later request.
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {Inner("00000000000000b2", "00000000000000b1")}))[0]),
            "llm_call");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {Outer("00000000000000b1")}))[0]),
            "dropped:duplicate");
  // Outer first: the inner one finds its parent counted.
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {Outer("00000000000000c1")}))[0]), "llm_call");
  auto ex = MapAck(m, ScopedRequest("x", {Inner("00000000000000c2", "00000000000000c1")}));
  EXPECT_EQ(Outcome(ex[0]), "dropped:duplicate");
  EXPECT_EQ(ex[0].detail, "its parent span was counted as an LLM call");
  // An HTTP span between them, each in its own request: the mark travels up through it.
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {Inner("00000000000000d3", "00000000000000d2")}))[0]),
            "llm_call");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {Node("POST", "00000000000000d2", "00000000000000d1",
                                                        {{"http.request.method", Str("POST")}})}))[0]),
            "dropped:not_genai");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {Outer("00000000000000d1")}))[0]),
            "dropped:duplicate");
}

TEST(SpanDedupTest, ASpanSentAgainCountsOnceUnlessTheFirstWasNotAcknowledged) {
  Mapper m(Config(), kExporterStart);
  const auto r = ScopedRequest("x", {Inner("00000000000000e2", "00000000000000e1")});
  MappedBatch b;
  std::vector<SpanExplanation> ex;
  b.explain = &ex;
  m.Map(r, &b);  // not acknowledged (e.g. 503): rolled back
  m.span_memory().Rollback(b.span_updates);
  EXPECT_EQ(Outcome(MapAck(m, r)[0]), "llm_call");
  auto again = MapAck(m, r);
  EXPECT_EQ(Outcome(again[0]), "dropped:duplicate");
  EXPECT_EQ(again[0].detail, "this span was counted before (sent again)");
}

Span AgentRun(std::string_view id, std::string_view parent, std::string_view agent) {
  return Node("invoke_agent", id, parent,
              {{"gen_ai.operation.name", Str("invoke_agent")}, {"gen_ai.agent.name", Str(agent)}});
}

TEST(SpanDedupTest, NestedRunsOfOneAgentCountOnceSubAgentsCountToo) {
  Mapper m(Config(), kExporterStart);
  // Traceloop workflow -> agent (one agent, two levels) holding an LLM call.
  auto ex = MapAck(m, ScopedRequest("traceloop", {
      Node("chat", "0000000000000003", "0000000000000002",
           {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("m")}}),
      Node("triage.agent", "0000000000000002", "0000000000000001",
           {{"traceloop.span.kind", Str("agent")}}),
      Node("triage.workflow", "0000000000000001", "", {{"traceloop.span.kind", Str("workflow")}}),
  }));
  EXPECT_EQ(Outcome(ex[0]), "llm_call");
  EXPECT_EQ(Outcome(ex[1]), "run");
  // The SDK names only the agent span's agent: a rule, not the agent id, makes it one run.
  EXPECT_EQ(Outcome(ex[2]), "dropped:ignored");
  EXPECT_EQ(ex[2].rule, "builtin:traceloop-workflow-above-agent");
  // A supervisor invoking a sub-agent: two agents, two runs; across requests.
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {AgentRun("0000000000000012", "0000000000000011", "researcher")}))[0]),
            "run");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {AgentRun("0000000000000011", "", "supervisor")}))[0]),
            "run");
  // The same agent at two levels, across requests: once.
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {AgentRun("0000000000000022", "0000000000000021", "bot")}))[0]),
            "run");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest("x", {AgentRun("0000000000000021", "", "bot")}))[0]),
            "dropped:duplicate");
}

TEST(SpanDedupTest, SeedShapedRunTakesItsModelToItsCallsAndIsARunEvenBelowARoot) {
  Mapper m(Config(), kExporterStart);
  // The source article's code: agent.run (model, no tokens) above gen_ai.chat (tokens, no
  // model) and gen_ai.tool.<name>; here agent.run itself sits below an HTTP server span.
  auto ex = MapAck(m, ScopedRequest("sre-agent", {
      Node("gen_ai.chat", "0000000000000032", "0000000000000031",
           {{"gen_ai.request.max_tokens", Int(4096)}, {"gen_ai.usage.input_tokens", Int(1000)},
            {"gen_ai.usage.output_tokens", Int(50)}}),
      Node("gen_ai.tool.fetch_logs", "0000000000000033", "0000000000000031",
           {{"gen_ai.tool.name", Str("fetch_logs")}}),
      Node("agent.run", "0000000000000031", "0000000000000030",
           {{"gen_ai.system", Str("anthropic")}, {"gen_ai.request.model", Str("claude-sonnet-4-6")}}),
  }));
  EXPECT_NE(ex[0].line.find(R"("model":"claude-sonnet-4-6","input_tokens":1000,)"),
            std::string::npos) << ex[0].line;
  EXPECT_EQ(Outcome(ex[1]), "tool_call");
  EXPECT_EQ(Outcome(ex[2]), "run");
  EXPECT_EQ(ex[2].rule, "builtin:inferred-run-parent");
  // In a later request, a chat span whose run is not there: otlp.default_model.
  OtlpConfig c = Config();
  c.default_model = "unnamed";
  Mapper m2(c, kExporterStart);
  ex = MapAck(m2, ScopedRequest("sre-agent", {Node("gen_ai.chat", "0000000000000042", "0000000000000041",
                                                    {{"gen_ai.usage.input_tokens", Int(1)}})}));
  EXPECT_NE(ex[0].line.find(R"("model":"unnamed")"), std::string::npos) << ex[0].line;
  // Its run arrives later: a run, since an LLM call was counted below it.
  ex = MapAck(m2, ScopedRequest("sre-agent", {Node("agent.run", "0000000000000041", "0000000000000040",
                                                    {{"gen_ai.request.model", Str("m")}})}));
  EXPECT_EQ(Outcome(ex[0]), "run");
}

// One Anthropic stream() call seen by Traceloop (input excludes the cache) and by the SDK's
// own span (input includes it), in two traces: twins.
Span TraceloopStream(std::string_view id, std::uint64_t end, std::int64_t out_tokens = 90) {
  Span s = Node("chat m", id, "",
                {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("m")},
                 {"gen_ai.usage.input_tokens", Int(500)}, {"gen_ai.usage.output_tokens", Int(out_tokens)},
                 {"gen_ai.usage.cache_read.input_tokens", Int(256)},
                 {"gen_ai.usage.cache_creation.input_tokens", Int(64)}});
  s.end_time_ns = end;
  return s;
}
Span SdkStream(std::string_view id, std::uint64_t end) {
  Span s = Node("anthropic.messages.create", id, "",
                {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Str("m")},
                 {"gen_ai.usage.input_tokens", Int(820)}, {"gen_ai.usage.output_tokens", Int(90)},
                 {"gen_ai.usage.cache_read.input_tokens", Int(256)},
                 {"gen_ai.usage.cache_write.input_tokens", Int(64)}});
  s.end_time_ns = end;
  return s;
}
constexpr std::string_view kTraceloop = "@traceloop/instrumentation-anthropic";
constexpr std::string_view kSdk = "com.anthropic.sdk.typescript";

TEST(SpanTwinTest, OneCallSeenByTwoInstrumentationsCountsOnceInEitherOrder) {
  Mapper m(Config(), kExporterStart);
  auto ex = MapAck(m, ScopedRequest(kSdk, {SdkStream("0000000000000061", kT + kSec)}));
  EXPECT_EQ(Outcome(ex[0]), "llm_call");
  EXPECT_NE(ex[0].line.find(R"("input_tokens":500,)"), std::string::npos) << ex[0].line;
  ex = MapAck(m, ScopedRequest(kTraceloop, {TraceloopStream("0000000000000062", kT + kSec + 3000000)}));
  EXPECT_EQ(Outcome(ex[0]), "dropped:duplicate");
  EXPECT_EQ(ex[0].detail,
            "the same call was counted from another instrumentation's span (twin group "
            "anthropic-messages)");
  // The other order, in one request; and sent again later: still once.
  const auto r = ScopedRequest(kTraceloop, {TraceloopStream("0000000000000063", kT + 9 * kSec)});
  EXPECT_EQ(Outcome(MapAck(m, r)[0]), "llm_call");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest(kSdk, {SdkStream("0000000000000064", kT + 9 * kSec)}))[0]),
            "dropped:duplicate");
  EXPECT_EQ(Outcome(MapAck(m, r)[0]), "dropped:duplicate");
}

TEST(SpanTwinTest, TwoCallsAreTwoCalls) {
  Mapper m(Config(), kExporterStart);
  // Two identical calls from one instrumentation: two calls, and each takes one twin.
  auto ex = MapAck(m, ScopedRequest(kSdk, {SdkStream("0000000000000071", kT),
                                            SdkStream("0000000000000072", kT)}));
  EXPECT_EQ(Outcome(ex[0]), "llm_call");
  EXPECT_EQ(Outcome(ex[1]), "llm_call");
  ex = MapAck(m, ScopedRequest(kTraceloop, {TraceloopStream("0000000000000073", kT),
                                             TraceloopStream("0000000000000074", kT),
                                             TraceloopStream("0000000000000075", kT)}));
  EXPECT_EQ(Outcome(ex[0]), "dropped:duplicate");
  EXPECT_EQ(Outcome(ex[1]), "dropped:duplicate");
  EXPECT_EQ(Outcome(ex[2]), "llm_call") << "a third call has no twin left";
  // Other tokens, or far apart in time: not the same call.
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest(kTraceloop, {TraceloopStream("0000000000000076", kT, 91)}))[0]),
            "llm_call");
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest(kSdk, {SdkStream("0000000000000077", kT + 60 * kSec)}))[0]),
            "llm_call");
}

TEST(SpanTwinTest, AWaitingTwinSurvivesSaveAndLoad) {
  Mapper m(Config(), kExporterStart);
  EXPECT_EQ(Outcome(MapAck(m, ScopedRequest(kSdk, {SdkStream("0000000000000081", kT)}))[0]), "llm_call");
  Mapper restarted(Config(), kExporterStart);
  ASSERT_TRUE(restarted.span_memory().Load(m.span_memory().Save()).ok());
  EXPECT_EQ(Outcome(MapAck(restarted, ScopedRequest(kTraceloop, {TraceloopStream("0000000000000082", kT)}))[0]),
            "dropped:duplicate");
}

TEST(SpanDedupTest, ParentCyclesAndSelfParentsDoNotHang) {
  Mapper m(Config(), kExporterStart);
  auto ex = MapAck(m, ScopedRequest("x", {Inner("0000000000000051", "0000000000000052"),
                                          Inner("0000000000000052", "0000000000000051"),
                                          Inner("0000000000000053", "0000000000000053")}));
  ASSERT_EQ(ex.size(), 3u);
  int counted = 0;
  for (const auto& e : ex) counted += e.outcome == "llm_call";
  EXPECT_GE(counted, 2);  // the cycle counts one of its two, the self-parented one counts
}

}  // namespace
}  // namespace agx::otlp
