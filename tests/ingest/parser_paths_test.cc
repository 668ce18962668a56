// The two paths of EventParser agree: every line is parsed by a parser with the flat fast
// path and by one that sends every line to simdjson, and the results must be identical
// (reason, message and every field). Lines: hand-picked edge cases, the fuzz seed corpus,
// the demo events, and thousands of seeded mutations of them (the mutation bytes are the
// ones the fast path looks at: quotes, escapes, signs, exponents, digits, spaces, brackets).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/describe_event.h"
#include "ingest/event_parser.h"

namespace agx {
namespace {

struct Outcome {
  RejectReason reason;
  std::string detail;
  std::string event;
};

Outcome ParseWith(EventParser& p, std::string_view line) {
  AgentEvent e;
  const ParseError err = p.Parse(line, &e);
  return {err.reason, std::string(err.detail), Describe(e)};
}

std::vector<std::string> Seeds() {
  std::vector<std::string> lines = {
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":1200.5,"steps":3})",
      R"({"type":"llm_call","agent_id":"a","model":"m","input_tokens":0,"output_tokens":12})",
      R"( { "type" : "tool_call" , "agent_id" : "a" , "tool_name" : "t" , "status" : "timeout" } )",
      R"({"type":"tool_call","agent_id":"a","tool_name":"t","status":"success","x":{"y":[1,2]}})",
      R"({"type":"step","agent_id":"a","outcome":"completed","ts":"2026-11-22T03:59:13.123Z"})",
      R"({"type":"eval","agent_id":"a","evaluator":"e","score":0.75,"extra":null,"f":false})",
      R"({"type":"feedback","agent_id":"a","score":1,"trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736"})",
      R"({"type":"task","agent_id":"a","task_type":"t","outcome":"failed","cost_usd":0.125})",
      // Every approval result, the override rate's "overridden" included, and near misses.
      R"({"type":"approval","agent_id":"a","result":"approved"})",
      R"({"type":"approval","agent_id":"a","result":"denied"})",
      R"({"type":"approval","agent_id":"a","result":"timeout"})",
      R"({"type":"approval","agent_id":"a","result":"overridden"})",
      R"({"result":"overridden","agent_id":"a","type":"approval"})",
      R"({"type":"approval","agent_id":"a","result":"overr\u0069dden"})",
      R"({"type":"approval","agent_id":"a","result":"overriden"})",
      R"({"type":"approval","agent_id":"a","result":"Overridden"})",
      R"({"type":"approval","agent_id":"a","result":"overridden","outcome":"x"})",
      R"({"type":"run","agent_id":"a","status":"success","steps":123456789012345})",
      R"({"type":"run","agent_id":"a","status":"success","steps":1234567890123456})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":0.1234567890123456})",
      R"({"type":"run","agent_id":"a","status":"success","span_id":"00f067aa0ba902b7","trace_id":"00000000000000000000000000000000"})",
      R"({"type":"run","agent_id":"a","status":"success","type":"step","outcome":"recovery"})",
      R"({"type":"r\u0075n","agent_id":"a","status":"success"})",
      R"({"typ\u0065":"run","agent_id":"a","status":"success"})",
      R"({"type":"run","agent_id":"","status":"success"})",
      R"({"type":"llm_call","agent_id":"a","model":"m","status":""})",
      R"({})",
      "{\"type\":\"run\",\"agent_id\":\"a\tb\",\"status\":\"success\"}",
      "{\"type\":\"run\",\"agent_id\":\"\xc3\xa9\",\"status\":\"success\"}",
      "{\"type\":\"run\",\"agent_id\":\"\xff\",\"status\":\"success\"}",
      R"({"type":"run","agent_id":"a","status":"success"} )",
      R"({"type":"run","agent_id":"a","status":"success"}x)",
      R"({"type":"run","agent_id":"a","status":"success",})",
      R"({"type":"run","agent_id":"a","status":"success","steps":01})",
      // The maxima (docs/events.md): at, just over, and far over them, plain and not.
      R"({"type":"llm_call","agent_id":"a","model":"m","input_tokens":1000000000,"cost_usd":1000000})",
      R"({"type":"llm_call","agent_id":"a","model":"m","input_tokens":1000000001})",
      R"({"type":"llm_call","agent_id":"a","model":"m","output_tokens":1e9,"cost_usd":1e6})",
      R"({"type":"llm_call","agent_id":"a","model":"m","cache_read_tokens":1.7e308})",
      R"({"type":"llm_call","agent_id":"a","model":"m","cost_usd":1000000.000001})",
      R"({"type":"usage","agent_id":"a","model":"m","cost_usd":999999.999999999})",
      R"({"type":"run","agent_id":"a","status":"success","steps":1000000,"tool_calls":1000001})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":31536000000})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":31536000000.1})",
      R"({"type":"tool_call","agent_id":"a","tool_name":"t","status":"success","duration_ms":1e11})",
      R"({"type":"task","agent_id":"a","task_type":"t","outcome":"failed","cost_usd":1000000.5})",
      R"({"type":"run","agent_id":"a","status":"success","steps":-0})",
      R"({"type":"run","agent_id":"a","status":"success","steps":1e2,"tool_calls":1E0})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":1.})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":.5})",
      R"({"type":"run","agent_id":"a","status":"success","unknown":truex})",
      R"([{"type":"run"}])",
      R"("just a string")",
      "",
  };
  const std::string src = AGX_SOURCE_DIR;
  for (const auto& entry : std::filesystem::directory_iterator(src + "/fuzz/corpus/event_parser")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    lines.push_back(ss.str());
  }
  std::ifstream demo(src + "/examples/events.jsonl");
  std::string line;
  for (int i = 0; i < 300 && std::getline(demo, line); ++i) lines.push_back(line);
  return lines;
}

