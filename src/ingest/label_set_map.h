#pragma once
// LabelSetMap<V>: a bounded map from a tuple of label values to V, for the per-thread
// handle cache of the hot path. One event costs one lookup, so it is built for that:
// open addressing in a power-of-two table, a multiply-xor hash of the values read 8 bytes
// at a time with a per-map random seed (crafted label values cannot choose collisions),
// and no key is built to look one up. Keys are copied in only when inserted.
//
// Bounded in entries and in bytes: the table grows (doubling, load factor at most 1/2) up
// to `max_entries`; past it the map is cleared (a cache of high-cardinality label sets just
// misses), keeping its keys' buffers for reuse. The key buffers of all slots (a cleared
// slot keeps its buffer) take at most `max_key_bytes` plus the key being inserted: an insert
// that would pass it clears the map and frees them. A returned reference is valid until the
// next FindOrInsert (which may grow or clear the table). Not thread-safe: one map per
// thread.
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace agx {

template <class V>
class LabelSetMap {
 public:
  LabelSetMap(std::size_t max_entries, std::size_t max_key_bytes)
      : max_entries_(max_entries), max_key_bytes_(max_key_bytes) {
    slots_.resize(kInitialCapacity);
    mask_ = kInitialCapacity - 1;
    seed_ = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
            reinterpret_cast<std::uintptr_t>(this);
  }

  /// The value of `parts`, default-constructed when new.
  V& FindOrInsert(std::initializer_list<std::string_view> parts) {
    const std::uint64_t h = Hash(parts);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) break;
      if (s.hash == h && Equal(s.key, parts)) return s.value;
    }
    std::size_t key_size = 0;
    for (std::string_view p : parts) key_size += sizeof(std::uint32_t) + p.size();
    if (key_bytes_ + key_size > max_key_bytes_) {
      Release();
    } else if (size_ >= max_entries_) {
      Clear();
    } else if (2 * (size_ + 1) > slots_.size()) {
      Grow();
    }
    std::size_t i = h & mask_;
    while (slots_[i].used) i = (i + 1) & mask_;
    Slot& s = slots_[i];
    s.used = true;
    s.hash = h;
    key_bytes_ -= HeapBytes(s.key);
    s.key.clear();
    s.key.reserve(key_size);
    for (std::string_view p : parts) AppendPart(p, &s.key);
    key_bytes_ += HeapBytes(s.key);
    s.value = V{};
    ++size_;
    return s.value;
  }

  /// Forgets every entry; the key buffers are kept for the next ones.
  void Clear() {
    for (Slot& s : slots_) s.used = false;
    size_ = 0;
  }

  std::size_t size() const { return size_; }
  /// Bytes of key buffers held on the heap, by used and cleared slots.
  std::size_t key_bytes() const { return key_bytes_; }

 private:
  static constexpr std::size_t kInitialCapacity = 16;

  struct Slot {
    bool used = false;
    std::uint64_t hash = 0;
    std::string key;  // each part as [u32 length][bytes]
    V value{};
  };

  /// The heap buffer of a key (none while it fits in the string itself).
  static std::size_t HeapBytes(const std::string& key) {
    return key.capacity() > kInlineCapacity ? key.capacity() : 0;
  }
  static inline const std::size_t kInlineCapacity = std::string().capacity();

  /// Clear(), and frees the key buffers.
  void Release() {
    for (Slot& s : slots_) {
      s.used = false;
      std::string().swap(s.key);
    }
    size_ = 0;
    key_bytes_ = 0;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    key_bytes_ = 0;  // the buffers of cleared slots go with `old`
    for (Slot& o : old) {
      if (!o.used) continue;
      std::size_t i = o.hash & mask_;
      while (slots_[i].used) i = (i + 1) & mask_;
      slots_[i] = std::move(o);
      key_bytes_ += HeapBytes(slots_[i].key);
    }
  }

  static std::uint64_t Mix(std::uint64_t x) {
    x *= 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29);
  }

  /// The last 1 to 7 bytes of a value as fixed-size loads (a copy of variable length into a
  /// word stalls the load that follows it): overlapping halves, or first/middle/last byte.
  static std::uint64_t LoadShort(const char* p, std::size_t n) {
    if (n >= 4) {
      std::uint32_t a, b;
      std::memcpy(&a, p, 4);
      std::memcpy(&b, p + n - 4, 4);
      return a | (std::uint64_t{b} << 32);
    }
    return std::uint64_t{static_cast<unsigned char>(p[0])} |
           std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
           std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
  }

  std::uint64_t Hash(std::initializer_list<std::string_view> parts) const {
    std::uint64_t h = seed_;
    for (std::string_view p : parts) {
      const std::size_t n = p.size();
      h = Mix(h ^ n);
      std::size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p.data() + i, 8);
        h = Mix(h ^ w);
      }
      if (i < n) {
        // The tail: the value's last 8 bytes when it has them (overlapping the last word).
        std::uint64_t w;
        if (n >= 8) {
          std::memcpy(&w, p.data() + n - 8, 8);
        } else {
          w = LoadShort(p.data(), n);
        }
        h = Mix(h ^ w ^ 0xff);
      }
    }
    return h;
  }

  /// memcmp for the short label values of a cache key, inline (8 bytes a step).
  static bool SameBytes(const char* a, const char* b, std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x, y;
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    for (; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  static void AppendPart(std::string_view p, std::string* key) {
    const auto n = static_cast<std::uint32_t>(p.size());
    key->append(reinterpret_cast<const char*>(&n), sizeof n);
    key->append(p);
  }

  static bool Equal(const std::string& key, std::initializer_list<std::string_view> parts) {
    std::size_t at = 0;
    for (std::string_view p : parts) {
      std::uint32_t n;
      if (key.size() - at < sizeof n) return false;
      std::memcpy(&n, key.data() + at, sizeof n);
      at += sizeof n;
      if (n != p.size() || key.size() - at < n || !SameBytes(key.data() + at, p.data(), n)) {
        return false;
      }
      at += n;
    }
    return at == key.size();
  }

  std::size_t max_entries_;
  std::size_t max_key_bytes_;
  std::size_t key_bytes_ = 0;  // HeapBytes of every slot's key
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace agx
