// Each mapping rule of the Claude Code mapper (docs/transcripts.md, "Claude Code") on small
// lines shaped like those of Claude Code 2.1.337, plus bounds, Save/Load and hostile lines.
// Every event produced is checked by the real native EventParser (claude_code_testutil.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "transcript/claude_code_testutil.h"

namespace agx::transcript {
namespace {

using nlohmann::json;
using testing::Feeder;
using testing::Sum;

constexpr const char* kSonnet = "claude-sonnet-4-5-20250929";

std::string Ts(int ms) {  // 2026-12-08T00:00:00.000Z + ms
  char b[40];
  std::snprintf(b, sizeof b, "2026-12-08T00:%02d:%02d.%03dZ", ms / 60000, ms / 1000 % 60, ms % 1000);
  return b;
}

json Base(const char* type, int ms) {
  return {{"type", type}, {"timestamp", Ts(ms)}, {"cwd", "/home/me/src/shop"},
          {"isSidechain", false}, {"uuid", "u-" + std::to_string(ms)}, {"sessionId", "s-1"}};
}

std::string Prompt(int ms, const std::string& text = "fix the bug") {
  json l = Base("user", ms);
  l["message"] = {{"role", "user"}, {"content", text}};
  l["promptSource"] = "user";
  return l.dump();
}

std::string Request(int ms, const std::string& model = kSonnet) {
  return json{{"type", "api-request"}, {"timestamp", Ts(ms)}, {"params", {{"model", model}}}}.dump();
}

json Usage(double in, double out, double cr = 0, double cc = 0) {
  return {{"input_tokens", in}, {"output_tokens", out}, {"cache_read_input_tokens", cr},
          {"cache_creation_input_tokens", cc}, {"service_tier", "standard"}};
}

std::string Assistant(int ms, const std::string& id, const char* stop, json usage,
                      json content = json::array({{{"type", "text"}, {"text", "ok"}}}),
                      const std::string& model = kSonnet) {
  json l = Base("assistant", ms);
  l["message"] = {{"id", id}, {"model", model}, {"role", "assistant"},
                  {"stop_reason", stop == nullptr ? json() : json(stop)},
                  {"usage", usage}, {"content", content}};
  l["requestId"] = "req_1";
  return l.dump();
}

json ToolUse(const std::string& id, const std::string& name) {
  return {{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", {{"command", "ls"}}}};
}

std::string Result(int ms, const std::string& id, json is_error) {
  json block = {{"tool_use_id", id}, {"type", "tool_result"}, {"content", "out"}};
  if (!is_error.is_null()) block["is_error"] = is_error;
  json l = Base("user", ms);
  l["message"] = {{"role", "user"}, {"content", json::array({block})}};
  return l.dump();
}

std::string ApiErrorSystem(int ms, const std::string& uuid) {
  json l = Base("system", ms);
  l["subtype"] = "api_error";
  l["uuid"] = uuid;
  l["error"] = {{"status", 529}};
  return l.dump();
}

std::string ApiErrorMessage(int ms, bool with_status) {
  json l = Base("assistant", ms);
  l["message"] = {{"id", "syn-" + std::to_string(ms)}, {"model", "<synthetic>"},
                  {"stop_reason", "stop_sequence"}, {"usage", Usage(0, 0)},
                  {"content", json::array({{{"type", "text"}, {"text", "API Error: 500"}}})}};
  l["isApiErrorMessage"] = true;
  if (with_status) l["apiErrorStatus"] = 500;
  return l.dump();
}

TEST(ClaudeCodeMapperTest, FirstSightingOfAMessageIsOneLlmCall) {
  Feeder f;
  f.Line(Request(1000));
  const auto ev = f.Line(Assistant(1400, "msg_1", "tool_use", Usage(100, 20, 300, 50),
                                   json::array({ToolUse("t1", "Bash")})));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "llm_call");
  EXPECT_EQ(ev[0]["agent_id"], "cc-shop");
  EXPECT_EQ(ev[0]["model"], kSonnet);
  EXPECT_EQ(ev[0]["input_tokens"], 100);
  EXPECT_EQ(ev[0]["output_tokens"], 20);
  EXPECT_EQ(ev[0]["cache_read_tokens"], 300);
  EXPECT_EQ(ev[0]["cache_creation_tokens"], 50);
  EXPECT_EQ(ev[0]["status"], "success");
  EXPECT_EQ(ev[0]["finish_reason"], "tool_use");
  EXPECT_EQ(ev[0]["duration_ms"], 400);  // from the api-request line
  EXPECT_DOUBLE_EQ(ev[0]["ts"].get<double>(), 1796688001.4);
  // Streamed copies of the same message (same final usage), in this file or another one.
  EXPECT_TRUE(f.Line(Assistant(1401, "msg_1", "tool_use", Usage(100, 20, 300, 50))).empty());
  EXPECT_TRUE(f.Line(Assistant(1402, "msg_1", "tool_use", Usage(100, 20, 300, 50)), 2).empty());
  EXPECT_EQ(f.Dropped(DropReason::kDuplicate), 2u);
  EXPECT_EQ(f.Dropped(DropReason::kIgnored), 1u);  // the api-request line
}

TEST(ClaudeCodeMapperTest, LatencyFallsBackToTheLastUserLineAndIsOmittedWhenNotDerivable) {
  Feeder f;
  EXPECT_FALSE(f.Line(Assistant(1000, "msg_0", "end_turn", Usage(1, 1)))[0].contains("duration_ms"));
  f.Line(Prompt(2000));
  EXPECT_EQ(f.Line(Assistant(2250, "msg_1", "end_turn", Usage(1, 1)))[0]["duration_ms"], 250);
  // Over an hour after the request: a gap, not a latency.
  f.Line(Request(3000));
  json far = json::parse(Assistant(0, "msg_2", "end_turn", Usage(1, 1)));
  far["timestamp"] = "2026-12-08T02:00:00Z";
  EXPECT_FALSE(f.Line(far.dump())[0].contains("duration_ms"));
}

TEST(ClaudeCodeMapperTest, UsageGrowthOfASeenMessageIsAPricedUsageEvent) {
  Feeder f;
  f.Line(Assistant(1000, "msg_1", nullptr, Usage(100, 1, 0, 0)));
  const auto ev = f.Line(Assistant(1100, "msg_1", "end_turn", Usage(100, 21, 0, 10)));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "usage");
  EXPECT_FALSE(ev[0].contains("input_tokens"));
  EXPECT_EQ(ev[0]["output_tokens"], 20);
  EXPECT_EQ(ev[0]["cache_creation_tokens"], 10);
  EXPECT_DOUBLE_EQ(ev[0]["cost_usd"].get<double>(), (20 * 15 + 10 * 3.75) / 1e6);
  // A model without a price: the growth is counted, no cost is made up.
  f.Line(Assistant(1200, "msg_2", nullptr, Usage(5, 1), json::array(), "other-model"));
  const auto unpriced = f.Line(Assistant(1300, "msg_2", "end_turn", Usage(5, 9), json::array(), "other-model"));
  ASSERT_EQ(unpriced.size(), 1u);
  EXPECT_FALSE(unpriced[0].contains("cost_usd"));
  // Totals equal the final usage of each message.
  const auto t = Sum(f.events);
  EXPECT_EQ((t.tokens.at({kSonnet, "output"})), 21);
  EXPECT_EQ((t.tokens.at({"other-model", "output"})), 9);
}

TEST(ClaudeCodeMapperTest, SyntheticMessagesAreNotCalls) {
  Feeder f;
  json l = json::parse(Assistant(1000, "x-1", "stop_sequence", Usage(0, 0)));
  l["message"]["model"] = "<synthetic>";
  EXPECT_TRUE(f.Line(l.dump()).empty());
  EXPECT_EQ(f.Dropped(DropReason::kSynthetic), 1u);
  // An API error message with neither an HTTP status nor an open request: no call either.
  EXPECT_TRUE(f.Line(ApiErrorMessage(2000, false)).empty());
  EXPECT_EQ(f.Dropped(DropReason::kSynthetic), 2u);
}

TEST(ClaudeCodeMapperTest, RetriedAndFinalApiErrorsAreFailedCallsAndTheFinalOneFailsTheRun) {
  Feeder f;
  f.Line(Prompt(1000));
  f.Line(Request(1100, "claude-opus-4-1"));
  auto ev = f.Line(ApiErrorSystem(1150, "e-1"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "llm_call");
  EXPECT_EQ(ev[0]["status"], "failure");
  EXPECT_EQ(ev[0]["model"], "claude-opus-4-1");  // the attempt's model
  EXPECT_EQ(ev[0]["duration_ms"], 50);
  EXPECT_TRUE(f.Line(ApiErrorSystem(1150, "e-1")).empty());  // the same line again
  EXPECT_EQ(f.Dropped(DropReason::kDuplicate), 1u);
  f.Line(Request(1700, "claude-opus-4-1"));
  ev = f.Line(ApiErrorMessage(1800, false));  // the request is still open: a failed call
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["status"], "failure");
  EXPECT_EQ(ev[1]["type"], "run");
  EXPECT_EQ(ev[1]["status"], "failure");
  EXPECT_EQ(ev[1]["duration_ms"], 800);
  EXPECT_EQ(ev[1]["steps"], 0);
  EXPECT_TRUE(f.Line(ApiErrorMessage(1800, false)).empty());  // seen again
  // With an HTTP status, a failed call even without an api-request line (older releases).
  Feeder g;
  EXPECT_EQ(g.Line(ApiErrorMessage(1000, true)).size(), 1u);
}

TEST(ClaudeCodeMapperTest, ToolResultsBecomeToolCallsWithStatusAndDuration) {
  Feeder f;
  f.Line(Assistant(1000, "msg_1", "tool_use", Usage(1, 1),
                   json::array({ToolUse("t1", "Bash"), ToolUse("t2", "Read"), ToolUse("t3", "Agent")})));
  // A streamed copy repeats the blocks: not remembered twice, the first time is kept.
  f.Line(Assistant(1900, "msg_1", "tool_use", Usage(1, 1), json::array({ToolUse("t1", "Bash")})));
  auto ev = f.Line(Result(1250, "t2", true));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "tool_call");
  EXPECT_EQ(ev[0]["tool_name"], "Read");
  EXPECT_EQ(ev[0]["status"], "failure");
  EXPECT_EQ(ev[0]["duration_ms"], 250);
  EXPECT_EQ(f.Line(Result(1300, "t1", false))[0]["status"], "success");
  EXPECT_EQ(f.Line(Result(1300, "t3", json()))[0]["status"], "success");  // is_error absent
  EXPECT_TRUE(f.Line(Result(1400, "t2", true)).empty());  // seen again
  EXPECT_EQ(f.Dropped(DropReason::kDuplicate), 2u);  // it and the streamed copy
  EXPECT_TRUE(f.Line(Result(1400, "never-asked", false)).empty());
  EXPECT_EQ(f.Dropped(DropReason::kIgnored), 1u);
}

TEST(ClaudeCodeMapperTest, ATurnFromPromptToFinalMessageIsARun) {
  Feeder f;
  f.Line(Prompt(1000));
  f.Line(Assistant(1500, "m1", "tool_use", Usage(1, 1), json::array({ToolUse("t1", "Bash")})));
  f.Line(Result(1600, "t1", true));
  f.Line(Assistant(2000, "m2", "tool_use", Usage(1, 1), json::array({ToolUse("t2", "Bash")})));
  f.Line(Result(2100, "t2", false));
  const auto ev = f.Line(Assistant(3000, "m3", "end_turn", Usage(1, 1)));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1]["type"], "run");
  EXPECT_EQ(ev[1]["agent_id"], "cc-shop");
  EXPECT_EQ(ev[1]["status"], "success");
  EXPECT_EQ(ev[1]["duration_ms"], 2000);
  EXPECT_EQ(ev[1]["steps"], 3);
  EXPECT_EQ(ev[1]["tool_calls"], 2);
  // The final message again (a copy, or a later line of it): no second run.
  f.Line(Prompt(4000));
  EXPECT_TRUE(f.Line(Assistant(4100, "m3", "end_turn", Usage(1, 1))).empty());
  // Any final stop reason ends a turn.
  EXPECT_EQ(f.Line(Assistant(4200, "m4", "max_tokens", Usage(1, 1))).size(), 2u);
  EXPECT_EQ(Sum(f.events).runs.at("success"), 2);
}

