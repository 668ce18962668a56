#include "registry/sliding_window.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <span>
#include <utility>

#include "registry/registry.h"

namespace agx {
namespace {

constexpr std::int64_t kSlots = 60;
constexpr std::int64_t kEmpty = std::numeric_limits<std::int64_t>::min();

// Called for every LLM call and task: the coarse clock (the last tick, a few ms old) costs
// a memory read where the precise one reads the TSC; slots are window/60 wide (a minute for
// the default hour), far coarser than its resolution.
std::int64_t SystemNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::size_t Index(std::int64_t id) {
  return static_cast<std::size_t>(((id % kSlots) + kSlots) % kSlots);
}

using Slot = WindowSnapshot::Slot;

bool Live(std::int64_t id, std::int64_t now_id) {
  return id != kEmpty && id > now_id - kSlots && id <= now_id;
}

bool HasData(const Slot& s) {
  return s.tasks != 0 || s.tasks_with_cost != 0 || s.task_cost_sum != 0 || s.llm_cost != 0;
}

/// Why a saved slot cannot be loaded (a reason of agent_exporter_state_restore_errors_total),
/// or empty when it can.
std::string_view SlotProblem(const Slot& s) {
  if (!std::isfinite(s.task_cost_sum) || !std::isfinite(s.llm_cost)) return "non_finite";
  const bool valid = s.id != kEmpty && s.tasks >= 0 && s.completed >= 0 &&
                     s.completed <= s.tasks && s.tasks_with_cost >= 0 &&
                     s.tasks_with_cost <= s.tasks && s.task_cost_sum >= 0 && s.llm_cost >= 0;
  return valid ? std::string_view() : "malformed";
}

/// 60 slots for one key; a slot is reset when reused for a newer id.
struct Window {
  std::array<Slot, kSlots> slots;
  bool published = false;  // a gauge series exists for this key

  Window() {
    for (auto& s : slots) s.id = kEmpty;
  }

  Slot& At(std::int64_t id) {
    Slot& s = slots[Index(id)];
    if (s.id != id) s = Slot{.id = id};
    return s;
  }

  Slot Sum(std::int64_t now_id) const {
    Slot t;
    for (const auto& s : slots) {
      if (!Live(s.id, now_id)) continue;
      t.tasks += s.tasks;
      t.completed += s.completed;
      t.tasks_with_cost += s.tasks_with_cost;
      t.task_cost_sum += s.task_cost_sum;
      t.llm_cost += s.llm_cost;
    }
    return t;
  }

  /// True when no slot can become live again (all older than the window).
  bool Expired(std::int64_t now_id) const {
    return std::all_of(slots.begin(), slots.end(),
                       [&](const Slot& s) { return s.id == kEmpty || s.id <= now_id - kSlots; });
  }

  /// Loads one saved slot: a newer slot in the same place wins, the same id adds up.
  void Merge(const Slot& in) {
    Slot& s = slots[Index(in.id)];
    if (s.id != kEmpty && s.id > in.id) return;
    if (s.id != in.id) s = Slot{.id = in.id};
    s.tasks += in.tasks;
    s.completed += in.completed;
    s.tasks_with_cost += in.tasks_with_cost;
    s.task_cost_sum += in.task_cost_sum;
    s.llm_cost += in.llm_cost;
  }
};

using Key = std::pair<std::string, std::string>;  // (agent_id, task_type); "" for cost keys
using KeyView = std::pair<std::string_view, std::string_view>;

struct KeyLess {
  using is_transparent = void;
  static KeyView View(const Key& k) { return {k.first, k.second}; }
  static KeyView View(const KeyView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return View(a) < View(b);
  }
};

using WindowMap = std::map<Key, Window, KeyLess>;

/// The windows of one gauge metric, bounded like the registry's series: label values are
/// cut to registry.label_value_max_bytes before they are copied (counted in
/// agent_exporter_label_values_truncated_total{metric}), and a new key past series_limit
/// keys, or while the registry is at max_series, goes to one overflow window whose label
/// values are all "__overflow__" (each such update counted once in
/// agent_exporter_series_overflow_total{metric}; the overflow gauge is then the rate or
/// cost of all those tasks together). So at most series_limit + 1 keys of bounded size.
/// Guarded by TaskWindows::Impl::mu.
struct WindowSet {
  MetricId id;
  bool per_agent;  // cost keys: agent_id alone (task_type "")
  WindowMap map;
  std::size_t limited = 0;  // keys other than the overflow key

