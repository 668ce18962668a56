#include "registry/sliding_window.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "registry/registry.h"
#include "registry/snapshot_util.h"

namespace agx {
namespace {

using testing::ValueOf;

constexpr std::string_view kRate = "agent_task_completion_rate";
constexpr std::string_view kCost = "agent_cost_per_task_usd";
constexpr std::int64_t kStart = 1'700'000'000'000;  // Unix ms

// The injected clock (NowFn is a plain function pointer).
std::atomic<std::int64_t> g_now{kStart};
std::int64_t FakeNow() { return g_now.load(); }

class TaskWindowsTest : public ::testing::Test {
 protected:
  void SetUp() override { g_now = kStart; }
  void Advance(std::chrono::milliseconds d) { g_now += d.count(); }
  Snapshot Refreshed() {
    windows_.Refresh();
    return registry_.Collect();
  }

  Registry registry_;
  TaskWindows windows_{registry_, std::chrono::seconds(60), &FakeNow};  // 1 s slots
};

TEST_F(TaskWindowsTest, CompletionRatePerAgentAndTaskType) {
  windows_.OnTask("a", "review", true, -1);
  windows_.OnTask("a", "review", false, -1);
  windows_.OnTask("a", "review", true, -1);
  windows_.OnTask("a", "triage", false, -1);
  windows_.OnTask("b", "review", true, -1);
  const Snapshot s = Refreshed();
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"a", "review"}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"a", "triage"}), 0);
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"b", "review"}), 1);
}

TEST_F(TaskWindowsTest, CostPerTaskUsesReportedTaskCostsWhenAny) {
  windows_.OnTask("a", "x", true, 1.0);
  windows_.OnTask("a", "y", true, 3.0);
  windows_.OnTask("a", "x", false, -1);  // did not report: not in the denominator
  windows_.OnTask("a", "x", false, std::numeric_limits<double>::quiet_NaN());  // nor this
  windows_.OnLlmCost("a", 100);  // ignored while tasks report their cost
  EXPECT_DOUBLE_EQ(ValueOf(Refreshed(), kCost, {"a"}), 2.0);
}

TEST_F(TaskWindowsTest, CostPerTaskFallsBackToLlmSpendOverTasks) {
  windows_.OnLlmCost("a", 4.5);
  windows_.OnLlmCost("a", 1.5);
  windows_.OnLlmCost("a", -3);  // ignored
  windows_.OnTask("a", "x", true, -1);
  windows_.OnTask("a", "x", false, -1);
  windows_.OnTask("a", "y", true, -1);
  EXPECT_DOUBLE_EQ(ValueOf(Refreshed(), kCost, {"a"}), 2.0);
}

TEST_F(TaskWindowsTest, LlmSpendWithoutTasksPublishesNothing) {
  windows_.OnLlmCost("a", 4.5);
  const Snapshot s = Refreshed();
  EXPECT_TRUE(s.Find(kCost)->series.empty());
  EXPECT_TRUE(s.Find(kRate)->series.empty());
}

TEST_F(TaskWindowsTest, OldSlotsExpireAndEmptyWindowsRemoveTheSeries) {
  windows_.OnTask("a", "x", false, 10);  // t = 0
  Advance(std::chrono::seconds(30));
  windows_.OnTask("a", "x", true, 2);  // t = 30 s
  Snapshot s = Refreshed();
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"a", "x"}), 0.5);
  EXPECT_DOUBLE_EQ(ValueOf(s, kCost, {"a"}), 6);

  Advance(std::chrono::milliseconds(30'500));  // t = 60.5 s: the first slot left the window
  s = Refreshed();
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"a", "x"}), 1);
  EXPECT_DOUBLE_EQ(ValueOf(s, kCost, {"a"}), 2);

  Advance(std::chrono::seconds(30));  // t = 90.5 s: nothing left
  s = Refreshed();
  EXPECT_TRUE(s.Find(kRate)->series.empty());
  EXPECT_TRUE(s.Find(kCost)->series.empty());

  // The keys were dropped with their data: a new task starts from scratch.
  windows_.OnTask("a", "x", true, -1);
  s = Refreshed();
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"a", "x"}), 1);
}

