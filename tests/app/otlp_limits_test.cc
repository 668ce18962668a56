// OTLP per-request limits on a real exporter (127.0.0.1:0, state dir set): what a request may
// expand to. Long label values are cut before they are copied into each mapped event (the
// write-ahead log shows what was copied), and a request whose mapped events outgrow
// web.max_decompressed_bytes is answered 413 with nothing applied.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "app/exporter_fixture.h"

namespace agx {
namespace {

using testutil::HttpHeaders;
using testutil::HttpResult;

const HttpHeaders kJson = {{"Content-Type", "application/json"}};

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
  HttpResult Post(const std::string& body) {
    return testutil::Request(exporter_->port(), "POST", "/v1/traces", kJson, body);
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

}  // namespace
}  // namespace agx