/// \return whether the line was accepted.
bool ExpectSame(EventParser& fast, EventParser& slow, const std::string& line) {
  const Outcome a = ParseWith(fast, line);
  const Outcome b = ParseWith(slow, line);
  [&] {
  ASSERT_EQ(RejectReasonName(a.reason), RejectReasonName(b.reason)) << line;
  ASSERT_EQ(a.detail, b.detail) << line;
  ASSERT_EQ(a.event, b.event) << line;
  }();
  return a.reason == RejectReason::kNone;
}

TEST(ParserPathsTest, FastAndSimdjsonPathsAgreeOnSeedsAndMutations) {
  EventParser fast(1 << 20, /*fast_path=*/true);
  EventParser slow(1 << 20, /*fast_path=*/false);
  const std::vector<std::string> seeds = Seeds();
  ASSERT_GT(seeds.size(), 300u);
  for (const std::string& line : seeds) ExpectSame(fast, slow, line);

  const std::string bytes = "\"\\{}[],: \t-+.eE0159aAfxtn\x01\xff\xc3/u";
  std::mt19937 rng(20261204);
  int accepted = 0;
  const int rounds = 20000;
  for (int round = 0; round < rounds; ++round) {
    std::string line = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const std::size_t pos = line.empty() ? 0 : rng() % (line.size() + 1);
      const char c = bytes[rng() % bytes.size()];
      switch (rng() % 4) {
        case 0:  // insert
          line.insert(pos, 1, c);
          break;
        case 1:  // replace
          if (pos < line.size()) line[pos] = c;
          break;
        case 2:  // delete
          if (pos < line.size()) line.erase(pos, 1);
          break;
        default:  // cut
          line.resize(pos);
          break;
      }
    }
    accepted += ExpectSame(fast, slow, line) ? 1 : 0;
    if (HasFailure()) return;
  }
  // Enough mutations stay valid for the values, not only the verdicts, to be compared.
  EXPECT_GT(accepted, rounds / 10);
  std::printf("%d of %d mutated lines accepted by both paths\n", accepted, rounds);
}

}  // namespace
}  // namespace agx
