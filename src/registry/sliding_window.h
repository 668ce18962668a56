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
//
// Keys are bounded like the registry's series (registry.h), with its options: label values
// are cut to label_value_max_bytes before they are copied, and past series_limit keys per
// gauge (or while the registry is at max_series) new keys share one "__overflow__" window.
// Cut values and overflowed updates are counted once per update (OnTask, OnLlmCost, Load),
// never per Refresh. So the windows, and the state they save, hold at most series_limit + 1
// keys of at most 2 x label_value_max_bytes per gauge (about 2.9 KB of slots each),
// whatever the input.
// Thread-safe (one mutex; updates are a few additions).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agx {

class Registry;

/// Plain value copy of the windows, for the state store. Only slots inside the window that
/// hold data are saved.
struct WindowSnapshot {
  /// The totals of one slot.
  struct Slot {
    std::int64_t id = 0;               ///< absolute slot index: Unix ms / slot_ms
    std::int64_t tasks = 0;            ///< tasks ended
    std::int64_t completed = 0;        ///< of which with outcome "completed"
    std::int64_t tasks_with_cost = 0;  ///< of which reported cost_usd
    double task_cost_sum = 0;          ///< sum of the reported cost_usd
    double llm_cost = 0;               ///< LLM spend of the agent
    bool operator==(const Slot&) const = default;
  };
  struct Key {
    std::string agent_id;
    std::string task_type;    ///< completion keys only; empty in cost keys
    std::vector<Slot> slots;  ///< ascending id
    bool operator==(const Key&) const = default;
  };
  std::int64_t slot_ms = 0;
  /// Keyed by (agent_id, task_type); only tasks and completed are used.
  std::vector<Key> completion;
  /// Keyed by agent_id; tasks, tasks_with_cost, task_cost_sum and llm_cost are used.
  std::vector<Key> cost;
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

  /// What Load() could not load; each key or slot is counted in
  /// agent_exporter_state_restore_errors_total{metric,reason}.
  struct LoadReport {
    bool window_changed = false;     ///< slot_ms differs: no key loaded (reason changed)
    std::size_t keys_dropped = 0;    ///< keys of a changed window
    std::size_t slots_skipped = 0;   ///< malformed or non_finite slots
    bool ok() const { return !window_changed && slots_skipped == 0; }
  };
  /// Replaces the windows with `s` (call Refresh() afterwards to publish the gauges).
  /// Nothing is loaded if slot_ms differs (registry.window changed); slots with impossible
  /// counts (malformed) or a NaN or infinite cost (non_finite) are skipped, the others of
  /// their key loaded.
  LoadReport Load(const WindowSnapshot& s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
