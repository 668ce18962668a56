#include "otlp/mapper.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/event_parser.h"
#include "otlp/mapped_testutil.h"
#include "ingest/native_line.h"

namespace agx::otlp {
namespace {

using namespace fixtures;  // NOLINT(google-build-using-namespace): the shared builders

// ---------------------------------------------------------------------------------------
// Spans

TEST(MapperSpanTest, ChatSpanWithCurrentNames) {
  Mapper mapper(Config(), kExporterStart);
  const auto r = SpanRequest(
      {{"service.name", Str("svc")}},
      {MakeSpan("chat claude-sonnet-4-5",
                {{"gen_ai.operation.name", Str("chat")},
                 {"gen_ai.provider.name", Str("anthropic")},
                 {"gen_ai.agent.name", Str("support-bot")},
                 {"gen_ai.request.model", Str("claude-sonnet-4-5")},
                 {"gen_ai.response.model", Str("claude-sonnet-4-5-20250929")},
                 {"gen_ai.usage.input_tokens", Int(2000)},
                 {"gen_ai.usage.cache_read.input_tokens", Int(800)},
                 {"gen_ai.usage.cache_write.input_tokens", Int(100)},
                 {"gen_ai.usage.cache_creation.input_tokens", Int(999)},  // older alias loses
                 {"gen_ai.usage.output_tokens", Int(350)},
                 {"gen_ai.response.finish_reasons", Str("stop")}})});
  MappedBatch b;
  EXPECT_EQ(Map(mapper, r, &b),
            Lines{R"({"type":"llm_call","agent_id":"support-bot","ts":1795319953.8125,)"
                  R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
                  R"("model":"claude-sonnet-4-5","input_tokens":1100,"output_tokens":350,)"
                  R"("cache_read_tokens":800,"cache_creation_tokens":100,"duration_ms":812.5,)"
                  R"("status":"success","finish_reason":"stop"})"});
  EXPECT_EQ(b.items, 1u);
  EXPECT_EQ(b.rejected, 0u);
  EXPECT_EQ(TotalDropped(b), 0u);
  EXPECT_TRUE(b.first_error.empty());
}

TEST(MapperSpanTest, ChatSpanWithOlderNames) {
  Mapper mapper(Config(), kExporterStart);
  Span s = MakeSpan("chat", {{"gen_ai.operation.name", Str("text_completion")},
                             {"gen_ai.system", Str("openai")},
                             {"gen_ai.response.model", Str("gpt-4o")},
                             {"gen_ai.usage.prompt_tokens", Str("1200")},
                             {"gen_ai.usage.completion_tokens", Dbl(80)},
                             {"gen_ai.usage.cache_creation.input_tokens", Str("200")}});
  s.span_id = {};
  s.start_time_ns = 0;  // no duration; ts from the end time
  EXPECT_EQ(Map(mapper, SpanRequest({{"service.name", Str("svc")}}, {s})),
            Lines{R"({"type":"llm_call","agent_id":"svc","ts":1795319953.8125,)"
                  R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","model":"gpt-4o",)"
                  R"("input_tokens":1000,"output_tokens":80,"cache_creation_tokens":200,)"
                  R"("status":"success"})"});
}

TEST(MapperSpanTest, UncachedInputIsInputMinusCacheNotBelowZero) {
  struct Case {
    const char* name;
    Attributes tokens;
    std::string want;
  };
  const Case cases[] = {
      {"both caches",
       {{"gen_ai.usage.input_tokens", Int(1000)},
        {"gen_ai.usage.cache_read.input_tokens", Int(600)},
        {"gen_ai.usage.cache_creation.input_tokens", Int(300)}},
       R"("input_tokens":100,"cache_read_tokens":600,"cache_creation_tokens":300)"},
      {"below zero",
       {{"gen_ai.usage.input_tokens", Int(100)},
        {"gen_ai.usage.cache_read.input_tokens", Int(150)}},
       R"("input_tokens":0,"cache_read_tokens":150)"},
      {"no input",
       {{"gen_ai.usage.cache_read.input_tokens", Int(150)}},
       R"("cache_read_tokens":150)"},
      {"no cache", {{"gen_ai.usage.input_tokens", Dbl(42)}}, R"("input_tokens":42)"},
  };
  Mapper mapper(Config(), kExporterStart);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Attributes attrs = c.tokens;
    attrs.push_back({"gen_ai.operation.name", Str("chat")});
    attrs.push_back({"gen_ai.request.model", Str("m")});
    Span s = MakeSpan("chat m", attrs);
    s.trace_id = {};
    s.span_id = {};
    s.start_time_ns = 0;
    s.end_time_ns = 0;
    EXPECT_EQ(Map(mapper, SpanRequest({}, {s})),
              Lines{R"({"type":"llm_call","agent_id":"unknown","model":"m",)" + c.want +
                    R"(,"status":"success"})"});
  }
}

TEST(MapperSpanTest, StatusFromSpanStatusAndErrorType) {
  struct Case {
    const char* name;
    std::string_view op;
    int status_code;
    Attributes extra;
    std::string want_status;
  };
  const Case cases[] = {
      {"chat ok", "chat", 1, {}, "success"},
      {"chat status error", "chat", 2, {}, "failure"},
      {"chat error.type", "chat", 0, {{"error.type", Str("rate_limited")}}, "failure"},
      {"chat empty error.type", "chat", 0, {{"error.type", Str("")}}, "success"},
      {"chat timeout is a failure", "chat", 2, {{"error.type", Str("timeout")}}, "failure"},
      {"tool timeout", "execute_tool", 2, {{"error.type", Str("TimeoutError")}}, "timeout"},
      {"tool timeout without status",
       "execute_tool",
       0,
       {{"error.type", Str("httpx.ReadTIMEOUT")}},
       "timeout"},
      {"tool failure", "execute_tool", 0, {{"error.type", Str("ValueError")}}, "failure"},
      {"tool status error", "execute_tool", 2, {}, "failure"},
      {"run failure", "invoke_agent", 0, {{"error.type", Int(500)}}, "failure"},
      {"run success", "invoke_agent", 0, {}, "success"},
  };
  Mapper mapper(Config(), kExporterStart);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Attributes attrs = c.extra;
    attrs.push_back({"gen_ai.operation.name", Str(c.op)});
    attrs.push_back({"gen_ai.request.model", Str("m")});
    attrs.push_back({"gen_ai.tool.name", Str("search")});
    Span s = MakeSpan("x", attrs);
    s.status_code = c.status_code;
    const Lines lines = Map(mapper, SpanRequest({}, {s}));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(R"("status":")" + c.want_status + "\""), std::string::npos) << lines[0];
  }
}

