#pragma once
// Exporter: the running daemon, wired from a Config. Owns the registry, the sliding
// windows, the state store and WAL, the pipeline, the file tailer and the HTTP server, and
// starts and stops them in order:
//   start: restore state -> replay WAL -> HTTP (push + /metrics) -> tail thread -> snapshots
//   stop:  HTTP (no new pushes) -> tail (a last drain) -> final snapshot
// Thread-safe: Start/Stop from one thread; the parts it owns are thread-safe themselves.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "config/config.h"

namespace agx {

class Registry;
class TaskWindows;
class Pipeline;
class FileTailer;
class HttpServer;
class StateStore;
class Wal;
struct HttpResponse;
struct HttpRequest;

class Exporter {
 public:
  explicit Exporter(Config config);
  ~Exporter();

  /// Restores state, starts serving and tailing. Fails with a clear message.
  Status Start();
  /// Drains and snapshots; idempotent.
  void Stop();
  /// Writes a snapshot now (also done every state.snapshot_interval).
  Status Snapshot();

  int port() const;  ///< bound HTTP port
  Registry& registry() { return *registry_; }

  // HTTP-agnostic handlers (routes.cc), public for tests.
  HttpResponse HandleMetrics(const HttpRequest& req);
  HttpResponse HandlePush(const HttpRequest& req);
  HttpResponse HandleLanding(const HttpRequest& req);

 private:
  void SnapshotLoop();
  bool Authorized(const HttpRequest& req) const;

  Config config_;
  std::string bearer_token_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<TaskWindows> windows_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<FileTailer> tailer_;
  std::unique_ptr<HttpServer> http_;

  std::atomic<bool> stop_tail_{false};
  std::atomic<bool> stopping_{false};
  std::thread tail_thread_;
  std::thread snapshot_thread_;
  std::mutex snapshot_mu_;  // serializes snapshots; guards the condition below
  std::condition_variable snapshot_cv_;
  bool stopped_ = false;
  std::uint64_t tail_rotations_seen_ = 0;
  std::uint64_t tail_truncations_seen_ = 0;
};

}  // namespace agx
