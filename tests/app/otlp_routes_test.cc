// OTLP/HTTP on a real exporter (127.0.0.1:0): content types and encodings, reply encoding
// and partialSuccess, limits, authentication, the second listener, and tailing OTLP JSON
// files. The mapping itself is tested in tests/otlp/, the WAL replay of OTLP batches in
// tests/ingest/pipeline_test.cc.
#include <gtest/gtest.h>

#include <fstream>

#include "app/exporter_fixture.h"
#include "common/gzip.h"

namespace agx {
namespace {

using testutil::HttpHeaders;
using testutil::HttpResult;
using testutil::Request;

const HttpHeaders kJson = {{"Content-Type", "application/json"}};
const HttpHeaders kProto = {{"Content-Type", "application/x-protobuf"}};

// A chat span and a tool span (docs/otlp.md), one with a bad trace id, under service "svc".
std::string TraceBody(std::string_view tool_span_extra = "") {
  return R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
    "scopeSpans":[{"scope":{"name":"s"},"spans":[
     {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"chat gpt-4o",
      "kind":3,"startTimeUnixNano":"1795319953000000000","endTimeUnixNano":"1795319954500000000",
      "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                    {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
                    {"key":"gen_ai.usage.input_tokens","value":{"intValue":100}},
                    {"key":"gen_ai.usage.output_tokens","value":{"intValue":"20"}}],
      "status":{}},
     {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"execute_tool",
      "startTimeUnixNano":"1795319953000000000","endTimeUnixNano":"1795319953250000000",
      "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}})" +
         std::string(tool_span_extra) + R"(]},
     {"traceId":"5b8efff7","spanId":"eee19b7ec3c1b176","name":"chat",
      "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                    {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]},
     {"name":"GET /health","attributes":[]}
    ]}]}]})";
}

constexpr char kToolName[] =
    R"(,{"key":"gen_ai.tool.name","value":{"stringValue":"search"}})";

// Protobuf wire bytes, written by hand (field numbers from opentelemetry-proto).
std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Field(int field, std::string_view bytes) {  // length-delimited
  return Varint(static_cast<std::uint64_t>(field) << 3 | 2) + Varint(bytes.size()) +
         std::string(bytes);
}
std::string Fixed64(int field, std::uint64_t v) {
  std::string out = Varint(static_cast<std::uint64_t>(field) << 3 | 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}
std::string StringAttr(std::string_view key, std::string_view value) {
  return Field(1, key) + Field(2, Field(1, value));  // KeyValue{key, AnyValue{string_value}}
}
std::string IntAttr(std::string_view key, std::uint64_t value) {
  return Field(1, key) + Field(2, Varint(3 << 3) + Varint(value));  // AnyValue{int_value}
}

// ExportTraceServiceRequest with one execute_tool span of agent "proto-agent".
// Spans are told apart by their id (a span sent again is counted once): `id` varies it.
std::string ProtoToolSpan(std::string_view tool, char id = '\x22') {
  std::string span = Field(1, std::string(16, '\x11')) + Field(2, std::string(8, id)) +
                     Field(5, "execute_tool") + Fixed64(7, 1795319953000000000ULL) +
                     Fixed64(8, 1795319953500000000ULL) +
                     Field(9, StringAttr("gen_ai.operation.name", "execute_tool")) +
                     Field(9, StringAttr("gen_ai.agent.name", "proto-agent")) +
                     Field(9, IntAttr("ignored.int", 7));
  if (!tool.empty()) span += Field(9, StringAttr("gen_ai.tool.name", tool));
  return Field(1, Field(2, Field(2, span)));  // resource_spans{scope_spans{spans}}
}

class OtlpRoutesTest : public ExporterTest {
 protected:
  HttpResult Post(std::string_view path, const std::string& body, HttpHeaders headers = kJson,
                  int port = 0) {
    return Request(port != 0 ? port : exporter_->port(), "POST", path, headers, body);
  }
};

TEST_F(OtlpRoutesTest, JsonTracesAreMappedAndRepliedInJsonWithPartialSuccess) {
  Start();
  HttpResult r = Post("/v1/traces", TraceBody(kToolName));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  // The span with a 4-byte trace id is rejected; the rest is applied.
  EXPECT_NE(r.body.find(R"("rejectedSpans":"1")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("errorMessage":)"), std::string::npos) << r.body;

  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_llm_calls_total{agent_id="svc",model="gpt-4o",status="success"})"), 1) << m;
  EXPECT_EQ(Sample(m, R"(agent_tokens_consumed_total{agent_id="svc",model="gpt-4o",direction="input"})"), 100);
  EXPECT_EQ(Sample(m, R"(agent_tokens_consumed_total{agent_id="svc",model="gpt-4o",direction="output"})"), 20);
  EXPECT_EQ(Sample(m, R"(agent_model_latency_seconds_count{agent_id="svc",model="gpt-4o"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="otlp",type="llm_call"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="otlp",type="tool_call"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_rejected_total{source="otlp",reason="invalid_value"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_dropped_total{signal="traces",reason="not_genai"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="200"})"), 1);
  // The chat span's ids are the exemplar of its call (ids lower-cased).
  EXPECT_NE(m.find(R"(agent_llm_calls_total{agent_id="svc",model="gpt-4o",status="success"} 1 # {trace_id="5b8efff798038103d269b633813fc60c",span_id="eee19b7ec3c1b174"} 1)"),
            std::string::npos)
      << m;
}

