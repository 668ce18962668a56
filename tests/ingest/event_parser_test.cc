#include "ingest/event_parser.h"

#include "ingest/describe_event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <new>
#include <set>
#include <string>
#include <vector>

// Counts heap allocations so that a test can check the warm parser allocates nothing.
// Not under AddressSanitizer, which owns operator new itself.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AGX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define AGX_ASAN 1
#endif

#ifndef AGX_ASAN
namespace {
std::atomic<long> g_allocations{0};
}  // namespace
#endif

#ifndef AGX_ASAN
// GCC 12 warns about free() on memory from `operator new` once these are inlined, although
// both sides are replaced here together.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace agx {
namespace {

using ::testing::HasSubstr;

// Built twice (tests/ingest/CMakeLists.txt): with the flat fast path, and with every line
// parsed by simdjson, so that both paths meet the same expectations.
#ifndef AGX_PARSER_FAST_PATH
#define AGX_PARSER_FAST_PATH true
#endif
struct TestedParser : EventParser {
  explicit TestedParser(std::size_t max_line_bytes = 1 << 20)
      : EventParser(max_line_bytes, AGX_PARSER_FAST_PATH) {}
};

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpan = "00f067aa0ba902b7";
constexpr double kTs = 1795319953.123;  // 2026-11-22T03:59:13.123Z

// Parses a line that must be valid.
AgentEvent MustParse(EventParser& p, std::string_view line) {
  AgentEvent e;
  const ParseError err = p.Parse(line, &e);
  EXPECT_EQ(err.reason, RejectReason::kNone) << line << " -> " << err.detail;
  return e;
}

TEST(EventParserTest, ParsesRunWithEveryField) {
  TestedParser p;
  const AgentEvent e =
      MustParse(p, R"({"type":"run","agent_id":"planner","ts":"2026-11-22T03:59:13.123Z",)"
                   R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
                   R"("conversation_id":"c-42","status":"success","duration_ms":5230,"steps":7,)"
                   R"("tool_calls":3,"task_type":"support"})");
  EXPECT_EQ(e.type, EventType::kRun);
  EXPECT_EQ(e.agent_id, "planner");
  EXPECT_NEAR(e.ts, kTs, 1e-6);
  EXPECT_EQ(e.trace_id, kTrace);
  EXPECT_EQ(e.span_id, kSpan);
  EXPECT_EQ(e.conversation_id, "c-42");
  EXPECT_EQ(e.status, "success");
  EXPECT_EQ(e.duration_ms, 5230);
  EXPECT_EQ(e.steps, 7);
  EXPECT_EQ(e.tool_calls, 3);
  EXPECT_EQ(e.task_type, "support");
}

TEST(EventParserTest, ParsesLlmCallWithEveryField) {
  TestedParser p;
  const AgentEvent e = MustParse(
      p, R"({"type":"llm_call","agent_id":"planner","ts":1795319953.5,"model":"gpt-4o-mini",)"
         R"("input_tokens":1200,"output_tokens":350,"cache_read_tokens":800,)"
         R"("cache_creation_tokens":0,"duration_ms":812.5,"status":"failure",)"
         R"("finish_reason":"length","step":2,"cost_usd":0.00042})");
  EXPECT_EQ(e.type, EventType::kLlmCall);
  EXPECT_EQ(e.agent_id, "planner");
  EXPECT_DOUBLE_EQ(e.ts, 1795319953.5);
  EXPECT_EQ(e.model, "gpt-4o-mini");
  EXPECT_EQ(e.input_tokens, 1200);
  EXPECT_EQ(e.output_tokens, 350);
  EXPECT_EQ(e.cache_read_tokens, 800);
  EXPECT_EQ(e.cache_creation_tokens, 0);
  EXPECT_DOUBLE_EQ(e.duration_ms, 812.5);
  EXPECT_EQ(e.status, "failure");
  EXPECT_EQ(e.finish_reason, "length");
  EXPECT_EQ(e.step, 2);
  EXPECT_DOUBLE_EQ(e.cost_usd, 0.00042);
  EXPECT_TRUE(e.trace_id.empty());
}

TEST(EventParserTest, LlmCallStatusDefaultsToSuccessAndAbsentNumbersAreNegative) {
  TestedParser p;
  const AgentEvent e = MustParse(p, R"({"type":"llm_call","agent_id":"a","model":"m"})");
  EXPECT_EQ(e.status, "success");
  EXPECT_LT(e.input_tokens, 0);
  EXPECT_LT(e.output_tokens, 0);
  EXPECT_LT(e.cache_read_tokens, 0);
  EXPECT_LT(e.cache_creation_tokens, 0);
  EXPECT_LT(e.duration_ms, 0);
  EXPECT_LT(e.cost_usd, 0);
  EXPECT_LT(e.step, 0);
  EXPECT_EQ(e.ts, 0);
}

TEST(EventParserTest, ParsesToolCall) {
  TestedParser p;
  const AgentEvent e =
      MustParse(p, R"({"type":"tool_call","agent_id":"planner","tool_name":"web_search",)"
                   R"("status":"timeout","duration_ms":30000})");
  EXPECT_EQ(e.type, EventType::kToolCall);
  EXPECT_EQ(e.agent_id, "planner");
  EXPECT_EQ(e.tool_name, "web_search");
  EXPECT_EQ(e.status, "timeout");
  EXPECT_EQ(e.duration_ms, 30000);
}

TEST(EventParserTest, ParsesStepHallucinationRecoveryApproval) {
  TestedParser p;
  AgentEvent e = MustParse(p, R"({"type":"step","agent_id":"a1","outcome":"tool_call_failed"})");
  EXPECT_EQ(e.type, EventType::kStep);
  EXPECT_EQ(e.agent_id, "a1");
  EXPECT_EQ(e.outcome, "tool_call_failed");

  e = MustParse(p, R"({"type":"hallucination","agent_id":"a2",)"
                   R"("hallucination_type":"fabricated_citation"})");
  EXPECT_EQ(e.type, EventType::kHallucination);
  EXPECT_EQ(e.agent_id, "a2");
  EXPECT_EQ(e.hallucination_type, "fabricated_citation");

  e = MustParse(p, R"({"type":"recovery","agent_id":"a3","strategy":"retry"})");
  EXPECT_EQ(e.type, EventType::kRecovery);
  EXPECT_EQ(e.agent_id, "a3");
  EXPECT_EQ(e.strategy, "retry");

  e = MustParse(p, R"({"type":"approval","agent_id":"a4","result":"denied"})");
  EXPECT_EQ(e.type, EventType::kApproval);
  EXPECT_EQ(e.agent_id, "a4");
  EXPECT_EQ(e.result, "denied");
}

// The override rate (docs/events.md, approval): a human who replaced what the agent produced
// with their own decision sends result "overridden"; nothing else near it is accepted.
TEST(EventParserTest, ApprovalResultOverridden) {
  TestedParser p;
  AgentEvent e = MustParse(p, R"({"type":"approval","agent_id":"sre-agent","result":"overridden",)"
                              R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"})");
  EXPECT_EQ(e.type, EventType::kApproval);
  EXPECT_EQ(e.agent_id, "sre-agent");
  EXPECT_EQ(e.result, "overridden");
  EXPECT_EQ(e.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");

  // Escaped, it is the same value.
  e = MustParse(p, R"({"type":"approval","agent_id":"a","result":"overr\u0069dden"})");
  EXPECT_EQ(e.result, "overridden");

  for (const char* bad : {"override", "overriden", "Overridden", "OVERRIDDEN", "overridden ",
                          " overridden", "overridden\\u0000", "confirmed", "rejected", ""}) {
    const std::string line =
        std::string(R"({"type":"approval","agent_id":"a","result":")") + bad + "\"}";
    SCOPED_TRACE(line);
    AgentEvent ev;
    const ParseError err = p.Parse(line, &ev);
    if (std::string_view(bad).empty()) {
      EXPECT_EQ(err.reason, RejectReason::kMissingField);  // an empty required string
      continue;
    }
    EXPECT_EQ(err.reason, RejectReason::kInvalidValue);
    EXPECT_THAT(std::string(err.detail),
                ::testing::StartsWith(R"(field "result" must be one of approved, denied, )"
                                      R"(timeout, overridden (got ")"));
  }
}

TEST(EventParserTest, ParsesTaskFeedbackEval) {
  TestedParser p;
  AgentEvent e = MustParse(p, R"({"type":"task","agent_id":"a","task_type":"refund",)"
                              R"("outcome":"escalated","cost_usd":0.12})");
  EXPECT_EQ(e.type, EventType::kTask);
  EXPECT_EQ(e.agent_id, "a");
  EXPECT_EQ(e.task_type, "refund");
  EXPECT_EQ(e.outcome, "escalated");
  EXPECT_DOUBLE_EQ(e.cost_usd, 0.12);

  e = MustParse(p, R"({"type":"feedback","agent_id":"b","score":0.8,"task_type":"refund"})");
  EXPECT_EQ(e.type, EventType::kFeedback);
  EXPECT_EQ(e.agent_id, "b");
  EXPECT_DOUBLE_EQ(e.score, 0.8);
  EXPECT_EQ(e.task_type, "refund");

  e = MustParse(p, R"({"type":"eval","agent_id":"c","evaluator":"faithfulness","score":1})");
  EXPECT_EQ(e.type, EventType::kEval);
  EXPECT_EQ(e.agent_id, "c");
  EXPECT_EQ(e.evaluator, "faithfulness");
  EXPECT_EQ(e.score, 1);
}

TEST(EventParserTest, EveryEnumeratedValueIsAccepted) {
  std::vector<std::string> lines;
  for (const char* s : {"success", "failure"}) {
    lines.push_back(std::string(R"({"type":"run","agent_id":"a","status":")") + s + "\"}");
    lines.push_back(std::string(R"({"type":"llm_call","agent_id":"a","model":"m","status":")") + s +
                    "\"}");
  }
  for (const char* s : {"success", "failure", "timeout"}) {
    lines.push_back(
        std::string(R"({"type":"tool_call","agent_id":"a","tool_name":"t","status":")") + s +
        "\"}");
  }
  for (const char* s : {"completed", "tool_call_failed", "hallucination", "recovery", "max_steps",
                        "safety_blocked"}) {
    lines.push_back(std::string(R"({"type":"step","agent_id":"a","outcome":")") + s + "\"}");
  }
  for (const char* s : {"approved", "denied", "timeout", "overridden"}) {
    lines.push_back(std::string(R"({"type":"approval","agent_id":"a","result":")") + s + "\"}");
  }
  for (const char* s : {"completed", "failed", "abandoned", "escalated"}) {
    lines.push_back(std::string(R"({"type":"task","agent_id":"a","task_type":"t","outcome":")") +
                    s + "\"}");
  }
  TestedParser p;
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    MustParse(p, line);
  }
}

struct RejectCase {
  std::string name;
  std::string line;
  RejectReason want;
  std::string detail;  // substring of ParseError::detail
};

TEST(EventParserTest, RejectsWithReason) {
  const std::vector<RejectCase> cases = {
      // invalid_json
      {"empty", "", RejectReason::kInvalidJson, "empty"},
      {"not an object", R"([{"type":"run"}])", RejectReason::kInvalidJson, "not a JSON object"},
      {"string root", R"("run")", RejectReason::kInvalidJson, "not a JSON object"},
      {"truncated", R"({"type":"run","agent_id":"a")", RejectReason::kInvalidJson, "malformed"},
      {"trailing object", R"({"type":"step","agent_id":"a","outcome":"recovery"} {})",
       RejectReason::kInvalidJson, "trailing"},
      {"trailing brace", R"({"type":"step","agent_id":"a","outcome":"recovery"}})",
       RejectReason::kInvalidJson, "trailing"},
      {"trailing garbage", R"({"type":"step","agent_id":"a","outcome":"recovery"} x)",
       RejectReason::kInvalidJson, "malformed"},
      {"trailing comma", R"({"type":"step","agent_id":"a",})", RejectReason::kInvalidJson, ""},
      {"bad escape", R"({"type":"step","agent_id":"a\q"})", RejectReason::kInvalidJson, "string"},
      {"bad literal in unknown field", R"({"type":"step","agent_id":"a","x":tru})",
       RejectReason::kInvalidJson, "literal"},
      {"bad literal deep in unknown field",
       R"({"type":"step","agent_id":"a","outcome":"recovery","x":[1,{"y":nul}]})",
       RejectReason::kInvalidJson, "literal"},
      {"bad number in unknown field", R"({"x":01,"type":"step","agent_id":"a"})",
       RejectReason::kInvalidJson, "number"},
      {"bad number in known field", R"({"type":"run","agent_id":"a","duration_ms":-})",
       RejectReason::kInvalidJson, "number"},
      {"malformed value of wrong type", R"({"type":"run","agent_id":"a","status":[1,]})",
       RejectReason::kInvalidJson, ""},
      {"missing colon", R"({"type" "run"})", RejectReason::kInvalidJson, ""},
      {"too deep",
       R"({"type":"step","agent_id":"a","outcome":"recovery","x":)" + std::string(100, '[') +
           std::string(100, ']') + "}",
       RejectReason::kInvalidJson, "deeper"},
      // invalid_utf8
      {"bad utf8 in value", "{\"type\":\"step\",\"agent_id\":\"a\xff\"}",
       RejectReason::kInvalidUtf8, "UTF-8"},
      {"overlong", "{\"type\":\"step\",\"agent_id\":\"\xc0\xaf\"}", RejectReason::kInvalidUtf8,
       "UTF-8"},
      {"surrogate bytes", "{\"x\":\"\xed\xa0\x80\"}", RejectReason::kInvalidUtf8, ""},
      // unknown_type
      {"unknown type", R"({"type":"foo","agent_id":"a"})", RejectReason::kUnknownType,
       R"(unknown event type "foo")"},
      {"type case matters", R"({"type":"Run","agent_id":"a","status":"success"})",
       RejectReason::kUnknownType, "\"Run\""},
      // missing_field
      {"no type", R"({"agent_id":"a"})", RejectReason::kMissingField, R"(missing field "type")"},
      {"empty type", R"({"type":"","agent_id":"a"})", RejectReason::kMissingField, "\"type\""},
      {"no agent", R"({"type":"step","outcome":"recovery"})", RejectReason::kMissingField,
       R"(missing field "agent_id")"},
      {"empty agent", R"({"type":"step","agent_id":"","outcome":"recovery"})",
       RejectReason::kMissingField, "agent_id"},
      {"no tool_name", R"({"type":"tool_call","agent_id":"a","status":"success"})",
       RejectReason::kMissingField, R"(missing field "tool_name")"},
      {"no run status", R"({"type":"run","agent_id":"a"})", RejectReason::kMissingField, "status"},
      {"no model", R"({"type":"llm_call","agent_id":"a","input_tokens":3})",
       RejectReason::kMissingField, "model"},
      {"no outcome", R"({"type":"step","agent_id":"a"})", RejectReason::kMissingField, "outcome"},
      {"no hallucination_type", R"({"type":"hallucination","agent_id":"a"})",
       RejectReason::kMissingField, "hallucination_type"},
      {"no strategy", R"({"type":"recovery","agent_id":"a","strategy":""})",
       RejectReason::kMissingField, "strategy"},
      {"no result", R"({"type":"approval","agent_id":"a"})", RejectReason::kMissingField, "result"},
      {"no task_type", R"({"type":"task","agent_id":"a","outcome":"failed"})",
       RejectReason::kMissingField, "task_type"},
      {"no score", R"({"type":"feedback","agent_id":"a"})", RejectReason::kMissingField, "score"},
      {"no evaluator", R"({"type":"eval","agent_id":"a","score":0.5})", RejectReason::kMissingField,
       "evaluator"},
      // wrong_type
      {"number type", R"({"type":1,"agent_id":"a"})", RejectReason::kWrongType,
       R"(field "type" must be a string)"},
      {"null agent", R"({"type":"step","agent_id":null,"outcome":"recovery"})",
       RejectReason::kWrongType, "agent_id"},
      {"string duration", R"({"type":"run","agent_id":"a","status":"success","duration_ms":"5"})",
       RejectReason::kWrongType, R"(field "duration_ms" must be a number)"},
      {"object model", R"({"type":"llm_call","agent_id":"a","model":{"name":"m"}})",
       RejectReason::kWrongType, "model"},
      {"bool score", R"({"type":"eval","agent_id":"a","evaluator":"e","score":true})",
       RejectReason::kWrongType, "score"},
      {"array ts", R"({"type":"step","agent_id":"a","outcome":"recovery","ts":[1]})",
       RejectReason::kWrongType, "ts"},
      {"numeric trace id", R"({"type":"step","agent_id":"a","outcome":"recovery","trace_id":1})",
       RejectReason::kWrongType, "trace_id"},
      // invalid_value
      {"negative duration", R"({"type":"run","agent_id":"a","status":"success","duration_ms":-1})",
       RejectReason::kInvalidValue, R"(field "duration_ms" must be a non-negative number)"},
      {"negative cost",
       R"({"type":"task","agent_id":"a","task_type":"t","outcome":"failed",)"
       R"("cost_usd":-0.5})",
       RejectReason::kInvalidValue, "cost_usd"},
      {"fractional tokens", R"({"type":"llm_call","agent_id":"a","model":"m","input_tokens":1.5})",
       RejectReason::kInvalidValue, R"(field "input_tokens" must be a non-negative integer)"},
      {"fractional steps", R"({"type":"run","agent_id":"a","status":"success","steps":0.1})",
       RejectReason::kInvalidValue, "steps"},
      {"huge number", R"({"type":"run","agent_id":"a","status":"success","duration_ms":1e400})",
       RejectReason::kInvalidValue, "duration_ms"},
      {"score above 1", R"({"type":"feedback","agent_id":"a","score":1.01})",
       RejectReason::kInvalidValue, "score"},
      {"score below 0", R"({"type":"eval","agent_id":"a","evaluator":"e","score":-0.1})",
       RejectReason::kInvalidValue, "score"},
      {"bad run status", R"({"type":"run","agent_id":"a","status":"ok"})",
       RejectReason::kInvalidValue, R"(field "status" must be one of success, failure (got "ok"))"},
      {"timeout is not a run status", R"({"type":"run","agent_id":"a","status":"timeout"})",
       RejectReason::kInvalidValue, "status"},
      {"empty llm status", R"({"type":"llm_call","agent_id":"a","model":"m","status":""})",
       RejectReason::kInvalidValue, "status"},
      {"bad step outcome", R"({"type":"step","agent_id":"a","outcome":"failed"})",
       RejectReason::kInvalidValue, "outcome"},
      {"bad task outcome",
       R"({"type":"task","agent_id":"a","task_type":"t","outcome":"max_steps"})",
       RejectReason::kInvalidValue, "outcome"},
      {"bad approval", R"({"type":"approval","agent_id":"a","result":"APPROVED"})",
       RejectReason::kInvalidValue, "result"},
      {"short trace id", R"({"type":"step","agent_id":"a","outcome":"recovery","trace_id":"abc"})",
       RejectReason::kInvalidValue, R"(field "trace_id" must be 32 hex digits)"},
      {"zero trace id",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("trace_id":"00000000000000000000000000000000"})",
       RejectReason::kInvalidValue, "trace_id"},
      {"non-hex trace id",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e473g"})",
       RejectReason::kInvalidValue, "trace_id"},
      {"zero span id",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("span_id":"0000000000000000"})",
       RejectReason::kInvalidValue, R"(field "span_id" must be 16 hex digits)"},
      {"long span id",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("span_id":"00f067aa0ba902b70"})",
       RejectReason::kInvalidValue, "span_id"},
      {"bad ts", R"({"type":"step","agent_id":"a","outcome":"recovery","ts":"yesterday"})",
       RejectReason::kInvalidValue, R"(field "ts" must be an RFC 3339)"},
      {"ts without zone",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("ts":"2026-11-22T03:59:13"})",
       RejectReason::kInvalidValue, "ts"},
      {"ts Feb 30",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("ts":"2026-02-30T03:59:13Z"})",
       RejectReason::kInvalidValue, "ts"},
      {"ts hour 24",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("ts":"2026-02-03T24:00:00Z"})",
       RejectReason::kInvalidValue, "ts"},
      {"ts empty fraction",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("ts":"2026-02-03T04:00:00.Z"})",
       RejectReason::kInvalidValue, "ts"},
      {"ts before 1970",
       R"({"type":"step","agent_id":"a","outcome":"recovery",)"
       R"("ts":"1969-12-31T23:59:59Z"})",
       RejectReason::kInvalidValue, "ts"},
      {"negative ts", R"({"type":"step","agent_id":"a","outcome":"recovery","ts":-1})",
       RejectReason::kInvalidValue, "ts"},
  };
  TestedParser p(1 << 20);
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(c.name);
    AgentEvent e;
    const ParseError err = p.Parse(c.line, &e);
    EXPECT_EQ(RejectReasonName(err.reason), RejectReasonName(c.want)) << err.detail;
    EXPECT_THAT(std::string(err.detail), HasSubstr(c.detail));
    EXPECT_FALSE(err.detail.empty());
    EXPECT_EQ(Describe(e), Describe(AgentEvent{})) << "a rejected line leaves an empty event";
  }
}

