#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "otlp/decode.h"
#include "otlp/proto_builder.h"

namespace agx::otlp {
namespace {

using testing::PbBool;
using testing::PbDouble;
using testing::PbId;
using testing::PbInt;
using testing::PbKeyValue;
using testing::PbString;
using testing::ProtoBuilder;
using Json = nlohmann::json;

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(AGX_SOURCE_DIR) + "/tests/otlp/testdata/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Decodes a copy of `body` kept in the request's storage (the decoder's views point into
/// the body, and tests often pass temporaries).
Result<ExportRequest> Pb(Signal s, std::string_view body, DecodeLimits limits = {}) {
  auto copy = std::make_shared<std::string>(body);
  auto r = DecodeProtobuf(s, *copy, limits);
  if (r.ok()) {
    EXPECT_EQ(r->storage, nullptr);
    r->storage = copy;
  }
  return r;
}

// ---- requests with one item ----

ProtoBuilder Wrap(const ProtoBuilder& item) {  // Resource*/Scope* around one item
  return ProtoBuilder().Message(1, ProtoBuilder().Message(2, ProtoBuilder().Message(2, item)));
}
const Span& OnlySpan(const ExportRequest& r) { return r.spans.at(0).scopes.at(0).items.at(0); }
const LogRecord& OnlyLog(const ExportRequest& r) { return r.logs.at(0).scopes.at(0).items.at(0); }
const Metric& OnlyMetric(const ExportRequest& r) {
  return r.metrics.at(0).scopes.at(0).items.at(0);
}
ProtoBuilder SpanWithAttr(const ProtoBuilder& value) {
  return ProtoBuilder().Message(9, PbKeyValue("k", value));
}

// ---- OTLP JSON -> protobuf, written independently of the decoders (nlohmann + builder),
// so a JSON file and its protobuf encoding can be checked to decode to the same model ----

std::uint64_t U64(const Json& j) {
  return j.is_string() ? std::stoull(j.get<std::string>()) : j.get<std::uint64_t>();
}
std::int64_t I64(const Json& j) {
  return j.is_string() ? std::stoll(j.get<std::string>()) : j.get<std::int64_t>();
}
double Dbl(const Json& j) {
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    return std::stod(s);
  }
  return j.get<double>();
}

ProtoBuilder PbAnyValue(const Json& v);
ProtoBuilder PbKv(const Json& kv) {
  ProtoBuilder b;
  if (kv.contains("key")) b.Bytes(1, kv["key"].get<std::string>());
  if (kv.contains("value")) b.Message(2, PbAnyValue(kv["value"]));
  return b;
}
ProtoBuilder PbAnyValue(const Json& v) {
  ProtoBuilder b;
  if (v.contains("stringValue")) b.Bytes(1, v["stringValue"].get<std::string>());
  if (v.contains("boolValue")) b.Varint(2, v["boolValue"].get<bool>());
  if (v.contains("intValue")) b.Int(3, I64(v["intValue"]));
  if (v.contains("doubleValue")) b.Double(4, Dbl(v["doubleValue"]));
  if (v.contains("arrayValue")) {
    ProtoBuilder a;
    for (const auto& e : v["arrayValue"]["values"]) a.Message(1, PbAnyValue(e));
    b.Message(5, a);
  }
  if (v.contains("kvlistValue")) {
    ProtoBuilder a;
    for (const auto& e : v["kvlistValue"]["values"]) a.Message(1, PbKv(e));
    b.Message(6, a);
  }
  if (v.contains("bytesValue")) b.Bytes(7, v["bytesValue"].get<std::string>());
  return b;
}
void PbAttrs(const Json& obj, std::uint32_t field, ProtoBuilder* b) {
  if (!obj.contains("attributes")) return;
  for (const auto& kv : obj["attributes"]) b->Message(field, PbKv(kv));
}
ProtoBuilder PbSpan(const Json& s) {
  ProtoBuilder b;
  if (s.contains("traceId")) b.Bytes(1, PbId(s["traceId"].get<std::string>()));
  if (s.contains("spanId")) b.Bytes(2, PbId(s["spanId"].get<std::string>()));
  if (s.contains("parentSpanId")) b.Bytes(4, PbId(s["parentSpanId"].get<std::string>()));
  if (s.contains("name")) b.Bytes(5, s["name"].get<std::string>());
  if (s.contains("kind")) b.Int(6, s["kind"].get<int>());
  if (s.contains("startTimeUnixNano")) b.Fixed64(7, U64(s["startTimeUnixNano"]));
  if (s.contains("endTimeUnixNano")) b.Fixed64(8, U64(s["endTimeUnixNano"]));
  PbAttrs(s, 9, &b);
  if (s.contains("status")) {
    ProtoBuilder st;
    if (s["status"].contains("message")) st.Bytes(2, s["status"]["message"].get<std::string>());
    if (s["status"].contains("code")) st.Int(3, s["status"]["code"].get<int>());
    b.Message(15, st);
  }
  return b;
}
ProtoBuilder PbLog(const Json& l) {
  ProtoBuilder b;
  if (l.contains("timeUnixNano")) b.Fixed64(1, U64(l["timeUnixNano"]));
  if (l.contains("severityNumber")) b.Int(2, l["severityNumber"].get<int>());
  if (l.contains("severityText")) b.Bytes(3, l["severityText"].get<std::string>());
  if (l.contains("body")) b.Message(5, PbAnyValue(l["body"]));
  PbAttrs(l, 6, &b);
  if (l.contains("droppedAttributesCount")) b.Varint(7, U64(l["droppedAttributesCount"]));
  if (l.contains("traceId")) b.Bytes(9, PbId(l["traceId"].get<std::string>()));
  if (l.contains("spanId")) b.Bytes(10, PbId(l["spanId"].get<std::string>()));
  if (l.contains("observedTimeUnixNano")) b.Fixed64(11, U64(l["observedTimeUnixNano"]));
  if (l.contains("eventName")) b.Bytes(12, l["eventName"].get<std::string>());
  return b;
}
ProtoBuilder PbNumberPoint(const Json& p) {
  ProtoBuilder b;
  if (p.contains("startTimeUnixNano")) b.Fixed64(2, U64(p["startTimeUnixNano"]));
  if (p.contains("timeUnixNano")) b.Fixed64(3, U64(p["timeUnixNano"]));
  if (p.contains("asDouble")) b.Double(4, Dbl(p["asDouble"]));
  if (p.contains("asInt")) b.Sfixed64(6, I64(p["asInt"]));
  PbAttrs(p, 7, &b);
  return b;
}
ProtoBuilder PbHistogramPoint(const Json& p) {
  ProtoBuilder b;
  if (p.contains("startTimeUnixNano")) b.Fixed64(2, U64(p["startTimeUnixNano"]));
  if (p.contains("timeUnixNano")) b.Fixed64(3, U64(p["timeUnixNano"]));
  if (p.contains("count")) b.Fixed64(4, U64(p["count"]));
  if (p.contains("sum")) b.Double(5, Dbl(p["sum"]));
  if (p.contains("bucketCounts")) {  // packed
    ProtoBuilder packed;
    for (const auto& c : p["bucketCounts"]) {
      const std::uint64_t v = U64(c);
      std::string le(8, '\0');
      for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(v >> (8 * i));
      packed.Raw(le);
    }
    b.Bytes(6, packed.str());
  }
  if (p.contains("explicitBounds")) {  // unpacked
    for (const auto& e : p["explicitBounds"]) b.Double(7, Dbl(e));
  }
  PbAttrs(p, 9, &b);
  if (p.contains("min")) b.Double(11, Dbl(p["min"]));
  if (p.contains("max")) b.Double(12, Dbl(p["max"]));
  return b;
}
ProtoBuilder PbMetric(const Json& m) {
  ProtoBuilder b;
  if (m.contains("name")) b.Bytes(1, m["name"].get<std::string>());
  if (m.contains("description")) b.Bytes(2, m["description"].get<std::string>());
  if (m.contains("unit")) b.Bytes(3, m["unit"].get<std::string>());
  auto data = [&](const char* key, std::uint32_t field, bool numbers) {
    if (!m.contains(key)) return;
    const Json& d = m[key];
    ProtoBuilder db;
    if (d.contains("dataPoints")) {
      for (const auto& p : d["dataPoints"]) {
        db.Message(1, numbers ? PbNumberPoint(p) : PbHistogramPoint(p));
      }
    }
    if (d.contains("aggregationTemporality")) db.Int(2, d["aggregationTemporality"].get<int>());
    if (d.contains("isMonotonic")) db.Varint(3, d["isMonotonic"].get<bool>());
    b.Message(field, db);
  };
  data("gauge", 5, true);
  data("sum", 7, true);
  data("histogram", 9, false);
  return b;
}
std::string JsonToProtobuf(const std::string& text) {
  const Json j = Json::parse(text);
  struct Keys {
    const char *resource, *scope, *items;
  };
  ProtoBuilder req;
  for (const Keys& k : {Keys{"resourceSpans", "scopeSpans", "spans"},
                        Keys{"resourceLogs", "scopeLogs", "logRecords"},
                        Keys{"resourceMetrics", "scopeMetrics", "metrics"}}) {
    if (!j.contains(k.resource)) continue;
    for (const auto& r : j[k.resource]) {
      ProtoBuilder rb;
      if (r.contains("resource")) {
        ProtoBuilder res;
        PbAttrs(r["resource"], 1, &res);
        if (r["resource"].contains("droppedAttributesCount")) {
          res.Varint(2, U64(r["resource"]["droppedAttributesCount"]));
        }
        rb.Message(1, res);
      }
      for (const auto& s : r.value(k.scope, Json::array())) {
        ProtoBuilder sb;
        if (s.contains("scope")) {
          ProtoBuilder scope;
          if (s["scope"].contains("name")) scope.Bytes(1, s["scope"]["name"].get<std::string>());
          if (s["scope"].contains("version")) {
            scope.Bytes(2, s["scope"]["version"].get<std::string>());
          }
          PbAttrs(s["scope"], 3, &scope);
          sb.Message(1, scope);
        }
        for (const auto& item : s.value(k.items, Json::array())) {
          if (std::string_view(k.items) == "spans") sb.Message(2, PbSpan(item));
          if (std::string_view(k.items) == "logRecords") sb.Message(2, PbLog(item));
          if (std::string_view(k.items) == "metrics") sb.Message(2, PbMetric(item));
        }
        if (s.contains("schemaUrl")) sb.Bytes(3, s["schemaUrl"].get<std::string>());
        rb.Message(2, sb);
      }
      req.Message(1, rb);
    }
  }
  return req.str();
}

// ---- model comparator ----

void ExpectSameValue(const AnyValue& a, const AnyValue& b) {
  EXPECT_EQ(a.kind, b.kind);
  switch (a.kind) {
    case ValueKind::kString:
      EXPECT_EQ(a.str, b.str);
      break;
    case ValueKind::kBool:
      EXPECT_EQ(a.b, b.b);
      break;
    case ValueKind::kInt:
      EXPECT_EQ(a.i, b.i);
      break;
    case ValueKind::kDouble:
      if (std::isnan(a.d)) {
        EXPECT_TRUE(std::isnan(b.d));
      } else {
        EXPECT_EQ(a.d, b.d);
      }
      break;
    default:
      break;
  }
}
void ExpectSameAttrs(const Attributes& a, const Attributes& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].key);
    EXPECT_EQ(a[i].key, b[i].key);
    ExpectSameValue(a[i].value, b[i].value);
  }
}
void ExpectSameItem(const Span& a, const Span& b) {
  EXPECT_EQ(a.trace_id.view(), b.trace_id.view());
  EXPECT_EQ(a.span_id.view(), b.span_id.view());
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.start_time_ns, b.start_time_ns);
  EXPECT_EQ(a.end_time_ns, b.end_time_ns);
  EXPECT_EQ(a.status_code, b.status_code);
  EXPECT_EQ(a.status_message, b.status_message);
  EXPECT_EQ(a.error, b.error);
  ExpectSameAttrs(a.attributes, b.attributes);
}
void ExpectSameItem(const LogRecord& a, const LogRecord& b) {
  EXPECT_EQ(a.time_ns, b.time_ns);
  EXPECT_EQ(a.observed_time_ns, b.observed_time_ns);
  EXPECT_EQ(a.severity_number, b.severity_number);
  ExpectSameValue(a.body, b.body);
  EXPECT_EQ(a.event_name, b.event_name);
  EXPECT_EQ(a.trace_id.view(), b.trace_id.view());
  EXPECT_EQ(a.span_id.view(), b.span_id.view());
  EXPECT_EQ(a.error, b.error);
  ExpectSameAttrs(a.attributes, b.attributes);
}
void ExpectSameItem(const Metric& a, const Metric& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.unit, b.unit);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.temporality, b.temporality);
  EXPECT_EQ(a.monotonic, b.monotonic);
  EXPECT_EQ(a.other_points, b.other_points);
  ASSERT_EQ(a.points.size(), b.points.size());
  for (std::size_t i = 0; i < a.points.size(); ++i) {
    const NumberPoint& p = a.points[i];
    const NumberPoint& q = b.points[i];
    EXPECT_EQ(p.start_time_ns, q.start_time_ns);
    EXPECT_EQ(p.time_ns, q.time_ns);
    EXPECT_EQ(p.has_value, q.has_value);
    EXPECT_EQ(p.is_int, q.is_int);
    if (std::isnan(p.value)) {
      EXPECT_TRUE(std::isnan(q.value));
    } else {
      EXPECT_EQ(p.value, q.value);
    }
    EXPECT_EQ(p.error, q.error);
    ExpectSameAttrs(p.attributes, q.attributes);
  }
}
template <class Item>
void ExpectSameResources(const std::vector<ResourceItems<Item>>& a,
                         const std::vector<ResourceItems<Item>>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t r = 0; r < a.size(); ++r) {
    ExpectSameAttrs(a[r].resource, b[r].resource);
    ASSERT_EQ(a[r].scopes.size(), b[r].scopes.size());
    for (std::size_t s = 0; s < a[r].scopes.size(); ++s) {
      EXPECT_EQ(a[r].scopes[s].scope_name, b[r].scopes[s].scope_name);
      ASSERT_EQ(a[r].scopes[s].items.size(), b[r].scopes[s].items.size());
      for (std::size_t i = 0; i < a[r].scopes[s].items.size(); ++i) {
        SCOPED_TRACE("resource " + std::to_string(r) + " scope " + std::to_string(s) + " item " +
                     std::to_string(i));
        ExpectSameItem(a[r].scopes[s].items[i], b[r].scopes[s].items[i]);
      }
    }
  }
}
void ExpectSameRequest(const ExportRequest& a, const ExportRequest& b) {
  EXPECT_EQ(a.signal, b.signal);
  EXPECT_EQ(a.ItemCount(), b.ItemCount());
  ExpectSameResources(a.spans, b.spans);
  ExpectSameResources(a.logs, b.logs);
  ExpectSameResources(a.metrics, b.metrics);
}

