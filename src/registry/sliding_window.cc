#include "registry/sliding_window.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
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

bool ValidSlot(const Slot& s) {
  return s.id != kEmpty && s.tasks >= 0 && s.completed >= 0 && s.completed <= s.tasks &&
         s.tasks_with_cost >= 0 && s.tasks_with_cost <= s.tasks && std::isfinite(s.task_cost_sum) &&
         s.task_cost_sum >= 0 && std::isfinite(s.llm_cost) && s.llm_cost >= 0;
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

Window& Find(WindowMap& map, std::string_view agent, std::string_view type) {
  auto it = map.find(KeyView{agent, type});
  if (it == map.end()) it = map.emplace(Key{agent, type}, Window{}).first;
  return it->second;
}

}  // namespace

struct TaskWindows::Impl {
  Impl(Registry& r, std::int64_t ms, NowFn fn) : registry(r), slot_ms(ms), now(fn) {}

  Registry& registry;
  std::int64_t slot_ms;
  NowFn now;
  mutable std::mutex mu;
  WindowMap completion;  // guarded by mu
  WindowMap cost;        // guarded by mu

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
  Slot& r = Find(impl_->completion, agent_id, task_type).At(id);
  ++r.tasks;
  r.completed += completed ? 1 : 0;
  Slot& c = Find(impl_->cost, agent_id, {}).At(id);
  ++c.tasks;
  if (std::isfinite(cost_usd) && cost_usd >= 0) {
    ++c.tasks_with_cost;
    c.task_cost_sum += cost_usd;
  }
}

void TaskWindows::OnLlmCost(std::string_view agent_id, double cost_usd) {
  if (!std::isfinite(cost_usd) || cost_usd <= 0) return;
  std::lock_guard lock(impl_->mu);
  Find(impl_->cost, agent_id, {}).At(impl_->NowId()).llm_cost += cost_usd;
}

void TaskWindows::Refresh() {
  std::lock_guard lock(impl_->mu);
  const std::int64_t now_id = impl_->NowId();
  Registry& reg = impl_->registry;
  for (auto it = impl_->completion.begin(); it != impl_->completion.end();) {
    const std::string_view labels[] = {it->first.first, it->first.second};
    const Slot t = it->second.Sum(now_id);
    if (t.tasks > 0) {
      reg.Gauge(MetricId::kTaskCompletionRate, labels)
          .Set(static_cast<double>(t.completed) / static_cast<double>(t.tasks));
      it->second.published = true;
    } else if (it->second.published) {
      reg.RemoveGauge(MetricId::kTaskCompletionRate, labels);
      it->second.published = false;
    }
    it = it->second.Expired(now_id) && !it->second.published ? impl_->completion.erase(it)
                                                             : std::next(it);
  }
  for (auto it = impl_->cost.begin(); it != impl_->cost.end();) {
    const std::string_view labels[] = {it->first.first};
    const Slot t = it->second.Sum(now_id);
    if (t.tasks > 0) {
      const double v = t.tasks_with_cost > 0
                           ? t.task_cost_sum / static_cast<double>(t.tasks_with_cost)
                           : t.llm_cost / static_cast<double>(t.tasks);
      reg.Gauge(MetricId::kCostPerTask, labels).Set(v);
      it->second.published = true;
    } else if (it->second.published) {
      reg.RemoveGauge(MetricId::kCostPerTask, labels);
      it->second.published = false;
    }
    it =
        it->second.Expired(now_id) && !it->second.published ? impl_->cost.erase(it) : std::next(it);
  }
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
  impl_->SaveMap(impl_->completion, now_id, &s.completion);
  impl_->SaveMap(impl_->cost, now_id, &s.cost);
  return s;
}

void TaskWindows::Load(const WindowSnapshot& s) {
  if (s.slot_ms != impl_->slot_ms) return;
  std::lock_guard lock(impl_->mu);
  impl_->completion.clear();
  impl_->cost.clear();
  const auto load = [](const std::vector<WindowSnapshot::Key>& keys, bool per_agent,
                       WindowMap* map) {
    for (const auto& k : keys) {
      Window& w = Find(*map, k.agent_id, per_agent ? std::string_view() : k.task_type);
      // The saved state may hold restored gauges for this key: let Refresh() remove them
      // once the window empties.
      w.published = true;
      for (const Slot& slot : k.slots) {
        if (ValidSlot(slot)) w.Merge(slot);
      }
    }
  };
  load(s.completion, false, &impl_->completion);
  load(s.cost, true, &impl_->cost);
}

}  // namespace agx