TEST(ClaudeCodeMapperTest, OnlyHumanPromptsOpenTurns) {
  auto runs_after = [](const std::string& opener) {
    Feeder f;
    f.Line(opener);
    f.Line(Assistant(5000, "m1", "end_turn", Usage(1, 1)));
    return Sum(f.events).runs.size();
  };
  EXPECT_EQ(runs_after(Prompt(1000)), 1u);
  json blocks = json::parse(Prompt(1000));
  blocks["message"]["content"] = json::array({{{"type", "text"}, {"text", "look"}},
                                               {{"type", "image"}, {"source", {}}}});
  EXPECT_EQ(runs_after(blocks.dump()), 1u);
  EXPECT_EQ(runs_after(Prompt(1000, "<command-name>/review</command-name>")), 1u);
  json meta = json::parse(Prompt(1000));
  meta["isMeta"] = true;
  EXPECT_EQ(runs_after(meta.dump()), 0u);
  json notification = json::parse(Prompt(1000, "<task-notification>done</task-notification>"));
  notification["promptSource"] = "system";
  notification["turnOrigin"] = "task_notification";
  EXPECT_EQ(runs_after(notification.dump()), 0u);
  EXPECT_EQ(runs_after(Prompt(1000, "<local-command-stdout>ok</local-command-stdout>")), 0u);
  json compact = json::parse(Prompt(1000, "summary of the conversation"));
  compact["isCompactSummary"] = true;
  EXPECT_EQ(runs_after(compact.dump()), 0u);
  json sidechain = json::parse(Prompt(1000));
  sidechain["isSidechain"] = true;
  EXPECT_EQ(runs_after(sidechain.dump()), 0u);
  EXPECT_EQ(runs_after(Result(1000, "t1", false)), 0u);
}

