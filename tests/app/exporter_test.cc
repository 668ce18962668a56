// The exporter end to end in-process: real sockets on 127.0.0.1:0, real files, the real
// pipeline, registry and writers. Covers push status codes, content negotiation, exemplars,
// each event type's mapping, cost rules, cardinality limits and restart from state.
#include "app/exporter.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "app/exporter_fixture.h"
#include "http/http_client.h"

namespace agx {
namespace {

namespace fs = std::filesystem;
using testutil::HttpResult;
using testutil::Request;

TEST_F(ExporterTest, PushAppliesValidLinesAndReportsBadOnes) {
  Start();
  HttpResult r = Push(
      "{\"type\":\"run\",\"agent_id\":\"a\",\"status\":\"success\",\"duration_ms\":1500}\n"
      "{\"type\":\"run\",\"agent_id\":\"a\"}\n"
      "not json\n"
      "{\"type\":\"tool_call\",\"agent_id\":\"a\",\"tool_name\":\"search\",\"status\":\"failure\"}\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_NE(r.body.find("\"accepted\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"rejected\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("{\"line\":2,\"message\":"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"reason\":\"missing_field\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"line\":3"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"reason\":\"invalid_json\""), std::string::npos) << r.body;

  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "agent_requests_total{agent_id=\"a\",status=\"success\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_tool_calls_total{agent_id=\"a\",tool_name=\"search\",status=\"failure\"}"), 1)
      << m;
  EXPECT_EQ(Sample(m, "agent_exporter_events_rejected_total{source=\"push\",reason=\"missing_field\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_exporter_events_rejected_total{source=\"push\",reason=\"invalid_json\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_exporter_events_total{source=\"push\",type=\"run\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_exporter_push_requests_total{code=\"200\"}"), 1);
}

