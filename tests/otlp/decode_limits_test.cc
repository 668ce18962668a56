// What one decoded request may hold (decode_budget.h), in both encodings: at most
// max_items spans, log records or data points, counted before they are stored (in JSON,
// for a large body, before the document is parsed: json_item_count.h), and a decoded form
// of at most 4 times the body plus 1 MiB. Past either the decode fails as too large (413),
// not as invalid (400); at the limit it succeeds with every item.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "otlp/decode.h"
#include "otlp/decode_budget.h"
#include "otlp/json_item_count.h"
#include "otlp/proto_builder.h"

namespace agx::otlp {
namespace {

using testing::PbInt;
using testing::PbKeyValue;
using testing::ProtoBuilder;

struct Decoded {
  bool ok = false;
  DecodeFailure failure = DecodeFailure::kNone;
  std::string error;
  std::size_t items = 0;
};

Decoded Pb(Signal s, const std::string& body, const DecodeLimits& limits) {
  Decoded d;
  auto r = DecodeProtobuf(s, body, limits, &d.failure);
  d.ok = r.ok();
  if (r.ok()) d.items = r->ItemCount();
  if (!r.ok()) d.error = r.error();
  return d;
}

Decoded Json(Signal s, const std::string& body, const DecodeLimits& limits) {
  Decoded d;
  auto r = DecodeJson(s, body, limits, &d.failure);
  d.ok = r.ok();
  if (r.ok()) d.items = r->ItemCount();
  if (!r.ok()) d.error = r.error();
  return d;
}

DecodeLimits Items(std::size_t n) {
  DecodeLimits l;
  l.max_items = n;
  return l;
}

// Resource*{scope*{n empty items}} for each entry of `per_scope`, one resource.
std::string PbEmptyItems(std::initializer_list<std::size_t> per_scope) {
  ProtoBuilder resource;
  for (std::size_t n : per_scope) {
    ProtoBuilder scope;
    for (std::size_t i = 0; i < n; ++i) scope.Message(2, ProtoBuilder());
    resource.Message(2, scope);
  }
  return ProtoBuilder().Message(1, resource).str();
}

std::string JsonEmptyItems(std::string_view resources, std::string_view scopes,
                           std::string_view items, std::initializer_list<std::size_t> per_scope) {
  std::string body = "{\"" + std::string(resources) + "\":[{\"" + std::string(scopes) + "\":[";
  bool first_scope = true;
  for (std::size_t n : per_scope) {
    body += first_scope ? "" : ",";
    first_scope = false;
    body += "{\"" + std::string(items) + "\":[";
    for (std::size_t i = 0; i < n; ++i) body += i == 0 ? "{}" : ",{}";
    body += "]}";
  }
  return body + "]}]}";
}

const std::string kTooMany =
    "OTLP request too large: more than 10 items (otlp.max_items_per_request); send fewer items "
    "per request";

TEST(DecodeLimitsTest, ProtobufItemsAreCountedAcrossScopesAndRefusedPastTheLimit) {
  for (Signal s : {Signal::kTraces, Signal::kLogs}) {
    SCOPED_TRACE(SignalName(s));
    Decoded d = Pb(s, PbEmptyItems({4, 6}), Items(10));
    EXPECT_TRUE(d.ok) << d.error;
    EXPECT_EQ(d.items, 10u);
    EXPECT_EQ(d.failure, DecodeFailure::kNone);
    d = Pb(s, PbEmptyItems({4, 7}), Items(10));
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
    EXPECT_EQ(d.error, kTooMany);
  }
  // An invalid body is still invalid (400), not too large.
  Decoded d = Pb(Signal::kTraces, "\x0a\xff", Items(10));
  EXPECT_EQ(d.failure, DecodeFailure::kInvalid);
}

TEST(DecodeLimitsTest, DataPointsOfEveryKindAreItems) {
  // A gauge with 6 number points and a histogram with 5 points: 11 items.
  ProtoBuilder gauge, histogram;
  for (int i = 0; i < 6; ++i) gauge.Message(1, ProtoBuilder().Double(4, 1));
  for (int i = 0; i < 5; ++i) histogram.Message(1, ProtoBuilder());
  const std::string body =
      ProtoBuilder()
          .Message(1, ProtoBuilder().Message(
                          2, ProtoBuilder()
                                 .Message(2, ProtoBuilder().Bytes(1, "g").Message(5, gauge))
                                 .Message(2, ProtoBuilder().Bytes(1, "h").Message(9, histogram))))
          .str();
  Decoded d = Pb(Signal::kMetrics, body, Items(11));
  EXPECT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.items, 11u);
  d = Pb(Signal::kMetrics, body, Items(10));
  EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
  EXPECT_EQ(d.error, kTooMany);

  const std::string json =
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
        {"name":"g","gauge":{"dataPoints":[{},{},{},{},{},{}]}},
        {"name":"h","histogram":{"dataPoints":[{},{},{},{},{}]}}]}]}]})";
  d = Json(Signal::kMetrics, json, Items(11));
  EXPECT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.items, 11u);
  d = Json(Signal::kMetrics, json, Items(10));
  EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
  EXPECT_EQ(d.error, kTooMany);
}

