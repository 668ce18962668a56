#include "ingest/push_body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ingest/event_parser.h"

namespace agx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Split {
  Status status = OkStatus();
  std::string storage;
  std::vector<std::string_view> lines;
};

Split SplitBody(std::string_view body) {
  Split s;
  s.lines = {"stale"};  // cleared by every call
  s.status = SplitPushBody(body, &s.storage, &s.lines);
  return s;
}

std::vector<std::string> Copy(const std::vector<std::string_view>& lines) {
  return {lines.begin(), lines.end()};
}

bool PointsInto(std::string_view view, std::string_view buffer) {
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

TEST(PushBodyTest, SplitsNdjsonIntoViewsOfTheBody) {
  struct Case {
    std::string name;
    std::string body;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"LF", "{\"a\":1}\n{\"b\":2}\n", {"{\"a\":1}", "{\"b\":2}"}},
      {"CRLF", "{\"a\":1}\r\n{\"b\":2}\r\n", {"{\"a\":1}", "{\"b\":2}"}},
      {"no trailing newline", "{\"a\":1}\n{\"b\":2}", {"{\"a\":1}", "{\"b\":2}"}},
      {"CRLF, no trailing newline", "{\"a\":1}\r\n{\"b\":2}\r", {"{\"a\":1}", "{\"b\":2}"}},
      {"blank lines", "\n\n{\"a\":1}\n\n \t \n\r\n{\"b\":2}\n\n", {"{\"a\":1}", "{\"b\":2}"}},
      {"one CR only is removed", "{\"a\":1}\r\r\n", {"{\"a\":1}\r"}},
      {"spaces around a line are kept", "  {\"a\":1} \n", {"  {\"a\":1} "}},
      {"invalid lines are still lines", "nope\n{\"a\":\n", {"nope", "{\"a\":"}},
      {"a line starting with [ after others", "{\"a\":1}\n[1]\n", {"{\"a\":1}", "[1]"}},
      {"empty", "", {}},
      {"only blank lines", "\n \n\r\n\t\n", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Split s = SplitBody(c.body);
    ASSERT_TRUE(s.status.ok()) << s.status.error();
    EXPECT_EQ(Copy(s.lines), c.want);
    for (std::string_view l : s.lines) EXPECT_TRUE(PointsInto(l, c.body));
  }
}

TEST(PushBodyTest, NdjsonBodiesAreAlwaysLinesEvenWhenALineIsAnArray) {
  // The content type says NDJSON: a first line that is an array (or a deep or broken one)
  // is one bad line, and the valid lines after it still count.
  const std::string body = "[1]\n{\"a\":1}\n[[[[\n{\"b\":2}\n";
  std::string storage;
  std::vector<std::string_view> lines;
  std::vector<std::size_t> numbers;
  ASSERT_TRUE(SplitPushBody(body, &storage, &lines, &numbers, PushBodyFormat::kNdjson).ok());
  EXPECT_EQ(Copy(lines), (std::vector<std::string>{"[1]", "{\"a\":1}", "[[[[", "{\"b\":2}"}));
  EXPECT_THAT(numbers, ElementsAre(1, 2, 3, 4));
  for (std::string_view l : lines) EXPECT_TRUE(PointsInto(l, body));
}

TEST(PushBodyTest, SplitsJsonArrayIntoOneLinePerElement) {
  const std::string body =
      R"([{"type":"run","agent_id":"a","status":"success"},)"
      "\n  "
      R"({"type":"step","agent_id":"b","outcome":"completed","meta":{"k":[1,"x"]}}])";
  Split s = SplitBody(body);
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  ASSERT_EQ(s.lines.size(), 2u);
  // Elements are their raw text, newlines and all: each is a complete event line on its own.
  EventParser parser;
  AgentEvent e;
  ASSERT_EQ(parser.Parse(s.lines[0], &e).reason, RejectReason::kNone) << s.lines[0];
  EXPECT_EQ(e.type, EventType::kRun);
  EXPECT_EQ(e.agent_id, "a");
  ASSERT_EQ(parser.Parse(s.lines[1], &e).reason, RejectReason::kNone) << s.lines[1];
  EXPECT_EQ(e.type, EventType::kStep);
  EXPECT_EQ(e.outcome, "completed");
}

TEST(PushBodyTest, ArrayElementsAreViewsOfTheBody) {
  std::string body = "[";
  std::vector<std::string> want;
  for (int i = 0; i < 200; ++i) {
    if (i > 0) body += ",";
    std::string element = R"({"a":")" + std::string(static_cast<std::size_t>(i) * 7, 'x') + "\"}";
    body += element;
    want.push_back(element);
  }
  body += "]";
  Split s = SplitBody(body);
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  EXPECT_EQ(Copy(s.lines), want);
  for (std::string_view l : s.lines) EXPECT_TRUE(PointsInto(l, body));
  EXPECT_TRUE(s.storage.empty());
}

