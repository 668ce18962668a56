// The Codex mapper's rules, one by one, on small synthetic transcripts shaped like the lines
// Codex CLI 0.171.0 writes (tests/transcripts/codex/recorded/ has the real ones).
#include <gtest/gtest.h>

#include "transcript/codex_mapper.h"
#include "transcript/codex_test_util.h"

namespace agx::transcript {
namespace {

using nlohmann::json;
using testing::Line;
using testing::Mapped;
using testing::MapLines;
using testing::Usage;

json TokenCount(const json& total, const json& last) {
  return {{"type", "token_count"},
          {"info", {{"total_token_usage", total}, {"last_token_usage", last}}},
          {"rate_limits", nullptr}};
}
json Record(const std::string& id, const json& usage, const json& thread) {
  return {{"response_id", id}, {"usage", usage}, {"thread_token_usage", thread}};
}
std::string Meta(const std::string& cwd = "/home/me/src/app") {
  return Line("session_meta", {{"id", "s1"}, {"cwd", cwd}, {"cli_version", "0.171.0"}});
}
std::string Ctx(const std::string& model, int ts = 0) {
  return Line("turn_context", {{"model", model}, {"cwd", "/home/me/src/app"}}, ts);
}
std::string Ev(const json& payload, int ts = 0) { return Line("event_msg", payload, ts); }
std::string Item(const json& payload, int ts = 0) { return Line("response_item", payload, ts); }

Mapped Map(const std::vector<std::string>& lines, MapperLimits limits = testing::DefaultLimits()) {
  CodexMapper mapper(std::move(limits));
  Mapped m;
  MapLines(mapper, lines, &m);
  return m;
}

TEST(CodexMapperTest, OlderVersionsCountEachGrowthOfTheTotalsOnce) {
  const Mapped m = Map({
      Meta(), Ctx("gpt-5"),
      Ev(TokenCount(Usage(1000, 200, 50, 20), Usage(1000, 200, 50, 20)), 100),
      Ev(TokenCount(Usage(1000, 200, 50, 20), Usage(1000, 200, 50, 20)), 200),  // repeat
      Ev(TokenCount(Usage(2500, 1200, 80, 20), Usage(1500, 1000, 30, 0)), 300),
  });
  ASSERT_EQ(m.events.size(), 2u) << m.text;
  EXPECT_EQ(m.Dropped(DropReason::kDuplicate), 1u);
  const json& a = m.events[0];
  EXPECT_EQ(a["type"], "llm_call");
  EXPECT_EQ(a["agent_id"], "codex-app");
  EXPECT_EQ(a["model"], "gpt-5");
  // OpenAI input includes cached tokens; output includes reasoning (not added again).
  EXPECT_EQ(a["input_tokens"], 800);
  EXPECT_EQ(a["cache_read_tokens"], 200);
  EXPECT_EQ(a["output_tokens"], 50);
  EXPECT_FALSE(a.contains("cache_creation_tokens"));
  EXPECT_EQ(a["status"], "success");
  EXPECT_EQ(m.events[1]["input_tokens"], 500);
  EXPECT_EQ(m.events[1]["cache_read_tokens"], 1000);
}

TEST(CodexMapperTest, CacheWriteTokensComeOutOfInputAsCacheCreation) {
  const Mapped m = Map({Ctx("gpt-6.2-sol"),
                        Ev(TokenCount(Usage(2000, 500, 10, 0, 300), Usage(2000, 500, 10, 0, 300)))});
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0]["input_tokens"], 1200);
  EXPECT_EQ(m.events[0]["cache_read_tokens"], 500);
  EXPECT_EQ(m.events[0]["cache_creation_tokens"], 300);
  EXPECT_EQ(m.events[0]["output_tokens"], 10);
}

TEST(CodexMapperTest, CachedAboveInputNeverMakesInputNegative) {
  const Mapped m = Map({Ctx("m"), Ev(TokenCount(Usage(100, 400, 10), Usage(100, 400, 10)))});
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0]["input_tokens"], 0);
  EXPECT_EQ(m.events[0]["cache_read_tokens"], 100);
}