TEST(ClaudeCodeMapperTest, SubAgentFilesNeverCountRuns) {
  Feeder f;
  const std::string path = "/p/-x/s/subagents/agent-a1.jsonl";
  f.Line(Prompt(1000), 7, path);
  EXPECT_EQ(f.Line(Assistant(2000, "m1", "end_turn", Usage(1, 1)), 7, path).size(), 1u);
  EXPECT_EQ(f.Line(ApiErrorMessage(3000, true), 7, path).size(), 1u);  // the call, no run
  EXPECT_TRUE(Sum(f.events).runs.empty());
}

TEST(ClaudeCodeMapperTest, InterruptedTurnsAreNotRuns) {
  Feeder f;
  f.Line(Prompt(1000));
  f.Line(Assistant(1500, "m1", "tool_use", Usage(1, 1), json::array({ToolUse("t1", "Bash")})));
  json interrupted = json::parse(Result(1600, "t1", true));
  interrupted["message"]["content"].push_back(
      {{"type", "text"}, {"text", "[Request interrupted by user for tool use]"}});
  EXPECT_EQ(f.Line(interrupted.dump()).size(), 1u);  // the tool call counts
  f.Line(Assistant(1700, "m2", "end_turn", Usage(1, 1)));
  // A new prompt while a turn is open replaces it.
  f.Line(Prompt(2000));
  f.Line(Prompt(3000));
  f.Line(Assistant(3500, "m3", "end_turn", Usage(1, 1)));
  f.Line(Prompt(4000));
  f.Line(Prompt(4100, "[Request interrupted by user]"));
  f.Line(Assistant(4500, "m4", "end_turn", Usage(1, 1)));
  const auto t = Sum(f.events);
  EXPECT_EQ(t.runs.size(), 1u);
  EXPECT_EQ(t.runs.at("success"), 1);
  EXPECT_EQ((t.calls.at({kSonnet, "success"})), 4);
}

