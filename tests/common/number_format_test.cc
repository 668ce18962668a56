#include "common/number_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace agx {
namespace {

std::string Canon(double v) {
  std::string s;
  AppendCanonical(&s, v);
  return s;
}

std::string Val(double v) {
  std::string s;
  AppendValue(&s, v);
  return s;
}

TEST(NumberFormatTest, CanonicalBucketBoundsMatchGo) {
  EXPECT_EQ(Canon(1), "1.0");
  EXPECT_EQ(Canon(0), "0.0");
  EXPECT_EQ(Canon(0.1), "0.1");
  EXPECT_EQ(Canon(0.25), "0.25");
  EXPECT_EQ(Canon(120), "120.0");
  EXPECT_EQ(Canon(100000), "100000.0");
  EXPECT_EQ(Canon(1e6), "1e+06");
  EXPECT_EQ(Canon(std::numeric_limits<double>::infinity()), "+Inf");
}

TEST(NumberFormatTest, SpecialValues) {
  EXPECT_EQ(Val(std::nan("")), "NaN");
  EXPECT_EQ(Val(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Val(3), "3");
  EXPECT_EQ(Val(0.1), "0.1");
}

TEST(NumberFormatTest, TimestampsAreFixedWithMilliseconds) {
  std::string s;
  AppendTimestamp(&s, 1700000000.123);
  EXPECT_EQ(s, "1700000000.123");
}

}  // namespace
}  // namespace agx