TEST(CodexMapperTest, ModelOfTheTokenLineWinsOverTurnContext) {
  json tc = TokenCount(Usage(10, 0, 1), Usage(10, 0, 1));
  tc["info"]["model"] = "gpt-5-codex";
  const Mapped m = Map({Ctx("gpt-5"), Ev(tc)});
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0]["model"], "gpt-5-codex");
}

TEST(CodexMapperTest, WithoutLastUsageTheGrowthOfTheTotalsCounts) {
  json first = {{"type", "token_count"}, {"info", {{"total_token_usage", Usage(100, 0, 10)}}}};
  json second = {{"type", "token_count"}, {"info", {{"total_token_usage", Usage(250, 40, 30)}}}};
  const Mapped m = Map({Ctx("m"), Ev(first), Ev(second)});
  ASSERT_EQ(m.events.size(), 2u);
  EXPECT_EQ(m.events[1]["input_tokens"], 110);
  EXPECT_EQ(m.events[1]["cache_read_tokens"], 40);
  EXPECT_EQ(m.events[1]["output_tokens"], 20);
}

TEST(CodexMapperTest, NullInfoCountsNothing) {
  const Mapped m = Map({Ctx("m"), Ev({{"type", "token_count"}, {"info", nullptr}})});
  EXPECT_TRUE(m.events.empty());
  EXPECT_EQ(m.Dropped(DropReason::kIgnored), 2u);
}

TEST(CodexMapperTest, UsageRecordsCountOnceAndTheirTokenCountsAreDuplicates) {
  // 0.171.0: token_usage_record right after the response, token_count later (after the tool
  // outputs) with the same thread totals.
  const Mapped m = Map({
      Ctx("gpt-6.2-sol"),
      Line("token_usage_record", Record("resp_1", Usage(1200, 0, 80, 30), Usage(1200, 0, 80, 30)), 10),
      Ev(TokenCount(Usage(1200, 0, 80, 30), Usage(1200, 0, 80, 30)), 20),
      Line("token_usage_record", Record("resp_2", Usage(1500, 1024, 60, 10), Usage(2700, 1024, 140, 40)), 30),
      Line("token_usage_record", Record("resp_2", Usage(1500, 1024, 60, 10), Usage(2700, 1024, 140, 40)), 31),
      Ev(TokenCount(Usage(2700, 1024, 140, 40), Usage(1500, 1024, 60, 10)), 40),
  });
  ASSERT_EQ(m.events.size(), 2u) << m.text;
  EXPECT_EQ(m.Dropped(DropReason::kDuplicate), 3u);
  EXPECT_EQ(m.events[1]["input_tokens"], 476);
  EXPECT_EQ(m.events[1]["cache_read_tokens"], 1024);
}

TEST(CodexMapperTest, CompactedLineRepeatsItsCompactionCall) {
  json compacted = {{"message", "summary"},
                    {"compaction_response_id", "resp_2"},
                    {"latest_token_usage_record",
                     Record("resp_2", Usage(2000, 500, 100, 40), Usage(3000, 500, 110, 40))}};
  // 0.171.0: record, token_count, then the compacted copy: counted once.
  const Mapped with_record = Map({
      Ctx("gpt-6.2-sol"),
      Line("token_usage_record", Record("resp_1", Usage(1000, 0, 10), Usage(1000, 0, 10))),
      Line("token_usage_record", Record("resp_2", Usage(2000, 500, 100, 40), Usage(3000, 500, 110, 40))),
      Ev(TokenCount(Usage(3000, 500, 110, 40), Usage(2000, 500, 100, 40))),
      Line("compacted", compacted),
  });
  EXPECT_EQ(with_record.events.size(), 2u) << with_record.text;
  // A version that writes only token_count and the compacted copy: still once.
  const Mapped count_only = Map({
      Ctx("gpt-6.2-sol"), Ev(TokenCount(Usage(1000, 0, 10), Usage(1000, 0, 10))),
      Ev(TokenCount(Usage(3000, 500, 110, 40), Usage(2000, 500, 100, 40))),
      Line("compacted", compacted),
  });
  EXPECT_EQ(count_only.events.size(), 2u) << count_only.text;
  // A version that writes only the compacted copy: counted from it.
  const Mapped copy_only = Map({
      Ctx("gpt-6.2-sol"), Ev(TokenCount(Usage(1000, 0, 10), Usage(1000, 0, 10))),
      Line("compacted", compacted),
  });
  ASSERT_EQ(copy_only.events.size(), 2u) << copy_only.text;
  EXPECT_EQ(copy_only.events[1]["input_tokens"], 1500);
  // A compacted line without usage (older versions) carries nothing.
  const Mapped bare = Map({Line("compacted", {{"message", "summary"}})});
  EXPECT_TRUE(bare.events.empty());
  EXPECT_EQ(bare.Dropped(DropReason::kIgnored), 1u);
}