// Finding 9 of the security review: 1.7e308 tokens (cost, steps) sent twice made counters
// and a histogram sum +Inf for good. Each number has a maximum per event (docs/events.md,
// "Maxima"), the same on both paths; at the maximum a value is accepted.
TEST(EventParserTest, NumbersOverTheirMaximumAreRejected) {
  const std::string llm = R"({"type":"llm_call","agent_id":"a","model":"m",)";
  const std::string run = R"({"type":"run","agent_id":"a","status":"success",)";
  const std::string task = R"({"type":"task","agent_id":"a","task_type":"t","outcome":"failed",)";
  const std::string usage = R"({"type":"usage","agent_id":"a","model":"m",)";
  const std::string tool = R"({"type":"tool_call","agent_id":"a","tool_name":"t","status":"success",)";
  struct Case {
    std::string line;
    std::string_view detail;
  };
  const std::vector<Case> over = {
      {llm + R"("input_tokens":1.7e308})",
       R"(field "input_tokens" must be at most 1000000000 per event)"},
      {llm + R"("input_tokens":1000000001})", R"("input_tokens" must be at most 1000000000)"},
      {llm + R"("output_tokens":18446744073709551616})", R"("output_tokens" must be at most)"},
      {llm + R"("cache_read_tokens":1e10})", R"("cache_read_tokens" must be at most)"},
      {llm + R"("cache_creation_tokens":2000000000})", R"("cache_creation_tokens" must be)"},
      {llm + R"("cost_usd":1000000.01})", R"(field "cost_usd" must be at most 1000000 per event)"},
      {llm + R"("cost_usd":1.7e308})", R"("cost_usd" must be at most 1000000)"},
      {llm + R"("duration_ms":31536000000.5})",
       R"(field "duration_ms" must be at most 31536000000 (365 days) per event)"},
      {llm + R"("step":1000001})", R"(field "step" must be at most 1000000 per event)"},
      {usage + R"("input_tokens":1.7e308})", R"("input_tokens" must be at most)"},
      {usage + R"("cost_usd":1e7})", R"("cost_usd" must be at most)"},
      {run + R"("steps":18446744073709551616})", R"(field "steps" must be at most 1000000)"},
      {run + R"("steps":1000001})", R"("steps" must be at most 1000000)"},
      {run + R"("tool_calls":1e300})", R"(field "tool_calls" must be at most 1000000)"},
      {run + R"("duration_ms":1.7e308})", R"("duration_ms" must be at most)"},
      {tool + R"("duration_ms":99999999999})", R"("duration_ms" must be at most)"},
      {task + R"("cost_usd":1000001})", R"("cost_usd" must be at most 1000000)"},
  };
  TestedParser p;
  for (const Case& c : over) {
    SCOPED_TRACE(c.line);
    AgentEvent e;
    const ParseError err = p.Parse(c.line, &e);
    EXPECT_EQ(RejectReasonName(err.reason), "invalid_value");
    EXPECT_THAT(std::string(err.detail), HasSubstr(c.detail));
  }
  // At the maxima: accepted, exactly.
  AgentEvent e = MustParse(
      p, llm + R"("input_tokens":1000000000,"output_tokens":1e9,"cache_read_tokens":1000000000,)"
               R"("cache_creation_tokens":1000000000,"cost_usd":1000000,)"
               R"("duration_ms":31536000000,"step":1000000})");
  EXPECT_EQ(e.input_tokens, 1e9);
  EXPECT_EQ(e.output_tokens, 1e9);
  EXPECT_EQ(e.cost_usd, 1e6);
  EXPECT_EQ(e.duration_ms, 31536000000.0);
  EXPECT_EQ(e.step, 1e6);
  e = MustParse(p, run + R"("steps":1000000,"tool_calls":1e6,"duration_ms":3.1536e10})");
  EXPECT_EQ(e.steps, 1e6);
  EXPECT_EQ(e.tool_calls, 1e6);
  // Fields of another type are ignored whatever their value, maxima included.
  e = MustParse(p, run + R"("input_tokens":1e300,"cost_usd":1e300})");
  EXPECT_LT(e.input_tokens, 0);
}