TEST(ClaudeCodeMapperTest, AgentIdTakesTheProjectFromCwd) {
  Feeder f;
  f.Line(Prompt(1000));
  EXPECT_TRUE(f.Line(Request(1100)).empty());
  // A line without cwd uses the file's last one.
  json no_cwd = json::parse(Assistant(1200, "m1", "end_turn", Usage(1, 1)));
  no_cwd.erase("cwd");
  EXPECT_EQ(f.Line(no_cwd.dump())[0]["agent_id"], "cc-shop");
  json other = json::parse(Assistant(1300, "m2", "end_turn", Usage(1, 1)));
  other["cwd"] = "/srv/" + std::string(300, 'x') + "/";
  const std::string agent = f.Line(other.dump())[0]["agent_id"];
  EXPECT_EQ(agent, "cc-" + std::string(128, 'x'));  // cut to the label limit
  // A template without {project}.
  MapperLimits limits = testing::TestLimits();
  limits.agent_id = "claude-code";
  Feeder g(limits);
  EXPECT_EQ(g.Line(Assistant(1300, "m2", "end_turn", Usage(1, 1)))[0]["agent_id"], "claude-code");
}

TEST(ClaudeCodeMapperTest, LabelsAreCutAtAUtf8Boundary) {
  Feeder f;
  const std::string model = std::string(127, 'm') + "\xc3\xa9" + "tail";  // é across byte 128
  const auto ev = f.Line(Assistant(1000, "m1", "tool_use", Usage(1, 1),
                                   json::array({ToolUse("t1", std::string(200, 'T'))}), model));
  EXPECT_EQ(ev[0]["model"], std::string(127, 'm'));
  EXPECT_EQ(f.Line(Result(1100, "t1", false))[0]["tool_name"], std::string(128, 'T'));
  // Empty names are "unknown" (the native events require them).
  f.Line(Assistant(2000, "m2", "tool_use", Usage(1, 1), json::array({ToolUse("t2", "")}), ""));
  EXPECT_EQ(f.events.back()["model"], "unknown");
  EXPECT_EQ(f.Line(Result(2100, "t2", false))[0]["tool_name"], "unknown");
}

