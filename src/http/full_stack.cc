#include "http/full_stack.h"

#include <pthread.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "common/log.h"

namespace agx::http_internal {
namespace {

class Companion {
 public:
  Companion() {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kHandlerStackBytes);
    started_ = pthread_create(&thread_, &attr, &Companion::Main, this) == 0;
    pthread_attr_destroy(&attr);
    if (!started_) log::Error("cannot start a handler thread; running handlers in place");
  }
  ~Companion() {
    if (!started_) return;
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    pthread_join(thread_, nullptr);
  }

  void Run(const std::function<void()>& fn) {
    if (!started_) {
      fn();
      return;
    }
    std::unique_lock lock(mu_);
    task_ = &fn;
    done_ = false;
    cv_.notify_all();
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  static void* Main(void* self) {
    static_cast<Companion*>(self)->Loop();
    return nullptr;
  }
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return task_ != nullptr || stop_; });
      if (task_ == nullptr) return;  // stop
      const std::function<void()>* fn = task_;
      task_ = nullptr;
      lock.unlock();
      (*fn)();
      lock.lock();
      done_ = true;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* task_ = nullptr;  // guarded by mu_
  bool done_ = false;                            // guarded by mu_
  bool stop_ = false;                            // guarded by mu_
  bool started_ = false;
  pthread_t thread_{};
};

}  // namespace

void RunOnFullStack(const std::function<void()>& fn) {
  thread_local Companion companion;
  companion.Run(fn);
}

}  // namespace agx::http_internal