TEST(CodexMapperTest, ResumeWithAnotherModelBillsTheCompactionToTheOldModel) {
  // As recorded: the resumed turn starts, totals repeat, the compaction call (old model)
  // completes, then the new turn_context, a zero-usage repeat, then the new model's call.
  const Mapped m = Map({
      Ctx("gpt-6.2-sol"),
      Line("token_usage_record", Record("r1", Usage(1000, 0, 10), Usage(1000, 0, 10))),
      Ev(TokenCount(Usage(1000, 0, 10), Usage(1000, 0, 10))),
      Ev({{"type", "task_started"}}),
      Ev(TokenCount(Usage(1000, 0, 10), Usage(1000, 0, 10))),
      Line("token_usage_record", Record("r2", Usage(2000, 500, 100, 40), Usage(3000, 500, 110, 40))),
      Ev(TokenCount(Usage(3000, 500, 110, 40), Usage(2000, 500, 100, 40))),
      Ctx("gpt-5.5"),
      Ev(TokenCount(Usage(3000, 500, 110, 40), Usage(0, 0, 0))),
      Line("token_usage_record", Record("r3", Usage(3000, 1000, 20), Usage(6000, 1500, 130, 40))),
      Ev(TokenCount(Usage(6000, 1500, 130, 40), Usage(3000, 1000, 20))),
  });
  const testing::Totals t = testing::Sum(m.events);
  EXPECT_EQ(t.llm_calls.at("gpt-6.2-sol|success"), 2u) << testing::Describe(t);
  EXPECT_EQ(t.llm_calls.at("gpt-5.5|success"), 1u);
  EXPECT_EQ(t.tokens.at("gpt-6.2-sol|input"), 2500u);
  EXPECT_EQ(t.tokens.at("gpt-5.5|input"), 2000u);
}

TEST(CodexMapperTest, TotalsGoingBackwards) {
  // Without usage records a restart of the totals (a new process without the old totals) is
  // a new call; with usage records a lower total is a stale repeat. Never a negative count.
  const Mapped restart = Map({
      Ctx("m"), Ev(TokenCount(Usage(5000, 0, 100), Usage(5000, 0, 100))),
      Ev(TokenCount(Usage(300, 0, 7), Usage(300, 0, 7))),
      Ev(TokenCount(Usage(700, 0, 9), Usage(400, 0, 2))),
  });
  ASSERT_EQ(restart.events.size(), 3u) << restart.text;
  EXPECT_EQ(restart.events[1]["input_tokens"], 300);
  EXPECT_EQ(restart.events[2]["input_tokens"], 400);
  const Mapped stale = Map({
      Ctx("m"), Line("token_usage_record", Record("a", Usage(5000, 0, 100), Usage(5000, 0, 100))),
      Ev(TokenCount(Usage(300, 0, 7), Usage(300, 0, 7))),
      Ev(TokenCount(Usage(200, 0, 1), Usage(9, 0, 1))),
  });
  EXPECT_EQ(stale.events.size(), 1u) << stale.text;
  EXPECT_EQ(stale.Dropped(DropReason::kDuplicate), 2u);
}