TEST(PushBodyTest, ArrayElementsThatAreNotObjectsBecomeLinesTheParserRejects) {
  Split s = SplitBody(R"([1, "text", null, true, [{"type":"run"}], {"type":"run","agent_id":"a","status":"success"}])");
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  ASSERT_EQ(s.lines.size(), 6u);
  EventParser parser;
  AgentEvent e;
  for (std::size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(s.lines[i]);
    const ParseError err = parser.Parse(s.lines[i], &e);
    EXPECT_EQ(err.reason, RejectReason::kInvalidJson);
    EXPECT_EQ(err.detail, "not a JSON object");
  }
  EXPECT_EQ(parser.Parse(s.lines[5], &e).reason, RejectReason::kNone);
}

TEST(PushBodyTest, ArrayElementsAreCheckedLikeLines) {
  // An element with a field error is rejected alone, with the same reason as a line.
  Split s = SplitBody(
      R"([{"type":"tool_call","agent_id":"a","status":"success"},)"
      R"({"type":"teleport","agent_id":"a"},{"type":"run","agent_id":"a","status":"success"}])");
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  ASSERT_EQ(s.lines.size(), 3u);
  EventParser parser;
  AgentEvent e;
  EXPECT_EQ(parser.Parse(s.lines[0], &e).reason, RejectReason::kMissingField);
  EXPECT_EQ(parser.Parse(s.lines[1], &e).reason, RejectReason::kUnknownType);
  EXPECT_EQ(parser.Parse(s.lines[2], &e).reason, RejectReason::kNone);
}

TEST(PushBodyTest, LeadingWhitespaceBeforeTheArrayIsAllowed) {
  for (std::string prefix : {" ", "\n", "\r\n", "\t \n  "}) {
    SCOPED_TRACE(testing::PrintToString(prefix));
    const std::string body = prefix + R"([{"a":1},{"b":2}])" + "\n";  // the views point into it
    Split s = SplitBody(body);
    ASSERT_TRUE(s.status.ok()) << s.status.error();
    EXPECT_THAT(Copy(s.lines), ElementsAre(R"({"a":1})", R"({"b":2})"));
  }
}

TEST(PushBodyTest, EmptyArrayGivesNoLines) {
  Split s = SplitBody(" [ ] ");
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  EXPECT_THAT(s.lines, IsEmpty());
}

TEST(PushBodyTest, InvalidArrayIsAnError) {
  struct Case {
    std::string name;
    std::string body;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"unterminated", R"([{"a":1})", "not a valid JSON array"},
      {"trailing comma", R"([{"a":1},])", "not a valid JSON array"},
      {"missing comma", R"([{"a":1} {"b":2}])", "not a valid JSON array"},
      {"content after the array", R"([{"a":1}] {"b":2})", "content after the array"},
      {"two arrays", "[]\n[]", "not a valid JSON array"},
      {"unbalanced", R"([{"a":[1}])", "not a valid JSON array"},
      {"cut in a string", R"([{"a":"b)", "cut short"},
      {"cut after an escape", R"([{"a":"b\)", "cut short"},
      {"a closing bracket for an element", R"([}])", "expected an element"},
      {"unclosed, 100000 levels", "[" + std::string(100000, '['), "cut short"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Split s = SplitBody(c.body);
    ASSERT_FALSE(s.status.ok());
    EXPECT_THAT(s.status.error(), HasSubstr(c.want));
    EXPECT_THAT(s.lines, IsEmpty());
  }
}

