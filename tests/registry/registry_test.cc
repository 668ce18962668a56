#include "registry/registry.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "registry/snapshot_util.h"

namespace agx {
namespace {

using testing::FindSeries;
using testing::ValueOf;

constexpr std::string_view kTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kSpan = "b7ad6b7169203331";

TEST(RegistryTest, CollectHasEveryCatalogueFamilyInOrder) {
  Registry r;
  const Snapshot s = r.Collect();
  ASSERT_EQ(s.families.size(), AllMetrics().size());
  for (std::size_t i = 0; i < s.families.size(); ++i) {
    const MetricSpec& spec = AllMetrics()[i];
    const FamilySnapshot& f = s.families[i];
    SCOPED_TRACE(spec.name);
    EXPECT_EQ(f.name, spec.name);
    EXPECT_EQ(f.type, spec.type);
    EXPECT_EQ(f.help, spec.help);
    EXPECT_EQ(f.label_names, std::vector<std::string>(spec.labels.begin(), spec.labels.end()));
    EXPECT_EQ(f.bounds, std::vector<double>(spec.buckets.begin(), spec.buckets.end()));
    EXPECT_TRUE(f.series.empty());
  }
}

TEST(RegistryTest, CollectReportsCounterGaugeAndHistogramValues) {
  Registry r;
  r.Counter(MetricId::kRequests, {"a1", "ok"}).Inc();
  r.Counter(MetricId::kRequests, {"a1", "ok"}).Inc(2.5);
  r.Gauge(MetricId::kCostPerTask, {"a1"}).Set(0.25);
  auto& h = r.Histogram(MetricId::kRequestDuration, {"a1"});
  h.Observe(0.1);
  h.Observe(3);
  h.Observe(1000);

  const Snapshot s = r.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a1", "ok"}), 3.5);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_cost_per_task_usd", {"a1"}), 0.25);
  const SeriesSnapshot* hs = FindSeries(s, "agent_request_duration_seconds", {"a1"});
  ASSERT_NE(hs, nullptr);
  // Bounds 0.5 1 2 5 10 20 60 120 +Inf, cumulative.
  EXPECT_EQ(hs->bucket_counts, (std::vector<std::uint64_t>{1, 1, 1, 2, 2, 2, 2, 2, 3}));
  EXPECT_EQ(hs->count(), 3u);
  EXPECT_DOUBLE_EQ(hs->sum, 1003.1);
  EXPECT_EQ(hs->bucket_exemplars.size(), hs->bucket_counts.size());
}