TEST(EventParserTest, RejectsLinesOverTheLimit) {
  TestedParser p(64);
  const std::string ok = R"({"type":"step","agent_id":"a","outcome":"recovery"})";
  std::string line = ok + std::string(64 - ok.size(), ' ');
  ASSERT_EQ(line.size(), 64u);
  MustParse(p, line);
  AgentEvent e;
  ParseError err = p.Parse(line + " ", &e);
  EXPECT_EQ(err.reason, RejectReason::kLineTooLong);
  EXPECT_THAT(std::string(err.detail), HasSubstr("65 bytes"));
  err = p.Parse(std::string(10000, 'x'), &e);
  EXPECT_EQ(err.reason, RejectReason::kLineTooLong);
  // The parser is still usable afterwards.
  MustParse(p, ok);
}

TEST(EventParserTest, UnknownTypeNameIsCutInTheDetail) {
  TestedParser p;
  AgentEvent e;
  const std::string name(500, 'z');
  const ParseError err = p.Parse(R"({"agent_id":"a","type":")" + name + "\"}", &e);
  EXPECT_EQ(err.reason, RejectReason::kUnknownType);
  EXPECT_LT(err.detail.size(), 100u);
  EXPECT_THAT(std::string(err.detail), HasSubstr(std::string(64, 'z') + "...\""));
}