TEST(PushBodyTest, ProblemsInsideAnElementAreLeftToTheParser) {
  // The splitter finds bounds only; each element is then rejected alone, with the reason
  // a line would get, and the valid elements beside it count.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string body = "[{\"a\":tru}, {\"type\":\"run\",\"agent_id\":\"\xff\",\"status\":\"success\"}, " +
                      deep + R"(, {"type":"run","agent_id":"a","status":"success","duration_ms":1e400},)" +
                      R"( {"type":"run","agent_id":"a","status":"success"}])";
  Split s = SplitBody(body);
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  ASSERT_EQ(s.lines.size(), 5u);
  EventParser parser;
  AgentEvent e;
  EXPECT_EQ(parser.Parse(s.lines[0], &e).reason, RejectReason::kInvalidJson);
  EXPECT_EQ(parser.Parse(s.lines[1], &e).reason, RejectReason::kInvalidUtf8);
  EXPECT_EQ(parser.Parse(s.lines[2], &e).reason, RejectReason::kInvalidJson);
  EXPECT_EQ(parser.Parse(s.lines[3], &e).reason, RejectReason::kInvalidValue);
  EXPECT_EQ(parser.Parse(s.lines[4], &e).reason, RejectReason::kNone);
}

TEST(PushBodyTest, DeeplyNestedElementsAreRejectedWithoutRecursion) {
  // 1000 levels (a 2 KB body once crashed a 100 KB civetweb worker stack when elements were
  // re-serialized recursively): the event parser rejects the element as too deep.
  const std::string body =
      R"([{"type":"run","agent_id":"a","status":"success","x":)" + std::string(1000, '[') +
      std::string(1000, ']') + "}]";
  Split s = SplitBody(body);
  ASSERT_TRUE(s.status.ok()) << s.status.error();
  ASSERT_EQ(s.lines.size(), 1u);
  EventParser parser;
  AgentEvent e;
  const ParseError err = parser.Parse(s.lines[0], &e);
  EXPECT_EQ(err.reason, RejectReason::kInvalidJson);
  EXPECT_THAT(std::string(err.detail), HasSubstr("nested deeper than 64"));
}

TEST(PushBodyTest, MoreEventsThanTheLimitFailAsTooManyWithoutStoringThem) {
  struct Case {
    std::string name;
    PushBodyFormat format;
    std::string body;  // 3 events
  };
  const std::vector<Case> cases = {
      {"NDJSON", PushBodyFormat::kNdjson, "{\"a\":1}\n\n{\"b\":2}\n{\"c\":3}\n"},
      {"JSON lines", PushBodyFormat::kJson, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}"},
      {"JSON array", PushBodyFormat::kJson, "[{\"a\":1}, 2, [3]]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string storage;
    std::vector<std::string_view> lines;
    std::vector<std::size_t> numbers;
    bool too_many = true;
    ASSERT_TRUE(SplitPushBody(c.body, &storage, &lines, &numbers, c.format, 3, &too_many).ok());
    EXPECT_EQ(lines.size(), 3u);
    EXPECT_FALSE(too_many);
    Status s = SplitPushBody(c.body, &storage, &lines, &numbers, c.format, 2, &too_many);
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(too_many);
    EXPECT_EQ(s.error(),
              "body holds more than 2 events (ingest.max_events_per_push); send fewer events per "
              "request");
    EXPECT_THAT(lines, IsEmpty());
    EXPECT_THAT(numbers, IsEmpty());
  }
  // A malformed array is still malformed (400), not too many.
  std::string storage;
  std::vector<std::string_view> lines;
  bool too_many = true;
  EXPECT_FALSE(
      SplitPushBody("[1,", &storage, &lines, nullptr, PushBodyFormat::kJson, 5, &too_many).ok());
  EXPECT_FALSE(too_many);
}

TEST(PushBodyTest, AMillionOneByteElementsStoreNoMoreViewsThanTheLimit) {
  std::string body = "[1";
  for (int i = 1; i < 1000000; ++i) body += ",1";
  body += "]";
  std::string storage;
  std::vector<std::string_view> lines;
  bool too_many = false;
  EXPECT_FALSE(
      SplitPushBody(body, &storage, &lines, nullptr, PushBodyFormat::kJson, 1000, &too_many).ok());
  EXPECT_TRUE(too_many);
  EXPECT_LE(lines.capacity(), 2048u);  // grown to the limit at most, never to a million
}

}  // namespace
}  // namespace agx