TEST(MapperSpanTest, ExecuteToolTimeoutAndInvokeAgentRun) {
  Mapper mapper(Config(), kExporterStart);
  Span tool = MakeSpan("execute_tool issue_refund", {{"gen_ai.operation.name", Str("execute_tool")},
                                                     {"gen_ai.tool.name", Str("issue_refund")},
                                                     {"error.type", Str("timeout")}});
  tool.status_code = 2;
  tool.start_time_ns = kT;
  tool.end_time_ns = kT + 30 * kSec;
  Span run = MakeSpan("invoke_agent support-bot", {{"gen_ai.operation.name", Str("invoke_agent")},
                                                   {"gen_ai.agent.name", Str("support-bot")}});
  run.end_time_ns = kT + 5230 * std::uint64_t{1000000};
  EXPECT_EQ(Map(mapper, SpanRequest({{"service.name", Str("svc")}}, {tool, run})),
            (Lines{R"({"type":"tool_call","agent_id":"svc","ts":1795319983,)"
                   R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
                   R"("tool_name":"issue_refund","duration_ms":30000,"status":"timeout"})",
                   R"({"type":"run","agent_id":"support-bot","ts":1795319958.23,)"
                   R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
                   R"("duration_ms":5230,"status":"success"})"}));
}

TEST(MapperSpanTest, EndBeforeStartGivesNoDuration) {
  Mapper mapper(Config(), kExporterStart);
  Span s = MakeSpan("invoke_agent", {{"gen_ai.operation.name", Str("invoke_agent")}});
  s.trace_id = {};
  s.span_id = {};
  s.start_time_ns = kT + kSec;
  s.end_time_ns = kT;
  EXPECT_EQ(Map(mapper, SpanRequest({}, {s})),
            Lines{R"({"type":"run","agent_id":"unknown","ts":1795319953,"status":"success"})"});
}

TEST(MapperSpanTest, NonGenAiSpansAreDropped) {
  Mapper mapper(Config(), kExporterStart);
  const auto r = SpanRequest(
      {}, {MakeSpan("GET /", {{"http.method", Str("GET")}}),
           MakeSpan("create_agent", {{"gen_ai.operation.name", Str("create_agent")}}),
           MakeSpan("claude_code.llm_request",
                    {{"gen_ai.system", Str("anthropic")}, {"model", Str("claude-opus-4-6")}}),
           MakeSpan("odd", {{"gen_ai.operation.name", Int(1)}})});
  MappedBatch b;
  EXPECT_TRUE(Map(mapper, r, &b).empty());
  EXPECT_EQ(b.items, 4u);
  EXPECT_EQ(Dropped(b, DropReason::kNotGenAi), 1u);  // GET /
  EXPECT_EQ(Dropped(b, DropReason::kIgnored), 3u);   // rules whose event is ignore
  EXPECT_EQ(b.rejected, 0u);
}

