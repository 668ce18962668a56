#include "ingest/label_set_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace agx {
namespace {

TEST(LabelSetMapTest, FindsWhatWasInsertedAndKeepsTuplesApart) {
  LabelSetMap<int> m(100);
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
  LabelSetMap<int> m(kMax);
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

}  // namespace
}  // namespace agx
