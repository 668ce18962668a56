// The PromQL text helpers shared by the rules, dashboards and Alertmanager generators.
#include "generate/promql.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"

namespace agx {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Expected texts follow prometheus/common model.Duration.String() (model/time.go at
// v0.70.1-8-gd2417e2): y and w only when exact, then d, h, m, s greedily.
TEST(PromqlTest, FormatDurationIsPrometheusModelDuration) {
  struct Case {
    seconds in;
    std::string want;
  };
  const Case cases[] = {{seconds(0), "0s"},
                        {seconds(30), "30s"},
                        {minutes(5), "5m"},
                        {hours(4), "4h"},
                        {seconds(90), "1m30s"},
                        {seconds(5400), "1h30m"},
                        {hours(24), "1d"},
                        {hours(24 * 7), "1w"},
                        {hours(24 * 14), "2w"},
                        {hours(24 * 7) + seconds(90), "7d1m30s"},
                        // Not 4w2d: weeks only when they divide the whole duration.
                        {hours(24 * 30), "30d"},
                        {hours(24 * 90), "90d"},
                        {hours(24 * 365), "1y"},
                        {hours(24 * 730), "2y"},
                        // Not 1y1d1m1s: years only when exact either.
                        {hours(24 * 366) + seconds(61), "366d1m1s"},
                        {hours(24 * 371), "53w"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(promql::FormatDuration(c.in), c.want);
    // And the config reads it back to the same duration.
    std::chrono::milliseconds back{-1};
    ASSERT_TRUE(ParseDuration(c.want, &back));
    EXPECT_EQ(back, std::chrono::duration_cast<std::chrono::milliseconds>(c.in));
  }
  EXPECT_EQ(promql::FormatDuration(seconds(-90)), "-1m30s");
  EXPECT_EQ(promql::FormatDuration(hours(-24 * 30)), "-30d");
  // The magnitude of INT64_MIN does not overflow.
  EXPECT_EQ(promql::FormatDuration(seconds(std::numeric_limits<std::int64_t>::min()))[0], '-');
}

TEST(PromqlTest, NumbersHaveNoFloatNoise) {
  EXPECT_EQ(promql::FormatNumber(14.4 * (1 - 0.999)), "0.0144");
  EXPECT_EQ(promql::FormatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(promql::FormatNumber(25), "25");
  EXPECT_EQ(promql::FormatNumber(100), "100");
  EXPECT_EQ(promql::FormatNumber(0.05), "0.05");
  EXPECT_EQ(promql::FormatNumber(0), "0");
  EXPECT_EQ(promql::FormatNumber(-0.0), "0");
  EXPECT_EQ(promql::FormatNumber(1e-7), "1e-07");
  EXPECT_EQ(promql::FormatPercent(0.144), "14.4%");
  EXPECT_EQ(promql::FormatPercent(0.99), "99%");
}

TEST(PromqlTest, SelectorLeavesOutEmptyMatchers) {
  EXPECT_EQ(promql::Selector("up", {}), "up");
  EXPECT_EQ(promql::Selector("up", {"", ""}), "up");
  EXPECT_EQ(promql::Selector("up", {R"(job="a")"}), R"(up{job="a"})");
  EXPECT_EQ(promql::Selector("m", {"", R"(a="1")", "", R"(b=~"2")"}), R"(m{a="1", b=~"2"})");
}

}  // namespace
}  // namespace agx