TEST_F(TaskWindowsTest, ASlotIsClearedBeforeReuse) {
  windows_.OnTask("a", "x", false, -1);
  Advance(std::chrono::seconds(60));  // same slot index, next lap
  windows_.OnTask("a", "x", true, -1);
  EXPECT_DOUBLE_EQ(ValueOf(Refreshed(), kRate, {"a", "x"}), 1);
}

TEST_F(TaskWindowsTest, SaveLoadRoundTrip) {
  windows_.OnTask("a", "x", true, 1.5);
  windows_.OnLlmCost("a", 0.25);
  Advance(std::chrono::seconds(10));
  windows_.OnTask("a", "y", false, -1);
  windows_.OnTask("b", "x", true, -1);
  const WindowSnapshot saved = windows_.Save();
  EXPECT_EQ(saved.slot_ms, 1000);
  ASSERT_EQ(saved.completion.size(), 3u);
  ASSERT_EQ(saved.cost.size(), 2u);
  EXPECT_EQ(saved.cost[0].agent_id, "a");
  ASSERT_EQ(saved.cost[0].slots.size(), 2u);
  EXPECT_LT(saved.cost[0].slots[0].id, saved.cost[0].slots[1].id);
  EXPECT_DOUBLE_EQ(saved.cost[0].slots[0].llm_cost, 0.25);

  Registry other_registry;
  TaskWindows other(other_registry, std::chrono::seconds(60), &FakeNow);
  other.Load(saved);
  EXPECT_EQ(other.Save(), saved);
  other.Refresh();
  const Snapshot want = Refreshed();
  const Snapshot got = other_registry.Collect();
  EXPECT_EQ(*got.Find(kRate), *want.Find(kRate));
  EXPECT_EQ(*got.Find(kCost), *want.Find(kCost));
}

TEST_F(TaskWindowsTest, LoadRemovesRestoredGaugesOnceTheWindowEmpties) {
  windows_.OnTask("a", "x", true, -1);
  windows_.Refresh();
  const WindowSnapshot saved = windows_.Save();
  const Snapshot metrics = registry_.Collect();

  // A restart: the registry and the windows are restored from the saved state.
  Registry r;
  ASSERT_TRUE(r.Restore(metrics).ok());
  TaskWindows w(r, std::chrono::seconds(60), &FakeNow);
  w.Load(saved);
  Advance(std::chrono::seconds(61));
  w.Refresh();
  const Snapshot s = r.Collect();
  EXPECT_TRUE(s.Find(kRate)->series.empty());
  EXPECT_TRUE(s.Find(kCost)->series.empty());
}

TEST_F(TaskWindowsTest, LoadIgnoresAnotherWindowAndMalformedSlots) {
  windows_.OnTask("a", "x", true, -1);
  WindowSnapshot saved = windows_.Save();

  Registry r;
  TaskWindows other_window(r, std::chrono::seconds(120), &FakeNow);
  const TaskWindows::LoadReport changed = other_window.Load(saved);
  EXPECT_TRUE(changed.window_changed);
  EXPECT_EQ(changed.keys_dropped, 2u);
  EXPECT_TRUE(other_window.Save().completion.empty());

  WindowSnapshot bad = saved;
  bad.completion[0].slots[0].completed = 5;  // more completed than tasks
  bad.cost[0].slots[0].llm_cost = std::numeric_limits<double>::infinity();
  TaskWindows w(r, std::chrono::seconds(60), &FakeNow);
  const TaskWindows::LoadReport skipped = w.Load(bad);
  EXPECT_FALSE(skipped.window_changed);
  EXPECT_EQ(skipped.slots_skipped, 2u);
  const WindowSnapshot loaded = w.Save();
  EXPECT_TRUE(loaded.completion.empty());
  EXPECT_TRUE(loaded.cost.empty());
  // Neither is dropped silently.
  const Snapshot s = r.Collect();
  constexpr std::string_view kErrors = "agent_exporter_state_restore_errors_total";
  EXPECT_EQ(ValueOf(s, kErrors, {std::string(kRate), "changed"}), 1);
  EXPECT_EQ(ValueOf(s, kErrors, {std::string(kCost), "changed"}), 1);
  EXPECT_EQ(ValueOf(s, kErrors, {std::string(kRate), "malformed"}), 1);
  EXPECT_EQ(ValueOf(s, kErrors, {std::string(kCost), "non_finite"}), 1);
}