TEST(DecodeLimitsTest, JsonItemsAreRefusedPastTheLimitBeforeAndAfterTheDocumentIsParsed) {
  for (const auto& [signal, keys] :
       {std::pair{Signal::kTraces,
                  std::array<std::string_view, 3>{"resourceSpans", "scopeSpans", "spans"}},
        std::pair{Signal::kLogs,
                  std::array<std::string_view, 3>{"resourceLogs", "scopeLogs", "logRecords"}}}) {
    SCOPED_TRACE(SignalName(signal));
    // Small bodies: the budget refuses while decoding. Large ones (more than 2 bytes per
    // allowed item): the count before parsing does, with the same answer.
    for (std::size_t limit : {std::size_t{10}, std::size_t{100000}}) {
      SCOPED_TRACE(limit);
      const std::size_t a = limit / 2;
      Decoded d =
          Json(signal, JsonEmptyItems(keys[0], keys[1], keys[2], {a, limit - a}), Items(limit));
      EXPECT_TRUE(d.ok) << d.error;
      EXPECT_EQ(d.items, limit);
      d = Json(signal, JsonEmptyItems(keys[0], keys[1], keys[2], {a, limit - a + 1}), Items(limit));
      EXPECT_FALSE(d.ok);
      EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
      EXPECT_NE(d.error.find("items (otlp.max_items_per_request)"), std::string::npos) << d.error;
    }
  }
}

TEST(DecodeLimitsTest, DefaultLimitIsAHundredThousandItems) {
  EXPECT_EQ(DecodeLimits{}.max_items, 100000u);
  const std::string ok = PbEmptyItems({100000});
  EXPECT_TRUE(Pb(Signal::kTraces, ok, {}).ok);
  Decoded d = Pb(Signal::kTraces, PbEmptyItems({100001}), {});
  EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
  // A body of millions of empty spans (2 bytes each) is refused having stored none.
  d = Pb(Signal::kTraces, PbEmptyItems({3000000}), {});
  EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
  d = Json(Signal::kTraces, JsonEmptyItems("resourceSpans", "scopeSpans", "spans", {3000000}), {});
  EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
}

TEST(DecodeLimitsTest, ContainersAndAttributesAreBoundedByTheDecodedSize) {
  // 300 000 empty scopes: 600 KB of protobuf, 12 MB decoded.
  std::string scopes;
  {
    ProtoBuilder resource;
    for (int i = 0; i < 300000; ++i) resource.Message(2, ProtoBuilder());
    scopes = ProtoBuilder().Message(1, resource).str();
  }
  Decoded d = Pb(Signal::kTraces, scopes, {});
  EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
  EXPECT_NE(d.error.find("OTLP request too large: decoded it would take more than"),
            std::string::npos)
      << d.error;
  // Empty metrics alike.
  {
    ProtoBuilder scope;
    for (int i = 0; i < 300000; ++i) scope.Message(2, ProtoBuilder());
    d = Pb(Signal::kMetrics, ProtoBuilder().Message(1, ProtoBuilder().Message(2, scope)).str(), {});
    EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
  }
  // 2000 spans of 128 tiny attributes: 1.8 MB of protobuf, 15 MB decoded.
  {
    ProtoBuilder span;
    for (int i = 0; i < 128; ++i) span.Message(9, PbKeyValue("k", PbInt(1)));
    ProtoBuilder scope;
    for (int i = 0; i < 2000; ++i) scope.Message(2, span);
    const std::string body = ProtoBuilder().Message(1, ProtoBuilder().Message(2, scope)).str();
    d = Pb(Signal::kTraces, body, {});
    EXPECT_EQ(d.failure, DecodeFailure::kTooLarge);
    // JSON takes more bytes for the same: the same request decodes.
    std::string json = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)";
    std::string attrs;
    for (int i = 0; i < 128; ++i) {
      attrs += std::string(i == 0 ? "" : ",") + R"({"key":"k","value":{"intValue":1}})";
    }
    for (int i = 0; i < 2000; ++i)
      json += (i == 0 ? "" : ",") + std::string(R"({"attributes":[)") + attrs + "]}";
    json += "]}]}]}";
    d = Json(Signal::kTraces, json, {});
    EXPECT_TRUE(d.ok) << d.error;
    EXPECT_EQ(d.items, 2000u);
  }
}

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(AGX_SOURCE_DIR) + "/tests/otlp/testdata/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CountJsonItemsTest, CountsWhatTheDecoderCounts) {
  const std::pair<const char*, Signal> files[] = {
      {"trace.json", Signal::kTraces},
      {"logs.json", Signal::kLogs},
      {"metrics.json", Signal::kMetrics},
      {"claude_code_logs.json", Signal::kLogs},
      {"claude_code_metrics.json", Signal::kMetrics},
  };
  for (const auto& [name, signal] : files) {
    SCOPED_TRACE(name);
    const std::string body = Testdata(name);
    auto r = DecodeJson(signal, body, {});
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_GT(r->ItemCount(), 0u);
    EXPECT_EQ(CountJsonItems(body, signal), r->ItemCount());
    EXPECT_EQ(CountJsonItems(body, std::nullopt), r->ItemCount());
  }
}