TEST(CodexMapperTest, FunctionToolCallsWithTheirOutcome) {
  const Mapped m = Map({
      Meta(), Ctx("gpt-5.5"),
      Item({{"type", "function_call"}, {"name", "exec_command"}, {"call_id", "c1"},
            {"arguments", "{}"}}, 1000),
      Item({{"type", "function_call"}, {"name", "exec_command"}, {"call_id", "c2"},
            {"arguments", "{}"}}, 1001),
      Ev({{"type", "item_completed"},
          {"item", {{"type", "CommandExecution"}, {"id", "c2"}, {"status", "failed"}, {"exit_code", 3}}}}),
      Item({{"type", "function_call_output"}, {"call_id", "c1"},
            {"output", "Chunk ID: 1\nWall time: 0.0 seconds\nProcess exited with code 0\nOutput:\nhi\n"}}, 1250),
      Item({{"type", "function_call_output"}, {"call_id", "c2"},
            {"output", "Chunk ID: 2\nWall time: 0.1 seconds\nProcess exited with code 3\nOutput:\n"}}, 1501),
      Item({{"type", "function_call_output"}, {"call_id", "never-called"}, {"output", "x"}}),
  });
  ASSERT_EQ(m.events.size(), 2u) << m.text;
  EXPECT_EQ(m.events[0]["tool_name"], "exec_command");
  EXPECT_EQ(m.events[0]["status"], "success");
  EXPECT_EQ(m.events[0]["duration_ms"], 250);
  EXPECT_EQ(m.events[1]["status"], "failure");
  EXPECT_EQ(m.events[1]["duration_ms"], 500);
}

TEST(CodexMapperTest, ExitCodeInTheOutputAloneMarksAFailure) {
  // No item_completed (older versions): the output's own header.
  for (const char* output : {"Process exited with code 2\n", "Exit code: 1\nWall time: 0.1 seconds\n",
                             "{\"output\":\"x\",\"metadata\":{\"exit_code\":127,\"duration_seconds\":0.1}}"}) {
    SCOPED_TRACE(output);
    const Mapped m = Map({Item({{"type", "function_call"}, {"name", "shell"}, {"call_id", "c"}}),
                          Item({{"type", "function_call_output"}, {"call_id", "c"}, {"output", output}})});
    ASSERT_EQ(m.events.size(), 1u);
    EXPECT_EQ(m.events[0]["status"], "failure");
  }
}

TEST(CodexMapperTest, CodeModeExecCells) {
  auto out = [](const std::string& call, const std::string& first) {
    return Item({{"type", "custom_tool_call_output"}, {"call_id", call},
                 {"output", json::array({{{"type", "input_text"}, {"text", first}},
                                         {{"type", "input_text"}, {"text", "..."}}})}});
  };
  auto call = [](const std::string& id) {
    return Item({{"type", "custom_tool_call"}, {"name", "exec"}, {"call_id", id}, {"input", "..."}});
  };
  auto command = [](const std::string& status) {
    return Ev({{"type", "item_completed"},
               {"item", {{"type", "CommandExecution"}, {"id", "exec-9f"}, {"status", status}}}});
  };
  const Mapped m = Map({
      call("a"), command("completed"), out("a", "Script completed\nWall time 0.2 seconds\nOutput:\n"),
      call("b"), out("b", "Script failed\nWall time 0.0 seconds\nOutput:\n"),
      // a nested command failed; its item_completed has an id of its own
      call("c"), command("completed"), command("failed"), out("c", "Script completed\n"),
      // a failed command after the cell ended belongs to no pending call
      command("failed"), call("d"), out("d", "Script completed\n"),
  });
  ASSERT_EQ(m.events.size(), 4u) << m.text;
  EXPECT_EQ(m.events[0]["tool_name"], "exec");
  EXPECT_EQ(m.events[0]["status"], "success");
  EXPECT_EQ(m.events[1]["status"], "failure");
  EXPECT_EQ(m.events[2]["status"], "failure");
  EXPECT_EQ(m.events[3]["status"], "success");
}