// ---- bounds (the registry's series limits and label cut apply to the window keys) ----

constexpr std::string_view kOverflow = "agent_exporter_series_overflow_total";
constexpr std::string_view kTruncated = "agent_exporter_label_values_truncated_total";

double SelfCount(const Snapshot& s, std::string_view family, std::string_view metric) {
  const double v = ValueOf(s, family, {std::string(metric)});
  return v < 0 ? 0 : v;
}

// Finding 13: with task types past the series limit, each scrape (Refresh) added one
// overflow per overflowed key again, with no new event. Overflow is counted per update.
TEST(TaskWindowsBoundsTest, OverflowIsCountedOncePerUpdateNotPerScrape) {
  g_now = kStart;
  RegistryOptions o;
  o.series_limit = 3;
  Registry r(o);
  TaskWindows w(r, std::chrono::seconds(60), &FakeNow);
  for (int i = 0; i < 10; ++i) w.OnTask("a", "type-" + std::to_string(i), i % 2 == 0, -1);
  for (int scrape = 0; scrape < 5; ++scrape) w.Refresh();
  Snapshot s = r.Collect();
  EXPECT_EQ(SelfCount(s, kOverflow, kRate), 7);  // types 3..9, once each
  EXPECT_EQ(SelfCount(s, kOverflow, kCost), 0);  // one agent
  EXPECT_EQ(s.Find(kRate)->series.size(), 4u);   // 3 own series and the overflow series
  // The overflow series is the rate of the overflowed tasks together (4, 6, 8 of 3..9).
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"__overflow__", "__overflow__"}), 3.0 / 7.0);

  w.OnTask("a", "type-9", true, -1);  // one more update of an overflowed key: one more
  for (int scrape = 0; scrape < 5; ++scrape) w.Refresh();
  s = r.Collect();
  EXPECT_EQ(SelfCount(s, kOverflow, kRate), 8);
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"__overflow__", "__overflow__"}), 4.0 / 8.0);
}

// Finding 13 with max_series: keys admitted while the registry had room, whose gauges
// then found it full, are moved to the overflow window once instead of overflowing again
// at every scrape.
TEST(TaskWindowsBoundsTest, KeysThatFindTheRegistryFullJoinTheOverflowWindowOnce) {
  g_now = kStart;
  RegistryOptions o;
  o.max_series = 3;
  Registry r(o);
  r.Counter(MetricId::kRequests, {"x", "success"}).Inc();
  r.Counter(MetricId::kRequests, {"y", "success"}).Inc();
  TaskWindows w(r, std::chrono::seconds(60), &FakeNow);
  w.OnTask("a", "t1", true, -1);  // the registry has room for one more series: all admitted
  w.OnTask("a", "t2", false, -1);
  w.OnTask("a", "t2", true, -1);
  for (int scrape = 0; scrape < 5; ++scrape) w.Refresh();
  const Snapshot s = r.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"a", "t1"}), 1);
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"__overflow__", "__overflow__"}), 0.5);  // t2's tasks
  EXPECT_EQ(SelfCount(s, kOverflow, kRate), 1);
  EXPECT_EQ(SelfCount(s, kOverflow, kCost), 1);
  EXPECT_DOUBLE_EQ(ValueOf(s, kCost, {"__overflow__"}), 0);
  const WindowSnapshot saved = w.Save();
  EXPECT_EQ(saved.completion.size(), 2u);
  EXPECT_EQ(saved.cost.size(), 1u);
}