TEST(MapperSpanTest, AgentIdSources) {
  struct Case {
    const char* name;
    Attributes resource;
    Attributes item;
    std::vector<std::string> keys;  // empty: the default list
    std::string want;
  };
  const Case cases[] = {
      {"item agent name",
       {{"service.name", Str("svc")}},
       {{"gen_ai.agent.name", Str("named")}, {"gen_ai.agent.id", Str("id-1")}},
       {},
       "named"},
      {"item agent id",
       {{"service.name", Str("svc")}},
       {{"gen_ai.agent.id", Str("id-1")}},
       {},
       "id-1"},
      {"resource service.name", {{"service.name", Str("svc")}}, {}, {}, "svc"},
      {"resource agent name beats item service.name",
       {{"gen_ai.agent.name", Str("res-agent")}},
       {{"service.name", Str("item-svc")}},
       {},
       "res-agent"},
      {"item beats resource for the same key",
       {{"gen_ai.agent.name", Str("res-agent")}},
       {{"gen_ai.agent.name", Str("item-agent")}},
       {},
       "item-agent"},
      {"empty and non-string values are skipped",
       {{"service.name", Str("svc")}},
       {{"gen_ai.agent.name", Str("")}, {"gen_ai.agent.id", Int(7)}},
       {},
       "svc"},
      {"default", {{"host.name", Str("h")}}, {}, {}, "unknown"},
      {"configured keys",
       {{"service.name", Str("svc")}},
       {{"team", Str("blue")}},
       {"team"},
       "blue"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    OtlpConfig config = Config();
    if (!c.keys.empty()) config.agent_id_attributes = c.keys;
    Mapper mapper(config, kExporterStart);
    Attributes attrs = c.item;
    attrs.push_back({"gen_ai.operation.name", Str("invoke_agent")});
    Span s = MakeSpan("invoke_agent", attrs);
    s.trace_id = {};
    s.span_id = {};
    s.start_time_ns = 0;
    s.end_time_ns = 0;
    EXPECT_EQ(Map(mapper, SpanRequest(c.resource, {s})),
              Lines{R"({"type":"run","agent_id":")" + c.want + R"(","status":"success"})"});
  }
}

TEST(MapperSpanTest, DefaultAgentIdIsConfigurable) {
  OtlpConfig config = Config();
  config.default_agent_id = "fallback";
  Mapper mapper(config, kExporterStart);
  Span s = MakeSpan("invoke_agent", {{"gen_ai.operation.name", Str("invoke_agent")}});
  s.trace_id = {};
  s.span_id = {};
  s.end_time_ns = 0;
  s.start_time_ns = kT;  // ts falls back to the start time
  EXPECT_EQ(Map(mapper, SpanRequest({}, {s})),
            Lines{R"({"type":"run","agent_id":"fallback","ts":1795319953,"status":"success"})"});
}

TEST(MapperSpanTest, InvalidSpansAreRejected) {
  struct Case {
    const char* name;
    Attributes attrs;
    ItemError error;
    RejectReason want;
    std::string want_message;  // empty: not checked
  };
  const Case cases[] = {
      {"tool name missing",
       {{"gen_ai.operation.name", Str("execute_tool")}},
       ItemError::kNone,
       RejectReason::kMissingField,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): gen_ai.tool.name is missing"},
      {"tool name empty",
       {{"gen_ai.operation.name", Str("execute_tool")}, {"gen_ai.tool.name", Str("")}},
       ItemError::kNone,
       RejectReason::kMissingField,
       ""},
      {"tool name not a string",
       {{"gen_ai.operation.name", Str("execute_tool")}, {"gen_ai.tool.name", Int(3)}},
       ItemError::kNone,
       RejectReason::kWrongType,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): gen_ai.tool.name must be a string"},
      {"model not a string",
       {{"gen_ai.operation.name", Str("chat")}, {"gen_ai.request.model", Int(3)}},
       ItemError::kNone,
       RejectReason::kWrongType,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): gen_ai.request.model must be a string"},
      {"tokens a word",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.input_tokens", Str("many")}},
       ItemError::kNone,
       RejectReason::kWrongType,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): gen_ai.usage.input_tokens must be a "
       "number"},
      {"tokens a bool",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Bool(true)}},
       ItemError::kNone,
       RejectReason::kWrongType,
       ""},
      {"tokens an array",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Kind(ValueKind::kArray)}},
       ItemError::kNone,
       RejectReason::kWrongType,
       ""},
      {"tokens negative",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Int(-1)}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): gen_ai.usage.output_tokens must be a "
       "non-negative whole number"},
      {"tokens fractional",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Dbl(1.5)}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"tokens NaN",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Dbl(std::nan(""))}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"tokens infinite",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Dbl(INFINITY)}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"tokens above 2^53",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Int(9007199254740993)}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"string tokens above 2^53",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Str("9007199254740993")}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"string tokens 1e400",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Str("1e400")}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"string tokens negative",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Str("-3")}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"string tokens nan",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Str("nan")}},
       ItemError::kNone,
       RejectReason::kInvalidValue,
       ""},
      {"string tokens with junk",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Str("3 ")}},
       ItemError::kNone,
       RejectReason::kWrongType,
       ""},
      {"empty string tokens",
       {{"gen_ai.operation.name", Str("chat")},
        {"gen_ai.request.model", Str("m")},
        {"gen_ai.usage.output_tokens", Str("")}},
       ItemError::kNone,
       RejectReason::kWrongType,
       ""},
      {"malformed id",
       {{"gen_ai.operation.name", Str("chat")}},
       ItemError::kInvalidId,
       RejectReason::kInvalidValue,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): has a malformed trace or span id"},
      {"too many attributes",
       {},
       ItemError::kTooManyAttributes,
       RejectReason::kTooManyAttributes,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): has more attributes than "
       "otlp.max_attributes"},
      {"not UTF-8",
       {{"gen_ai.operation.name", Str("execute_tool")}, {"gen_ai.tool.name", Str("bad\xff")}},
       ItemError::kNone,
       RejectReason::kInvalidUtf8,
       "span 'x' (trace 4bf92f3577b34da6a3ce929d0e0e4736): has a string that is not valid "
       "UTF-8"},
  };
  Mapper mapper(Config(), kExporterStart);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Span bad = MakeSpan("x", c.attrs);
    bad.error = c.error;
    Span good = MakeSpan("y", {{"gen_ai.operation.name", Str("invoke_agent")}});
    MappedBatch b;
    const Lines lines = Map(mapper, SpanRequest({}, {bad, good, bad}), &b);
    ASSERT_EQ(lines.size(), 1u);  // the valid span is still mapped
    EXPECT_EQ(lines[0].substr(0, 13), R"({"type":"run")");
    EXPECT_EQ(b.items, 3u);
    EXPECT_EQ(b.rejected, 2u);
    EXPECT_EQ(Rejected(b, c.want), 2u);
    if (!c.want_message.empty()) {
      EXPECT_EQ(b.first_error, c.want_message);
    }
    EXPECT_FALSE(b.first_error.empty());
  }
}

TEST(MapperSpanTest, LongNamesAreCutInTheMessage) {
  Mapper mapper(Config(), kExporterStart);
  const std::string name(100, 'n');
  Span s = MakeSpan(name, {{"gen_ai.operation.name", Str("execute_tool")}});
  s.trace_id = {};
  MappedBatch b;
  Map(mapper, SpanRequest({}, {s}), &b);
  EXPECT_EQ(b.first_error, "span '" + std::string(64, 'n') + "…': gen_ai.tool.name is missing");
}

// ---------------------------------------------------------------------------------------
// Claude Code log events

TEST(MapperLogTest, ApiRequestWithStringNumbers) {
  Mapper mapper(Config("logs"), kExporterStart);
  LogRecord l = MakeLog("claude_code.api_request", {{"event.name", Str("api_request")},
                                                    {"model", Str("claude-opus-4-6[1m]")},
                                                    {"input_tokens", Str("3")},
                                                    {"output_tokens", Str("120")},
                                                    {"cache_read_tokens", Str("28000")},
                                                    {"cache_creation_tokens", Int(512)},
                                                    {"cost_usd", Str("0.144065")},
                                                    {"duration_ms", Str("2503.5")},
                                                    {"event.sequence", Int(1)}});
  l.trace_id = Id<32>(kTrace);
  l.span_id = Id<16>(kSpan);
  MappedBatch b;
  EXPECT_EQ(Map(mapper, LogRequest({{"service.name", Str("claude-code")}}, {l}), &b),
            Lines{R"({"type":"llm_call","agent_id":"claude-code","ts":1795319953.25,)"
                  R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
                  R"("model":"claude-opus-4-6","input_tokens":3,"output_tokens":120,)"
                  R"("cache_read_tokens":28000,"cache_creation_tokens":512,"duration_ms":2503.5,)"
                  R"("status":"success","cost_usd":0.144065})"});
  EXPECT_EQ(TotalDropped(b), 0u);
}