TEST(ClaudeCodeMapperTest, NumbersOverTheNativeMaximaAreClampedNotRejected) {
  Feeder f;
  const auto ev = f.Line(Assistant(1000, "m1", "end_turn", Usage(1e15, 2.7, 18446744073709551616.0, 0)));
  ASSERT_EQ(ev.size(), 1u);  // and the EventParser accepted it (Feeder checks)
  EXPECT_EQ(ev[0]["input_tokens"], 1000000000);
  EXPECT_EQ(ev[0]["output_tokens"], 2);  // whole tokens
  EXPECT_EQ(ev[0]["cache_read_tokens"], 1000000000);
  // Growth past the maximum is not counted again.
  EXPECT_TRUE(f.Line(Assistant(1100, "m1", "end_turn", Usage(2e15, 2, 0, 0))).empty());
}

TEST(ClaudeCodeMapperTest, LinesThatAreNotTranscriptObjectsAreInvalid) {
  Feeder f;
  const std::string bad[] = {
      "", "not json", "[1,2]", "\"str\"", "{\"type\":\"user\"", "{\"type\":\"user\"} trailing",
      "{\"type\":5}", "{\"type\":\"\"}", "{\"no_type\":1}",
      "{\"type\":\"assistant\",\"message\":{\"id\":5,\"usage\":{}}}",
      "{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":\"5\"}}}",
      "{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":-5}}}",
      "{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":1e400}}}",
      "{\"type\":\"assistant\",\"message\":{\"id\":\"m\",\"model\":\"bad \xff\"}}",
      "{\"type\":\"user\",\"isSidechain\":\"no\",\"message\":{\"content\":\"hi\"}}",
      "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"is_error\":1}]}}",
      "{\"type\":\"user\",\"message\":\"hi\"}",
  };
  for (const std::string& l : bad) {
    SCOPED_TRACE(l);
    const std::uint64_t before = f.invalid;
    EXPECT_TRUE(f.Line(l).empty());
    EXPECT_EQ(f.invalid, before + 1);
  }
  // Wrong types in a line of a type that is not mapped do not matter: it is dropped.
  f.Line("{\"type\":\"attachment\",\"isSidechain\":\"no\",\"message\":5}");
  EXPECT_EQ(f.Dropped(DropReason::kIgnored), 1u);
}

