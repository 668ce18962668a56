// ByteBudget: holds add up to at most the capacity, a hold larger than the capacity never
// fits, releases (destruction, move-assignment) give the bytes back, and concurrent
// reservations never oversubscribe it.
#include "common/byte_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace agx {
namespace {

TEST(ByteBudgetTest, HoldsAddUpToTheCapacityAndAreGivenBack) {
  ByteBudget b(100);
  auto a = b.TryReserve(60);
  ASSERT_TRUE(a);
  EXPECT_FALSE(b.TryReserve(41)) << "60 + 41 > 100";
  auto c = b.TryReserve(40);
  ASSERT_TRUE(c);
  EXPECT_EQ(b.used(), 100u);
  EXPECT_FALSE(b.TryReserve(101)) << "never fits";
  a = ByteBudget::Hold();  // released
  EXPECT_EQ(b.used(), 40u);
  {
    auto d = b.TryReserve(60);
    EXPECT_TRUE(d);
    ByteBudget::Hold moved(std::move(d));
    EXPECT_EQ(b.used(), 100u);
  }
  EXPECT_EQ(b.used(), 40u);
}

TEST(ByteBudgetTest, ConcurrentReservationsNeverOversubscribe) {
  ByteBudget b(1000);
  std::atomic<std::size_t> peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        auto h = b.TryReserve(300);
        if (!h) continue;
        std::size_t u = b.used(), p = peak.load();
        while (u > p && !peak.compare_exchange_weak(p, u)) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 1000u);
  EXPECT_EQ(b.used(), 0u);
}

}  // namespace
}  // namespace agx