// Finding 5: the window maps were keyed by uncut strings without bound (1M task types:
// +2.9 GB RSS, a 150 MB state file). Keys are now cut before they are copied and bounded by
// series_limit; the saved state is bounded with them.
TEST(TaskWindowsBoundsTest, KeysAreCutAndBoundedBySeriesLimit) {
  g_now = kStart;
  RegistryOptions o;
  o.series_limit = 100;
  o.label_value_max_bytes = 16;
  Registry r(o);
  TaskWindows w(r, std::chrono::seconds(60), &FakeNow);
  const std::string pad(1000, 'p');
  constexpr int kKeys = 5000;
  for (int i = 0; i < kKeys; ++i) {
    const std::string n = std::to_string(i);
    w.OnTask("agent-" + n + pad, "type-" + n + pad, i % 4 == 0, 1.0);
    w.OnLlmCost("priced-" + n, 0.5);
  }
  const WindowSnapshot saved = w.Save();
  EXPECT_EQ(saved.completion.size(), 101u);
  EXPECT_EQ(saved.cost.size(), 101u);
  std::size_t label_bytes = 0;
  for (const auto* keys : {&saved.completion, &saved.cost}) {
    for (const auto& k : *keys) {
      EXPECT_LE(k.agent_id.size(), 16u);
      EXPECT_LE(k.task_type.size(), 16u);
      label_bytes += k.agent_id.size() + k.task_type.size();
    }
  }
  EXPECT_LE(label_bytes, 2 * 101 * 2 * 16u);  // unbounded: about 10 MB
  w.Refresh();
  w.Refresh();
  const Snapshot s = r.Collect();
  EXPECT_EQ(s.Find(kRate)->series.size(), 101u);
  // Cost keys: agent-0..49 (with tasks, published) and priced-0..49 (LLM spend only, not
  // published) took the 100 places; both kinds of update overflowed after that.
  EXPECT_EQ(s.Find(kCost)->series.size(), 51u);
  EXPECT_EQ(SelfCount(s, kOverflow, kRate), kKeys - 100);
  EXPECT_EQ(SelfCount(s, kOverflow, kCost), 2 * (kKeys - 50));
  EXPECT_EQ(SelfCount(s, kTruncated, kRate), 2 * kKeys);             // both values, once each
  EXPECT_EQ(SelfCount(s, kTruncated, kCost), kKeys);
  // The overflow series: 4900 tasks of which every 4th completed, $1 each.
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"__overflow__", "__overflow__"}), 1225.0 / 4900.0);
  EXPECT_DOUBLE_EQ(ValueOf(s, kCost, {"__overflow__"}), 1.0);
}

TEST(TaskWindowsBoundsTest, LoadCutsAndBoundsTheSavedKeys) {
  g_now = kStart;
  WindowSnapshot big;
  big.slot_ms = 1000;
  const std::int64_t slot = kStart / 1000;
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i) + std::string(300, 'x');
    big.completion.push_back({"a" + n, "t" + n, {{.id = slot, .tasks = 2, .completed = 1}}});
    big.cost.push_back({"a" + n, "", {{.id = slot, .tasks = 2, .llm_cost = 1}}});
  }
  RegistryOptions o;
  o.series_limit = 10;
  o.label_value_max_bytes = 8;
  Registry r(o);
  TaskWindows w(r, std::chrono::seconds(60), &FakeNow);
  w.Load(big);
  const WindowSnapshot loaded = w.Save();
  ASSERT_EQ(loaded.completion.size(), 11u);
  ASSERT_EQ(loaded.cost.size(), 11u);
  for (const auto& k : loaded.completion) {
    EXPECT_LE(k.agent_id.size(), 12u);  // "__overflow__" is never cut
    EXPECT_LE(k.task_type.size(), 12u);
  }
  w.Refresh();
  const Snapshot s = r.Collect();
  EXPECT_DOUBLE_EQ(ValueOf(s, kRate, {"__overflow__", "__overflow__"}), 0.5);  // 40 keys' tasks
  EXPECT_EQ(SelfCount(s, kOverflow, kRate), 40);
}

TEST(TaskWindowsClockTest, DefaultClockIsUnixMilliseconds) {
  Registry r;
  TaskWindows w(r, std::chrono::seconds(60));
  w.OnTask("a", "x", true, -1);
  const WindowSnapshot s = w.Save();
  ASSERT_EQ(s.completion.size(), 1u);
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  // Slot ids are Unix seconds here (1 s slots); allow for a slow machine.
  EXPECT_NEAR(static_cast<double>(s.completion[0].slots[0].id), static_cast<double>(now_s), 60);
}

}  // namespace
}  // namespace agx
