#include "ingest/label_set_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace agx {
namespace {

TEST(LabelSetMapTest, FindsWhatWasInsertedAndKeepsTuplesApart) {
  LabelSetMap<int> m(100, 1 << 20);
  m.FindOrInsert({"a", "bc"}) = 1;
  m.FindOrInsert({"ab", "c"}) = 2;  // same bytes, other split
  m.FindOrInsert({"abc"}) = 3;      // other arity
  m.FindOrInsert({"", "abc"}) = 4;
  m.FindOrInsert({std::string_view("a\0b", 3), "c"}) = 5;
  EXPECT_EQ(m.FindOrInsert({"a", "bc"}), 1);
  EXPECT_EQ(m.FindOrInsert({"ab", "c"}), 2);
  EXPECT_EQ(m.FindOrInsert({"abc"}), 3);
  EXPECT_EQ(m.FindOrInsert({"", "abc"}), 4);
  EXPECT_EQ(m.FindOrInsert({std::string_view("a\0b", 3), "c"}), 5);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(m.FindOrInsert({"new"}), 0);  // default-constructed
}

TEST(LabelSetMapTest, AgreesWithStdMapWhileGrowingAndClearsWhenFull) {
  // Values of every length around the 8-byte steps of the hash and compare.
  constexpr std::size_t kMax = 300;
  LabelSetMap<int> m(kMax, 1 << 20);
  std::map<std::vector<std::string>, int> want;
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::string> key(2);
    for (auto& part : key) part = std::string(rng() % 20, static_cast<char>('a' + rng() % 3));
    if (want.size() == kMax && !want.contains(key)) want.clear();  // the map clears too
    int& got = m.FindOrInsert({key[0], key[1]});
    ASSERT_EQ(got, want[key]) << i;
    got = want[key] = i;
    ASSERT_EQ(m.size(), want.size());
  }
}

TEST(LabelSetMapTest, KeyBytesStayUnderTheBoundAndEntriesStayFindable) {
  constexpr std::size_t kMaxBytes = 64 << 10;
  LabelSetMap<int> m(4096, kMaxBytes);
  const std::string pad(1000, 'k');
  std::size_t peak = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = std::to_string(i) + pad;
    m.FindOrInsert({"agent", key}) = i + 1;
    ASSERT_EQ(m.FindOrInsert({"agent", key}), i + 1) << i;  // just inserted: still there
    peak = std::max(peak, m.key_bytes());
  }
  // At most the bound plus the key being inserted (unbounded here: about 1 MB).
  EXPECT_LE(peak, kMaxBytes + 1100);
  EXPECT_GT(peak, kMaxBytes / 2);
  EXPECT_LT(m.size(), 70u);
}

TEST(LabelSetMapTest, ClearedSlotsKeepTheirBuffersWithinTheBound) {
  // Past max_entries the map is cleared but keeps its key buffers (for a warm refill
  // without allocation); those still count toward the byte bound.
  LabelSetMap<int> m(8, 2048);
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 9; ++i) m.FindOrInsert({std::to_string(round * 9 + i) + std::string(200, 'x')});
    ASSERT_LE(m.key_bytes(), 2048u + 256u) << round;
  }
}

}  // namespace
}  // namespace agx
