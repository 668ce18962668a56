#include "registry/update_batch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace agx {
namespace {

std::string Trace(int i) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", i + 1);
  return buf;
}

std::string Span(int i) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016x", i + 1);
  return buf;
}

TEST(UpdateBatchTest, NothingIsVisibleBeforeFlushAndEverythingAfter) {
  CounterHandle c(/*exemplars=*/true);
  const std::vector<double> bounds = {1, 2, 5};
  HistogramHandle h(bounds, /*exemplars=*/true);
  UpdateBatch batch;
  const std::string t = Trace(1), s = Span(1);
  const ExemplarRef ex{t, s, 100};
  batch.Inc(c, 3, &ex);
  batch.Inc(c, 4);
  batch.Observe(h, 1.5, &ex);
  batch.Observe(h, 7);
  EXPECT_FALSE(batch.empty());
  EXPECT_EQ(c.Value(), 0);
  EXPECT_FALSE(c.GetExemplar().has_value());
  batch.Flush();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(c.Value(), 7);
  ASSERT_TRUE(c.GetExemplar().has_value());
  EXPECT_EQ(*c.GetExemplar(), (Exemplar{t, s, 3, 100}));  // the event's own increment
  std::vector<std::uint64_t> counts;
  double sum = 0;
  h.Read(&counts, &sum);
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{0, 1, 1, 2}));
  EXPECT_EQ(sum, 8.5);
  const auto exemplars = h.GetExemplars();
  ASSERT_EQ(exemplars.size(), 4u);
  EXPECT_FALSE(exemplars[0].has_value());
  EXPECT_EQ(exemplars[1], (Exemplar{t, s, 1.5, 100}));
  EXPECT_FALSE(exemplars[3].has_value());  // 7 came without trace context
  batch.Flush();                           // an empty flush changes nothing
  EXPECT_EQ(c.Value(), 7);
}

TEST(UpdateBatchTest, KeepsTheLatestExemplarPerCounterAndPerBucket) {
  CounterHandle c(/*exemplars=*/true);
  const std::vector<double> bounds = {1};
  HistogramHandle h(bounds, /*exemplars=*/true);
  UpdateBatch batch;
  std::vector<std::string> traces, spans;
  for (int i = 0; i < 4; ++i) {
    traces.push_back(Trace(i));
    spans.push_back(Span(i));
  }
  const ExemplarRef e0{traces[0], spans[0], 10}, e1{traces[1], spans[1], 11}, e2{traces[2], "", 12},
      e3{traces[3], spans[3], 13};
  batch.Inc(c, 1, &e0);
  batch.Inc(c, 2, &e1);
  batch.Inc(c, 5);  // no trace context: the exemplar stays e1's
  batch.Observe(h, 0.5, &e0);
  batch.Observe(h, 0.7, &e2);  // bucket 0, later
  batch.Observe(h, 3, &e3);    // +Inf
  batch.Observe(h, 0.9);       // bucket 0, no trace context
  batch.Flush();
  EXPECT_EQ(c.Value(), 8);
  EXPECT_EQ(*c.GetExemplar(), (Exemplar{traces[1], spans[1], 2, 11}));
  const auto ex = h.GetExemplars();
  EXPECT_EQ(ex[0], (Exemplar{traces[2], "", 0.7, 12}));
  EXPECT_EQ(ex[1], (Exemplar{traces[3], spans[3], 3, 13}));
  // A later batch without trace context leaves the exemplars as they are.
  batch.Inc(c, 1);
  batch.Observe(h, 0.1);
  batch.Flush();
  EXPECT_EQ(*c.GetExemplar(), (Exemplar{traces[1], spans[1], 2, 11}));
  EXPECT_EQ(h.GetExemplars(), ex);
}

