#include "common/gzip.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace agx {
namespace {

TEST(GzipTest, RoundTripsSmallAndLargeBodies) {
  for (std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{70000}, std::size_t{1} << 20}) {
    SCOPED_TRACE(n);
    std::string text;
    std::mt19937 rng(static_cast<unsigned>(n));
    for (std::size_t i = 0; i < n; ++i) text.push_back(static_cast<char>('a' + rng() % 7));
    std::string out, error;
    ASSERT_EQ(Gunzip(Gzip(text), n, &out, &error), GunzipStatus::kOk) << error;
    EXPECT_EQ(out, text);
  }
}

TEST(GzipTest, ConcatenatedMembersAreOneBody) {
  std::string out;
  ASSERT_EQ(Gunzip(Gzip("hello ") + Gzip("world"), 100, &out), GunzipStatus::kOk);
  EXPECT_EQ(out, "hello world");
}

TEST(GzipTest, ExactlyAtTheLimitIsAcceptedOneOverIsNot) {
  const std::string text(1000, 'x');
  std::string out;
  EXPECT_EQ(Gunzip(Gzip(text), 1000, &out), GunzipStatus::kOk);
  EXPECT_EQ(Gunzip(Gzip(text), 999, &out), GunzipStatus::kTooLarge);
  EXPECT_TRUE(out.empty());
}

TEST(GzipTest, ZipBombStopsAtTheLimitWithBoundedOutput) {
  // 64 MiB of zeros compress to about 64 KiB; inflating must stop at the 1 MiB limit
  // (the output never grows past limit + 1 bytes: see Gunzip).
  const std::string bomb = Gzip(std::string(std::size_t{64} << 20, '\0'));
  ASSERT_LT(bomb.size(), std::size_t{1} << 18);
  std::string out, error;
  EXPECT_EQ(Gunzip(bomb, std::size_t{1} << 20, &out, &error), GunzipStatus::kTooLarge);
  EXPECT_EQ(error, "decompressed body exceeds the limit");
  EXPECT_TRUE(out.empty());
}

TEST(GzipTest, CorruptTruncatedAndNonGzipInputIsAnErrorNeverACrash) {
  const std::string good = Gzip(std::string(5000, 'y') + "tail");
  std::string out, error;
  EXPECT_EQ(Gunzip("", 100, &out, &error), GunzipStatus::kCorrupt);
  EXPECT_EQ(Gunzip("{\"not\":\"gzip\"}", 100, &out, &error), GunzipStatus::kCorrupt);
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(Gunzip(std::string_view(good).substr(0, cut), 1 << 20, &out, &error),
              GunzipStatus::kCorrupt);
  }
  std::string flipped = good;
  flipped[flipped.size() - 6] ^= 0x55;  // inside the CRC32 trailer
  EXPECT_EQ(Gunzip(flipped, 1 << 20, &out, &error), GunzipStatus::kCorrupt);
  EXPECT_EQ(Gunzip(good + "garbage", 1 << 20, &out, &error), GunzipStatus::kCorrupt);
}

}  // namespace
}  // namespace agx