// ---- tests ----

TEST(DecodeProtobufTest, JsonAndProtobufDecodeAlike) {
  struct Case {
    const char* file;
    Signal signal;
  };
  for (const Case& c :
       {Case{"trace.json", Signal::kTraces}, Case{"logs.json", Signal::kLogs},
        Case{"metrics.json", Signal::kMetrics}, Case{"claude_code_logs.json", Signal::kLogs},
        Case{"claude_code_metrics.json", Signal::kMetrics}}) {
    SCOPED_TRACE(c.file);
    const std::string json = Testdata(c.file);
    const std::string pb = JsonToProtobuf(json);
    auto from_json = DecodeJson(c.signal, json, {});
    auto from_pb = Pb(c.signal, pb);
    ASSERT_TRUE(from_json.ok()) << from_json.error();
    ASSERT_TRUE(from_pb.ok()) << from_pb.error();
    EXPECT_GT(from_pb->ItemCount(), 0u);
    ExpectSameRequest(*from_json, *from_pb);
  }
}

TEST(DecodeProtobufTest, SpanFieldByField) {
  ProtoBuilder span;
  span.Bytes(1, PbId("5b8efff798038103d269b633813fc60c"))
      .Bytes(2, PbId("eee19b7ec3c1b174"))
      .Bytes(3, "vendor=x")                // trace_state
      .Bytes(4, PbId("eee19b7ec3c1b173"))  // parent_span_id
      .Bytes(5, "chat gpt-4o")
      .Int(6, 3)
      .Fixed64(7, 1544712660000000000u)
      .Fixed64(8, 1544712661500000000u)
      .Message(9, PbKeyValue("gen_ai.operation.name", PbString("chat")))
      .Message(9, PbKeyValue("gen_ai.usage.input_tokens", PbInt(-12)))
      .Message(9, PbKeyValue("ok", PbBool(true)))
      .Message(9, PbKeyValue("ratio", PbDouble(0.25)))
      .Varint(10, 2)  // dropped_attributes_count
      .Message(11, ProtoBuilder().Fixed64(1, 5).Bytes(2, "event"))
      .Message(13, ProtoBuilder().Bytes(1, PbId("00112233445566778899aabbccddeeff")))
      .Message(15, ProtoBuilder().Bytes(2, "bad thing").Int(3, 2))
      .Fixed32(16, 0x301)  // flags
      .Varint(999, 7);     // unknown
  ProtoBuilder resource;
  resource.Message(1, PbKeyValue("service.name", PbString("svc")));
  ProtoBuilder scope_spans;
  scope_spans.Message(1, ProtoBuilder().Bytes(1, "scope-a").Bytes(2, "1.0")).Message(2, span);
  ProtoBuilder req;
  req.Message(1, ProtoBuilder().Message(1, resource).Message(2, scope_spans).Bytes(3, "schema"));

  auto r = DecodeProtobuf(Signal::kTraces, req.str(), {});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->signal, Signal::kTraces);
  ASSERT_EQ(r->spans.size(), 1u);
  EXPECT_EQ(Find(r->spans[0].resource, "service.name")->str, "svc");
  EXPECT_EQ(r->spans[0].scopes.at(0).scope_name, "scope-a");
  const Span& s = OnlySpan(*r);
  EXPECT_EQ(s.trace_id.view(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(s.span_id.view(), "eee19b7ec3c1b174");
  EXPECT_EQ(s.name, "chat gpt-4o");
  EXPECT_EQ(s.kind, 3);
  EXPECT_EQ(s.start_time_ns, 1544712660000000000u);
  EXPECT_EQ(s.end_time_ns, 1544712661500000000u);
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.status_message, "bad thing");
  EXPECT_EQ(s.error, ItemError::kNone);
  ASSERT_EQ(s.attributes.size(), 4u);
  EXPECT_EQ(s.attributes[0].key, "gen_ai.operation.name");
  EXPECT_EQ(s.attributes[0].value.str, "chat");
  EXPECT_EQ(s.attributes[1].value.kind, ValueKind::kInt);
  EXPECT_EQ(s.attributes[1].value.i, -12);
  EXPECT_EQ(s.attributes[2].value.kind, ValueKind::kBool);
  EXPECT_TRUE(s.attributes[2].value.b);
  EXPECT_EQ(s.attributes[3].value.kind, ValueKind::kDouble);
  EXPECT_EQ(s.attributes[3].value.d, 0.25);
  // Views point into the body.
  const std::string& body = req.str();
  EXPECT_GE(s.name.data(), body.data());
  EXPECT_LE(s.name.data() + s.name.size(), body.data() + body.size());
}

