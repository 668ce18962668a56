#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "exposition/exposition.h"
#include "exposition/test_snapshots.h"

namespace agx {
namespace {

using fixtures::Family;
using fixtures::HistogramSeries;
using fixtures::kSpanA;
using fixtures::kTraceA;
using fixtures::Series;

std::string Om(const Snapshot& snap) {
  std::string out;
  WriteOpenMetrics(snap, &out);
  return out;
}

Snapshot One(FamilySnapshot f) {
  Snapshot snap;
  snap.families.push_back(std::move(f));
  return snap;
}

TEST(OpenMetricsWriterTest, WritesSmallSnapshotExactly) {
  EXPECT_EQ(Om(fixtures::SmallSnapshot()),
            "# HELP agent_tool_calls Tool calls.\n"
            "# TYPE agent_tool_calls counter\n"
            "agent_tool_calls_total{agent_id=\"a\",tool_name=\"search\"} 17 # "
            "{trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 1 "
            "1700000000.123\n"
            "agent_tool_calls_total{agent_id=\"b\",tool_name=\"web\"} 2.5\n"
            "# HELP agent_step_seconds Step duration.\n"
            "# TYPE agent_step_seconds histogram\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"0.1\"} 3\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"1.0\"} 8 # "
            "{trace_id=\"0af7651916cd43dd8448eb211c80319c\"} 0.67 1700000001.500\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"2.5\"} 8\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"+Inf\"} 9 # "
            "{trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 4.2\n"
            "agent_step_seconds_count{agent_id=\"a\"} 9\n"
            "agent_step_seconds_sum{agent_id=\"a\"} 11.3\n"
            "# HELP agent_inflight In flight.\n"
            "# TYPE agent_inflight gauge\n"
            "agent_inflight 2\n"
            "# EOF\n");
}

TEST(OpenMetricsWriterTest, AppendsToExistingBuffer) {
  std::string out = "prefix\n";
  WriteOpenMetrics(Snapshot{}, &out);
  EXPECT_EQ(out, "prefix\n# EOF\n");
}

TEST(OpenMetricsWriterTest, SkipsFamiliesWithoutSeries) {
  const std::string out = Om(fixtures::SmallSnapshot());
  EXPECT_EQ(out.find("agent_empty"), std::string::npos);
  Snapshot only_empty = One(Family("x_total", MetricType::kCounter, "h"));
  EXPECT_EQ(Om(only_empty), "# EOF\n");
}

TEST(OpenMetricsWriterTest, EscapesLabelValuesAndHelp) {
  FamilySnapshot f = Family("g", MetricType::kGauge, "back\\slash \"quoted\"\nnext line",
                            {"v"});
  f.series.push_back(Series({"a\"b\\c\nd\xc3\xbc"}, 1));
  EXPECT_EQ(Om(One(std::move(f))),
            "# HELP g back\\\\slash \"quoted\"\\nnext line\n"
            "# TYPE g gauge\n"
            "g{v=\"a\\\"b\\\\c\\nd\xc3\xbc\"} 1\n"
            "# EOF\n");
}

TEST(OpenMetricsWriterTest, ReplacesInvalidUtf8) {
  FamilySnapshot f = Family("g", MetricType::kGauge, "bad \xff help", {"v"});
  f.series.push_back(Series({"x\xc3(\x80y"}, 1));
  EXPECT_EQ(Om(One(std::move(f))),
            "# HELP g bad \xEF\xBF\xBD help\n"
            "# TYPE g gauge\n"
            "g{v=\"x\xEF\xBF\xBD(\xEF\xBF\xBDy\"} 1\n"
            "# EOF\n");
}

TEST(OpenMetricsWriterTest, OmitsEmptyHelp) {
  FamilySnapshot f = Family("g", MetricType::kGauge, "");
  f.series.push_back(Series({}, 1));
  EXPECT_EQ(Om(One(std::move(f))), "# TYPE g gauge\ng 1\n# EOF\n");
}

TEST(OpenMetricsWriterTest, WritesCanonicalLe) {
  FamilySnapshot f = Family("h", MetricType::kHistogram, "H.", {},
                            {0.005, 0.25, 1, 10, 100000, 1e6});
  f.series.push_back(HistogramSeries({}, {0, 1, 2, 3, 4, 5, 6}, 7));
  const std::string out = Om(One(std::move(f)));
  for (const char* le : {"0.005", "0.25", "1.0", "10.0", "100000.0", "1e+06", "+Inf"}) {
    SCOPED_TRACE(le);
    EXPECT_NE(out.find(std::string("h_bucket{le=\"") + le + "\"}"), std::string::npos) << out;
  }
  EXPECT_NE(out.find("h_count 6\nh_sum 7\n"), std::string::npos) << out;
}

TEST(OpenMetricsWriterTest, WritesSpecialValues) {
  FamilySnapshot f = Family("g", MetricType::kGauge, "G.", {"k"});
  f.series.push_back(Series({"nan"}, std::nan("")));
  f.series.push_back(Series({"pinf"}, std::numeric_limits<double>::infinity()));
  f.series.push_back(Series({"ninf"}, -std::numeric_limits<double>::infinity()));
  EXPECT_EQ(Om(One(std::move(f))),
            "# HELP g G.\n# TYPE g gauge\n"
            "g{k=\"nan\"} NaN\ng{k=\"pinf\"} +Inf\ng{k=\"ninf\"} -Inf\n# EOF\n");
}

// Exemplars go on `_total` and `_bucket` lines only: Prometheus 2.42 fails the whole
// scrape on an exemplar anywhere else.
TEST(OpenMetricsWriterTest, ExemplarsOnlyOnTotalAndBucketLines) {
  const std::string out = Om(fixtures::SmallSnapshot());
  std::size_t pos = 0;
  int exemplars = 0;
  while (pos < out.size()) {
    const std::size_t end = out.find('\n', pos);
    const std::string line = out.substr(pos, end - pos);
    pos = end + 1;
    if (line.find(" # {") == std::string::npos) continue;
    ++exemplars;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_TRUE(name.ends_with("_total") || name.ends_with("_bucket")) << line;
  }
  EXPECT_EQ(exemplars, 3);
  EXPECT_NE(out.find("agent_inflight 2\n"), std::string::npos);
}

TEST(OpenMetricsWriterTest, ExemplarOfCounterWithoutLabels) {
  FamilySnapshot f = Family("c_total", MetricType::kCounter, "C.");
  f.series.push_back(Series({}, 3, Exemplar{kTraceA, "", 0.5, 12.25}));
  EXPECT_EQ(Om(One(std::move(f))),
            "# HELP c C.\n# TYPE c counter\n"
            "c_total 3 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 0.5 12.250\n# EOF\n");
}

// A counter named without `_total` keeps its name as the family; the sample gains the suffix.
TEST(OpenMetricsWriterTest, CounterWithoutTotalSuffix) {
  FamilySnapshot f = Family("c", MetricType::kCounter, "C.");
  f.series.push_back(Series({}, 1));
  EXPECT_EQ(Om(One(std::move(f))), "# HELP c C.\n# TYPE c counter\nc_total 1\n# EOF\n");
}

TEST(OpenMetricsWriterTest, ExemplarLabelLimitCountsCodePoints) {
  // `trace_id` (8) + value: 120 code points are 128 in all (kept), 121 are 129 (dropped).
  // Two-byte `é` makes bytes and code points differ: 120 code points, 240 bytes.
  std::string at_limit;
  for (int i = 0; i < 120; ++i) at_limit += "\xc3\xa9";
  const std::string over_limit = at_limit + "e";
  // With a span: 8 + 32 + 7 + 81 = 128.
  const std::string span_at_limit(81, 's');
  const std::string span_over_limit(82, 's');

  struct Case {
    const char* name;
    Exemplar exemplar;
    bool written;
  };
  const Case cases[] = {
      {"128 code points", {at_limit, "", 1, 0}, true},
      {"129 code points", {over_limit, "", 1, 0}, false},
      {"128 with span", {kTraceA, span_at_limit, 1, 0}, true},
      {"129 with span", {kTraceA, span_over_limit, 1, 0}, false},
      {"no trace_id", {"", kSpanA, 1, 0}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FamilySnapshot counter = Family("c_total", MetricType::kCounter, "C.");
    counter.series.push_back(Series({}, 1, c.exemplar));
    FamilySnapshot hist = Family("h", MetricType::kHistogram, "H.", {}, {1});
    hist.series.push_back(HistogramSeries({}, {1, 1}, 0.5, {c.exemplar, std::nullopt}));
    Snapshot snap;
    snap.families.push_back(std::move(counter));
    snap.families.push_back(std::move(hist));
    const std::string out = Om(snap);
    EXPECT_EQ(out.find("c_total 1 # {") != std::string::npos, c.written) << out;
    EXPECT_EQ(out.find("h_bucket{le=\"1.0\"} 1 # {") != std::string::npos, c.written) << out;
    EXPECT_NE(out.find("c_total 1\n") != std::string::npos, c.written) << out;
  }
}

TEST(OpenMetricsWriterTest, NonFiniteExemplarTimestampIsOmitted) {
  FamilySnapshot f = Family("c_total", MetricType::kCounter, "C.");
  f.series.push_back(Series({}, 1, Exemplar{kTraceA, "", 1, std::nan("")}));
  EXPECT_NE(Om(One(std::move(f))).find("\"} 1\n"), std::string::npos);
}

// A snapshot whose bucket vectors do not match the bounds (never produced by the registry)
// must still give a well-formed histogram, not a crash.
TEST(OpenMetricsWriterTest, MismatchedHistogramStaysWellFormed) {
  FamilySnapshot f = Family("h", MetricType::kHistogram, "H.", {"k"}, {1, 2, 3});
  SeriesSnapshot short_counts;
  short_counts.label_values = {"short"};
  short_counts.bucket_counts = {1, 2};
  short_counts.sum = 2;
  f.series.push_back(short_counts);
  SeriesSnapshot empty;
  empty.label_values = {"empty"};
  f.series.push_back(empty);
  SeriesSnapshot missing_label;  // fewer label values than names
  missing_label.bucket_counts = {0, 0, 0, 1};
  missing_label.bucket_exemplars.resize(1);
  f.series.push_back(missing_label);
  EXPECT_EQ(Om(One(std::move(f))),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{k=\"short\",le=\"1.0\"} 1\n"
            "h_bucket{k=\"short\",le=\"+Inf\"} 2\n"
            "h_count{k=\"short\"} 2\nh_sum{k=\"short\"} 2\n"
            "h_bucket{k=\"empty\",le=\"+Inf\"} 0\n"
            "h_count{k=\"empty\"} 0\nh_sum{k=\"empty\"} 0\n"
            "h_bucket{le=\"1.0\"} 0\nh_bucket{le=\"2.0\"} 0\nh_bucket{le=\"3.0\"} 0\n"
            "h_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n"
            "# EOF\n");
}

TEST(OpenMetricsWriterTest, WriteExpositionDispatches) {
  const Snapshot snap = fixtures::SmallSnapshot();
  std::string om, text, want_om, want_text;
  WriteExposition(snap, ExpositionFormat::kOpenMetrics, &om);
  WriteExposition(snap, ExpositionFormat::kText, &text);
  WriteOpenMetrics(snap, &want_om);
  WriteText(snap, &want_text);
  EXPECT_EQ(om, want_om);
  EXPECT_EQ(text, want_text);
}

}  // namespace
}  // namespace agx
