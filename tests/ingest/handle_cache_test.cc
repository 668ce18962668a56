// The per-thread handle cache keeps no label value longer than the registry keeps, and its
// keys are bounded in bytes (finding 8 of the security review: 566 KB tool names kept whole,
// +501 MB).
#include "ingest/handle_cache.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"

namespace agx {
namespace {

TEST(HandleCacheTest, LabelSetsWithALongValueGetAFreshBundleThatIsNotKept) {
  HandleCache cache(16);
  ToolBundle& kept = cache.Tool("agent", "short");
  kept.calls[0] = reinterpret_cast<CounterHandle*>(&kept);  // any non-null marker
  EXPECT_EQ(&cache.Tool("agent", "short"), &kept);
  const std::size_t bytes = cache.key_bytes();

  const std::string long_tool(17, 't');
  ToolBundle& fresh = cache.Tool("agent", long_tool);
  EXPECT_NE(&fresh, &kept);
  fresh.calls[0] = reinterpret_cast<CounterHandle*>(&fresh);
  EXPECT_EQ(cache.Tool("agent", long_tool).calls[0], nullptr);  // fresh again
  EXPECT_EQ(cache.Run(std::string(17, 'a')).duration, nullptr);
  EXPECT_EQ(cache.Llm("agent", std::string(100, 'm')).price_known, false);
  const std::string_view labels[] = {"agent", std::string_view(long_tool), "x"};
  EXPECT_EQ(cache.Series(1, labels).counter, nullptr);
  for (int i = 0; i < 1000; ++i) cache.Tool("agent", std::to_string(i) + long_tool);
  EXPECT_EQ(cache.key_bytes(), bytes);  // nothing of the long values was stored
  EXPECT_EQ(cache.Tool("agent", "short").calls[0], kept.calls[0]);
}

TEST(HandleCacheTest, KeysAreBoundedInBytes) {
  HandleCache cache(128);
  for (int i = 0; i < 100000; ++i) {
    cache.Tool(std::to_string(i) + std::string(120, 'a'), std::string(125, 't'));
  }
  // 4096 entries of 260 bytes would be 1 MiB: the byte bound cuts in first.
  EXPECT_LE(cache.key_bytes(), HandleCache::kMaxKeyBytes + 300);
}

std::size_t RssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

// Through the real pipeline: 200 tool calls with distinct 256 KiB tool names kept 50 MiB
// in this thread's cache before; the registry keeps them cut to 128 bytes, and so must the
// cache.
TEST(HandleCacheTest, LongToolNamesDoNotStayInThePipelinesCache) {
  Config config = Config::Defaults();
  Registry registry;
  TaskWindows windows(registry, config.registry.window);
  Pipeline pipeline(registry, windows, config, nullptr);
  std::string line;
  auto apply = [&](int i) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%06d", i);
    line.assign(R"({"type":"tool_call","agent_id":"a","status":"success","tool_name":")");
    line.append(prefix).append(256 << 10, 't').append("\"}");
    const std::string_view v = line;
    ASSERT_EQ(pipeline.Apply(Source::kFile, std::span(&v, 1)).accepted, 1u);
  };
  apply(-1);  // warm: the parser and the line buffer at their size
  const std::size_t before = RssKiB();
  constexpr int kNames = 200;
  for (int i = 0; i < kNames; ++i) apply(i);
  const std::size_t after = RssKiB();
  EXPECT_LT(static_cast<long>(after) - static_cast<long>(before), 16 << 10)
      << "VmRSS grew from " << before << " to " << after << " KiB (unbounded: about 50 MiB)";
  const Snapshot s = registry.Collect();
  const FamilySnapshot* truncated = s.Find("agent_exporter_label_values_truncated_total");
  ASSERT_NE(truncated, nullptr);
  double count = 0;
  for (const auto& series : truncated->series) {
    if (series.label_values[0] == "agent_tool_calls_total") count = series.value;
  }
  EXPECT_EQ(count, kNames + 1);  // every update still counted
}

}  // namespace
}  // namespace agx