TEST(DecodeProtobufTest, AnyValueKinds) {
  struct Case {
    std::string name;
    ProtoBuilder value;
    ValueKind kind;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {"string", PbString("v"), ValueKind::kString},
      {"empty string", PbString(""), ValueKind::kString},
      {"bool false", PbBool(false), ValueKind::kBool},
      {"int max", PbInt(INT64_MAX), ValueKind::kInt},
      {"int min", PbInt(INT64_MIN), ValueKind::kInt},
      {"double nan", PbDouble(std::nan("")), ValueKind::kDouble},
      {"double -inf", PbDouble(-inf), ValueKind::kDouble},
      {"array",
       ProtoBuilder().Message(5, ProtoBuilder().Message(1, PbString("a")).Message(1, PbInt(1))),
       ValueKind::kArray},
      {"empty array", ProtoBuilder().Bytes(5, ""), ValueKind::kArray},
      {"kvlist",
       ProtoBuilder().Message(6, ProtoBuilder().Message(1, PbKeyValue("x", PbBool(true)))),
       ValueKind::kKvList},
      {"bytes", ProtoBuilder().Bytes(7, std::string("\x00\xff\xfe", 3)), ValueKind::kBytes},
      {"empty", ProtoBuilder(), ValueKind::kEmpty},
      {"oneof last wins", ProtoBuilder().Bytes(1, "s").Int(3, 7), ValueKind::kInt},
      {"strindex (profiles) ignored", ProtoBuilder().Int(8, 3), ValueKind::kEmpty},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Pb(Signal::kTraces, Wrap(SpanWithAttr(c.value)).str());
    ASSERT_TRUE(r.ok()) << r.error();
    const AnyValue& v = OnlySpan(*r).attributes.at(0).value;
    EXPECT_EQ(v.kind, c.kind);
    if (c.name == "string") {
      EXPECT_EQ(v.str, "v");
    }
    if (c.name == "bool false") {
      EXPECT_FALSE(v.b);
    }
    if (c.name == "int max") {
      EXPECT_EQ(v.i, INT64_MAX);
    }
    if (c.name == "int min") {
      EXPECT_EQ(v.i, INT64_MIN);
    }
    if (c.name == "double nan") {
      EXPECT_TRUE(std::isnan(v.d));
    }
    if (c.name == "double -inf") {
      EXPECT_EQ(v.d, -inf);
    }
    if (c.name == "oneof last wins") {
      EXPECT_EQ(v.i, 7);
    }
  }
}