TEST_F(OtlpRoutesTest, MissingToolNameIsAPartialSuccessNamingTheProblem) {
  Start();
  HttpResult r = Post("/v1/traces", TraceBody());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("rejectedSpans":"2")"), std::string::npos) << r.body;
  EXPECT_EQ(Sample(Metrics(), R"(agent_exporter_events_rejected_total{source="otlp",reason="missing_field"})"), 1);
}

TEST_F(OtlpRoutesTest, ProtobufIsAcceptedAndRepliedInProtobuf) {
  Start();
  HttpResult r = Post("/v1/traces", ProtoToolSpan("db_query"), kProto);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.body, "") << "full success: an empty ExportTraceServiceResponse";

  // Partial success: ExportTraceServiceResponse{partial_success{rejected_spans: 1, msg}}.
  r = Post("/v1/traces", ProtoToolSpan("", '\x23'), kProto);
  ASSERT_EQ(r.status, 200);
  ASSERT_GE(r.body.size(), 4u);
  EXPECT_EQ(r.body[0], '\x0a');                     // field 1, length-delimited
  EXPECT_EQ(r.body.substr(2, 2), std::string("\x08\x01", 2));  // rejected_spans = 1
  EXPECT_NE(r.body.find("gen_ai.tool.name"), std::string::npos);

  // Undecodable protobuf: 400 with a google.rpc.Status{code: 3, message} in protobuf.
  r = Post("/v1/traces", "\x0a\xff\xff\xff\xff\x0f", kProto);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.body.substr(0, 2), std::string("\x08\x03", 2));

  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_tool_calls_total{agent_id="proto-agent",tool_name="db_query",status="success"})"), 1) << m;
  EXPECT_EQ(Sample(m, R"(agent_tool_duration_seconds_sum{agent_id="proto-agent",tool_name="db_query"})"), 0.5);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="400"})"), 1);
}

TEST_F(OtlpRoutesTest, EmptyRequestsSucceedInBothEncodings) {
  Start();
  for (std::string_view path : {"/v1/traces", "/v1/logs", "/v1/metrics"}) {
    SCOPED_TRACE(path);
    HttpResult r = Post(path, "{}");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{}");
    r = Post(path, "", kProto);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "");
  }
}

TEST_F(OtlpRoutesTest, BadContentTypesEncodingsAndBodiesGetClearErrors) {
  config_.web.max_decompressed_bytes = 64 * 1024;
  Start();
  HttpResult r = Post("/v1/traces", "{}", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_NE(r.body.find("unsupported Content-Type"), std::string::npos) << r.body;

  r = Post("/v1/logs", "{}", {{"Content-Type", "application/json"}, {"Content-Encoding", "br"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("unsupported Content-Encoding \\\"br\\\""), std::string::npos) << r.body;

  r = Post("/v1/logs", "{\"resourceLogs\":[", kJson);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"code\":3"), std::string::npos) << r.body;

  r = Post("/v1/logs", "not gzip", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid gzip body"), std::string::npos) << r.body;

  // A zip bomb: a small upload that inflates past web.max_decompressed_bytes.
  const std::string bomb = Gzip("{\"resourceLogs\":[]" + std::string(10 << 20, ' ') + "}");
  r = Post("/v1/logs", bomb, {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("decompressed request body exceeds the limit of 65536 bytes"),
            std::string::npos) << r.body;

  // Gzip'd valid data is applied.
  r = Post("/v1/traces", Gzip(TraceBody(kToolName)),
           {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 200) << r.body;

  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="traces",code="415"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="logs",code="415"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="logs",code="400"})"), 2);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_requests_total{signal="logs",code="413"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})"), 1);
}

TEST_F(OtlpRoutesTest, BodiesOverTheSizeLimitGet413InTheRequestsEncoding) {
  config_.web.max_body_bytes = 1000;
  Start();
  HttpResult r = Post("/v1/metrics", std::string(2000, 'x'), kProto);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.body.substr(0, 2), std::string("\x08\x08", 2));  // RESOURCE_EXHAUSTED
  EXPECT_EQ(Sample(Metrics(), R"(agent_exporter_otlp_requests_total{signal="metrics",code="413"})"), 1);
}

TEST_F(OtlpRoutesTest, ABodyThatDoesNotArriveInTimeGets408DeadlineExceeded) {
  config_.web.request_timeout = std::chrono::milliseconds(300);
  Start();
  testutil::HttpConnection slow(exporter_->port());
  ASSERT_TRUE(slow.SendRaw(
      "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{\"resourceSpans\":"));
  HttpResult r = slow.ReadResponse(false);
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_NE(r.body.find("\"code\":4"), std::string::npos) << r.body;  // DEADLINE_EXCEEDED
  EXPECT_EQ(Sample(Metrics(), R"(agent_exporter_otlp_requests_total{signal="traces",code="408"})"), 1);
}

