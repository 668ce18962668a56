#include "registry/handles.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>


namespace agx {
namespace {

TEST(ExemplarSlotTest, RecordsAndReturnsAPlainCopy) {
  ExemplarSlot slot;
  EXPECT_FALSE(slot.Get().has_value());
  const std::string trace(32, 'f');
  const std::string span(16, 'e');
  slot.Record(ExemplarRef{trace, span, 12.5}, 3);
  ASSERT_TRUE(slot.Get().has_value());
  EXPECT_EQ(*slot.Get(), (Exemplar{trace, span, 3, 12.5}));
  // The largest label set: trace_id + 32 + span_id + 16 = 63 code points (OpenMetrics: 128).
  EXPECT_LE(
      std::string("trace_id").size() + trace.size() + std::string("span_id").size() + span.size(),
      128u);
}

TEST(ExemplarSlotTest, DropsMalformedIdsAndKeepsThePreviousExemplar) {
  struct Case {
    const char* name;
    std::string trace;
    std::string span;
  };
  const Case cases[] = {
      {"empty trace id", "", "0123456789abcdef"},
      {"trace id too long", std::string(33, 'a'), ""},
      {"span id too long", std::string(32, 'a'), std::string(17, 'b')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExemplarSlot slot;
    slot.Record(ExemplarRef{"abc", "", 1}, 1);
    slot.Record(ExemplarRef{c.trace, c.span, 2}, 2);
    ASSERT_TRUE(slot.Get().has_value());
    EXPECT_EQ(slot.Get()->trace_id, "abc");
  }
}

TEST(ExemplarSlotTest, LoadRejectsNonFiniteValues) {
  ExemplarSlot slot;
  slot.Load(Exemplar{"abc", "", std::numeric_limits<double>::infinity(), 0});
  EXPECT_FALSE(slot.Get().has_value());
  slot.Load(Exemplar{"abc", "", 2, -5});  // a negative timestamp means none
  ASSERT_TRUE(slot.Get().has_value());
  EXPECT_EQ(slot.Get()->timestamp, 0);
}

TEST(HandlesTest, CounterWithoutExemplarsIgnoresTraceContext) {
  CounterHandle h(/*exemplars=*/false);
  const ExemplarRef ex{"abc", "", 1};
  h.Inc(2, &ex);
  h.LoadExemplar(Exemplar{"abc", "", 1, 1});
  EXPECT_DOUBLE_EQ(h.Value(), 2);
  EXPECT_FALSE(h.GetExemplar().has_value());
}

TEST(HandlesTest, HistogramLoadsExemplarsOnlyIntoTheirOwnBucket) {
  const std::vector<double> bounds = {1, 2};
  HistogramHandle h(bounds, /*exemplars=*/true);
  std::vector<std::optional<Exemplar>> in = {
      Exemplar{"a", "", 0.5, 1},  // bucket 0: kept
      Exemplar{"b", "", 0.5, 1},  // belongs to bucket 0, not 1: dropped
      Exemplar{"c", "", 99, 1},   // +Inf: kept
  };
  h.LoadExemplars(in);
  const auto out = h.GetExemplars();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]->trace_id, "a");
  EXPECT_FALSE(out[1].has_value());
  EXPECT_EQ(out[2]->trace_id, "c");
  h.LoadExemplars({});  // shorter input: no change, no crash
  EXPECT_EQ(h.GetExemplars(), out);
}

TEST(HandlesTest, GaugeSetsAnyValue) {
  GaugeHandle h;
  h.Set(-4.5);
  EXPECT_DOUBLE_EQ(h.Value(), -4.5);
}

}  // namespace
}  // namespace agx