TEST(DecodeProtobufTest, Ids) {
  struct Case {
    std::string name;
    std::string trace_id, span_id;  // raw bytes
    std::string want_trace, want_span;
    ItemError want_error;
  };
  const std::string t16 = PbId("5b8efff798038103d269b633813fc60c");
  const std::string s8 = PbId("eee19b7ec3c1b174");
  const Case cases[] = {
      {"valid", t16, s8, "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", ItemError::kNone},
      {"empty", "", "", "", "", ItemError::kNone},
      {"all zero", std::string(16, '\0'), std::string(8, '\0'), "", "", ItemError::kNone},
      {"trace 15 bytes", t16.substr(1), s8, "", "", ItemError::kInvalidId},
      {"trace 17 bytes", t16 + "x", s8, "", "", ItemError::kInvalidId},
      {"trace as hex text", "5b8efff798038103d269b633813fc60c", s8, "", "", ItemError::kInvalidId},
      {"span 9 bytes", t16, s8 + "x", "", "", ItemError::kInvalidId},
      {"span 16 bytes", t16, t16, "", "", ItemError::kInvalidId},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto spans =
        Pb(Signal::kTraces, Wrap(ProtoBuilder().Bytes(1, c.trace_id).Bytes(2, c.span_id)).str());
    auto logs =
        Pb(Signal::kLogs, Wrap(ProtoBuilder().Bytes(9, c.trace_id).Bytes(10, c.span_id)).str());
    ASSERT_TRUE(spans.ok()) << spans.error();
    ASSERT_TRUE(logs.ok()) << logs.error();
    EXPECT_EQ(OnlySpan(*spans).error, c.want_error);
    EXPECT_EQ(OnlyLog(*logs).error, c.want_error);
    if (c.want_error == ItemError::kNone) {
      EXPECT_EQ(OnlySpan(*spans).trace_id.view(), c.want_trace);
      EXPECT_EQ(OnlySpan(*spans).span_id.view(), c.want_span);
      EXPECT_EQ(OnlyLog(*logs).trace_id.view(), c.want_trace);
      EXPECT_EQ(OnlyLog(*logs).span_id.view(), c.want_span);
    }
  }
}

