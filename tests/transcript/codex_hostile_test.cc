// The Codex mapper on hostile lines: malformed JSON, wrong JSON types, huge values and
// strings, unknown types, and inputs that would grow its maps. Each line has exactly one
// outcome (events, one drop reason, or invalid), nothing crashes, every event written is one
// the native parser accepts, and the state stays within MapperLimits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/agent_event.h"
#include "ingest/event_parser.h"
#include "transcript/codex_mapper.h"
#include "transcript/codex_test_util.h"

namespace agx::transcript {
namespace {

using nlohmann::json;
using testing::Line;
using testing::Mapped;
using testing::Usage;

struct Outcome {
  std::size_t events = 0;
  std::uint64_t dropped[kDropReasonCount] = {};
  std::uint64_t invalid = 0;
  std::string text;
  std::uint64_t Dropped(DropReason r) const { return dropped[static_cast<std::size_t>(r)]; }
};

/// Maps one line with `mapper` and checks the line has exactly one outcome and that every
/// event it wrote passes the native parser.
Outcome One(CodexMapper& mapper, std::string_view line, std::uint64_t ino = 1) {
  Outcome o;
  MapOutput out;
  out.lines = &o.text;
  mapper.MapLine({1, ino, "rollout.jsonl"}, line, &out);
  std::uint64_t outcomes = out.invalid;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    o.dropped[i] = out.dropped[i];
    outcomes += out.dropped[i];
  }
  o.invalid = out.invalid;
  EventParser parser;
  for (std::size_t start = 0; start < o.text.size();) {
    const std::size_t nl = o.text.find('\n', start);
    EXPECT_NE(nl, std::string::npos);
    if (nl == std::string::npos) break;
    AgentEvent e;
    const ParseError err = parser.Parse(std::string_view(o.text).substr(start, nl - start), &e);
    EXPECT_EQ(err.reason, RejectReason::kNone) << err.detail << ": " << o.text;
    ++o.events;
    start = nl + 1;
  }
  EXPECT_EQ(outcomes + (o.events > 0 ? 1 : 0), 1u) << line.substr(0, 200);
  return o;
}

std::string Tc(const json& total, const json& last) {
  return Line("event_msg", {{"type", "token_count"},
                            {"info", {{"total_token_usage", total}, {"last_token_usage", last}}}});
}

TEST(CodexHostileTest, MalformedJsonIsInvalid) {
  CodexMapper mapper(testing::DefaultLimits());
  const std::string deep_array = "{\"type\":\"event_msg\",\"payload\":" +
                                 std::string(100000, '[') + std::string(100000, ']') + "}";
  const std::string deep_object = [] {
    std::string s = "{\"type\":\"response_item\",\"payload\":";
    for (int i = 0; i < 50000; ++i) s += "{\"a\":";
    s += "1";
    s += std::string(50000, '}');
    return s + "}";
  }();
  const std::vector<std::string> lines = {
      "", " ", "{", "}", "null", "true", "42", "\"event_msg\"", "[]",
      "{\"type\":\"event_msg\"", "{\"type\":\"event_msg\",}", "{\"type\":\"event_msg\"} {}",
      "{\"type\":\"event_msg\",\"payload\":{\"type\":\"token_count\"}} trailing",
      "{\"type\":\"event_msg\",\"payload\":{\"type\":\"token_count\",\"info\":{\"x\":tru}}}",
      "{\"type\":\"ev\\q\"}", std::string("{\"type\":\"event_msg\"\0}", 21),
      "{\"type\":\"session_meta\",\"payload\":{\"cwd\":\"\xc3\x28\"}}",  // invalid UTF-8
      "{\"type\":\"session_meta\",\"payload\":{\"cwd\":\"\xed\xa0\x80\"}}",
      "\xef\xbb\xbf{\"type\":\"session_meta\",\"payload\":{}}",  // a BOM is not JSON
      "{\"type\":\"turn_context\",\"payload\":{\"model\":\"gpt-5\",\"model\":\"x\"",
      "{\"type\":\"token_usage_record\",\"payload\":{\"usage\":{\"input_tokens\":01}}}",
      "{\"type\":\"token_usage_record\",\"payload\":{\"usage\":{\"input_tokens\":-}}}",
      deep_array, deep_object,
  };
  for (const std::string& l : lines) {
    SCOPED_TRACE(l.substr(0, 80));
    const Outcome o = One(mapper, l);
    EXPECT_EQ(o.events, 0u);
    EXPECT_EQ(o.invalid, 1u);
  }
}

TEST(CodexHostileTest, WrongTypesOfKnownFieldsAreInvalid) {
  CodexMapper mapper(testing::DefaultLimits());
  const json u = Usage(10, 2, 3);
  const std::vector<std::string> lines = {
      R"({"type":5,"payload":{}})",
      R"({"type":"event_msg","timestamp":17,"payload":{"type":"task_started"}})",
      R"({"type":"response_item","metadata":"x","payload":{"type":"message"}})",
      R"({"type":"response_item","metadata":[],"payload":{"type":"message"}})",
      R"({"type":"response_item","metadata":{"compaction_output":"yes"},"payload":{"type":"message"}})",
      R"({"type":"event_msg","payload":"task_started"})",
      R"({"type":"event_msg","payload":[{"type":"task_started"}]})",
      R"({"type":"event_msg","payload":null})",
      R"({"type":"event_msg"})",
      R"({"type":"event_msg","payload":{"type":7}})",
      R"({"type":"turn_context","payload":{"model":{"name":"gpt-5"}}})",
      R"({"type":"session_meta","payload":{"cwd":["/a"]}})",
      R"({"type":"response_item","payload":{"type":"function_call","name":"a","call_id":12}})",
      R"({"type":"response_item","payload":{"type":"function_call","name":false,"call_id":"c"}})",
      Line("event_msg", {{"type", "token_count"}, {"info", json::array({u})}}),
      Line("event_msg", {{"type", "token_count"}, {"info", {{"total_token_usage", "lots"}}}}),
      Line("event_msg", {{"type", "token_count"},
                         {"info", {{"total_token_usage", {{"input_tokens", "10"}}}}}}),
      Line("event_msg", {{"type", "token_count"},
                         {"info", {{"total_token_usage", {{"input_tokens", -1}}}}}}),
      Line("event_msg", {{"type", "token_count"},
                         {"info", {{"total_token_usage", {{"input_tokens", 1.5}}}}}}),
      Line("event_msg", {{"type", "token_count"},
                         {"info", {{"total_token_usage", {{"output_tokens", true}}}}}}),
      Line("token_usage_record", {{"response_id", 5}, {"usage", u}}),
      Line("token_usage_record", {{"response_id", "r"}, {"usage", {{"cached_input_tokens", nullptr}, {"input_tokens", "1"}}}}),
      Line("event_msg", {{"type", "task_complete"}, {"duration_ms", "long"}}),
      Line("event_msg", {{"type", "item_completed"}, {"item", "done"}}),
  };
  for (const std::string& l : lines) {
    SCOPED_TRACE(l);
    const Outcome o = One(mapper, l);
    EXPECT_EQ(o.events, 0u) << o.text;
    EXPECT_EQ(o.invalid, 1u);
  }
  // None of them left anything counted: a valid first call is counted in full.
  const Outcome ok = One(mapper, Tc(Usage(100, 0, 5), Usage(100, 0, 5)));
  ASSERT_EQ(ok.events, 1u);
  EXPECT_NE(ok.text.find("\"input_tokens\":100"), std::string::npos) << ok.text;
}

TEST(CodexHostileTest, UnknownTypesAreDroppedWhateverTheirPayload) {
  CodexMapper mapper(testing::DefaultLimits());
  const std::vector<std::string> lines = {
      R"({"type":"hologram","payload":{"anything":[1,2,{"x":null}]}})",
      R"({"type":"hologram","payload":"a string"})",
      R"({"type":"hologram"})",
      R"({"type":null,"payload":{}})",  // null is absent, as a line without a type
      R"({"payload":{"type":"token_count"}})",
      R"({"type":"","payload":{}})",
      R"({"type":"event_msg","payload":{"type":"telepathy","info":{"total_token_usage":{"input_tokens":5}}}})",
      R"({"type":"response_item","payload":{"type":"teleport_call","call_id":"c","name":"x"}})",
  };
  for (const std::string& l : lines) {
    SCOPED_TRACE(l);
    const Outcome o = One(mapper, l);
    EXPECT_EQ(o.events, 0u);
    EXPECT_EQ(o.Dropped(DropReason::kUnknownType), 1u);
  }
  EXPECT_EQ(mapper.Entries(), 1u);  // the known line types' file; no pending call
}

TEST(CodexHostileTest, HugeTokenCountsAreRefusedOrClamped) {
  // Counts above 2^53 (not exact as a double), 1e300, and 2^64 are too large for the line
  // reader; counts it reads but above the native maximum (1e9 per event) make the line
  // invalid here instead of a rejection of the whole event by the pipeline later.
  for (const std::string count : {"9007199254740993", "1e300", "18446744073709551616",
                                  "184467440737095516160000"}) {
    SCOPED_TRACE(count);
    CodexMapper mapper(testing::DefaultLimits());
    const std::string usage = R"({"input_tokens":)" + count + R"(,"output_tokens":1})";
    const Outcome o = One(mapper, R"({"type":"event_msg","payload":{"type":"token_count","info":)"
                                      R"({"total_token_usage":)" + usage +
                                      R"(,"last_token_usage":)" + usage + "}}}");
    EXPECT_EQ(o.events, 0u);
    EXPECT_EQ(o.invalid, 1u);
  }
  CodexMapper mapper(testing::DefaultLimits());
  const std::uint64_t big = 2000000000;  // read exactly, over the native maximum
  Outcome o = One(mapper, Tc(Usage(big, 0, 1), Usage(big, 0, 1)));
  EXPECT_EQ(o.events, 0u);
  EXPECT_EQ(o.invalid, 1u);
  // The totals of a long thread may exceed the per-event maximum; a call within it counts.
  o = One(mapper, Tc(Usage(4 * big + 100, 0, 2), Usage(100, 0, 1)));
  ASSERT_EQ(o.events, 1u);
  EXPECT_NE(o.text.find("\"input_tokens\":100,"), std::string::npos) << o.text;
  // Totals near 2^53 and cached far above input: no overflow, no negative input.
  o = One(mapper, Tc(Usage(9007199254740000ULL, 0, 3), Usage(5, 9007199254740991ULL, 1)));
  ASSERT_EQ(o.events, 1u);
  EXPECT_NE(o.text.find("\"input_tokens\":0,"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("\"cache_read_tokens\":5"), std::string::npos) << o.text;
  // A repeat of those totals counts nothing.
  o = One(mapper, Tc(Usage(9007199254740000ULL, 0, 3), Usage(5, 9007199254740991ULL, 1)));
  EXPECT_EQ(o.Dropped(DropReason::kDuplicate), 1u);
}

TEST(CodexHostileTest, HugeStringsAreCutBeforeTheyAreKept) {
  MapperLimits limits = testing::DefaultLimits();
  limits.label_value_max_bytes = 16;
  CodexMapper mapper(limits);
  const std::string huge(4 << 20, 'm');
  One(mapper, Line("session_meta", {{"cwd", "/x/" + huge}}));
  One(mapper, Line("turn_context", {{"model", huge}}));
  const std::string call_id = std::string(1 << 20, 'c');
  One(mapper, Line("response_item", {{"type", "function_call"}, {"name", huge}, {"call_id", call_id}}));
  // The state holds the cut values only.
  EXPECT_LT(mapper.Save().size(), 1024u);
  // A 4 MiB output is read for its markers, never copied.
  Outcome o = One(mapper, Line("response_item", {{"type", "function_call_output"},
                                                 {"call_id", call_id},
                                                 {"output", huge + "\nProcess exited with code 1"}}));
  ASSERT_EQ(o.events, 1u);
  const json tool = json::parse(o.text);
  EXPECT_LE(tool["tool_name"].get<std::string>().size(), 20u);
  EXPECT_LE(tool["agent_id"].get<std::string>().size(), 6u + 20u);
  o = One(mapper, Tc(Usage(1, 0, 1), Usage(1, 0, 1)));
  ASSERT_EQ(o.events, 1u);
  EXPECT_LE(json::parse(o.text)["model"].get<std::string>().size(), 20u);
  // Multi-byte characters are cut on a character boundary (the parser accepts the event).
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xe2\x82\xac";
  One(mapper, Line("turn_context", {{"model", euros}}));
  o = One(mapper, Tc(Usage(2, 0, 2), Usage(1, 0, 1)));
  ASSERT_EQ(o.events, 1u);
}

TEST(CodexHostileTest, MapsStayWithinTheirLimits) {
  MapperLimits limits = testing::DefaultLimits();
  limits.max_files = 16;
  limits.max_pending_tools = 64;
  CodexMapper mapper(limits);
  // Many files, each with an open turn and tool calls that never get their output.
  for (std::uint64_t ino = 1; ino <= 5000; ++ino) {
    One(mapper, Line("turn_context", {{"model", "gpt-" + std::to_string(ino)}, {"cwd", "/p"}}), ino);
    One(mapper, Line("event_msg", {{"type", "task_started"}}), ino);
    for (int c = 0; c < 3; ++c) {
      One(mapper, Line("response_item", {{"type", "custom_tool_call"}, {"name", "exec"},
                                         {"call_id", std::string(300, 'a' + c) + std::to_string(ino)}}),
          ino);
    }
    ASSERT_LE(mapper.Entries(), 16u + 64u);
  }
  // The 16 files written last, with their 3 calls each (a forgotten file's calls go with it).
  EXPECT_EQ(mapper.Entries(), 16u + 16u * 3u);
  // One file, unbounded distinct call ids: still bounded; the oldest calls are forgotten.
  for (int c = 0; c < 20000; ++c) {
    One(mapper, Line("response_item", {{"type", "function_call"}, {"name", "t"},
                                       {"call_id", "id" + std::to_string(c)}}), 1);
  }
  EXPECT_LE(mapper.Entries(), 16u + 64u);
  // The saved state is bounded too (ids cut to kMaxIdBytes, labels to their limit).
  const std::string saved = mapper.Save();
  EXPECT_LT(saved.size(), 16 * 1024u + 64 * 512u);
  CodexMapper loaded(limits);
  ASSERT_TRUE(loaded.Load(saved).ok());
  EXPECT_EQ(loaded.Save(), saved);
  // A state saved under larger limits is cut to the smaller ones when loaded.
  MapperLimits small = limits;
  small.max_files = 2;
  small.max_pending_tools = 3;
  CodexMapper shrunk(small);
  ASSERT_TRUE(shrunk.Load(saved).ok());
  EXPECT_LE(shrunk.Entries(), 5u);
  // The newest pending call survives and still maps.
  const Outcome o = One(shrunk, Line("response_item", {{"type", "function_call_output"},
                                                       {"call_id", "id19999"}, {"output", "ok"}}), 1);
  EXPECT_EQ(o.events, 1u);
}

TEST(CodexHostileTest, HostileStatesAreRefusedWithoutChange) {
  CodexMapper mapper(testing::DefaultLimits());
  One(mapper, Line("turn_context", {{"model", "gpt-5"}}));
  const std::string saved = mapper.Save();
  const std::string v(CodexMapper::kStateVersion);
  const std::vector<std::string> bad = {
      v + " 16777216 0",                                  // claims many files, has none
      v + " 99999999999999999999 0",                      // count overflow
      v + " 0 16777217",                                  // over the count limit
      v + " 0 1 P 1 1 s" + std::string(200, 'x') + " sn 0 0 0",  // id longer than kept
      v + " 0 1 P 1 1 s%ZZ sn 0 0 0",                      // bad escape
      v + " 0 1 P 1 1 s% sn 0 0 0",                        // cut escape
      v + " 0 1 P 1 1 sa sn 0 2 0",                        // bool out of range
      v + " 0 1 P 1 1 a sn 0 0 0",                         // not a string token
      v + "  0 0",                                         // empty token
      v + " 0 0\n",
      std::string(1 << 20, ' '),
  };
  for (const std::string& s : bad) {
    SCOPED_TRACE(s.substr(0, 80));
    EXPECT_FALSE(mapper.Load(s).ok());
    EXPECT_EQ(mapper.Save(), saved);
  }
}

}  // namespace
}  // namespace agx::transcript