TEST(RegistryTest, CounterIgnoresNegativeAndNonFiniteIncrements) {
  Registry r;
  auto& c = r.Counter(MetricId::kRequests, {"a", "ok"});
  c.Inc(2);
  c.Inc(-1);
  c.Inc(std::numeric_limits<double>::quiet_NaN());
  c.Inc(std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(c.Value(), 2);
  auto& h = r.Histogram(MetricId::kRequestDuration, {"a"});
  h.Observe(std::numeric_limits<double>::quiet_NaN());
  h.Observe(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(FindSeries(r.Collect(), "agent_request_duration_seconds", {"a"})->count(), 0u);
}

TEST(RegistryTest, CounterRecordsTheLatestExemplar) {
  Registry r;
  const ExemplarRef first{"11111111111111111111111111111111", "", 100};
  const ExemplarRef second{kTrace, kSpan, 1700000000.5};
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc(1, &first);
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc(2, &second);
  const ExemplarRef no_trace{"", kSpan, 5};
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc(1, &no_trace);  // keeps `second`

  const Snapshot snap = r.Collect();
  const SeriesSnapshot* s = FindSeries(snap, "agent_requests_total", {"a", "ok"});
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->exemplar.has_value());
  EXPECT_EQ(*s->exemplar, (Exemplar{std::string(kTrace), std::string(kSpan), 2, 1700000000.5}));
}

TEST(RegistryTest, NoExemplarOnMetricsWithoutExemplarsOrWithMalformedIds) {
  Registry r;
  const ExemplarRef ex{kTrace, kSpan, 1};
  r.Counter(MetricId::kTokens, {"a", "m", "input"}).Inc(10, &ex);  // catalogue: no exemplars
  const std::string long_trace(33, 'a');
  const ExemplarRef too_long{long_trace, "", 1};
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc(1, &too_long);

  const Snapshot s = r.Collect();
  EXPECT_FALSE(FindSeries(s, "agent_tokens_consumed_total", {"a", "m", "input"})->exemplar);
  EXPECT_FALSE(FindSeries(s, "agent_requests_total", {"a", "ok"})->exemplar);
}

TEST(RegistryTest, HistogramExemplarLandsInTheObservedBucket) {
  struct Case {
    const char* name;
    double value;
    std::size_t bucket;  // index into bounds 0.5 1 2 5 10 20 60 120 +Inf
  };
  const Case cases[] = {
      {"below first bound", 0.05, 0},
      {"equal to a bound (le)", 0.5, 0},
      {"just above a bound", 0.51, 1},
      {"middle", 7, 4},
      {"last finite bound", 120, 7},
      {"+Inf bucket", 1e9, 8},
      {"negative", -3, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Registry r;
    const ExemplarRef ex{kTrace, kSpan, 42};
    r.Histogram(MetricId::kRequestDuration, {"a"}).Observe(c.value, &ex);
    const Snapshot snap = r.Collect();
    const SeriesSnapshot* s = FindSeries(snap, "agent_request_duration_seconds", {"a"});
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->bucket_exemplars.size(), 9u);
    for (std::size_t i = 0; i < s->bucket_exemplars.size(); ++i) {
      SCOPED_TRACE(i);
      if (i == c.bucket) {
        ASSERT_TRUE(s->bucket_exemplars[i].has_value());
        EXPECT_EQ(s->bucket_exemplars[i]->trace_id, kTrace);
        EXPECT_EQ(s->bucket_exemplars[i]->span_id, kSpan);
        EXPECT_DOUBLE_EQ(s->bucket_exemplars[i]->value, c.value);
        EXPECT_DOUBLE_EQ(s->bucket_exemplars[i]->timestamp, 42);
        // The bucket holding the exemplar counts the observation.
        EXPECT_EQ(s->bucket_counts[i], 1u);
      } else {
        EXPECT_FALSE(s->bucket_exemplars[i].has_value());
      }
    }
  }
}

TEST(RegistryTest, SeriesAreSortedByLabelValues) {
  Registry r;
  for (const char* a : {"b", "a", "c", "aa"}) r.Counter(MetricId::kRequests, {a, "ok"}).Inc();
  r.Counter(MetricId::kRequests, {"a", "error"}).Inc();
  const Snapshot s = r.Collect();
  std::vector<std::vector<std::string>> got;
  for (const auto& series : s.Find("agent_requests_total")->series)
    got.push_back(series.label_values);
  const std::vector<std::vector<std::string>> want = {
      {"a", "error"}, {"a", "ok"}, {"aa", "ok"}, {"b", "ok"}, {"c", "ok"}};
  EXPECT_EQ(got, want);
}

TEST(RegistryTest, NewSeriesBeyondTheLimitGoToTheOverflowSeries) {
  RegistryOptions opts;
  opts.series_limit = 2;
  Registry r(opts);
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc();
  r.Counter(MetricId::kRequests, {"b", "ok"}).Inc();
  r.Counter(MetricId::kRequests, {"c", "ok"}).Inc(5);      // overflow
  r.Counter(MetricId::kRequests, {"d", "ok"}).Inc(7);      // overflow
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc();       // existing: not an overflow
  r.Counter(MetricId::kLlmCalls, {"x", "m", "ok"}).Inc();  // limits are per metric

  const Snapshot s = r.Collect();
  const std::string o(kOverflowLabelValue);
  EXPECT_EQ(s.Find("agent_requests_total")->series.size(), 3u);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a", "ok"}), 2);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {o, o}), 12);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"c", "ok"}), -1);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_exporter_series_overflow_total", {"agent_requests_total"}), 2);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_llm_calls_total", {"x", "m", "ok"}), 1);
}