TEST(DecodeProtobufTest, LogRecordFieldByField) {
  ProtoBuilder record;
  record.Fixed64(1, 1774280000123000000u)
      .Int(2, 17)
      .Bytes(3, "ERROR")
      .Message(5, PbString("claude_code.api_request"))
      .Message(6, PbKeyValue("input_tokens", PbString("3")))
      .Message(6, PbKeyValue("event.sequence", PbInt(1)))
      .Varint(7, 0)
      .Fixed32(8, 1)
      .Bytes(9, PbId("5b8efff798038103d269b633813fc60c"))
      .Bytes(10, PbId("eee19b7ec3c1b174"))
      .Fixed64(11, 1774280000124000000u)
      .Bytes(12, "claude_code.api_request");
  auto r = Pb(Signal::kLogs, Wrap(record).str());
  ASSERT_TRUE(r.ok()) << r.error();
  const LogRecord& l = OnlyLog(*r);
  EXPECT_EQ(l.time_ns, 1774280000123000000u);
  EXPECT_EQ(l.observed_time_ns, 1774280000124000000u);
  EXPECT_EQ(l.severity_number, 17);
  EXPECT_EQ(l.body.kind, ValueKind::kString);
  EXPECT_EQ(l.body.str, "claude_code.api_request");
  EXPECT_EQ(l.event_name, "claude_code.api_request");
  EXPECT_EQ(l.trace_id.view(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(l.span_id.view(), "eee19b7ec3c1b174");
  ASSERT_EQ(l.attributes.size(), 2u);
  EXPECT_EQ(Find(l.attributes, "input_tokens")->str, "3");
  EXPECT_EQ(Find(l.attributes, "event.sequence")->i, 1);
  EXPECT_EQ(l.error, ItemError::kNone);
}

TEST(DecodeProtobufTest, MetricsFieldByField) {
  auto point = [](double v, std::uint64_t t) {
    return ProtoBuilder()
        .Message(7, PbKeyValue("type", PbString("input")))
        .Fixed64(2, 100)
        .Fixed64(3, t)
        .Double(4, v)
        .Message(5, ProtoBuilder().Fixed64(2, 1).Double(3, 1));  // exemplar, skipped
  };
  ProtoBuilder delta_sum;
  delta_sum.Bytes(1, "claude_code.token.usage")
      .Bytes(2, "Number of tokens")
      .Bytes(3, "tokens")
      .Message(7, ProtoBuilder()
                      .Message(1, point(12, 200))
                      .Message(1, point(3.5, 300))
                      .Int(2, 1)
                      .Varint(3, 1));
  ProtoBuilder cumulative_sum;
  cumulative_sum.Bytes(1, "c").Message(7, ProtoBuilder().Int(2, 2).Varint(3, 0).Message(
                                              1, ProtoBuilder().Sfixed64(6, -9).Fixed64(3, 5)));
  ProtoBuilder gauge;
  gauge.Bytes(1, "g").Message(5, ProtoBuilder().Message(1, ProtoBuilder().Fixed64(3, 1)));
  ProtoBuilder histogram;
  histogram.Bytes(1, "h").Message(
      9,
      ProtoBuilder()
          .Int(2, 2)
          .Message(1, ProtoBuilder().Fixed64(4, 3).Double(5, 1.5).Bytes(6, std::string(16, '\1')))
          .Message(1, ProtoBuilder().Fixed64(4, 1).Fixed64(6, 1).Fixed64(6, 0))  // unpacked
          .Message(1, ProtoBuilder()));
  ProtoBuilder exp;
  exp.Bytes(1, "e").Message(10, ProtoBuilder().Message(1, ProtoBuilder().Varint(6, 3)).Int(2, 1));
  ProtoBuilder summary;
  summary.Bytes(1, "s").Message(
      11, ProtoBuilder().Message(1, ProtoBuilder()).Message(1, ProtoBuilder()));
  ProtoBuilder scope;
  scope.Message(1, ProtoBuilder().Bytes(1, "com.anthropic.claude_code"))
      .Message(2, delta_sum)
      .Message(2, cumulative_sum)
      .Message(2, gauge)
      .Message(2, histogram)
      .Message(2, exp)
      .Message(2, summary)
      .Message(2, ProtoBuilder().Bytes(1, "none").Message(12, PbKeyValue("m", PbString("x"))));
  ProtoBuilder req;
  req.Message(1, ProtoBuilder().Message(2, scope));

  auto r = Pb(Signal::kMetrics, req.str());
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& s = r->metrics.at(0).scopes.at(0);
  EXPECT_EQ(s.scope_name, "com.anthropic.claude_code");
  ASSERT_EQ(s.items.size(), 7u);

  const Metric& d = s.items[0];
  EXPECT_EQ(d.name, "claude_code.token.usage");
  EXPECT_EQ(d.unit, "tokens");
  EXPECT_EQ(d.kind, MetricKind::kSum);
  EXPECT_EQ(d.temporality, 1);
  EXPECT_TRUE(d.monotonic);
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.points[0].value, 12.0);
  EXPECT_FALSE(d.points[0].is_int);
  EXPECT_TRUE(d.points[0].has_value);
  EXPECT_EQ(d.points[0].start_time_ns, 100u);
  EXPECT_EQ(d.points[0].time_ns, 200u);
  EXPECT_EQ(Find(d.points[0].attributes, "type")->str, "input");
  EXPECT_EQ(d.points[1].value, 3.5);

  const Metric& c = s.items[1];
  EXPECT_EQ(c.temporality, 2);
  EXPECT_FALSE(c.monotonic);
  ASSERT_EQ(c.points.size(), 1u);
  EXPECT_EQ(c.points[0].value, -9.0);
  EXPECT_TRUE(c.points[0].is_int);
  EXPECT_EQ(c.points[0].start_time_ns, 0u);

  const Metric& g = s.items[2];
  EXPECT_EQ(g.kind, MetricKind::kGauge);
  ASSERT_EQ(g.points.size(), 1u);
  EXPECT_FALSE(g.points[0].has_value);

  EXPECT_EQ(s.items[3].kind, MetricKind::kHistogram);
  EXPECT_EQ(s.items[3].other_points, 3u);
  EXPECT_EQ(s.items[3].temporality, 2);
  EXPECT_TRUE(s.items[3].points.empty());
  EXPECT_EQ(s.items[4].kind, MetricKind::kExponentialHistogram);
  EXPECT_EQ(s.items[4].other_points, 1u);
  EXPECT_EQ(s.items[5].kind, MetricKind::kSummary);
  EXPECT_EQ(s.items[5].other_points, 2u);
  EXPECT_EQ(s.items[6].kind, MetricKind::kNone);
  EXPECT_EQ(r->ItemCount(), 2u + 1u + 1u + 3u + 1u + 2u);
}

TEST(DecodeProtobufTest, MetricOneofLastWins) {
  ProtoBuilder m;
  m.Message(5, ProtoBuilder().Message(1, ProtoBuilder().Double(4, 1)))
      .Message(9, ProtoBuilder().Message(1, ProtoBuilder()))
      .Message(7, ProtoBuilder().Message(1, ProtoBuilder().Double(4, 2)).Varint(3, 1))
      .Message(7, ProtoBuilder().Message(1, ProtoBuilder().Double(4, 3)));  // merged
  auto r = Pb(Signal::kMetrics, Wrap(m).str());
  ASSERT_TRUE(r.ok()) << r.error();
  const Metric& metric = OnlyMetric(*r);
  EXPECT_EQ(metric.kind, MetricKind::kSum);
  EXPECT_EQ(metric.other_points, 0u);
  EXPECT_TRUE(metric.monotonic);
  ASSERT_EQ(metric.points.size(), 2u);
  EXPECT_EQ(metric.points[0].value, 2.0);
  EXPECT_EQ(metric.points[1].value, 3.0);
}

TEST(DecodeProtobufTest, EmptyBodyIsAnEmptyRequest) {
  for (Signal s : {Signal::kTraces, Signal::kLogs, Signal::kMetrics}) {
    auto r = Pb(s, "");
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->signal, s);
    EXPECT_EQ(r->ItemCount(), 0u);
  }
  // Unknown top-level fields only, and an empty ResourceSpans.
  auto r = Pb(Signal::kTraces, ProtoBuilder().Varint(7, 1).Bytes(1, "").str());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->spans.size(), 1u);
  EXPECT_EQ(r->ItemCount(), 0u);
}