TEST(CodexMapperTest, WebSearchAndLocalShell) {
  const Mapped m = Map({
      Item({{"type", "web_search_call"}, {"status", "completed"}, {"action", {{"type", "search"}}}}),
      Item({{"type", "web_search_call"}, {"status", "failed"}}),
      Item({{"type", "web_search_call"}, {"status", "in_progress"}}),
      Item({{"type", "local_shell_call"}, {"call_id", "l1"}, {"status", "completed"}}),
      Item({{"type", "function_call_output"}, {"call_id", "l1"}, {"output", "Exit code: 0\n"}}),
  });
  ASSERT_EQ(m.events.size(), 3u) << m.text;
  EXPECT_EQ(m.events[0]["tool_name"], "web_search");
  EXPECT_EQ(m.events[0]["status"], "success");
  EXPECT_EQ(m.events[1]["status"], "failure");
  EXPECT_EQ(m.events[2]["tool_name"], "local_shell");
  EXPECT_EQ(m.events[2]["status"], "success");
}

TEST(CodexMapperTest, CompactionOutputIsHistoryNotNewToolCalls) {
  json ws = {{"type", "web_search_call"}, {"status", "completed"}};
  std::string replayed = Item(ws);
  json j = json::parse(replayed);
  j["metadata"] = {{"compaction_output", true}};
  const Mapped m = Map({j.dump()});
  EXPECT_TRUE(m.events.empty());
  EXPECT_EQ(m.Dropped(DropReason::kIgnored), 1u);
}

TEST(CodexMapperTest, RunsFromTurnLifecycle) {
  const Mapped m = Map({
      Meta(), Ctx("gpt-5.5"),
      Ev({{"type", "task_started"}, {"turn_id", "t1"}}, 1000),
      Item({{"type", "function_call"}, {"name", "exec_command"}, {"call_id", "c1"}}, 1100),
      Line("token_usage_record", Record("r1", Usage(10, 0, 1), Usage(10, 0, 1)), 1101),
      Item({{"type", "function_call_output"}, {"call_id", "c1"}, {"output", "Process exited with code 0"}}, 1200),
      Line("token_usage_record", Record("r2", Usage(20, 0, 1), Usage(30, 0, 2)), 1300),
      Ev({{"type", "task_complete"}, {"turn_id", "t1"}, {"duration_ms", 345}}, 1400),
      // a final API failure
      Ev({{"type", "task_started"}}, 2000),
      Ev({{"type", "task_complete"}, {"error", {{"message", "bad request"}, {"codex_error_info", "other"}}}}, 2070),
      // a sandbox error is not an API call
      Ev({{"type", "task_started"}}, 3000),
      Ev({{"type", "task_complete"}, {"error", {{"codex_error_info", "sandbox_error"}}}}, 3010),
      // interrupted: no run
      Ev({{"type", "task_started"}}, 4000),
      Ev({{"type", "turn_aborted"}, {"reason", "interrupted"}, {"duration_ms", 1639}}, 5639),
      // error as an object naming its kind
      Ev({{"type", "task_started"}}, 6000),
      Ev({{"type", "task_complete"}, {"error", {{"codex_error_info", {{"response_stream_connection_failed", {{"http_status_code", 502}}}}}}}}, 6100),
  });
  std::vector<json> runs, failed_calls;
  for (const json& e : m.events) {
    if (e["type"] == "run") runs.push_back(e);
    if (e["type"] == "llm_call" && e["status"] == "failure") failed_calls.push_back(e);
  }
  ASSERT_EQ(runs.size(), 4u) << m.text;  // the interrupted turn is no run
  EXPECT_EQ(runs[0]["status"], "success");
  EXPECT_EQ(runs[0]["duration_ms"], 345);
  EXPECT_EQ(runs[0]["steps"], 2);
  EXPECT_EQ(runs[0]["tool_calls"], 1);
  EXPECT_EQ(runs[1]["status"], "failure");
  EXPECT_EQ(runs[1]["steps"], 0);  // a failed call is no step
  EXPECT_EQ(runs[1]["duration_ms"], 70);  // from the timestamps
  EXPECT_EQ(runs[2]["status"], "failure");
  EXPECT_EQ(runs[2]["steps"], 0);
  EXPECT_EQ(runs[3]["steps"], 0);
  ASSERT_EQ(failed_calls.size(), 2u);
  EXPECT_EQ(failed_calls[0]["model"], "gpt-5.5");
}