TEST(EventParserTest, FieldOrderDoesNotMatter) {
  TestedParser p;
  const AgentEvent a = MustParse(
      p,
      R"({"type":"tool_call","agent_id":"x","tool_name":"t","status":"success","duration_ms":5})");
  const std::string want = Describe(a);
  const AgentEvent b = MustParse(
      p,
      R"({"duration_ms":5,"status":"success","tool_name":"t","agent_id":"x","type":"tool_call"})");
  EXPECT_EQ(Describe(b), want);
  const AgentEvent c = MustParse(
      p, R"({ "status" : "success" , "type":"tool_call", "duration_ms":5, "agent_id":"x",)"
         R"( "tool_name":"t" })");
  EXPECT_EQ(Describe(c), want);
}

TEST(EventParserTest, IgnoresUnknownFieldsAndFieldsOfOtherTypes) {
  TestedParser p;
  const AgentEvent e = MustParse(
      p, R"({"v":1,"type":"tool_call","meta":{"a":[1,2.5,{"b":null}],"c":true},"agent_id":"x",)"
         R"("tags":[],"tool_name":"t","status":"success","model":5,"score":"high",)"
         R"("outcome":"nonsense","input_tokens":-3,"extra":"\u00e9"})");
  EXPECT_EQ(e.type, EventType::kToolCall);
  EXPECT_EQ(e.tool_name, "t");
  EXPECT_TRUE(e.model.empty());
  EXPECT_TRUE(e.outcome.empty());
  EXPECT_LT(e.score, 0);
  EXPECT_LT(e.input_tokens, 0);
}