TEST(MapperLogTest, ApiErrorAndToolResult) {
  Mapper mapper(Config(), kExporterStart);
  LogRecord api_error = MakeLog("claude_code.api_error", {{"model", Str("claude-sonnet-4-5")},
                                                          {"error", Str("overloaded")},
                                                          {"status_code", Str("529")},
                                                          {"duration_ms", Int(150)}});
  LogRecord ok =
      MakeLog("claude_code.tool_result",
              {{"tool_name", Str("Bash")}, {"success", Str("true")}, {"duration_ms", Dbl(12.25)}});
  LogRecord failed =
      MakeLog("claude_code.tool_result", {{"tool_name", Str("Edit")}, {"success", Str("false")}});
  LogRecord bool_ok =
      MakeLog("claude_code.tool_result", {{"tool_name", Str("Read")}, {"success", Bool(true)}});
  LogRecord bool_failed =
      MakeLog("claude_code.tool_result", {{"tool_name", Str("Read")}, {"success", Bool(false)}});
  bool_failed.time_ns = 0;  // ts from the observed time
  EXPECT_EQ(Map(mapper, LogRequest({{"service.name", Str("claude-code")}},
                                   {api_error, ok, failed, bool_ok, bool_failed})),
            (Lines{R"({"type":"llm_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("model":"claude-sonnet-4-5","duration_ms":150,"status":"failure"})",
                   R"({"type":"tool_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("tool_name":"Bash","duration_ms":12.25,"status":"success"})",
                   R"({"type":"tool_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("tool_name":"Edit","status":"failure"})",
                   R"({"type":"tool_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("tool_name":"Read","status":"success"})",
                   R"({"type":"tool_call","agent_id":"claude-code","ts":1795319953.999,)"
                   R"("tool_name":"Read","status":"failure"})"}));
}

TEST(MapperLogTest, EventNameSources) {
  struct Case {
    const char* name;
    std::string_view event_name;
    std::string_view body;
    Attributes attrs;
    bool mapped;
  };
  const Case cases[] = {
      {"eventName", "claude_code.tool_result", "", {}, true},
      {"eventName without prefix", "tool_result", "", {}, true},
      {"eventName wins over body", "claude_code.tool_result", "claude_code.user_prompt", {}, true},
      {"eventName unknown wins", "claude_code.user_prompt", "claude_code.tool_result", {}, false},
      {"body", "", "claude_code.tool_result", {}, true},
      {"body wins over event.name",
       "",
       "claude_code.user_prompt",
       {{"event.name", Str("tool_result")}},
       false},
      {"event.name", "", "", {{"event.name", Str("tool_result")}}, true},
      {"event.name with prefix", "", "", {{"event.name", Str("claude_code.tool_result")}}, true},
      {"nothing", "", "", {}, false},
      {"plain log line", "", "User logged in", {}, false},
  };
  Mapper mapper(Config(), kExporterStart);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Attributes attrs = c.attrs;
    attrs.push_back({"tool_name", Str("Bash")});
    attrs.push_back({"success", Str("true")});
    LogRecord l = MakeLog(c.body, attrs);
    l.event_name = c.event_name;
    MappedBatch b;
    const Lines lines = Map(mapper, LogRequest({}, {l}), &b);
    EXPECT_EQ(lines.size(), c.mapped ? 1u : 0u);
    EXPECT_EQ(Dropped(b, DropReason::kUnknownEvent), c.mapped ? 0u : 1u);
    EXPECT_EQ(b.items, 1u);
  }
}

// docs/otlp.md, Log events: a tool decision the user made is a human review of the agent's
// tool use (an approval event); one a config rule or a hook made is not (dropped, ignored).
TEST(MapperLogTest, ToolDecisionsOfTheUserAreApprovalsAndAutomaticOnesAreIgnored) {
  Mapper mapper(Config(), kExporterStart);
  auto decision = [](std::string_view tool, std::string_view d, std::string_view source) {
    return MakeLog("claude_code.tool_decision", {{"event.name", Str("tool_decision")},
                                                 {"tool_name", Str(tool)},
                                                 {"tool_use_id", Str("toolu_01")},
                                                 {"decision", Str(d)},
                                                 {"tool_source", Str("builtin")},
                                                 {"source", Str(source)}});
  };
  LogRecord traced = decision("Bash", "reject", "user_reject");
  traced.trace_id = Id<32>(kTrace);
  traced.span_id = Id<16>(kSpan);
  LogRecord routed_by_name = MakeLog("", {{"event.name", Str("tool_decision")},
                                          {"decision", Str("accept")},
                                          {"source", Str("user_temporary")},
                                          {"gen_ai.agent.name", Str("reviewer-bot")}});
  routed_by_name.time_ns = 0;  // ts from the observed time
  MappedBatch b;
  EXPECT_EQ(Map(mapper,
                LogRequest({{"service.name", Str("claude-code")}},
                           {decision("Edit", "accept", "user_temporary"),
                            decision("Write", "accept", "user_permanent"), traced,
                            decision("Bash", "reject", "user_abort"),
                            decision("Edit", "reject", "user_temporary"),
                            decision("Read", "accept", "config"),
                            decision("Bash", "reject", "config"),
                            decision("Bash", "accept", "hook"),
                            decision("WebFetch", "reject", "hook"),
                            decision("Bash", "accept", "classifier"),  // not the user's either
                            routed_by_name}),
                &b),
            (Lines{R"({"type":"approval","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("result":"approved"})",
                   R"({"type":"approval","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("result":"approved"})",
                   R"({"type":"approval","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
                   R"("result":"denied"})",
                   R"({"type":"approval","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("result":"denied"})",
                   R"({"type":"approval","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("result":"denied"})",
                   R"({"type":"approval","agent_id":"reviewer-bot","ts":1795319953.999,)"
                   R"("result":"approved"})"}));
  EXPECT_EQ(b.items, 11u);
  EXPECT_EQ(b.rejected, 0u);
  EXPECT_EQ(Dropped(b, DropReason::kIgnored), 5u);
  EXPECT_EQ(TotalDropped(b), 5u);
}

TEST(MapperLogTest, UnknownEventsAreDropped) {
  Mapper mapper(Config(), kExporterStart);
  MappedBatch b;
  EXPECT_TRUE(Map(mapper,
                  LogRequest({}, {MakeLog("claude_code.user_prompt", {{"prompt_length", Int(5)}}),
                                  MakeLog("claude_code.api_refusal", {{"model", Str("m")}}),
                                  MakeLog("claude_code.permission_mode_changed",
                                          {{"tool_name", Str("x")}})}),
                  &b)
                  .empty());
  EXPECT_EQ(b.items, 3u);
  EXPECT_EQ(Dropped(b, DropReason::kUnknownEvent), 3u);
}