TEST(RegistryTest, LimitOfZeroSendsEverythingToOverflowWithoutRecursing) {
  RegistryOptions opts;
  opts.series_limit = 0;
  opts.label_value_max_bytes = 3;  // shorter than every metric name
  Registry r(opts);
  r.Counter(MetricId::kRequests, {"agent", "ok"}).Inc();
  r.Counter(MetricId::kSeriesOverflow, {"x"}).Inc();
  r.Counter(MetricId::kLabelValuesTruncated, {"long value"}).Inc();

  const Snapshot s = r.Collect();
  const std::string o(kOverflowLabelValue);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {o, o}), 1);
  // Self-metric label values are catalogue names: never cut, never overflowed.
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_exporter_series_overflow_total", {"agent_requests_total"}), 1);
  EXPECT_DOUBLE_EQ(
      ValueOf(s, "agent_exporter_label_values_truncated_total", {"agent_requests_total"}), 1);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_exporter_series_overflow_total",
                           {"agent_exporter_label_values_truncated_total"}),
                   1);
  EXPECT_EQ(FindSeries(s, "agent_exporter_label_values_truncated_total",
                       {"agent_exporter_label_values_truncated_total"}),
            nullptr);
}

TEST(RegistryTest, LongLabelValuesAreCutOnACodePointBoundary) {
  RegistryOptions opts;
  opts.label_value_max_bytes = 5;
  Registry r(opts);
  // "abcd" + U+20AC (3 bytes) + "x": byte 5 is inside the euro sign, so the cut is at 4.
  const std::string long1 =
      "abcd\xE2\x82\xAC"
      "x";
  const std::string long2 =
      "abcd\xE2\x82\xAC"
      "y";
  r.Counter(MetricId::kRequests, {long1, "ok"}).Inc();
  r.Counter(MetricId::kRequests, {long2, "ok"}).Inc();
  r.Counter(MetricId::kRequests, {"ab\xE2\x82\xAC", "ok"}).Inc();  // exactly 5 bytes: kept

  const Snapshot s = r.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"abcd", "ok"}), 2);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"ab\xE2\x82\xAC", "ok"}), 1);
  EXPECT_DOUBLE_EQ(
      ValueOf(s, "agent_exporter_label_values_truncated_total", {"agent_requests_total"}), 2);
}

TEST(RegistryTest, LabelValuesWithSeparatorBytesStayDistinct) {
  Registry r;
  r.Counter(MetricId::kRequests, {"a\x1f", "b"}).Inc(1);
  r.Counter(MetricId::kRequests, {"a",
                                  "\x1f"
                                  "b"})
      .Inc(2);
  r.Counter(MetricId::kRequests, {"a\x1e",
                                  "\x1f"
                                  "b"})
      .Inc(4);
  const Snapshot s = r.Collect();
  EXPECT_EQ(s.Find("agent_requests_total")->series.size(), 3u);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a\x1f", "b"}), 1);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total",
                           {"a",
                            "\x1f"
                            "b"}),
                   2);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total",
                           {"a\x1e",
                            "\x1f"
                            "b"}),
                   4);
}

TEST(RegistryTest, OrderAndValuesMatchStdStringForAnyBytes) {
  // Label values live only in the series key: decoding and ordering it must agree with
  // std::string on every byte, separators and escapes included.
  Registry r;
  std::mt19937 rng(7);
  const std::string alphabet = std::string("\x1e\x1f\x01a~") + "\xc3\xa9";
  std::set<std::vector<std::string>> want;
  for (int i = 0; i < 400; ++i) {
    std::vector<std::string> v(2);
    for (auto& x : v) {
      const int len = static_cast<int>(rng() % 4);
      for (int k = 0; k < len; ++k) x.push_back(alphabet[rng() % alphabet.size()]);
    }
    want.insert(v);
    r.Counter(MetricId::kRequests, {v[0], v[1]}).Inc();
  }
  std::vector<std::vector<std::string>> got;
  const Snapshot snap = r.Collect();
  for (const auto& series : snap.Find("agent_requests_total")->series) {
    got.push_back(series.label_values);
  }
  EXPECT_EQ(got, std::vector<std::vector<std::string>>(want.begin(), want.end()));
}