TEST(DecodeProtobufTest, TooManyAttributes) {
  DecodeLimits limits;
  ProtoBuilder span;
  for (int i = 0; i < 10000; ++i) span.Message(9, PbKeyValue("k" + std::to_string(i), PbInt(i)));
  auto r = Pb(Signal::kTraces, Wrap(span).str(), limits);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kTooManyAttributes);
  EXPECT_EQ(OnlySpan(*r).attributes.size(), limits.max_attributes);

  limits.max_attributes = 2;
  ProtoBuilder two =
      ProtoBuilder().Message(9, PbKeyValue("a", PbInt(1))).Message(9, PbKeyValue("b", PbInt(2)));
  r = Pb(Signal::kTraces, Wrap(two).str(), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kNone);
  ProtoBuilder three = two;
  three.Message(9, PbKeyValue("c", PbInt(3)));
  r = Pb(Signal::kTraces, Wrap(three).str(), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kTooManyAttributes);
  // Attributes past the limit are still checked.
  ProtoBuilder bad = three;
  bad.Message(9, ProtoBuilder().Bytes(1, "\xff"));
  EXPECT_FALSE(Pb(Signal::kTraces, Wrap(bad).str(), limits).ok());

  // When both apply, the invalid id (met while reading) wins over the count (checked at
  // the end of the span).
  ProtoBuilder both = three;
  both.Bytes(1, "short");
  r = Pb(Signal::kTraces, Wrap(both).str(), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlySpan(*r).error, ItemError::kInvalidId);

  ProtoBuilder log;
  log.Message(6, PbKeyValue("a", PbInt(1)))
      .Message(6, PbKeyValue("b", PbInt(1)))
      .Message(6, PbKeyValue("c", PbInt(1)));
  r = Pb(Signal::kLogs, Wrap(log).str(), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlyLog(*r).error, ItemError::kTooManyAttributes);

  ProtoBuilder point;
  point.Message(7, PbKeyValue("a", PbInt(1)))
      .Message(7, PbKeyValue("b", PbInt(1)))
      .Message(7, PbKeyValue("c", PbInt(1)));
  ProtoBuilder metric;
  metric.Message(7, ProtoBuilder().Message(1, point).Message(1, ProtoBuilder()));
  r = Pb(Signal::kMetrics, Wrap(metric).str(), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(OnlyMetric(*r).points.at(0).error, ItemError::kTooManyAttributes);
  EXPECT_EQ(OnlyMetric(*r).points.at(1).error, ItemError::kNone);
}