  KeyView OverflowView() const {
    return {kOverflowLabelValue, per_agent ? std::string_view() : kOverflowLabelValue};
  }
  bool IsOverflow(const Key& k) const { return KeyLess::View(k) == OverflowView(); }

  /// The label values of `k` as the gauge takes them.
  std::span<const std::string_view> Labels(const Key& k, std::string_view (&buf)[2]) const {
    buf[0] = k.first;
    buf[1] = k.second;
    return {buf, per_agent ? 1u : 2u};
  }

  Window& Overflow() {
    auto it = map.find(OverflowView());
    if (it == map.end()) {
      const KeyView v = OverflowView();
      it = map.emplace(Key{v.first, v.second}, Window{}).first;
    }
    return it->second;
  }

  /// The window of (agent, type): existing, new, or the overflow window. Allocates only
  /// for a new key.
  Window& Find(Registry& registry, std::string_view agent, std::string_view type) {
    const RegistryOptions& o = registry.options();
    bool cut_agent = false;
    bool cut_type = false;
    agent = CutLabelValue(agent, o.label_value_max_bytes, &cut_agent);
    type = CutLabelValue(type, o.label_value_max_bytes, &cut_type);
    if (cut_agent || cut_type) registry.CountTruncated(id, (cut_agent ? 1 : 0) + (cut_type ? 1 : 0));
    if (auto it = map.find(KeyView{agent, type}); it != map.end()) return it->second;
    if (KeyView{agent, type} == OverflowView()) return Overflow();
    if (limited >= o.series_limit || !registry.HasRoom(id)) {
      registry.CountOverflow(id);
      return Overflow();
    }
    ++limited;
    return map.emplace(Key{agent, type}, Window{}).first->second;
  }

  WindowMap::iterator Erase(WindowMap::iterator it) {
    if (!IsOverflow(it->first)) --limited;
    return map.erase(it);
  }

  /// The gauge's value for the totals `t` (t.tasks > 0).
  double Value(const Slot& t) const {
    if (!per_agent) return static_cast<double>(t.completed) / static_cast<double>(t.tasks);
    return t.tasks_with_cost > 0 ? t.task_cost_sum / static_cast<double>(t.tasks_with_cost)
                                 : t.llm_cost / static_cast<double>(t.tasks);
  }

  /// Sets or removes the gauges for the current slot `now_id`; drops expired keys.
  void Publish(Registry& reg, std::int64_t now_id) {
    for (auto it = map.begin(); it != map.end();) {
      std::string_view buf[2];
      const auto labels = Labels(it->first, buf);
      Window& w = it->second;
      const Slot t = w.Sum(now_id);
      if (t.tasks > 0) {
        bool exact = false;
        GaugeHandle& g = reg.Gauge(id, labels, &exact);
        if (!exact && !w.published && !IsOverflow(it->first)) {
          // The registry reached max_series after this key was admitted: the gauge went
          // to the overflow series (counted there, once). The key's tasks join the
          // overflow window, so later scrapes neither count it again nor lose them.
          const Window moved = w;
          it = Erase(it);
          Window& o = Overflow();
          for (const Slot& s : moved.slots) {
            if (s.id != kEmpty) o.Merge(s);
          }
          continue;
        }
        g.Set(Value(t));
        w.published = true;
      } else if (w.published) {
        reg.RemoveGauge(id, labels);
        w.published = false;
      }
      it = w.Expired(now_id) && !w.published ? Erase(it) : std::next(it);
    }
  }
};

}  // namespace

struct TaskWindows::Impl {
  Impl(Registry& r, std::int64_t ms, NowFn fn) : registry(r), slot_ms(ms), now(fn) {}

  Registry& registry;
  std::int64_t slot_ms;
  NowFn now;
  mutable std::mutex mu;
  WindowSet completion{MetricId::kTaskCompletionRate, false, {}};  // guarded by mu
  WindowSet cost{MetricId::kCostPerTask, true, {}};                 // guarded by mu

  std::int64_t NowId() const { return FloorDiv(now(), slot_ms); }

