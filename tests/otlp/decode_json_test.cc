#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "otlp/decode.h"

namespace agx::otlp {
namespace {

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(AGX_SOURCE_DIR) + "/tests/otlp/testdata/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<ExportRequest> Json(Signal s, std::string_view body, DecodeLimits limits = {}) {
  return DecodeJson(s, body, limits);
}

/// A traces request with one span (a JSON object text).
std::string WithSpan(std::string_view span) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + std::string(span) + "]}]}]}";
}
/// A traces request with one span holding one attribute whose value is `value`.
std::string WithAttrValue(std::string_view value) {
  return WithSpan(R"({"attributes":[{"key":"k","value":)" + std::string(value) + "}]}");
}
std::string WithLog(std::string_view record) {
  return R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[)" + std::string(record) + "]}]}]}";
}
std::string WithMetric(std::string_view metric) {
  return R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[)" + std::string(metric) + "]}]}]}";
}

const Span& OnlySpan(const ExportRequest& r) { return r.spans.at(0).scopes.at(0).items.at(0); }
const LogRecord& OnlyLog(const ExportRequest& r) { return r.logs.at(0).scopes.at(0).items.at(0); }
const Metric& OnlyMetric(const ExportRequest& r) {
  return r.metrics.at(0).scopes.at(0).items.at(0);
}

std::string Attrs(int n) {
  std::string a = "[";
  for (int i = 0; i < n; ++i) {
    if (i) a += ",";
    a +=
        R"({"key":"k)" + std::to_string(i) + R"(","value":{"intValue":)" + std::to_string(i) + "}}";
  }
  return a + "]";
}