TEST(EventParserTest, DuplicateKeysLastWins) {
  TestedParser p;
  const AgentEvent e = MustParse(
      p,
      R"({"type":"run","agent_id":"first","agent_id":"second","status":"ok","status":"failure"})");
  EXPECT_EQ(e.agent_id, "second");
  EXPECT_EQ(e.status, "failure");
}

TEST(EventParserTest, DecodesEscapedStrings) {
  TestedParser p;
  const AgentEvent e =
      MustParse(p, R"({"type":"tool_call","agent_id":"caf\u00e9","tool_name":"say \"hi\"\\\n",)"
                   R"("status":"success","t\u0079pe":"tool_call"})");
  EXPECT_EQ(e.agent_id, "caf\xc3\xa9");
  EXPECT_EQ(e.tool_name, "say \"hi\"\\\n");
}

// A key spelled with an escape is not matched raw: it is unescaped and looked up by name
// (FindField, from the field table), so it counts as the same field.
TEST(EventParserTest, KeysSpelledWithEscapesAreKnown) {
  TestedParser p;
  const AgentEvent e = MustParse(
      p, R"({"\u0074ype":"llm_call","\u0061gent_id":"a","mode\u006c":"m","\u0073tatus":"failure",)"
         R"("input_tokens\u0020":1,"input\u005ftokens":3,"c\u0061che_creation_tokens":4})");
  EXPECT_EQ(e.type, EventType::kLlmCall);
  EXPECT_EQ(e.agent_id, "a");
  EXPECT_EQ(e.model, "m");
  EXPECT_EQ(e.status, "failure");
  EXPECT_EQ(e.input_tokens, 3);
  EXPECT_EQ(e.cache_creation_tokens, 4);
}

