#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

/// The families named by a report, in order, each once.
std::vector<std::string> Families(const RestoreReport& r) {
  std::vector<std::string> out;
  for (const RestoreIssue& i : r.issues) {
    if (std::find(out.begin(), out.end(), i.metric) == out.end()) out.push_back(i.metric);
  }
  return out;
}

/// agent_exporter_state_restore_errors_total{metric,reason}, 0 when absent.
double RestoreErrors(const Registry& r, std::string_view metric, std::string_view reason) {
  const double v = ValueOf(r.Collect(), "agent_exporter_state_restore_errors_total",
                           {std::string(metric), std::string(reason)});
  return v < 0 ? 0 : v;
}

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
  EXPECT_TRUE(second.Restore(saved).ok());
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
  EXPECT_TRUE(second.Restore(first.Collect()).ok());
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
    std::string_view reason;
    std::string_view detail;
  };
  const Case cases[] = {
      {"unknown family", "agent_requests_total",
       [](FamilySnapshot& f) { f.name = "agent_renamed_total"; }, "unknown_metric",
       "not in the catalogue"},
      {"wrong type", "agent_requests_total",
       [](FamilySnapshot& f) { f.type = MetricType::kGauge; }, "changed",
       "saved as a gauge, now a counter"},
      {"wrong label names", "agent_requests_total",
       [](FamilySnapshot& f) {
         f.label_names = {"agent_id", "state"};
       },
       "changed", "saved with labels [agent_id,state], now [agent_id,status]"},
      {"changed buckets", "agent_request_duration_seconds",
       [](FamilySnapshot& f) {
         f.bounds = {1, 2};
         for (auto& s : f.series) s.bucket_counts = {0, 1, 1};
       },
       "changed", "saved with other buckets (registry.buckets changed)"},
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
    const RestoreReport report = r.Restore(altered);
    ASSERT_EQ(report.issues.size(), 1u);
    EXPECT_EQ(report.issues[0].metric, altered_name);
    EXPECT_EQ(report.issues[0].reason, c.reason);
    EXPECT_EQ(report.issues[0].detail, c.detail);
    EXPECT_TRUE(report.issues[0].label_values.empty());
    EXPECT_EQ(report.issues[0].series, 1u);
    EXPECT_EQ(report.series_restored, 1u);
    EXPECT_EQ(RestoreErrors(r, c.reason == "unknown_metric" ? "unknown" : altered_name, c.reason),
              1);
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
  EXPECT_EQ(Families(second.Restore(first.Collect())),
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
  const RestoreReport report = r.Restore(bad);
  EXPECT_EQ(Families(report),
            (std::vector<std::string>{"agent_requests_total", "agent_request_duration_seconds"}));
  ASSERT_EQ(report.issues.size(), 5u);  // one per series, with its labels
  EXPECT_EQ(report.issues[0].label_values, (std::vector<std::string>{"b", "ok"}));
  EXPECT_EQ(report.issues[0].detail, "negative value -1");
  EXPECT_EQ(report.issues[1].reason, "non_finite");
  EXPECT_EQ(report.issues[2].detail, "1 label values, the metric has 2");
  EXPECT_EQ(report.issues[4].label_values, std::vector<std::string>{"c"});
  EXPECT_EQ(report.series_restored, 3u);
  EXPECT_EQ(RestoreErrors(r, "agent_requests_total", "malformed"), 2);
  EXPECT_EQ(RestoreErrors(r, "agent_requests_total", "non_finite"), 1);
  EXPECT_EQ(RestoreErrors(r, "agent_request_duration_seconds", "malformed"), 2);
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
  const RestoreReport report = r.Restore(twice);
  EXPECT_EQ(Families(report), std::vector<std::string>{"agent_requests_total"});
  EXPECT_EQ(report.issues[0].reason, "malformed");
  EXPECT_DOUBLE_EQ(ValueOf(r.Collect(), "agent_requests_total", {"a", "ok"}), 3);
}

// Finding 9: counters and a histogram sum that had become +Inf (1.7e308 tokens sent twice,
// before the per-event maxima) made the whole family "not restored (catalogue or buckets
// changed)". Now every series that can be restored is, and each other one is named and
// counted with what was wrong.
TEST(RegistryRestoreTest, NonFiniteValuesAreHandledDeliberately) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const ExemplarRef ex{kTrace, kSpan, 1700000000.25};
  Registry first;
  first.Counter(MetricId::kTokens, {"a", "m", "input"}).Inc(1.7e308);
  first.Counter(MetricId::kTokens, {"a", "m", "input"}).Inc(1.7e308);  // +Inf
  first.Counter(MetricId::kTokens, {"a", "m", "output"}).Inc(5);
  first.Counter(MetricId::kRequests, {"a", "success"}).Inc(2, &ex);
  first.Histogram(MetricId::kReasoningSteps, {"a"}).Observe(1.7e308);
  first.Histogram(MetricId::kReasoningSteps, {"a"}).Observe(1.7e308);  // sum +Inf
  first.Histogram(MetricId::kReasoningSteps, {"b"}).Observe(3, &ex);
  first.Gauge(MetricId::kCostPerTask, {"a"}).Set(kNaN);
  first.Gauge(MetricId::kCostPerTask, {"b"}).Set(2);
  Snapshot saved = first.Collect();
  for (auto& f : saved.families) {
    for (auto& series : f.series) {
      if (f.name == "agent_requests_total") series.exemplar->value = kInf;
      if (f.name == "agent_reasoning_steps" && series.label_values[0] == "b") {
        for (auto& e : series.bucket_exemplars) {
          if (e) e->timestamp = kNaN;
        }
      }
    }
  }
  ASSERT_EQ(FindSeries(saved, "agent_tokens_consumed_total", {"a", "m", "input"})->value, kInf);

  Registry r;
  const RestoreReport report = r.Restore(saved);
  ASSERT_EQ(report.issues.size(), 3u);
  EXPECT_EQ(report.issues[0].metric, "agent_tokens_consumed_total");
  EXPECT_EQ(report.issues[0].label_values, (std::vector<std::string>{"a", "m", "input"}));
  EXPECT_EQ(report.issues[0].reason, "non_finite");
  EXPECT_EQ(report.issues[0].detail, "value +Inf: the counter starts again from 0");
  EXPECT_EQ(report.issues[1].metric, "agent_reasoning_steps");
  EXPECT_EQ(report.issues[1].reason, "non_finite_sum");
  EXPECT_EQ(report.issues[1].detail,
            "sum +Inf: buckets and count restored, the sum starts again from 0");
  EXPECT_EQ(report.issues[2].metric, "agent_cost_per_task_usd");
  EXPECT_EQ(report.issues[2].detail, "value NaN");
  EXPECT_EQ(report.series_restored, 5u);  // output tokens, requests, both histograms, b's gauge

  const Snapshot s = r.Collect();
  EXPECT_EQ(FindSeries(s, "agent_tokens_consumed_total", {"a", "m", "input"}), nullptr);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_tokens_consumed_total", {"a", "m", "output"}), 5);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_requests_total", {"a", "success"}), 2);
  EXPECT_FALSE(FindSeries(s, "agent_requests_total", {"a", "success"})->exemplar.has_value());
  const SeriesSnapshot* steps = FindSeries(s, "agent_reasoning_steps", {"a"});
  ASSERT_NE(steps, nullptr);
  EXPECT_EQ(steps->count(), 2u);
  EXPECT_EQ(steps->sum, 0);
  const SeriesSnapshot* b = FindSeries(s, "agent_reasoning_steps", {"b"});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->sum, 3);
  for (const auto& e : b->bucket_exemplars) EXPECT_FALSE(e.has_value());
  EXPECT_EQ(FindSeries(s, "agent_cost_per_task_usd", {"a"}), nullptr);
  EXPECT_DOUBLE_EQ(ValueOf(s, "agent_cost_per_task_usd", {"b"}), 2);
  EXPECT_EQ(RestoreErrors(r, "agent_tokens_consumed_total", "non_finite"), 1);
  EXPECT_EQ(RestoreErrors(r, "agent_reasoning_steps", "non_finite_sum"), 1);
  EXPECT_EQ(RestoreErrors(r, "agent_cost_per_task_usd", "non_finite"), 1);
  for (const auto& [key, v] : std::vector<std::pair<const char*, double>>{
           {"tokens", ValueOf(s, "agent_tokens_consumed_total", {"a", "m", "output"})},
           {"steps sum", steps->sum}}) {
    EXPECT_TRUE(std::isfinite(v)) << key;
  }
}

TEST(RegistryRestoreTest, IssuesPastTheListAreStillCounted) {
  Registry first;
  for (int i = 0; i < 150; ++i) first.Counter(MetricId::kRequests, {std::to_string(i), "x"}).Inc();
  Snapshot saved = first.Collect();
  for (auto& f : saved.families) {
    if (f.name == "agent_requests_total") {
      for (auto& series : f.series) series.value = std::numeric_limits<double>::infinity();
    }
  }
  Registry r;
  const RestoreReport report = r.Restore(saved);
  EXPECT_EQ(report.issues.size(), RestoreReport::kMaxIssues);
  EXPECT_EQ(report.more_issues, 150 - RestoreReport::kMaxIssues);
  EXPECT_EQ(RestoreErrors(r, "agent_requests_total", "non_finite"), 150);
}

}  // namespace
}  // namespace agx