  void SaveMap(const WindowMap& map, std::int64_t now_id,
               std::vector<WindowSnapshot::Key>* out) const;
};

TaskWindows::TaskWindows(Registry& registry, std::chrono::seconds window, NowFn now)
    : impl_(std::make_unique<Impl>(
          registry, std::max<std::int64_t>(1, std::chrono::milliseconds(window).count() / kSlots),
          now != nullptr ? now : &SystemNowMs)) {}

TaskWindows::~TaskWindows() = default;

void TaskWindows::OnTask(std::string_view agent_id, std::string_view task_type, bool completed,
                         double cost_usd) {
  std::lock_guard lock(impl_->mu);
  const std::int64_t id = impl_->NowId();
  Slot& r = impl_->completion.Find(impl_->registry, agent_id, task_type).At(id);
  ++r.tasks;
  r.completed += completed ? 1 : 0;
  Slot& c = impl_->cost.Find(impl_->registry, agent_id, {}).At(id);
  ++c.tasks;
  if (std::isfinite(cost_usd) && cost_usd >= 0) {
    ++c.tasks_with_cost;
    c.task_cost_sum += cost_usd;
  }
}

void TaskWindows::OnLlmCost(std::string_view agent_id, double cost_usd) {
  if (!std::isfinite(cost_usd) || cost_usd <= 0) return;
  std::lock_guard lock(impl_->mu);
  impl_->cost.Find(impl_->registry, agent_id, {}).At(impl_->NowId()).llm_cost += cost_usd;
}

void TaskWindows::Refresh() {
  std::lock_guard lock(impl_->mu);
  const std::int64_t now_id = impl_->NowId();
  impl_->completion.Publish(impl_->registry, now_id);
  impl_->cost.Publish(impl_->registry, now_id);
}

void TaskWindows::Impl::SaveMap(const WindowMap& map, std::int64_t now_id,
                                std::vector<WindowSnapshot::Key>* out) const {
  for (const auto& [key, w] : map) {
    WindowSnapshot::Key k{key.first, key.second, {}};
    for (const Slot& s : w.slots) {
      if (Live(s.id, now_id) && HasData(s)) k.slots.push_back(s);
    }
    if (k.slots.empty()) continue;
    std::sort(k.slots.begin(), k.slots.end(),
              [](const Slot& a, const Slot& b) { return a.id < b.id; });
    out->push_back(std::move(k));
  }
}

WindowSnapshot TaskWindows::Save() const {
  std::lock_guard lock(impl_->mu);
  WindowSnapshot s;
  s.slot_ms = impl_->slot_ms;
  const std::int64_t now_id = impl_->NowId();
  impl_->SaveMap(impl_->completion.map, now_id, &s.completion);
  impl_->SaveMap(impl_->cost.map, now_id, &s.cost);
  return s;
}

TaskWindows::LoadReport TaskWindows::Load(const WindowSnapshot& s) {
  LoadReport report;
  Registry& reg = impl_->registry;
  if (s.slot_ms != impl_->slot_ms) {
    // registry.window changed: the saved slots have another width. Deliberately dropped
    // (the gauges fill again within one window), and counted.
    report.window_changed = true;
    report.keys_dropped = s.completion.size() + s.cost.size();
    reg.CountRestoreError(Spec(impl_->completion.id).name, "changed",
                          static_cast<double>(s.completion.size()));
    reg.CountRestoreError(Spec(impl_->cost.id).name, "changed", static_cast<double>(s.cost.size()));
    return report;
  }
  std::lock_guard lock(impl_->mu);
  const auto load = [&](const std::vector<WindowSnapshot::Key>& keys, WindowSet* set) {
    set->map.clear();
    set->limited = 0;
    for (const auto& k : keys) {
      // Cut and bounded as live keys are: a state file written with other limits (or by
      // hand) cannot grow the windows past them.
      Window& w = set->Find(reg, k.agent_id, set->per_agent ? std::string_view() : k.task_type);
      // The saved state may hold restored gauges for this key: let Refresh() remove them
      // once the window empties.
      w.published = true;
      for (const Slot& slot : k.slots) {
        if (const std::string_view problem = SlotProblem(slot); !problem.empty()) {
          ++report.slots_skipped;
          reg.CountRestoreError(Spec(set->id).name, problem, 1);
          continue;
        }
        w.Merge(slot);
      }
    }
  };
  load(s.completion, &impl_->completion);
  load(s.cost, &impl_->cost);
  return report;
}

}  // namespace agx
