// Resolving an existing series and updating it allocates nothing: the registry's hot-path
// promise. Counted with a replaced global operator new, armed only around the loop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "registry/update_batch.h"

namespace {

thread_local bool g_counting = false;
std::atomic<long> g_allocations{0};

}  // namespace

// GCC flags free() of memory from this very operator new once both are inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  if (g_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace agx {
namespace {

long AllocationsDuring(const auto& body) {
  g_allocations = 0;
  g_counting = true;
  body();
  g_counting = false;
  return g_allocations.load();
}

TEST(RegistryNoAllocTest, ResolvingAndUpdatingAnExistingSeriesDoesNotAllocate) {
  Registry r;
  const ExemplarRef ex{"0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 1};
  const auto update = [&] {
    r.Counter(MetricId::kRequests, {"agent-with-a-fairly-long-id", "ok"}).Inc(1, &ex);
    r.Histogram(MetricId::kRequestDuration, {"agent-with-a-fairly-long-id"}).Observe(0.3, &ex);
    r.Gauge(MetricId::kCostPerTask, {"agent-with-a-fairly-long-id"}).Set(2);
  };
  update();  // creates the series (allocates) and sizes the key buffer
  EXPECT_EQ(AllocationsDuring([&] {
              for (int i = 0; i < 1000; ++i) update();
            }),
            0);
  EXPECT_DOUBLE_EQ(r.Counter(MetricId::kRequests, {"agent-with-a-fairly-long-id", "ok"}).Value(),
                   1001);
}

TEST(RegistryNoAllocTest, TruncatedAndOverflowedUpdatesDoNotAllocateOnceWarm) {
  RegistryOptions opts;
  opts.series_limit = 1;
  opts.label_value_max_bytes = 8;
  Registry r(opts);
  r.Counter(MetricId::kRequests, {"first", "ok"}).Inc();
  const std::string long_value(100, 'x');
  const auto update = [&] {
    r.Counter(MetricId::kRequests, {long_value, "ok"}).Inc();  // cut, then overflow
  };
  update();
  EXPECT_EQ(AllocationsDuring([&] {
              for (int i = 0; i < 100; ++i) update();
            }),
            0);
}

// The sliding windows under hostile input: cut values, and new keys past the series limit
// (each a distinct task type never seen before), allocate nothing once the overflow window
// and the self-metric series exist.
TEST(RegistryNoAllocTest, CutAndOverflowedWindowUpdatesDoNotAllocate) {
  RegistryOptions opts;
  opts.series_limit = 2;
  opts.label_value_max_bytes = 16;
  Registry r(opts);
  TaskWindows w(r, std::chrono::seconds(60));
  std::vector<std::string> types;
  for (int i = 0; i < 1000; ++i) types.push_back(std::to_string(i) + std::string(300, 't'));
  const std::string agent(200, 'a');
  for (int i = 0; i < 3; ++i) w.OnTask(agent, types[i], true, 1.0);  // warm: 2 keys, overflow
  w.OnLlmCost("other-agent-past-the-limit", 1);
  w.OnLlmCost("another-agent-past-the-limit", 1);
  EXPECT_EQ(AllocationsDuring([&] {
              for (const std::string& t : types) {
                w.OnTask(agent, t, false, 0.5);
                w.OnLlmCost(t, 0.25);
              }
            }),
            0);
  EXPECT_EQ(w.Save().completion.size(), 3u);
}

TEST(RegistryNoAllocTest, AWarmUpdateBatchDoesNotAllocate) {
  Registry r;
  UpdateBatch batch;
  const ExemplarRef ex{"0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 1};
  CounterHandle& c = r.Counter(MetricId::kRequests, {"agent", "ok"});
  HistogramHandle& h = r.Histogram(MetricId::kRequestDuration, {"agent"});
  HistogramHandle& other = r.Histogram(MetricId::kToolCallsPerRun, {"agent"});  // other bounds
  const auto one_batch = [&] {
    for (int i = 0; i < 100; ++i) {
      batch.Inc(c, 1, &ex);
      batch.Observe(h, 0.3 * i, &ex);
      batch.Observe(other, i, &ex);
    }
    batch.Flush();
  };
  one_batch();  // sizes the entries and their bucket vectors
  EXPECT_EQ(AllocationsDuring([&] {
              for (int i = 0; i < 100; ++i) one_batch();
            }),
            0);
  EXPECT_EQ(c.Value(), 10100);
}

}  // namespace
}  // namespace agx