TEST(EventParserTest, AcceptsCrLfAndSurroundingSpace) {
  TestedParser p;
  AgentEvent e =
      MustParse(p, "{\"type\":\"recovery\",\"agent_id\":\"a\",\"strategy\":\"retry\"}\r");
  EXPECT_EQ(e.strategy, "retry");
  e = MustParse(p, "  {\"type\":\"recovery\",\"agent_id\":\"a\",\"strategy\":\"retry\"} \t\r");
  EXPECT_EQ(e.strategy, "retry");
  AgentEvent bad;
  EXPECT_EQ(
      p.Parse("{\"type\":\"recovery\",\"agent_id\":\"a\",\"strategy\":\"r\"}\r\r", &bad).reason,
      RejectReason::kNone)
      << "a second CR is JSON whitespace";
}

TEST(EventParserTest, LowercasesTraceAndSpanIds) {
  TestedParser p;
  const AgentEvent e = MustParse(
      p, R"({"type":"step","agent_id":"a","outcome":"recovery",)"
         R"("trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00F067AA0BA902B7"})");
  EXPECT_EQ(e.trace_id, kTrace);
  EXPECT_EQ(e.span_id, kSpan);
}

TEST(EventParserTest, ParsesNumberForms) {
  TestedParser p;
  AgentEvent e = MustParse(
      p, R"({"type":"llm_call","agent_id":"a","model":"m","duration_ms":1e3,)"
         R"("input_tokens":1000000000,"output_tokens":2E2,"cost_usd":0.5,"step":-0})");
  EXPECT_EQ(e.duration_ms, 1000);
  EXPECT_EQ(e.input_tokens, 1e9);  // the maximum
  EXPECT_EQ(e.output_tokens, 200);
  EXPECT_EQ(e.cost_usd, 0.5);
  EXPECT_EQ(e.step, 0);
  e = MustParse(p, R"({"type":"feedback","agent_id":"a","score":0.5})");
  EXPECT_EQ(e.score, 0.5);
  e = MustParse(p, R"({"type":"feedback","agent_id":"a","score":0})");
  EXPECT_EQ(e.score, 0);
}

