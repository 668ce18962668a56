// OTLP per-request limits on a real exporter (127.0.0.1:0, state dir set): what a request may
// expand to. Long label values are cut before they are copied into each mapped event (the
// write-ahead log shows what was copied); a request whose mapped events outgrow
// web.max_decompressed_bytes, or that holds more than otlp.max_items_per_request items, is
// answered 413 with nothing applied, in the request's encoding.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/exporter_fixture.h"

namespace agx {
namespace {

using testutil::HttpHeaders;
using testutil::HttpResult;

const HttpHeaders kJson = {{"Content-Type", "application/json"}};
const HttpHeaders kProto = {{"Content-Type", "application/x-protobuf"}};

// `n` execute_tool spans (ids first+1 …) under the resource attribute service.name = `agent`
// (already JSON-escaped).
std::string ToolSpans(std::string_view agent, std::size_t first, std::size_t n) {
  std::string body = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",)"
                     R"("value":{"stringValue":")" +
                     std::string(agent) + R"("}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[)";
  for (std::size_t i = first; i < first + n; ++i) {
    char id[17];
    std::snprintf(id, sizeof id, "%016zx", i + 1);
    if (i > first) body += ",";
    body += R"({"traceId":"5b8efff798038103d269b633813fc60c","spanId":")" + std::string(id) +
            R"(","name":"execute_tool","startTimeUnixNano":"1795319953000000000",)"
            R"("endTimeUnixNano":"1795319953250000000","attributes":[)"
            R"({"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},)"
            R"({"key":"gen_ai.tool.name","value":{"stringValue":"search"}}]})";
  }
  return body + "]}]}]}";
}

std::uintmax_t DirBytes(const std::string& dir) {
  std::uintmax_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

class OtlpLimitsTest : public ExporterTest {
 protected:
  void SetUp() override {
    ExporterTest::SetUp();
    config_.state.dir = dir_ + "/state";
  }
  HttpResult Post(const std::string& body, const HttpHeaders& headers = kJson) {
    return testutil::Request(exporter_->port(), "POST", "/v1/traces", headers, body);
  }
};

TEST_F(OtlpLimitsTest, ALongAttributeIsCutOnceNotCopiedIntoEveryEventAndEveryItemCounts) {
  Start();
  const std::uintmax_t before = DirBytes(config_.state.dir);
  std::string agent;  // 60 000 bytes of a 3-byte character
  while (agent.size() < 60000) agent += "\xe2\x82\xac";
  HttpResult r = Post(ToolSpans(agent, 0, 300));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");

  // 300 events were logged, each with the cut agent id only: 18 MB if it were copied whole.
  EXPECT_LT(DirBytes(config_.state.dir) - before, 300u * 1024);
  const std::string label = agent.substr(0, 126);  // 42 characters: 128 bytes cut back to 126
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_tool_calls_total{agent_id=")" + label +
                          R"(",tool_name="search",status="success"})"),
            300)
      << m.substr(0, 4000);
  // The registry still sees each value as too long and counts its cut.
  EXPECT_EQ(
      Sample(m, R"(agent_exporter_label_values_truncated_total{metric="agent_tool_calls_total"})"),
      300);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="otlp",type="tool_call"})"), 300);
}

TEST_F(OtlpLimitsTest, ARequestWhoseEventsOutgrowTheBodyLimitGets413AndNothingIsApplied) {
  config_.web.max_decompressed_bytes = 64 * 1024;
  Start();
  // 128 control characters: 768 bytes escaped in every event, 160 events past 64 KiB (about
  // 160 KB), while the request itself (about 53 KB) is within the limit.
  std::string agent;
  for (int i = 0; i < 128; ++i) agent += "\\u0001";
  const std::string body = ToolSpans(agent, 0, 160);
  ASSERT_LT(body.size(), config_.web.max_decompressed_bytes);
  HttpResult r = Post(body);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"code\":8"), std::string::npos) << r.body;  // RESOURCE_EXHAUSTED
  EXPECT_NE(
      r.body.find("the events mapped from this request exceed 65536 bytes "
                  "(web.max_decompressed_bytes, at most 32 MiB); send fewer items per request"),
      std::string::npos)
      << r.body;
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="413"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="otlp",type="tool_call"})"), 0);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_dropped_total{signal="traces",reason="duplicate"})"),
            0);

  // The client splits it: every span counts once, none is taken for one counted before.
  for (std::size_t first = 0; first < 160; first += 40) {
    r = Post(ToolSpans(agent, first, 40));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="otlp",type="tool_call"})"), 160);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_dropped_total{signal="traces",reason="duplicate"})"),
            0);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="200"})"), 4);
}