TEST(RegistryTest, HandlesAreStable) {
  Registry r;
  auto& a = r.Counter(MetricId::kRequests, {"a", "ok"});
  for (int i = 0; i < 1000; ++i) r.Counter(MetricId::kRequests, {std::to_string(i), "ok"});
  EXPECT_EQ(&a, &r.Counter(MetricId::kRequests, {"a", "ok"}));
}

TEST(RegistryTest, RemoveGaugeDropsTheSeries) {
  RegistryOptions opts;
  opts.series_limit = 1;
  Registry r(opts);
  r.Gauge(MetricId::kCostPerTask, {"a"}).Set(3);
  const std::string_view a[] = {"a"};
  r.RemoveGauge(MetricId::kCostPerTask, a);
  const std::string_view missing[] = {"never"};
  r.RemoveGauge(MetricId::kCostPerTask, missing);  // no-op
  EXPECT_TRUE(r.Collect().Find("agent_cost_per_task_usd")->series.empty());
  // The slot is free again: a new series does not overflow.
  r.Gauge(MetricId::kCostPerTask, {"b"}).Set(1);
  const Snapshot s = r.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_cost_per_task_usd", {"b"}), 1);
  EXPECT_EQ(FindSeries(s, "agent_exporter_series_overflow_total", {"agent_cost_per_task_usd"}),
            nullptr);
}

TEST(RegistryTest, MisuseThrowsInvalidArgument) {
  Registry r;
  EXPECT_THROW(r.Counter(MetricId::kRequests, {"only one"}), std::invalid_argument);
  EXPECT_THROW(r.Gauge(MetricId::kRequests, {"a", "ok"}), std::invalid_argument);
  EXPECT_THROW(r.Histogram(MetricId::kCostPerTask, {"a"}), std::invalid_argument);
  const std::string_view labels[] = {"a", "ok"};
  EXPECT_THROW(r.RemoveGauge(MetricId::kRequests, labels), std::invalid_argument);
}

TEST(RegistryTest, BucketOverridesAreUsedAndValidated) {
  RegistryOptions opts;
  opts.buckets[MetricId::kRequestDuration] = {1, 10};
  Registry r(opts);
  EXPECT_EQ(std::vector<double>(r.Buckets(MetricId::kRequestDuration).begin(),
                                r.Buckets(MetricId::kRequestDuration).end()),
            (std::vector<double>{1, 10}));
  r.Histogram(MetricId::kRequestDuration, {"a"}).Observe(5);
  const Snapshot s = r.Collect();
  EXPECT_EQ(s.Find("agent_request_duration_seconds")->bounds, (std::vector<double>{1, 10}));
  EXPECT_EQ(FindSeries(s, "agent_request_duration_seconds", {"a"})->bucket_counts,
            (std::vector<std::uint64_t>{0, 1, 1}));
  EXPECT_TRUE(r.Buckets(MetricId::kRequests).empty());

  struct Case {
    const char* name;
    MetricId id;
    std::vector<double> buckets;
  };
  const Case bad[] = {
      {"empty", MetricId::kRequestDuration, {}},
      {"descending", MetricId::kRequestDuration, {2, 1}},
      {"duplicate", MetricId::kRequestDuration, {1, 1}},
      {"infinite", MetricId::kRequestDuration, {1, std::numeric_limits<double>::infinity()}},
      {"not a histogram", MetricId::kRequests, {1, 2}},
  };
  for (const Case& c : bad) {
    SCOPED_TRACE(c.name);
    RegistryOptions o;
    o.buckets[c.id] = c.buckets;
    EXPECT_THROW(Registry{o}, std::invalid_argument);
  }
}

