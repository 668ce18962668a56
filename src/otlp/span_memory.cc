#include "otlp/span_memory.h"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace agx::otlp {
namespace {

constexpr std::size_t kUpdateChars = SpanMemory::kEncodedUpdateBytes;
constexpr std::uint8_t kAllMarks = kMarkLlm | kMarkTool | kMarkRun;

void PutHex(std::uint64_t v, int digits, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xf]);
}

bool GetHex(std::string_view s, std::uint64_t* v) {
  std::uint64_t x = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    x = (x << 4) | static_cast<std::uint64_t>(d);
  }
  *v = x;
  return true;
}

}  // namespace

std::uint64_t SpanKey(std::string_view hex16) {
  std::uint64_t v = 0;
  if (hex16.size() != 16 || !GetHex(hex16, &v)) return 0;
  return v;
}

SpanMemory::SpanMemory(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

SpanInfo SpanMemory::GetLocked(std::uint64_t id) const {
  SpanInfo info;
  auto it = entries_.find(id);
  if (it == entries_.end()) return info;
  const Entry& e = it->second;
  info.parent = e.parent;
  info.counted = e.counted;
  info.below = e.below;
  for (int b = 0; b < 3; ++b) {
    if (e.pending[b] > 0) info.counted |= static_cast<std::uint8_t>(1u << b);
    if (e.pending[3 + b] > 0) info.below |= static_cast<std::uint8_t>(1u << b);
  }
  info.counted_agent = e.counted_agent;
  info.below_agent = e.below_agent;
  return info;
}

std::uint32_t SpanMemory::FindTwinLocked(std::uint64_t key, std::uint32_t scope) const {
  auto it = twins_.find(key);
  if (it == twins_.end()) return 0;
  const Twin& t = it->second;
  for (int i = 0; i < 2; ++i) {
    const int visible = t.count[i] + t.pending_add[i] - t.pending_take[i];
    if (t.scope[i] != 0 && t.scope[i] != scope && visible > 0) return t.scope[i];
  }
  return 0;
}

void SpanMemory::Remember(std::uint64_t id) {
  while (entries_.size() + twins_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    twins_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(id);
}

SpanMemory::Entry& SpanMemory::Upsert(const SpanUpdate& u) {
  auto it = entries_.find(u.id);
  if (it != entries_.end()) return it->second;
  Remember(u.id);
  return entries_[u.id];
}

void SpanMemory::ApplyTwin(const SpanUpdate& u, Phase phase) {
  auto it = twins_.find(u.id);
  if (it == twins_.end()) {
    if (phase == Phase::kRollback) return;
    Remember(u.id);
    it = twins_.emplace(u.id, Twin{}).first;
  }
  Twin& t = it->second;
  int i = t.scope[0] == u.agent ? 0 : t.scope[1] == u.agent ? 1 : -1;
  if (i < 0) {  // a new scope: a free slot, or one with nothing left
    for (int j = 0; j < 2 && i < 0; ++j) {
      if (t.scope[j] == 0 || t.count[j] + t.pending_add[j] == 0) i = j;
    }
    if (i < 0 || u.twin == kTwinTake) return;
    t.scope[i] = u.agent;
    t.count[i] = t.pending_add[i] = t.pending_take[i] = 0;
  }
  auto dec = [](auto& v) {
    if (v > 0) --v;
  };
  auto inc = [](auto& v) {
    if (v < std::numeric_limits<std::remove_reference_t<decltype(v)>>::max()) ++v;
  };
  const bool add = u.twin == kTwinAdd;
  switch (phase) {
    case Phase::kReserve:
      inc(add ? t.pending_add[i] : t.pending_take[i]);
      break;
    case Phase::kCommit:
      dec(add ? t.pending_add[i] : t.pending_take[i]);
      [[fallthrough]];
    case Phase::kReplay:
      if (add) {
        inc(t.count[i]);
      } else {
        dec(t.count[i]);
      }
      break;
    case Phase::kRollback:
      dec(add ? t.pending_add[i] : t.pending_take[i]);
      break;
  }
}

void SpanMemory::Merge(const SpanUpdate& u, Entry* e) {
  if (u.parent != 0) e->parent = u.parent;
  if ((u.counted & kMarkRun) != 0) e->counted_agent = u.agent;
  if ((u.below & kMarkRun) != 0 && e->below_agent == 0) e->below_agent = u.agent;
}

void SpanMemory::ReserveLocked(std::span<const SpanUpdate> updates) {
  for (const SpanUpdate& u : updates) {
    if (u.id == 0) continue;
    if (u.twin != kTwinNone) {
      ApplyTwin(u, Phase::kReserve);
      continue;
    }
    Entry& e = Upsert(u);
    Merge(u, &e);
    for (int b = 0; b < 3; ++b) {
      if ((u.counted >> b) & 1u) e.pending[b] = static_cast<std::uint8_t>(std::min(e.pending[b] + 1, 255));
      if ((u.below >> b) & 1u) e.pending[3 + b] = static_cast<std::uint8_t>(std::min(e.pending[3 + b] + 1, 255));
    }
  }
}

void SpanMemory::Commit(std::span<const SpanUpdate> updates) {
  std::lock_guard lock(mu_);
  for (const SpanUpdate& u : updates) {
    if (u.id == 0) continue;
    if (u.twin != kTwinNone) {
      ApplyTwin(u, Phase::kCommit);
      continue;
    }
    Entry& e = Upsert(u);
    Merge(u, &e);
    e.counted |= u.counted & kAllMarks;
    e.below |= u.below & kAllMarks;
    for (int b = 0; b < 3; ++b) {
      if (((u.counted >> b) & 1u) && e.pending[b] > 0) --e.pending[b];
      if (((u.below >> b) & 1u) && e.pending[3 + b] > 0) --e.pending[3 + b];
    }
  }
}

void SpanMemory::Rollback(std::span<const SpanUpdate> updates) {
  std::lock_guard lock(mu_);
  for (const SpanUpdate& u : updates) {
    if (u.twin != kTwinNone) {
      ApplyTwin(u, Phase::kRollback);
      continue;
    }
    auto it = entries_.find(u.id);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    for (int b = 0; b < 3; ++b) {
      if (((u.counted >> b) & 1u) && e.pending[b] > 0) --e.pending[b];
      if (((u.below >> b) & 1u) && e.pending[3 + b] > 0) --e.pending[3 + b];
    }
  }
}

void SpanMemory::Replay(std::span<const SpanUpdate> updates) {
  std::lock_guard lock(mu_);
  for (const SpanUpdate& u : updates) {
    if (u.id == 0) continue;
    if (u.twin != kTwinNone) {
      ApplyTwin(u, Phase::kReplay);
      continue;
    }
    Entry& e = Upsert(u);
    Merge(u, &e);
    e.counted |= u.counted & kAllMarks;
    e.below |= u.below & kAllMarks;
  }
}

std::string SpanMemory::Save() const {
  std::lock_guard lock(mu_);
  std::vector<SpanUpdate> updates;
  updates.reserve(entries_.size());
  for (std::uint64_t id : order_) {  // oldest first, so Load keeps the eviction order
    if (auto t = twins_.find(id); t != twins_.end()) {
      for (int i = 0; i < 2; ++i) {
        for (int n = 0; n < t->second.count[i]; ++n) {
          updates.push_back({id, 0, 0, 0, t->second.scope[i], kTwinAdd});
        }
      }
    }
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    const Entry& e = it->second;
    if (e.counted != 0) updates.push_back({id, e.parent, e.counted, 0, e.counted_agent});
    if (e.below != 0) updates.push_back({id, e.parent, 0, e.below, e.below_agent});
  }
  std::string out;
  Encode(updates, &out);
  return out;
}

Status SpanMemory::Load(std::string_view text) {
  std::vector<SpanUpdate> updates;
  if (!Decode(text, &updates)) return Error{"malformed span memory"};
  {
    std::lock_guard lock(mu_);
    entries_.clear();
    twins_.clear();
    order_.clear();
  }
  Replay(updates);
  return OkStatus();
}

std::size_t SpanMemory::size() const {
  std::lock_guard lock(mu_);
  return entries_.size() + twins_.size();
}

void SpanMemory::Encode(std::span<const SpanUpdate> updates, std::string* out) {
  out->reserve(out->size() + updates.size() * kUpdateChars);
  for (const SpanUpdate& u : updates) {
    PutHex(u.id, 16, out);
    PutHex(u.parent, 16, out);
    // bits 0-2 below, 3 twin add, 4-6 counted, 7 twin take
    PutHex(static_cast<std::uint64_t>(((u.counted & kAllMarks) << 4) | (u.below & kAllMarks) |
                                      (u.twin == kTwinAdd ? 0x08 : 0) | (u.twin == kTwinTake ? 0x80 : 0)),
           2, out);
    PutHex(u.agent, 8, out);
  }
}

bool SpanMemory::Decode(std::string_view text, std::vector<SpanUpdate>* out) {
  if (text.size() % kUpdateChars != 0) return false;
  out->clear();
  out->reserve(text.size() / kUpdateChars);
  for (std::size_t i = 0; i < text.size(); i += kUpdateChars) {
    std::uint64_t id, parent, bits, agent;
    if (!GetHex(text.substr(i, 16), &id) || !GetHex(text.substr(i + 16, 16), &parent) ||
        !GetHex(text.substr(i + 32, 2), &bits) || !GetHex(text.substr(i + 34, 8), &agent)) {
      return false;
    }
    const std::uint8_t twin = (bits & 0x08) != 0 ? kTwinAdd : (bits & 0x80) != 0 ? kTwinTake : kTwinNone;
    out->push_back({id, parent, static_cast<std::uint8_t>((bits >> 4) & kAllMarks),
                    static_cast<std::uint8_t>(bits & kAllMarks), static_cast<std::uint32_t>(agent), twin});
  }
  return true;
}

}  // namespace agx::otlp