TEST(ClaudeCodeMapperTest, KnownTypesAreIgnoredUnknownOnesCounted) {
  Feeder f;
  for (const char* type : {"summary", "file-history-snapshot", "queue-operation", "attachment",
                           "api-request-blob", "api-request-route", "api-request-shape",
                           "cost-state", "atis-latch", "last-prompt", "tools-used", "mode"}) {
    EXPECT_TRUE(f.Line(json{{"type", type}, {"modelUsage", {{"m", {{"inputTokens", 5}}}}}}.dump()).empty());
  }
  EXPECT_EQ(f.Dropped(DropReason::kIgnored), 12u);
  f.Line(json{{"type", "brand-new-type"}}.dump());
  EXPECT_EQ(f.Dropped(DropReason::kUnknownType), 1u);
  f.Line(json{{"type", "system"}, {"subtype", "informational"}}.dump());
  EXPECT_EQ(f.Dropped(DropReason::kIgnored), 13u);
}

TEST(ClaudeCodeMapperTest, HugeAndDeepLinesAreHandled) {
  Feeder f;
  json big = json::parse(Result(1000, "t1", false));
  big["message"]["content"][0]["content"] = std::string(8 << 20, 'x');
  big["toolUseResult"] = {{"stdout", std::string(1 << 20, 'y')}};
  f.Line(Assistant(900, "m1", "tool_use", Usage(1, 1), json::array({ToolUse("t1", "Bash")})));
  EXPECT_EQ(f.Line(big.dump()).size(), 1u);
  // Deep nesting in a value the mapper skips: no crash, one outcome (mapped or invalid).
  std::string deep = "{\"type\":\"assistant\",\"x\":";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}";
  const std::uint64_t before = f.invalid + f.Dropped(DropReason::kIgnored);
  f.Line(deep);
  EXPECT_EQ(f.invalid + f.Dropped(DropReason::kIgnored), before + 1);
}

TEST(ClaudeCodeMapperTest, MessagesAreForgottenOldestFirst) {
  MapperLimits limits = testing::TestLimits();
  limits.max_messages = 2;
  Feeder f(limits);
  for (const char* id : {"a", "b", "c"}) f.Line(Assistant(1000, id, "tool_use", Usage(1, 1)));
  EXPECT_EQ(f.mapper.Entries(), 3u);  // 2 messages + 1 file
  EXPECT_TRUE(f.Line(Assistant(1000, "c", "tool_use", Usage(1, 1))).empty());
  EXPECT_EQ(f.Line(Assistant(1000, "a", "tool_use", Usage(1, 1))).size(), 1u);  // counted again
  // Save/Load keeps the order: after loading, "c" is the oldest.
  Feeder g(limits);
  ASSERT_TRUE(g.mapper.Load(f.mapper.Save()).ok());
  g.Line(Assistant(1000, "d", "tool_use", Usage(1, 1)));
  EXPECT_EQ(g.Line(Assistant(1000, "c", "tool_use", Usage(1, 1))).size(), 1u);
  EXPECT_TRUE(g.Line(Assistant(1000, "d", "tool_use", Usage(1, 1))).empty());
}

