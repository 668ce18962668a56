// The key of a cumulative series (series_key.h): 16 bytes however long its attributes, equal
// for the same series whatever the order of its attributes, different for different series
// (also where a length-prefix-free or cut encoding would confuse them); and the mapper's
// cumulative state keyed by it keeps series with megabytes of attributes apart.
#include "otlp/series_key.h"

#include <gtest/gtest.h>

#include <string>

#include "otlp/mapped_testutil.h"

namespace agx::otlp {
namespace {

using namespace fixtures;  // NOLINT(google-build-using-namespace): the shared builders

static_assert(sizeof(CumulativeKey) == 16, "a series costs its key's 16 bytes in the state");

SeriesKey Key(const Attributes& resource, const Attributes& point,
              std::string_view metric = "claude_code.token.usage") {
  return MakeSeriesKey(metric, ResourceDigest(resource), point);
}

TEST(SeriesKeyTest, TheSameSeriesWhateverTheOrderOfItsAttributes) {
  const Attributes r1 = {{"service.name", Str("svc")}, {"host", Str("h")}};
  const Attributes r2 = {{"host", Str("h")}, {"service.name", Str("svc")}};
  const Attributes p1 = {{"model", Str("m")}, {"type", Str("input")}};
  const Attributes p2 = {{"type", Str("input")}, {"model", Str("m")}};
  EXPECT_EQ(Key(r1, p1), Key(r2, p2));
}

TEST(SeriesKeyTest, DifferentSeriesGetDifferentKeys) {
  const Attributes r = {{"service.name", Str("svc")}};
  const Attributes p = {{"model", Str("m")}};
  const SeriesKey base = Key(r, p);
  const SeriesKey others[] = {
      Key(r, p, "claude_code.cost.usage"),
      Key({}, p),
      Key(r, {}),
      Key(r, {{"model", Str("n")}}),
      // An attribute of the resource is not the same as one of the point.
      Key({}, {{"service.name", Str("svc")}, {"model", Str("m")}}),
      Key({{"service.name", Str("svc")}, {"model", Str("m")}}, {}),
      // Kinds: the string "1", the int 1, the double 1, true.
      Key(r, {{"model", Str("1")}}),
      Key(r, {{"model", Int(1)}}),
      Key(r, {{"model", Dbl(1)}}),
      Key(r, {{"model", Bool(true)}}),
      Key(r, {{"model", Kind(ValueKind::kArray)}}),
      // Lengths: "mo"+"del…" is not "model".
      Key(r, {{"mo", Str("delm")}}),
      // A duplicate key is part of the series.
      Key(r, {{"model", Str("m")}, {"model", Str("m")}}),
  };
  for (std::size_t i = 0; i < std::size(others); ++i) {
    SCOPED_TRACE(i);
    EXPECT_NE(others[i], base);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(others[i], others[j]) << j;
  }
}

TEST(SeriesKeyTest, LongValuesAreHashedWholeNotCut) {
  std::string a(1 << 20, 'x'), b = a;
  b.back() = 'y';  // differ only in their last byte
  EXPECT_NE(Key({{"big", Str(a)}}, {}), Key({{"big", Str(b)}}, {}));
  EXPECT_NE(Key({}, {{"big", Str(a)}}), Key({}, {{"big", Str(b)}}));
}

TEST(SeriesKeyTest, CumulativeSeriesWithLongAttributesKeepTheirOwnDeltas) {
  // 200 series under a 1 MiB resource attribute, each with its own 64 KiB point attribute:
  // the state keeps 16 bytes for each, and every series its own previous value.
  Mapper mapper(Config("metrics"), kExporterStart);
  const std::string big(1 << 20, 'r');
  std::vector<std::string> own(200);
  auto request = [&](double value) {
    std::vector<NumberPoint> points;
    for (std::size_t i = 0; i < own.size(); ++i) {
      own[i] = std::string(64 * 1024, 'p') + std::to_string(i);
      points.push_back(Point(value + static_cast<double>(i),
                             {{"model", Str("m")}, {"type", Str("input")}, {"k", Str(own[i])}}, kT,
                             kT + kSec));
    }
    return MetricRequest({{"service.name", Str("svc")}, {"big", Str(big)}},
                         {Sum("claude_code.token.usage", 2, std::move(points))});
  };
  MappedBatch b;
  Map(mapper, request(10), &b);
  mapper.Commit(b);
  EXPECT_EQ(b.cumulative_updates.size(), own.size());
  const Lines lines = Map(mapper, request(13), &b);
  ASSERT_EQ(lines.size(), own.size());
  for (const std::string& l : lines) {
    EXPECT_EQ(l,
              R"({"type":"usage","agent_id":"svc","ts":1795319954,"model":"m","input_tokens":3})");
  }
}

}  // namespace
}  // namespace agx::otlp