TEST(EventParserTest, ParsesTimestamps) {
  struct Case {
    std::string ts;
    double want;
  };
  const std::vector<Case> cases = {
      {R"("2026-11-22T03:59:13.123Z")", kTs},
      {R"("2026-11-22T03:59:13Z")", 1795319953},
      {R"("2026-11-22t03:59:13z")", 1795319953},
      {R"("2026-11-22 03:59:13Z")", 1795319953},
      {R"("2026-11-22T03:59:13+02:00")", 1795312753},
      {R"("2026-11-22T03:59:13.5-00:30")", 1795321753.5},
      {R"("2024-02-29T00:00:00.000000001Z")", 1709164800.000000001},
      {R"("1970-01-01T00:00:00Z")", 0},
      {"1795319953", 1795319953},
      {"1795319953.25", 1795319953.25},
      {"1.7e9", 1.7e9},
  };
  TestedParser p;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ts);
    const AgentEvent e =
        MustParse(p, R"({"type":"step","agent_id":"a","outcome":"recovery","ts":)" + c.ts + "}");
    EXPECT_NEAR(e.ts, c.want, 1e-6);
  }
}

// Every example event in docs/events.md parses, and there is one for each type.
TEST(EventParserTest, DocumentedExamplesAreValid) {
  std::ifstream in(std::string(AGX_SOURCE_DIR) + "/docs/events.md");
  ASSERT_TRUE(in) << "docs/events.md not found";
  TestedParser p;
  std::set<EventType> seen;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("{\"type\":", 0) != 0) continue;
    SCOPED_TRACE(line);
    seen.insert(MustParse(p, line).type);
  }
  EXPECT_EQ(seen.size(), kEventTypeCount);
}

TEST(EventParserTest, NamesRoundTrip) {
  for (std::size_t i = 0; i < kEventTypeCount; ++i) {
    const auto t = static_cast<EventType>(i);
    EventType back = EventType::kCount;
    ASSERT_TRUE(ParseEventType(EventTypeName(t), &back)) << EventTypeName(t);
    EXPECT_EQ(back, t);
  }
  EventType t;
  EXPECT_FALSE(ParseEventType("LLM_CALL", &t));
  EXPECT_FALSE(ParseEventType("", &t));
  EXPECT_EQ(EventTypeName(EventType::kLlmCall), "llm_call");
  EXPECT_EQ(EventTypeName(EventType::kToolCall), "tool_call");
  EXPECT_EQ(EventTypeName(EventType::kEval), "eval");
  const std::vector<std::string_view> reasons = {"invalid_json", "invalid_utf8",  "line_too_long",
                                                 "unknown_type", "missing_field", "wrong_type",
                                                 "invalid_value", "too_many_attributes"};
  for (std::size_t i = 1; i < kRejectReasonCount; ++i) {
    EXPECT_EQ(RejectReasonName(static_cast<RejectReason>(i)), reasons[i - 1]);
  }
}