TEST_F(OtlpRoutesTest, BearerTokenIsRequiredWhenConfigured) {
  const std::string token_file = dir_ + "/token";
  std::ofstream(token_file) << "s3cret\n";
  config_.web.bearer_token_file = token_file;
  Start();
  HttpResult r = Post("/v1/traces", "{}");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer realm=\"agent_exporter\"");
  r = Post("/v1/traces", "{}", {{"Content-Type", "application/json"}, {"Authorization", "Bearer nope"}});
  EXPECT_EQ(r.status, 401);
  r = Post("/v1/traces", "{}", {{"Content-Type", "application/json"}, {"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(r.status, 200);
}

TEST_F(OtlpRoutesTest, SecondListenerServesOnlyOtlp) {
  config_.otlp.listen_address = "127.0.0.1:0";
  Start();
  const int otlp_port = exporter_->otlp_port();
  ASSERT_NE(otlp_port, 0);
  ASSERT_NE(otlp_port, exporter_->port());
  HttpResult r = Post("/v1/traces", TraceBody(kToolName), kJson, otlp_port);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Request(otlp_port, "GET", "/metrics").status, 404);
  EXPECT_EQ(Request(otlp_port, "POST", "/v1/events", kNdjson, "{}").status, 404);
  EXPECT_EQ(Sample(Metrics(), R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})"), 1);
}

TEST_F(OtlpRoutesTest, TailsOtlpJsonFilesOneRequestPerLine) {
  const std::string file = dir_ + "/otel.jsonl";
  {
    std::ofstream out(file);
    std::string one_line = TraceBody(kToolName);
    for (char& c : one_line) if (c == '\n') c = ' ';
    out << one_line << "\n" << "this is not OTLP\n" << "{\"resourceMetrics\":[]}\n";
  }
  config_.otlp.files = {file};
  Start();
  const std::string m = WaitFor(
      R"(agent_tool_calls_total{agent_id="svc",tool_name="search",status="success"})", 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_total{source="file",type="llm_call"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_rejected_total{source="file",reason="invalid_json"})"), 1);
  EXPECT_EQ(Sample(m, R"(agent_exporter_events_rejected_total{source="file",reason="invalid_value"})"), 1);
}

// An in-house span shape mapped by otlp.span_rules alone; its wrapper, exported after a
// restart, is recognised as the same call from the span memory saved in the snapshot.
TEST_F(OtlpRoutesTest, SpanRulesMapInHouseSpansAndNestedDuplicatesSurviveARestart) {
  auto parsed = ParseConfig(R"(otlp:
  span_rules:
    - name: acme-llm
      match: {scope: 'acme\.agents', span_name: 'llm\..*'}
      event: llm_call
      fields: {model: [acme.model], input_tokens: [acme.in], output_tokens: [acme.out], agent_id: [acme.bot]}
      input_includes_cache: false
)",
                            "c.yml");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  config_.otlp = parsed->otlp;
  config_.state.dir = dir_ + "/state";
  auto body = [](std::string_view scope, std::string_view name, std::string_view id,
                 std::string_view parent, std::string_view attrs) {
    return std::string(R"({"resourceSpans":[{"scopeSpans":[{"scope":{"name":")") +
           std::string(scope) + R"("},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":")" +
           std::string(id) + R"(","parentSpanId":")" + std::string(parent) + R"(","name":")" +
           std::string(name) + R"(","attributes":[)" + std::string(attrs) + "]}]}]}]}";
  };
  Start();
  HttpResult r = Post("/v1/traces", body("acme.agents", "llm.openai", "00000000000000a2", "00000000000000a1",
                                         R"({"key":"acme.model","value":{"stringValue":"gpt-4o"}},)"
                                         R"({"key":"acme.in","value":{"intValue":"40"}},)"
                                         R"({"key":"acme.out","value":{"intValue":"2"}},)"
                                         R"({"key":"acme.bot","value":{"stringValue":"acme-bot"}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  exporter_->Stop();  // a clean stop saves the snapshot, the span memory with it
  Start();
  r = Post("/v1/traces", body("wrapper", "chat gpt-4o", "00000000000000a1", "",
                              R"({"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},)"
                              R"({"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},)"
                              R"({"key":"gen_ai.agent.name","value":{"stringValue":"acme-bot"}})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, R"(agent_llm_calls_total{agent_id="acme-bot",model="gpt-4o",status="success"})"), 1) << m;
  EXPECT_EQ(Sample(m, R"(agent_tokens_consumed_total{agent_id="acme-bot",model="gpt-4o",direction="input"})"), 40);
  EXPECT_EQ(Sample(m, R"(agent_exporter_otlp_dropped_total{signal="traces",reason="duplicate"})"), 1);
}

}  // namespace
}  // namespace agx
