// SpanMemory: reservations are visible at once, become committed or are rolled back, only
// committed entries are saved, replay and load restore them, and the memory is bounded.
#include "otlp/span_memory.h"

#include <gtest/gtest.h>

namespace agx::otlp {
namespace {

SpanInfo Get(SpanMemory& m, std::uint64_t id) {
  auto lock = m.Lock();
  return m.GetLocked(id);
}

void Reserve(SpanMemory& m, std::vector<SpanUpdate> u) {
  auto lock = m.Lock();
  m.ReserveLocked(u);
}

TEST(SpanMemoryTest, ReservedThenCommitted) {
  SpanMemory m(1024);
  const std::vector<SpanUpdate> u = {{0x11, 0x22, kMarkLlm, 0, 0}, {0x22, 0, 0, kMarkLlm, 0}};
  Reserve(m, u);
  EXPECT_EQ(Get(m, 0x11).counted, kMarkLlm);
  EXPECT_EQ(Get(m, 0x11).parent, 0x22u);
  EXPECT_EQ(Get(m, 0x22).below, kMarkLlm);
  EXPECT_EQ(m.Save(), "") << "pending entries are not saved";
  m.Commit(u);
  EXPECT_EQ(Get(m, 0x11).counted, kMarkLlm);
  EXPECT_NE(m.Save(), "");
}

TEST(SpanMemoryTest, RollbackForgetsOnlyThatReservation) {
  SpanMemory m(1024);
  const std::vector<SpanUpdate> a = {{0x22, 0, 0, kMarkLlm, 0}};
  const std::vector<SpanUpdate> b = {{0x22, 0, 0, kMarkLlm | kMarkTool, 0}};
  Reserve(m, a);
  Reserve(m, b);
  m.Rollback(a);
  EXPECT_EQ(Get(m, 0x22).below, kMarkLlm | kMarkTool) << "b still holds both marks";
  m.Rollback(b);
  EXPECT_EQ(Get(m, 0x22).below, 0);
  // A committed mark survives a later reservation's rollback.
  m.Commit(std::vector<SpanUpdate>{{0x33, 0, kMarkRun, 0, 7}});
  Reserve(m, {{0x33, 0, kMarkRun, 0, 7}});
  m.Rollback(std::vector<SpanUpdate>{{0x33, 0, kMarkRun, 0, 7}});
  EXPECT_EQ(Get(m, 0x33).counted, kMarkRun);
  EXPECT_EQ(Get(m, 0x33).counted_agent, 7u);
}

TEST(SpanMemoryTest, SaveLoadAndReplayRestoreCommittedEntries) {
  SpanMemory m(1024);
  m.Commit(std::vector<SpanUpdate>{{0xabc, 0xdef, kMarkRun, 0, 0x1234abcd},
                                   {0xdef, 0, 0, kMarkRun, 0x1234abcd}});
  const std::string saved = m.Save();
  SpanMemory fresh(1024);
  ASSERT_TRUE(fresh.Load(saved).ok());
  EXPECT_EQ(Get(fresh, 0xabc).counted, kMarkRun);
  EXPECT_EQ(Get(fresh, 0xabc).counted_agent, 0x1234abcdu);
  EXPECT_EQ(Get(fresh, 0xdef).below, kMarkRun);
  EXPECT_EQ(Get(fresh, 0xdef).below_agent, 0x1234abcdu);
  EXPECT_EQ(fresh.Save(), saved);

  std::string wal;
  SpanMemory::Encode(std::vector<SpanUpdate>{{0x5, 0x6, kMarkTool, 0, 0}}, &wal);
  std::vector<SpanUpdate> decoded;
  ASSERT_TRUE(SpanMemory::Decode(wal, &decoded));
  fresh.Replay(decoded);
  EXPECT_EQ(Get(fresh, 0x5).counted, kMarkTool);
  EXPECT_EQ(Get(fresh, 0x5).parent, 0x6u);
}

TEST(SpanMemoryTest, MalformedTextIsRefused) {
  SpanMemory m(1024);
  std::vector<SpanUpdate> out;
  EXPECT_FALSE(SpanMemory::Decode("abc", &out));
  EXPECT_FALSE(SpanMemory::Decode(std::string(42, 'z'), &out));
  EXPECT_TRUE(SpanMemory::Decode("", &out));
  EXPECT_FALSE(m.Load("not hex").ok());
}

TEST(SpanMemoryTest, BoundedOldestForgottenFirst) {
  SpanMemory m(1024);
  for (std::uint64_t id = 1; id <= 3000; ++id) {
    m.Commit(std::vector<SpanUpdate>{{id, 0, kMarkLlm, 0, 0}});
  }
  EXPECT_EQ(m.size(), 1024u);
  EXPECT_EQ(Get(m, 1).counted, 0) << "the oldest is forgotten";
  EXPECT_EQ(Get(m, 3000).counted, kMarkLlm);
  SpanMemory fresh(1024);
  ASSERT_TRUE(fresh.Load(m.Save()).ok());
  EXPECT_EQ(fresh.size(), 1024u);
  EXPECT_EQ(Get(fresh, 3000 - 1023).counted, kMarkLlm);
}

TEST(SpanMemoryTest, SpanKeyReadsSixteenHexDigits) {
  EXPECT_EQ(SpanKey("00f067aa0ba902b7"), 0x00f067aa0ba902b7u);
  EXPECT_EQ(SpanKey("00F067AA0BA902B7"), 0x00f067aa0ba902b7u);
  EXPECT_EQ(SpanKey(""), 0u);
  EXPECT_EQ(SpanKey("00f067aa0ba902bz"), 0u);
  EXPECT_EQ(SpanKey("00f067aa0ba902b"), 0u);
}

}  // namespace
}  // namespace agx::otlp
