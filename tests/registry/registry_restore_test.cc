#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "registry/registry.h"
#include "registry/snapshot_util.h"

namespace agx {
namespace {

using testing::FindSeries;
using testing::ValueOf;

constexpr std::string_view kTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kSpan = "b7ad6b7169203331";

RegistryOptions SmallOptions() {
  RegistryOptions o;
  o.series_limit = 2;
  o.label_value_max_bytes = 8;
  return o;
}

/// Fills every kind of series, exemplars, overflow and truncation self-metrics.
void Populate(Registry& r) {
  const ExemplarRef ex{kTrace, kSpan, 1700000000.25};
  r.Counter(MetricId::kRequests, {"a", "ok"}).Inc(3, &ex);
  r.Counter(MetricId::kRequests, {"b", "error"}).Inc(1);
  r.Counter(MetricId::kRequests, {"c", "ok"}).Inc(4);                               // overflow
  r.Counter(MetricId::kTokens, {"a", "a-very-long-model-name", "input"}).Inc(100);  // truncated
  r.Gauge(MetricId::kCostPerTask, {"a"}).Set(0.5);
  auto& h = r.Histogram(MetricId::kRequestDuration, {"a"});
  h.Observe(0.2, &ex);
  h.Observe(7);
  h.Observe(500, &ex);
  r.Histogram(MetricId::kEvalScore, {"a", "judge"}).Observe(0.75, &ex);
}

TEST(RegistryRestoreTest, RoundTripGivesTheSameSnapshot) {
  Registry first(SmallOptions());
  Populate(first);
  const Snapshot saved = first.Collect();
  ASSERT_NE(FindSeries(saved, "agent_exporter_series_overflow_total", {"agent_requests_total"}),
            nullptr);
  ASSERT_NE(FindSeries(saved, "agent_exporter_label_values_truncated_total",
                       {"agent_tokens_consumed_total"}),
            nullptr);

  Registry second(SmallOptions());
  EXPECT_TRUE(second.Restore(saved).empty());
  const Snapshot restored = second.Collect();
  ASSERT_EQ(restored.families.size(), saved.families.size());
  for (std::size_t i = 0; i < saved.families.size(); ++i) {
    SCOPED_TRACE(saved.families[i].name);
    const FamilySnapshot& want = saved.families[i];
    const FamilySnapshot& got = restored.families[i];
    EXPECT_EQ(got.series.size(), want.series.size());
    for (std::size_t j = 0; j < std::min(got.series.size(), want.series.size()); ++j) {
      SCOPED_TRACE(::testing::PrintToString(want.series[j].label_values));
      EXPECT_EQ(got.series[j].label_values, want.series[j].label_values);
      EXPECT_EQ(got.series[j].value, want.series[j].value);
      EXPECT_EQ(got.series[j].bucket_counts, want.series[j].bucket_counts);
      EXPECT_EQ(got.series[j].sum, want.series[j].sum);
      EXPECT_EQ(got.series[j].exemplar, want.series[j].exemplar);
      EXPECT_EQ(got.series[j].bucket_exemplars, want.series[j].bucket_exemplars);
    }
    EXPECT_EQ(got, want);
  }
}

TEST(RegistryRestoreTest, RestoreAddsToExistingCounters) {
  Registry first;
  first.Counter(MetricId::kRequests, {"a", "ok"}).Inc(3);
  first.Histogram(MetricId::kRequestDuration, {"a"}).Observe(1);
  Registry second;
  second.Counter(MetricId::kRequests, {"a", "ok"}).Inc(2);
  second.Histogram(MetricId::kRequestDuration, {"a"}).Observe(100);
  EXPECT_TRUE(second.Restore(first.Collect()).empty());
  const Snapshot s = second.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a", "ok"}), 5);
  const SeriesSnapshot* h = FindSeries(s, "agent_request_duration_seconds", {"a"});
  EXPECT_EQ(h->bucket_counts, (std::vector<std::uint64_t>{0, 1, 1, 1, 1, 1, 1, 2, 2}));
  EXPECT_DOUBLE_EQ(h->sum, 101);
}

TEST(RegistryRestoreTest, MismatchedFamiliesAreSkippedAndNamed) {
  Registry first;
  first.Counter(MetricId::kRequests, {"a", "ok"}).Inc(3);
  first.Histogram(MetricId::kRequestDuration, {"a"}).Observe(1);
  const Snapshot good = first.Collect();

  struct Case {
    const char* name;
    std::string family;  // family to alter
    void (*alter)(FamilySnapshot&);
  };
  const Case cases[] = {
      {"unknown family", "agent_requests_total",
       [](FamilySnapshot& f) { f.name = "agent_renamed_total"; }},
      {"wrong type", "agent_requests_total",
       [](FamilySnapshot& f) { f.type = MetricType::kGauge; }},
      {"wrong label names", "agent_requests_total",
       [](FamilySnapshot& f) {
         f.label_names = {"agent_id", "state"};
       }},
      {"changed buckets", "agent_request_duration_seconds",
       [](FamilySnapshot& f) {
         f.bounds = {1, 2};
         for (auto& s : f.series) s.bucket_counts = {0, 1, 1};
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Snapshot altered = good;
    std::string altered_name;
    for (auto& f : altered.families) {
      if (f.name == c.family) {
        c.alter(f);
        altered_name = f.name;
      }
    }
    Registry r;
    EXPECT_EQ(r.Restore(altered), std::vector<std::string>{altered_name});
    const Snapshot s = r.Collect();
    // The altered family restored nothing, the other one everything.
    if (c.family == "agent_requests_total") {
      EXPECT_TRUE(s.Find("agent_requests_total")->series.empty());
      EXPECT_EQ(FindSeries(s, "agent_request_duration_seconds", {"a"})->count(), 1u);
    } else {
      EXPECT_TRUE(s.Find("agent_request_duration_seconds")->series.empty());
      EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a", "ok"}), 3);
    }
  }
}

TEST(RegistryRestoreTest, ChangedBucketOverrideSkipsTheHistogram) {
  Registry first;
  first.Histogram(MetricId::kRequestDuration, {"a"}).Observe(1);
  RegistryOptions opts;
  opts.buckets[MetricId::kRequestDuration] = {1, 5, 25};
  Registry second(opts);
  EXPECT_EQ(second.Restore(first.Collect()),
            std::vector<std::string>{"agent_request_duration_seconds"});
  EXPECT_TRUE(second.Collect().Find("agent_request_duration_seconds")->series.empty());
}

TEST(RegistryRestoreTest, MalformedSeriesAreSkippedWithoutCrashing) {
  Registry first;
  first.Counter(MetricId::kRequests, {"a", "ok"}).Inc(3);
  first.Histogram(MetricId::kRequestDuration, {"a"}).Observe(1);
  Snapshot bad = first.Collect();
  for (auto& f : bad.families) {
    if (f.name == "agent_requests_total") {
      SeriesSnapshot negative = f.series[0];
      negative.label_values = {"b", "ok"};
      negative.value = -1;
      SeriesSnapshot nan = negative;
      nan.label_values = {"c", "ok"};
      nan.value = std::numeric_limits<double>::quiet_NaN();
      SeriesSnapshot short_labels = f.series[0];
      short_labels.label_values = {"d"};
      f.series.push_back(negative);
      f.series.push_back(nan);
      f.series.push_back(short_labels);
    }
    if (f.name == "agent_request_duration_seconds") {
      SeriesSnapshot decreasing = f.series[0];
      decreasing.label_values = {"b"};
      decreasing.bucket_counts[8] = 0;
      SeriesSnapshot wrong_size = f.series[0];
      wrong_size.label_values = {"c"};
      wrong_size.bucket_counts.pop_back();
      SeriesSnapshot bad_exemplar = f.series[0];
      bad_exemplar.label_values = {"d"};
      // An exemplar outside its bucket is dropped; the counts are kept.
      bad_exemplar.bucket_exemplars[0] = Exemplar{std::string(kTrace), "", 50, 1};
      f.series.push_back(decreasing);
      f.series.push_back(wrong_size);
      f.series.push_back(bad_exemplar);
    }
  }
  Registry r;
  EXPECT_EQ(r.Restore(bad),
            (std::vector<std::string>{"agent_requests_total", "agent_request_duration_seconds"}));
  const Snapshot s = r.Collect();
  EXPECT_EQ(s.Find("agent_requests_total")->series.size(), 1u);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a", "ok"}), 3);
  EXPECT_EQ(s.Find("agent_request_duration_seconds")->series.size(), 2u);
  const SeriesSnapshot* d = FindSeries(s, "agent_request_duration_seconds", {"d"});
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->count(), 1u);
  EXPECT_FALSE(d->bucket_exemplars[0].has_value());
}

TEST(RegistryRestoreTest, DuplicateFamilyIsRestoredOnce) {
  Registry first;
  first.Counter(MetricId::kRequests, {"a", "ok"}).Inc(3);
  Snapshot twice = first.Collect();
  twice.families.push_back(*twice.Find("agent_requests_total"));
  Registry r;
  EXPECT_EQ(r.Restore(twice), std::vector<std::string>{"agent_requests_total"});
  EXPECT_DOUBLE_EQ(ValueOf(r.Collect(), "agent_requests_total", {"a", "ok"}), 3);
}

}  // namespace
}  // namespace agx