TEST(DecodeJsonTest, SpecTraceExample) {
  const std::string body = Testdata("trace.json");
  auto r = Json(Signal::kTraces, body);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->signal, Signal::kTraces);
  ASSERT_EQ(r->spans.size(), 1u);
  const auto& res = r->spans[0];
  ASSERT_EQ(res.resource.size(), 1u);
  EXPECT_EQ(res.resource[0].key, "service.name");
  EXPECT_EQ(res.resource[0].value.kind, ValueKind::kString);
  EXPECT_EQ(res.resource[0].value.str, "my.service");
  ASSERT_EQ(res.scopes.size(), 1u);
  EXPECT_EQ(res.scopes[0].scope_name, "my.library");
  ASSERT_EQ(res.scopes[0].items.size(), 1u);
  const Span& s = res.scopes[0].items[0];
  EXPECT_EQ(s.trace_id.view(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(s.span_id.view(), "eee19b7ec3c1b174");
  EXPECT_EQ(s.name, "I'm a server span");
  EXPECT_EQ(s.kind, 2);
  EXPECT_EQ(s.start_time_ns, 1544712660000000000u);
  EXPECT_EQ(s.end_time_ns, 1544712661000000000u);
  ASSERT_EQ(s.attributes.size(), 1u);
  EXPECT_EQ(s.attributes[0].key, "my.span.attr");
  EXPECT_EQ(s.attributes[0].value.str, "some value");
  EXPECT_EQ(s.status_code, 0);
  EXPECT_EQ(s.error, ItemError::kNone);
  EXPECT_EQ(r->ItemCount(), 1u);
}

TEST(DecodeJsonTest, SpecLogsExample) {
  const std::string body = Testdata("logs.json");
  auto r = Json(Signal::kLogs, body);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->logs.size(), 1u);
  EXPECT_EQ(r->logs[0].scopes.at(0).scope_name, "my.library");
  const LogRecord& l = OnlyLog(*r);
  EXPECT_EQ(l.time_ns, 1544712660300000000u);
  EXPECT_EQ(l.observed_time_ns, 1544712660300000000u);
  EXPECT_EQ(l.severity_number, 10);
  EXPECT_EQ(l.trace_id.view(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(l.span_id.view(), "eee19b7ec3c1b174");
  EXPECT_EQ(l.body.kind, ValueKind::kString);
  EXPECT_EQ(l.body.str, "Example log record");
  EXPECT_EQ(l.event_name, "");
  ASSERT_EQ(l.attributes.size(), 7u);
  EXPECT_EQ(Find(l.attributes, "string.attribute")->str, "some string");
  EXPECT_EQ(Find(l.attributes, "boolean.attribute")->kind, ValueKind::kBool);
  EXPECT_TRUE(Find(l.attributes, "boolean.attribute")->b);
  EXPECT_EQ(Find(l.attributes, "int.attribute")->kind, ValueKind::kInt);
  EXPECT_EQ(Find(l.attributes, "int.attribute")->i, 10);
  EXPECT_EQ(Find(l.attributes, "double.attribute")->kind, ValueKind::kDouble);
  EXPECT_DOUBLE_EQ(Find(l.attributes, "double.attribute")->d, 637.704);
  EXPECT_EQ(Find(l.attributes, "array.attribute")->kind, ValueKind::kArray);
  EXPECT_EQ(Find(l.attributes, "map.attribute")->kind, ValueKind::kKvList);
  EXPECT_EQ(Find(l.attributes, "bytes.attribute")->kind, ValueKind::kBytes);
  EXPECT_EQ(l.error, ItemError::kNone);
}

TEST(DecodeJsonTest, SpecMetricsExample) {
  const std::string body = Testdata("metrics.json");
  auto r = Json(Signal::kMetrics, body);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& metrics = r->metrics.at(0).scopes.at(0).items;
  ASSERT_EQ(metrics.size(), 3u);
  const Metric& sum = metrics[0];
  EXPECT_EQ(sum.name, "my.counter");
  EXPECT_EQ(sum.unit, "1");
  EXPECT_EQ(sum.kind, MetricKind::kSum);
  EXPECT_EQ(sum.temporality, 1);
  EXPECT_TRUE(sum.monotonic);
  ASSERT_EQ(sum.points.size(), 1u);
  EXPECT_EQ(sum.points[0].value, 5.0);
  EXPECT_FALSE(sum.points[0].is_int);
  EXPECT_TRUE(sum.points[0].has_value);
  EXPECT_EQ(sum.points[0].start_time_ns, 1544712660300000000u);
  EXPECT_EQ(sum.points[0].time_ns, 1544712660300000000u);
  EXPECT_EQ(Find(sum.points[0].attributes, "my.counter.attr")->str, "some value");
  const Metric& gauge = metrics[1];
  EXPECT_EQ(gauge.kind, MetricKind::kGauge);
  EXPECT_EQ(gauge.temporality, 0);
  ASSERT_EQ(gauge.points.size(), 1u);
  EXPECT_EQ(gauge.points[0].value, 10.0);
  EXPECT_TRUE(gauge.points[0].is_int);
  EXPECT_EQ(gauge.points[0].start_time_ns, 0u);
  const Metric& hist = metrics[2];
  EXPECT_EQ(hist.kind, MetricKind::kHistogram);
  EXPECT_EQ(hist.temporality, 1);
  EXPECT_TRUE(hist.points.empty());
  EXPECT_EQ(hist.other_points, 2u);
  EXPECT_EQ(r->ItemCount(), 4u);
}

TEST(DecodeJsonTest, ClaudeCodeLogsKeepStringNumbers) {
  const std::string body = Testdata("claude_code_logs.json");
  auto r = Json(Signal::kLogs, body);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(Find(r->logs.at(0).resource, "service.name")->str, "claude-code");
  const auto& scope = r->logs.at(0).scopes.at(0);
  EXPECT_EQ(scope.scope_name, "com.anthropic.claude_code.events");
  ASSERT_EQ(scope.items.size(), 2u);
  const LogRecord& api = scope.items[0];
  EXPECT_EQ(api.body.str, "claude_code.api_request");
  EXPECT_EQ(api.severity_number, 9);
  EXPECT_EQ(api.time_ns, 1774280000123000000u);
  EXPECT_EQ(api.observed_time_ns, 1774280000124000000u);
  EXPECT_FALSE(api.trace_id.present);
  EXPECT_EQ(Find(api.attributes, "event.name")->str, "api_request");
  EXPECT_EQ(Find(api.attributes, "event.sequence")->kind, ValueKind::kInt);
  EXPECT_EQ(Find(api.attributes, "event.sequence")->i, 1);
  for (const char* key : {"input_tokens", "output_tokens", "cache_read_tokens",
                          "cache_creation_tokens", "cost_usd", "duration_ms"}) {
    SCOPED_TRACE(key);
    ASSERT_NE(Find(api.attributes, key), nullptr);
    EXPECT_EQ(Find(api.attributes, key)->kind, ValueKind::kString);
  }
  EXPECT_EQ(Find(api.attributes, "input_tokens")->str, "3");
  EXPECT_EQ(Find(api.attributes, "cost_usd")->str, "0.144065");
  const LogRecord& tool = scope.items[1];
  EXPECT_EQ(tool.body.str, "claude_code.tool_result");
  EXPECT_EQ(Find(tool.attributes, "success")->str, "true");
  EXPECT_EQ(tool.severity_number, 0);
}

TEST(DecodeJsonTest, ClaudeCodeMetricsDeltaAndCumulative) {
  const std::string body = Testdata("claude_code_metrics.json");
  auto r = Json(Signal::kMetrics, body);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& scope = r->metrics.at(0).scopes.at(0);
  EXPECT_EQ(scope.scope_name, "com.anthropic.claude_code");
  ASSERT_EQ(scope.items.size(), 3u);
  const Metric& tokens = scope.items[0];
  EXPECT_EQ(tokens.name, "claude_code.token.usage");
  EXPECT_EQ(tokens.unit, "tokens");
  EXPECT_EQ(tokens.kind, MetricKind::kSum);
  EXPECT_EQ(tokens.temporality, 1);
  EXPECT_TRUE(tokens.monotonic);
  ASSERT_EQ(tokens.points.size(), 2u);
  EXPECT_EQ(tokens.points[0].value, 1234.0);
  EXPECT_EQ(Find(tokens.points[0].attributes, "type")->str, "input");
  EXPECT_EQ(Find(tokens.points[1].attributes, "type")->str, "cacheRead");
  EXPECT_EQ(Find(tokens.points[1].attributes, "model")->str, "claude-opus-4-6[1m]");
  EXPECT_EQ(tokens.points[1].start_time_ns, 1774280000000000000u);
  EXPECT_EQ(tokens.points[1].time_ns, 1774280060000000000u);
  const Metric& cost = scope.items[1];
  EXPECT_EQ(cost.unit, "USD");
  EXPECT_DOUBLE_EQ(cost.points.at(0).value, 0.144065);
  const Metric& sessions = scope.items[2];
  EXPECT_EQ(sessions.temporality, 2);
  EXPECT_TRUE(sessions.points.at(0).is_int);
  EXPECT_EQ(sessions.points.at(0).value, 3.0);
}

TEST(DecodeJsonTest, EmptyBodies) {
  for (const char* body : {"", "  \n", "{}", R"({"resourceLogs":[]})", R"({"resourceSpans":[]})",
                           R"({"resourceSpans":null})"}) {
    SCOPED_TRACE(body);
    auto r = Json(Signal::kTraces, body);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->signal, Signal::kTraces);
    EXPECT_TRUE(r->spans.empty());
    EXPECT_EQ(r->ItemCount(), 0u);
  }
}

TEST(DecodeJsonTest, UnknownKeysAndNullsAreIgnored) {
  const std::string body = R"({"resourceSpans":[{"resource":null,"schemaUrl":"x",
      "scopeSpans":[{"scope":{"name":"s","whatever":[1,{"a":2}]},"spans":[{
        "name":"n","future_field":{"x":[1,2,3]},"trace_id":"zz","traceState":"a=b",
        "events":[{"timeUnixNano":"1","name":"e"}],"links":[],"flags":1,"status":null,
        "droppedAttributesCount":3,"kind":null}]}]}],
      "resourceLogs":[5],"resource_spans":{"x":1}})";
  auto r = Json(Signal::kTraces, body);
  ASSERT_TRUE(r.ok()) << r.error();
  const Span& s = OnlySpan(*r);
  EXPECT_EQ(s.name, "n");
  EXPECT_EQ(s.kind, 0);
  EXPECT_FALSE(s.trace_id.present);
  EXPECT_EQ(s.error, ItemError::kNone);
  EXPECT_EQ(r->spans[0].scopes[0].scope_name, "s");
}