TEST(CountJsonItemsTest, KeysEscapesStringsNullsAndOtherSignals) {
  struct Case {
    const char* body;
    std::size_t want;
  };
  const Case cases[] = {
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{}]}]}]})", 3},
      // An escaped key is the same key (the decoder sees "spans").
      {R"({"resourceSpans":[{"scope\u0053pans":[{"sp\u0061ns":[{},{}]}]}]})", 2},
      // Duplicate keys: the decoder reads both arrays.
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{}],"spans":[{},{}]}]}]})", 3},
      // Brackets, quotes and keys inside strings are text.
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a\"],[{\"spans\":[{}"},{}]}]}]})", 2},
      // Spans elsewhere (inside an attribute, under another key, at the top) are not items.
      {R"({"spans":[{}],"resourceSpans":[{"resource":{"spans":[{}]},"scopeSpans":[{"x":{"spans":[{}]},"spans":[{"attributes":[{"key":"spans","value":{"arrayValue":{"values":[{},{}]}}}]}]}]}]})",
       1},
      // null and empty arrays hold nothing; a longer key that starts like one is another.
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":null},{"spans":[]},{"spansX":[{}]}]}]})", 0},
      // Another signal's key is not read for traces.
      {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{}]}]}],"resourceSpans":[]})", 0},
      {R"( { "resourceSpans" : [ { "scopeSpans" : [ { "spans" : [ { } , 1 , "s" , [ ] ] } ] } ] } )",
       4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(CountJsonItems(c.body, Signal::kTraces), c.want);
    auto r = DecodeJson(Signal::kTraces, c.body, {});
    if (r.ok()) {
      EXPECT_EQ(r->ItemCount(), c.want);
    }
  }
  const std::string logs = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{}]}]}]})";
  EXPECT_EQ(CountJsonItems(logs, Signal::kLogs), 2u);
  EXPECT_EQ(CountJsonItems(logs, std::nullopt), 2u);
  EXPECT_EQ(CountJsonItems(logs, Signal::kMetrics), 0u);
}

TEST(CountJsonItemsTest, MalformedAndDeepInputEndsTheCountWithoutHarm) {
  EXPECT_EQ(CountJsonItems("", Signal::kTraces), 0u);
  EXPECT_EQ(CountJsonItems("]]]}}}", Signal::kTraces), 0u);
  EXPECT_EQ(CountJsonItems(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{)", Signal::kTraces),
            2u);
  EXPECT_EQ(CountJsonItems(R"({"resourceSpans":[{"scopeSpans":[{"spans":["\)", Signal::kTraces),
            1u);
  EXPECT_EQ(CountJsonItems(R"({"sp\u00)", Signal::kTraces), 0u);
  EXPECT_EQ(CountJsonItems(std::string(100000, '[') + std::string(100000, ']'), Signal::kTraces),
            0u);
  // Deep noise between the levels that matter does not lose the path.
  const std::string deep = std::string(R"({"x":)") + std::string(1000, '[') +
                           std::string(1000, ']') +
                           R"(,"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]}]}]})";
  EXPECT_EQ(CountJsonItems(deep, Signal::kTraces), 2u);
}

// The count before parsing refuses a request only past the limit, so it must never count
// more than the decoder would: mutated requests that still decode are counted exactly.
TEST(CountJsonItemsTest, MutatedRequestsThatDecodeAreCountedExactly) {
  std::mt19937 rng(20261207);
  const char kBytes[] = "{}[],:\"\\ 0aspnu";
  std::size_t decoded = 0;
  for (const auto& [name, signal] :
       {std::pair{"trace.json", Signal::kTraces}, std::pair{"logs.json", Signal::kLogs},
        std::pair{"claude_code_logs.json", Signal::kLogs}}) {
    SCOPED_TRACE(name);
    const std::string original = Testdata(name);
    for (int i = 0; i < 3000; ++i) {
      std::string body = original;
      for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
        const std::size_t at = rng() % body.size();
        const char c = kBytes[rng() % (sizeof kBytes - 1)];
        switch (rng() % 3) {
          case 0:
            body[at] = c;
            break;
          case 1:
            body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          default:
            body.erase(at, 1);
            break;
        }
      }
      const std::size_t count = CountJsonItems(body, signal);
      auto r = DecodeJson(signal, body, {});
      if (!r.ok()) continue;
      ++decoded;
      ASSERT_EQ(count, r->ItemCount()) << body;
    }
  }
  EXPECT_GT(decoded, 1000u);  // enough of them still decode for the check to mean something
}

}  // namespace
}  // namespace agx::otlp
