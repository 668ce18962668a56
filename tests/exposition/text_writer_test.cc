#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "exposition/exposition.h"
#include "exposition/test_snapshots.h"

namespace agx {
namespace {

using fixtures::Family;
using fixtures::Series;

std::string Text(const Snapshot& snap) {
  std::string out;
  WriteText(snap, &out);
  return out;
}

TEST(TextWriterTest, WritesSmallSnapshotExactly) {
  EXPECT_EQ(Text(fixtures::SmallSnapshot()),
            "# HELP agent_tool_calls_total Tool calls.\n"
            "# TYPE agent_tool_calls_total counter\n"
            "agent_tool_calls_total{agent_id=\"a\",tool_name=\"search\"} 17\n"
            "agent_tool_calls_total{agent_id=\"b\",tool_name=\"web\"} 2.5\n"
            "# HELP agent_step_seconds Step duration.\n"
            "# TYPE agent_step_seconds histogram\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"0.1\"} 3\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"1.0\"} 8\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"2.5\"} 8\n"
            "agent_step_seconds_bucket{agent_id=\"a\",le=\"+Inf\"} 9\n"
            "agent_step_seconds_sum{agent_id=\"a\"} 11.3\n"
            "agent_step_seconds_count{agent_id=\"a\"} 9\n"
            "# HELP agent_inflight In flight.\n"
            "# TYPE agent_inflight gauge\n"
            "agent_inflight 2\n");
}

TEST(TextWriterTest, HasNoExemplarsAndNoEof) {
  const std::string out = Text(fixtures::SmallSnapshot());
  EXPECT_EQ(out.find(" # {"), std::string::npos);
  EXPECT_EQ(out.find("# EOF"), std::string::npos);
  EXPECT_EQ(out.find("agent_empty"), std::string::npos);
}

TEST(TextWriterTest, EscapesAndSpecialValues) {
  FamilySnapshot f = Family("g", MetricType::kGauge, "a\\b \"q\"\nc", {"v"});
  f.series.push_back(Series({"x\"y\\z\n"}, std::nan("")));
  f.series.push_back(Series({""}, -1.5e-300));
  Snapshot snap;
  snap.families.push_back(std::move(f));
  EXPECT_EQ(Text(snap),
            "# HELP g a\\\\b \"q\"\\nc\n# TYPE g gauge\n"
            "g{v=\"x\\\"y\\\\z\\n\"} NaN\ng{v=\"\"} -1.5e-300\n");
}

TEST(TextWriterTest, AppendsToExistingBuffer) {
  std::string out = "x";
  WriteText(Snapshot{}, &out);
  EXPECT_EQ(out, "x");
}

}  // namespace
}  // namespace agx