TEST(DecodeProtobufTest, TooManyResourceAttributesMarkEveryItem) {
  DecodeLimits limits;
  limits.max_attributes = 2;
  ProtoBuilder resource;
  for (int i = 0; i < 3; ++i) resource.Message(1, PbKeyValue("r" + std::to_string(i), PbInt(i)));
  // The resource after its scopes: marking happens once the whole ResourceSpans is read.
  ProtoBuilder rs;
  rs.Message(2, ProtoBuilder().Message(2, ProtoBuilder()).Message(2, ProtoBuilder()))
      .Message(2, ProtoBuilder().Message(2, ProtoBuilder()))
      .Message(1, resource);
  ProtoBuilder req;
  req.Message(1, rs).Message(1,
                             ProtoBuilder().Message(2, ProtoBuilder().Message(2, ProtoBuilder())));
  auto r = Pb(Signal::kTraces, req.str(), limits);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->spans.size(), 2u);
  EXPECT_EQ(r->spans[0].resource.size(), 2u);
  for (const auto& scope : r->spans[0].scopes) {
    for (const auto& s : scope.items) EXPECT_EQ(s.error, ItemError::kTooManyAttributes);
  }
  EXPECT_EQ(r->spans[1].scopes.at(0).items.at(0).error, ItemError::kNone);

  ProtoBuilder rm;
  rm.Message(1, resource)
      .Message(2, ProtoBuilder().Message(
                      2, ProtoBuilder().Message(7, ProtoBuilder().Message(1, ProtoBuilder()))));
  r = Pb(Signal::kMetrics, ProtoBuilder().Message(1, rm).str(), limits);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(OnlyMetric(*r).points.at(0).error, ItemError::kTooManyAttributes);

  ProtoBuilder rl;
  rl.Message(1, resource).Message(2, ProtoBuilder().Message(2, ProtoBuilder()));
  r = Pb(Signal::kLogs, ProtoBuilder().Message(1, rl).str(), limits);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(OnlyLog(*r).error, ItemError::kTooManyAttributes);
}