TEST(DecodeJsonTest, Int64AsNumberOrString) {
  struct Case {
    std::string json;
    bool ok;
    std::uint64_t want;
  };
  const Case cases[] = {
      {"0", true, 0},
      {"1544712660000000000", true, 1544712660000000000u},
      {"\"1544712660000000000\"", true, 1544712660000000000u},
      {"18446744073709551615", true, 18446744073709551615u},
      {"\"18446744073709551615\"", true, 18446744073709551615u},
      {"1e18", true, 1000000000000000000u},
      {"\"18446744073709551616\"", false, 0},
      {"-1", false, 0},
      {"\"-1\"", false, 0},
      {"1.5", false, 0},
      {"\"1.5\"", false, 0},
      {"\"\"", false, 0},
      {"\" 1\"", false, 0},
      {"\"+1\"", false, 0},
      {"\"0x10\"", false, 0},
      {"true", false, 0},
      {"[1]", false, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    auto r = Json(Signal::kTraces, WithSpan(R"({"startTimeUnixNano":)" + c.json + "}"));
    ASSERT_EQ(r.ok(), c.ok) << (r.ok() ? "" : r.error());
    if (c.ok) {
      EXPECT_EQ(OnlySpan(*r).start_time_ns, c.want);
    } else {
      EXPECT_EQ(r.error(),
                "invalid OTLP JSON: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: "
                "expected an unsigned integer (number or decimal string)");
    }
  }
}

TEST(DecodeJsonTest, IntValueSigned) {
  struct Case {
    std::string json;
    bool ok;
    std::int64_t want;
  };
  const Case cases[] = {
      {"10", true, 10},
      {"\"10\"", true, 10},
      {"-5", true, -5},
      {"\"-5\"", true, -5},
      {"9223372036854775807", true, INT64_MAX},
      {"\"-9223372036854775808\"", true, INT64_MIN},
      {"-9223372036854775808", true, INT64_MIN},
      {"9223372036854775808", false, 0},
      {"\"9223372036854775808\"", false, 0},
      {"2.5", false, 0},
      {"\"abc\"", false, 0},
      {"null", true, 0},  // null is "not set": the value stays empty
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    auto r = Json(Signal::kTraces, WithAttrValue(R"({"intValue":)" + c.json + "}"));
    ASSERT_EQ(r.ok(), c.ok) << (r.ok() ? "" : r.error());
    if (!c.ok) {
      EXPECT_NE(r.error().find("spans[0].attributes[0].value.intValue: expected an integer"),
                std::string::npos)
          << r.error();
      continue;
    }
    const AnyValue& v = OnlySpan(*r).attributes.at(0).value;
    if (c.json == "null") {
      EXPECT_EQ(v.kind, ValueKind::kEmpty);
    } else {
      EXPECT_EQ(v.kind, ValueKind::kInt);
      EXPECT_EQ(v.i, c.want);
    }
  }
}

TEST(DecodeJsonTest, Doubles) {
  struct Case {
    std::string json;
    bool ok;
    double want;  // NaN: expect NaN
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {"637.704", true, 637.704},
      {"5", true, 5},
      {"-5", true, -5},
      {"18446744073709551615", true, 18446744073709551615.0},
      {"1e308", true, 1e308},
      {"\"NaN\"", true, std::nan("")},
      {"\"Infinity\"", true, inf},
      {"\"-Infinity\"", true, -inf},
      {"\"1.5\"", true, 1.5},
      {"\"abc\"", false, 0},
      {"\"\"", false, 0},
      {"true", false, 0},
      {"{}", false, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    auto r = Json(Signal::kTraces, WithAttrValue(R"({"doubleValue":)" + c.json + "}"));
    ASSERT_EQ(r.ok(), c.ok) << (r.ok() ? "" : r.error());
    if (!c.ok) {
      EXPECT_NE(r.error().find("value.doubleValue: expected a number"), std::string::npos)
          << r.error();
      continue;
    }
    const AnyValue& v = OnlySpan(*r).attributes.at(0).value;
    EXPECT_EQ(v.kind, ValueKind::kDouble);
    if (std::isnan(c.want)) {
      EXPECT_TRUE(std::isnan(v.d));
    } else {
      EXPECT_EQ(v.d, c.want);
    }
  }
}

TEST(DecodeJsonTest, AsDoubleAndAsInt) {
  struct Case {
    std::string point;
    bool has_value;
    bool is_int;
    double want;
  };
  const Case cases[] = {
      {R"({"asDouble":1.25})", true, false, 1.25},
      {R"({"asDouble":"NaN"})", true, false, std::nan("")},
      {R"({"asDouble":"-Infinity"})", true, false, -std::numeric_limits<double>::infinity()},
      {R"({"asInt":"-42"})", true, true, -42},
      {R"({"asInt":42})", true, true, 42},
      {R"({"asInt":"9007199254740993"})", true, true, 9007199254740992.0},
      {R"({"timeUnixNano":"1"})", false, false, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.point);
    auto r = Json(Signal::kMetrics,
                  WithMetric(R"({"name":"g","gauge":{"dataPoints":[)" + c.point + "]}}"));
    ASSERT_TRUE(r.ok()) << r.error();
    const NumberPoint& p = OnlyMetric(*r).points.at(0);
    EXPECT_EQ(p.has_value, c.has_value);
    EXPECT_EQ(p.is_int, c.is_int);
    if (std::isnan(c.want)) {
      EXPECT_TRUE(std::isnan(p.value));
    } else {
      EXPECT_EQ(p.value, c.want);
    }
  }
}

TEST(DecodeJsonTest, TraceAndSpanIds) {
  struct Case {
    std::string trace_id, span_id;
    std::string want_trace, want_span;
    ItemError want_error;
  };
  const Case cases[] = {
      {"5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174", "5b8efff798038103d269b633813fc60c",
       "eee19b7ec3c1b174", ItemError::kNone},
      {"5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "5b8efff798038103d269b633813fc60c",
       "eee19b7ec3c1b174", ItemError::kNone},
      {"", "", "", "", ItemError::kNone},
      {"00000000000000000000000000000000", "0000000000000000", "", "", ItemError::kNone},
      {"5b8efff798038103d269b633813fc60", "", "", "", ItemError::kInvalidId},
      {"5b8efff798038103d269b633813fc60c0", "", "", "", ItemError::kInvalidId},
      {"5b8efff798038103d269b633813fc60g", "", "", "", ItemError::kInvalidId},
      {"", "eee19b7ec3c1b17", "", "", ItemError::kInvalidId},
      {"", "eee19b7ec3c1b17-", "", "", ItemError::kInvalidId},
      // base64 of 16 bytes (the proto3 JSON default, not OTLP): not hex.
      {"W47/95gDgQPSabYzgT/GDA==", "", "", "", ItemError::kInvalidId},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.trace_id + " / " + c.span_id);
    const std::string fields =
        R"("traceId":")" + c.trace_id + R"(","spanId":")" + c.span_id + R"(")";
    auto spans = Json(Signal::kTraces, WithSpan("{" + fields + "}"));
    auto logs = Json(Signal::kLogs, WithLog("{" + fields + "}"));
    ASSERT_TRUE(spans.ok()) << spans.error();
    ASSERT_TRUE(logs.ok()) << logs.error();
    const Span& s = OnlySpan(*spans);
    const LogRecord& l = OnlyLog(*logs);
    EXPECT_EQ(s.error, c.want_error);
    EXPECT_EQ(l.error, c.want_error);
    if (c.want_error == ItemError::kNone) {
      EXPECT_EQ(s.trace_id.view(), c.want_trace);
      EXPECT_EQ(s.span_id.view(), c.want_span);
      EXPECT_EQ(l.trace_id.view(), c.want_trace);
      EXPECT_EQ(l.span_id.view(), c.want_span);
    }
  }
}

TEST(DecodeJsonTest, WrongTypesNameThePath) {
  struct Case {
    Signal signal;
    std::string body;
    std::string want;
  };
  const std::string p = "invalid OTLP JSON: ";
  const std::string span0 = "resourceSpans[0].scopeSpans[0].spans[0]";
  const Case cases[] = {
      {Signal::kTraces, "[]", p + "expected an object"},
      {Signal::kTraces, "5", p + "expected an object"},
      {Signal::kTraces, R"({"resourceSpans":5})", p + "resourceSpans: expected an array"},
      {Signal::kTraces, R"({"resourceSpans":[5]})", p + "resourceSpans[0]: expected an object"},
      {Signal::kTraces, R"({"resourceSpans":[{"resource":[]}]})",
       p + "resourceSpans[0].resource: expected an object"},
      {Signal::kTraces, R"({"resourceSpans":[{"resource":{"attributes":{}}}]})",
       p + "resourceSpans[0].resource.attributes: expected an array"},
      {Signal::kTraces, R"({"resourceSpans":[{"scopeSpans":[{},{"spans":5}]}]})",
       p + "resourceSpans[0].scopeSpans[1].spans: expected an array"},
      {Signal::kTraces, R"({"resourceSpans":[{"scopeSpans":[{"scope":{"name":1}}]}]})",
       p + "resourceSpans[0].scopeSpans[0].scope.name: expected a string"},
      {Signal::kTraces, WithSpan(R"({"attributes":{}})"),
       p + span0 + ".attributes: expected an array"},
      {Signal::kTraces, WithSpan(R"({"attributes":[5]})"),
       p + span0 + ".attributes[0]: expected an object"},
      {Signal::kTraces, WithSpan(R"({"attributes":[{"key":5}]})"),
       p + span0 + ".attributes[0].key: expected a string"},
      {Signal::kTraces, WithSpan(R"({"attributes":[{"key":"k","value":"v"}]})"),
       p + span0 + ".attributes[0].value: expected an object"},
      {Signal::kTraces, WithAttrValue(R"({"stringValue":5})"),
       p + span0 + ".attributes[0].value.stringValue: expected a string"},
      {Signal::kTraces, WithAttrValue(R"({"boolValue":"true"})"),
       p + span0 + ".attributes[0].value.boolValue: expected true or false"},
      {Signal::kTraces, WithAttrValue(R"({"bytesValue":5})"),
       p + span0 + ".attributes[0].value.bytesValue: expected a string"},
      {Signal::kTraces, WithAttrValue(R"({"arrayValue":[]})"),
       p + span0 + ".attributes[0].value.arrayValue: expected an object"},
      {Signal::kTraces, WithAttrValue(R"({"arrayValue":{"values":{}}})"),
       p + span0 + ".attributes[0].value.arrayValue.values: expected an array"},
      {Signal::kTraces, WithAttrValue(R"({"arrayValue":{"values":[{"intValue":"x"}]}})"),
       p + span0 +
           ".attributes[0].value.arrayValue.values[0].intValue: expected an integer (number or "
           "decimal string)"},
      {Signal::kTraces, WithAttrValue(R"({"kvlistValue":{"values":[{"key":5}]}})"),
       p + span0 + ".attributes[0].value.kvlistValue.values[0].key: expected a string"},
      {Signal::kTraces, WithSpan(R"({"traceId":5})"), p + span0 + ".traceId: expected a string"},
      {Signal::kTraces, WithSpan(R"({"name":["n"]})"), p + span0 + ".name: expected a string"},
      {Signal::kTraces, WithSpan(R"({"kind":"SPAN_KIND_SERVER"})"),
       p + span0 + ".kind: expected an integer enum value"},
      {Signal::kTraces, WithSpan(R"({"kind":4294967296})"),
       p + span0 + ".kind: enum value out of range"},
      {Signal::kTraces, WithSpan(R"({"status":"ok"})"), p + span0 + ".status: expected an object"},
      {Signal::kTraces, WithSpan(R"({"status":{"code":"2"}})"),
       p + span0 + ".status.code: expected an integer enum value"},
      {Signal::kTraces, WithSpan(R"({"status":{"message":false}})"),
       p + span0 + ".status.message: expected a string"},
      {Signal::kLogs, WithLog(R"({"body":"text"})"),
       p + "resourceLogs[0].scopeLogs[0].logRecords[0].body: expected an object"},
      {Signal::kLogs, WithLog(R"({"eventName":1})"),
       p + "resourceLogs[0].scopeLogs[0].logRecords[0].eventName: expected a string"},
      {Signal::kLogs, WithLog(R"({"severityNumber":"SEVERITY_NUMBER_INFO"})"),
       p + "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: expected an integer enum "
           "value"},
      {Signal::kLogs, R"({"resourceLogs":[{"scopeLogs":{}}]})",
       p + "resourceLogs[0].scopeLogs: expected an array"},
      {Signal::kMetrics, WithMetric(R"({"sum":[]})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].sum: expected an object"},
      {Signal::kMetrics, WithMetric(R"({"sum":{"isMonotonic":"true"}})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic: expected true or "
           "false"},
      {Signal::kMetrics,
       WithMetric(R"({"sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA"}})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality: expected an "
           "integer enum value"},
      {Signal::kMetrics, WithMetric(R"({"gauge":{"dataPoints":[{"asDouble":true}]}})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asDouble: expected "
           "a number, \"NaN\", \"Infinity\" or \"-Infinity\""},
      {Signal::kMetrics, WithMetric(R"({"histogram":{"dataPoints":[{},5]}})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[1]: expected an "
           "object"},
      {Signal::kMetrics, WithMetric(R"({"summary":{"dataPoints":{}}})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].summary.dataPoints: expected an array"},
      {Signal::kMetrics, WithMetric(R"({"unit":1})"),
       p + "resourceMetrics[0].scopeMetrics[0].metrics[0].unit: expected a string"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = Json(c.signal, c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.want);
  }
}

TEST(DecodeJsonTest, MalformedJsonIsAnError) {
  for (const char* body : {"{", R"({"resourceSpans":[)", "{} x", "{'a':1}", "nul", R"({"a":1,})",
                           "\x01", R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x)"}) {
    SCOPED_TRACE(body);
    auto r = Json(Signal::kTraces, body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().rfind("invalid OTLP JSON: ", 0), 0u) << r.error();
  }
}

TEST(DecodeJsonTest, InvalidUtf8IsAnError) {
  for (std::string bad : {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                          std::string("a\xe2\x82")}) {
    auto r = Json(Signal::kTraces, WithSpan(R"({"name":")" + bad + R"("})"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().rfind("invalid OTLP JSON: ", 0), 0u) << r.error();
  }
  // Escaped code points are fine.
  auto ok = Json(Signal::kTraces, WithSpan(R"({"name":"caf\u00e9 \ud83d\ude00"})"));
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(OnlySpan(*ok).name, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(DecodeJsonTest, DeepNestingIsAnError) {
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += R"({"arrayValue":{"values":[)";
  deep += R"({"intValue":1})";
  for (int i = 0; i < 1000; ++i) deep += "]}}";
  auto r = Json(Signal::kTraces, WithAttrValue(deep));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "invalid OTLP JSON: nesting deeper than 64");

  std::string kv;
  for (int i = 0; i < 1000; ++i) kv += R"({"kvlistValue":{"values":[{"key":"k","value":)";
  kv += "{}";
  for (int i = 0; i < 1000; ++i) kv += "}]}}";
  r = Json(Signal::kTraces, WithAttrValue(kv));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "invalid OTLP JSON: nesting deeper than 64");

  // Deep nesting under an unknown key is rejected too (it is parsed).
  r = Json(Signal::kTraces, "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}");
  ASSERT_FALSE(r.ok());

  // Exactly max_depth levels pass: 4 nested arrays with a limit of 4.
  DecodeLimits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(Json(Signal::kTraces, R"({"x":[[[]]]})", limits).ok());
  EXPECT_FALSE(Json(Signal::kTraces, R"({"x":[[[[]]]]})", limits).ok());

  // Ten levels of arrays in an attribute fit the default limit.
  std::string ten;
  for (int i = 0; i < 10; ++i) ten += R"({"arrayValue":{"values":[)";
  ten += "{}";
  for (int i = 0; i < 10; ++i) ten += "]}}";
  auto fits = Json(Signal::kTraces, WithAttrValue(ten));
  ASSERT_TRUE(fits.ok()) << fits.error();
  EXPECT_EQ(OnlySpan(*fits).attributes.at(0).value.kind, ValueKind::kArray);
}

TEST(DecodeJsonTest, TooManyAttributes) {
  DecodeLimits limits;
  auto r = Json(Signal::kTraces, WithSpan(R"({"attributes":)" + Attrs(10000) + "}"), limits);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kTooManyAttributes);
  EXPECT_EQ(OnlySpan(*r).attributes.size(), limits.max_attributes);

  limits.max_attributes = 3;
  r = Json(Signal::kTraces, WithSpan(R"({"attributes":)" + Attrs(3) + "}"), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kNone);
  r = Json(Signal::kTraces, WithSpan(R"({"attributes":)" + Attrs(4) + "}"), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kTooManyAttributes);

  // Attributes after the limit are still checked.
  r = Json(
      Signal::kTraces,
      WithSpan(R"({"attributes":[{"key":"a"},{"key":"b"},{"key":"c"},{"key":"d"},{"key":5}]})"),
      limits);
  EXPECT_FALSE(r.ok());

  auto log = Json(Signal::kLogs, WithLog(R"({"attributes":)" + Attrs(4) + "}"), limits);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(OnlyLog(*log).error, ItemError::kTooManyAttributes);
  auto point = Json(Signal::kMetrics,
                    WithMetric(R"({"gauge":{"dataPoints":[{"asInt":1,"attributes":)" + Attrs(4) +
                               "},{\"asInt\":2}]}}"),
                    limits);
  ASSERT_TRUE(point.ok());
  EXPECT_EQ(OnlyMetric(*point).points.at(0).error, ItemError::kTooManyAttributes);
  EXPECT_EQ(OnlyMetric(*point).points.at(1).error, ItemError::kNone);
}

TEST(DecodeJsonTest, TooManyResourceAttributesMarkEveryItem) {
  DecodeLimits limits;
  limits.max_attributes = 2;
  const std::string resource = R"("resource":{"attributes":)" + Attrs(3) + "}";
  auto spans = Json(Signal::kTraces,
                    R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]},{"spans":[{}]}],)" +
                        resource + R"(},{"scopeSpans":[{"spans":[{}]}]}]})",
                    limits);
  ASSERT_TRUE(spans.ok()) << spans.error();
  for (const auto& scope : spans->spans[0].scopes) {
    for (const auto& s : scope.items) EXPECT_EQ(s.error, ItemError::kTooManyAttributes);
  }
  EXPECT_EQ(spans->spans[1].scopes[0].items[0].error, ItemError::kNone);

  auto logs =
      Json(Signal::kLogs,
           R"({"resourceLogs":[{)" + resource + R"(,"scopeLogs":[{"logRecords":[{}]}]}]})", limits);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(OnlyLog(*logs).error, ItemError::kTooManyAttributes);

  auto metrics = Json(Signal::kMetrics,
                      R"({"resourceMetrics":[{)" + resource +
                          R"(,"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{},{}]}}]}]}]})",
                      limits);
  ASSERT_TRUE(metrics.ok());
  for (const auto& p : OnlyMetric(*metrics).points) {
    EXPECT_EQ(p.error, ItemError::kTooManyAttributes);
  }
}