TEST(MapperLogTest, InvalidEventsAreRejected) {
  struct Case {
    const char* name;
    std::string_view body;
    Attributes attrs;
    RejectReason want;
    std::string want_message;
  };
  const Case cases[] = {
      {"api_request without model",
       "claude_code.api_request",
       {{"input_tokens", Int(3)}},
       RejectReason::kMissingField,
       "log record 'claude_code.api_request': model is missing"},
      {"model only a suffix",
       "claude_code.api_error",
       {{"model", Str("[1m]")}},
       RejectReason::kMissingField,
       ""},
      {"tokens fractional string",
       "claude_code.api_request",
       {{"model", Str("m")}, {"output_tokens", Str("1.5")}},
       RejectReason::kInvalidValue,
       "log record 'claude_code.api_request': output_tokens must be a non-negative whole number"},
      {"cost negative",
       "claude_code.api_request",
       {{"model", Str("m")}, {"cost_usd", Dbl(-0.5)}},
       RejectReason::kInvalidValue,
       "log record 'claude_code.api_request': cost_usd must be a non-negative number"},
      {"duration a word",
       "claude_code.api_error",
       {{"model", Str("m")}, {"duration_ms", Str("x")}},
       RejectReason::kWrongType,
       ""},
      {"tool without name",
       "claude_code.tool_result",
       {{"success", Str("true")}},
       RejectReason::kMissingField,
       "log record 'claude_code.tool_result': tool_name is missing"},
      {"tool without success",
       "claude_code.tool_result",
       {{"tool_name", Str("Bash")}},
       RejectReason::kMissingField,
       ""},
      {"tool success other string",
       "claude_code.tool_result",
       {{"tool_name", Str("Bash")}, {"success", Str("yes")}},
       RejectReason::kInvalidValue,
       "log record 'claude_code.tool_result': success must be true or false"},
      {"tool success an int",
       "claude_code.tool_result",
       {{"tool_name", Str("Bash")}, {"success", Int(1)}},
       RejectReason::kWrongType,
       ""},
      {"decision missing",
       "claude_code.tool_decision",
       {{"tool_name", Str("Bash")}, {"source", Str("user_temporary")}},
       RejectReason::kMissingField,
       "log record 'claude_code.tool_decision': decision is missing"},
      {"decision empty",
       "claude_code.tool_decision",
       {{"decision", Str("")}, {"source", Str("config")}},
       RejectReason::kMissingField,
       ""},
      {"decision another word",
       "claude_code.tool_decision",
       {{"decision", Str("allow")}, {"source", Str("user_temporary")}},
       RejectReason::kInvalidValue,
       "log record 'claude_code.tool_decision': decision must be accept or reject"},
      {"decision capitalised",
       "claude_code.tool_decision",
       {{"decision", Str("Accept")}, {"source", Str("user_temporary")}},
       RejectReason::kInvalidValue,
       ""},
      {"decision unknown, automatic source",
       "claude_code.tool_decision",
       {{"decision", Str("maybe")}, {"source", Str("config")}},
       RejectReason::kInvalidValue,
       ""},
      {"decision a boolean",
       "claude_code.tool_decision",
       {{"decision", Bool(true)}, {"source", Str("user_temporary")}},
       RejectReason::kWrongType,
       ""},
      {"source missing",
       "claude_code.tool_decision",
       {{"decision", Str("accept")}},
       RejectReason::kMissingField,
       "log record 'claude_code.tool_decision': source is missing"},
      {"source an int",
       "claude_code.tool_decision",
       {{"decision", Str("accept")}, {"source", Int(1)}},
       RejectReason::kWrongType,
       ""},
      {"user reject that accepts",
       "claude_code.tool_decision",
       {{"decision", Str("accept")}, {"source", Str("user_reject")}},
       RejectReason::kInvalidValue,
       "log record 'claude_code.tool_decision': decision must be reject when the source is "
       "user_abort or user_reject"},
      {"user abort that accepts",
       "claude_code.tool_decision",
       {{"decision", Str("accept")}, {"source", Str("user_abort")}},
       RejectReason::kInvalidValue,
       ""},
  };
  Mapper mapper(Config(), kExporterStart);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MappedBatch b;
    EXPECT_TRUE(Map(mapper, LogRequest({}, {MakeLog(c.body, c.attrs)}), &b).empty());
    EXPECT_EQ(b.rejected, 1u);
    EXPECT_EQ(Rejected(b, c.want), 1u);
    if (!c.want_message.empty()) {
      EXPECT_EQ(b.first_error, c.want_message);
    }
  }
  // Decoder-flagged records are rejected before routing.
  LogRecord flagged = MakeLog("claude_code.tool_result", {});
  flagged.error = ItemError::kInvalidId;
  MappedBatch b;
  Map(mapper, LogRequest({}, {flagged}), &b);
  EXPECT_EQ(Rejected(b, RejectReason::kInvalidValue), 1u);
  EXPECT_EQ(b.first_error,
            "log record 'claude_code.tool_result': has a malformed trace or span id");
}

// ---------------------------------------------------------------------------------------
// Tokens and cost counted once

ExportRequest BothSources() {
  return LogRequest({{"service.name", Str("claude-code")}},
                    {MakeLog("claude_code.api_request", {{"model", Str("claude-opus-4-6")},
                                                         {"input_tokens", Str("3")},
                                                         {"output_tokens", Str("7")},
                                                         {"cost_usd", Str("0.5")},
                                                         {"duration_ms", Int(900)}}),
                     MakeLog("claude_code.api_request",
                             {{"model", Str("claude-opus-4-6")}, {"duration_ms", Int(100)}})});
}

ExportRequest UsageMetrics() {
  return MetricRequest(
      {{"service.name", Str("claude-code")}},
      {Sum("claude_code.token.usage", 1,
           {Point(3, {{"model", Str("claude-opus-4-6[1m]")}, {"type", Str("input")}})}),
       Sum("claude_code.cost.usage", 1, {Point(0.5, {{"model", Str("claude-opus-4-6")}})})});
}