TEST(DecodeProtobufTest, InvalidUtf8FailsTheRequest) {
  // Choice: invalid UTF-8 in a string the decoder reads fails the request (400), as
  // libprotobuf does for proto3 strings.
  const std::string bad =
      "a\xff"
      "b";
  struct Case {
    std::string name;
    Signal signal;
    std::string body;
  };
  const Case cases[] = {
      {"span name", Signal::kTraces, Wrap(ProtoBuilder().Bytes(5, bad)).str()},
      {"attribute key", Signal::kTraces,
       Wrap(SpanWithAttr(PbString("x")).Message(9, PbKeyValue(bad, PbString("x")))).str()},
      {"string value", Signal::kTraces, Wrap(SpanWithAttr(PbString(bad))).str()},
      {"string in array", Signal::kTraces,
       Wrap(SpanWithAttr(ProtoBuilder().Message(5, ProtoBuilder().Message(1, PbString(bad)))))
           .str()},
      {"status message", Signal::kTraces,
       Wrap(ProtoBuilder().Message(15, ProtoBuilder().Bytes(2, bad))).str()},
      {"surrogate", Signal::kTraces, Wrap(ProtoBuilder().Bytes(5, "\xed\xa0\x80")).str()},
      {"overlong", Signal::kTraces, Wrap(ProtoBuilder().Bytes(5, "\xc0\xaf")).str()},
      {"event name", Signal::kLogs, Wrap(ProtoBuilder().Bytes(12, bad)).str()},
      {"log body", Signal::kLogs, Wrap(ProtoBuilder().Message(5, PbString(bad))).str()},
      {"metric name", Signal::kMetrics, Wrap(ProtoBuilder().Bytes(1, bad)).str()},
      {"metric unit", Signal::kMetrics, Wrap(ProtoBuilder().Bytes(3, bad)).str()},
      {"scope name", Signal::kTraces,
       ProtoBuilder()
           .Message(1, ProtoBuilder().Message(2, ProtoBuilder().Message(1, PbString(bad))))
           .str()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Pb(c.signal, c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().rfind("invalid OTLP protobuf: ", 0), 0u) << r.error();
    EXPECT_NE(r.error().find("invalid UTF-8"), std::string::npos) << r.error();
  }
  // Bytes values and skipped strings (severity_text, description) are not checked.
  auto ok = Pb(Signal::kLogs,
               Wrap(ProtoBuilder().Bytes(3, bad).Message(5, ProtoBuilder().Bytes(7, bad))).str());
  EXPECT_TRUE(ok.ok()) << ok.error();
}

TEST(DecodeProtobufTest, MalformedInputErrors) {
  struct Case {
    std::string name;
    Signal signal;
    std::string body;
    std::string want;  // exact error
  };
  const std::string p = "invalid OTLP protobuf: ";
  const Case cases[] = {
      {"varint overflow at top", Signal::kTraces, std::string(11, '\xff'),
       p + "Export request: varint overflow at byte 0"},
      {"length past end", Signal::kTraces,
       "\x0a\x05"
       "abc",
       p + "Export request: length past the end of the input at byte 0"},
      {"huge declared length", Signal::kTraces,
       "\x0a" + ProtoBuilder::VarintBytes(~0ull >> 1) + "x",
       p + "Export request: length past the end of the input at byte 0"},
      {"group", Signal::kLogs, ProtoBuilder().Tag(5, 3).str(),
       p + "Export request: groups are not supported at byte 0"},
      {"wire type 7", Signal::kMetrics, ProtoBuilder().Tag(2, 7).str(),
       p + "Export request: invalid wire type at byte 0"},
      {"field 0", Signal::kTraces, std::string("\x00\x00", 2),
       p + "Export request: field number 0 at byte 0"},
      {"truncated fixed64 in span", Signal::kTraces,
       Wrap(ProtoBuilder().Raw(std::string("\x39\x01\x02", 3))).str(),
       p + "Span: truncated input at byte 6"},
      {"resource_spans as varint", Signal::kTraces, ProtoBuilder().Varint(1, 5).str(),
       p + "Export request: field 1: wrong wire type 0 at byte 0"},
      {"start time as varint", Signal::kTraces, Wrap(ProtoBuilder().Varint(7, 5)).str(),
       p + "Span: field 7: wrong wire type 0 at byte 6"},
      {"name as varint", Signal::kTraces, Wrap(ProtoBuilder().Varint(5, 5)).str(),
       p + "Span: field 5: wrong wire type 0 at byte 6"},
      {"kind as fixed32", Signal::kTraces, Wrap(ProtoBuilder().Fixed32(6, 5)).str(),
       p + "Span: field 6: wrong wire type 5 at byte 6"},
      {"as_int as varint", Signal::kMetrics,
       Wrap(ProtoBuilder().Message(5, ProtoBuilder().Message(1, ProtoBuilder().Varint(6, 1))))
           .str(),
       p + "NumberDataPoint: field 6: wrong wire type 0 at byte 10"},
      {"histogram point as varint", Signal::kMetrics,
       Wrap(ProtoBuilder().Message(9, ProtoBuilder().Varint(1, 1))).str(),
       p + "metric data: field 1: wrong wire type 0 at byte 8"},
      {"double value as varint", Signal::kTraces,
       Wrap(SpanWithAttr(ProtoBuilder().Varint(4, 1))).str(),
       p + "AnyValue: field 4: wrong wire type 0 at byte 13"},
      {"bool value as len", Signal::kLogs,
       Wrap(ProtoBuilder().Message(5, ProtoBuilder().Bytes(2, ""))).str(),
       p + "AnyValue: field 2: wrong wire type 2 at byte 8"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Pb(c.signal, c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.want);
  }
}

std::string NestedArrays(int levels) {
  ProtoBuilder v = PbInt(1);
  for (int i = 0; i < levels; ++i) v = ProtoBuilder().Message(5, ProtoBuilder().Message(1, v));
  return Wrap(SpanWithAttr(v)).str();
}
std::string NestedKvLists(int levels) {
  ProtoBuilder v = PbInt(1);
  for (int i = 0; i < levels; ++i) {
    v = ProtoBuilder().Message(6, ProtoBuilder().Message(1, PbKeyValue("k", v)));
  }
  return Wrap(SpanWithAttr(v)).str();
}

TEST(DecodeProtobufTest, DeepNestingIsAnError) {
  for (const std::string& body : {NestedArrays(1000), NestedKvLists(1000)}) {
    auto r = Pb(Signal::kTraces, body);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("nesting deeper than 64"), std::string::npos) << r.error();
  }
  // Request(1) ResourceSpans(2) ScopeSpans(3) Span(4) KeyValue(5) AnyValue(6), then two
  // levels per array: 29 arrays reach 64 exactly.
  auto fits = Pb(Signal::kTraces, NestedArrays(29));
  ASSERT_TRUE(fits.ok()) << fits.error();
  EXPECT_EQ(OnlySpan(*fits).attributes.at(0).value.kind, ValueKind::kArray);
  EXPECT_FALSE(Pb(Signal::kTraces, NestedArrays(30)).ok());

  DecodeLimits limits;
  limits.max_depth = 3;  // the span itself is at level 4
  auto r = Pb(Signal::kTraces, Wrap(ProtoBuilder()).str(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "invalid OTLP protobuf: Span: nesting deeper than 3 at byte 6");
}

/// A request of each signal with most fields set, for the hostile-input loops.
std::vector<std::pair<Signal, std::string>> ValidRequests() {
  return {
      {Signal::kTraces, JsonToProtobuf(Testdata("trace.json"))},
      {Signal::kLogs, JsonToProtobuf(Testdata("logs.json"))},
      {Signal::kMetrics, JsonToProtobuf(Testdata("metrics.json"))},
      {Signal::kTraces, NestedKvLists(5)},
  };
}

TEST(DecodeProtobufTest, TruncatedAtEveryOffsetNeverCrashes) {
  for (const auto& [signal, full] : ValidRequests()) {
    ASSERT_TRUE(Pb(signal, full).ok());
    std::size_t errors = 0;
    for (std::size_t n = 0; n < full.size(); ++n) {
      // A copy of exactly n bytes, so ASan sees any read past the cut.
      const std::string cut = full.substr(0, n);
      auto r = Pb(signal, cut);
      if (!r.ok()) {
        ++errors;
        EXPECT_EQ(r.error().rfind("invalid OTLP protobuf: ", 0), 0u);
      }
    }
    EXPECT_GT(errors, full.size() / 2);
  }
}

TEST(DecodeProtobufTest, RandomAndMutatedBytesNeverCrash) {
  std::mt19937 rng(4318);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 200);
  const Signal signals[] = {Signal::kTraces, Signal::kLogs, Signal::kMetrics};
  for (int i = 0; i < 2000; ++i) {
    std::string buf(static_cast<std::size_t>(len(rng)), '\0');
    for (char& c : buf) c = static_cast<char>(byte(rng));
    auto r = Pb(signals[i % 3], buf);
    if (!r.ok()) {
      EXPECT_FALSE(r.error().empty());
    }
  }
  // Mutations of valid requests reach deeper into the decoder than random bytes.
  for (const auto& [signal, full] : ValidRequests()) {
    std::uniform_int_distribution<std::size_t> pos(0, full.size() - 1);
    for (int i = 0; i < 1000; ++i) {
      std::string m = full;
      const int flips = 1 + i % 3;
      for (int f = 0; f < flips; ++f) m[pos(rng)] = static_cast<char>(byte(rng));
      auto r = Pb(signal, m);
      if (r.ok()) {
        EXPECT_LE(r->ItemCount(), m.size());
      }
    }
  }
}

}  // namespace
}  // namespace agx::otlp