TEST(DecodeJsonTest, MetricKinds) {
  auto r = Json(Signal::kMetrics, WithMetric(R"({"name":"m",
      "exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[{"scale":3},{},{}]}})"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(OnlyMetric(*r).kind, MetricKind::kExponentialHistogram);
  EXPECT_EQ(OnlyMetric(*r).other_points, 3u);
  EXPECT_EQ(OnlyMetric(*r).temporality, 2);

  r = Json(Signal::kMetrics, WithMetric(R"({"summary":{"dataPoints":[{"quantileValues":[]}]}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlyMetric(*r).kind, MetricKind::kSummary);
  EXPECT_EQ(OnlyMetric(*r).other_points, 1u);
  EXPECT_EQ(r->ItemCount(), 1u);

  r = Json(Signal::kMetrics, WithMetric(R"({"name":"none"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlyMetric(*r).kind, MetricKind::kNone);

  // oneof: the last data member wins.
  r = Json(Signal::kMetrics, WithMetric(R"({"gauge":{"dataPoints":[{"asInt":1}]},
      "sum":{"isMonotonic":false,"aggregationTemporality":1,"dataPoints":[{"asInt":2},{"asInt":3}]}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlyMetric(*r).kind, MetricKind::kSum);
  EXPECT_FALSE(OnlyMetric(*r).monotonic);
  ASSERT_EQ(OnlyMetric(*r).points.size(), 2u);
  EXPECT_EQ(OnlyMetric(*r).points[0].value, 2.0);
}

TEST(DecodeJsonTest, SpanStatusKindAndLogEventName) {
  auto r = Json(Signal::kTraces, WithSpan(R"({"kind":5,"status":{"code":2,"message":"boom"}})"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(OnlySpan(*r).kind, 5);
  EXPECT_EQ(OnlySpan(*r).status_code, 2);
  EXPECT_EQ(OnlySpan(*r).status_message, "boom");

  auto l = Json(Signal::kLogs, WithLog(R"({"eventName":"claude_code.api_request",
      "body":{"kvlistValue":{"values":[]}}})"));
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_EQ(OnlyLog(*l).event_name, "claude_code.api_request");
  EXPECT_EQ(OnlyLog(*l).body.kind, ValueKind::kKvList);
}

TEST(DecodeJsonTest, ViewsOutliveTheBody) {
  Result<ExportRequest> r = Error{""};
  {
    std::string body = WithSpan(R"({"name":"span-name","attributes":[{"key":"a\"b",
        "value":{"stringValue":"escaped\nvalue"}}]})");
    r = Json(Signal::kTraces, body);
    body.assign(body.size(), 'x');  // overwrite, then free
  }
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_NE(r->storage, nullptr);
  EXPECT_EQ(OnlySpan(*r).name, "span-name");
  EXPECT_EQ(OnlySpan(*r).attributes.at(0).key, "a\"b");
  EXPECT_EQ(OnlySpan(*r).attributes.at(0).value.str, "escaped\nvalue");
  // A copy shares the storage.
  ExportRequest copy = *r;
  r = Error{""};
  EXPECT_EQ(OnlySpan(copy).name, "span-name");
}

TEST(DecodeJsonTest, AnySignalDetectsTheSignal) {
  std::istringstream lines(Testdata("collector_file.jsonl"));
  std::string line;
  std::vector<Signal> got;
  while (std::getline(lines, line)) {
    auto r = DecodeJsonAnySignal(line, {});
    ASSERT_TRUE(r.ok()) << r.error();
    got.push_back(r->signal);
    EXPECT_EQ(r->ItemCount(), r->signal == Signal::kMetrics ? 4u : 1u);
  }
  EXPECT_EQ(got, (std::vector<Signal>{Signal::kTraces, Signal::kLogs, Signal::kMetrics}));

  struct Case {
    std::string line;
    std::string want_error;  // empty: ok
  };
  const std::string none = "invalid OTLP JSON: no resourceSpans, resourceLogs or resourceMetrics";
  const Case cases[] = {
      {"{}", none},
      {"", none},
      {"  ", none},
      {R"({"resource_spans":[]})", none},
      {R"({"resourceLogs":[]})", ""},
      {R"({"resourceSpans":[],"resourceMetrics":[]})",
       "invalid OTLP JSON: more than one of resourceSpans, resourceLogs and resourceMetrics"},
      {"[]", "invalid OTLP JSON: expected an object"},
      {R"({"resourceMetrics":{}})", "invalid OTLP JSON: resourceMetrics: expected an array"},
      {"{", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto r = DecodeJsonAnySignal(c.line, {});
    if (c.line == "{") {
      EXPECT_FALSE(r.ok());
    } else if (c.want_error.empty()) {
      ASSERT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(r->signal, Signal::kLogs);
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error(), c.want_error);
    }
  }
}

}  // namespace
}  // namespace agx::otlp