TEST(MapperUsageSourceTest, LogsCountTokensAndDropTheMetrics) {
  Mapper mapper(Config("logs"), kExporterStart);
  MappedBatch logs;
  EXPECT_EQ(Map(mapper, BothSources(), &logs),
            (Lines{R"({"type":"llm_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("model":"claude-opus-4-6","input_tokens":3,"output_tokens":7,)"
                   R"("duration_ms":900,"status":"success","cost_usd":0.5})",
                   R"({"type":"llm_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("model":"claude-opus-4-6","duration_ms":100,"status":"success"})"}));
  EXPECT_EQ(TotalDropped(logs), 0u);

  MappedBatch metrics;
  EXPECT_TRUE(Map(mapper, UsageMetrics(), &metrics).empty());
  EXPECT_EQ(metrics.items, 2u);
  EXPECT_EQ(Dropped(metrics, DropReason::kOtherSource), 2u);
  EXPECT_EQ(TotalDropped(metrics), 2u);
  EXPECT_TRUE(metrics.cumulative_updates.empty());
}

TEST(MapperUsageSourceTest, MetricsCountTokensAndEventsOnlyCalls) {
  Mapper mapper(Config("metrics"), kExporterStart);
  MappedBatch logs;
  EXPECT_EQ(Map(mapper, BothSources(), &logs),
            (Lines{R"({"type":"llm_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("model":"claude-opus-4-6","duration_ms":900,"status":"success"})",
                   R"({"type":"llm_call","agent_id":"claude-code","ts":1795319953.25,)"
                   R"("model":"claude-opus-4-6","duration_ms":100,"status":"success"})"}));
  // Only the event that carried tokens or cost lost something.
  EXPECT_EQ(Dropped(logs, DropReason::kOtherSource), 1u);
  EXPECT_EQ(logs.rejected, 0u);

  MappedBatch metrics;
  EXPECT_EQ(Map(mapper, UsageMetrics(), &metrics),
            (Lines{R"({"type":"usage","agent_id":"claude-code","ts":1795320013,)"
                   R"("model":"claude-opus-4-6","input_tokens":3})",
                   R"({"type":"usage","agent_id":"claude-code","ts":1795320013,)"
                   R"("model":"claude-opus-4-6","cost_usd":0.5})"}));
  EXPECT_EQ(TotalDropped(metrics), 0u);
}

TEST(MapperUsageSourceTest, MetricsModeIgnoresBadTokensOnEvents) {
  Mapper mapper(Config("metrics"), kExporterStart);
  MappedBatch b;
  const Lines lines =
      Map(mapper,
          LogRequest({}, {MakeLog("claude_code.api_request",
                                  {{"model", Str("m")}, {"input_tokens", Str("x")}})}),
          &b);
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_EQ(b.rejected, 0u);
  EXPECT_EQ(Dropped(b, DropReason::kOtherSource), 1u);
}

// ---------------------------------------------------------------------------------------
// Metrics

TEST(MapperMetricTest, DeltaTokenUsagePerType) {
  Mapper mapper(Config("metrics"), kExporterStart);
  const auto r = MetricRequest(
      {{"service.name", Str("claude-code")}},
      {Sum("claude_code.token.usage", 1,
           {Point(1200, {{"model", Str("claude-sonnet-4-5")}, {"type", Str("input")}}),
            Point(350, {{"model", Str("claude-sonnet-4-5")}, {"type", Str("output")}}),
            Point(800, {{"model", Str("claude-sonnet-4-5")}, {"type", Str("cacheRead")}}),
            Point(64, {{"model", Str("claude-sonnet-4-5")},
                       {"type", Str("cacheCreation")},
                       {"gen_ai.agent.name", Str("sub")}}),
            Point(0, {{"model", Str("claude-sonnet-4-5")}, {"type", Str("output")}})}),
       Sum("claude_code.session.count", 1, {Point(1, {})})});
  MappedBatch b;
  EXPECT_EQ(Map(mapper, r, &b),
            (Lines{R"({"type":"usage","agent_id":"claude-code","ts":1795320013,)"
                   R"("model":"claude-sonnet-4-5","input_tokens":1200})",
                   R"({"type":"usage","agent_id":"claude-code","ts":1795320013,)"
                   R"("model":"claude-sonnet-4-5","output_tokens":350})",
                   R"({"type":"usage","agent_id":"claude-code","ts":1795320013,)"
                   R"("model":"claude-sonnet-4-5","cache_read_tokens":800})",
                   R"({"type":"usage","agent_id":"sub","ts":1795320013,)"
                   R"("model":"claude-sonnet-4-5","cache_creation_tokens":64})"}));
  EXPECT_EQ(b.items, 6u);
  EXPECT_EQ(b.rejected, 0u);
  EXPECT_EQ(Dropped(b, DropReason::kUnknownMetric), 1u);
  EXPECT_EQ(TotalDropped(b), 1u);  // the zero point is neither dropped nor rejected
  EXPECT_TRUE(b.cumulative_updates.empty());
}

TEST(MapperMetricTest, DeltaCostUsage) {
  Mapper mapper(Config("metrics"), kExporterStart);
  const auto r = MetricRequest({}, {Sum("claude_code.cost.usage", 1,
                                        {Point(0.0123, {{"model", Str("claude-haiku-4-5")}}),
                                         Point(2, {{"model", Str("claude-haiku-4-5")}})})});
  EXPECT_EQ(Map(mapper, r), (Lines{R"({"type":"usage","agent_id":"unknown","ts":1795320013,)"
                                   R"("model":"claude-haiku-4-5","cost_usd":0.0123})",
                                   R"({"type":"usage","agent_id":"unknown","ts":1795320013,)"
                                   R"("model":"claude-haiku-4-5","cost_usd":2})"}));
}

TEST(MapperMetricTest, UnsupportedPointsOfMappedMetrics) {
  Mapper mapper(Config("metrics"), kExporterStart);
  Metric gauge =
      Sum("claude_code.token.usage", 0, {Point(5, {{"model", Str("m")}, {"type", Str("input")}})});
  gauge.kind = MetricKind::kGauge;
  gauge.monotonic = false;
  Metric non_monotonic = Sum("claude_code.cost.usage", 1, {Point(5, {{"model", Str("m")}})});
  non_monotonic.monotonic = false;
  Metric no_temporality = Sum("claude_code.cost.usage", 0, {Point(5, {{"model", Str("m")}})});
  Metric histogram;
  histogram.name = "claude_code.cost.usage";
  histogram.kind = MetricKind::kHistogram;
  histogram.other_points = 3;
  Metric other_histogram;
  other_histogram.name = "gen_ai.client.token.usage";
  other_histogram.kind = MetricKind::kHistogram;
  other_histogram.other_points = 2;
  MappedBatch b;
  EXPECT_TRUE(
      Map(mapper,
          MetricRequest({}, {gauge, non_monotonic, no_temporality, histogram, other_histogram}), &b)
          .empty());
  EXPECT_EQ(b.items, 8u);
  EXPECT_EQ(Dropped(b, DropReason::kUnsupportedPoint), 6u);
  EXPECT_EQ(Dropped(b, DropReason::kUnknownMetric), 2u);
  EXPECT_EQ(b.rejected, 0u);

  // With the logs as the source, the same points do not count either way.
  Mapper logs_mapper(Config("logs"), kExporterStart);
  Map(logs_mapper, MetricRequest({}, {gauge, histogram}), &b);
  EXPECT_EQ(Dropped(b, DropReason::kOtherSource), 4u);
}

TEST(MapperMetricTest, InvalidPointsAreRejected) {
  struct Case {
    const char* name;
    std::string_view metric;
    NumberPoint point;
    RejectReason want;
    std::string want_message;
  };
  NumberPoint no_value = Point(0, {{"model", Str("m")}});
  no_value.has_value = false;
  NumberPoint flagged = Point(1, {{"model", Str("m")}});
  flagged.error = ItemError::kTooManyAttributes;
  const Case cases[] = {
      {"no model", "claude_code.cost.usage", Point(1, {}), RejectReason::kMissingField,
       "data point of 'claude_code.cost.usage': model is missing"},
      {"model not a string", "claude_code.cost.usage", Point(1, {{"model", Int(4)}}),
       RejectReason::kWrongType, ""},
      {"no type", "claude_code.token.usage", Point(1, {{"model", Str("m")}}),
       RejectReason::kMissingField, "data point of 'claude_code.token.usage': type is missing"},
      {"unknown type", "claude_code.token.usage",
       Point(1, {{"model", Str("m")}, {"type", Str("reasoning")}}), RejectReason::kInvalidValue,
       "data point of 'claude_code.token.usage': type must be input, output, cacheRead or "
       "cacheCreation"},
      {"negative delta", "claude_code.cost.usage", Point(-1, {{"model", Str("m")}}),
       RejectReason::kInvalidValue,
       "data point of 'claude_code.cost.usage': value must be a non-negative number"},
      {"NaN", "claude_code.cost.usage", Point(std::nan(""), {{"model", Str("m")}}),
       RejectReason::kInvalidValue, ""},
      {"infinite", "claude_code.cost.usage", Point(INFINITY, {{"model", Str("m")}}),
       RejectReason::kInvalidValue, ""},
      {"fractional tokens", "claude_code.token.usage",
       Point(2.5, {{"model", Str("m")}, {"type", Str("input")}}), RejectReason::kInvalidValue,
       "data point of 'claude_code.token.usage': value must be a non-negative whole number"},
      {"tokens above 2^53", "claude_code.token.usage",
       Point(1e17, {{"model", Str("m")}, {"type", Str("input")}}), RejectReason::kInvalidValue, ""},
      {"no value", "claude_code.cost.usage", no_value, RejectReason::kMissingField,
       "data point of 'claude_code.cost.usage': value is missing"},
      {"flagged", "claude_code.cost.usage", flagged, RejectReason::kTooManyAttributes, ""},
  };
  Mapper mapper(Config("metrics"), kExporterStart);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (int temporality : {1, 2}) {
      MappedBatch b;
      EXPECT_TRUE(
          Map(mapper, MetricRequest({}, {Sum(c.metric, temporality, {c.point})}), &b).empty());
      EXPECT_EQ(b.items, 1u);
      EXPECT_EQ(Rejected(b, c.want), 1u);
      EXPECT_EQ(b.rejected, 1u);
      if (!c.want_message.empty()) {
        EXPECT_EQ(b.first_error, c.want_message);
      }
      EXPECT_TRUE(b.cumulative_updates.empty());  // rejected points leave no state
    }
  }
}