TEST(UpdateBatchTest, AppliesTheHandlesRulesToEachUpdate) {
  CounterHandle c(/*exemplars=*/false);
  const std::vector<double> bounds = {1};
  HistogramHandle h(bounds, /*exemplars=*/false);
  UpdateBatch batch;
  const std::string t = Trace(0);
  const ExemplarRef ex{t, "", 1};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {-1.0, nan, inf, -inf}) batch.Inc(c, v, &ex);
  for (double v : {nan, inf, -inf}) batch.Observe(h, v, &ex);
  batch.Inc(c, 2, &ex);
  batch.Observe(h, -3, &ex);  // negative observations are allowed
  batch.Flush();
  EXPECT_EQ(c.Value(), 2);
  EXPECT_FALSE(c.GetExemplar().has_value());  // exemplars off for this series
  std::vector<std::uint64_t> counts;
  double sum = 0;
  h.Read(&counts, &sum);
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{1, 1}));
  EXPECT_EQ(sum, -3);
  EXPECT_TRUE(h.GetExemplars().empty());
}

// The batch against the handles updated one by one, on a random mix of many series, more
// than fit in one batch (so it flushes itself on the way): the same counts and buckets,
// the same exemplars, sums equal up to the order of additions.
TEST(UpdateBatchTest, MatchesDirectUpdatesOnARandomMix) {
  constexpr int kSeries = 1500;  // more than UpdateBatch::kMaxSeries
  static_assert(kSeries > static_cast<int>(UpdateBatch::kMaxSeries));
  const std::vector<double> bounds = {0.1, 0.5, 1, 2.5, 10};
  std::vector<std::unique_ptr<CounterHandle>> direct_c, batched_c;
  std::vector<std::unique_ptr<HistogramHandle>> direct_h, batched_h;
  for (int i = 0; i < kSeries; ++i) {
    direct_c.push_back(std::make_unique<CounterHandle>(i % 3 != 0));
    batched_c.push_back(std::make_unique<CounterHandle>(i % 3 != 0));
    direct_h.push_back(std::make_unique<HistogramHandle>(bounds, i % 2 == 0));
    batched_h.push_back(std::make_unique<HistogramHandle>(bounds, i % 2 == 0));
  }
  std::vector<std::string> traces, spans;
  for (int i = 0; i < 64; ++i) {
    traces.push_back(Trace(i));
    spans.push_back(Span(i));
  }
  std::mt19937 rng(7);
  UpdateBatch batch;
  for (int round = 0; round < 5; ++round) {
    for (int n = 0; n < 20000; ++n) {
      const int series = static_cast<int>(rng() % (n % 4 == 0 ? kSeries : 20));  // some hot
      const int trace = static_cast<int>(rng() % 80);  // >= 64: no trace context
      std::optional<ExemplarRef> ex;
      if (trace < 64) ex = ExemplarRef{traces[trace], spans[trace], 1000.0 + n};
      const ExemplarRef* exp = ex ? &*ex : nullptr;
      if (rng() % 2 == 0) {
        const double v = static_cast<double>(rng() % 5000);  // whole: sums add exactly
        direct_c[series]->Inc(v, exp);
        batch.Inc(*batched_c[series], v, exp);
      } else {
        const double v = static_cast<double>(rng() % 20000) / 1000.0;
        direct_h[series]->Observe(v, exp);
        batch.Observe(*batched_h[series], v, exp);
      }
    }
    batch.Flush();
  }
  for (int i = 0; i < kSeries; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(batched_c[i]->Value(), direct_c[i]->Value());
    EXPECT_EQ(batched_c[i]->GetExemplar(), direct_c[i]->GetExemplar());
    std::vector<std::uint64_t> dc, bc;
    double ds = 0, bs = 0;
    direct_h[i]->Read(&dc, &ds);
    batched_h[i]->Read(&bc, &bs);
    EXPECT_EQ(bc, dc);
    EXPECT_NEAR(bs, ds, 1e-9 * std::max(1.0, std::fabs(ds)));
    EXPECT_EQ(batched_h[i]->GetExemplars(), direct_h[i]->GetExemplars());
  }
}

}  // namespace
}  // namespace agx
