#pragma once
// ByteBudget: a non-blocking semaphore counted in bytes. Work that needs memory in
// proportion to untrusted input (decoding an OTLP request) reserves it first; when the
// budget is in use the caller answers "try again" (429) at once instead of growing its
// memory, and a reservation larger than the whole budget can never succeed (413).
// Thread-safe: TryReserve and the releases are lock-free.
#include <atomic>
#include <cstddef>
#include <utility>

namespace agx {

class ByteBudget {
 public:
  explicit ByteBudget(std::size_t capacity) : capacity_(capacity) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  /// Holds `bytes` of the budget until destroyed (or released by moving it away).
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)), bytes_(o.bytes_) {}
    Hold& operator=(Hold&& o) noexcept {
      Release();
      budget_ = std::exchange(o.budget_, nullptr);
      bytes_ = o.bytes_;
      return *this;
    }
    ~Hold() { Release(); }
    explicit operator bool() const { return budget_ != nullptr; }

   private:
    friend class ByteBudget;
    Hold(ByteBudget* b, std::size_t bytes) : budget_(b), bytes_(bytes) {}
    void Release() {
      if (budget_ != nullptr) budget_->used_.fetch_sub(bytes_, std::memory_order_acq_rel);
      budget_ = nullptr;
    }
    ByteBudget* budget_ = nullptr;
    std::size_t bytes_ = 0;
  };

  /// A hold of `bytes`, or an empty hold when they do not fit beside the current holds.
  Hold TryReserve(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_acquire);
    do {
      if (bytes > capacity_ || used > capacity_ - bytes) return Hold();
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_acq_rel));
    return Hold(this, bytes);
  }

  std::size_t capacity() const { return capacity_; }
  std::size_t used() const { return used_.load(std::memory_order_acquire); }

 private:
  const std::size_t capacity_;
  std::atomic<std::size_t> used_{0};
};

}  // namespace agx