// ---------------------------------------------------------------------------------------
// Cumulative temporality

Metric CumulativeCost(std::vector<NumberPoint> points) {
  return Sum("claude_code.cost.usage", 2, std::move(points));
}

NumberPoint CostPoint(double value, std::uint64_t start, std::string_view model = "m") {
  return Point(value, {{"model", Str(model)}}, start, start + 10 * kSec);
}

// Maps and commits; returns the lines.
Lines MapCommit(Mapper* mapper, const ExportRequest& r, MappedBatch* b) {
  Lines lines = Map(*mapper, r, b);
  mapper->Commit(*b);
  return lines;
}

std::string CostLine(std::string_view value, std::uint64_t start) {
  std::string ts;
  AppendUnixSeconds(&ts, start + 10 * kSec);
  return R"({"type":"usage","agent_id":"svc","ts":)" + ts + R"(,"model":"m","cost_usd":)" +
         std::string(value) + "}";
}

const Attributes kResource = {{"service.name", Str("svc")}};

TEST(MapperCumulativeTest, OldSeriesSetsABaselineThenCountsDifferences) {
  Mapper mapper(Config("metrics"), kExporterStart);
  const std::uint64_t old_start = kExporterStart - 3600 * kSec;
  MappedBatch b;
  EXPECT_TRUE(
      MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(5, old_start)})}), &b)
          .empty());
  EXPECT_EQ(Dropped(b, DropReason::kCumulativeBaseline), 1u);
  ASSERT_EQ(b.cumulative_updates.size(), 1u);
  EXPECT_EQ(b.cumulative_updates[0].first,
            MakeSeriesKey("claude_code.cost.usage", ResourceDigest(kResource), {{"model", Str("m")}}));
  EXPECT_EQ(b.cumulative_updates[0].second.value, 5);
  EXPECT_EQ(b.cumulative_updates[0].second.start_time_ns, old_start);

  EXPECT_EQ(MapCommit(&mapper,
                      MetricRequest(kResource, {CumulativeCost({CostPoint(7.5, old_start)})}), &b),
            Lines{CostLine("2.5", old_start)});
  EXPECT_EQ(TotalDropped(b), 0u);
  // An unchanged value adds nothing.
  EXPECT_TRUE(MapCommit(&mapper,
                        MetricRequest(kResource, {CumulativeCost({CostPoint(7.5, old_start)})}), &b)
                  .empty());
  EXPECT_EQ(TotalDropped(b), 0u);
  EXPECT_EQ(b.rejected, 0u);
}

TEST(MapperCumulativeTest, NewSeriesCountsFromZero) {
  Mapper mapper(Config("metrics"), kExporterStart);
  MappedBatch b;
  // Started exactly when the exporter did, and later: counted whole.
  EXPECT_EQ(
      MapCommit(&mapper,
                MetricRequest(kResource, {CumulativeCost({CostPoint(3, kExporterStart, "a"),
                                                          CostPoint(4, kT, "b")})}),
                &b),
      (Lines{R"({"type":"usage","agent_id":"svc","ts":1795319010,"model":"a","cost_usd":3})",
             R"({"type":"usage","agent_id":"svc","ts":1795319963,"model":"b","cost_usd":4})"}));
  // Unset start time: cannot tell, so a baseline.
  EXPECT_TRUE(
      MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(4, 0, "c")})}), &b)
          .empty());
  EXPECT_EQ(Dropped(b, DropReason::kCumulativeBaseline), 1u);
}