TEST_F(ExporterTest, RefusedConnectionsAreCountedByReason) {
  config_.web.request_timeout = std::chrono::milliseconds(300);
  Start();
  // Exported at 0 from the first scrape on.
  std::string m = Metrics();
  for (const char* reason :
       {"bad_request", "other", "no_request", "ambiguous_framing", "too_many_connections"}) {
    EXPECT_EQ(Sample(m, std::string("agent_exporter_http_rejected_total{reason=\"") + reason + "\"}"), 0)
        << reason;
  }
  {
    testutil::HttpConnection slow(exporter_->port());  // a head that never ends
    ASSERT_TRUE(slow.SendRaw("POST /v1/events HTTP/1.1\r\nHost: x\r\n"));
    EXPECT_NE(slow.ReadUntilClose().find(" 400 "), std::string::npos);
  }
  { testutil::HttpConnection idle(exporter_->port()); }  // connects, sends nothing
  {
    testutil::HttpConnection smuggler(exporter_->port());  // two body lengths
    ASSERT_TRUE(smuggler.SendRaw(
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 34\r\n\r\n"
        "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(smuggler.ReadUntilClose().find("HTTP/1.1 400 "), 0u);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    m = Metrics();
  } while ((Sample(m, "agent_exporter_http_rejected_total{reason=\"bad_request\"}") < 1 ||
            Sample(m, "agent_exporter_http_rejected_total{reason=\"no_request\"}") < 1) &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(Sample(m, "agent_exporter_http_rejected_total{reason=\"bad_request\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "agent_exporter_http_rejected_total{reason=\"no_request\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "agent_exporter_http_rejected_total{reason=\"other\"}"), 0) << m;
  EXPECT_EQ(Sample(m, "agent_exporter_http_rejected_total{reason=\"ambiguous_framing\"}"), 1) << m;
}

TEST_F(ExporterTest, PushErrorsNameTheRealLineDespiteBlankLines) {
  Start();
  HttpResult r = Push("\n{\"type\":\"run\",\"agent_id\":\"a\",\"status\":\"success\"}\n\r\n  \nnope\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"accepted\":1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"rejected\":1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("{\"line\":5,"), std::string::npos) << r.body;
}

TEST_F(ExporterTest, PushStatusCodes) {
  config_.web.max_body_bytes = 1024;
  Start();
  EXPECT_EQ(Push("nope\n{\"type\":\"x\",\"agent_id\":\"a\"}\n").status, 400);
  EXPECT_EQ(Push("").status, 400);
  EXPECT_EQ(Push("[1,").status, 400);
  EXPECT_EQ(Push("{}", {{"Content-Type", "text/html"}}).status, 415);
  EXPECT_EQ(Push("{}", {}).status, 415);
  std::string big(2000, ' ');
  EXPECT_EQ(Push(big).status, 413);
  HttpResult chunked = Request(exporter_->port(), "POST", "/v1/events", kNdjson, big, true);
  EXPECT_EQ(chunked.status, 413);
  EXPECT_EQ(Request(exporter_->port(), "GET", "/v1/events").status, 405);
  // A JSON array body works too.
  HttpResult arr = Push(
      "[{\"type\":\"step\",\"agent_id\":\"a\",\"outcome\":\"completed\"},"
      "{\"type\":\"step\",\"agent_id\":\"a\",\"outcome\":\"sideways\"}]",
      {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(arr.status, 200) << arr.body;
  EXPECT_NE(arr.body.find("\"accepted\":1"), std::string::npos) << arr.body;
  EXPECT_NE(arr.body.find("\"reason\":\"invalid_value\""), std::string::npos) << arr.body;
}

TEST_F(ExporterTest, BearerTokenGuardsPushButNotMetrics) {
  std::string token_file = dir_ + "/token";
  std::ofstream(token_file) << "s3cret\n";
  config_.web.bearer_token_file = token_file;
  Start();
  const std::string line = "{\"type\":\"run\",\"agent_id\":\"a\",\"status\":\"success\"}";
  HttpResult none = Push(line);
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.Header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(Push(line, {{"Content-Type", "application/x-ndjson"}, {"Authorization", "Bearer wrong"}}).status,
            401);
  EXPECT_EQ(Push(line, {{"Content-Type", "application/x-ndjson"}, {"Authorization", "Bearer s3cret"}}).status,
            200);
  EXPECT_EQ(Request(exporter_->port(), "GET", "/metrics").status, 200);
}

TEST_F(ExporterTest, MissingTokenFileFailsStart) {
  config_.web.bearer_token_file = dir_ + "/absent";
  Exporter e(config_);
  auto s = e.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("absent"), std::string::npos);
}

TEST_F(ExporterTest, NegotiatesOpenMetricsOrText) {
  Start();
  ASSERT_EQ(Push("{\"type\":\"run\",\"agent_id\":\"a\",\"status\":\"success\",\"duration_ms\":700,"
                 "\"trace_id\":\"4BF92F3577B34DA6A3CE929D0E0E4736\",\"span_id\":\"00f067aa0ba902b7\"}")
                .status,
            200);
  HttpResult om = Request(exporter_->port(), "GET", "/metrics", kOpenMetrics);
  EXPECT_EQ(om.Header("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ASSERT_GE(om.body.size(), 6u);
  EXPECT_EQ(om.body.substr(om.body.size() - 6), "# EOF\n");
  EXPECT_NE(om.body.find("# TYPE agent_requests counter"), std::string::npos);
  // Exemplars carry the input trace id (lower-cased) on the counter and on the bucket
  // the value falls into (0.7 s -> le="1.0").
  EXPECT_NE(om.body.find("agent_requests_total{agent_id=\"a\",status=\"success\"} 1 # "
                         "{trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1"),
            std::string::npos)
      << om.body;
  EXPECT_NE(om.body.find("agent_request_duration_seconds_bucket{agent_id=\"a\",le=\"1.0\"} 1 # "
                         "{trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 0.7"),
            std::string::npos)
      << om.body;

  HttpResult text = Request(exporter_->port(), "GET", "/metrics");
  EXPECT_EQ(text.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(text.body.find("# EOF"), std::string::npos);
  EXPECT_EQ(text.body.find("trace_id"), std::string::npos);
  EXPECT_NE(text.body.find("# TYPE agent_requests_total counter"), std::string::npos);
}

TEST_F(ExporterTest, HealthReadyLandingAndNotFound) {
  Start();
  EXPECT_EQ(Request(exporter_->port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(Request(exporter_->port(), "GET", "/-/ready").status, 200);
  HttpResult landing = Request(exporter_->port(), "GET", "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_NE(landing.body.find("href=\"/metrics\""), std::string::npos);
  EXPECT_EQ(Request(exporter_->port(), "GET", "/nope").status, 404);
}

TEST_F(ExporterTest, EveryEventTypeMapsToItsMetrics) {
  Start();
  HttpResult r = Push(
      R"({"type":"run","agent_id":"a","status":"failure","duration_ms":2500,"steps":4,"tool_calls":3,"task_type":"refund"}
{"type":"llm_call","agent_id":"a","model":"claude-sonnet-4-5","input_tokens":1000000,"output_tokens":100000,"cache_read_tokens":1000000,"cache_creation_tokens":0,"duration_ms":400}
{"type":"llm_call","agent_id":"a","model":"mystery-model","input_tokens":70,"output_tokens":30}
{"type":"llm_call","agent_id":"a","model":"mystery-model","input_tokens":5,"cost_usd":0.25,"status":"failure"}
{"type":"tool_call","agent_id":"a","tool_name":"refund","status":"timeout","duration_ms":30000}
{"type":"step","agent_id":"a","outcome":"max_steps"}
{"type":"hallucination","agent_id":"a","hallucination_type":"fabricated_fact","trace_id":"0123456789abcdef0123456789abcdef"}
{"type":"recovery","agent_id":"a","strategy":"retry"}
{"type":"approval","agent_id":"a","result":"denied"}
{"type":"task","agent_id":"a","task_type":"refund","outcome":"completed","cost_usd":0.5}
{"type":"task","agent_id":"a","task_type":"refund","outcome":"failed","cost_usd":1.5}
{"type":"feedback","agent_id":"a","score":0.25}
{"type":"eval","agent_id":"a","evaluator":"judge","score":0.9}
)");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NE(r.body.find("\"accepted\":13"), std::string::npos) << r.body;
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "agent_requests_total{agent_id=\"a\",status=\"failure\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_request_duration_seconds_bucket{agent_id=\"a\",le=\"2.0\"}"), 0);
  EXPECT_EQ(Sample(m, "agent_request_duration_seconds_bucket{agent_id=\"a\",le=\"5.0\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_request_duration_seconds_sum{agent_id=\"a\"}"), 2.5);
  EXPECT_EQ(Sample(m, "agent_reasoning_steps_sum{agent_id=\"a\"}"), 4);
  EXPECT_EQ(Sample(m, "agent_tool_calls_per_run_sum{agent_id=\"a\"}"), 3);
  const std::string sonnet = "agent_id=\"a\",model=\"claude-sonnet-4-5\"";
  EXPECT_EQ(Sample(m, "agent_llm_calls_total{" + sonnet + ",status=\"success\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_tokens_consumed_total{" + sonnet + ",direction=\"input\"}"), 1e6) << m;
  EXPECT_EQ(Sample(m, "agent_tokens_consumed_total{" + sonnet + ",direction=\"output\"}"), 1e5);
  EXPECT_EQ(Sample(m, "agent_tokens_consumed_total{" + sonnet + ",direction=\"cache_read\"}"), 1e6);
  // Zero tokens create no series.
  EXPECT_TRUE(std::isnan(Sample(m, "agent_tokens_consumed_total{" + sonnet + ",direction=\"cache_creation\"}")));
  // claude-sonnet-4* list price: 3 $/M input, 15 $/M output, 0.30 $/M cache read.
  EXPECT_NEAR(Sample(m, "agent_cost_usd_total{" + sonnet + "}"), 3 + 1.5 + 0.3, 1e-9);
  EXPECT_EQ(Sample(m, "agent_model_latency_seconds_count{" + sonnet + "}"), 1);
  // No price and no cost: counted as unpriced, never as $0; cost_usd on the event wins.
  EXPECT_EQ(Sample(m, "agent_exporter_unpriced_tokens_total{model=\"mystery-model\"}"), 100);
  EXPECT_EQ(Sample(m, "agent_cost_usd_total{agent_id=\"a\",model=\"mystery-model\"}"), 0.25);
  EXPECT_EQ(Sample(m, "agent_llm_calls_total{agent_id=\"a\",model=\"mystery-model\",status=\"failure\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_tool_calls_total{agent_id=\"a\",tool_name=\"refund\",status=\"timeout\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_tool_duration_seconds_sum{agent_id=\"a\",tool_name=\"refund\"}"), 30);
  EXPECT_EQ(Sample(m, "agent_step_outcomes_total{agent_id=\"a\",outcome=\"max_steps\"}"), 1);
  EXPECT_NE(m.find("agent_hallucination_total{agent_id=\"a\",hallucination_type=\"fabricated_fact\"} 1 # "
                   "{trace_id=\"0123456789abcdef0123456789abcdef\"}"),
            std::string::npos);
  EXPECT_EQ(Sample(m, "agent_recovery_attempts_total{agent_id=\"a\",recovery_strategy=\"retry\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_approvals_total{agent_id=\"a\",result=\"denied\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_tasks_total{agent_id=\"a\",task_type=\"refund\",outcome=\"completed\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_task_completion_rate{agent_id=\"a\",task_type=\"refund\"}"), 0.5);
  EXPECT_EQ(Sample(m, "agent_cost_per_task_usd{agent_id=\"a\"}"), 1.0);
  EXPECT_EQ(Sample(m, "agent_user_feedback_score_count{agent_id=\"a\",task_type=\"unknown\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_eval_score_bucket{agent_id=\"a\",evaluator=\"judge\",le=\"0.9\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_eval_score_bucket{agent_id=\"a\",evaluator=\"judge\",le=\"0.8\"}"), 0);
  EXPECT_EQ(Sample(m, "agent_exporter_build_info{version=\"" AGX_TEST_VERSION "\",revision=\"" AGX_TEST_REVISION "\"}"), 1)
      << m;
}

TEST_F(ExporterTest, SeriesLimitSendsNewLabelSetsToOverflow) {
  config_.registry.series_limit = 2;
  Start();
  std::string body;
  for (int i = 0; i < 5; ++i) {
    body += "{\"type\":\"approval\",\"agent_id\":\"agent-" + std::to_string(i) +
            "\",\"result\":\"approved\"}\n";
  }
  ASSERT_EQ(Push(body).status, 200);
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "agent_approvals_total{agent_id=\"agent-0\",result=\"approved\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_approvals_total{agent_id=\"agent-1\",result=\"approved\"}"), 1);
  EXPECT_EQ(Sample(m, "agent_approvals_total{agent_id=\"__overflow__\",result=\"__overflow__\"}"), 3);
  EXPECT_EQ(Sample(m, "agent_exporter_series_overflow_total{metric=\"agent_approvals_total\"}"), 3);
}

TEST_F(ExporterTest, TailsFilesAndResumesFromStateWithoutDoubleCounting) {
  config_.state.dir = dir_ + "/state";
  config_.ingest.files = {dir_ + "/events*.jsonl"};
  const std::string line = "{\"type\":\"run\",\"agent_id\":\"t\",\"status\":\"success\"}\n";
  const std::string series = "agent_requests_total{agent_id=\"t\",status=\"success\"}";
  {
    std::ofstream out(dir_ + "/events.jsonl");
    for (int i = 0; i < 10; ++i) out << line;
    out << "{\"type\":\"run\",\"agent_id\":\"t\"";  // partial: held until its newline
  }
  Start();
  WaitFor(series, 10);
  ASSERT_EQ(Push(line).status, 200);
  exporter_->Stop();
  exporter_.reset();

  {
    std::ofstream out(dir_ + "/events.jsonl", std::ios::app);
    out << ",\"status\":\"success\"}\n" << line;
  }
  Start();
  std::string m = WaitFor(series, 13);  // 10 + 1 pushed + 2 appended while stopped
  EXPECT_EQ(Sample(m, "agent_exporter_events_total{source=\"file\",type=\"run\"}"), 12);
  EXPECT_EQ(Sample(m, "agent_exporter_events_total{source=\"push\",type=\"run\"}"), 1);
}

}  // namespace
}  // namespace agx
