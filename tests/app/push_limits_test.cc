// POST /v1/events per-request limit on a real exporter (127.0.0.1:0): a body of more events
// than ingest.max_events_per_push (NDJSON lines or JSON array elements) is answered 413
// before its events are stored, nothing of it applied; at the limit every event counts.
#include <gtest/gtest.h>

#include <string>

#include "app/exporter_fixture.h"

namespace agx {
namespace {

std::string Events(std::size_t n, std::string_view sep) {
  std::string body;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) body += sep;
    body += R"({"type":"tool_call","agent_id":"a","tool_name":"t","status":"success"})";
  }
  return body;
}

TEST(PushLimitKeyTest, IngestMaxEventsPerPushIsReadAndChecked) {
  EXPECT_EQ(Config::Defaults().ingest.max_events_per_push, 100000u);
  auto c = ParseConfig("ingest:\n  max_events_per_push: 50\n", "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->ingest.max_events_per_push, 50u);
  c = ParseConfig("ingest:\n  max_events_per_push: 0\n", "c.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(),
            "c.yml:2:24: ingest.max_events_per_push: must be between 1 and 10000000, got 0");
}

TEST_F(ExporterTest, APushOfMoreEventsThanTheLimitGets413AndAppliesNothing) {
  config_.ingest.max_events_per_push = 50;
  Start();
  const testutil::HttpHeaders json = {{"Content-Type", "application/json"}};
  testutil::HttpResult r = Push(Events(51, "\n"));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.body,
            "{\"error\":\"body holds more than 50 events (ingest.max_events_per_push); send fewer "
            "events per request\"}\n");
  r = Push("[" + Events(51, ",") + "]", json);
  EXPECT_EQ(r.status, 413) << r.body;
  std::string array = "[1";  // a million one-byte elements
  for (int i = 1; i < 1000000; ++i) array += ",1";
  r = Push(array + "]", json);
  EXPECT_EQ(r.status, 413) << r.body;
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_exporter_push_requests_total{code="413"})"), 3);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="push",type="tool_call"})"), 0);
  EXPECT_EQ(
      Sample(m, R"(agent_exporter_events_rejected_total{source="push",reason="invalid_json"})"), 0);

  // At the limit, blank lines not counted: every event is applied.
  r = Push(Events(50, "\n\n"));
  EXPECT_EQ(r.status, 200) << r.body;
  r = Push("[" + Events(50, ",") + "]", json);
  EXPECT_EQ(r.status, 200) << r.body;
  m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_tool_calls_total{agent_id="a",tool_name="t",status="success"})"),
            100);
}

}  // namespace
}  // namespace agx