// Not compiled under AddressSanitizer, which owns operator new (the normal build runs it).
#ifndef AGX_ASAN
TEST(EventParserTest, WarmParserDoesNotAllocate) {
  const std::vector<std::string> lines = {
      R"({"type":"llm_call","agent_id":"planner","model":"gpt-4o-mini","input_tokens":1200,)"
      R"("output_tokens":350,"trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736",)"
      R"("ts":"2026-11-22T03:59:13.123Z","meta":{"k":[1,2,"v\u00e9"]}})",
      R"({"type":"tool_call","agent_id":"planner","tool_name":"search","status":"bogus"})",
      R"({"type":"nope","agent_id":"x"})",
      R"({"type":"run","agent_id":"a","status":"success"} trailing)",
      "{\"type\":\"\xff\"}",
  };
  TestedParser p;
  AgentEvent e;
  const long start = g_allocations.load();
  for (const std::string& l : lines) (void)p.Parse(l, &e);  // warm up
  const long before = g_allocations.load();
  EXPECT_GT(before - start, 0) << "the counter sees the buffers grow";
  for (int i = 0; i < 1000; ++i) {
    for (const std::string& l : lines) (void)p.Parse(l, &e);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}
#endif  // AGX_ASAN

// One parser over thousands of mixed lines gives the same results as a fresh parser per
// line: nothing from line N shows up on line N+1.
TEST(EventParserTest, ReuseDoesNotLeakStateBetweenLines) {
  const std::vector<std::string> lines = {
      R"({"type":"llm_call","agent_id":"a","model":"big-model","input_tokens":10,)"
      R"("trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7","ts":5})",
      R"({"type":"llm_call","agent_id":"b","model":"m"})",
      R"({"type":"tool_call","agent_id":"c","tool_name":"t","status":"failure"})",
      R"({"type":"tool_call","agent_id":"c","status":"failure"})",
      R"({"type":"run","agent_id":"d","status":"success","steps":3,"conversation_id":"x"})",
      R"({"type":"run","agent_id":"d"})",
      R"({"type":"feedback","agent_id":"e","score":0.25})",
      R"({"type":"task","agent_id":"f","task_type":"t","outcome":"failed","cost_usd":1})",
      R"({"type":"task","agent_id":"f","task_type":"t","outcome":"failed","cost_usd":"1"})",
      R"({"type":"eval","agent_id":"g","evaluator":"e","score":2})",
      R"({"type":"nope","agent_id":"g"})",
      R"({"type":"step","agent_id":"h","outcome":"max_steps","x":[{"y":[1,2,3]}]})",
      R"({"type":"step","agent_id":"h","outcome":"max_steps","x":[{"y":[1,2,3]})",
      "{\"type\":\"step\",\"agent_id\":\"\xff\"}",
      R"({"type":"approval","agent_id":"i","result":"approved","trace_id":"abc"})",
      R"({"type":"hallucination","agent_id":"j","hallucination_type":"h"})",
      R"({"type":"recovery","agent_id":"k","strategy":"s","ts":"2026-11-22T03:59:13Z"})",
      std::string(300, ' '),
      R"({"agent_id":"l"})",
      "",
  };
  // Expected results from a fresh parser per line.
  std::vector<std::string> want;
  for (const std::string& l : lines) {
    TestedParser fresh(256);
    AgentEvent e;
    const ParseError err = fresh.Parse(l, &e);
    want.push_back(std::string(RejectReasonName(err.reason)) + "|" + std::string(err.detail) + "|" +
                   Describe(e));
  }
  TestedParser p(256);
  std::uint32_t seed = 12345;
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t k = (seed >> 16) % lines.size();
    AgentEvent e;
    const ParseError err = p.Parse(lines[k], &e);
    const std::string got = std::string(RejectReasonName(err.reason)) + "|" +
                            std::string(err.detail) + "|" + Describe(e);
    ASSERT_EQ(got, want[k]) << "iteration " << i << " line " << k;
    accepted += err.reason == RejectReason::kNone;
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_LT(accepted, 4000);
}

// `levels` of objects in an ignored field, the line's object counted as the first.
std::string NestedLine(int levels) {
  std::string v;
  for (int i = 1; i < levels; ++i) v += "{\"a\":";
  v += "1";
  for (int i = 1; i < levels; ++i) v += "}";
  return R"({"type":"run","agent_id":"a","status":"success","x":)" + v + "}";
}

TEST(EventParserTest, NestingLimitIsExactAndConfigurable) {
  TestedParser p;
  AgentEvent e;
  EXPECT_EQ(p.Parse(NestedLine(EventParser::kDefaultMaxDepth), &e).reason, RejectReason::kNone);
  ParseError err = p.Parse(NestedLine(EventParser::kDefaultMaxDepth + 1), &e);
  EXPECT_EQ(err.reason, RejectReason::kInvalidJson);
  EXPECT_EQ(err.detail, "malformed JSON: nested deeper than 64 levels");
  p.set_max_depth(3);
  EXPECT_EQ(p.Parse(NestedLine(3), &e).reason, RejectReason::kNone);
  err = p.Parse(NestedLine(4), &e);
  EXPECT_EQ(err.reason, RejectReason::kInvalidJson);
  EXPECT_EQ(err.detail, "malformed JSON: nested deeper than 3 levels");
  p.set_max_depth(1);  // flat objects only
  EXPECT_EQ(p.Parse(NestedLine(1), &e).reason, RejectReason::kNone);
  EXPECT_EQ(p.Parse(NestedLine(2), &e).reason, RejectReason::kInvalidJson);
  EXPECT_EQ(p.Parse(R"({"type":"run","agent_id":"a","status":"success","x":[]})", &e).reason,
            RejectReason::kInvalidJson);
}

}  // namespace
}  // namespace agx