TEST(CodexMapperTest, LlmCallDurationFromTheLastLineBeforeTheRequest) {
  const Mapped m = Map({
      Ctx("m"), Ev({{"type", "task_started"}}, 1000),
      Item({{"type", "message"}, {"role", "user"}}, 1010),
      Item({{"type", "reasoning"}}, 1400),
      Item({{"type", "function_call"}, {"name", "exec_command"}, {"call_id", "c"}}, 1410),
      // tool output while the response is still open does not move the start
      Item({{"type", "function_call_output"}, {"call_id", "c"}, {"output", "ok"}}, 1415),
      Line("token_usage_record", Record("r1", Usage(10, 0, 1), Usage(10, 0, 1)), 1420),
      Ev(TokenCount(Usage(10, 0, 1), Usage(10, 0, 1)), 1500),
      Item({{"type", "message"}, {"role", "assistant"}}, 1800),
      Line("token_usage_record", Record("r2", Usage(10, 0, 1), Usage(20, 0, 2)), 1810),
  });
  std::vector<json> calls;
  for (const json& e : m.events) {
    if (e["type"] == "llm_call") calls.push_back(e);
  }
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0]["duration_ms"], 410);
  EXPECT_EQ(calls[1]["duration_ms"], 310);
}

TEST(CodexMapperTest, DropReasons) {
  const Mapped m = Map({
      Line("world_state", {{"full", true}}),
      Line("brand_new_line_type", {{"x", 1}}),
      Ev({{"type", "agent_message"}, {"message", "hi"}}),
      Ev({{"type", "brand_new_event"}}),
      Item({{"type", "message"}, {"role", "assistant"}}),
      Item({{"type", "brand_new_item"}}),
      Meta(),
      "[1,2]", "not json", "{\"type\":\"event_msg\",\"payload\":[]}",
      Ev({{"type", "token_count"}, {"info", {{"total_token_usage", {{"input_tokens", "12"}}}}}}),
  });
  EXPECT_TRUE(m.events.empty());
  EXPECT_EQ(m.Dropped(DropReason::kIgnored), 4u);
  EXPECT_EQ(m.Dropped(DropReason::kUnknownType), 3u);
  EXPECT_EQ(m.invalid, 4u);
}

TEST(CodexMapperTest, AgentIdFromTheProject) {
  MapperLimits limits;
  limits.agent_id = "{project}";
  auto one = [&](const std::vector<std::string>& lines) {
    const Mapped m = Map(lines, limits);
    return m.events.at(0)["agent_id"].get<std::string>();
  };
  const std::string tc = Ev(TokenCount(Usage(1, 0, 1), Usage(1, 0, 1)));
  EXPECT_EQ(one({Meta("/home/me/src/shop/"), tc}), "shop");
  EXPECT_EQ(one({tc}), "unknown");
  limits.agent_id = "";
  EXPECT_EQ(one({tc}), "codex");
  limits.agent_id = "fixed";
  EXPECT_EQ(one({Meta("/x/y"), tc}), "fixed");
}