TEST(MapperCumulativeTest, ResetsCountTheWholeValue) {
  Mapper mapper(Config("metrics"), kExporterStart);
  MappedBatch b;
  MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(10, kT)})}), &b);
  // Lower value, same start: the counter restarted.
  EXPECT_EQ(MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(4, kT)})}), &b),
            Lines{CostLine("4", kT)});
  // Higher value but a new start time: also a restart.
  EXPECT_EQ(
      MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(6, kT + kSec)})}), &b),
      Lines{CostLine("6", kT + kSec)});
  EXPECT_EQ(
      MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(9, kT + kSec)})}), &b),
      Lines{CostLine("3", kT + kSec)});
}

TEST(MapperCumulativeTest, PointsOfOneRequestApplyInOrder) {
  Mapper mapper(Config("metrics"), kExporterStart);
  MappedBatch b;
  EXPECT_EQ(MapCommit(&mapper,
                      MetricRequest(kResource, {CumulativeCost({CostPoint(2, kT), CostPoint(5, kT),
                                                                CostPoint(1, kT)})}),
                      &b),
            (Lines{CostLine("2", kT), CostLine("3", kT), CostLine("1", kT)}));
  ASSERT_EQ(b.cumulative_updates.size(), 1u);
  EXPECT_EQ(b.cumulative_updates[0].second.value, 1);
}

TEST(MapperCumulativeTest, SeriesAreKeptApart) {
  Mapper mapper(Config("metrics"), kExporterStart);
  auto token = [](double v, std::string_view type, std::string_view session) {
    return Point(v, {{"model", Str("m")}, {"type", Str(type)}, {"session.id", Str(session)}}, kT,
                 kT + kSec);
  };
  auto request = [&](Attributes resource, std::vector<NumberPoint> points) {
    return MetricRequest(std::move(resource),
                         {Sum("claude_code.token.usage", 2, std::move(points))});
  };
  MappedBatch b;
  MapCommit(&mapper,
            request(kResource, {token(10, "input", "s1"), token(20, "output", "s1"),
                                token(30, "input", "s2")}),
            &b);
  EXPECT_EQ(b.cumulative_updates.size(), 3u);
  EXPECT_EQ(
      MapCommit(&mapper,
                request(kResource, {token(11, "input", "s1"), token(22, "output", "s1"),
                                    token(33, "input", "s2")}),
                &b),
      (Lines{R"({"type":"usage","agent_id":"svc","ts":1795319954,"model":"m","input_tokens":1})",
             R"({"type":"usage","agent_id":"svc","ts":1795319954,"model":"m","output_tokens":2})",
             R"({"type":"usage","agent_id":"svc","ts":1795319954,"model":"m","input_tokens":3})"}));
  // Another resource is another series: counted from zero (it started after the exporter).
  EXPECT_EQ(
      MapCommit(&mapper, request({{"service.name", Str("other")}}, {token(12, "input", "s1")}), &b),
      Lines{
          R"({"type":"usage","agent_id":"other","ts":1795319954,"model":"m","input_tokens":12})"});
}

TEST(MapperCumulativeTest, StateChangesOnlyOnCommit) {
  Mapper mapper(Config("metrics"), kExporterStart);
  MappedBatch b;
  MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost({CostPoint(10, kT)})}), &b);
  const auto next = MetricRequest(kResource, {CumulativeCost({CostPoint(15, kT)})});
  // Not acknowledged: the same request again yields the same delta.
  EXPECT_EQ(Map(mapper, next, &b), Lines{CostLine("5", kT)});
  EXPECT_EQ(Map(mapper, next, &b), Lines{CostLine("5", kT)});
  mapper.Commit(b);
  EXPECT_TRUE(Map(mapper, next, &b).empty());
  EXPECT_EQ(TotalDropped(b), 0u);
}

TEST(MapperCumulativeTest, StateIsBounded) {
  Mapper mapper(Config("metrics"), kExporterStart);
  constexpr std::size_t kLimit = 100000;
  std::vector<std::string> names(kLimit + 2);
  std::vector<NumberPoint> points;
  for (std::size_t i = 0; i < kLimit + 1; ++i) {
    names[i] = "m" + std::to_string(i);
    points.push_back(CostPoint(1, kT, names[i]));
  }
  MappedBatch b;
  const Lines lines = MapCommit(&mapper, MetricRequest(kResource, {CumulativeCost(points)}), &b);
  EXPECT_EQ(lines.size(), kLimit);
  EXPECT_EQ(Dropped(b, DropReason::kCumulativeBaseline), 1u);
  EXPECT_EQ(b.cumulative_updates.size(), kLimit);
  // Known series still work; a new one is dropped.
  names[kLimit + 1] = "new";
  EXPECT_EQ(
      Map(mapper,
          MetricRequest(kResource, {CumulativeCost({CostPoint(3, kT, names[0]),
                                                    CostPoint(3, kT, names[kLimit + 1])})}),
          &b),
      Lines{R"({"type":"usage","agent_id":"svc","ts":1795319963,"model":"m0","cost_usd":2})"});
  EXPECT_EQ(Dropped(b, DropReason::kCumulativeBaseline), 1u);
}

TEST(MapperTest, EmptyRequestAndDropReasonNames) {
  Mapper mapper(Config(), kExporterStart);
  MappedBatch b;
  b.buffer = "stale";
  b.items = 9;
  b.first_error = "stale";
  EXPECT_TRUE(Map(mapper, ExportRequest{}, &b).empty());
  EXPECT_EQ(b.buffer, "");
  EXPECT_EQ(b.items, 0u);
  EXPECT_EQ(b.first_error, "");
  const char* want[] = {"not_genai",         "unknown_event", "unknown_metric",
                        "unsupported_point", "other_source",  "cumulative_baseline",
                        "ignored",           "duplicate"};
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    EXPECT_EQ(DropReasonName(static_cast<DropReason>(i)), want[i]);
  }
}

}  // namespace
}  // namespace agx::otlp
