#pragma once
// TaskWindows: the L4 sliding-window gauges agent_task_completion_rate{agent_id,task_type}
// and agent_cost_per_task_usd{agent_id}. Time is split into 60 slots of window/60; a slot
// older than the window is cleared before reuse, so memory is fixed per key.
//
// Definitions (docs/events.md):
// - completion rate = tasks with outcome "completed" / all tasks ended, in the window;
// - cost per task = (sum of task.cost_usd) / (tasks that reported cost_usd) when any task in
//   the window reported its cost; otherwise (LLM spend of the agent in the window) / (tasks
//   ended). No tasks in the window: the series is removed (absent, not 0).
// Thread-safe (one mutex; updates are a few additions).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agx {

class Registry;

/// Plain value copy of the windows, for the state store.
struct WindowSnapshot {
  struct Key {
    std::string agent_id;
    std::string task_type;  ///< empty for per-agent (cost) keys
    std::int64_t slot_epoch = 0;  ///< absolute slot index of slots[0]'s newest update
    /// Per slot (60): tasks, completed, task_cost_sum, tasks_with_cost, llm_cost;
    /// flattened as 5 numbers per slot, slot index = absolute index % 60.
    std::vector<double> values;
    std::vector<std::int64_t> slot_ids;  ///< absolute slot index of each slot (60)
    bool operator==(const Key&) const = default;
  };
  std::int64_t slot_ms = 0;
  std::vector<Key> keys;
  bool operator==(const WindowSnapshot&) const = default;
};

class TaskWindows {
 public:
  /// `now` is injectable for tests; it returns Unix milliseconds.
  using NowFn = std::int64_t (*)();
  TaskWindows(Registry& registry, std::chrono::seconds window, NowFn now = nullptr);
  ~TaskWindows();

  void OnTask(std::string_view agent_id, std::string_view task_type, bool completed,
              double cost_usd /* < 0: not reported */);
  void OnLlmCost(std::string_view agent_id, double cost_usd);

  /// Recomputes the gauges for the current time (call before each scrape and snapshot).
  void Refresh();

  WindowSnapshot Save() const;
  void Load(const WindowSnapshot& s);  ///< ignored if slot_ms differs (window changed)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