TEST(CodexMapperTest, PendingToolCallsAreBoundedOldestFirst) {
  MapperLimits limits = testing::DefaultLimits();
  limits.max_pending_tools = 2;
  CodexMapper mapper(limits);
  Mapped m;
  MapLines(mapper, {Item({{"type", "function_call"}, {"name", "a"}, {"call_id", "1"}}),
                    Item({{"type", "function_call"}, {"name", "b"}, {"call_id", "2"}}),
                    Item({{"type", "function_call"}, {"name", "c"}, {"call_id", "3"}})}, &m);
  EXPECT_EQ(mapper.Entries(), 3u);  // 1 file + 2 pending
  MapLines(mapper, {Item({{"type", "function_call_output"}, {"call_id", "1"}, {"output", "x"}}),
                    Item({{"type", "function_call_output"}, {"call_id", "3"}, {"output", "x"}})}, &m);
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0]["tool_name"], "c");
  EXPECT_EQ(m.Dropped(DropReason::kIgnored), 4u);
}

TEST(CodexMapperTest, FilesAreBoundedLeastRecentlyWrittenFirst) {
  MapperLimits limits = testing::DefaultLimits();
  limits.max_files = 2;
  CodexMapper mapper(limits);
  Mapped m;
  const std::string ctx = Ctx("gpt-5");
  MapLines(mapper, {ctx}, &m, 1);
  MapLines(mapper, {ctx}, &m, 2);
  MapLines(mapper, {ctx}, &m, 1);  // file 1 written last: file 2 is forgotten next
  MapLines(mapper, {Meta()}, &m, 3);
  EXPECT_EQ(mapper.Entries(), 2u);
  const std::string tc = Ev(TokenCount(Usage(1, 0, 1), Usage(1, 0, 1)));
  Mapped after;
  MapLines(mapper, {tc}, &after, 1);
  MapLines(mapper, {tc}, &after, 2);
  ASSERT_EQ(after.events.size(), 2u);
  EXPECT_EQ(after.events[0]["model"], "gpt-5");
  EXPECT_EQ(after.events[1]["model"], "unknown");  // its turn_context was forgotten
}

TEST(CodexMapperTest, FileClosedForgetsTheFileAndItsPendingCalls) {
  CodexMapper mapper(testing::DefaultLimits());
  Mapped m;
  MapLines(mapper, {Ctx("gpt-5"), Item({{"type", "function_call"}, {"name", "a"}, {"call_id", "1"}})}, &m, 7);
  MapLines(mapper, {Ctx("gpt-5")}, &m, 8);
  EXPECT_EQ(mapper.Entries(), 3u);
  mapper.FileClosed(1, 7);
  EXPECT_EQ(mapper.Entries(), 1u);
}

TEST(CodexMapperTest, SaveAndLoadRoundTrip) {
  MapperLimits limits = testing::DefaultLimits();
  CodexMapper a(limits);
  Mapped m;
  MapLines(a, {Meta("/p/with space%and\nnewline"), Ctx("gpt-\"5\""),
               Ev({{"type", "task_started"}}, 5),
               Line("token_usage_record", Record("r 1", Usage(10, 2, 1), Usage(10, 2, 1)), 6),
               Item({{"type", "custom_tool_call"}, {"name", "exec"}, {"call_id", "c%1"}}, 7)}, &m);
  const std::string saved = a.Save();
  EXPECT_EQ(saved.find('\n'), std::string::npos);
  EXPECT_TRUE(saved.starts_with(CodexMapper::kStateVersion));
  CodexMapper b(limits);
  ASSERT_TRUE(b.Load(saved).ok());
  EXPECT_EQ(b.Save(), saved);
  EXPECT_EQ(b.Entries(), a.Entries());
  for (const char* bad : {"", "codex-state-v0 0 0", "codex-state-v1 1 0", "codex-state-v1 0 0 junk",
                          "codex-state-v1 0 1 P 1 2 sx sy 3 2 0", "codex-state-v1 0 0 ",
                          "codex-state-v1 1 0 F 1 2 s%4 s 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 s"}) {
    SCOPED_TRACE(bad);
    CodexMapper c(limits);
    EXPECT_FALSE(c.Load(bad).ok());
    EXPECT_EQ(c.Entries(), 0u);
  }
  // A refused state leaves the mapper as it was.
  EXPECT_FALSE(b.Load("codex-state-v1 1 0").ok());
  EXPECT_EQ(b.Save(), saved);
}

}  // namespace
}  // namespace agx::transcript