TEST(ClaudeCodeMapperTest, PendingToolsAndFilesAreBounded) {
  MapperLimits limits = testing::TestLimits();
  limits.max_pending_tools = 1;
  limits.max_files = 1;
  Feeder f(limits);
  f.Line(Prompt(1000), 1);
  f.Line(Assistant(1100, "m1", "tool_use", Usage(1, 1),
                   json::array({ToolUse("t1", "Bash"), ToolUse("t2", "Read")})), 1);
  EXPECT_TRUE(f.Line(Result(1200, "t1", false), 1).empty());  // forgotten: not counted
  EXPECT_EQ(f.Line(Result(1200, "t2", false), 1).size(), 1u);
  f.Line(Prompt(1000), 2);  // a second file evicts the first one's state (its open turn)
  EXPECT_EQ(f.mapper.Entries(), 1u + 1u + 1u);
  EXPECT_EQ(f.Line(Assistant(2000, "m2", "end_turn", Usage(1, 1)), 1).size(), 1u);  // no run
  EXPECT_TRUE(Sum(f.events).runs.empty());
}

TEST(ClaudeCodeMapperTest, FileClosedForgetsTheFile) {
  Feeder f;
  f.Line(Prompt(1000), 3);
  f.mapper.FileClosed(1, 3);
  EXPECT_EQ(f.Line(Assistant(2000, "m1", "end_turn", Usage(1, 1)), 3).size(), 1u);
  EXPECT_TRUE(Sum(f.events).runs.empty());
}

TEST(ClaudeCodeMapperTest, LoadRefusesMalformedOrOtherVersionsAndKeepsTheState) {
  Feeder f;
  f.Line(Prompt(1000));
  f.Line(Assistant(1100, "m1", "tool_use", Usage(1, 1), json::array({ToolUse("t1", "Bash")})));
  const std::string saved = f.mapper.Save();
  ASSERT_TRUE(saved.starts_with("claude_code/1 "));
  const std::string bad[] = {
      "", "garbage", "claude_code/2 5", "claude_code/x 5", "claude_code/1", "claude_code/1 x",
      "claude_code/1 5 m:zz", "claude_code/1 5 m:" + std::string(32, '0') + ":1:2:3:4",
      "claude_code/1 5 t:" + std::string(32, '0') + ":1:2:Bash",
      "claude_code/1 5 t:" + std::string(32, '0') + ":1:0:B%Zh", "claude_code/1 5 f:1:2",
      "claude_code/1 5 q:1", saved + " m:" + std::string(32, '0') + ":1:1:1:1:999",
  };
  for (const std::string& s : bad) {
    SCOPED_TRACE(s);
    const Status st = f.mapper.Load(s);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(st.error().starts_with("claude_code mapper state: ")) << st.error();
    EXPECT_EQ(f.mapper.Save(), saved);
  }
  EXPECT_NE(f.mapper.Load("claude_code/2 5").error().find("version 2"), std::string::npos);
  // Names with spaces, colons, percent signs and non-ASCII bytes survive the round trip.
  Feeder g;
  g.Line(Assistant(1100, "m1", "tool_use", Usage(1, 1), json::array({ToolUse("t9", "a b:c%d\xc3\xa9")})));
  Feeder h;
  ASSERT_TRUE(h.mapper.Load(g.mapper.Save()).ok());
  EXPECT_EQ(h.Line(Result(1200, "t9", false))[0]["tool_name"], "a b:c%d\xc3\xa9");
}

}  // namespace
}  // namespace agx::transcript