TEST(RegistryTest, MetricsWithoutLabelsHaveOneSeries) {
  const MetricSpec* spec = nullptr;
  for (const auto& m : AllMetrics()) {
    if (m.labels.empty() && m.type == MetricType::kGauge) spec = &m;
  }
  ASSERT_NE(spec, nullptr) << "the catalogue has no label-less gauge";
  RegistryOptions opts;
  opts.series_limit = 0;
  Registry r(opts);
  r.Gauge(spec->id, {}).Set(7);
  r.Gauge(spec->id, {}).Set(8);
  const Snapshot s = r.Collect();
  ASSERT_EQ(s.Find(spec->name)->series.size(), 1u);
  EXPECT_DOUBLE_EQ(s.Find(spec->name)->series[0].value, 8);
}

TEST(RegistryTest, ConcurrentUpdatesSumExactly) {
  Registry r;
  constexpr int kThreads = 4;
  constexpr int kIters = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      const std::string own = "agent-" + std::to_string(t);
      const ExemplarRef ex{kTrace, kSpan, 1};
      for (int i = 0; i < kIters; ++i) {
        r.Counter(MetricId::kRequests, {"shared", "ok"}).Inc(1, &ex);
        r.Histogram(MetricId::kRequestDuration, {"shared"}).Observe(i % 3, &ex);
        // New series created while others read: exercises the insert path.
        r.Counter(MetricId::kRequests, {own, std::to_string(i % 50)}).Inc();
        if (i % 100 == 0) (void)r.Collect();
      }
    });
  }
  for (auto& th : threads) th.join();
  const Snapshot s = r.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"shared", "ok"}), kThreads * kIters);
  const SeriesSnapshot* h = FindSeries(s, "agent_request_duration_seconds", {"shared"});
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->count(), static_cast<std::uint64_t>(kThreads * kIters));
  EXPECT_EQ(s.Find("agent_requests_total")->series.size(), 1u + kThreads * 50);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"agent-" + std::to_string(t), "7"}),
                     kIters / 50);
  }
}


TEST(RegistryTest, TotalSeriesLimitSendsNewLabelSetsOfAnyMetricToOverflow) {
  RegistryOptions options;
  options.series_limit = 100;
  options.max_series = 3;
  Registry r(options);
  r.Counter(MetricId::kRequests, {"a", "success"}).Inc();
  r.Counter(MetricId::kRequests, {"b", "success"}).Inc();
  r.Histogram(MetricId::kRequestDuration, {"a"}).Observe(1);
  // The total is reached: new label sets of every metric overflow, existing ones work.
  r.Counter(MetricId::kRequests, {"c", "success"}).Inc(2);
  r.Counter(MetricId::kToolCalls, {"a", "search", "success"}).Inc();
  r.Counter(MetricId::kRequests, {"a", "success"}).Inc();
  const Snapshot s = r.Collect();
  const auto value = [&](std::string_view family, std::vector<std::string> labels) {
    for (const auto& f : s.families) {
      if (f.name != family) continue;
      for (const auto& series : f.series) {
        if (series.label_values == labels) return series.value;
      }
    }
    return -1.0;
  };
  EXPECT_EQ(value("agent_requests_total", {"a", "success"}), 2);
  EXPECT_EQ(value("agent_requests_total", {"c", "success"}), -1);
  EXPECT_EQ(value("agent_requests_total", {"__overflow__", "__overflow__"}), 2);
  EXPECT_EQ(value("agent_tool_calls_total", {"__overflow__", "__overflow__", "__overflow__"}), 1);
  EXPECT_EQ(value("agent_exporter_series_overflow_total", {"agent_requests_total"}), 1);
  EXPECT_EQ(value("agent_exporter_series_overflow_total", {"agent_tool_calls_total"}), 1);
}

}  // namespace
}  // namespace agx