// Protobuf: ExportTraceServiceRequest{resource_spans{scope_spans{n empty spans}}}.
std::string EmptySpansProto(std::size_t n) {
  std::string spans;
  for (std::size_t i = 0; i < n; ++i) spans += std::string("\x12\x00", 2);
  auto len = [](std::size_t v) {
    std::string out;
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    out.push_back(static_cast<char>(v));
    return out;
  };
  const std::string scope = "\x12" + len(spans.size()) + spans;
  return "\x0a" + len(scope.size()) + scope;
}

TEST(OtlpLimitKeyTest, OtlpMaxItemsPerRequestIsReadAndChecked) {
  EXPECT_EQ(Config::Defaults().otlp.max_items_per_request, 100000u);
  auto c = ParseConfig("otlp:\n  max_items_per_request: 40\n", "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->otlp.max_items_per_request, 40u);
  c = ParseConfig("otlp:\n  max_items_per_request: 20000000\n", "c.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "c.yml:2:26: otlp.max_items_per_request: must be between 1 and 10000000, got 20000000");
}

TEST_F(OtlpLimitsTest, MoreItemsThanTheLimitGet413InEitherEncodingAndTheLimitItselfIsApplied) {
  config_.otlp.max_items_per_request = 40;
  Start();
  HttpResult r = Post(ToolSpans("svc", 0, 41));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.body, R"({"code":8,"message":"OTLP request too large: more than 40 items )"
                    R"((otlp.max_items_per_request); send fewer items per request"})");
  r = Post(EmptySpansProto(1000000), kProto);  // 2 MB of empty spans
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.body.substr(0, 2), std::string("\x08\x08", 2));  // RESOURCE_EXHAUSTED
  EXPECT_NE(r.body.find("more than 40 items"), std::string::npos);
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="413"})"), 2);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="otlp",type="tool_call"})"), 0);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_dropped_total{signal="traces",reason="not_genai"})"),
            0);

  // At the limit: every item counts.
  r = Post(ToolSpans("svc", 0, 40));
  ASSERT_EQ(r.status, 200) << r.body;
  m = Metrics();
  EXPECT_EQ(
      Sample(m, R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})"),
      40);
}

TEST_F(OtlpLimitsTest, ATailedLineOverTheLimitsIsRejectedAsTooLongAndTheRestApplied) {
  config_.otlp.max_items_per_request = 40;
  const std::string file = dir_ + "/otel.jsonl";
  std::ofstream(file) << ToolSpans("svc", 0, 41) << "\n" << ToolSpans("svc", 100, 3) << "\n";
  config_.otlp.files = {file};
  Start();
  const std::string m =
      WaitFor(R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})", 3);
  EXPECT_EQ(
      Sample(m, R"(agent_exporter_events_rejected_total{source="file",reason="line_too_long"})"),
      1);
  EXPECT_EQ(
      Sample(m, R"(agent_exporter_events_rejected_total{source="file",reason="invalid_json"})"), 0);
}

// Decoding takes memory in proportion to the body (a JSON body ~14 times its size): a
// request that alone needs more than otlp.decode_memory_bytes is refused before it is
// decoded, in its own encoding, and a request within it is applied.
TEST_F(OtlpLimitsTest, ARequestThatWouldNeedMoreThanTheDecodeBudgetGets413) {
  config_.otlp.decode_memory_bytes = 4 << 20;  // JSON bodies up to ~292 KiB
  Start();
  const std::string big = ToolSpans("svc", 0, 1200);  // ~400 KB of JSON: ~5.6 MiB to decode
  ASSERT_GT(big.size(), (4u << 20) / 14);
  HttpResult r = Post(big);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("over otlp.decode_memory_bytes (4 MiB); send smaller batches, or protobuf"),
            std::string::npos)
      << r.body;
  r = Post(ToolSpans("svc", 0, 100));
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="413"})"), 1);
  EXPECT_EQ(
      Sample(m, R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})"),
      100);
  auto c = ParseConfig("otlp:\n  decode_memory_bytes: 64MiB\n", "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->otlp.decode_memory_bytes, std::size_t{64} << 20);
  EXPECT_EQ(Config::Defaults().otlp.decode_memory_bytes, std::size_t{160} << 20);
}

}  // namespace
}  // namespace agx
